//! Dry run and apply: one code path with a switch. The plan's statements run in one
//! transaction, in order, behind an advisory lock per integration and a lock_timeout, after
//! checking that the database still is what the plan was computed against. A dry run always
//! rolls back; an apply commits only when every statement succeeded.

use super::inspect::inspect_in_tx;
use super::plan::{fingerprint_scoped, Plan, PlannedStatement};
use crate::connect::classify;
use crate::connect::notices::{Notices, ServerNotice};
use crate::error::Result;
use futures_util::StreamExt as _;
use serde::Serialize;
use sqlx::postgres::PgConnection;
use sqlx::Either;
use sqlx::Executor as _;
use std::time::Instant;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum StatementOutcome {
    Ok,
    Failed,
    /// Not run because an earlier statement failed.
    Skipped,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct StatementResult {
    pub sql: String,
    pub outcome: StatementOutcome,
    pub elapsed_ms: u32,
    pub error: Option<String>,
    /// SQLSTATE of the failure.
    pub code: Option<String>,
    /// What the server said while running it (`WARNING: ...`, `NOTICE: ...`).
    pub notices: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum RunOutcome {
    /// Applied.
    Committed,
    /// A dry run that went through: everything rolled back.
    RolledBack,
    /// A statement failed: everything rolled back.
    Failed,
    /// The database changed since the plan was computed (or the lock could not be had): nothing ran.
    Refused,
    /// The connection was lost during COMMIT: the server may or may not have committed.
    Unknown,
}

impl RunOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Committed => "committed",
            RunOutcome::RolledBack => "rolled_back",
            RunOutcome::Failed => "failed",
            RunOutcome::Refused => "refused",
            RunOutcome::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct RunReport {
    pub dry_run: bool,
    pub outcome: RunOutcome,
    pub message: String,
    pub statements: Vec<StatementResult>,
    pub duration_ms: u32,
    /// Of which: taking the lock and checking the database did not change since the plan.
    pub checks_ms: u32,
    /// Passwords generated for new roles, shown once (only after a committed apply).
    pub generated_passwords: Vec<GeneratedPassword>,
    /// Each planned access change, checked inside the transaction before it ended.
    #[serde(skip)]
    #[ts(skip)]
    pub verified: Vec<super::verify::VerifiedChange>,
}

/// A generated password, shown once to the user who applied the plan.
#[derive(Debug, Clone, Serialize, TS)]
pub struct GeneratedPassword {
    pub role: String,
    /// Empty when the password went to the keychain instead.
    pub password: String,
    /// Saved in the OS keychain (see `Grantry::role_password`).
    pub in_keychain: bool,
}

pub struct RunOptions {
    pub dry_run: bool,
    /// Key of the advisory lock that serializes applies on one integration.
    pub lock_key: i64,
    pub lock_timeout_ms: u32,
}

/// Statements sent per round trip.
const BATCH: usize = 250;

fn ms(t: Instant) -> u32 {
    t.elapsed().as_millis().min(u32::MAX as u128) as u32
}

/// Runs the plan. Errors are returned only for connection-level failures (and when
/// `on_xid` fails: then nothing ran); statement failures and refusals are outcomes in the
/// report. An apply learns its transaction id first and hands it to `on_xid` (which records it
/// in the audit log) before anything runs, so a run whose COMMIT answer is lost can later be
/// settled by asking the server (pg_xact_status).
pub async fn run(
    conn: &mut PgConnection,
    plan: &Plan,
    opts: &RunOptions,
    on_xid: impl AsyncFnOnce(i64) -> Result<()>,
) -> Result<RunReport> {
    let started = Instant::now();
    let e = |e: sqlx::Error| classify(&e);
    // READ COMMITTED: after waiting for the advisory lock, the re-inspection sees what a
    // concurrent apply committed meanwhile.
    conn.execute("BEGIN").await.map_err(e)?;
    if !opts.dry_run {
        let xid = sqlx::query_scalar::<_, i64>("SELECT txid_current()")
            .fetch_one(&mut *conn)
            .await
            .map_err(e);
        let recorded = match xid {
            Ok(x) => on_xid(x).await,
            Err(err) => Err(err),
        };
        if let Err(err) = recorded {
            let _ = conn.execute("ROLLBACK").await;
            return Err(err);
        }
    }
    let notices = Notices::default();
    let result = notices
        .collect(run_in_tx(conn, plan, opts, started, &notices))
        .await;
    let commit = matches!(&result, Ok(r) if r.outcome == RunOutcome::Committed);
    let end = if commit { "COMMIT" } else { "ROLLBACK" };
    notices.take();
    let ended = notices.collect(conn.execute(end)).await;
    // What the server said at COMMIT (for example that a synchronous standby never confirmed
    // it: committed here, maybe not replicated) belongs in the report.
    let said_at_end: Vec<String> = notices
        .take()
        .into_iter()
        .filter(|n| n.is_warning())
        .map(|n| n.message)
        .collect();
    let mut report = result?;
    if commit && !said_at_end.is_empty() {
        report.message.push_str(&format!(
            "; the server warned at COMMIT: {}",
            said_at_end.join("; ")
        ));
    }
    match ended {
        Ok(_) => {}
        // The server refused the COMMIT (a deferred constraint, a serialization failure): it
        // rolled everything back.
        Err(sqlx::Error::Database(err)) if commit => {
            report.outcome = RunOutcome::Failed;
            report.message = format!("the commit failed, nothing was applied: {}", err.message());
        }
        // The connection broke around COMMIT: the server may have committed before the answer
        // was lost. Say so rather than guess.
        Err(err) if commit => {
            report.outcome = RunOutcome::Unknown;
            report.message = format!(
                "the connection was lost during COMMIT ({err}): the change may or may not have \
                 been applied; look at the privileges again before planning"
            );
        }
        // A lost ROLLBACK: the server rolls back a transaction whose session ends.
        Err(_) => {}
    }
    report.duration_ms = ms(started);
    Ok(report)
}

async fn run_in_tx(
    conn: &mut PgConnection,
    plan: &Plan,
    opts: &RunOptions,
    started: Instant,
    notices: &Notices,
) -> Result<RunReport> {
    let refused = |message: String| RunReport {
        dry_run: opts.dry_run,
        outcome: RunOutcome::Refused,
        message,
        statements: Vec::new(),
        duration_ms: ms(started),
        checks_ms: ms(started),
        generated_passwords: Vec::new(),
        verified: Vec::new(),
    };
    // Warnings must reach us whatever the role or database sets client_min_messages to.
    let set = format!(
        "SET LOCAL lock_timeout = {}; SET LOCAL client_min_messages = notice",
        opts.lock_timeout_ms.max(1)
    );
    conn.execute(set.as_str()).await.map_err(|e| classify(&e))?;
    // Two applies on one integration never interleave: the second waits (up to lock_timeout).
    if let Err(err) = sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(opts.lock_key)
        .execute(&mut *conn)
        .await
    {
        return Ok(refused(format!(
            "another apply holds the lock on this integration: {}",
            classify(&err).message
        )));
    }
    // The state the plan was computed against, re-read under the lock.
    let now = inspect_in_tx(conn, false, plan.scope.as_deref()).await?;
    if fingerprint_scoped(&now, plan.scope.as_deref()) != plan.fingerprint {
        return Ok(refused(
            "the database's privileges changed since the plan was computed: plan again and review the new plan".into(),
        ));
    }
    let checks_ms = ms(started);
    let mut results = Vec::with_capacity(plan.statements.len());
    let mut failed = None;
    let warned = |s: &PlannedStatement, notices: Vec<ServerNotice>, elapsed_ms: u32| {
        let warning = notices.iter().find(|n| n.is_warning()).cloned();
        StatementResult {
            sql: s.sql.clone(),
            outcome: if warning.is_some() {
                StatementOutcome::Failed
            } else {
                StatementOutcome::Ok
            },
            elapsed_ms,
            error: warning.map(|w| {
                format!(
                    "the server did less than the statement says and only warned: {}",
                    w.message
                )
            }),
            code: None,
            notices: notices.iter().map(|n| n.to_string()).collect(),
        }
    };
    let not_run = |s: &PlannedStatement| StatementResult {
        sql: s.sql.clone(),
        outcome: StatementOutcome::Skipped,
        elapsed_ms: 0,
        error: None,
        code: None,
        notices: Vec::new(),
    };
    notices.take();
    // Statements go in batches over the simple query protocol, the way psql sends a script:
    // the batch text is the plan's script, byte for byte. A savepoint around each batch lets a
    // failing batch be replayed one statement at a time, to report exactly which one failed.
    // The server's warnings arrive before the completion of the statement that raised them.
    for (b, batch) in plan.statements.chunks(BATCH).enumerate() {
        let t = Instant::now();
        let mut text = String::from("SAVEPOINT grantry_batch;\n");
        for s in batch {
            text.push_str(&s.sql);
            text.push_str(";\n");
        }
        text.push_str("RELEASE SAVEPOINT grantry_batch;");
        let mut each: Vec<Vec<ServerNotice>> = Vec::with_capacity(batch.len());
        let mut completed = 0usize;
        let mut ok = true;
        {
            let mut stream = conn.fetch_many(text.as_str());
            while let Some(item) = stream.next().await {
                match item {
                    Ok(Either::Left(_)) => {
                        let n = notices.take();
                        if (1..=batch.len()).contains(&completed) {
                            each.push(n);
                        }
                        completed += 1;
                    }
                    Ok(Either::Right(_)) => {}
                    Err(_) => {
                        ok = false;
                        break;
                    }
                }
            }
        }
        if ok && each.len() == batch.len() {
            let ms_each = ms(t) / batch.len().max(1) as u32;
            for (j, (s, n)) in batch.iter().zip(each).enumerate() {
                let r = warned(s, n, ms_each);
                if r.outcome == StatementOutcome::Failed && failed.is_none() {
                    failed = Some((b * BATCH + j, r.error.clone().unwrap_or_default()));
                }
                results.push(r);
            }
            continue;
        }
        notices.take();
        conn.execute("ROLLBACK TO SAVEPOINT grantry_batch")
            .await
            .map_err(|e| classify(&e))?;
        let mut error_seen = false;
        for (j, s) in batch.iter().enumerate() {
            if error_seen {
                results.push(not_run(s));
                continue;
            }
            let t = Instant::now();
            match conn.execute(s.sql.as_str()).await {
                Ok(_) => {
                    let r = warned(s, notices.take(), ms(t));
                    if r.outcome == StatementOutcome::Failed && failed.is_none() {
                        failed = Some((b * BATCH + j, r.error.clone().unwrap_or_default()));
                    }
                    results.push(r);
                }
                Err(err) => {
                    let (message, code) = match &err {
                        sqlx::Error::Database(d) => {
                            (d.message().to_string(), d.code().map(|c| c.to_string()))
                        }
                        other => (other.to_string(), None),
                    };
                    if !matches!(err, sqlx::Error::Database(_)) {
                        // The connection is gone: nothing of the transaction survives.
                        return Err(classify(&err));
                    }
                    results.push(StatementResult {
                        sql: s.sql.clone(),
                        outcome: StatementOutcome::Failed,
                        elapsed_ms: ms(t),
                        error: Some(message.clone()),
                        code,
                        notices: notices.take().iter().map(|n| n.to_string()).collect(),
                    });
                    if failed.is_none() {
                        failed = Some((b * BATCH + j, message));
                    }
                    error_seen = true;
                }
            }
        }
        if !error_seen {
            // The batch failed as a whole but each statement passed alone: carry on.
            continue;
        }
        let done = (b + 1) * BATCH;
        results.extend(plan.statements.iter().skip(done).map(not_run));
        break;
    }
    // Every statement ran: does the database now show what the plan promised? PostgreSQL only
    // warns when a GRANT or REVOKE does nothing (01007, 01006), so this is where a plan that
    // would apply in part is caught, and rolled back whole.
    let mut verified = Vec::new();
    if failed.is_none() {
        notices.take();
        // The objects the statements touched; a membership change reaches objects beyond them,
        // so a plan whose changes name others is checked against the whole database.
        let mut now = inspect_in_tx(conn, false, plan.scope.as_deref()).await?;
        if plan.scope.is_some() && !super::verify::covers(&now, &plan.access_changes) {
            now = inspect_in_tx(conn, false, None).await?;
        }
        verified = super::verify::verify(&now, &plan.access_changes);
        let mut missing = super::verify::describe_unconfirmed(&verified);
        missing.extend(super::verify::unconfirmed_options(
            &now,
            &plan.option_changes,
        ));
        if !missing.is_empty() {
            let shown = missing
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ");
            let more = missing.len().saturating_sub(5);
            failed = Some((
                usize::MAX,
                format!(
                    "the server did not make {} of the {} planned changes of access and grant options ({shown}{}): \
                     PostgreSQL only warns when a GRANT or REVOKE changes nothing, for example when \
                     the connecting role lacks the grant option",
                    missing.len(),
                    plan.access_changes.len() + plan.option_changes.len(),
                    if more > 0 { format!("; and {more} more") } else { String::new() }
                ),
            ));
        }
    }
    let (outcome, message) = match (&failed, opts.dry_run) {
        (Some((usize::MAX, m)), _) => (RunOutcome::Failed, format!("nothing was applied: {m}")),
        (Some((i, m)), _) => {
            let others = results
                .iter()
                .filter(|r| r.outcome == StatementOutcome::Failed)
                .count()
                .saturating_sub(1);
            (
                RunOutcome::Failed,
                format!(
                    "statement {} of {} failed, nothing was applied: {m}{}",
                    i + 1,
                    plan.statements.len(),
                    match others {
                        0 => String::new(),
                        1 => " (and 1 more statement did less than planned)".into(),
                        n => format!(" (and {n} more statements did less than planned)"),
                    }
                ),
            )
        }
        (None, true) => (
            RunOutcome::RolledBack,
            format!(
                "dry run: {} succeeded and {} rolled back{}",
                match plan.statements.len() {
                    1 => "the 1 statement".to_string(),
                    n => format!("all {n} statements"),
                },
                if plan.statements.len() == 1 { "was" } else { "were" },
                match plan.blocking.len() {
                    0 => String::new(),
                    n => format!(
                        "; the plan still cannot be applied: {n} step{} the connecting role cannot carry out",
                        if n == 1 { "" } else { "s" }
                    ),
                }
            ),
        ),
        (None, false) => (
            RunOutcome::Committed,
            match plan.statements.len() {
                1 => "applied 1 statement".to_string(),
                n => format!("applied {n} statements"),
            },
        ),
    };
    let generated_passwords = if outcome == RunOutcome::Committed {
        plan.passwords
            .iter()
            .map(|(r, s, how)| {
                let keep = *how == super::plan::NewPassword::GenerateToKeychain;
                GeneratedPassword {
                    role: r.clone(),
                    password: if keep {
                        String::new()
                    } else {
                        s.expose().to_string()
                    },
                    in_keychain: keep,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(RunReport {
        dry_run: opts.dry_run,
        outcome,
        message,
        statements: results,
        duration_ms: ms(started),
        checks_ms,
        generated_passwords,
        verified,
    })
}
