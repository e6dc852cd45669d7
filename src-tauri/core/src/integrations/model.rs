//! Integrations: what Grantry knows about a server it manages. Secrets are never part of these
//! types; they live in the keychain and are referenced by the integration's id.
//!
//! The connection settings are a tagged enum ([`Connection`]) stored as JSON, so further kinds
//! (AWS RDS / Aurora with IAM, Azure Entra ID) are new variants and nothing else changes.

use crate::error::{Error, Result};
use crate::secrets::Secret;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// libpq's six `sslmode` values, with libpq's exact semantics (see `connect.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(rename_all = "kebab-case")]
pub enum SslMode {
    /// Never TLS.
    Disable,
    /// Plain first; TLS only if the server insists.
    Allow,
    /// TLS if the server offers it, no certificate check (libpq's default).
    #[default]
    Prefer,
    /// TLS or fail; no certificate check (unless a CA certificate is given: then as verify-ca).
    Require,
    /// TLS, and the server certificate must chain to the CA.
    VerifyCa,
    /// As verify-ca, and the host name must match the certificate.
    VerifyFull,
}

impl SslMode {
    pub const ALL: [SslMode; 6] = [
        SslMode::Disable,
        SslMode::Allow,
        SslMode::Prefer,
        SslMode::Require,
        SslMode::VerifyCa,
        SslMode::VerifyFull,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s).ok_or_else(|| {
            Error::invalid(format!(
                "unknown SSL mode {s:?}: expected one of disable, allow, prefer, require, verify-ca, verify-full"
            ))
        })
    }
}

/// Environment label. Production is shown in red everywhere and guarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum Environment {
    #[default]
    Development,
    Testing,
    Staging,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Testing => "testing",
            Environment::Staging => "staging",
            Environment::Production => "production",
        }
    }
    pub fn parse(s: &str) -> Result<Self> {
        [
            Self::Development,
            Self::Testing,
            Self::Staging,
            Self::Production,
        ]
        .into_iter()
        .find(|e| e.as_str() == s)
        .ok_or_else(|| {
            Error::invalid(format!(
                "unknown environment {s:?}: expected development, testing, staging or production"
            ))
        })
    }
}

/// A certificate given as a file on disk or as pasted PEM text. Certificates are public data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "source", rename_all = "snake_case")]
#[ts(tag = "source", rename_all = "snake_case")]
pub enum CertSource {
    File { path: String },
    Pem { pem: String },
}

/// Where a client private key is: a file the user manages, or pasted PEM kept in the keychain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "source", rename_all = "snake_case")]
#[ts(tag = "source", rename_all = "snake_case")]
pub enum KeySource {
    File { path: String },
    Keychain,
}

/// A client key as entered: a file path, or PEM text that goes to the keychain.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(tag = "source", rename_all = "snake_case")]
#[ts(tag = "source", rename_all = "snake_case")]
pub enum KeyInput {
    File {
        path: String,
    },
    Pem {
        #[ts(type = "string")]
        pem: Secret,
    },
}

/// How an integration's password is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum PasswordStorage {
    /// In the OS keychain.
    #[default]
    Keychain,
    /// Not saved: asked for once per session (the choice when no keychain is available).
    Session,
    /// The integration uses no password (certificate or trust authentication).
    None,
}

impl PasswordStorage {
    pub fn as_str(self) -> &'static str {
        match self {
            PasswordStorage::Keychain => "keychain",
            PasswordStorage::Session => "session",
            PasswordStorage::None => "none",
        }
    }
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "keychain" => Ok(Self::Keychain),
            "session" => Ok(Self::Session),
            "none" => Ok(Self::None),
            _ => Err(Error::local_store(format!(
                "unknown password storage {s:?} in the local store"
            ))),
        }
    }
}

/// Connection settings of a server reached by host, port and password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PgEndpoint {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub username: String,
    pub sslmode: SslMode,
    pub ca_cert: Option<CertSource>,
    pub client_cert: Option<CertSource>,
    pub client_key: Option<KeySource>,
    pub connect_timeout_secs: u32,
    pub application_name: String,
}

/// Connection settings by kind of integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(tag = "kind", rename_all = "snake_case")]
pub enum Connection {
    /// Self-hosted PostgreSQL, or any hosted server reached by host/port/password (Crunchy, Neon, ...).
    SelfHosted(PgEndpoint),
}

