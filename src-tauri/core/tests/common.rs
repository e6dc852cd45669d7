#![allow(dead_code)]
//! Shared set-up for the core's integration tests.

use grantry_core::integrations::model::{
    CertSource, ConnectionInput, IntegrationInput, SelfHostedInput, SslMode,
};
use grantry_core::privileges::apply::RunOutcome;
use grantry_core::privileges::desired::DesiredState;
use grantry_core::privileges::inspect::Snapshot;
use grantry_core::privileges::parse::parse_change;
use grantry_core::privileges::plan::{Change, Target};
use grantry_core::privileges::service::{ApplyResult, PlanView, WhoCanAnswer};
use grantry_core::privileges::{ObjectKind, ObjectRef, Privilege};
use grantry_core::secrets::{MemoryKeychain, SecretKind, SecretStore};
use grantry_core::{Grantry, OpenOptions, Result, Secret};
use grantry_testrig::{pki, Cluster};
use std::path::Path;
use std::sync::Arc;

pub struct Env {
    pub g: Grantry,
    pub home: tempfile::TempDir,
}

/// Opens Grantry over the data dir `home` with `secrets` (`None`: the OS keychain).
pub async fn try_open(home: &Path, secrets: Option<Arc<dyn SecretStore>>) -> Result<Grantry> {
    Grantry::open(OpenOptions {
        home: Some(home.to_path_buf()),
        secrets,
        pool_idle_timeout: None,
    })
    .await
}

/// [`try_open`], which must succeed.
pub async fn open(home: &Path, secrets: Option<Arc<dyn SecretStore>>) -> Grantry {
    try_open(home, secrets).await.unwrap()
}

/// A Grantry over a fresh data dir with the in-memory keychain (keychain tests use the real one).
pub async fn grantry() -> Env {
    let home = tempfile::tempdir().unwrap();
    let g = open(home.path(), Some(Arc::new(MemoryKeychain::default()))).await;
    Env { g, home }
}

/// A Grantry (as [`grantry`]) with one integration, saved from `input`.
pub async fn grantry_with(input: IntegrationInput) -> Env {
    let env = grantry().await;
    env.g.integrations().add(input).await.unwrap();
    env
}

/// A Grantry (as [`grantry`]) with one integration named `database`, for that database of `c`
/// (over TLS when the cluster has it: the benchmarks' clusters do not).
pub async fn grantry_on(c: &Cluster, database: &str) -> Env {
    grantry_with(input_on(c, database, SslMode::Prefer, database)).await
}

/// The core's calls a test makes again and again, on an integration's own database: `try_…`
/// returns what the core answered, the others expect success.
impl Env {
    pub async fn snapshot(&self, integration: &str) -> Snapshot {
        self.g
            .privileges()
            .snapshot(integration, None, false)
            .await
            .unwrap()
    }

    /// Plans `changes` and keeps the plan for a run.
    pub async fn try_plan(&self, integration: &str, changes: &[Change]) -> Result<PlanView> {
        self.g.privileges().plan(integration, None, changes).await
    }

    pub async fn plan(&self, integration: &str, changes: &[Change]) -> PlanView {
        self.try_plan(integration, changes).await.unwrap()
    }

    /// Plans the difference between `doc` and the database, kept for a run.
    pub async fn try_plan_desired(
        &self,
        integration: &str,
        doc: &DesiredState,
    ) -> Result<PlanView> {
        self.g
            .privileges()
            .plan_desired(integration, None, doc)
            .await
    }

    pub async fn plan_desired(&self, integration: &str, doc: &DesiredState) -> PlanView {
        self.try_plan_desired(integration, doc).await.unwrap()
    }

    /// Runs the kept plan `id`, a dry run or an apply, with no confirmation typed.
    pub async fn try_run(&self, id: &str, dry_run: bool) -> Result<ApplyResult> {
        self.g.privileges().run_plan(id, dry_run, None).await
    }

    pub async fn run(&self, id: &str, dry_run: bool) -> ApplyResult {
        self.try_run(id, dry_run).await.unwrap()
    }

    pub async fn who_can(
        &self,
        integration: &str,
        object: &ObjectRef,
        privilege: Privilege,
    ) -> WhoCanAnswer {
        self.g
            .privileges()
            .who_can(integration, None, object, privilege)
            .await
            .unwrap()
    }
}

/// The table `schema.name`, as a plan's target.
pub fn table(schema: &str, name: &str) -> Target {
    Target::Object {
        kind: ObjectKind::Table,
        schema: Some(schema.into()),
        name: name.into(),
        args: None,
        columns: vec![],
    }
}

/// The table `schema.name`, as the object of a question (its grants, who can).
pub fn table_ref(schema: &str, name: &str) -> ObjectRef {
    ObjectRef {
        kind: ObjectKind::Table,
        schema: Some(schema.into()),
        name: name.into(),
        args: None,
        column: None,
    }
}

/// GRANT one privilege on one target to one role.
pub fn grant(privilege: Privilege, on: Target, to: &str) -> Change {
    Change::Grant {
        privileges: vec![privilege],
        on,
        to: vec![to.into()],
        with_grant_option: false,
        granted_by: None,
    }
}

/// REVOKE one privilege on one target from one role, without CASCADE.
pub fn revoke(privilege: Privilege, on: Target, from: &str) -> Change {
    Change::Revoke {
        privileges: vec![privilege],
        on,
        from: vec![from.into()],
        grant_option_only: false,
        cascade: false,
        granted_by: None,
    }
}

