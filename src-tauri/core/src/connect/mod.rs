//! Connecting to PostgreSQL with libpq's semantics, and the "test connection" report that tells
//! apart every way a connection can fail.
//!
//! sqlx implements five of libpq's six SSL modes; `allow` (plain first, TLS only when the server
//! insists) is implemented here. As in libpq, `require` with a CA certificate behaves as
//! `verify-ca`.

pub mod aws;
pub mod azure;
pub mod catalogs;
pub mod credentials;
pub mod env;
pub mod notices;
pub mod pool;
pub mod prerequisites;

use crate::error::{Error, ErrorCode, Result};
use crate::integrations::model::{
    expand_home, read_cert_bytes, CertSource, KeySource, PgEndpoint, SslMode,
};
use crate::secrets::Secret;
use serde::Serialize;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgSslMode};
use sqlx::{ConnectOptions, Connection as _, Row};
use std::time::{Duration, Instant};
use ts_rs::TS;

/// Secrets needed for one connection, fetched from the keychain just before connecting.
#[derive(Debug, Clone, Default)]
pub struct ConnectSecrets {
    pub password: Option<Secret>,
    pub client_key_pem: Option<Secret>,
}

/// The SSL mode sqlx is asked for. `allow` starts as `disable`. As in libpq, a root CA makes
/// every TLS attempt verify the server certificate: `prefer` then tries verified TLS first and
/// plain only when that fails ([`connect`]).
fn driver_mode(endpoint: &PgEndpoint) -> PgSslMode {
    match endpoint.sslmode {
        SslMode::Disable | SslMode::Allow => PgSslMode::Disable,
        SslMode::Prefer if endpoint.ca_cert.is_some() => PgSslMode::VerifyCa,
        SslMode::Prefer => PgSslMode::Prefer,
        // libpq: "if a root CA file exists, sslmode=require behaves like verify-ca".
        SslMode::Require if endpoint.ca_cert.is_some() => PgSslMode::VerifyCa,
        SslMode::Require => PgSslMode::Require,
        SslMode::VerifyCa => PgSslMode::VerifyCa,
        SslMode::VerifyFull => PgSslMode::VerifyFull,
    }
}

/// Builds the driver's options for `database` (the integration's default when `None`).
pub fn connect_options(
    endpoint: &PgEndpoint,
    secrets: &ConnectSecrets,
    database: Option<&str>,
) -> Result<PgConnectOptions> {
    env::check()?;
    let mut opts = PgConnectOptions::new_without_pgpass()
        .port(endpoint.port)
        .username(&endpoint.username)
        .database(database.unwrap_or(&endpoint.database))
        .application_name(&endpoint.application_name)
        .ssl_mode(driver_mode(endpoint))
        .statement_cache_capacity(64)
        // Catalog queries take optional filters as parameters; a generic plan for them is poor
        // (seen: 7x slower on 1,000 schemas), so plan each execution with its values.
        .options([("plan_cache_mode", "force_custom_plan")]);
    opts = if endpoint.host.starts_with('/') {
        opts.socket(&endpoint.host)
    } else {
        opts.host(&endpoint.host)
    };
    if let Some(pw) = &secrets.password {
        opts = opts.password(pw.expose());
    }
    // A given CA replaces the system's roots (see src-tauri/vendor/README.md); `system`
    // (libpq 16+) is the system's roots.
    if let Some(ca) = endpoint.ca_cert.as_ref().filter(|ca| !ca.is_system()) {
        opts = opts.ssl_root_cert_from_pem(read_cert_bytes("CA certificate", ca)?);
    }
    if let Some(cert) = &endpoint.client_cert {
        opts = match cert {
            CertSource::File { path } => opts.ssl_client_cert(expand_home(path)),
            CertSource::Pem { pem } => opts.ssl_client_cert_from_pem(pem.as_bytes()),
        };
    }
    match &endpoint.client_key {
        Some(KeySource::File { path }) => opts = opts.ssl_client_key(expand_home(path)),
        Some(KeySource::Keychain) => {
            let key = secrets.client_key_pem.as_ref().ok_or_else(|| {
                Error::new(
                    ErrorCode::SecretMissing,
                    "the client key is not in the keychain",
                )
            })?;
            opts = opts.ssl_client_key_from_pem(key.expose().as_bytes());
        }
        None => {}
    }
    Ok(opts.log_statements(tracing::log::LevelFilter::Trace))
}

/// The connect timeout: none for 0, as in libpq.
pub fn connect_timeout(endpoint: &PgEndpoint) -> Option<Duration> {
    (endpoint.connect_timeout_secs > 0)
        .then(|| Duration::from_secs(endpoint.connect_timeout_secs as u64))
}

