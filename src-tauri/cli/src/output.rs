//! Printing for humans (aligned tables) or for scripts (`--json`).

use grantry_core::catalog::{DatabaseNode, Page, RelationNode, SchemaNode};
use grantry_core::connect::ConnectionReport;
use grantry_core::integrations::import::ImportCandidate;
use grantry_core::integrations::model::{Environment, Integration};
use grantry_core::sandbox::SandboxStatus;
use serde::Serialize;

pub struct Out {
    pub json: bool,
}

fn human_bytes(b: Option<i64>) -> String {
    let Some(b) = b else { return "-".into() };
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < units.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", units[i])
    }
}

/// A name or text from the server for a terminal: control characters (escape sequences, line
/// breaks that would forge rows) written as escapes.
fn esc(s: &str) -> String {
    grantry_core::quote::escape_controls(s)
}

fn table(headers: &[&str], rows: Vec<Vec<String>>) {
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|r| r.iter().map(|c| esc(c)).collect())
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let s: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{:w$}", c, w = widths[i]))
            .collect();
        println!("{}", s.join("  ").trim_end());
    };
    line(headers.iter().map(|h| h.to_uppercase()).collect());
    for r in rows {
        line(r);
    }
}

fn more<T>(p: &Page<T>) {
    let total = p.total.map(|t| format!(" of {t}")).unwrap_or_default();
    let shown = p.items.len();
    if shown > 0 || p.total.is_some() {
        let from = p.offset as usize + usize::from(shown > 0);
        let to = p.offset as usize + shown;
        let hint = if p.has_more {
            format!("; next page: --offset {to}")
        } else {
            String::new()
        };
        eprintln!("({from}-{to}{total}{hint})");
    }
}

impl Out {
    fn print_json<T: Serialize>(&self, v: &T) {
        println!("{}", serde_json::to_string_pretty(v).expect("serializable"));
    }

    pub fn integration(&self, it: &Integration, verb: &str) {
        if self.json {
            return self.print_json(it);
        }
        if !verb.is_empty() {
            println!("{verb} integration {}", esc(&it.name));
        }
        let e = it.connection.endpoint();
        println!("name:         {}", esc(&it.name));
        println!("kind:         {}", it.connection.kind());
        println!("host:         {}", esc(&e.host));
        println!("port:         {}", e.port);
        println!("database:     {}", esc(&e.database));
        println!("user:         {}", esc(&e.username));
        println!("sslmode:      {}", e.sslmode.as_str());
        println!(
            "environment:  {}{}",
            it.environment.as_str(),
            if it.environment == Environment::Production {
                " (!)"
            } else {
                ""
            }
        );
        println!("read-only:    {}", it.read_only);
        if let grantry_core::integrations::model::Connection::Azure(az) = &it.connection {
            if let grantry_core::integrations::model::AzureAuth::Entra { source, .. } = &az.auth {
                println!(
                    "login:        Entra ID token from {}",
                    esc(&source.describe())
                );
                if az.has_client_secret() {
                    println!("secret:       the client secret is in the keychain");
                }
            }
        }
        println!(
            "password:     {} ({})",
            if it.has_password {
                "available"
            } else {
                "not available"
            },
            it.password_storage.as_str()
        );
    }

    pub fn integrations(&self, list: &[Integration]) {
        if self.json {
            return self.print_json(&list);
        }
        table(
            &[
                "name",
                "kind",
                "host",
                "port",
                "database",
                "user",
                "sslmode",
                "environment",
            ],
            list.iter()
                .map(|i| {
                    let e = i.connection.endpoint();
                    vec![
                        i.name.clone(),
                        i.connection.kind().into(),
                        e.host.clone(),
                        e.port.to_string(),
                        e.database.clone(),
                        e.username.clone(),
                        e.sslmode.as_str().into(),
                        i.environment.as_str().into(),
                    ]
                })
                .collect(),
        );
    }

