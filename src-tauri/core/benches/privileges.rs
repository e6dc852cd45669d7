//! Privileges benchmark: one database with 100,000 tables and 1,000 roles in a hierarchy, each
//! table granted to 10 roles (about a million ACL entries).
//!
//! Measures, beside psql in the same run: the full inspection (psql runs the same inspection
//! queries), a "who can" answer, rendering a 10,000-statement plan, and applying it in one
//! transaction (psql runs the plan's script with `-1 -f`). With `BENCH_LDAP2PG=/path/to/ldap2pg`
//! it also times ldap2pg inspecting the same database in dry-run mode.
//!
//! Run: `cargo bench -p grantry-core --bench privileges` (BENCH_TABLES scales the database).

#[path = "../tests/common.rs"]
mod common;
mod support;

use grantry_core::privileges::engine::Engine;
use grantry_core::privileges::inspect;
use grantry_core::privileges::plan::{self, Change, Target};
use grantry_core::privileges::{ObjectKind, Privilege};
use grantry_testrig::{psql_timings, Cluster};
use std::process::Command;
use std::time::Instant;
use support::median;

const ROLES: usize = 1000;
const GRANTEES_PER_TABLE: usize = 10;
const PLAN_STATEMENTS: usize = 10_000;

fn psql(c: &Cluster, args: &[&str], input: &str) -> (f64, String) {
    c.psql_script("bench", args, input)
}

fn build(c: &Cluster, tables: usize) {
    let mut roles = String::new();
    for r in 0..ROLES {
        roles.push_str(&format!(
            "CREATE ROLE r{r:04} {};\n",
            if r % 3 == 0 { "LOGIN" } else { "NOLOGIN" }
        ));
    }
    // A hierarchy: roles 50.. are members of one or two of the first 50 (group) roles.
    for r in 50..ROLES {
        roles.push_str(&format!("GRANT r{:04} TO r{r:04};\n", r % 50));
        if r % 4 == 0 {
            roles.push_str(&format!("GRANT r{:04} TO r{r:04};\n", (r / 4) % 50));
        }
    }
    roles.push_str("CREATE DATABASE bench;\n");
    c.psql("postgres", &roles);
    let mut script = String::from("CREATE SCHEMA big;\n");
    for start in (0..tables).step_by(1000) {
        let end = (start + 999).min(tables - 1);
        script.push_str(&format!(
            "DO $$ DECLARE who text; BEGIN FOR i IN {start}..{end} LOOP \
               EXECUTE format('CREATE TABLE big.%I (id int PRIMARY KEY)', 't' || lpad(i::text, 6, '0')); \
               SELECT string_agg(format('%I', 'r' || lpad(((i * 7 + k * 131) % {ROLES})::text, 4, '0')), ', ') INTO who FROM generate_series(0, {}) k; \
               EXECUTE format('GRANT SELECT ON big.%I TO ', 't' || lpad(i::text, 6, '0')) || who; \
             END LOOP; END $$;\n",
            GRANTEES_PER_TABLE - 1
        ));
    }
    script.push_str("VACUUM ANALYZE pg_class; VACUUM ANALYZE pg_namespace;\n");
    c.psql("bench", &script);
}