/// Opens one connection with libpq semantics (including `allow`), bounded by the timeout.
pub async fn connect(
    endpoint: &PgEndpoint,
    secrets: &ConnectSecrets,
    database: Option<&str>,
) -> Result<(PgConnection, PgConnectOptions)> {
    connect_with_libpq_rules(endpoint, secrets, database)
        .await
        .map_err(|e| located(e, endpoint, database))
}

/// A connection error with what only the endpoint knows: where nothing (or something other
/// than PostgreSQL) answered, and which grant would let the login in.
fn located(mut e: Error, endpoint: &PgEndpoint, database: Option<&str>) -> Error {
    let database = database.unwrap_or(&endpoint.database);
    let place = match endpoint.unix_socket() {
        Some(socket) => format!("socket {socket}"),
        None => format!("{}:{}", endpoint.host, endpoint.port),
    };
    match e.code {
        ErrorCode::ConnectionRefused | ErrorCode::NotPostgres => {
            e.message = format!("{} ({place})", e.message);
        }
        ErrorCode::ConnectDenied => {
            e.message = format!(
                "{}; the database owner or a superuser can allow it: GRANT CONNECT ON DATABASE {} TO {}",
                e.message,
                crate::quote::ident(database),
                crate::quote::ident(&endpoint.username)
            );
        }
        _ => {}
    }
    e
}

async fn connect_with_libpq_rules(
    endpoint: &PgEndpoint,
    secrets: &ConnectSecrets,
    database: Option<&str>,
) -> Result<(PgConnection, PgConnectOptions)> {
    let opts = connect_options(endpoint, secrets, database)?;
    let timeout = connect_timeout(endpoint);
    match connect_once(&opts, timeout).await {
        Ok(c) => Ok((c, opts)),
        // allow: the plain attempt was rejected by the server: try again with TLS (verified
        // when a root CA is given, as libpq does).
        Err(e) if endpoint.sslmode == SslMode::Allow && e.server_rejected => {
            let mode = if endpoint.ca_cert.is_some() {
                PgSslMode::VerifyCa
            } else {
                PgSslMode::Require
            };
            let tls = opts.clone().ssl_mode(mode);
            let c = connect_once(&tls, timeout).await.map_err(|e| e.error)?;
            Ok((c, tls))
        }
        // prefer with a root CA: the verified TLS attempt failed (no TLS on the server, or a
        // certificate that does not verify): libpq tries again without TLS.
        Err(first)
            if endpoint.sslmode == SslMode::Prefer
                && endpoint.ca_cert.is_some()
                && !first.server_rejected =>
        {
            let plain = opts.clone().ssl_mode(PgSslMode::Disable);
            match connect_once(&plain, timeout).await {
                Ok(c) => Ok((c, plain)),
                // The server wants TLS: the certificate problem is the one to fix.
                Err(second) if second.server_rejected => Err(Error {
                    detail: Some(format!(
                        "{}; without TLS the server refused too: {}",
                        first.error.detail.as_deref().unwrap_or_default(),
                        second.error.message
                    )),
                    ..first.error
                }),
                Err(second) => Err(Error {
                    detail: Some(format!(
                        "the TLS attempt failed first: {}",
                        first.error.message
                    )),
                    ..second.error
                }),
            }
        }
        Err(e) => Err(e.error),
    }
}

struct ConnectFailure {
    error: Error,
    server_rejected: bool,
}

async fn connect_once(
    opts: &PgConnectOptions,
    timeout: Option<Duration>,
) -> Result<PgConnection, ConnectFailure> {
    let attempt = async {
        match timeout {
            Some(t) => tokio::time::timeout(t, PgConnection::connect_with(opts)).await,
            None => Ok(PgConnection::connect_with(opts).await),
        }
    };
    match attempt.await {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => {
            let server_rejected = matches!(&e, sqlx::Error::Database(_));
            Err(ConnectFailure {
                error: classify(&e),
                server_rejected,
            })
        }
        Err(_) => Err(ConnectFailure {
            error: Error::new(
                ErrorCode::Timeout,
                format!(
                    "the server did not answer within {} s",
                    timeout.map_or(0, |t| t.as_secs())
                ),
            ),
            server_rejected: false,
        }),
    }
}