impl Connection {
    pub fn kind(&self) -> &'static str {
        match self {
            Connection::SelfHosted(_) => "self_hosted",
        }
    }
    pub fn endpoint(&self) -> &PgEndpoint {
        match self {
            Connection::SelfHosted(e) => e,
        }
    }
}

/// A saved integration as shown to the UI and CLI: no secret, only whether one is available.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Integration {
    pub id: String,
    pub name: String,
    pub connection: Connection,
    pub environment: Environment,
    pub read_only: bool,
    pub password_storage: PasswordStorage,
    /// A password is available now (in the keychain, or given for this session).
    pub has_password: bool,
    /// Created by `grantry sandbox start` / the app's first launch.
    pub is_sandbox: bool,
    pub created_at: String,
    pub updated_at: String,
}

pub const DEFAULT_PORT: u16 = 5432;
pub const DEFAULT_DATABASE: &str = "postgres";
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u32 = 10;
pub const DEFAULT_APPLICATION_NAME: &str = "grantry";

/// What the user enters to add or edit a self-hosted integration. Every field is validated by
/// [`IntegrationInput::validate`] before anything is saved.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default)]
pub struct IntegrationInput {
    pub name: String,
    pub host: String,
    /// Port as entered; validated to 1..=65535. Empty means 5432.
    #[ts(optional, type = "number")]
    pub port: Option<i64>,
    #[ts(optional)]
    pub database: Option<String>,
    pub username: String,
    /// New password. On edit, absent means "keep the current one".
    #[ts(optional, type = "string")]
    pub password: Option<Secret>,
    /// On edit: forget the saved password.
    pub clear_password: bool,
    /// Keep the password for this session only instead of the keychain.
    pub session_only_password: bool,
    #[ts(optional)]
    pub sslmode: Option<SslMode>,
    #[ts(optional)]
    pub ca_cert: Option<CertSource>,
    #[ts(optional)]
    pub client_cert: Option<CertSource>,
    /// New client key. On edit, absent keeps the current one unless `clear_client_key`.
    #[ts(optional)]
    pub client_key: Option<KeyInput>,
    pub clear_client_key: bool,
    #[ts(optional, type = "number")]
    pub connect_timeout_secs: Option<i64>,
    #[ts(optional)]
    pub application_name: Option<String>,
    #[ts(optional)]
    pub environment: Option<Environment>,
    pub read_only: bool,
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// Checks a certificate source: readable, and PEM with at least one certificate.
pub fn check_cert(what: &str, cert: &CertSource) -> Result<Vec<u8>> {
    let pem = read_cert_bytes(what, cert)?;
    native_tls::Certificate::from_pem(&pem).map_err(|e| {
        Error::invalid(format!("{what} is not a PEM certificate")).with_detail(e.to_string())
    })?;
    if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err(Error::invalid(format!(
            "{what} is not a PEM certificate (no BEGIN CERTIFICATE block)"
        )));
    }
    Ok(pem)
}

impl CertSource {
    /// `sslrootcert=system` (libpq 16+): the system's trusted roots instead of one CA.
    pub fn is_system(&self) -> bool {
        matches!(self, CertSource::File { path } if path == "system")
    }
}

pub fn read_cert_bytes(what: &str, cert: &CertSource) -> Result<Vec<u8>> {
    match cert {
        CertSource::Pem { pem } => Ok(pem.as_bytes().to_vec()),
        CertSource::File { path } => std::fs::read(expand_home(path))
            .map_err(|e| Error::invalid(format!("cannot read the {what} file {path}: {e}"))),
    }
}

/// `~/x` -> `$HOME/x` for paths typed by a user.
pub fn expand_home(path: &str) -> std::path::PathBuf {
    if let Some(rest) = path.strip_prefix("~/") {
        if let Some(home) = dirs::home_dir() {
            return home.join(rest);
        }
    }
    std::path::PathBuf::from(path)
}

