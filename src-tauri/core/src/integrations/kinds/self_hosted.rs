//! Self-hosted PostgreSQL (or any server reached by host, port and password): the first
//! integration kind. Its input and the validation that turns it into a [`PgEndpoint`].

use crate::error::Error;
use crate::integrations::model::{
    check_cert, expand_home, non_empty, CertSource, KeyInput, KeySource, PgEndpoint, SslMode,
    DEFAULT_APPLICATION_NAME, DEFAULT_CONNECT_TIMEOUT_SECS, DEFAULT_DATABASE, DEFAULT_PORT,
};
use crate::secrets::Secret;
use serde::Deserialize;
use ts_rs::TS;

/// What the user enters for a self-hosted server.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default)]
pub struct SelfHostedInput {
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
}

impl SelfHostedInput {
    /// The endpoint these settings describe; each problem is pushed to `problems`, naming its
    /// field (what is wrong is replaced by its default, so every problem is found in one pass).
    pub(crate) fn checked(
        &self,
        existing_key: Option<&KeySource>,
        problems: &mut Vec<Error>,
    ) -> PgEndpoint {
        let mut bad = |field: &str, e: Error| problems.push(e.at(field));
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
        PgEndpoint {
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
        }
    }
}

fn check_key_pem(bytes: &[u8]) -> crate::error::Result<()> {
    let text = String::from_utf8_lossy(bytes);
    if text.contains("-----BEGIN") && text.contains("PRIVATE KEY-----") {
        Ok(())
    } else {
        // Never echo the content: it may be a secret pasted in the wrong field.
        Err(Error::invalid("the client key is not a PEM private key"))
    }
}
