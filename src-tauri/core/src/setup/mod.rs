//! The connector's setup: the database user Grantry connects as, with the powers each platform
//! needs, as a psql script to copy and as plan changes, one step per database, that go through
//! the plan pipeline (preview, dry run, apply, audit).
//!
//! What every platform's connector gets: LOGIN (and CREATEROLE where the platform allows it),
//! pg_read_all_stats for usage, and in every database it manages ALL on the database, its
//! schemas, and their tables, sequences and functions WITH GRANT OPTION, with the same as
//! default privileges for what the administrator creates later. template1 is set up too:
//! databases created later copy its schemas' grants and default privileges (not the grants on
//! the database itself, which PostgreSQL does not copy). RDS adds rds_superuser (and rds_iam for an IAM login); Azure adds azure_pg_admin (and
//! an Entra principal for a token login). The platforms' own databases (rdsadmin, azure_sys,
//! azure_maintenance) are left alone.

use crate::app::App;
use crate::connect::{classify, prerequisites::Platform};
use crate::error::{Error, Result};
use crate::integrations::kinds::aws_rds::DbAuth;
use crate::integrations::model::Connection;
use crate::privileges::apply::RunOutcome;
use crate::privileges::inspect::DefaultObjectType;
use crate::privileges::plan::{Change, NewPassword, Target};
use crate::privileges::service::{ApplyResult, Privileges};
use crate::privileges::{render, ObjectKind};
use crate::quote::{comment, ident};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use ts_rs::TS;

/// Which connector to set up: the platform (with its login) and the user name, exact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SetupRequest {
    pub platform: Platform,
    pub user: String,
}

/// One database's part of the setup, as plan changes (one plan, one transaction).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SetupStep {
    pub database: String,
    /// What the step does, in words.
    pub purpose: String,
    pub changes: Vec<Change>,
    /// It grants to the connector's role, which does not exist yet: it can be planned once the
    /// first step (which creates the role) is applied.
    pub needs_role: bool,
}

/// A connector's setup.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SetupPlan {
    pub request: SetupRequest,
    /// Whether the role exists on the server already (always false without a server).
    pub role_exists: bool,
    /// The steps for the plan pipeline, the first in the integration's own database; empty
    /// without a server to plan against.
    pub steps: Vec<SetupStep>,
    /// The whole setup as a psql script (`\connect` between databases), to copy.
    pub script: String,
    /// What the DBA must know or do besides (databases left out, a password to set).
    pub notes: Vec<String>,
}

/// The connector setup feature.
pub struct Setup {
    pub(crate) app: Arc<App>,
    /// The plans go through the one privileges service (its caches see what a step changed).
    pub(crate) privileges: Arc<Privileges>,
}

/// How one step of a setup run ended.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SetupStepRun {
    pub database: String,
    pub purpose: String,
    /// The dry run or apply; `None` when the step did not run (see `note`).
    pub result: Option<ApplyResult>,
    /// Why the step did not run, or that it had nothing to do.
    pub note: Option<String>,
}

/// A setup run through the plan pipeline, step by step; it stops at the first step that did
/// not go through (the steps before it stay applied: running the setup again finishes it, as a
/// step already done plans to no statements).
#[derive(Debug, Clone, Serialize, TS)]
pub struct SetupRun {
    pub dry_run: bool,
    pub steps: Vec<SetupStepRun>,
    /// Every step went through (or had nothing to do); false after a dry run that could not
    /// run the steps granting to a role the first creates.
    pub complete: bool,
    /// Why the run stopped before the end, if it did.
    pub error: Option<Error>,
    pub notes: Vec<String>,
}

/// A database of the server and its schemas.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DatabaseScope {
    pub name: String,
    pub schemas: Vec<String>,
    /// The schemas holding an extension's routines, each with its other functions (name,
    /// identity arguments): granted one by one there (see routines.sql).
    pub routines: std::collections::BTreeMap<String, Vec<(String, String)>>,
}

impl Setup {
    /// The setup as a script without a server: for `databases` (default postgres and template1),
    /// each with `schemas` (default public).
    pub fn script(
        &self,
        request: &SetupRequest,
        databases: &[String],
        schemas: &[String],
    ) -> Result<SetupPlan> {
        offline(request, databases, schemas)
    }

