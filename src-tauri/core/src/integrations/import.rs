//! Importing integrations from what DBAs already have: libpq connection URIs and keyword/value
//! strings, `~/.pgpass` and `pg_service.conf`. Parsed passwords stay on the Rust side: candidates
//! shown to the UI carry only a `has_password` flag.

use crate::error::{Error, Result};
use crate::integrations::model::{CertSource, KeyInput, SelfHostedInput, SslMode};
use crate::secrets::Secret;
use percent_encoding::percent_decode_str;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use ts_rs::TS;

/// Settings read from a connection string, a pgpass line or a service.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub settings: SelfHostedInput,
    pub warnings: Vec<String>,
}

/// What the UI sees of an import: never the password.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ImportCandidate {
    /// Index within the source, to import it by.
    pub index: u32,
    pub suggested_name: String,
    pub host: String,
    pub port: u16,
    pub database: String,
    pub username: String,
    pub sslmode: Option<SslMode>,
    pub has_password: bool,
    pub source: String,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(tag = "kind", rename_all = "snake_case")]
pub enum ImportSource {
    /// A libpq URI (`postgresql://...`) or keyword/value string (`host=... dbname=...`).
    Uri {
        #[ts(type = "string")]
        uri: Secret,
    },
    /// `~/.pgpass` (or `$PGPASSFILE`) when `path` is absent.
    Pgpass { path: Option<String> },
    /// `$PGSERVICEFILE`, `~/.pg_service.conf` or `$PGSYSCONFDIR/pg_service.conf` when absent.
    Service { path: Option<String> },
}

/// libpq tries several hosts in order (with target_session_attrs to pick a primary); an
/// integration is one server, and Grantry does not pick one of them silently.
fn several_hosts(list: &str) -> Error {
    Error::invalid(format!(
        "the connection string names several hosts ({list}): an integration is one server; \
         save one integration per host"
    ))
    .at("host")
}

fn apply_param(
    input: &mut SelfHostedInput,
    warnings: &mut Vec<String>,
    key: &str,
    value: &str,
) -> Result<()> {
    match key {
        "host" | "hostaddr" => {
            if value.contains(',') {
                return Err(several_hosts(value));
            }
            input.host = value.to_string();
        }
        "port" => {
            if value.contains(',') {
                return Err(Error::invalid(format!(
                    "several ports given ({value}) for one host: an integration is one server"
                ))
                .at("port"));
            }
            input.port = Some(
                value
                    .parse()
                    .map_err(|_| Error::invalid(format!("invalid port {value:?}")).at("port"))?,
            );
        }
        // libpq would pick a server by its state; Grantry connects to the one server given.
        "target_session_attrs" if value != "any" => {
            return Err(Error::invalid(format!(
                "target_session_attrs={value} is not supported: Grantry connects to the one host \
                 given, whatever its state"
            )))
        }
        "dbname" => input.database = Some(value.to_string()),
        "user" => input.username = value.to_string(),
        "password" => input.password = Some(Secret::new(value)),
        "sslmode" => input.sslmode = Some(SslMode::parse(value).map_err(|e| e.at("sslmode"))?),
        "sslrootcert" => {
            input.ca_cert = Some(CertSource::File {
                path: value.to_string(),
            })
        }
        "sslcert" => {
            input.client_cert = Some(CertSource::File {
                path: value.to_string(),
            })
        }
        "sslkey" => {
            input.client_key = Some(KeyInput::File {
                path: value.to_string(),
            })
        }
        "connect_timeout" => {
            input.connect_timeout_secs = Some(value.parse().map_err(|_| {
                Error::invalid(format!("invalid connect_timeout {value:?}"))
                    .at("connect_timeout_secs")
            })?)
        }
        "application_name" | "fallback_application_name" => {
            input.application_name = Some(value.to_string())
        }
        // Parameters that make a connection safer or change what it does: dropping them would
        // connect less safely, or differently, than the string says.
        "channel_binding" | "gssencmode" | "sslcertmode"
            if !matches!(value, "disable" | "prefer" | "allow") =>
        {
            return Err(Error::invalid(format!(
                "{key}={value} is not supported: Grantry would connect without it"
            )))
        }
        "sslnegotiation" if value != "postgres" => {
            return Err(Error::invalid(format!(
                "sslnegotiation={value} is not supported: Grantry negotiates SSL the standard way"
            )))
        }
        "require_auth"
        | "options"
        | "service"
        | "sslcrl"
        | "sslcrldir"
        | "requirepeer"
        | "sslpassword"
        | "passfile"
        | "ssl_min_protocol_version"
        | "ssl_max_protocol_version" => {
            return Err(Error::invalid(format!(
                "{key} is not supported: Grantry would connect without it{}",
                if key == "service" {
                    " (import the service file instead)"
                } else {
                    ""
                }
            )))
        }
        // libpq parameters Grantry does not use: said, not silently dropped.
        other if LIBPQ_PARAMETERS.contains(&other) => {
            warnings.push(format!("parameter {other} is not used by Grantry"))
        }
        other => {
            return Err(Error::invalid(format!(
                "unknown connection parameter {other:?} (libpq refuses it too)"
            )))
        }
    }
    Ok(())
}

