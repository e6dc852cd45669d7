//! One error type for the whole core. It crosses IPC and the CLI as `{code, message, detail?}` with a
//! stable code, so no caller ever matches on message text. No variant ever carries a secret.

use serde::Serialize;
use ts_rs::TS;

/// Stable machine-readable error codes, namespaced by where they arise (`connect.refused`,
/// `run.rolled_back`, ...). Never change one: the UI and scripts depend on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
pub enum ErrorCode {
    /// Input failed validation (bad port, empty name, unreadable certificate, ...).
    #[serde(rename = "input.invalid")]
    InvalidInput,
    /// An integration with this name already exists.
    #[serde(rename = "integration.duplicate_name")]
    DuplicateName,
    /// No integration with this name or id.
    #[serde(rename = "lookup.not_found")]
    NotFound,
    /// The OS keychain cannot be reached; nothing was saved.
    #[serde(rename = "keychain.unavailable")]
    KeychainUnavailable,
    /// The integration needs a password that is neither in the keychain nor given for this session.
    #[serde(rename = "keychain.secret_missing")]
    SecretMissing,
    /// The local store (SQLite) is unreadable or corrupted; it was left untouched.
    #[serde(rename = "store.unreadable")]
    LocalStore,
    /// Host name could not be resolved.
    #[serde(rename = "connect.dns")]
    Dns,
    /// Nothing listens on the port.
    #[serde(rename = "connect.refused")]
    ConnectionRefused,
    /// The server did not answer in time.
    #[serde(rename = "connect.timeout")]
    Timeout,
    /// TLS negotiation failed (see message for which check).
    #[serde(rename = "connect.tls")]
    Tls,
    /// The server rejected the credentials.
    #[serde(rename = "connect.auth_failed")]
    AuthFailed,
    /// The database does not exist.
    #[serde(rename = "connect.database_missing")]
    DatabaseMissing,
    /// The login lacks the CONNECT privilege on the database.
    #[serde(rename = "connect.denied")]
    ConnectDenied,
    /// The server takes no connection now: the database does not allow connections, a
    /// connection limit is reached, or the server is starting up or shutting down.
    #[serde(rename = "connect.unavailable")]
    Unavailable,
    /// What answers on that host and port is not a PostgreSQL server.
    #[serde(rename = "connect.not_postgres")]
    NotPostgres,
    /// The connecting role lacks a privilege the work needs (SELECT on a catalog a hardened
    /// server revoked, for example); the message names it and the GRANT that gives it back.
    #[serde(rename = "server.permission_denied")]
    PermissionDenied,
    /// The server takes no writes: a standby in recovery, or default_transaction_read_only.
    #[serde(rename = "server.read_only")]
    ReadOnly,
    /// The server answered with an error.
    #[serde(rename = "server.error")]
    Database,
    /// Network-level failure other than the above.
    #[serde(rename = "connect.network")]
    Network,
    /// Local PostgreSQL binaries (for the sandbox) missing or failing.
    #[serde(rename = "sandbox.local_postgres")]
    LocalPostgres,
    /// A run refused before anything ran: the plan is stale, has steps the connecting role
    /// cannot carry out, lacks the production confirmation, or the integration is read-only.
    #[serde(rename = "run.refused")]
    Refused,
    /// A run that started and was rolled back whole: a statement failed, or the server did not
    /// make every promised access change.
    #[serde(rename = "run.rolled_back")]
    RolledBack,
    /// Anything else: a bug or an unexpected environment problem.
    #[serde(rename = "aws.credentials")]
    AwsCredentials,
    #[serde(rename = "aws.assume_role")]
    AwsAssumeRole,
    #[serde(rename = "aws.api")]
    AwsApi,
    #[serde(rename = "connect.token_rejected")]
    TokenRejected,
    /// Microsoft Entra ID refused the token request (tenant, client or secret), or the token
    /// source (managed identity, Azure CLI) could not give one.
    #[serde(rename = "entra.refused")]
    EntraRefused,
    /// The Entra ID authority (or the managed identity endpoint) could not be reached.
    #[serde(rename = "entra.unreachable")]
    EntraUnreachable,
    #[serde(rename = "internal")]
    Internal,
}

impl ErrorCode {
    /// The server could not be reached or the connection broke (not a refusal by a server
    /// that answered).
    pub fn is_connection(self) -> bool {
        matches!(
            self,
            ErrorCode::Dns
                | ErrorCode::ConnectionRefused
                | ErrorCode::Timeout
                | ErrorCode::Tls
                | ErrorCode::Network
                | ErrorCode::Unavailable
                | ErrorCode::NotPostgres
        )
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_namespaced_and_distinct() {
        let all = [
            ErrorCode::InvalidInput,
            ErrorCode::DuplicateName,
            ErrorCode::NotFound,
            ErrorCode::KeychainUnavailable,
            ErrorCode::SecretMissing,
            ErrorCode::LocalStore,
            ErrorCode::Dns,
            ErrorCode::ConnectionRefused,
            ErrorCode::Timeout,
            ErrorCode::Tls,
            ErrorCode::AuthFailed,
            ErrorCode::DatabaseMissing,
            ErrorCode::ConnectDenied,
            ErrorCode::Unavailable,
            ErrorCode::AwsCredentials,
            ErrorCode::AwsAssumeRole,
            ErrorCode::AwsApi,
            ErrorCode::TokenRejected,
            ErrorCode::EntraRefused,
            ErrorCode::EntraUnreachable,
            ErrorCode::NotPostgres,
            ErrorCode::Database,
            ErrorCode::Network,
            ErrorCode::LocalPostgres,
            ErrorCode::Refused,
            ErrorCode::RolledBack,
            ErrorCode::Internal,
        ];
        let codes: Vec<String> = all
            .iter()
            .map(|c| {
                serde_json::to_value(c)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        for c in &codes {
            let (ns, name) = c.split_once('.').unwrap_or(("", c));
            assert!(
                c == "internal" || (!ns.is_empty() && !name.contains('.')),
                "{c} is not namespace.name"
            );
            assert!(c
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch == '_' || ch == '.'));
        }
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), codes.len());
        let e = Error::invalid("bad port").at("port");
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"code": "input.invalid", "message": "bad port", "detail": null, "field": "port"})
        );
    }
}