    /// The setup against the server of `integration` (connected as an administrator): every
    /// database it may connect to and every schema of each, the first step in the
    /// integration's own database.
    pub async fn plan(&self, integration: &str, request: &SetupRequest) -> Result<SetupPlan> {
        check_request(request)?;
        let it = self.app.integration(integration).await?;
        let matches = matches!(
            (&it.connection, request.platform),
            (Connection::SelfHosted(_), Platform::SelfHosted)
                | (Connection::AwsRds(_), Platform::AwsRds { .. })
                | (Connection::Azure(_), Platform::Azure { .. })
        );
        if !matches {
            return Err(Error::invalid(format!(
                "integration {:?} is {}: its connector's setup is for that platform",
                it.name,
                platform_name_of(&it.connection)
            ))
            .at("platform"));
        }
        let home = it.connection.endpoint().database.clone();
        let pool = self.app.pool(integration, None).await?;
        #[allow(clippy::type_complexity)]
        let (version_num, role_exists, has_createrole, can_login, superuser, expired, is_self): (
            i32,
            bool,
            bool,
            bool,
            bool,
            bool,
            bool,
        ) = sqlx::query_as(include_str!("role.sql"))
            .bind(&request.user)
            .fetch_one(&pool)
            .await
            .map_err(|e| classify(&e))?;
        if is_self {
            return Err(Error::invalid(format!(
                "{} is the role this integration logs in as: the setup is for another user, \
                 the one Grantry will connect as",
                ident(&request.user)
            ))
            .at("user"));
        }
        let all: Vec<(String, bool, bool)> = sqlx::query_as(include_str!("databases.sql"))
            .fetch_all(&pool)
            .await
            .map_err(|e| classify(&e))?;
        let mut notes = Vec::new();
        let mut scope = Vec::new();
        for (name, allows_connections, can_connect) in all {
            if platform_database(request.platform, &name) {
                continue;
            }
            if !allows_connections {
                notes.push(format!(
                    "database {} is left out: it takes no connections (ALLOW_CONNECTIONS \
                     false); set it up after ALTER DATABASE ... WITH ALLOW_CONNECTIONS true",
                    ident(&name)
                ));
                continue;
            }
            if !can_connect {
                notes.push(format!(
                    "database {} is left out: the administrator may not connect to it",
                    ident(&name)
                ));
                continue;
            }
            let pool = self.app.pool(integration, Some(&name)).await?;
            let schemas: Vec<String> = sqlx::query_scalar(include_str!("schemas.sql"))
                .fetch_all(&pool)
                .await
                .map_err(|e| classify(&e))?;
            let rows: Vec<(String, Option<String>, Option<String>)> =
                sqlx::query_as(include_str!("routines.sql"))
                    .fetch_all(&pool)
                    .await
                    .map_err(|e| classify(&e))?;
            let mut routines = std::collections::BTreeMap::<String, Vec<(String, String)>>::new();
            for (schema, f, args) in rows {
                let list = routines.entry(schema).or_default();
                if let (Some(f), Some(args)) = (f, args) {
                    list.push((f, args));
                }
            }
            scope.push(DatabaseScope {
                name,
                schemas,
                routines,
            });
        }
        // The integration's own database first: the role is created there.
        scope.sort_by_key(|d| d.name != home);
        if scope.first().map(|d| &d.name) != Some(&home) {
            return Err(Error::invalid(format!(
                "the integration's database {} is not one the setup can run in",
                ident(&home)
            )));
        }
        if matches!(request.platform, Platform::Azure { entra: true }) && !role_exists {
            return Err(Error::invalid(format!(
                "the Entra principal {} does not exist yet: an Entra administrator creates it \
                 first ({}), then the setup grants it what Grantry needs",
                ident(&request.user),
                render::entra_principal(&request.user)
            ))
            .at("user"));
        }
        let mut plan = build(request, &scope, role_exists, version_num);
        if role_exists && superuser {
            plan.notes.push(format!(
                "the role {} is a superuser: it needs none of these grants, and Grantry works \
                 best connected as a role that is not one",
                ident(&request.user)
            ));
        } else if role_exists && !has_createrole {
            plan.notes.push(format!(
                "the role {} exists without CREATEROLE, and a plan does not change role \
                 attributes: run {};",
                ident(&request.user),
                render::alter_role_createrole(&request.user)
            ));
        }
        if role_exists && !can_login {
            plan.notes.push(format!(
                "the role {} exists without LOGIN, and a plan does not change role attributes: \
                 Grantry cannot connect as it until ALTER ROLE ... LOGIN",
                ident(&request.user)
            ));
        }
        if role_exists && expired {
            plan.notes.push(format!(
                "the role {} cannot log in now: its password expired (VALID UNTIL) or its \
                 connection limit is 0",
                ident(&request.user)
            ));
        }
        plan.notes.extend(notes);
        Ok(plan)
    }