/// libpq's other connection parameters (PostgreSQL 18's list).
const LIBPQ_PARAMETERS: &[&str] = &[
    "target_session_attrs",
    "passfile",
    "require_auth",
    "channel_binding",
    "options",
    "client_encoding",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "replication",
    "gssencmode",
    "sslnegotiation",
    "sslcompression",
    "sslpassword",
    "sslcertmode",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "requirepeer",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
    "service",
    "load_balance_hosts",
    "scram_client_key",
    "scram_server_key",
    "oauth_issuer",
    "oauth_client_id",
    "oauth_client_secret",
    "oauth_scope",
    "max_protocol_version",
    "min_protocol_version",
];

/// `host` and `hostaddr` together mean "connect to this address, check the certificate
/// against that name": an integration has one host, so that is refused rather than one of
/// them dropped (verify-full would then check the wrong name).
fn check_pair(seen: &mut Vec<(String, String)>, key: &str, value: &str) -> Result<()> {
    let other = match key {
        "host" => "hostaddr",
        "hostaddr" => "host",
        _ => return Ok(()),
    };
    if seen.iter().any(|(k, v)| k == other && v != value) {
        return Err(Error::invalid(
            "host and hostaddr together are not supported: give the host name only (Grantry \
             resolves it, and verify-full checks the certificate against it)",
        )
        .at("host"));
    }
    seen.push((key.to_string(), value.to_string()));
    Ok(())
}

fn decode(s: &str) -> Result<String> {
    percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| Error::invalid("the connection URI has invalid percent-encoding"))
}

/// Parses a libpq connection URI or keyword/value string.
pub fn parse_connection_string(text: &str) -> Result<Parsed> {
    let text = text.trim();
    let mut input = SelfHostedInput::default();
    let mut warnings = Vec::new();
    let mut seen: Vec<(String, String)> = Vec::new();
    if let Some(rest) = text
        .strip_prefix("postgresql://")
        .or_else(|| text.strip_prefix("postgres://"))
    {
        if rest.chars().any(char::is_whitespace) {
            return Err(Error::invalid(
                "a connection URI cannot contain spaces: percent-encode them (%20)",
            ));
        }
        let (main, query) = match rest.split_once('?') {
            Some((m, q)) => (m, Some(q)),
            None => (rest, None),
        };
        let (authority, path) = match main.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (main, None),
        };
        let hostspec = match authority.rsplit_once('@') {
            Some((user, _)) if user.contains('@') => {
                return Err(Error::invalid(
                    "the URI's user part holds an @: percent-encode it (%40)",
                )
                .at("username"))
            }
            Some((user, h)) => {
                match user.split_once(':') {
                    Some((u, p)) => {
                        input.username = decode(u)?;
                        input.password = Some(Secret::new(decode(p)?));
                    }
                    None => input.username = decode(user)?,
                }
                h
            }
            None => authority,
        };
        if hostspec.contains(',') {
            return Err(several_hosts(hostspec));
        }
        let first = hostspec;
        let (host, port) = if let Some(v6) = first.strip_prefix('[') {
            let (h, after) = v6
                .split_once(']')
                .ok_or_else(|| Error::invalid("unclosed [ in the URI host"))?;
            (h.to_string(), after.strip_prefix(':'))
        } else {
            match first.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (first.to_string(), None),
            }
        };
        input.host = decode(&host)?;
        seen.push(("host".into(), input.host.clone()));
        if let Some(p) = port.filter(|p| !p.is_empty()) {
            input.port = Some(p.parse().map_err(|_| {
                Error::invalid(format!("invalid port {p:?} in the URI")).at("port")
            })?);
        }
        if let Some(db) = path.filter(|p| !p.is_empty()) {
            input.database = Some(decode(db)?);
        }
        for pair in query
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty())
        {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| Error::invalid(format!("invalid URI parameter {pair:?}")))?;
            let (k, v) = (decode(k)?, decode(v)?);
            check_pair(&mut seen, &k, &v)?;
            apply_param(&mut input, &mut warnings, &k, &v)?;
        }
    } else if text.contains('=') {
        for (k, v) in parse_keyword_values(text)? {
            check_pair(&mut seen, &k, &v)?;
            apply_param(&mut input, &mut warnings, &k, &v)?;
        }
    } else {
        return Err(Error::invalid(
            "not a connection string: expected postgresql://... or host=... dbname=... user=...",
        ));
    }
    if input.host.is_empty() {
        input.host = "localhost".into();
    }
    // The same rules as the wizard and the CLI (SelfHostedInput::validate): a port outside
    // 1-65535 or a host with spaces is refused here, never wrapped or carried along.
    if let Some(p) = input.port {
        if !(1..=65535).contains(&p) {
            return Err(Error::invalid(format!("invalid port {p}: give 1 to 65535")).at("port"));
        }
    }
    if input.host.chars().any(|c| c.is_whitespace() || c == '@') {
        return Err(Error::invalid(format!(
            "invalid host {:?}: a host name has no spaces or @",
            input.host
        ))
        .at("host"));
    }
    Ok(Parsed {
        settings: input,
        warnings,
    })
}

