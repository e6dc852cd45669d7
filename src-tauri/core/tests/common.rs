#![allow(dead_code)]
//! Shared set-up for the core's integration tests.

use grantry_core::integrations::model::{
    CertSource, ConnectionInput, IntegrationInput, SelfHostedInput, SslMode,
};
use grantry_core::privileges::apply::RunOutcome;
use grantry_core::privileges::plan::Change;
use grantry_core::privileges::service::ApplyResult;
use grantry_core::secrets::MemoryKeychain;
use grantry_core::{Grantry, OpenOptions, Secret};
use grantry_testrig::{pki, Cluster};
use std::sync::Arc;

pub struct Env {
    pub g: Grantry,
    pub home: tempfile::TempDir,
}

/// A Grantry over a fresh data dir with the in-memory keychain (keychain tests use the real one).
pub async fn grantry() -> Env {
    let home = tempfile::tempdir().unwrap();
    let g = Grantry::open(OpenOptions {
        home: Some(home.path().to_path_buf()),
        secrets: Some(Arc::new(MemoryKeychain::default())),
        pool_idle_timeout: None,
    })
    .await
    .unwrap();
    Env { g, home }
}

/// A Grantry (as [`grantry`]) with one integration named `database`, for that database of `c`
/// (over TLS when the cluster has it: the benchmarks' clusters do not).
pub async fn grantry_on(c: &Cluster, database: &str) -> Env {
    let env = grantry().await;
    let mut inp = input(c, database, SslMode::Prefer);
    inp = inp.with_self_hosted(|s| s.database = Some(database.into()));
    env.g.integrations().add(inp).await.unwrap();
    env
}

/// Applies the plan the core keeps under `id` and checks that it committed.
pub async fn applied(env: &Env, id: &str) -> ApplyResult {
    let r = env.g.privileges().run_plan(id, false, None).await.unwrap();
    assert_eq!(
        r.report.outcome,
        RunOutcome::Committed,
        "{}",
        r.report.message
    );
    r
}

/// Plans `changes` on the integration named `integration`, applies them and checks they committed.
pub async fn apply(env: &Env, integration: &str, changes: &[Change]) -> ApplyResult {
    let pv = env
        .g
        .privileges()
        .plan(integration, None, changes)
        .await
        .unwrap();
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

pub fn secret(s: &str) -> Option<Secret> {
    Some(Secret::new(s))
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