    /// Plans and runs the setup on the server of `integration`, one step (one transaction) per
    /// database, each a dry run or an apply with its audit entry. An apply creates the role in
    /// the first step, then plans the others again; a dry run can run only the first step
    /// while the role does not exist (the others grant to it). `on_step` is told of each
    /// step as it ends (a password generated by the first is shown then, whatever follows).
    pub async fn run(
        &self,
        integration: &str,
        request: &SetupRequest,
        dry_run: bool,
        confirm: Option<&str>,
        on_step: &(dyn Fn(&SetupStepRun) + Send + Sync),
    ) -> Result<SetupRun> {
        let mut plan = self.plan(integration, request).await?;
        let mut out = SetupRun {
            dry_run,
            steps: Vec::new(),
            complete: false,
            error: None,
            notes: plan.notes.clone(),
        };
        let mut i = 0;
        let mut all_ran = true;
        while i < plan.steps.len() {
            let step = plan.steps[i].clone();
            if step.needs_role {
                if !dry_run {
                    // The role exists now: the rest of the setup is planned again.
                    match self.plan(integration, request).await {
                        Ok(p) => plan = p,
                        Err(e) => return Ok(out.stopped(e, &plan, i, on_step)),
                    }
                    continue;
                }
                out.push(
                    on_step,
                    SetupStepRun {
                        database: step.database,
                        purpose: step.purpose,
                        result: None,
                        note: Some(format!(
                            "not dry-run: it grants to {}, which the first step creates",
                            ident(&request.user)
                        )),
                    },
                );
                all_ran = false;
                i += 1;
                continue;
            }
            let at = ident(&step.database);
            let in_db = |e: Error| Error {
                message: format!("database {at}: {}", e.message),
                ..e
            };
            let pv = match self
                .privileges
                .plan(integration, Some(&step.database), &step.changes)
                .await
            {
                Ok(pv) => pv,
                Err(e) if out.steps.is_empty() => return Err(in_db(e)),
                Err(e) => return Ok(out.stopped(in_db(e), &plan, i, on_step)),
            };
            if pv.plan.statements.is_empty() && pv.plan.blocking.is_empty() {
                out.push(
                    on_step,
                    SetupStepRun {
                        database: step.database,
                        purpose: step.purpose,
                        result: None,
                        note: Some("nothing to do: done already".into()),
                    },
                );
                i += 1;
                continue;
            }
            let r = match self
                .privileges
                .run_plan_value(
                    integration,
                    Some(&step.database),
                    &pv.plan,
                    dry_run,
                    confirm,
                )
                .await
            {
                Ok(r) => r,
                Err(e) if out.steps.is_empty() => return Err(in_db(e)),
                Err(e) => return Ok(out.stopped(in_db(e), &plan, i, on_step)),
            };
            let went_through = matches!(
                (r.report.outcome, dry_run),
                (RunOutcome::Committed, false) | (RunOutcome::RolledBack, true)
            ) && (!dry_run || pv.plan.blocking.is_empty());
            out.push(
                on_step,
                SetupStepRun {
                    database: step.database,
                    purpose: step.purpose,
                    result: Some(r),
                    note: (!pv.plan.blocking.is_empty()).then(|| {
                        format!(
                            "the administrator cannot carry out: {}",
                            pv.plan.blocking.join("; ")
                        )
                    }),
                },
            );
            if !went_through {
                let message = out.steps[out.steps.len() - 1]
                    .result
                    .as_ref()
                    .map(|r| r.report.message.clone())
                    .unwrap_or_default();
                let e = Error::new(
                    if dry_run {
                        crate::error::ErrorCode::Refused
                    } else {
                        crate::error::ErrorCode::RolledBack
                    },
                    message,
                );
                return Ok(out.stopped(in_db(e), &plan, i, on_step));
            }
            i += 1;
        }
        out.complete = all_ran;
        Ok(out)
    }
}