fn main() {
    let tables = support::tables();
    let c = support::cluster();
    let t = Instant::now();
    build(&c, tables);
    let acl_entries: usize = c.psql("bench", "SELECT count(*) FROM pg_class c, aclexplode(c.relacl) WHERE c.relnamespace = 'big'::regnamespace").parse().unwrap();
    eprintln!(
        "built {tables} tables, {ROLES} roles, {acl_entries} ACL entries in {:.0} s",
        t.elapsed().as_secs_f64()
    );

    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut rows: Vec<(String, f64, Option<f64>)> = Vec::new();
    rt.block_on(async {
        let env = common::grantry_on(&c, "bench").await;
        let g = &env.g;

        // 1. Full inspection vs psql running the same queries.
        let queries = format!(
            "\\o /dev/null\n\\timing on\n{}\n{}\n{}\n{}\n{}\n{}\n",
            inspect::CONTEXT_SQL,
            inspect::ROLES_SQL,
            inspect::memberships_sql(c.major >= 16),
            inspect::OBJECTS_SQL.replace("$1", "false").replace("$2::oid[]", "NULL::oid[]"),
            inspect::ACL_SQL.replace("$1", "false").replace("$2::oid[]", "NULL::oid[]"),
            inspect::DEFAULT_ACLS_SQL
        );
        let mut gi = Vec::new();
        let mut pi = Vec::new();
        let mut snap = None;
        for _ in 0..3 {
            let t = Instant::now();
            snap = Some(g.privileges().snapshot("bench", None, false).await.unwrap());
            gi.push(t.elapsed().as_secs_f64() * 1000.0);
            let (_, out) = psql(&c, &["-f", "-"], &queries);
            let sum: f64 = psql_timings(&out).iter().sum();
            pi.push(sum);
        }
        let snap = snap.unwrap();
        rows.push((format!("full inspection ({} objects, {} ACL entries)", snap.objects.len(), snap.objects.iter().map(|o| o.acl.len()).sum::<usize>()), median(gi), Some(median(pi))));

        // 2. Who can: from the inspected snapshot, as the UI asks it.
        let target = snap.objects.iter().position(|o| o.name == "t050000" || (tables < 50_000 && o.name == format!("t{:06}", tables / 2))).unwrap();
        let mut w = Vec::new();
        let mut holders = 0;
        for _ in 0..20 {
            let t = Instant::now();
            let e = Engine::new(&snap);
            holders = e.who_can(target, Privilege::Select).roles.len();
            w.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let psql_who = {
            let sql = format!(
                "\\o /dev/null\n\\timing on\nSELECT r.rolname FROM pg_roles r WHERE has_table_privilege(r.oid, 'big.{}', 'SELECT');\n",
                snap.objects[target].name
            );
            let (_, out) = psql(&c, &["-f", "-"], &sql);
            psql_timings(&out).iter().sum::<f64>()
        };
        rows.push((format!("who can SELECT on one table ({holders} roles, reasons included)"), median(w), Some(psql_who)));

        // 3. Plan rendering: 10,000 single-table grants.
        let n = PLAN_STATEMENTS.min(tables);
        let changes: Vec<Change> = (0..n)
            .map(|i| Change::Grant {
                privileges: vec![Privilege::Insert],
                on: Target::Object { kind: ObjectKind::Table, schema: Some("big".into()), name: format!("t{i:06}"), args: None, columns: vec![] },
                to: vec![format!("r{:04}", 50 + i % (ROLES - 50))],
                with_grant_option: false,
                granted_by: None,
            })
            .collect();
        let t = Instant::now();
        let p = plan::plan(&snap, &changes).unwrap();
        let plan_ms = t.elapsed().as_secs_f64() * 1000.0;
        assert_eq!(p.statements.len(), n);
        rows.push((format!("plan rendering ({n} statements, access diff and warnings)"), plan_ms, None));

        // 4. Apply: the plan's script through psql -1 -f, undone, then through Grantry.
        let undo: String = p.statements.iter().map(|s| s.sql.replacen("GRANT ", "REVOKE ", 1).replacen(" TO ", " FROM ", 1) + ";\n").collect();
        let mut pa = Vec::new();
        let mut ga = Vec::new();
        let mut gt = Vec::new();
        for _ in 0..2 {
            let (ms, _) = psql(&c, &["-1", "-f", "-"], &p.script);
            pa.push(ms);
            psql(&c, &["-1", "-f", "-"], &undo);
            let pv = g.privileges().plan("bench", None, &changes).await.unwrap();
            let t = Instant::now();
            let r = g.privileges().run_plan(&pv.id, false, None).await.unwrap();
            ga.push(t.elapsed().as_secs_f64() * 1000.0);
            gt.push(r.report.duration_ms as f64);
            eprintln!(
                "apply: transaction {} ms, of which lock and staleness check {} ms, statements {} ms",
                r.report.duration_ms,
                r.report.checks_ms,
                r.report.statements.iter().map(|s| s.elapsed_ms as u64).sum::<u64>()
            );
            assert_eq!(r.report.outcome, grantry_core::privileges::apply::RunOutcome::Committed, "{}", r.report.message);
            psql(&c, &["-1", "-f", "-"], &undo);
        }
        rows.push((format!("apply of the {n}-statement plan: the transaction (lock, staleness check, statements, commit)"), median(gt), Some(median(pa.clone()))));
        rows.push((format!("apply of the {n}-statement plan: all (plus audit and re-inspection of the result)"), median(ga), Some(median(pa))));
        g.close().await;
    });

    if let Ok(ldap2pg) = std::env::var("BENCH_LDAP2PG") {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("ldap2pg.yml");
        std::fs::write(
            &cfg,
            "version: 5\nprivileges:\n  ro: [__select_on_tables__]\nsync_map:\n- grant:\n    privilege: ro\n    databases: [bench]\n    schema: big\n    roles: [r0000]\n",
        )
        .unwrap();
        let mut times = Vec::new();
        for _ in 0..2 {
            let t = Instant::now();
            let out = Command::new(&ldap2pg)
                .args(["--config", cfg.to_str().unwrap(), "--dry"])
                .env("PGHOST", c.cluster.socket_dir())
                .env("PGPORT", c.port.to_string())
                .env("PGUSER", &c.superuser)
                .env("PGDATABASE", "bench")
                .output()
                .unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            if !out.status.success() {
                eprintln!(
                    "ldap2pg failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                        .lines()
                        .rev()
                        .take(5)
                        .collect::<Vec<_>>()
                        .join("\n")
                );
            }
        }
        rows.push((
            "ldap2pg 5.9 --dry inspecting the same database (whole process)".into(),
            median(times),
            None,
        ));
    }

    println!("| operation | Grantry median (ms) | psql median (ms) | ratio |");
    println!("|---|---:|---:|---:|");
    for (name, gm, pm) in rows {
        match pm {
            Some(pm) => println!("| {name} | {gm:.1} | {pm:.1} | {:.2}x |", gm / pm),
            None => println!("| {name} | {gm:.1} | - | - |"),
        }
    }
    println!(
        "\n{tables} tables, {ROLES} roles, {acl_entries} ACL entries on the tables; PostgreSQL {}.",
        c.version
    );
}