/// `key=value key='quoted value'` as libpq reads it.
fn parse_keyword_values(text: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            return Err(Error::invalid(format!(
                "missing = after {key:?} in the connection string"
            )));
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    Some('\\') => value.extend(chars.next()),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                    None => {
                        return Err(Error::invalid(
                            "unterminated quoted value in the connection string",
                        ))
                    }
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                if c == '\\' {
                    chars.next();
                    value.extend(chars.next());
                    continue;
                }
                value.push(c);
                chars.next();
            }
        }
        out.push((key, value));
    }
    Ok(out)
}

/// One usable line of a pgpass file.
#[derive(Debug, Clone)]
pub struct PgpassEntry {
    pub line: usize,
    pub host: String,
    pub port: String,
    pub database: String,
    pub username: String,
    pub password: Secret,
}

fn split_pgpass(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields.last_mut().unwrap().extend(chars.next()),
            ':' => fields.push(String::new()),
            c => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

pub fn parse_pgpass(text: &str) -> Vec<PgpassEntry> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .filter_map(|(i, l)| {
            let f = split_pgpass(l);
            (f.len() == 5).then(|| PgpassEntry {
                line: i + 1,
                host: f[0].clone(),
                port: f[1].clone(),
                database: f[2].clone(),
                username: f[3].clone(),
                password: Secret::new(f[4].clone()),
            })
        })
        .collect()
}

pub fn pgpass_path(path: Option<&str>) -> Option<PathBuf> {
    path.map(PathBuf::from)
        .or_else(|| std::env::var_os("PGPASSFILE").map(PathBuf::from))
        .or_else(|| dirs::home_dir().map(|h| h.join(".pgpass")))
}

pub fn service_paths(path: Option<&str>) -> Vec<PathBuf> {
    if let Some(p) = path {
        return vec![PathBuf::from(p)];
    }
    let mut v = Vec::new();
    if let Some(p) = std::env::var_os("PGSERVICEFILE") {
        v.push(PathBuf::from(p));
    }
    if let Some(h) = dirs::home_dir() {
        v.push(h.join(".pg_service.conf"));
    }
    if let Some(d) = std::env::var_os("PGSYSCONFDIR") {
        v.push(PathBuf::from(d).join("pg_service.conf"));
    }
    v.push(PathBuf::from("/etc/postgresql-common/pg_service.conf"));
    v
}

/// `[name]` sections of key=value lines, in file order.
pub fn parse_service_file(text: &str) -> Result<Vec<(String, BTreeMap<String, String>)>> {
    let mut out: Vec<(String, BTreeMap<String, String>)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.push((name.trim().to_string(), BTreeMap::new()));
        } else if let Some((k, v)) = line.split_once('=') {
            let section = out.last_mut().ok_or_else(|| {
                Error::invalid(format!(
                    "line {}: setting outside a [service] section",
                    i + 1
                ))
            })?;
            section.1.insert(k.trim().to_string(), v.trim().to_string());
        } else {
            return Err(Error::invalid(format!(
                "line {}: expected [service] or key=value",
                i + 1
            )));
        }
    }
    Ok(out)
}

