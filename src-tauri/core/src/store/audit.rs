//! The `audit_log` table: one row per dry run or apply.

use super::Store;
use crate::error::{Error, Result};
use serde::Serialize;
use ts_rs::TS;

/// The audit record of a run.
#[derive(Debug, Clone, Serialize, TS, sqlx::FromRow)]
pub struct AuditEntry {
    #[ts(type = "number")]
    pub id: i64,
    pub at: String,
    pub os_user: String,
    pub database_user: String,
    pub integration_id: String,
    pub integration_name: String,
    pub database_name: String,
    pub action: String,
    pub sql: String,
    pub outcome: String,
    pub error: Option<String>,
    #[ts(type = "number")]
    pub duration_ms: i64,
    #[ts(type = "number")]
    pub statements: i64,
    /// JSON: the access changes an apply promised and the fingerprint it was planned against.
    #[serde(skip)]
    #[ts(skip)]
    pub expected: Option<String>,
    /// The process running it, while it is "started".
    #[serde(skip)]
    #[ts(skip)]
    pub pid: Option<i64>,
    /// The server's transaction id of an apply (txid_current), recorded before COMMIT.
    #[serde(skip)]
    #[ts(skip)]
    pub xid: Option<i64>,
}

impl Store {
    /// Appends `e` and returns its id (assigned by the table).
    pub async fn insert_audit(&self, e: &AuditEntry) -> Result<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO audit_log (at, os_user, database_user, integration_id, integration_name, database_name, action, sql, outcome, error, duration_ms, statements, expected, pid)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) RETURNING id",
        )
        .bind(&e.at)
        .bind(&e.os_user)
        .bind(&e.database_user)
        .bind(&e.integration_id)
        .bind(&e.integration_name)
        .bind(&e.database_name)
        .bind(&e.action)
        .bind(&e.sql)
        .bind(&e.outcome)
        .bind(&e.error)
        .bind(e.duration_ms)
        .bind(e.statements)
        .bind(&e.expected)
        .bind(e.pid)
        .fetch_one(&self.pool)
        .await
        .map_err(|x| Error::local_store("cannot write the audit log").with_detail(x.to_string()))?;
        Ok(id)
    }

    /// Fills in the outcome of the run entry `id` started.
    pub async fn finish_audit(
        &self,
        id: i64,
        outcome: &str,
        error: Option<&str>,
        duration_ms: i64,
    ) -> Result<()> {
        let r = sqlx::query(
            "UPDATE audit_log SET outcome = ?2, error = ?3, duration_ms = ?4, pid = NULL WHERE id = ?1",
        )
        .bind(id)
        .bind(outcome)
        .bind(error)
        .bind(duration_ms)
        .execute(&self.pool)
        .await
        .map_err(|x| Error::local_store("cannot write the audit log").with_detail(x.to_string()))?;
        if r.rows_affected() != 1 {
            return Err(Error::local_store(format!("audit log entry {id} is gone")));
        }
        Ok(())
    }

    /// Runs left "started" by a process that ended before completing them (killed, crashed, the
    /// machine stopped) become "unknown" with a note: those whose process is gone, and any
    /// started more than `older_than` ago. Returns how many.
    pub async fn close_abandoned_runs(&self, older_than: chrono::Duration) -> Result<u64> {
        let read = |x: sqlx::Error| {
            Error::local_store("cannot read the audit log").with_detail(x.to_string())
        };
        let open: Vec<(i64, String, Option<i64>, String)> =
            sqlx::query_as("SELECT id, at, pid, action FROM audit_log WHERE outcome = 'started'")
                .fetch_all(&self.pool)
                .await
                .map_err(read)?;
        let before =
            (chrono::Utc::now() - older_than).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut closed = 0;
        for (id, at, pid, action) in open {
            let gone = match pid {
                Some(p) => !process_alive(p),
                None => false,
            };
            if !gone && at >= before {
                continue;
            }
            // A dry run never commits: cut off, it rolled back.
            let (outcome, note) = if action == "dry_run" {
                ("rolled_back", ABANDONED_DRY_RUN)
            } else {
                ("unknown", ABANDONED)
            };
            let r = sqlx::query(
                "UPDATE audit_log SET outcome = ?3, error = ?2, pid = NULL
                  WHERE id = ?1 AND outcome = 'started'",
            )
            .bind(id)
            .bind(note)
            .bind(outcome)
            .execute(&self.pool)
            .await
            .map_err(|x| {
                Error::local_store("cannot write the audit log").with_detail(x.to_string())
            })?;
            closed += r.rows_affected();
        }
        Ok(closed)
    }

    /// Records the server's transaction id of run `id`, before its COMMIT is sent.
    pub async fn set_audit_xid(&self, id: i64, xid: i64) -> Result<()> {
        let r = sqlx::query("UPDATE audit_log SET xid = ?2 WHERE id = ?1")
            .bind(id)
            .bind(xid)
            .execute(&self.pool)
            .await
            .map_err(|x| {
                Error::local_store("cannot write the audit log").with_detail(x.to_string())
            })?;
        if r.rows_affected() != 1 {
            return Err(Error::local_store(format!("audit log entry {id} is gone")));
        }
        Ok(())
    }

    /// Applies of `integration_id` on `database` whose outcome is unknown: (id, transaction id,
    /// expected JSON).
    pub async fn unknown_applies(
        &self,
        integration_id: &str,
        database: &str,
    ) -> Result<Vec<(i64, Option<i64>, Option<String>)>> {
        sqlx::query_as(
            "SELECT id, xid, expected FROM audit_log
              WHERE outcome = 'unknown' AND action = 'apply'
                AND integration_id = ?1 AND database_name = ?2 ORDER BY id",
        )
        .bind(integration_id)
        .bind(database)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| Error::local_store("cannot read the audit log").with_detail(e.to_string()))
    }

    /// Records what looking at the database again showed about an unknown run.
    pub async fn resolve_audit(&self, id: i64, outcome: &str, note: &str) -> Result<()> {
        sqlx::query(
            "UPDATE audit_log SET outcome = ?2,
                    error = coalesce(error || '; ', '') || ?3
              WHERE id = ?1 AND outcome = 'unknown'",
        )
        .bind(id)
        .bind(outcome)
        .bind(note)
        .execute(&self.pool)
        .await
        .map_err(|x| Error::local_store("cannot write the audit log").with_detail(x.to_string()))?;
        Ok(())
    }

    /// The newest `limit` entries, newest first.
    pub async fn audit_entries(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        sqlx::query_as("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?1")
            .bind(limit.min(100_000) as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| Error::local_store("cannot read the audit log").with_detail(e.to_string()))
    }
}

const ABANDONED_DRY_RUN: &str = "the dry run was cut off before its outcome was recorded (the \
     app or the CLI stopped): a dry run always rolls back, so nothing changed";

const ABANDONED: &str = "the run was cut off before its outcome was recorded (the app or the CLI \
     stopped): the next connection to this database asks the server what became of its \
     transaction";

/// Whether process `pid` still runs (on Unix: signal 0 reaches it, or it exists under another
/// user). Elsewhere runs are closed by age only.
fn process_alive(pid: i64) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        if pid <= 0 {
            return false;
        }
        // SAFETY: kill with signal 0 only checks for the process.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}