/// Which check of a connection failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum FailureKind {
    Dns,
    ConnectionRefused,
    Timeout,
    Network,
    /// sslmode needs TLS but the server has SSL off.
    TlsNotSupported,
    /// The server certificate does not chain to the given CA.
    TlsUnknownCa,
    /// The certificate does not name the host (verify-full).
    TlsHostnameMismatch,
    TlsOther,
    /// Wrong password, or pg_hba.conf rejects this user/host/encryption.
    AuthFailed,
    DatabaseMissing,
    /// The login lacks CONNECT on the database.
    ConnectDenied,
    /// The database allows no connections now (ALLOW_CONNECTIONS false, a connection limit,
    /// the server starting up or shutting down).
    Unavailable,
    /// What answers is not a PostgreSQL server.
    NotPostgres,
    /// The password is not available (keychain or session).
    SecretMissing,
    /// Connected, but the role lacks a privilege the query needs.
    PermissionDenied,
    /// Connected, but the server takes no writes (a standby, or read-only by default).
    ReadOnly,
    /// No AWS credentials found, or they could not be loaded.
    AwsCredentials,
    /// STS refused AssumeRole.
    AwsAssumeRole,
    /// The RDS API could not be reached, or refused the call.
    AwsApi,
    /// The server refused an IAM or Entra ID token.
    TokenRejected,
    /// Entra ID refused the token request, or the token source could not give one.
    EntraRefused,
    /// The Entra ID authority could not be reached.
    EntraUnreachable,
    Other,
}

impl FailureKind {
    pub fn code(self) -> ErrorCode {
        match self {
            FailureKind::Dns => ErrorCode::Dns,
            FailureKind::ConnectionRefused => ErrorCode::ConnectionRefused,
            FailureKind::Timeout => ErrorCode::Timeout,
            FailureKind::Network => ErrorCode::Network,
            FailureKind::TlsNotSupported
            | FailureKind::TlsUnknownCa
            | FailureKind::TlsHostnameMismatch
            | FailureKind::TlsOther => ErrorCode::Tls,
            FailureKind::AuthFailed => ErrorCode::AuthFailed,
            FailureKind::DatabaseMissing => ErrorCode::DatabaseMissing,
            FailureKind::ConnectDenied => ErrorCode::ConnectDenied,
            FailureKind::Unavailable => ErrorCode::Unavailable,
            FailureKind::NotPostgres => ErrorCode::NotPostgres,
            FailureKind::SecretMissing => ErrorCode::SecretMissing,
            FailureKind::PermissionDenied => ErrorCode::PermissionDenied,
            FailureKind::ReadOnly => ErrorCode::ReadOnly,
            FailureKind::AwsCredentials => ErrorCode::AwsCredentials,
            FailureKind::AwsAssumeRole => ErrorCode::AwsAssumeRole,
            FailureKind::AwsApi => ErrorCode::AwsApi,
            FailureKind::TokenRejected => ErrorCode::TokenRejected,
            FailureKind::EntraRefused => ErrorCode::EntraRefused,
            FailureKind::EntraUnreachable => ErrorCode::EntraUnreachable,
            FailureKind::Other => ErrorCode::Database,
        }
    }
}

fn tls_kind(text: &str) -> (FailureKind, &'static str) {
    let t = text.to_ascii_lowercase();
    if t.contains("does not support tls") {
        (
            FailureKind::TlsNotSupported,
            "the server does not accept SSL connections, but the SSL mode requires SSL",
        )
    } else if t.contains("hostname mismatch") || t.contains("ip address mismatch") {
        (
            FailureKind::TlsHostnameMismatch,
            "the server certificate does not name this host (verify-full)",
        )
    } else if t.contains("certificate verify failed")
        || t.contains("unable to get local issuer")
        || t.contains("self-signed")
        || t.contains("self signed")
    {
        (
            FailureKind::TlsUnknownCa,
            "the server certificate is not signed by the given CA",
        )
    } else {
        (
            FailureKind::TlsOther,
            "TLS negotiation with the server failed",
        )
    }
}

/// Maps a driver error to a clear, specific error. Never includes a secret: driver errors carry
/// none, and server messages do not echo passwords.
pub fn classify(e: &sqlx::Error) -> Error {
    let (kind, message) = classify_kind(e);
    Error::new(kind.code(), message).with_detail(e.to_string())
}

