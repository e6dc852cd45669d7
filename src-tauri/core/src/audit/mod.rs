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
        Ok(self.render(format).await?.0)
    }

    async fn render(&self, format: &str) -> Result<(String, usize)> {
        if !["csv", "json"].contains(&format) {
            return Err(
                Error::invalid(format!("unknown export format {format:?}: csv or json"))
                    .at("format"),
            );
        }
        let entries = self.log(100_000).await?;
        let text = match format {
            "csv" => audit_csv(&entries),
            _ => serde_json::to_string_pretty(&entries).expect("serializable"),
        };
        Ok((text, entries.len()))
    }

    /// Writes the audit log as CSV or JSON to `path` (a file the user chose), whole or not at
    /// all: into a new file beside it, then renamed over it. An existing file is replaced only
    /// once the new one is complete.
    pub async fn save(&self, path: &str, format: &str) -> Result<SavedExport> {
        let target = std::path::PathBuf::from(path);
        let file_name = target
            .file_name()
            .filter(|_| target.is_absolute())
            .ok_or_else(|| {
                Error::invalid(format!("{path:?} is not an absolute file path")).at("path")
            })?
            .to_owned();
        if target.is_dir() {
            return Err(Error::invalid(format!("{path:?} is a folder, not a file")).at("path"));
        }
        let (text, entries) = self.render(format).await?;
        let dir = target.parent().unwrap_or(std::path::Path::new("/"));
        let mut partial = file_name;
        partial.push(format!(".partial-{}", std::process::id()));
        let partial = dir.join(partial);
        let cannot = |what: &str, e: std::io::Error| {
            Error::invalid(format!("cannot {what} {path:?}: {e}"))
                .at("path")
                .with_detail(e.to_string())
        };
        std::fs::write(&partial, text.as_bytes()).map_err(|e| cannot("write", e))?;
        if let Err(e) = std::fs::rename(&partial, &target) {
            let _ = std::fs::remove_file(&partial);
            return Err(cannot("replace", e));
        }
        Ok(SavedExport {
            path: target.display().to_string(),
            bytes: text.len() as u64,
            entries: entries as u32,
        })
    }
}

/// Where an export was saved, and how much it holds.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct SavedExport {
    pub path: String,
    #[ts(type = "number")]
    pub bytes: u64,
    pub entries: u32,
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

    #[tokio::test]
    async fn saving_writes_the_whole_file_or_nothing() {
        let home = tempfile::tempdir().unwrap();
        let g = crate::Grantry::open(crate::OpenOptions {
            home: Some(home.path().to_path_buf()),
            secrets: Some(std::sync::Arc::new(
                crate::secrets::MemoryKeychain::default(),
            )),
            pool_idle_timeout: None,
        })
        .await
        .unwrap();
        let out = home.path().join("audit.csv");
        let path = out.display().to_string();
        let saved = g.audit().save(&path, "csv").await.unwrap();
        assert_eq!(saved.entries, 0);
        let text = std::fs::read_to_string(&out).unwrap();
        assert_eq!(saved.bytes as usize, text.len());
        assert!(text.starts_with("id,"), "{text}");
        // Replaced whole; no partial file left beside it.
        std::fs::write(&out, "old contents").unwrap();
        g.audit().save(&path, "json").await.unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap().trim(), "[]");
        let left: Vec<_> = std::fs::read_dir(home.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.contains("partial"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
        // Bad targets change nothing and name the field.
        for (p, f) in [
            ("relative.csv", "csv"),
            (home.path().to_str().unwrap(), "csv"),
            ("/nonexistent-dir/x.csv", "csv"),
            (path.as_str(), "xml"),
        ] {
            let e = g.audit().save(p, f).await.unwrap_err();
            assert_eq!(e.code, crate::ErrorCode::InvalidInput, "{p}");
            assert!(e.field.is_some(), "{p}: {}", e.message);
        }
        assert_eq!(std::fs::read_to_string(&out).unwrap().trim(), "[]");
    }
}