impl IntegrationInput {
    /// Validates every field and produces the connection settings; the first problem is the
    /// error (see [`IntegrationInput::problems`] for all of them). `existing_key` tells whether
    /// the integration being edited already has a client key in the keychain.
    pub fn validate(&self, existing_key: Option<&KeySource>) -> Result<(String, Connection)> {
        let (out, mut problems) = self.checked(existing_key);
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(problems.remove(0))
        }
    }

    /// Every problem of the input, each naming its field: what a form shows next to its fields.
    pub fn problems(&self, existing_key: Option<&KeySource>) -> Vec<Error> {
        self.checked(existing_key).1
    }

    fn checked(&self, existing_key: Option<&KeySource>) -> ((String, Connection), Vec<Error>) {
        let mut problems = Vec::new();
        let mut bad = |field: &str, e: Error| problems.push(e.at(field));
        let name = self.name.trim();
        if name.is_empty() {
            bad("name", Error::invalid("the integration needs a name"));
        } else if name.chars().count() > 63 {
            bad(
                "name",
                Error::invalid("an integration name has at most 63 characters"),
            );
        } else if name.chars().any(|c| c.is_control()) {
            bad(
                "name",
                Error::invalid("an integration name cannot contain control characters"),
            );
        }
        let host = self.host.trim();
        if host.is_empty() {
            bad("host", Error::invalid("the host is required"));
        } else if host.chars().any(|c| c.is_whitespace() || c.is_control()) {
            bad(
                "host",
                Error::invalid(format!("invalid host {host:?}: it contains white space")),
            );
        } else if host.contains(',') && !host.starts_with('/') {
            bad(
                "host",
                Error::invalid(format!(
                    "invalid host {host:?}: several hosts; an integration is one server"
                )),
            );
        }
        let port = match self.port {
            None => DEFAULT_PORT,
            Some(p) if (1..=65535).contains(&p) => p as u16,
            Some(p) => {
                bad(
                    "port",
                    Error::invalid(format!(
                        "invalid port {p}: a port is a number from 1 to 65535"
                    )),
                );
                DEFAULT_PORT
            }
        };
        let username = self.username.trim();
        if username.is_empty() {
            bad("username", Error::invalid("the user name is required"));
        }
        let database = non_empty(self.database.as_deref()).unwrap_or(DEFAULT_DATABASE);
        let timeout = match self.connect_timeout_secs {
            None => DEFAULT_CONNECT_TIMEOUT_SECS,
            // As libpq: 0 waits without limit, and the shortest limit is 2 seconds.
            Some(0) => 0,
            Some(1) => 2,
            Some(t) if (2..=600).contains(&t) => t as u32,
            Some(t) => {
                bad(
                    "connect_timeout_secs",
                    Error::invalid(format!(
                        "invalid connect timeout {t}: give 1 to 600 seconds, or 0 for no limit"
                    )),
                );
                DEFAULT_CONNECT_TIMEOUT_SECS
            }
        };
        let application_name =
            non_empty(self.application_name.as_deref()).unwrap_or(DEFAULT_APPLICATION_NAME);
        if application_name.len() > 63 {
            bad(
                "application_name",
                Error::invalid("application_name has at most 63 bytes"),
            );
        }
        if let Some(ca) = &self.ca_cert {
            if ca.is_system() {
                // libpq 16+: the system's roots, and only with the host name checked.
                if !matches!(self.sslmode, None | Some(SslMode::VerifyFull)) {
                    bad(
                        "sslmode",
                        Error::invalid(
                            "sslrootcert=system trusts every CA of the system, so it needs \
                             sslmode verify-full (the host name checked too), as libpq requires",
                        ),
                    );
                }
            } else if let Err(e) = check_cert("CA certificate", ca) {
                bad("ca_cert", e);
            }
        }
        if let Some(cert) = &self.client_cert {
            if let Err(e) = check_cert("client certificate", cert) {
                bad("client_cert", e);
            }
        }
        let client_key = match (&self.client_key, self.clear_client_key) {
            (Some(KeyInput::File { path }), _) => {
                match std::fs::read(expand_home(path))
                    .map_err(|e| {
                        Error::invalid(format!("cannot read the client key file {path}: {e}"))
                    })
                    .and_then(|bytes| check_key_pem(&bytes))
                {
                    Ok(()) => {}
                    Err(e) => bad("client_key", e),
                }
                Some(KeySource::File { path: path.clone() })
            }
            (Some(KeyInput::Pem { pem }), _) => {
                if let Err(e) = check_key_pem(pem.expose().as_bytes()) {
                    bad("client_key", e);
                }
                Some(KeySource::Keychain)
            }
            (None, true) => None,
            (None, false) => existing_key.cloned(),
        };
        if self.client_cert.is_some() != client_key.is_some() {
            bad(
                if self.client_cert.is_some() {
                    "client_key"
                } else {
                    "client_cert"
                },
                Error::invalid(
                    "a client certificate and a client key go together: give both or neither",
                ),
            );
        }
        // sslrootcert=system makes verify-full the default, as in libpq 16+.
        let sslmode = match (&self.sslmode, &self.ca_cert) {
            (None, Some(ca)) if ca.is_system() => SslMode::VerifyFull,
            (m, _) => m.unwrap_or_default(),
        };
        if matches!(sslmode, SslMode::VerifyCa | SslMode::VerifyFull) && self.ca_cert.is_none() {
            bad(
                "ca_cert",
                Error::invalid(format!(
                    "sslmode {} checks the server certificate against a CA: give the CA certificate",
                    sslmode.as_str()
                )),
            );
        }
        let out = (
            name.to_string(),
            Connection::SelfHosted(PgEndpoint {
                host: host.to_string(),
                port,
                database: database.to_string(),
                username: username.to_string(),
                sslmode,
                ca_cert: self.ca_cert.clone(),
                client_cert: self.client_cert.clone(),
                client_key,
                connect_timeout_secs: timeout,
                application_name: application_name.to_string(),
            }),
        );
        (out, problems)
    }
}