pub(crate) fn classify_kind(e: &sqlx::Error) -> (FailureKind, String) {
    match e {
        sqlx::Error::Tls(inner) => {
            let (k, m) = tls_kind(&format!("{inner} {inner:?}"));
            (k, m.to_string())
        }
        sqlx::Error::Database(d) => match d.code().as_deref() {
            Some("28P01") => (
                FailureKind::AuthFailed,
                "password authentication failed".into(),
            ),
            Some("28000") => (
                FailureKind::AuthFailed,
                format!("the server rejected the connection: {}", d.message()),
            ),
            Some("3D000") => (
                FailureKind::DatabaseMissing,
                format!("the database does not exist: {}", d.message()),
            ),
            // Raised while logging in (CheckMyDatabase checks CONNECT and ALLOW_CONNECTIONS);
            // the same codes from a query mean something else.
            Some("42501") if routine(d.as_ref()) == Some("CheckMyDatabase") => (
                FailureKind::ConnectDenied,
                format!(
                    "{}: the login lacks the CONNECT privilege on that database",
                    d.message()
                ),
            ),
            Some("55000") if routine(d.as_ref()) == Some("CheckMyDatabase") => (
                FailureKind::Unavailable,
                format!(
                    "{} (the database's ALLOW_CONNECTIONS is false)",
                    d.message()
                ),
            ),
            Some("53300") => (FailureKind::Unavailable, connection_limit(d.message())),
            Some("42501") => (FailureKind::PermissionDenied, permission_denied(d.message())),
            Some("25006") => (
                FailureKind::ReadOnly,
                format!(
                    "the server takes no writes ({}): it is a read-only standby or read-only by default; apply to the primary",
                    d.message()
                ),
            ),
            Some("57P01" | "57P02") => (
                FailureKind::Unavailable,
                format!(
                    "the server ended the session (it is shutting down, or an administrator ended it): {}; retry when it is back",
                    d.message()
                ),
            ),
            Some("57P03") => (
                FailureKind::Unavailable,
                format!("the server takes no connections now: {}", d.message()),
            ),
            Some(code) => (
                FailureKind::Other,
                format!(
                    "the server answered with an error ({code}): {}",
                    d.message()
                ),
            ),
            None => (FailureKind::Other, d.message().to_string()),
        },
        sqlx::Error::Io(io) => io_kind(io),
        sqlx::Error::PoolTimedOut => (
            FailureKind::Timeout,
            "timed out waiting for a connection".into(),
        ),
        // Asked whether it speaks TLS, a PostgreSQL server answers 'S' or 'N'.
        sqlx::Error::Protocol(p) if p.contains("unexpected response from SSLRequest") => (
            FailureKind::NotPostgres,
            "what answers there is not a PostgreSQL server: it did not answer the SSL request as PostgreSQL does"
                .into(),
        ),
        sqlx::Error::Protocol(p) if p.contains("password") => (
            FailureKind::AuthFailed,
            "the server asked for a password and none is saved".into(),
        ),
        other => {
            let text = other.to_string();
            if text.contains("no password") || text.contains("password authentication") {
                (FailureKind::AuthFailed, text)
            } else {
                (FailureKind::Other, text)
            }
        }
    }
}

/// Which connection limit a 53300 hit: the role's, the database's or the server's.
fn connection_limit(message: &str) -> String {
    // PostgreSQL 16+: "remaining connection slots are reserved for roles with ..." also holds
    // "for role", so the reserved slots are told apart first.
    if message.contains("reserved") {
        format!("the server takes no more connections from this role ({message}): the slots left are reserved (superuser_reserved_connections, reserved_connections); end some sessions or raise max_connections")
    } else if message.contains("for role") {
        format!("the role's connection limit is reached ({message}): end some of its sessions, or raise it with ALTER ROLE ... CONNECTION LIMIT")
    } else if message.contains("for database") {
        format!("the database's connection limit is reached ({message}): end some of its sessions, or raise it with ALTER DATABASE ... CONNECTION LIMIT")
    } else {
        format!("the server takes no more connections ({message}): max_connections is reached, or the slots left are reserved")
    }
}

