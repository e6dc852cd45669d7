//! libpq's environment variables. sqlx reads them whenever it builds connect options (PGPASSWORD,
//! PGSSLROOTCERT, PGSSLCERT, PGOPTIONS...), so a saved integration would silently log in with
//! whatever the shell that started Grantry had set. Grantry connects with the integration's
//! settings only: its binaries remove these variables at start-up, before any thread exists, and
//! connecting refuses while one is still set (a library caller that did not).

use crate::error::{Error, Result};
use std::sync::OnceLock;

/// The variables `PgConnectOptions::new_without_pgpass` reads.
pub const LIBPQ_ENV: [&str; 12] = [
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGUSER",
    "PGPASSWORD",
    "PGDATABASE",
    "PGSSLMODE",
    "PGSSLROOTCERT",
    "PGSSLCERT",
    "PGSSLKEY",
    "PGAPPNAME",
    "PGOPTIONS",
];

static IGNORED: OnceLock<Vec<&'static str>> = OnceLock::new();

/// Removes libpq's variables from the process environment and remembers which were set, for the
/// connection report. Call it first thing in `main`, while the process has one thread.
pub fn scrub_libpq_environment() -> Vec<&'static str> {
    let set: Vec<&'static str> = LIBPQ_ENV
        .into_iter()
        .filter(|v| std::env::var_os(v).is_some())
        .collect();
    for v in &set {
        std::env::remove_var(v);
    }
    let _ = IGNORED.set(set.clone());
    set
}

/// The variables [`scrub_libpq_environment`] removed.
pub fn ignored() -> &'static [&'static str] {
    IGNORED.get().map(Vec::as_slice).unwrap_or_default()
}

/// Refuses to build connect options while a libpq variable is set.
pub fn check() -> Result<()> {
    let set: Vec<&str> = LIBPQ_ENV
        .into_iter()
        .filter(|v| std::env::var_os(v).is_some())
        .collect();
    if set.is_empty() {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "{} set in the environment: Grantry connects with an integration's own settings only, \
         and these would change them; unset {}",
        set.join(", "),
        if set.len() == 1 { "it" } else { "them" }
    )))
}