fn platform_name_of(c: &Connection) -> &'static str {
    match c {
        Connection::SelfHosted(_) => "self-hosted PostgreSQL",
        Connection::AwsRds(_) => "AWS RDS / Aurora",
        Connection::Azure(_) => "Azure Database for PostgreSQL",
    }
}

impl SetupRun {
    fn push(&mut self, on_step: &(dyn Fn(&SetupStepRun) + Send + Sync), s: SetupStepRun) {
        on_step(&s);
        self.steps.push(s);
    }

    /// The run, stopped by `e` at step `i` of `plan`.
    fn stopped(
        mut self,
        e: Error,
        plan: &SetupPlan,
        i: usize,
        on_step: &(dyn Fn(&SetupStepRun) + Send + Sync),
    ) -> SetupRun {
        let step = &plan.steps[i];
        if self.steps.last().map(|s| &s.database) != Some(&step.database) {
            self.push(
                on_step,
                SetupStepRun {
                    database: step.database.clone(),
                    purpose: step.purpose.clone(),
                    result: None,
                    note: Some(e.message.clone()),
                },
            );
        }
        let later = plan.steps.len() - i - 1;
        let at = ident(&plan.steps[i].database);
        if self.dry_run {
            self.notes.push(format!(
                "stopped at database {at}: the {later} later step(s) were not dry-run"
            ));
        } else {
            self.notes.push(format!(
                "stopped at database {at}: the steps before it stay applied and the {later} \
                 later step(s) did not run; once the cause above is fixed, running the setup \
                 again finishes it"
            ));
        }
        self.error = Some(e);
        self
    }
}

/// The platform a saved integration is on, with the login it uses.
pub fn platform_of(c: &Connection) -> Platform {
    match c {
        Connection::SelfHosted(_) => Platform::SelfHosted,
        Connection::AwsRds(r) => Platform::AwsRds {
            iam: r.auth == DbAuth::Iam,
        },
        Connection::Azure(a) => Platform::Azure {
            entra: a.uses_token(),
        },
    }
}

fn platform_title(p: Platform) -> &'static str {
    match p {
        Platform::SelfHosted => "self-hosted PostgreSQL, password login",
        Platform::AwsRds { iam: true } => "AWS RDS / Aurora, IAM login",
        Platform::AwsRds { iam: false } => "AWS RDS / Aurora, password login",
        Platform::Azure { entra: true } => "Azure Database for PostgreSQL, Entra ID login",
        Platform::Azure { entra: false } => "Azure Database for PostgreSQL, password login",
    }
}

fn admin_of(p: Platform) -> &'static str {
    match p {
        Platform::SelfHosted => "a superuser",
        Platform::AwsRds { .. } => "the master user",
        Platform::Azure { entra: true } => "an Entra administrator of the server",
        Platform::Azure { entra: false } => "the server's administrator",
    }
}

/// A database the platform keeps for itself (or one that takes no connections).
fn platform_database(p: Platform, name: &str) -> bool {
    name == "template0"
        || match p {
            Platform::SelfHosted => false,
            Platform::AwsRds { .. } => name == "rdsadmin",
            Platform::Azure { .. } => name == "azure_sys" || name == "azure_maintenance",
        }
}

/// The platform's role a connector joins, and the login role of a token login.
fn platform_roles(p: Platform) -> Vec<&'static str> {
    match p {
        Platform::SelfHosted => vec!["pg_read_all_stats"],
        Platform::AwsRds { iam } => {
            let mut r = vec!["rds_superuser", "pg_read_all_stats"];
            if iam {
                r.push("rds_iam");
            }
            r
        }
        Platform::Azure { .. } => vec!["azure_pg_admin", "pg_read_all_stats"],
    }
}

