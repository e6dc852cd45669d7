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

/// The longest Unix socket path (`sun_path` less its terminating NUL), as libpq and the server
/// allow.
const MAX_SOCKET_PATH: usize = 107;

/// Why Grantry cannot log in as `name`, if it cannot: the driver prepares a SCRAM login's user
/// name with SASLprep (RFC 4013), which refuses control characters (a line break, a tab),
/// private-use and unassigned code points, direction marks, and right-to-left letters mixed
/// with others (the prepared text starts `n=`, so every right-to-left name).
pub fn login_name_problem(name: &str) -> Option<String> {
    if stringprep::saslprep(&format!("n={name}")).is_ok() {
        return None;
    }
    Some(if name.chars().any(char::is_control) {
        "the user name holds a control character (a line break, a tab, ...): Grantry cannot \
         log in with it (SASLprep, RFC 4013, refuses it); log in as another role to manage it"
            .to_string()
    } else {
        "the user name holds characters SASLprep (RFC 4013) refuses in a login (right-to-left \
         letters, direction marks, private-use or unassigned characters): Grantry cannot log in \
         with it; log in as another role to manage it"
            .to_string()
    })
}

/// What is wrong with a host as libpq takes it: a host name, an IPv4 or IPv6 address, or the
/// directory of a Unix socket (starting with `/`); `None` if nothing is.
pub(crate) fn host_problem(host: &str, port: u16) -> Option<String> {
    // Long values are named by their length, not repeated whole.
    let shown = |h: &str| {
        if h.chars().count() > 80 {
            format!("({} characters)", h.chars().count())
        } else {
            format!("{h:?}")
        }
    };
    if host.is_empty() {
        return Some("the host is required".into());
    }
    if host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some(format!(
            "invalid host {}: it contains white space or control characters",
            shown(host)
        ));
    }
    if host.starts_with('/') {
        let socket = format!("{}/.s.PGSQL.{port}", host.trim_end_matches('/'));
        if socket.len() > MAX_SOCKET_PATH {
            return Some(format!(
                "invalid host: the Unix socket path {} has {} bytes, and a socket path has at most {MAX_SOCKET_PATH}",
                shown(&socket),
                socket.len()
            ));
        }
        return None;
    }
    if host.contains("://") {
        return Some(format!(
            "invalid host {}: that is a whole connection string, not a host; import it as a \
             connection string to read its settings",
            shown(host)
        ));
    }
    if host.contains(',') {
        return Some(format!(
            "invalid host {}: several hosts; an integration is one server",
            shown(host)
        ));
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return Some(format!(
            "invalid host {}: give the IPv6 address without brackets ({inner})",
            shown(host)
        ));
    }
    if let Some((name, p)) = host.rsplit_once(':') {
        if !name.is_empty() && !name.contains(':') && p.parse::<u16>().is_ok() {
            return Some(format!(
                "invalid host {}: the port goes in the port field; give the host as {}",
                shown(host),
                shown(name)
            ));
        }
    }
    if host.contains(':') {
        // An IPv6 address, with an optional zone (fe80::1%eth0).
        let (addr, zone) = host.split_once('%').unwrap_or((host, "x"));
        let zone_ok = !zone.is_empty()
            && zone
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if addr.parse::<std::net::Ipv6Addr>().is_ok() && zone_ok {
            return None;
        }
        return Some(format!(
            "invalid host {}: not an IPv6 address, and a host name has no ':'",
            shown(host)
        ));
    }
    let chars = host.chars().count();
    if chars > 253 {
        return Some(format!(
            "invalid host {}: a host name has at most 253 characters",
            shown(host)
        ));
    }
    if let Some(c) = host
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '.' | '_')))
    {
        return Some(format!(
            "invalid host {}: a host name has letters, digits, '-', '_' and '.', not {c:?}",
            shown(host)
        ));
    }
    // A trailing dot is an absolute name; every other part between dots has 1 to 63 characters.
    for label in host.strip_suffix('.').unwrap_or(host).split('.') {
        if label.is_empty() {
            return Some(format!(
                "invalid host {}: an empty part between dots",
                shown(host)
            ));
        }
        if label.chars().count() > 63 {
            return Some(format!(
                "invalid host {}: a part of a host name between dots has at most 63 characters",
                shown(host)
            ));
        }
    }
    None
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
        let (port, port_problem) = match self.port {
            None => (DEFAULT_PORT, None),
            Some(p) if (1..=65535).contains(&p) => (p as u16, None),
            Some(p) => (
                DEFAULT_PORT,
                Some(format!(
                    "invalid port {p}: a port is a number from 1 to 65535"
                )),
            ),
        };
        if let Some(m) = host_problem(host, port) {
            bad("host", Error::invalid(m));
        }
        if let Some(m) = port_problem {
            bad("port", Error::invalid(m));
        }
        let username = self.username.trim();
        if username.is_empty() {
            bad("username", Error::invalid("the user name is required"));
        } else if username.len() > 63 {
            // The server would cut it to 63 bytes and log in as that other name.
            bad(
                "username",
                Error::invalid(format!(
                    "the user name has {} bytes: PostgreSQL names have at most 63",
                    username.len()
                )),
            );
        } else if let Some(m) = login_name_problem(username) {
            bad("username", Error::invalid(m));
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

#[cfg(test)]
mod tests {
    use super::{host_problem, login_name_problem};

    #[test]
    fn login_names_the_driver_can_take() {
        for ok in [
            "postgres",
            "Grantry Admin",
            "o'brien",
            "x\"y",
            "jürgen",
            "用户",
            "app@corp.com",
        ] {
            assert_eq!(login_name_problem(ok), None, "{ok:?}");
        }
        for bad in ["a\nb", "tab\there", "\u{200f}x", "\u{e000}", "מנהל", "مدير"] {
            assert!(login_name_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn hosts_libpq_takes() {
        for h in [
            "localhost",
            "db.example.com",
            "db.example.com.",
            "my_db-1.internal",
            "10.0.0.7",
            "::1",
            "fe80::1%eth0",
            "2001:db8::42",
            "bücher.example",
            "/var/run/postgresql",
            "/tmp/",
        ] {
            assert_eq!(host_problem(h, 5432), None, "{h}");
        }
    }

    #[test]
    fn hosts_refused_with_the_reason() {
        let cases: &[(&str, &str)] = &[
            ("", "required"),
            (
                "localhost:5432",
                "the port goes in the port field; give the host as \"localhost\"",
            ),
            ("a\"b", "not '\"'"),
            ("db host", "white space"),
            ("db\u{7}x", "control characters"),
            ("postgres://u@h/db", "connection string"),
            ("h1,h2", "several hosts"),
            ("[::1]", "without brackets (::1)"),
            ("::g", "not an IPv6 address"),
            ("fe80::1%", "not an IPv6 address"),
            ("a..b", "empty part between dots"),
            (".a", "empty part between dots"),
        ];
        for (h, want) in cases {
            let m = host_problem(h, 5432).unwrap_or_else(|| panic!("{h:?} accepted"));
            assert!(m.contains(want), "{h:?}: {m}");
        }
        let label = "a".repeat(64);
        let m = host_problem(&format!("{label}.example.com"), 5432).unwrap();
        assert!(m.contains("at most 63 characters"), "{m}");
        // A long value is named by its length, never repeated whole.
        let long = "a.".repeat(1006);
        let m = host_problem(&long, 5432).unwrap();
        assert!(
            m.contains("(2012 characters)") && m.contains("at most 253"),
            "{m}"
        );
        assert!(m.len() < 200, "{m}");
        // The server's socket path is the directory, "/.s.PGSQL." and the port: 107 bytes at most.
        let dir = format!("/{}", "d".repeat(107 - "/.s.PGSQL.5432".len() - 1));
        assert_eq!(host_problem(&dir, 5432), None);
        let m = host_problem(&format!("{dir}x"), 5432).unwrap();
        assert!(m.contains("108 bytes") && m.contains("at most 107"), "{m}");
    }
}