fn read(path: &Path, what: &str) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| {
        Error::invalid(format!(
            "cannot read the {what} file {}: {e}",
            path.display()
        ))
    })
}

fn candidate(index: usize, name: String, parsed: &Parsed, source: String) -> ImportCandidate {
    let i = &parsed.settings;
    ImportCandidate {
        index: index as u32,
        suggested_name: name,
        host: i.host.clone(),
        port: i
            .port
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(crate::integrations::model::DEFAULT_PORT),
        database: i
            .database
            .clone()
            .unwrap_or_else(|| crate::integrations::model::DEFAULT_DATABASE.into()),
        username: i.username.clone(),
        sslmode: i.sslmode,
        has_password: i.password.is_some(),
        source,
        warnings: parsed.warnings.clone(),
    }
}

/// Reads a source into parsed settings (passwords included, for the core only).
pub fn read_source(source: &ImportSource) -> Result<Vec<(String, Parsed, String)>> {
    match source {
        ImportSource::Uri { uri } => {
            let p = parse_connection_string(uri.expose())?;
            let name = format!(
                "{}-{}",
                p.settings.host,
                p.settings
                    .database
                    .clone()
                    .unwrap_or_else(|| "postgres".into())
            );
            Ok(vec![(name, p, "connection string".into())])
        }
        ImportSource::Pgpass { path } => {
            let path = pgpass_path(path.as_deref())
                .ok_or_else(|| Error::invalid("cannot locate ~/.pgpass"))?;
            let text = read(&path, "pgpass")?;
            Ok(parse_pgpass(&text)
                .into_iter()
                .map(|e| {
                    let mut warnings = Vec::new();
                    let wild = |v: &str, what: &str, w: &mut Vec<String>| {
                        if v == "*" {
                            w.push(format!("{what} is * in the pgpass line: fill it in"));
                            String::new()
                        } else {
                            v.to_string()
                        }
                    };
                    let host = wild(&e.host, "host", &mut warnings);
                    let database = wild(&e.database, "database", &mut warnings);
                    let username = wild(&e.username, "user", &mut warnings);
                    let port = if e.port == "*" {
                        None
                    } else {
                        e.port.parse().ok()
                    };
                    let input = SelfHostedInput {
                        host: host.clone(),
                        port,
                        database: Some(database.clone()).filter(|d| !d.is_empty()),
                        username,
                        password: Some(e.password.clone()),
                        ..Default::default()
                    };
                    let name = format!(
                        "{}-{}",
                        if host.is_empty() { "host" } else { &host },
                        if database.is_empty() {
                            "postgres"
                        } else {
                            &database
                        }
                    );
                    (
                        name,
                        Parsed {
                            settings: input,
                            warnings,
                        },
                        format!("{} line {}", path.display(), e.line),
                    )
                })
                .collect())
        }
        ImportSource::Service { path } => {
            let paths = service_paths(path.as_deref());
            let found = paths.iter().find(|p| p.is_file()).ok_or_else(|| {
                Error::invalid(format!(
                    "no service file found (looked at {})",
                    paths
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            let text = read(found, "service")?;
            let mut out = Vec::new();
            for (name, settings) in parse_service_file(&text)? {
                let mut input = SelfHostedInput::default();
                let mut warnings = Vec::new();
                for (k, v) in &settings {
                    apply_param(&mut input, &mut warnings, k, v)?;
                }
                if input.host.is_empty() {
                    input.host = "localhost".into();
                }
                out.push((
                    name.clone(),
                    Parsed {
                        settings: input,
                        warnings,
                    },
                    format!("{} [{name}]", found.display()),
                ));
            }
            Ok(out)
        }
    }
}

/// Candidates for the UI: no passwords.
pub fn candidates(source: &ImportSource) -> Result<Vec<ImportCandidate>> {
    Ok(read_source(source)?
        .iter()
        .enumerate()
        .map(|(i, (name, p, src))| candidate(i, name.clone(), p, src.clone()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_uri() {
        let p = parse_connection_string(
            "postgresql://ad%40min:s%3Acret@db.example.com:6432/sales?sslmode=verify-full&sslrootcert=/etc/ca.pem&application_name=x&connect_timeout=7",
        )
        .unwrap();
        let i = &p.settings;
        assert_eq!(i.username, "ad@min");
        assert_eq!(i.password.as_ref().unwrap().expose(), "s:cret");
        assert_eq!(
            (i.host.as_str(), i.port, i.database.as_deref()),
            ("db.example.com", Some(6432), Some("sales"))
        );
        assert_eq!(i.sslmode, Some(SslMode::VerifyFull));
        assert_eq!(
            i.ca_cert,
            Some(CertSource::File {
                path: "/etc/ca.pem".into()
            })
        );
        assert_eq!(i.connect_timeout_secs, Some(7));
        assert!(p.warnings.is_empty());
    }

    #[test]
    fn parses_ipv6_and_refuses_several_hosts() {
        let p = parse_connection_string("postgres://[::1]:5433/db").unwrap();
        assert_eq!(p.settings.host, "::1");
        assert_eq!(p.settings.port, Some(5433));
        for s in [
            "postgres://[::1]:5433,other:5432/db",
            "postgresql://h1:5432,localhost:56601/db",
            "host=a,b port=5432,5433 dbname=x",
        ] {
            let e = parse_connection_string(s).unwrap_err();
            assert!(e.message.contains("several hosts"), "{s}: {}", e.message);
            assert_eq!(e.field.as_deref(), Some("host"));
        }
    }

    #[test]
    fn parses_keyword_values() {
        let p = parse_connection_string(
            "host=h port=5555 dbname='my db' user=u password='it\\'s' sslmode=require",
        )
        .unwrap();
        assert_eq!(p.settings.database.as_deref(), Some("my db"));
        assert_eq!(p.settings.password.unwrap().expose(), "it's");
        assert_eq!(p.settings.port, Some(5555));
    }

    #[test]
    fn rejects_bad_strings() {
        for (s, field) in [
            ("port=99999 host=h", "port"),
            ("host=h port=70000", "port"),
            ("postgresql://h:0/db", "port"),
            ("host='a b' dbname=x", "host"),
            ("postgres://u@@h/db", "username"),
        ] {
            let e = parse_connection_string(s).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(field), "{s}: {}", e.message);
        }
        for (s, has) in [
            ("host=otherhost hostaddr=127.0.0.1", "host and hostaddr"),
            ("host=h port=5432,5433", "several ports"),
            (
                "host=h target_session_attrs=read-only",
                "target_session_attrs",
            ),
            ("postgresql://h/db?foo=bar", "unknown connection parameter"),
            (
                "postgresql://u@localhost:5432/db?hostaddr=10.9.9.9",
                "host and hostaddr",
            ),
            (
                "postgresql://h/db?sslmode=disable&channel_binding=require",
                "channel_binding",
            ),
            ("host=h gssencmode=require", "gssencmode"),
            ("host=h sslnegotiation=direct", "sslnegotiation"),
            ("host=h require_auth=scram-sha-256", "require_auth"),
        ] {
            let e = parse_connection_string(s).unwrap_err();
            assert!(e.message.contains(has), "{s}: {}", e.message);
        }
        assert!(parse_connection_string("host=h keepalives=1")
            .unwrap()
            .warnings[0]
            .contains("keepalives"));
        for s in [
            "postgres://bad uri with spaces@@:99999/",
            "postgres://bad uri with spaces@@h/db",
        ] {
            let e = parse_connection_string(s).unwrap_err();
            assert!(
                e.message.contains("cannot contain spaces"),
                "{s}: {}",
                e.message
            );
        }
        assert!(parse_connection_string("mysql://x").is_err());
        assert!(parse_connection_string("postgresql://h:notaport/db").is_err());
        assert!(parse_connection_string("postgresql://h/db?sslmode=sometimes").is_err());
    }

    #[test]
    fn parses_pgpass() {
        let e = parse_pgpass("# c\nh:5432:db:u:p\\:w\nbad line\n*:*:*:u2:x\n");
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].password.expose(), "p:w");
        assert_eq!(e[0].line, 2);
        assert_eq!(e[1].host, "*");
    }

    #[test]
    fn parses_service_file() {
        let s = parse_service_file(
            "# x\n[prod]\nhost=p.example\nport=5433\ndbname=app\n\n[dev]\nhost=localhost\n",
        )
        .unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].0, "prod");
        assert_eq!(s[0].1["port"], "5433");
        assert!(parse_service_file("host=x\n").is_err());
    }
}