fn check_request(r: &SetupRequest) -> Result<()> {
    crate::privileges::check_new_role_name(&r.user).map_err(|e| e.at("user"))?;
    if r.user.contains('\0') {
        return Err(Error::invalid("a role name holds no NUL character").at("user"));
    }
    // Grantry logs in as the connector: a name it cannot log in with is no connector.
    if let Some(m) = crate::integrations::kinds::self_hosted::login_name_problem(&r.user) {
        return Err(Error::invalid(m).at("user"));
    }
    Ok(())
}

const DEFAULT_TYPES: [DefaultObjectType; 3] = [
    DefaultObjectType::Tables,
    DefaultObjectType::Sequences,
    DefaultObjectType::Functions,
];

fn default_kind(t: DefaultObjectType) -> ObjectKind {
    match t {
        DefaultObjectType::Sequences => ObjectKind::Sequence,
        DefaultObjectType::Functions => ObjectKind::Function,
        _ => ObjectKind::Table,
    }
}

/// The changes of the first step: the role and its memberships.
fn role_changes(request: &SetupRequest, role_exists: bool) -> Vec<Change> {
    let user = &request.user;
    let token = matches!(
        request.platform,
        Platform::AwsRds { iam: true } | Platform::Azure { entra: true }
    );
    let mut out = Vec::new();
    if !role_exists {
        out.push(Change::CreateRole {
            name: user.clone(),
            login: true,
            password: if token {
                NewPassword::None
            } else {
                NewPassword::GenerateShowOnce
            },
            valid_until: None,
            in_roles: vec![],
            // Every platform's: on RDS too, rds_superuser carries no role attributes (the master
            // user has CREATEROLE of its own).
            createrole: Some(true),
        });
    }
    for role in platform_roles(request.platform) {
        out.push(Change::GrantRole {
            role: role.into(),
            to: user.clone(),
            admin: false,
            inherit: None,
            set: None,
            granted_by: None,
        });
    }
    out
}

/// The changes of one database: ALL, with the grant option, on it, its schemas and their
/// tables, sequences and functions, and as default privileges.
fn database_changes(user: &str, db: &DatabaseScope, version_num: i32) -> Vec<Change> {
    let to = vec![user.to_string()];
    let all = |k: ObjectKind| k.privileges(version_num).iter().collect::<Vec<_>>();
    let mut out = vec![Change::Grant {
        privileges: all(ObjectKind::Database),
        on: Target::Object {
            kind: ObjectKind::Database,
            schema: None,
            name: db.name.clone(),
            args: None,
            columns: vec![],
        },
        to: to.clone(),
        with_grant_option: true,
        granted_by: None,
    }];
    for s in &db.schemas {
        out.push(Change::Grant {
            privileges: all(ObjectKind::Schema),
            on: Target::Object {
                kind: ObjectKind::Schema,
                schema: None,
                name: s.clone(),
                args: None,
                columns: vec![],
            },
            to: to.clone(),
            with_grant_option: true,
            granted_by: None,
        });
        for kind in [
            ObjectKind::Table,
            ObjectKind::Sequence,
            ObjectKind::Function,
        ] {
            if kind == ObjectKind::Function {
                if let Some(own) = db.routines.get(s) {
                    // An extension's routines are left out: one grant per other function.
                    for (name, args) in own {
                        out.push(Change::Grant {
                            privileges: all(kind),
                            on: Target::Object {
                                kind,
                                schema: Some(s.clone()),
                                name: name.clone(),
                                args: Some(args.clone()),
                                columns: vec![],
                            },
                            to: to.clone(),
                            with_grant_option: true,
                            granted_by: None,
                        });
                    }
                    continue;
                }
            }
            out.push(Change::Grant {
                privileges: all(kind),
                on: Target::AllInSchema {
                    kind,
                    schema: s.clone(),
                },
                to: to.clone(),
                with_grant_option: true,
                granted_by: None,
            });
        }
    }
    for t in DEFAULT_TYPES {
        out.push(Change::DefaultPrivileges {
            grant: true,
            for_role: None,
            in_schema: None,
            on: t,
            privileges: all(default_kind(t)),
            roles: to.clone(),
            with_grant_option: true,
        });
    }
    out
}

