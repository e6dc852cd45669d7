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
}

impl Store {
    /// Appends `e` and returns its id (assigned by the table).
    pub async fn insert_audit(&self, e: &AuditEntry) -> Result<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO audit_log (at, os_user, database_user, integration_id, integration_name, database_name, action, sql, outcome, error, duration_ms, statements)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING id",
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
            "UPDATE audit_log SET outcome = ?2, error = ?3, duration_ms = ?4 WHERE id = ?1",
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
    /// machine stopped): started more than `older_than` ago, they become "unknown" with a note.
    /// Returns how many.
    pub async fn close_abandoned_runs(&self, older_than: chrono::Duration) -> Result<u64> {
        let before =
            (chrono::Utc::now() - older_than).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let (open,): (i64,) =
            sqlx::query_as("SELECT count(*) FROM audit_log WHERE outcome = 'started' AND at < ?1")
                .bind(&before)
                .fetch_one(&self.pool)
                .await
                .map_err(|x| {
                    Error::local_store("cannot read the audit log").with_detail(x.to_string())
                })?;
        if open == 0 {
            return Ok(0);
        }
        let r = sqlx::query(
            "UPDATE audit_log SET outcome = 'unknown', error = ?2
              WHERE outcome = 'started' AND at < ?1",
        )
        .bind(before)
        .bind(
            "the run was cut off before its outcome was recorded (the app or the CLI stopped): \
             PostgreSQL rolls back a transaction whose session ends before COMMIT, so it most \
             likely did nothing; look at the privileges to be sure",
        )
        .execute(&self.pool)
        .await
        .map_err(|x| Error::local_store("cannot write the audit log").with_detail(x.to_string()))?;
        Ok(r.rows_affected())
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