/// The changes written in the one-line syntax (`grant SELECT on table:s.t to bob`).
pub fn changes(lines: &[&str]) -> Vec<Change> {
    lines.iter().map(|l| parse_change(l).unwrap()).collect()
}

/// Checks that the run ended as `expected` (what it said otherwise).
#[track_caller]
pub fn assert_outcome(r: &ApplyResult, expected: RunOutcome) {
    assert_eq!(r.report.outcome, expected, "{}", r.report.message);
}

/// Applies the plan the core keeps under `id` and checks that it committed.
pub async fn applied(env: &Env, id: &str) -> ApplyResult {
    let r = env.run(id, false).await;
    assert_outcome(&r, RunOutcome::Committed);
    r
}

/// Plans `changes` on the integration named `integration`, applies them and checks they committed.
pub async fn apply(env: &Env, integration: &str, changes: &[Change]) -> ApplyResult {
    let pv = env.plan(integration, changes).await;
    applied(env, &pv.id).await
}

pub fn input(c: &Cluster, name: &str, mode: SslMode) -> IntegrationInput {
    IntegrationInput {
        name: name.into(),
        connection: ConnectionInput::SelfHosted(SelfHostedInput {
            host: "localhost".into(),
            port: Some(c.port as i64),
            username: c.superuser.clone(),
            password: Some(c.password.clone()),
            sslmode: Some(mode),
            ca_cert: matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull).then(|| {
                CertSource::File {
                    path: pki().ca_cert.display().to_string(),
                }
            }),
            connect_timeout_secs: Some(5),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// [`input`] for database `database` of `c`.
pub fn input_on(c: &Cluster, name: &str, mode: SslMode, database: &str) -> IntegrationInput {
    input(c, name, mode).with_self_hosted(|s| s.database = Some(database.into()))
}

/// [`input`] for database `database` of `c`, over TLS, logging in as `user` with `password`.
pub fn login_input(
    c: &Cluster,
    name: &str,
    user: &str,
    password: &str,
    database: &str,
) -> IntegrationInput {
    input(c, name, SslMode::Require).with_self_hosted(|s| {
        s.username = user.into();
        s.password = secret(password);
        s.database = Some(database.into());
    })
}

pub fn secret(s: &str) -> Option<Secret> {
    Some(Secret::new(s))
}

/// The password `store` keeps for the integration with id `id`.
pub fn stored_password(store: &dyn SecretStore, id: &str) -> Option<Secret> {
    store.get(id, SecretKind::Password).unwrap()
}

/// The table privileges of PostgreSQL `major`, as SQL writes them (MAINTAIN from 17 on).
pub fn table_privileges(major: u32) -> Vec<&'static str> {
    let mut all = vec![
        "SELECT",
        "INSERT",
        "UPDATE",
        "DELETE",
        "TRUNCATE",
        "REFERENCES",
        "TRIGGER",
    ];
    if major >= 17 {
        all.push("MAINTAIN");
    }
    all
}

/// An exported SQL script made for database `from`, edited to run in database `to` (its
/// database-level grants and its guard name the database).
pub fn retarget(sql: &str, from: &str, to: &str) -> String {
    sql.replace(
        &format!("DATABASE \"{from}\""),
        &format!("DATABASE \"{to}\""),
    )
    .replace(&format!("<> '{from}' THEN"), &format!("<> '{to}' THEN"))
    .replace(
        &format!("%', '{from}', current_database()"),
        &format!("%', '{to}', current_database()"),
    )
}

/// The prerequisite `id` of a connection report, which must be there.
pub fn prerequisite(
    report: &grantry_core::connect::ConnectionReport,
    id: &str,
) -> grantry_core::connect::prerequisites::Prerequisite {
    report
        .prerequisites
        .iter()
        .find(|p| p.id == id)
        .unwrap_or_else(|| panic!("no prerequisite {id}: {:#?}", report.prerequisites))
        .clone()
}

/// A token minted for a login (an IAM token, an Entra ID access token) is used once and kept
/// nowhere: in no file under GRANTRY_HOME, no secret of any integration in the keychain, no
/// answer the UI or CLI gets (`answers`, serialized).
pub async fn assert_token_kept_nowhere(env: &Env, token: &str, answers: &[String]) {
    assert!(token.len() > 40, "not a token: {token:?}");
    // The signature (or the JWT's) is the part that must not travel: look for its tail too.
    let tail = &token[token.len() - 32..];
    for needle in [token, tail] {
        let hits = files_with(env.home.path(), needle.as_bytes());
        assert!(hits.is_empty(), "a minted token is in {hits:?}");
        for a in answers {
            assert!(!a.contains(needle), "a minted token is in an answer: {a}");
        }
    }
    for it in env.g.integrations().list().await.unwrap() {
        for kind in grantry_core::secrets::SecretKind::ALL {
            let id = it.id.clone();
            let saved = env
                .g
                .app()
                .secrets()
                .keychain(move |k| k.get(&id, kind))
                .await
                .unwrap();
            assert!(
                saved.as_ref().map(Secret::expose) != Some(token),
                "a minted token is saved as {kind:?} of {}",
                it.name
            );
            assert!(
                env.g
                    .app()
                    .secrets()
                    .session_get(&it.id, kind)
                    .map(|s| s.expose().to_string())
                    != Some(token.to_string())
            );
        }
    }
}

/// The files under `dir` whose bytes hold `needle`.
pub fn files_with(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            hits.extend(files_with(&path, needle));
        } else if std::fs::read(&path)
            .map(|b| b.windows(needle.len()).any(|w| w == needle))
            .unwrap_or(false)
        {
            hits.push(path.display().to_string());
        }
    }
    hits
}