/// The steps and the script for `scope` (the first database is where the role is created).
fn build(
    request: &SetupRequest,
    scope: &[DatabaseScope],
    role_exists: bool,
    version_num: i32,
) -> SetupPlan {
    let mut steps = Vec::new();
    for (i, db) in scope.iter().enumerate() {
        let mut changes = Vec::new();
        let mut purpose = format!("grant on database {} and its schemas", ident(&db.name));
        if i == 0 {
            changes.extend(role_changes(request, role_exists));
            purpose = format!(
                "{} {}, its memberships, and {purpose}",
                if role_exists { "set up" } else { "create" },
                ident(&request.user)
            );
        }
        changes.extend(database_changes(&request.user, db, version_num));
        steps.push(SetupStep {
            database: db.name.clone(),
            purpose,
            changes,
            needs_role: i > 0 && !role_exists,
        });
    }
    SetupPlan {
        request: request.clone(),
        role_exists,
        steps,
        script: script(request, scope, role_exists, true),
        notes: Vec::new(),
    }
}

/// The setup without a server.
fn offline(request: &SetupRequest, databases: &[String], schemas: &[String]) -> Result<SetupPlan> {
    check_request(request)?;
    let databases: Vec<String> = if databases.is_empty() {
        vec!["postgres".into(), "template1".into()]
    } else {
        databases.to_vec()
    };
    let schemas: Vec<String> = if schemas.is_empty() {
        vec!["public".into()]
    } else {
        schemas.to_vec()
    };
    // A name PostgreSQL can hold: 1 to 63 bytes, no NUL.
    let check_name = |what: &str, name: &str| {
        if name.is_empty() || name.len() > 63 || name.contains('\0') {
            return Err(Error::invalid(format!(
                "{what} name {}: a name has 1 to 63 bytes and no NUL",
                crate::quote::escape_controls(&ident(name))
            ))
            .at(what));
        }
        Ok(())
    };
    for d in &databases {
        check_name("database", d)?;
        if platform_database(request.platform, d) {
            return Err(Error::invalid(format!(
                "database {} is the platform's own: the connector's setup leaves it alone",
                ident(d)
            ))
            .at("database"));
        }
    }
    for s in &schemas {
        check_name("schema", s)?;
        // The system's schemas, as the server's setup leaves them out (schemas.sql): ALL on
        // pg_catalog would let the connector read pg_authid's password verifiers.
        if s.starts_with("pg_") || s == "information_schema" {
            return Err(Error::invalid(format!(
                "schema {} is the system's: the connector's setup leaves it alone",
                crate::quote::escape_controls(&ident(s))
            ))
            .at("schema"));
        }
    }
    let scope: Vec<DatabaseScope> = databases
        .iter()
        .map(|d| DatabaseScope {
            name: d.clone(),
            // template1 usually holds only public; every database gets the schemas named.
            schemas: schemas.clone(),
            // Unknown without a server: the script grants no ALL FUNCTIONS (see script()).
            routines: Default::default(),
        })
        .collect();
    let mut plan = SetupPlan {
        request: request.clone(),
        role_exists: false,
        steps: Vec::new(),
        script: script(request, &scope, false, false),
        notes: Vec::new(),
    };
    plan.notes.push(
        "written without a server: it names only the databases and schemas given, and grants \
         on no existing function (ALL FUNCTIONS IN SCHEMA would take in an extension's, such \
         as dblink_connect_u); a setup planned against the server covers every database, \
         schema and function but an extension's"
            .into(),
    );
    Ok(plan)
}