    pub fn report(&self, r: &ConnectionReport) {
        if self.json {
            return self.print_json(r);
        }
        for s in &r.steps {
            println!(
                "{} {:<20} {:>5} ms  {}",
                if s.ok { "ok  " } else { "FAIL" },
                s.name,
                s.elapsed_ms,
                s.note
            );
        }
        println!("{}", r.message);
        // A failure's technical cause (what a tool or the server said) is shown too.
        if !r.ok {
            if let Some(d) = &r.detail {
                for line in d.lines() {
                    println!("  {}", esc(line));
                }
            }
        }
        if let Some(s) = &r.server {
            let p = &s.powers;
            println!("server:       PostgreSQL {} ({})", s.version, s.version_num);
            println!(
                "ssl:          {}{}",
                if s.ssl_in_use { "yes" } else { "no" },
                s.ssl_version
                    .as_ref()
                    .map(|v| format!(" ({v})"))
                    .unwrap_or_default()
            );
            println!("superuser:    {}", p.superuser);
            println!("createrole:   {}", p.createrole);
            println!("read stats:   {} (pg_read_all_stats)", p.read_all_stats);
            println!(
                "pg_stat_statements: {}, {}",
                match (
                    &p.pg_stat_statements_installed,
                    p.pg_stat_statements_available
                ) {
                    (Some(v), _) => format!("installed {v}"),
                    (None, None) => "installed: unknown".into(),
                    (None, Some(_)) => "not installed".into(),
                },
                match p.pg_stat_statements_loaded {
                    Some(true) => "loaded",
                    Some(false) => "not loaded (shared_preload_libraries)",
                    None => "loading unknown (needs pg_read_all_settings)",
                }
            );
            if s.read_only {
                println!(
                    "read-only:    yes ({})",
                    if s.in_recovery {
                        "a standby"
                    } else {
                        "default_transaction_read_only"
                    }
                );
            }
            for n in &s.notes {
                println!("note:         {n}");
            }
        }
        if !r.prerequisites.is_empty() {
            println!("prerequisites:");
            self.prerequisite_lines(&r.prerequisites);
        }
    }

    /// `integration check`: each prerequisite, and what fixes a missing one.
    pub fn prerequisites(&self, list: &[grantry_core::connect::prerequisites::Prerequisite]) {
        if self.json {
            return self.print_json(&list);
        }
        self.prerequisite_lines(list);
    }

    fn prerequisite_lines(&self, list: &[grantry_core::connect::prerequisites::Prerequisite]) {
        for p in list {
            println!(
                "{} {}: {}",
                if p.ok { "ok  " } else { "MISS" },
                p.title,
                esc(&p.why)
            );
            if let Some(f) = &p.fix {
                println!("       fix {}:", esc(f));
            }
            if let Some(sql) = &p.fix_sql {
                for line in sql.lines() {
                    println!("         {}", esc(line));
                }
            }
        }
    }

    pub fn discovered_added(&self, r: &grantry_core::integrations::discovered::DiscoveredAdded) {
        if self.json {
            return self.print_json(r);
        }
        for it in &r.integrations {
            self.integration(it, "saved");
        }
        for n in &r.notes {
            eprintln!("note: {}", esc(n));
        }
    }

    pub fn rds_databases(&self, found: &[grantry_core::connect::aws::RdsDatabase]) {
        if self.json {
            return self.print_json(&found);
        }
        table(
            &[
                "id", "kind", "engine", "status", "endpoint", "iam auth", "tags",
            ],
            found
                .iter()
                .map(|d| {
                    vec![
                        d.id.clone(),
                        match d.target {
                            grantry_core::integrations::model::RdsTarget::Instance { .. } => {
                                "instance".into()
                            }
                            _ => "aurora cluster".into(),
                        },
                        format!("{} {}", d.engine, d.engine_version),
                        d.status.clone(),
                        match (&d.host, d.port) {
                            (Some(h), Some(p)) => format!("{h}:{p}"),
                            (Some(h), None) => h.clone(),
                            _ => "-".into(),
                        },
                        if d.iam_auth { "on" } else { "off" }.into(),
                        d.tags
                            .iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(","),
                    ]
                })
                .collect(),
        );
        println!("{} found", found.len());
    }

