//! The local store: one SQLite file with migrations (core/migrations), one file here per table.
//! It never holds a secret.

pub mod audit;
pub mod integrations;

pub use integrations::StoredIntegration;

use crate::error::{Error, Result};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::SqlitePool;
use std::path::Path;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Clone)]
pub struct Store {
    pub(crate) pool: SqlitePool,
}

impl Store {
    pub async fn open(path: &Path) -> Result<Self> {
        // Two processes opening a new store at once (the app and the CLI) would both create
        // its tables: the first to come migrates it while the other waits.
        let _lock = migration_lock(path).await;
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await
            .map_err(|e| store_err(path, e))?;
        // A corrupted file opens fine; the first real read finds out.
        sqlx::query("PRAGMA quick_check")
            .fetch_all(&pool)
            .await
            .map_err(|e| store_err(path, e))?;
        MIGRATOR.run(&pool).await?;
        Ok(Store { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// An exclusive lock on `<store>.lock` beside the store, held while it is opened and
/// migrated (`None` where the lock file cannot be made, a read-only directory: the open says
/// what is wrong then).
async fn migration_lock(path: &Path) -> Option<std::fs::File> {
    use std::os::fd::AsRawFd;
    let lock = path.with_extension("lock");
    tokio::task::spawn_blocking(move || {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock)
            .ok()?;
        // SAFETY: flock(2) on a descriptor this function owns.
        let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) };
        (r == 0).then_some(f)
    })
    .await
    .ok()
    .flatten()
}

pub(crate) fn db_err(e: sqlx::Error) -> Error {
    Error::local_store("the local store failed").with_detail(e.to_string())
}

fn store_err(path: &Path, e: sqlx::Error) -> Error {
    let text = e.to_string();
    let msg = if text.contains("file is not a database") || text.contains("malformed") {
        format!(
            "the local store {} is corrupted; it was left untouched",
            path.display()
        )
    } else {
        format!("cannot open the local store {}", path.display())
    };
    Error::local_store(msg).with_detail(text)
}