/// The setup as a psql script: the role and its memberships, then each database after a
/// `\connect`, every statement from the one renderer.
///
/// `known`: the scope was read from the server, so a schema's functions are granted as the
/// steps grant them (ALL FUNCTIONS, or one by one where an extension's routines are). Without
/// the server no ALL FUNCTIONS is written: it would take in an extension's functions (dblink's
/// dblink_connect_u, which PUBLIC may not run) that nobody knows are there.
fn script(
    request: &SetupRequest,
    scope: &[DatabaseScope],
    role_exists: bool,
    known: bool,
) -> String {
    let user = &request.user;
    let to = vec![user.clone()];
    let p = request.platform;
    let mut out = String::new();
    let line = |out: &mut String, text: &str| {
        out.push_str(&comment(text));
        out.push('\n');
    };
    line(
        &mut out,
        &format!(
            "Grantry's connector {} ({})",
            ident(user),
            platform_title(p)
        ),
    );
    // A fixed text with a backslash of its own, written as it is (comment() escapes one).
    out.push_str(&format!(
        "-- Run with psql as {}: \\connect moves between databases.\n",
        admin_of(p)
    ));
    if let Some(first) = scope.first() {
        out.push_str(&render::psql_connect(&first.name));
        out.push('\n');
    }
    let mut stmts: Vec<String> = Vec::new();
    if !role_exists {
        match p {
            Platform::Azure { entra: true } => {
                stmts.push(render::entra_principal(user));
                stmts.push(render::alter_role_createrole(user));
            }
            _ => stmts.push(render::create_role(&render::NewRole {
                name: user,
                attributes: render::RoleAttributes {
                    login: true,
                    createrole: true,
                },
                verifier: None,
                valid_until: None,
                in_roles: &[],
            })),
        }
    } else {
        stmts.push(render::alter_role_createrole(user));
    }
    for role in platform_roles(p) {
        stmts.push(render::grant_role(
            role,
            user,
            &render::MembershipOptions {
                admin: false,
                inherit: None,
                set: None,
                v16: false,
                granted_by: None,
            },
        ));
    }
    out.push_str(&render::script(stmts.iter().map(|s| (s.as_str(), None))));
    let token = matches!(
        p,
        Platform::AwsRds { iam: true } | Platform::Azure { entra: true }
    );
    if !role_exists && !token {
        let text = "Then give it a password in psql (which sends only a SCRAM verifier):";
        let name = ident(user);
        if crate::quote::escape_controls(&name) == name {
            out.push_str(&format!("-- {text} \\password {name}\n"));
        } else {
            line(&mut out, &format!("{text} \\password {name}"));
        }
    }
    for (i, db) in scope.iter().enumerate() {
        out.push('\n');
        line(
            &mut out,
            &format!(
                "In database {}{}",
                ident(&db.name),
                if db.name == "template1" {
                    " (databases created later copy its schemas' grants and default privileges)"
                } else {
                    ""
                }
            ),
        );
        if i > 0 {
            out.push_str(&render::psql_connect(&db.name));
            out.push('\n');
        }
        let mut stmts = vec![render::grant(
            &render::object(ObjectKind::Database, None, &db.name, None),
            "ALL",
            &to,
            true,
        )];
        for s in &db.schemas {
            stmts.push(render::grant(
                &render::object(ObjectKind::Schema, None, s, None),
                "ALL",
                &to,
                true,
            ));
            for kind in [
                ObjectKind::Table,
                ObjectKind::Sequence,
                ObjectKind::Function,
            ] {
                if kind == ObjectKind::Function {
                    if !known {
                        continue;
                    }
                    if let Some(own) = db.routines.get(s) {
                        for (name, args) in own {
                            stmts.push(render::grant(
                                &render::object(kind, Some(s), name, Some(args)),
                                "ALL",
                                &to,
                                true,
                            ));
                        }
                        continue;
                    }
                }
                stmts.push(render::grant(
                    &render::target(
                        &Target::AllInSchema {
                            kind,
                            schema: s.clone(),
                        },
                        None,
                    ),
                    "ALL",
                    &to,
                    true,
                ));
            }
        }
        for t in DEFAULT_TYPES {
            stmts.push(render::default_privileges(
                None, None, true, t, "ALL", &to, true,
            ));
        }
        out.push_str(&render::script(stmts.iter().map(|s| (s.as_str(), None))));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(platform: Platform, user: &str) -> SetupRequest {
        SetupRequest {
            platform,
            user: user.into(),
        }
    }

    #[test]
    fn each_platform_joins_its_roles() {
        let s = offline(&req(Platform::AwsRds { iam: true }, "grantry"), &[], &[]).unwrap();
        assert!(s.script.contains("GRANT \"rds_superuser\" TO \"grantry\";"));
        assert!(s.script.contains("GRANT \"rds_iam\" TO \"grantry\";"));
        assert!(
            s.script
                .contains("CREATE ROLE \"grantry\" LOGIN CREATEROLE;"),
            "{}",
            s.script
        );
        assert!(!s.script.contains("\\password"));
        assert!(s
            .script
            .contains("-- Run with psql as the master user: \\connect moves between databases.\n"));
        let s = offline(&req(Platform::Azure { entra: true }, "app@x"), &[], &[]).unwrap();
        assert!(s
            .script
            .contains("SELECT * FROM pgaadauth_create_principal('app@x', false, false);"));
        assert!(s.script.contains("ALTER ROLE \"app@x\" CREATEROLE;"));
        assert!(s.script.contains("GRANT \"azure_pg_admin\" TO \"app@x\";"));
        let s = offline(&req(Platform::SelfHosted, "g"), &[], &[]).unwrap();
        assert!(s.script.contains("CREATE ROLE \"g\" LOGIN CREATEROLE;"));
        assert!(s
            .script
            .contains("\\connect -reuse-previous=on '\"dbname=''template1''\"'\n"));
        assert!(s
            .script
            .contains("(which sends only a SCRAM verifier): \\password \"g\"\n"));
        assert!(s
            .script
            .contains("ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO \"g\" WITH GRANT OPTION;"));
    }

    #[test]
    fn names_stay_names_in_the_script() {
        let user = "x\"; DROP ROLE postgres; -- */";
        let db = "d'b\n\\connect postgres";
        let s = offline(
            &req(Platform::SelfHosted, user),
            &[db.to_string()],
            &["s\"c".to_string()],
        )
        .unwrap();
        // The \connect argument is one line, its quote and backslash escaped (psql runs the
        // rest: core/tests/setup.rs).
        assert!(s.script.contains(
            "\n\\connect -reuse-previous=on '\"dbname=''d\\\\''b\\n\\\\\\\\connect postgres''\"'\n"
        ));
        assert!(s
            .script
            .contains("GRANT ALL ON SCHEMA \"s\"\"c\" TO \"x\"\"; DROP ROLE"));
    }

    #[test]
    fn bad_requests_are_refused() {
        for (u, field) in [
            ("", "user"),
            ("public", "user"),
            ("pg_x", "user"),
            ("a\nb", "user"),
        ] {
            let e = offline(&req(Platform::SelfHosted, u), &[], &[]).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(field), "{u}");
        }
        for schema in ["pg_catalog", "pg_toast", "information_schema"] {
            let e = offline(&req(Platform::SelfHosted, "g"), &[], &[schema.into()]).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("schema"), "{schema}");
        }
        let e = offline(
            &req(Platform::Azure { entra: false }, "g"),
            &["azure_sys".into()],
            &[],
        )
        .unwrap_err();
        assert!(e.message.contains("platform's own"), "{}", e.message);
    }

    #[test]
    fn steps_create_the_role_first() {
        let scope = vec![
            DatabaseScope {
                name: "app".into(),
                schemas: vec!["public".into(), "sales".into()],
                ..Default::default()
            },
            DatabaseScope {
                name: "template1".into(),
                schemas: vec!["public".into()],
                ..Default::default()
            },
        ];
        let p = build(&req(Platform::SelfHosted, "g"), &scope, false, 170000);
        assert_eq!(p.steps.len(), 2);
        assert!(matches!(
            p.steps[0].changes[0],
            Change::CreateRole {
                createrole: Some(true),
                password: NewPassword::GenerateShowOnce,
                ..
            }
        ));
        assert!(!p.steps[0].needs_role);
        assert!(p.steps[1].needs_role);
        assert!(p.steps[1]
            .changes
            .iter()
            .all(|c| !matches!(c, Change::CreateRole { .. })));
        let p = build(&req(Platform::SelfHosted, "g"), &scope, true, 170000);
        assert!(!p.steps[1].needs_role);
        assert!(!matches!(p.steps[0].changes[0], Change::CreateRole { .. }));
    }
}