    pub fn candidates(&self, c: &[ImportCandidate]) {
        if self.json {
            return self.print_json(&c);
        }
        table(
            &[
                "index",
                "suggested name",
                "host",
                "port",
                "database",
                "user",
                "password",
                "source",
            ],
            c.iter()
                .map(|c| {
                    vec![
                        c.index.to_string(),
                        c.suggested_name.clone(),
                        c.host.clone(),
                        c.port.to_string(),
                        c.database.clone(),
                        c.username.clone(),
                        if c.has_password { "yes" } else { "no" }.into(),
                        c.source.clone(),
                    ]
                })
                .collect(),
        );
    }

    /// One page of a tree level: as JSON, or as a table of `headers` with a line on what is left.
    fn page<T: Serialize>(&self, p: &Page<T>, headers: &[&str], row: impl Fn(&T) -> Vec<String>) {
        if self.json {
            return self.print_json(p);
        }
        table(headers, p.items.iter().map(row).collect());
        more(p);
    }

    pub fn databases(&self, p: &Page<DatabaseNode>) {
        self.page(p, &["name", "owner", "size", "comment"], |d| {
            vec![
                d.name.clone(),
                d.owner.clone(),
                human_bytes(d.size_bytes),
                d.comment.clone().unwrap_or_default(),
            ]
        })
    }

    pub fn schemas(&self, p: &Page<SchemaNode>) {
        self.page(p, &["name", "owner", "relations", "comment"], |s| {
            let capped = if s.relation_count_capped { "+" } else { "" };
            vec![
                s.name.clone(),
                s.owner.clone(),
                format!("{}{capped}", s.relation_count),
                s.comment.clone().unwrap_or_default(),
            ]
        })
    }

    pub fn relations(&self, p: &Page<RelationNode>) {
        let headers = ["name", "kind", "owner", "size", "rows", "comment"];
        self.page(p, &headers, |r| {
            vec![
                r.name.clone(),
                r.kind.label().into(),
                r.owner.clone(),
                human_bytes(r.size_bytes),
                r.estimated_rows
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "-".into()),
                r.comment.clone().unwrap_or_default(),
            ]
        })
    }

    pub fn sandbox(&self, s: &SandboxStatus) {
        if self.json {
            return self.print_json(s);
        }
        println!(
            "state:        {}",
            serde_json::to_value(s.state)
                .unwrap()
                .as_str()
                .unwrap_or("?")
        );
        if let Some(v) = &s.version {
            println!("version:      PostgreSQL {v}");
        }
        if let Some(p) = s.port {
            println!("port:         {p} (127.0.0.1)");
        }
        if let Some(d) = &s.data_dir {
            println!("data dir:     {d}");
        }
        if let Some(i) = &s.integration {
            println!("integration:  {i}");
        }
    }
}

use grantry_core::audit::AuditEntry;
use grantry_core::privileges::display_role;
use grantry_core::privileges::engine::explain_reasons;
use grantry_core::privileges::engine::Reason;
use grantry_core::privileges::plan::{AccessDelta, Plan};
use grantry_core::privileges::service::{ApplyResult, ObjectGrants, RoleReport, WhoCanAnswer};

fn reasons(r: &[Reason]) -> String {
    explain_reasons(r)
}

/// What the inspection behind an answer could not read, so is not in it (on stderr, as notes).
fn not_shown(i: &grantry_core::privileges::inspect::Inspection) {
    for u in &i.unreadable {
        eprintln!("not shown: {}", esc(u));
    }
}