/// A privilege the connecting role lacks; for a catalog table (revoked from PUBLIC on a
/// hardened server), the GRANT that gives it back.
fn permission_denied(message: &str) -> String {
    let catalog = message
        .rsplit(' ')
        .next()
        .filter(|t| t.starts_with("pg_") && t.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
    match catalog {
        Some(t) => format!(
            "{message}: the connecting role cannot read the catalog pg_catalog.{t} (SELECT on it was revoked); a superuser can give it back with GRANT SELECT ON pg_catalog.{t} TO the connecting role"
        ),
        None => format!("{message}: the connecting role lacks that privilege"),
    }
}

/// The server function that raised an error (not translated, unlike its message).
fn routine(d: &dyn sqlx::error::DatabaseError) -> Option<&str> {
    d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .and_then(|p| p.routine())
}

/// The length a PostgreSQL message said it had, from the driver's "expected to read N bytes"
/// when the connection ended before that many came.
fn announced_length(text: &str) -> Option<u64> {
    let rest = text.split("expected to read ").nth(1)?;
    rest.split(' ').next()?.parse().ok()
}

fn io_kind(io: &std::io::Error) -> (FailureKind, String) {
    use std::io::ErrorKind as K;
    let text = io.to_string();
    match io.kind() {
        K::ConnectionRefused => (
            FailureKind::ConnectionRefused,
            "connection refused: nothing listens on that host and port".into(),
        ),
        // A Unix socket that is not there: no server runs in that directory on that port.
        K::NotFound => (
            FailureKind::ConnectionRefused,
            "no server listens on that Unix socket".into(),
        ),
        // Bytes that are not the PostgreSQL protocol, read as a message length: an HTTP
        // server's "HTTP/1.1" announces over a gigabyte. Startup messages are a few bytes.
        K::UnexpectedEof if announced_length(&text).is_some_and(|n| n >= 1 << 24) => (
            FailureKind::NotPostgres,
            "what answers there is not a PostgreSQL server: its reply is not the PostgreSQL protocol"
                .into(),
        ),
        K::UnexpectedEof => (
            FailureKind::Network,
            "the server closed the connection before it was set up".into(),
        ),
        K::TimedOut => (FailureKind::Timeout, "the connection timed out".into()),
        _ if text.contains("failed to lookup address")
            || text.contains("Name or service not known") =>
        {
            (
                FailureKind::Dns,
                format!("cannot resolve the host name: {text}"),
            )
        }
        _ => (FailureKind::Network, format!("network error: {text}")),
    }
}

/// One check of the connection test, in order.
#[derive(Debug, Clone, Serialize, TS)]
pub struct CheckStep {
    pub name: String,
    pub ok: bool,
    pub elapsed_ms: u32,
    pub note: String,
}

/// What the connected user may do, as far as Grantry cares.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ConnectorPowers {
    pub superuser: bool,
    pub createrole: bool,
    pub createdb: bool,
    /// Member of pg_read_all_stats (sees every user's query text in pg_stat_statements).
    pub read_all_stats: bool,
    /// Installed version in the connected database, if installed.
    pub pg_stat_statements_installed: Option<String>,
    /// In shared_preload_libraries; `None` when the server does not let this user see that.
    pub pg_stat_statements_loaded: Option<bool>,
    /// `None` when the connecting role may not read pg_available_extensions.
    pub pg_stat_statements_available: Option<bool>,
    /// Member of RDS's `rds_superuser`; `None` where the role does not exist (not RDS).
    pub rds_superuser: Option<bool>,
    /// Member of Azure's `azure_pg_admin`; `None` where the role does not exist (not Azure).
    pub azure_pg_admin: Option<bool>,
    /// Relations of the connected database's own schemas it may not grant SELECT on, counted
    /// up to 1,001; `None` when that could not be read.
    pub ungrantable_relations: Option<u32>,
    /// The schemas those relations are in.
    pub ungrantable_schemas: Vec<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ServerInfo {
    pub version: String,
    pub version_num: i32,
    pub current_user: String,
    pub database: String,
    pub ssl_in_use: bool,
    pub ssl_version: Option<String>,
    pub ssl_cipher: Option<String>,
    /// The SSL mode that finally connected (differs from the requested one for `allow`).
    pub effective_sslmode: String,
    /// A hot standby.
    pub in_recovery: bool,
    /// Takes no GRANT: a standby, or default_transaction_read_only on for this session.
    pub read_only: bool,
    /// What the report could not tell (a catalog the role may not read), and why applies are
    /// refused on a read-only server.
    pub notes: Vec<String>,
    pub powers: ConnectorPowers,
}

/// The answer to "test connection".
#[derive(Debug, Clone, Serialize, TS)]
pub struct ConnectionReport {
    pub ok: bool,
    pub failure: Option<FailureKind>,
    pub message: String,
    pub detail: Option<String>,
    pub steps: Vec<CheckStep>,
    pub server: Option<ServerInfo>,
    /// What the platform needs of the connecting role, each with why and what fixes it (empty
    /// when the test did not get that far).
    pub prerequisites: Vec<prerequisites::Prerequisite>,
}

impl ConnectionReport {
    /// The report with the prerequisites of `platform` checked against what the server said.
    pub fn checked_for(mut self, platform: prerequisites::Platform) -> Self {
        self.prerequisites = match &self.server {
            Some(s) if self.ok => prerequisites::check(platform, s),
            _ => Vec::new(),
        };
        self
    }

    pub fn failed(
        steps: Vec<CheckStep>,
        kind: FailureKind,
        message: String,
        detail: Option<String>,
    ) -> Self {
        ConnectionReport {
            ok: false,
            failure: Some(kind),
            message,
            detail,
            steps,
            server: None,
            prerequisites: Vec::new(),
        }
    }
    /// The report as an error, for callers that only want success or a reason.
    pub fn into_result(self) -> Result<ServerInfo> {
        match (self.ok, self.server) {
            (true, Some(s)) => Ok(s),
            _ => {
                let code = self
                    .failure
                    .map(FailureKind::code)
                    .unwrap_or(ErrorCode::Internal);
                let mut e = Error::new(code, self.message);
                e.detail = self.detail;
                Err(e)
            }
        }
    }
}

fn step(name: &str, started: Instant, ok: bool, note: impl Into<String>) -> CheckStep {
    CheckStep {
        name: name.to_string(),
        ok,
        elapsed_ms: started.elapsed().as_millis().min(u32::MAX as u128) as u32,
        note: note.into(),
    }
}

/// Runs every check in order and stops at the first failure.
pub async fn test_connection(endpoint: &PgEndpoint, secrets: &ConnectSecrets) -> ConnectionReport {
    let mut steps = Vec::new();
    // The individual checks are bounded even without a connect timeout (0, as in libpq).
    let timeout = connect_timeout(endpoint).unwrap_or(Duration::from_secs(600));
    if !env::ignored().is_empty() {
        steps.push(step(
            "environment",
            Instant::now(),
            true,
            format!(
                "ignored {} from the environment: the integration's own settings are used",
                env::ignored().join(", ")
            ),
        ));
    }
    if !endpoint.host.starts_with('/') {
        // 1. DNS
        let t = Instant::now();
        let addrs = match tokio::time::timeout(
            timeout,
            tokio::net::lookup_host((endpoint.host.as_str(), endpoint.port)),
        )
        .await
        {
            Ok(Ok(a)) => a.collect::<Vec<_>>(),
            Ok(Err(e)) => {
                steps.push(step("resolve host", t, false, e.to_string()));
                return ConnectionReport::failed(
                    steps,
                    FailureKind::Dns,
                    format!("cannot resolve host {:?}", endpoint.host),
                    Some(e.to_string()),
                );
            }
            Err(_) => {
                steps.push(step("resolve host", t, false, "timed out"));
                return ConnectionReport::failed(
                    steps,
                    FailureKind::Timeout,
                    format!("resolving {:?} timed out", endpoint.host),
                    None,
                );
            }
        };
        let shown: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
        steps.push(step("resolve host", t, true, shown.join(", ")));
        // 2. TCP
        let t = Instant::now();
        let mut last: Option<(FailureKind, String)> = None;
        let mut reached = None;
        let mut stream = None;
        for addr in &addrs {
            match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await {
                Ok(Ok(s)) => {
                    reached = Some(*addr);
                    stream = Some(s);
                    break;
                }
                Ok(Err(e)) => last = Some(io_kind(&e)),
                Err(_) => {
                    last = Some((
                        FailureKind::Timeout,
                        format!("no answer from {addr} within {} s", timeout.as_secs()),
                    ))
                }
            }
        }
        match reached {
            Some(a) => {
                steps.push(step("open TCP connection", t, true, a.to_string()));
                // A PostgreSQL server never speaks first; an SSH server (a wrong port) does.
                if let Some(greeting) = greeting(stream.take()).await {
                    let msg = format!(
                        "what answers at {}:{} is not a PostgreSQL server: it speaks first, saying \"{greeting}\" (a PostgreSQL server waits for the client)",
                        endpoint.host, endpoint.port
                    );
                    steps.push(step("PostgreSQL protocol", t, false, msg.clone()));
                    return ConnectionReport::failed(steps, FailureKind::NotPostgres, msg, None);
                }
            }
            None => {
                let (kind, msg) =
                    last.unwrap_or((FailureKind::Network, "no address to connect to".into()));
                steps.push(step("open TCP connection", t, false, msg.clone()));
                return ConnectionReport::failed(
                    steps,
                    kind,
                    format!("{msg} ({}:{})", endpoint.host, endpoint.port),
                    None,
                );
            }
        }
    }
    // 3. PostgreSQL handshake: TLS, authentication, database.
    let t = Instant::now();
    let (mut conn, opts) = match connect(endpoint, secrets, None).await {
        Ok(c) => c,
        Err(e) => {
            let kind = failure_of(&e);
            // TLS comes before the login: a certificate problem is that step's failure.
            let name = if e.code == ErrorCode::Tls {
                "TLS handshake"
            } else {
                "log in"
            };
            let mut message = e.message.clone();
            if kind == FailureKind::Timeout && !endpoint.host.starts_with('/') {
                // The TCP connection opened, so something listens: it does not answer as
                // PostgreSQL does (a web server waiting for a request), or it is overloaded.
                message = format!(
                    "{message}: the TCP connection opened but no PostgreSQL answer came; what listens on port {} may not be a PostgreSQL server, or it is overloaded",
                    endpoint.port
                );
            }
            steps.push(step(name, t, false, message.clone()));
            if kind == FailureKind::AuthFailed && secrets.password.is_none() {
                message.push_str(" (no password is saved for this integration)");
            }
            return ConnectionReport::failed(steps, kind, message, e.detail);
        }
    };
    steps.push(step(
        "log in",
        t,
        true,
        format!("as {} to {}", endpoint.username, endpoint.database),
    ));
    // 4. The catalogs Grantry reads: a hardened server may have revoked some.
    let t = Instant::now();
    match catalogs::unreadable(&mut conn).await {
        Ok(u) => {
            if let Some(e) = u.required_error() {
                steps.push(step("read catalogs", t, false, e.message.clone()));
                let _ = conn.close().await;
                return ConnectionReport::failed(
                    steps,
                    FailureKind::PermissionDenied,
                    e.message,
                    None,
                );
            }
            let mut notes = u.notes();
            notes.extend(
                u.comment_notes()
                    .into_iter()
                    .map(|n| format!("{n} (they read blank)")),
            );
            let note = if notes.is_empty() {
                "every catalog Grantry reads is readable".to_string()
            } else {
                notes.join("; ")
            };
            steps.push(step("read catalogs", t, true, note));
        }
        Err(e) => {
            steps.push(step("read catalogs", t, false, e.message.clone()));
            return ConnectionReport::failed(steps, failure_of(&e), e.message, e.detail);
        }
    }
    // 5. What the server is and what we may do there.
    let t = Instant::now();
    match server_info(&mut conn, &opts).await {
        Ok(info) => {
            steps.push(step(
                "inspect server",
                t,
                true,
                format!(
                    "PostgreSQL {}{}{}",
                    info.version,
                    if info.in_recovery {
                        ", a standby (read-only)"
                    } else if info.read_only {
                        ", read-only by default"
                    } else {
                        ""
                    },
                    info.notes
                        .iter()
                        .map(|n| format!("; {n}"))
                        .collect::<String>()
                ),
            ));
            let _ = conn.close().await;
            ConnectionReport {
                ok: true,
                failure: None,
                message: format!(
                    "connected to PostgreSQL {} as {}{}{}",
                    info.version,
                    info.current_user,
                    if info.ssl_in_use {
                        " over SSL"
                    } else {
                        " without SSL"
                    },
                    if info.in_recovery {
                        "; the server is a standby: it takes no changes"
                    } else if info.read_only {
                        "; the server is read-only by default: it takes no changes"
                    } else {
                        ""
                    }
                ),
                detail: None,
                steps,
                server: Some(info),
                prerequisites: Vec::new(),
            }
            .checked_for(prerequisites::Platform::SelfHosted)
        }
        Err(e) => {
            steps.push(step("inspect server", t, false, e.message.clone()));
            ConnectionReport::failed(steps, failure_of(&e), e.message, e.detail)
        }
    }
}

/// What a server said before the client spoke, read for a short while: `None` when it said
/// nothing, as PostgreSQL does.
async fn greeting(stream: Option<tokio::net::TcpStream>) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut s = stream?;
    let mut buf = [0u8; 128];
    let n = tokio::time::timeout(Duration::from_millis(150), s.read(&mut buf))
        .await
        .ok()?
        .ok()?;
    if n == 0 {
        return None;
    }
    let text = String::from_utf8_lossy(&buf[..n]);
    let line = text.lines().next().unwrap_or_default();
    Some(crate::quote::escape_controls(line.trim()))
}

