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
        .find(|e| e.as_str().eq_ignore_ascii_case(s.trim()))
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

impl PgEndpoint {
    /// The socket file a Unix-socket endpoint (a host that is a directory) connects to, as
    /// libpq names it: `<dir>/.s.PGSQL.<port>`; `None` for a TCP host.
    pub fn unix_socket(&self) -> Option<String> {
        self.host
            .starts_with('/')
            .then(|| format!("{}/.s.PGSQL.{}", self.host.trim_end_matches('/'), self.port))
    }
}

/// Connection settings by kind of integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(tag = "kind", rename_all = "snake_case")]
// Few and short-lived: a boxed variant would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Connection {
    /// Self-hosted PostgreSQL, or any hosted server reached by host/port/password (Crunchy, Neon, ...).
    SelfHosted(PgEndpoint),
    /// AWS RDS for PostgreSQL or Aurora PostgreSQL, with IAM or password auth.
    AwsRds(AwsRds),
    /// Azure Database for PostgreSQL Flexible Server, with Entra ID or password auth.
    Azure(Azure),
}

impl Connection {
    pub fn kind(&self) -> &'static str {
        match self {
            Connection::SelfHosted(_) => "self_hosted",
            Connection::AwsRds(_) => "aws_rds",
            Connection::Azure(_) => "azure",
        }
    }
    pub fn endpoint(&self) -> &PgEndpoint {
        match self {
            Connection::SelfHosted(e) => e,
            Connection::AwsRds(a) => &a.endpoint,
            Connection::Azure(a) => &a.endpoint,
        }
    }
    pub fn endpoint_mut(&mut self) -> &mut PgEndpoint {
        match self {
            Connection::SelfHosted(e) => e,
            Connection::AwsRds(a) => &mut a.endpoint,
            Connection::Azure(a) => &mut a.endpoint,
        }
    }
    /// The connection logs in with a short-lived token instead of a password.
    pub fn uses_token(&self) -> bool {
        match self {
            Connection::AwsRds(a) => a.auth == DbAuth::Iam,
            Connection::Azure(a) => a.uses_token(),
            Connection::SelfHosted(_) => false,
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

/// What the user enters to add or edit an integration: what every kind has (name, environment,
/// read-only) and the kind's own connection settings ([`ConnectionInput`]). Every field is
/// validated by [`IntegrationInput::validate`] before anything is saved.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default)]
pub struct IntegrationInput {
    pub name: String,
    #[ts(optional)]
    pub environment: Option<Environment>,
    pub read_only: bool,
    pub connection: ConnectionInput,
}

/// The connection settings as entered, by kind (see `integrations/kinds/`).
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(tag = "kind", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)]
pub enum ConnectionInput {
    SelfHosted(SelfHostedInput),
    AwsRds(AwsRdsInput),
    Azure(AzureInput),
}

impl Default for ConnectionInput {
    fn default() -> Self {
        ConnectionInput::SelfHosted(SelfHostedInput::default())
    }
}

pub use super::kinds::aws_rds::{
    AssumeRole, AssumeRoleInput, AwsAccess, AwsAccessInput, AwsCredentials, AwsCredentialsInput,
    AwsRds, AwsRdsInput, DbAuth, RdsTarget,
};
pub use super::kinds::azure::{
    Azure, AzureAuth, AzureAuthInput, AzureInput, EntraSource, EntraSourceInput,
};
pub use super::kinds::self_hosted::SelfHostedInput;

pub(crate) fn non_empty(s: Option<&str>) -> Option<&str> {
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
    /// A self-hosted integration's input.
    pub fn self_hosted(name: &str, settings: SelfHostedInput) -> Self {
        IntegrationInput {
            name: name.to_string(),
            connection: ConnectionInput::SelfHosted(settings),
            ..Default::default()
        }
    }

    /// The self-hosted settings, to change a field (`None` for other kinds).
    pub fn self_hosted_mut(&mut self) -> Option<&mut SelfHostedInput> {
        match &mut self.connection {
            ConnectionInput::SelfHosted(s) => Some(s),
            _ => None,
        }
    }

    /// The same input with its self-hosted settings changed by `f`.
    pub fn with_self_hosted(mut self, f: impl FnOnce(&mut SelfHostedInput)) -> Self {
        if let Some(s) = self.self_hosted_mut() {
            f(s);
        }
        self
    }

    /// A new password given with the input (never an empty one).
    pub fn password(&self) -> Option<&Secret> {
        match &self.connection {
            ConnectionInput::SelfHosted(s) => s.password.as_ref(),
            // An IAM login has no password to keep.
            ConnectionInput::AwsRds(a) if a.auth.unwrap_or_default() == DbAuth::Password => {
                a.password.as_ref()
            }
            ConnectionInput::AwsRds(_) => None,
            // An Entra login has no password to keep.
            ConnectionInput::Azure(a) if matches!(a.auth, AzureAuthInput::Password) => {
                a.password.as_ref()
            }
            ConnectionInput::Azure(_) => None,
        }
        .filter(|p| !p.is_empty())
    }
    /// On edit: forget the saved password.
    pub fn clear_password(&self) -> bool {
        match &self.connection {
            ConnectionInput::SelfHosted(s) => s.clear_password,
            ConnectionInput::AwsRds(a) => {
                a.clear_password || a.auth.unwrap_or_default() == DbAuth::Iam
            }
            ConnectionInput::Azure(a) => {
                a.clear_password || !matches!(a.auth, AzureAuthInput::Password)
            }
        }
    }
    /// Keep the password for this session only instead of the keychain.
    pub fn session_only_password(&self) -> bool {
        match &self.connection {
            ConnectionInput::SelfHosted(s) => s.session_only_password,
            ConnectionInput::AwsRds(a) => a.session_only_password,
            ConnectionInput::Azure(a) => a.session_only_password,
        }
    }
    pub fn set_session_only_password(&mut self, on: bool) {
        match &mut self.connection {
            ConnectionInput::SelfHosted(s) => s.session_only_password = on,
            ConnectionInput::AwsRds(a) => a.session_only_password = on,
            ConnectionInput::Azure(a) => a.session_only_password = on,
        }
    }
    /// A pasted client key, which goes to the keychain.
    pub fn client_key_pem(&self) -> Option<&Secret> {
        match &self.connection {
            ConnectionInput::SelfHosted(s) => match &s.client_key {
                Some(KeyInput::Pem { pem }) => Some(pem),
                _ => None,
            },
            ConnectionInput::AwsRds(_) | ConnectionInput::Azure(_) => None,
        }
    }
    /// A new Entra ID client secret given with the input.
    pub fn entra_client_secret(&self) -> Option<&Secret> {
        match &self.connection {
            ConnectionInput::Azure(a) => a.new_client_secret(),
            _ => None,
        }
    }
    /// New AWS secrets given with the input: (secret access key, session token).
    pub fn aws_secrets(&self) -> (Option<&Secret>, Option<&Secret>) {
        match &self.connection {
            ConnectionInput::AwsRds(a) => a.aws.new_secrets(),
            _ => (None, None),
        }
    }

    /// Validates every field and produces the connection settings; the first problem is the
    /// error (see [`IntegrationInput::problems`] for all of them). `old` is the saved
    /// connection of the integration being edited (its client key, its resolved endpoint).
    pub fn validate(&self, old: Option<&Connection>) -> Result<(String, Connection)> {
        let (out, mut problems) = self.checked(old);
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(problems.remove(0))
        }
    }

    /// Every problem of the input, each naming its field: what a form shows next to its fields.
    pub fn problems(&self, old: Option<&Connection>) -> Vec<Error> {
        self.checked(old).1
    }

    fn checked(&self, old: Option<&Connection>) -> ((String, Connection), Vec<Error>) {
        let mut problems = Vec::new();
        let name = self.name.trim();
        let name_problem = if name.is_empty() {
            Some("the integration needs a name")
        } else if name.chars().count() > 63 {
            Some("an integration name has at most 63 characters")
        } else if name.chars().any(|c| c.is_control()) {
            Some("an integration name cannot contain control characters")
        } else {
            None
        };
        if let Some(m) = name_problem {
            problems.push(Error::invalid(m).at("name"));
        }
        let connection = match &self.connection {
            ConnectionInput::SelfHosted(s) => Connection::SelfHosted(s.checked(
                old.and_then(|o| o.endpoint().client_key.as_ref()),
                &mut problems,
            )),
            ConnectionInput::AwsRds(a) => {
                let old = match old {
                    Some(Connection::AwsRds(o)) => Some(o),
                    _ => None,
                };
                Connection::AwsRds(a.checked(old, &mut problems))
            }
            ConnectionInput::Azure(a) => {
                let old = match old {
                    Some(Connection::Azure(o)) => Some(o),
                    _ => None,
                };
                Connection::Azure(a.checked(old, &mut problems))
            }
        };
        ((name.to_string(), connection), problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> IntegrationInput {
        IntegrationInput::self_hosted(
            "prod",
            SelfHostedInput {
                host: "db.example.com".into(),
                username: "admin".into(),
                ..Default::default()
            },
        )
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
            let err = input()
                .with_self_hosted(|s| {
                    s.port = Some(p);
                })
                .validate(None)
                .unwrap_err();
            assert_eq!(err.code, crate::ErrorCode::InvalidInput);
            assert!(err.message.contains("invalid port"), "{}", err.message);
        }
    }

    #[test]
    fn rejects_unreadable_cert() {
        let err = input()
            .with_self_hosted(|s| {
                s.ca_cert = Some(CertSource::File {
                    path: "/nonexistent/ca.pem".into(),
                });
            })
            .validate(None)
            .unwrap_err();
        assert!(
            err.message.contains("cannot read the CA certificate file"),
            "{}",
            err.message
        );
        let err = input()
            .with_self_hosted(|s| {
                s.ca_cert = Some(CertSource::Pem {
                    pem: "garbage".into(),
                });
            })
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
        let err = input()
            .with_self_hosted(|s| {
                s.sslmode = Some(SslMode::VerifyFull);
            })
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
            ..input().with_self_hosted(|s| {
                s.port = Some(99999);
                s.connect_timeout_secs = Some(601);
                s.sslmode = Some(SslMode::VerifyFull);
            })
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

    #[test]
    fn input_is_tagged_by_kind() {
        let json = r#"{"name":"billing","read_only":true,
            "connection":{"kind":"self_hosted","host":"db","username":"u","port":6432}}"#;
        let input: IntegrationInput = serde_json::from_str(json).unwrap();
        let (name, conn) = input.validate(None).unwrap();
        assert_eq!((name.as_str(), conn.kind()), ("billing", "self_hosted"));
        assert_eq!(
            (conn.endpoint().host.as_str(), conn.endpoint().port),
            ("db", 6432)
        );
        assert!(input.read_only);
        // A kind this build does not know is refused, never read as self-hosted.
        let unknown = r#"{"name":"x","connection":{"kind":"gcp_cloud_sql","host":"db"}}"#;
        let err = serde_json::from_str::<IntegrationInput>(unknown).unwrap_err();
        assert!(err.to_string().contains("gcp_cloud_sql"), "{err}");
        // An RDS input is read as one, with its region and target.
        let rds = r#"{"name":"x","connection":{"kind":"aws_rds","region":"eu-west-1",
            "target":{"type":"cluster","id":"orders","reader":true},"username":"u",
            "ca_cert":{"source":"file","path":"system"}}}"#;
        let input: IntegrationInput = serde_json::from_str(rds).unwrap();
        let (_, conn) = input.validate(None).unwrap();
        match conn {
            Connection::AwsRds(a) => assert_eq!(
                a.target,
                Some(RdsTarget::Cluster {
                    id: "orders".into(),
                    reader: true
                })
            ),
            other => panic!("{other:?}"),
        }
        // Settings outside `connection` are not the connection's.
        let flat = r#"{"name":"x","host":"db","username":"u"}"#;
        let input: IntegrationInput = serde_json::from_str(flat).unwrap();
        assert_eq!(input.problems(None)[0].field.as_deref(), Some("host"));
    }
}