impl Out {
    pub fn grants(&self, g: &ObjectGrants) {
        if self.json {
            return self.print_json(g);
        }
        println!(
            "{} ({:?}), owner {}{}",
            esc(&g.object),
            g.kind,
            display_role(&g.owner),
            if g.default_acl {
                ", built-in default privileges"
            } else {
                ""
            }
        );
        let mut headers = vec!["role".to_string()];
        headers.extend(g.privileges.iter().map(|p| p.sql().to_string()));
        let h: Vec<&str> = headers.iter().map(String::as_str).collect();
        table(
            &h,
            g.matrix
                .iter()
                .map(|r| {
                    let mut row = vec![display_role(&r.role)];
                    for p in &g.privileges {
                        row.push(match r.cells.iter().find(|c| c.privilege == *p) {
                            Some(c) if c.grantable => "yes*".into(),
                            Some(_) => "yes".into(),
                            None => "".into(),
                        });
                    }
                    row
                })
                .collect(),
        );
        println!("(* may grant it on)");
        not_shown(&g.inspection);
    }

    pub fn who_can(&self, w: &WhoCanAnswer) {
        if self.json {
            return self.print_json(w);
        }
        println!("who can {} on {}:", w.privilege.sql(), esc(&w.object));
        if !w.public.is_empty() {
            println!("  everyone (PUBLIC)");
        }
        for a in &w.roles {
            println!(
                "  {:<24} {}{}",
                display_role(&a.role),
                reasons(&a.reasons),
                if a.grantable { " [may grant]" } else { "" }
            );
        }
        for a in &w.partial {
            println!(
                "  {:<24} on some columns only: {}",
                display_role(&a.role),
                a.columns
                    .iter()
                    .map(|c| esc(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if w.public.is_empty() && w.roles.is_empty() && w.partial.is_empty() {
            println!("  nobody");
        }
        not_shown(&w.inspection);
    }

    pub fn role(&self, r: &RoleReport) {
        if self.json {
            return self.print_json(r);
        }
        let x = &r.role;
        let mut attrs = vec![if x.login { "LOGIN" } else { "NOLOGIN" }.to_string()];
        for (on, name) in [
            (x.superuser, "SUPERUSER"),
            (x.createrole, "CREATEROLE"),
            (x.createdb, "CREATEDB"),
            (!x.inherit, "NOINHERIT"),
            (x.bypassrls, "BYPASSRLS"),
            (x.replication, "REPLICATION"),
        ] {
            if on {
                attrs.push(name.into());
            }
        }
        if x.connection_limit >= 0 {
            attrs.push(format!("CONNECTION LIMIT {}", x.connection_limit));
        }
        if let Some(v) = &x.valid_until {
            attrs.push(format!("VALID UNTIL {v}"));
        }
        println!("role {}: {}", display_role(&x.name), esc(&attrs.join(" ")));
        for m in &r.member_of {
            println!(
                "  member of {} (granted by {}{}{}{})",
                display_role(&m.role),
                display_role(&m.grantor),
                if m.admin { ", admin" } else { "" },
                if m.inherit { "" } else { ", no inherit" },
                if m.set { "" } else { ", no set" }
            );
        }
        for m in &r.members {
            println!("  has member {}", display_role(&m.member));
        }
        println!("can access:");
        for a in &r.access {
            let ps: Vec<&str> = a.privileges.iter().map(|p| p.privilege.sql()).collect();
            println!("  {:<40} {}", esc(&a.object), ps.join(", "));
        }
        not_shown(&r.inspection);
    }

    pub fn plan(&self, p: &Plan) {
        if self.json {
            return self.print_json(p);
        }
        print!("{}", p.annotated_script());
        for b in &p.blocking {
            eprintln!("blocking: {}", esc(b));
        }
        for w in &p.warnings {
            eprintln!("warning: {}", esc(w));
        }
        for c in &p.access_changes {
            eprintln!(
                "{} {} {} on {}",
                if c.delta == AccessDelta::Gained {
                    "+"
                } else {
                    "-"
                },
                display_role(&c.role),
                c.privilege.sql(),
                esc(&c.object)
            );
        }
    }

    pub fn run(&self, r: &ApplyResult) {
        if self.json {
            return self.print_json(r);
        }
        run_lines(r);
    }

    /// A connector's setup: the script on stdout (for psql), the notes on stderr.
    pub fn setup_plan(&self, p: &grantry_core::setup::SetupPlan) {
        if self.json {
            return self.print_json(p);
        }
        print!("{}", p.script);
        for n in &p.notes {
            eprintln!("note: {}", esc(n));
        }
    }

    /// A setup step as it ends: its statements and outcome (text only; `--json` prints the
    /// whole run at its end).
    pub fn setup_step(&self, n: usize, s: &grantry_core::setup::SetupStepRun) {
        use std::io::Write;
        println!("step {n}: {}", esc(&s.purpose));
        if let Some(result) = &s.result {
            run_lines(result);
        }
        if let Some(n) = &s.note {
            println!("  {}", esc(n));
        }
        let _ = std::io::stdout().flush();
    }

    /// A setup run's end: with `--json` the whole run, else its notes (the steps were printed
    /// as they ended).
    pub fn setup_run(&self, r: &grantry_core::setup::SetupRun) {
        if self.json {
            return self.print_json(r);
        }
        for n in &r.notes {
            eprintln!("note: {}", esc(n));
        }
    }
}

/// An apply's or dry run's statements (stderr), message and generated passwords (stdout).
fn run_lines(r: &ApplyResult) {
    {
        for s in &r.report.statements {
            let mark = match s.outcome {
                grantry_core::privileges::apply::StatementOutcome::Ok => "ok  ",
                grantry_core::privileges::apply::StatementOutcome::Failed => "FAIL",
                grantry_core::privileges::apply::StatementOutcome::Skipped => "skip",
            };
            eprintln!(
                "{mark} {:>5} ms  {}{}",
                s.elapsed_ms,
                // A new role's SCRAM verifier is not repeated (as in the audit log).
                esc(&grantry_core::privileges::render::redact_verifiers(&s.sql)),
                s.error
                    .as_ref()
                    .map(|e| format!("\n          {}", esc(e)))
                    .unwrap_or_default()
            );
            // What the server said beside it (a warning already named as the error is not
            // repeated).
            for n in &s.notices {
                if s.error.is_none() || !n.starts_with("WARNING:") {
                    eprintln!("          {}", esc(n));
                }
            }
        }
        println!("{}", esc(&r.report.message));
        for p in &r.report.generated_passwords {
            if p.in_keychain {
                println!(
                    "password for {} saved in the OS keychain (not shown)",
                    display_role(&p.role)
                );
            } else {
                println!(
                    "password for {} (shown once): {}",
                    display_role(&p.role),
                    p.password
                );
            }
        }
        let unconfirmed = r.verified.iter().filter(|v| !v.confirmed).count();
        if !r.verified.is_empty() {
            println!(
                "checked before the transaction ended: {} of {} access changes confirmed",
                r.verified.len() - unconfirmed,
                r.verified.len()
            );
        }
    }
}

impl Out {
    pub fn audit(&self, entries: &[AuditEntry]) {
        table(
            &[
                "id",
                "at",
                "integration",
                "database",
                "action",
                "outcome",
                "statements",
                "ms",
                "os user",
            ],
            entries
                .iter()
                .map(|e| {
                    vec![
                        e.id.to_string(),
                        e.at.clone(),
                        e.integration_name.clone(),
                        e.database_name.clone(),
                        e.action.clone(),
                        e.outcome.clone(),
                        e.statements.to_string(),
                        e.duration_ms.to_string(),
                        e.os_user.clone(),
                    ]
                })
                .collect(),
        );
    }
}