fn failure_of(e: &Error) -> FailureKind {
    match e.code {
        ErrorCode::Dns => FailureKind::Dns,
        ErrorCode::ConnectionRefused => FailureKind::ConnectionRefused,
        ErrorCode::Timeout => FailureKind::Timeout,
        ErrorCode::Network => FailureKind::Network,
        ErrorCode::AuthFailed => FailureKind::AuthFailed,
        ErrorCode::DatabaseMissing => FailureKind::DatabaseMissing,
        ErrorCode::ConnectDenied => FailureKind::ConnectDenied,
        ErrorCode::Unavailable => FailureKind::Unavailable,
        ErrorCode::NotPostgres => FailureKind::NotPostgres,
        ErrorCode::SecretMissing => FailureKind::SecretMissing,
        ErrorCode::PermissionDenied => FailureKind::PermissionDenied,
        ErrorCode::ReadOnly => FailureKind::ReadOnly,
        ErrorCode::Tls => tls_kind(e.detail.as_deref().unwrap_or_default()).0,
        _ => FailureKind::Other,
    }
}

/// Version, SSL and the connector's powers, from the server itself. A part the connecting role
/// may not read (a catalog revoked on a hardened server) is left unknown, with a note.
pub async fn server_info(conn: &mut PgConnection, opts: &PgConnectOptions) -> Result<ServerInfo> {
    let row = sqlx::query(include_str!("server_info.sql"))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| classify(&e))?;
    let mut notes = Vec::new();
    // Each optional part runs on its own: a refused one leaves no aborted transaction behind
    // (there is none: autocommit).
    let denied = |what: &str, e: &sqlx::Error, notes: &mut Vec<String>| {
        notes.push(format!("{what} is unknown: {}", classify(e).message));
    };
    let (mut ssl_in_use, mut ssl_version, mut ssl_cipher) = (false, None, None);
    match sqlx::query_as::<_, (Option<bool>, Option<String>, Option<String>)>(include_str!(
        "server_ssl.sql"
    ))
    .fetch_optional(&mut *conn)
    .await
    {
        Ok(Some((ssl, version, cipher))) => {
            // With require or stronger the client's link is encrypted (it connects no other
            // way), whatever the server says of the session it sees.
            let server_sees = ssl.unwrap_or(false);
            let client_encrypts = matches!(
                opts.get_ssl_mode(),
                PgSslMode::Require | PgSslMode::VerifyCa | PgSslMode::VerifyFull
            );
            ssl_in_use = server_sees || client_encrypts;
            if client_encrypts && !server_sees {
                notes.push(
                    "the connection to the endpoint is encrypted, but the server sees this session \
                     without SSL: a proxy or connection pooler in between ends the TLS, and its own \
                     link to the server is not encrypted"
                        .into(),
                );
            }
            (ssl_version, ssl_cipher) = (version, cipher);
        }
        Ok(None) => {}
        Err(e) => {
            // The client knows whether its own connection is encrypted.
            ssl_in_use = matches!(
                opts.get_ssl_mode(),
                PgSslMode::Require | PgSslMode::VerifyCa | PgSslMode::VerifyFull
            );
            denied("the session's SSL version and cipher", &e, &mut notes);
        }
    }
    let (installed, available) =
        match sqlx::query_as::<_, (Option<String>, bool)>(include_str!("server_pgss.sql"))
            .fetch_one(&mut *conn)
            .await
        {
            Ok((installed, available)) => (installed, Some(available)),
            Err(e) => {
                denied(
                    "whether pg_stat_statements is installed or available",
                    &e,
                    &mut notes,
                );
                (None, None)
            }
        };
    let ungrantable: Option<(i32, Vec<String>)> =
        match sqlx::query_as(include_str!("server_grantable.sql"))
            .fetch_one(&mut *conn)
            .await
        {
            Ok(n) => Some(n),
            Err(e) => {
                denied(
                    "which relations the connecting role may grant on",
                    &e,
                    &mut notes,
                );
                None
            }
        };
    let preload: Option<String> = match sqlx::query_scalar(include_str!("server_preload.sql"))
        .fetch_optional(&mut *conn)
        .await
    {
        Ok(p) => p,
        Err(e) => {
            denied("shared_preload_libraries", &e, &mut notes);
            None
        }
    };
    let mut loaded = preload.map(|p| {
        p.split(',')
            .any(|l| l.trim().trim_matches('"') == "pg_stat_statements")
    });
    if installed.is_some() {
        // The view refuses to be read when the library is not preloaded.
        let probe = sqlx::query("SELECT 1 FROM pg_stat_statements LIMIT 1")
            .fetch_optional(&mut *conn)
            .await;
        match probe {
            Ok(_) => loaded = Some(true),
            Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("55000") => {
                loaded = Some(false)
            }
            Err(_) => {}
        }
    }
    let in_recovery: bool = row.get("in_recovery");
    let read_only_default: bool = row.get("read_only_default");
    if in_recovery {
        notes.push(
            "this server is a standby (in recovery): it takes no GRANT or REVOKE; apply on the primary".into(),
        );
    } else if read_only_default {
        notes.push(
            "default_transaction_read_only is on for this session: Grantry refuses to apply here (check ALTER DATABASE/ROLE ... SET and postgresql.conf)".into(),
        );
    }
    Ok(ServerInfo {
        version: row.get("server_version"),
        version_num: row.get("server_version_num"),
        current_user: row.get("current_user"),
        database: row.get("current_database"),
        ssl_in_use,
        ssl_version,
        ssl_cipher,
        effective_sslmode: match opts.get_ssl_mode() {
            PgSslMode::Disable => "disable",
            PgSslMode::Allow => "allow",
            PgSslMode::Prefer => "prefer",
            PgSslMode::Require => "require",
            PgSslMode::VerifyCa => "verify-ca",
            PgSslMode::VerifyFull => "verify-full",
        }
        .to_string(),
        in_recovery,
        read_only: in_recovery || read_only_default,
        notes,
        powers: ConnectorPowers {
            superuser: row.get("superuser"),
            createrole: row.get("createrole"),
            createdb: row.get("createdb"),
            read_all_stats: row.get("read_all_stats"),
            pg_stat_statements_installed: installed,
            pg_stat_statements_loaded: loaded,
            pg_stat_statements_available: available,
            rds_superuser: row.get("rds_superuser"),
            azure_pg_admin: row.get("azure_pg_admin"),
            ungrantable_relations: ungrantable.as_ref().map(|(n, _)| (*n).max(0) as u32),
            ungrantable_schemas: ungrantable.map(|(_, s)| s).unwrap_or_default(),
        },
    })
}
