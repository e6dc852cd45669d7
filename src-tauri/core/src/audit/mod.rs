//! The audit log: every dry run and apply, who ran it, as which database user, the SQL and the
//! outcome; readable as a table, CSV or JSON.

use crate::app::App;
use crate::error::{Error, Result};
pub use crate::store::audit::AuditEntry;

/// The OS user running Grantry, for the audit log: the name the OS gives the effective uid
/// (not `$USER`, which anyone can set), or `uid N` when it has none.
pub fn os_user() -> String {
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 4096];
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: getpwuid_r writes into `pw` and `buf`, both alive and sized as passed.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr(), buf.len(), &mut out) };
    if rc == 0 && !out.is_null() && !pw.pw_name.is_null() {
        // SAFETY: on success pw_name points to a NUL-terminated string inside `buf`.
        let name = unsafe { std::ffi::CStr::from_ptr(pw.pw_name) };
        if let Ok(n) = name.to_str() {
            return n.to_string();
        }
    }
    format!("uid {uid}")
}

/// Renders audit entries as CSV (RFC 4180 quoting).
pub fn audit_csv(entries: &[AuditEntry]) -> String {
    fn q(s: &str) -> String {
        // A cell a spreadsheet would run as a formula (=, +, -, @, or a tab or carriage return
        // first) starts with a quote mark instead, as OWASP advises for CSV exports.
        let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{s}")
        } else {
            s.to_string()
        };
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    }
    let mut out = String::from("id,at,os_user,database_user,integration,database,action,outcome,duration_ms,statements,error,sql\n");
    for e in entries {
        let row = [
            e.id.to_string(),
            e.at.clone(),
            e.os_user.clone(),
            e.database_user.clone(),
            e.integration_name.clone(),
            e.database_name.clone(),
            e.action.clone(),
            e.outcome.clone(),
            e.duration_ms.to_string(),
            e.statements.to_string(),
            e.error.clone().unwrap_or_default(),
            e.sql.clone(),
        ];
        out.push_str(&row.iter().map(|c| q(c)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}

/// The audit log of a Grantry (`grantry.audit()`).
pub struct Audit {
    pub(crate) app: std::sync::Arc<App>,
}

impl Audit {
    /// The newest `limit` entries, newest first.
    pub async fn log(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        self.app.store().audit_entries(limit).await
    }

    /// The audit log as CSV or JSON text, for saving to a file.
    pub async fn export(&self, format: &str) -> Result<String> {
        let entries = self.log(100_000).await?;
        match format {
            "csv" => Ok(audit_csv(&entries)),
            "json" => Ok(serde_json::to_string_pretty(&entries).expect("serializable")),
            other => Err(Error::invalid(format!(
                "unknown export format {other:?}: csv or json"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_os_user_comes_from_the_uid() {
        // The test runs with some uid; its name must not depend on $USER.
        let before = os_user();
        std::env::set_var("USER", "someone-else");
        assert_eq!(os_user(), before);
        assert_ne!(before, "someone-else");
    }

    #[test]
    fn csv_cells_never_run_as_formulas() {
        let e = AuditEntry {
            id: 1,
            at: "2026-12-02T00:00:00Z".into(),
            os_user: "dba".into(),
            database_user: "-x".into(),
            integration_id: "i".into(),
            integration_name: "=HYPERLINK(\"http://127.0.0.1/x\",\"y\")".into(),
            database_name: "db".into(),
            action: "apply".into(),
            sql: "GRANT SELECT ON TABLE \"a\" TO \"b\"".into(),
            outcome: "committed".into(),
            error: None,
            duration_ms: 3,
            statements: 1,
            expected: None,
            pid: None,
            xid: None,
        };
        let csv = audit_csv(&[e]);
        let row = csv.lines().nth(1).unwrap();
        assert!(row.contains(",'-x,"), "{row}");
        assert!(row.contains(",\"'=HYPERLINK(\"\"http"), "{row}");
        assert!(!row.contains(",=") && !row.contains(",\"="), "{row}");
    }
}
