//! The local sandbox: a throwaway PostgreSQL cluster in the app's data directory, seeded with a
//! realistic sample (databases, schemas, a few thousand tables, a role hierarchy with grants and a
//! pg_stat_statements workload), saved as the integration `sandbox`.
//!
//! Its superuser has no usable password: Grantry reaches it over a Unix socket that only the
//! cluster's OS user (and root) can open, so the sandbox needs no secret at all.

pub mod localpg;

use crate::app::App;
use crate::error::{Error, ErrorCode, Result};
use crate::integrations::model::{
    ConnectionInput, Environment, IntegrationInput, SelfHostedInput, SslMode,
};
use crate::integrations::Integrations;
use crate::sandbox::localpg::{free_port, is_root, ClusterSpec, LocalCluster, PgBinaries};
use crate::secrets::Secret;
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection as _, Executor as _};
use std::path::PathBuf;
use ts_rs::TS;

pub const SANDBOX_NAME: &str = "sandbox";
const SUPERUSER: &str = "grantry";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum SandboxState {
    /// Never created (or removed).
    Absent,
    Stopped,
    Running,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SandboxStatus {
    pub state: SandboxState,
    pub data_dir: Option<String>,
    pub port: Option<u16>,
    pub version: Option<String>,
    /// Name of the saved integration, when there is one.
    pub integration: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SandboxFile {
    base_dir: PathBuf,
    port: u16,
    bindir: PathBuf,
}

struct Seed {
    database: &'static str,
    sql: &'static str,
    workload: Option<&'static str>,
}

const SEEDS: &[Seed] = &[
    Seed {
        database: "shop",
        sql: include_str!("sql/shop.sql"),
        workload: Some(include_str!("sql/workload.sql")),
    },
    Seed {
        database: "analytics",
        sql: include_str!("sql/analytics.sql"),
        workload: Some(include_str!("sql/workload_analytics.sql")),
    },
    Seed {
        database: "hr",
        sql: include_str!("sql/hr.sql"),
        workload: None,
    },
];
const ROLES_SQL: &str = include_str!("sql/roles.sql");

fn sb_err(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::LocalPostgres, message)
}

/// The local sandbox cluster (`grantry.sandbox()`).
pub struct Sandbox {
    pub(crate) app: std::sync::Arc<App>,
}

impl Sandbox {
    fn integrations(&self) -> Integrations {
        Integrations {
            app: self.app.clone(),
        }
    }

    fn sandbox_file(&self) -> PathBuf {
        self.app.home().root().join("sandbox.json")
    }

    fn sandbox_base_dir(&self) -> PathBuf {
        if is_root() {
            // The cluster runs as the postgres OS user, who cannot enter root's home.
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            self.app.home().root().hash(&mut h);
            PathBuf::from(format!("/var/tmp/grantry-sandbox-{:016x}", h.finish()))
        } else {
            self.app.home().sandbox_dir()
        }
    }

    fn read_sandbox_file(&self) -> Result<Option<SandboxFile>> {
        match std::fs::read_to_string(self.sandbox_file()) {
            Ok(t) => serde_json::from_str(&t)
                .map(Some)
                .map_err(|e| Error::local_store(format!("sandbox.json is unreadable: {e}"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::local_store(format!("cannot read sandbox.json: {e}"))),
        }
    }

    fn sandbox_cluster(&self, f: &SandboxFile) -> Result<LocalCluster> {
        Ok(LocalCluster::existing(
            PgBinaries::at(&f.bindir)?,
            f.base_dir.clone(),
            f.port,
        ))
    }

    pub async fn status(&self) -> Result<SandboxStatus> {
        let integration = self
            .integrations()
            .list()
            .await?
            .into_iter()
            .find(|i| i.is_sandbox)
            .map(|i| i.name);
        let Some(f) = self.read_sandbox_file()? else {
            return Ok(SandboxStatus {
                state: SandboxState::Absent,
                data_dir: None,
                port: None,
                version: None,
                integration,
            });
        };
        let cluster = self.sandbox_cluster(&f)?;
        let state = if !cluster.data_dir().join("PG_VERSION").exists() {
            SandboxState::Absent
        } else if cluster.is_running() {
            SandboxState::Running
        } else {
            SandboxState::Stopped
        };
        Ok(SandboxStatus {
            state,
            data_dir: Some(cluster.data_dir().display().to_string()),
            port: Some(f.port),
            version: Some(cluster.bin.version.clone()),
            integration,
        })
    }

    /// Creates (first time), starts and registers the sandbox. `progress` receives short messages.
    pub async fn start(&self, progress: &(dyn Fn(&str) + Send + Sync)) -> Result<SandboxStatus> {
        let existing = self.read_sandbox_file()?;
        let (cluster, fresh) = match existing {
            Some(f) if f.base_dir.join("data").join("PG_VERSION").exists() => {
                (self.sandbox_cluster(&f)?, false)
            }
            _ => {
                progress("looking for PostgreSQL binaries");
                let bin = PgBinaries::find()?;
                let base_dir = self.sandbox_base_dir();
                if base_dir.exists() {
                    std::fs::remove_dir_all(&base_dir)
                        .map_err(|e| sb_err(format!("cannot clear {}: {e}", base_dir.display())))?;
                }
                let port = free_port()?;
                progress(&format!("creating a PostgreSQL {} cluster", bin.version));
                let spec = ClusterSpec {
                    base_dir: base_dir.clone(),
                    port,
                    listen_addresses: "127.0.0.1".into(),
                    superuser: SUPERUSER.into(),
                    // Thrown away: the superuser logs in over the private socket only.
                    password: Secret::generate(32),
                    ssl: None,
                    hba: None,
                    preload_pg_stat_statements: true,
                    extra_conf: vec![],
                };
                let bindir = bin.bindir.clone();
                let cluster = tokio::task::spawn_blocking(move || LocalCluster::init(bin, &spec))
                    .await
                    .map_err(|e| Error::internal(e.to_string()))??;
                let file = SandboxFile {
                    base_dir,
                    port,
                    bindir,
                };
                std::fs::write(
                    self.sandbox_file(),
                    serde_json::to_string_pretty(&file).unwrap(),
                )
                .map_err(|e| Error::local_store(format!("cannot write sandbox.json: {e}")))?;
                (cluster, true)
            }
        };
        if !cluster.is_running() {
            progress("starting the sandbox server");
            let c = cluster.clone();
            tokio::task::spawn_blocking(move || c.start())
                .await
                .map_err(|e| Error::internal(e.to_string()))??;
        }
        if fresh {
            seed(&cluster, progress).await?;
        }
        self.ensure_sandbox_integration(&cluster).await?;
        progress("sandbox ready");
        self.status().await
    }

    async fn ensure_sandbox_integration(&self, cluster: &LocalCluster) -> Result<()> {
        let host = cluster.socket_dir().display().to_string();
        let input = IntegrationInput {
            name: SANDBOX_NAME.into(),
            environment: Some(Environment::Development),
            connection: ConnectionInput::SelfHosted(SelfHostedInput {
                host: host.clone(),
                port: Some(cluster.port as i64),
                database: Some("shop".into()),
                username: SUPERUSER.into(),
                sslmode: Some(SslMode::Disable),
                ..Default::default()
            }),
            ..Default::default()
        };
        match self
            .integrations()
            .list()
            .await?
            .into_iter()
            .find(|i| i.is_sandbox)
        {
            Some(it) => {
                let e = it.connection.endpoint();
                if e.host != host || e.port != cluster.port {
                    self.integrations()
                        .update(
                            &it.id,
                            IntegrationInput {
                                name: it.name.clone(),
                                ..input
                            },
                        )
                        .await?;
                }
            }
            None => {
                if self.app.store().find(SANDBOX_NAME).await?.is_some() {
                    return Err(Error::new(
                        ErrorCode::DuplicateName,
                        "an integration named \"sandbox\" already exists and is not the sandbox: rename it first",
                    ));
                }
                self.integrations().add_as(input, true).await?;
            }
        }
        Ok(())
    }

    pub async fn stop(&self) -> Result<SandboxStatus> {
        let f = self
            .read_sandbox_file()?
            .ok_or_else(|| Error::not_found("there is no sandbox"))?;
        let cluster = self.sandbox_cluster(&f)?;
        if let Some(it) = self
            .integrations()
            .list()
            .await?
            .into_iter()
            .find(|i| i.is_sandbox)
        {
            self.app.forget_pools(&it.id).await;
        }
        if cluster.is_running() {
            tokio::task::spawn_blocking(move || cluster.stop())
                .await
                .map_err(|e| Error::internal(e.to_string()))??;
        }
        self.status().await
    }

    /// What the app does at launch: with no integration saved, create the sandbox; when the
    /// sandbox exists but is stopped, start it. Returns `None` when there is nothing to do.
    pub async fn ensure_default(
        &self,
        progress: &(dyn Fn(&str) + Send + Sync),
    ) -> Result<Option<SandboxStatus>> {
        let list = self.integrations().list().await?;
        let wants = list.is_empty() || list.iter().any(|i| i.is_sandbox);
        if !wants {
            return Ok(None);
        }
        let status = self.status().await?;
        if status.state == SandboxState::Running && status.integration.is_some() {
            return Ok(Some(status));
        }
        self.start(progress).await.map(Some)
    }
}

async fn connect_superuser(cluster: &LocalCluster, database: &str) -> Result<PgConnection> {
    PgConnectOptions::new_without_pgpass()
        .socket(cluster.socket_dir())
        .port(cluster.port)
        .username(SUPERUSER)
        .database(database)
        .log_statements(tracing::log::LevelFilter::Trace)
        .connect()
        .await
        .map_err(|e| sb_err("cannot connect to the sandbox").with_detail(e.to_string()))
}

fn statements(sql: &str) -> Vec<String> {
    // Seed files are written one statement per `;`-terminated block; DO blocks use $$ quoting.
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_dollar = false;
    for line in sql.lines() {
        let t = line.trim();
        if cur.is_empty() && (t.is_empty() || t.starts_with("--")) {
            continue;
        }
        cur.push_str(line);
        cur.push('\n');
        in_dollar ^= line.matches("$$").count() % 2 == 1;
        if !in_dollar && t.ends_with(';') {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

async fn run_script(conn: &mut PgConnection, sql: &str, what: &str) -> Result<()> {
    for stmt in statements(sql) {
        conn.execute(stmt.as_str()).await.map_err(|e| {
            sb_err(format!("seeding {what} failed")).with_detail(format!("{e}\n{stmt}"))
        })?;
    }
    Ok(())
}

async fn seed(cluster: &LocalCluster, progress: &(dyn Fn(&str) + Send + Sync)) -> Result<()> {
    progress("creating roles and databases");
    let mut conn = connect_superuser(cluster, "postgres").await?;
    run_script(&mut conn, ROLES_SQL, "roles").await?;
    conn.close().await.ok();
    for s in SEEDS {
        progress(&format!("seeding database {}", s.database));
        let mut conn = connect_superuser(cluster, s.database).await?;
        run_script(&mut conn, s.sql, s.database).await?;
        if let Some(w) = s.workload {
            progress(&format!("running a sample workload on {}", s.database));
            run_workload(&mut conn, w).await?;
        }
        conn.close().await.ok();
    }
    Ok(())
}

/// Runs each statement of the workload several times as its role, so pg_stat_statements shows
/// realistic per-user counters.
async fn run_workload(conn: &mut PgConnection, script: &str) -> Result<()> {
    let mut role = None::<String>;
    let mut plan: Vec<(String, String)> = Vec::new();
    for line in script.lines() {
        let t = line.trim();
        if let Some(r) = t.strip_prefix("--@") {
            role = Some(r.trim().to_string());
        } else if !t.is_empty() && !t.starts_with("--") {
            let r = role
                .clone()
                .ok_or_else(|| sb_err("workload statement before any --@ role line"))?;
            plan.push((r, t.to_string()));
        }
    }
    for (i, (role, stmt)) in plan.iter().enumerate() {
        conn.execute(format!("SET ROLE {}", crate::quote::ident(role)).as_str())
            .await
            .map_err(|e| sb_err("workload failed").with_detail(e.to_string()))?;
        for _ in 0..(3 + i * 7 % 40) {
            conn.execute(stmt.as_str()).await.map_err(|e| {
                sb_err(format!("workload statement failed as {role}"))
                    .with_detail(format!("{e}\n{stmt}"))
            })?;
        }
        conn.execute("RESET ROLE")
            .await
            .map_err(|e| sb_err(e.to_string()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_statements_with_do_blocks() {
        let s = statements(
            "-- c\nCREATE TABLE a (x int);\nDO $$\nBEGIN\n  PERFORM 1;\nEND $$;\nSELECT 1;\n",
        );
        assert_eq!(s.len(), 3);
        assert!(s[1].starts_with("DO $$") && s[1].contains("PERFORM 1;"));
        for seed in SEEDS {
            assert!(statements(seed.sql)
                .iter()
                .all(|st| st.trim_end().ends_with(';')));
        }
    }
}