fn check_key_pem(bytes: &[u8]) -> Result<()> {
    let text = String::from_utf8_lossy(bytes);
    if text.contains("-----BEGIN") && text.contains("PRIVATE KEY-----") {
        Ok(())
    } else {
        // Never echo the content: it may be a secret pasted in the wrong field.
        Err(Error::invalid("the client key is not a PEM private key"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> IntegrationInput {
        IntegrationInput {
            name: "prod".into(),
            host: "db.example.com".into(),
            username: "admin".into(),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_apply() {
        let (name, conn) = input().validate(None).unwrap();
        assert_eq!(name, "prod");
        let e = conn.endpoint();
        assert_eq!(
            (e.port, e.database.as_str(), e.sslmode),
            (5432, "postgres", SslMode::Prefer)
        );
    }

    #[test]
    fn rejects_bad_port() {
        for p in [0, -1, 65536, 100000] {
            let err = IntegrationInput {
                port: Some(p),
                ..input()
            }
            .validate(None)
            .unwrap_err();
            assert_eq!(err.code, crate::ErrorCode::InvalidInput);
            assert!(err.message.contains("invalid port"), "{}", err.message);
        }
    }

    #[test]
    fn rejects_unreadable_cert() {
        let err = IntegrationInput {
            ca_cert: Some(CertSource::File {
                path: "/nonexistent/ca.pem".into(),
            }),
            ..input()
        }
        .validate(None)
        .unwrap_err();
        assert!(
            err.message.contains("cannot read the CA certificate file"),
            "{}",
            err.message
        );
        let err = IntegrationInput {
            ca_cert: Some(CertSource::Pem {
                pem: "garbage".into(),
            }),
            ..input()
        }
        .validate(None)
        .unwrap_err();
        assert!(
            err.message.contains("not a PEM certificate"),
            "{}",
            err.message
        );
    }

    #[test]
    fn verify_modes_need_a_ca() {
        let err = IntegrationInput {
            sslmode: Some(SslMode::VerifyFull),
            ..input()
        }
        .validate(None)
        .unwrap_err();
        assert!(err.message.contains("give the CA certificate"));
    }

    #[test]
    fn sslmode_round_trips() {
        for m in SslMode::ALL {
            assert_eq!(SslMode::parse(m.as_str()).unwrap(), m);
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(json, format!("\"{}\"", m.as_str()));
        }
        assert!(SslMode::parse("verify_full").is_err());
    }

    #[test]
    fn every_problem_names_its_field() {
        let bad = IntegrationInput {
            name: "".into(),
            port: Some(99999),
            connect_timeout_secs: Some(601),
            sslmode: Some(SslMode::VerifyFull),
            ..input()
        };
        let fields: Vec<Option<String>> = bad.problems(None).into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["name", "port", "connect_timeout_secs", "ca_cert"].map(|f| Some(f.to_string()))
        );
        assert_eq!(
            bad.validate(None).unwrap_err().field.as_deref(),
            Some("name")
        );
        assert!(input().problems(None).is_empty());
    }
}
