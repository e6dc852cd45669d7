//! One error type for the whole core. It crosses IPC and the CLI as `{code, message, detail?}` with a
//! stable code, so no caller ever matches on message text. No variant ever carries a secret.

use serde::Serialize;
use ts_rs::TS;

/// Stable machine-readable error codes. Never rename a variant: the UI and scripts depend on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Input failed validation (bad port, empty name, unreadable certificate, ...).
    InvalidInput,
    /// An integration with this name already exists.
    DuplicateName,
    /// No integration with this name or id.
    NotFound,
    /// The OS keychain cannot be reached; nothing was saved.
    KeychainUnavailable,
    /// The integration needs a password that is neither in the keychain nor given for this session.
    SecretMissing,
    /// The local store (SQLite) is unreadable or corrupted; it was left untouched.
    LocalStore,
    /// Host name could not be resolved.
    Dns,
    /// Nothing listens on the port.
    ConnectionRefused,
    /// The server did not answer in time.
    Timeout,
    /// TLS negotiation failed (see message for which check).
    Tls,
    /// The server rejected the credentials.
    AuthFailed,
    /// The database does not exist.
    DatabaseMissing,
    /// The server answered with an error.
    Database,
    /// Network-level failure other than the above.
    Network,
    /// Local PostgreSQL binaries (for the sandbox) missing or failing.
    LocalPostgres,
    /// A run refused before anything ran: the plan is stale, has steps the connecting role
    /// cannot carry out, lacks the production confirmation, or the integration is read-only.
    Refused,
    /// A run that started and was rolled back whole: a statement failed, or the server did not
    /// make every promised access change.
    RolledBack,
    /// Anything else: a bug or an unexpected environment problem.
    Internal,
}

#[derive(Debug, Clone, Serialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    /// Technical detail (driver or server text); never a secret.
    pub detail: Option<String>,
    /// The input field the error is about (`port`, `ca_cert`, ...), so a form shows the core's
    /// message next to it.
    pub field: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            detail: None,
            field: None,
        }
    }
    /// The same error, about input field `field`.
    pub fn at(mut self, field: &str) -> Self {
        self.field = Some(field.to_string());
        self
    }
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
    pub fn local_store(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::LocalStore, message)
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Error::local_store(format!("could not migrate the local store: {e}"))
    }
}
