//! Connection tests against real clusters: every SSL mode against servers with and without SSL,
//! wrong CA, hostname mismatch, wrong password, missing database, closed port, DNS, timeout,
//! client certificates, and the connector's powers.

mod common;

use common::{grantry, input, secret};
use grantry_core::connect::FailureKind;
use grantry_core::integrations::model::{CertSource, IntegrationInput, KeyInput, SslMode};
use grantry_testrig::{pki, Cluster, Options};
use std::sync::OnceLock;

fn ssl_cluster() -> &'static Cluster {
    static C: OnceLock<Cluster> = OnceLock::new();
    C.get_or_init(|| Cluster::start(Options::default()))
}

fn plain_cluster() -> &'static Cluster {
    static C: OnceLock<Cluster> = OnceLock::new();
    C.get_or_init(|| {
        Cluster::start(Options {
            ssl: false,
            ..Options::default()
        })
    })
}

/// A server that accepts only TLS connections (hostssl), plus certificate logins for cert_user.
fn ssl_only_cluster() -> &'static Cluster {
    static C: OnceLock<Cluster> = OnceLock::new();
    C.get_or_init(|| {
        let c = Cluster::start(Options {
            hba: Some(vec![
                "local all all trust".into(),
                "hostssl all cert_user 127.0.0.1/32 cert".into(),
                "hostssl all all 127.0.0.1/32 scram-sha-256".into(),
            ]),
            ..Options::default()
        });
        c.psql("postgres", "CREATE ROLE cert_user LOGIN");
        c
    })
}

async fn check(mut inp: IntegrationInput, expect: Result<bool, FailureKind>) {
    let env = grantry().await;
    inp.name = "t".into();
    let mode = inp.self_hosted_mut().unwrap().sslmode;
    let report = env.g.integrations().test_input(inp, None).await.unwrap();
    match expect {
        Ok(ssl) => {
            assert!(
                report.ok,
                "{mode:?}: expected success, got {:?}: {} {:?}",
                report.failure, report.message, report.detail
            );
            let server = report.server.unwrap();
            assert_eq!(server.ssl_in_use, ssl, "{mode:?}: ssl in use");
            assert!(server.version_num >= 130000);
        }
        Err(kind) => {
            assert!(!report.ok, "{mode:?}: expected {kind:?}, got success");
            assert_eq!(
                report.failure,
                Some(kind),
                "{mode:?}: {} {:?}",
                report.message,
                report.detail
            );
            assert!(!report.message.is_empty());
        }
    }
}

#[tokio::test]
async fn every_sslmode_against_a_server_with_ssl() {
    let c = ssl_cluster();
    for (mode, ssl) in [
        (SslMode::Disable, false),
        (SslMode::Allow, false),
        (SslMode::Prefer, true),
        (SslMode::Require, true),
        (SslMode::VerifyCa, true),
        (SslMode::VerifyFull, true),
    ] {
        check(input(c, "t", mode), Ok(ssl)).await;
    }
}

#[tokio::test]
async fn every_sslmode_against_a_server_without_ssl() {
    let c = plain_cluster();
    check(input(c, "t", SslMode::Disable), Ok(false)).await;
    check(input(c, "t", SslMode::Allow), Ok(false)).await;
    check(input(c, "t", SslMode::Prefer), Ok(false)).await;
    check(
        input(c, "t", SslMode::Require),
        Err(FailureKind::TlsNotSupported),
    )
    .await;
    check(
        input(c, "t", SslMode::VerifyCa),
        Err(FailureKind::TlsNotSupported),
    )
    .await;
    check(
        input(c, "t", SslMode::VerifyFull),
        Err(FailureKind::TlsNotSupported),
    )
    .await;
}

#[tokio::test]
async fn every_sslmode_against_a_server_that_requires_ssl() {
    let c = ssl_only_cluster();
    // disable is refused by pg_hba.conf; allow retries with TLS, as libpq does.
    check(
        input(c, "t", SslMode::Disable),
        Err(FailureKind::AuthFailed),
    )
    .await;
    check(input(c, "t", SslMode::Allow), Ok(true)).await;
    check(input(c, "t", SslMode::Prefer), Ok(true)).await;
    check(input(c, "t", SslMode::Require), Ok(true)).await;
    check(input(c, "t", SslMode::VerifyCa), Ok(true)).await;
    check(input(c, "t", SslMode::VerifyFull), Ok(true)).await;
}

#[tokio::test]
async fn wrong_ca_is_reported_as_unknown_ca() {
    let c = ssl_cluster();
    let other = CertSource::File {
        path: pki().other_ca_cert.display().to_string(),
    };
    for mode in [SslMode::VerifyCa, SslMode::VerifyFull, SslMode::Require] {
        // libpq: require with a CA certificate verifies the chain like verify-ca.
        let inp = input(c, "t", mode).with_self_hosted(|s| {
            s.ca_cert = Some(other.clone());
        });
        check(inp, Err(FailureKind::TlsUnknownCa)).await;
    }
    // Without a CA, require does not look at the certificate at all.
    check(input(c, "t", SslMode::Require), Ok(true)).await;
}

#[tokio::test]
async fn hostname_mismatch_fails_only_verify_full() {
    let c = ssl_cluster();
    // The certificate names localhost and 127.0.0.1, not 127.0.0.2.
    let at = |mode| {
        input(c, "t", mode).with_self_hosted(|s| {
            s.host = "127.0.0.2".into();
        })
    };
    check(
        at(SslMode::VerifyFull),
        Err(FailureKind::TlsHostnameMismatch),
    )
    .await;
    check(at(SslMode::VerifyCa), Ok(true)).await;
    let ip = input(c, "t", SslMode::VerifyFull).with_self_hosted(|s| {
        s.host = "127.0.0.1".into();
    });
    check(ip, Ok(true)).await;
}

#[tokio::test]
async fn wrong_password_missing_database_closed_port() {
    let c = ssl_cluster();
    let wrong = input(c, "t", SslMode::Prefer).with_self_hosted(|s| {
        s.password = secret("not-the-password");
    });
    check(wrong, Err(FailureKind::AuthFailed)).await;
    let nopw = input(c, "t", SslMode::Prefer).with_self_hosted(|s| {
        s.password = None;
    });
    check(nopw, Err(FailureKind::AuthFailed)).await;
    let nodb = input(c, "t", SslMode::Prefer).with_self_hosted(|s| {
        s.database = Some("no_such_db".into());
    });
    check(nodb, Err(FailureKind::DatabaseMissing)).await;
    let closed = grantry_core::sandbox::localpg::free_port().unwrap();
    let refused = input(c, "t", SslMode::Prefer).with_self_hosted(|s| {
        s.port = Some(closed as i64);
    });
    check(refused, Err(FailureKind::ConnectionRefused)).await;
}

#[tokio::test]
async fn unresolvable_host_is_a_dns_failure() {
    let c = ssl_cluster();
    let inp = input(c, "t", SslMode::Prefer).with_self_hosted(|s| {
        s.host = "no-such-host.invalid".into();
    });
    check(inp, Err(FailureKind::Dns)).await;
}

#[tokio::test]
async fn silent_server_times_out() {
    let c = ssl_cluster();
    // Accepts TCP connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = std::thread::spawn(move || {
        let conns: Vec<_> = listener.incoming().take(1).collect();
        std::thread::sleep(std::time::Duration::from_secs(3));
        drop(conns);
    });
    let inp = input(c, "t", SslMode::Disable).with_self_hosted(|s| {
        s.host = "127.0.0.1".into();
        s.port = Some(port as i64);
        s.connect_timeout_secs = Some(1);
    });
    let started = std::time::Instant::now();
    check(inp, Err(FailureKind::Timeout)).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "the connect timeout was not applied"
    );
    hold.join().unwrap();
}

#[tokio::test]
async fn client_certificate_login_from_file_and_from_keychain() {
    let c = ssl_only_cluster();
    let p = pki();
    let base = input(c, "t", SslMode::VerifyFull).with_self_hosted(|s| {
        s.username = "cert_user".into();
        s.password = None;
        s.client_cert = Some(CertSource::File {
            path: p.client_cert.display().to_string(),
        });
        s.client_key = Some(KeyInput::File {
            path: p.client_key.display().to_string(),
        });
    });
    check(base.clone(), Ok(true)).await;
    // Pasted PEM key: kept in the keychain, used at connect time.
    let env = grantry().await;
    let pem = std::fs::read_to_string(&p.client_key).unwrap();
    let saved = env
        .g
        .integrations()
        .add(IntegrationInput {
            name: "certs".into(),
            ..base.clone().with_self_hosted(|s| {
                s.client_key = Some(KeyInput::Pem {
                    pem: grantry_core::Secret::new(pem),
                });
            })
        })
        .await
        .unwrap();
    let report = env.g.integrations().test(&saved.name).await.unwrap();
    assert!(report.ok, "{} {:?}", report.message, report.detail);
    assert_eq!(report.server.unwrap().current_user, "cert_user");
    // Without the client certificate the server refuses.
    let without = base.with_self_hosted(|s| {
        s.client_cert = None;
        s.client_key = None;
    });
    check(without, Err(FailureKind::AuthFailed)).await;
}

#[tokio::test]
async fn reports_the_connectors_powers() {
    let c = ssl_cluster();
    c.psql(
        "postgres",
        "CREATE EXTENSION IF NOT EXISTS pg_stat_statements",
    );
    c.psql(
        "postgres",
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'plain_user') THEN \
         CREATE ROLE plain_user LOGIN PASSWORD 'plain-pw-123'; END IF; END $$",
    );
    let env = grantry().await;
    let report = env
        .g
        .integrations()
        .test_input(input(c, "t", SslMode::VerifyFull), None)
        .await
        .unwrap();
    let s = report.server.unwrap();
    assert!(s.powers.superuser && s.powers.createrole && s.powers.read_all_stats);
    assert!(s.powers.pg_stat_statements_installed.is_some());
    assert_eq!(s.powers.pg_stat_statements_loaded, Some(true));
    assert!(
        s.version.starts_with(&c.version),
        "{} vs {}",
        s.version,
        c.version
    );
    assert!(s.ssl_version.unwrap().starts_with("TLS"));

    let plain = input(c, "t", SslMode::VerifyFull).with_self_hosted(|s| {
        s.username = "plain_user".into();
        s.password = secret("plain-pw-123");
    });
    let report = env.g.integrations().test_input(plain, None).await.unwrap();
    let p = report.server.unwrap().powers;
    assert!(!p.superuser && !p.createrole && !p.read_all_stats);
    // The extension is installed, so the probe tells whether it is loaded.
    assert_eq!(p.pg_stat_statements_loaded, Some(true));

    // A server without the library preloaded.
    let bare = Cluster::start(Options {
        pg_stat_statements: false,
        ..Options::default()
    });
    bare.psql("postgres", "CREATE EXTENSION pg_stat_statements");
    let report = env
        .g
        .integrations()
        .test_input(input(&bare, "t", SslMode::VerifyFull), None)
        .await
        .unwrap();
    assert_eq!(
        report.server.unwrap().powers.pg_stat_statements_loaded,
        Some(false)
    );
}

/// A source whose password is whatever the test set last, expiring at once: a token source.
struct Rotating {
    password: std::sync::Mutex<String>,
    fetched: std::sync::atomic::AtomicUsize,
    lifetime: Option<std::time::Duration>,
}

impl grantry_core::connect::credentials::CredentialSource for Rotating {
    fn fetch(&self) -> grantry_core::connect::credentials::CredentialFuture<'_> {
        self.fetched
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let pw = self.password.lock().unwrap().clone();
        let expires_at = self.lifetime.map(|l| std::time::Instant::now() + l);
        Box::pin(async move {
            Ok(grantry_core::connect::credentials::Credential {
                secrets: grantry_core::connect::ConnectSecrets {
                    password: secret(&pw),
                    client_key_pem: None,
                },
                expires_at,
            })
        })
    }
}

#[tokio::test]
async fn pools_ask_their_credential_source_again_before_it_expires() {
    use grantry_core::connect::pool::Pools;
    use std::sync::atomic::Ordering;
    use std::sync::Arc;
    let c = ssl_cluster();
    c.psql(
        "postgres",
        "DROP ROLE IF EXISTS rotated; CREATE ROLE rotated LOGIN PASSWORD 'first-secret'",
    );
    let inp = input(c, "rot", SslMode::Require).with_self_hosted(|s| {
        s.username = "rotated".into();
    });
    let (_, connection) = inp.validate(None).unwrap();
    let endpoint = connection.endpoint().clone();

    // A token that lives one minute (inside the refresh margin): asked again on every use.
    let source = Arc::new(Rotating {
        password: std::sync::Mutex::new("first-secret".into()),
        fetched: Default::default(),
        lifetime: Some(std::time::Duration::from_secs(60)),
    });
    let pools = Pools::default();
    let s = source.clone();
    let get = || {
        let s = s.clone();
        pools.get("rot", &endpoint, "postgres", move || async move {
            Ok(s as Arc<dyn grantry_core::connect::credentials::CredentialSource>)
        })
    };
    let pool = get().await.unwrap();
    let first = pool.acquire().await.unwrap();
    assert_eq!(source.fetched.load(Ordering::SeqCst), 1);
    // The server now wants the new token; the pool must log its next connection in with it.
    c.psql("postgres", "ALTER ROLE rotated PASSWORD 'second-secret'");
    *source.password.lock().unwrap() = "second-secret".into();
    let pool = get().await.unwrap();
    assert_eq!(source.fetched.load(Ordering::SeqCst), 2);
    // `first` is still held, so this is a new physical connection: it logs in with the new token.
    let mut second = pool
        .acquire()
        .await
        .expect("a new connection with the new credential");
    let who: (String,) = sqlx::query_as("SELECT current_user::text")
        .fetch_one(&mut *second)
        .await
        .unwrap();
    assert_eq!(who.0, "rotated");
    drop((first, second));
    pools.close_all().await;

    // A saved password never expires: asked once, however often the pool is used.
    let fixed = Arc::new(Rotating {
        password: std::sync::Mutex::new("second-secret".into()),
        fetched: Default::default(),
        lifetime: None,
    });
    for _ in 0..5 {
        let f = fixed.clone();
        let pool = pools
            .get("fixed", &endpoint, "postgres", move || async move {
                Ok(f as Arc<dyn grantry_core::connect::credentials::CredentialSource>)
            })
            .await
            .unwrap();
        let _conn = pool.acquire().await.unwrap();
    }
    assert_eq!(fixed.fetched.load(Ordering::SeqCst), 1);
    pools.close_all().await;
}

/// What psql (libpq) does with these settings: Ok(ssl in use) or Err(its message).
fn psql_says(c: &Cluster, mode: &str, ca: &std::path::Path) -> Result<bool, String> {
    let psql = c.cluster.bin.bindir.join("psql");
    let psql = if psql.exists() { psql } else { "psql".into() };
    let conninfo = format!(
        "host=localhost port={} user={} dbname=postgres sslmode={mode} sslrootcert={}",
        c.port,
        c.superuser,
        ca.display()
    );
    let out = std::process::Command::new(psql)
        .args(["-X", "-At", "-d", &conninfo, "-c"])
        .arg("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .env("PGPASSWORD", c.password.expose())
        .env_remove("PGSSLMODE")
        .output()
        .unwrap();
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim() == "t")
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// libpq verifies the server certificate whenever a root certificate is given, in prefer and
/// allow too; prefer then falls back to a plain connection, which a hostssl-only server refuses.
/// Each case is checked against psql in the same run.
#[tokio::test]
async fn prefer_and_allow_verify_a_given_ca_as_libpq_does() {
    let wrong = pki().other_ca_cert.clone();
    let right = pki().ca_cert.clone();
    let cases = [
        // (cluster, mode, CA, Grantry's expected outcome)
        (
            ssl_only_cluster(),
            SslMode::Prefer,
            &wrong,
            Err(FailureKind::TlsUnknownCa),
        ),
        (
            ssl_only_cluster(),
            SslMode::Allow,
            &wrong,
            Err(FailureKind::TlsUnknownCa),
        ),
        (ssl_only_cluster(), SslMode::Prefer, &right, Ok(true)),
        (ssl_only_cluster(), SslMode::Allow, &right, Ok(true)),
        (ssl_cluster(), SslMode::Prefer, &wrong, Ok(false)),
        (ssl_cluster(), SslMode::Allow, &wrong, Ok(false)),
    ];
    for (c, mode, ca, expect) in cases {
        let word = match mode {
            SslMode::Prefer => "prefer",
            _ => "allow",
        };
        let libpq = psql_says(c, word, ca);
        match (&libpq, &expect) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{word} with {}: psql", ca.display()),
            (Err(m), Err(_)) => assert!(m.contains("certificate verify failed"), "{m}"),
            _ => panic!(
                "{word} with {}: psql says {libpq:?}, expected {expect:?}",
                ca.display()
            ),
        }
        let inp = input(c, "t", mode).with_self_hosted(|s| {
            s.ca_cert = Some(CertSource::File {
                path: ca.display().to_string(),
            });
        });
        check(inp, expect).await;
    }
}

/// connect_timeout as libpq reads it: 0 is no limit, 1 means 2 seconds.
#[tokio::test]
async fn a_connect_timeout_of_zero_means_no_limit() {
    let c = ssl_cluster();
    let inp = input(c, "t", SslMode::Require).with_self_hosted(|s| {
        s.connect_timeout_secs = Some(0);
    });
    check(inp.clone(), Ok(true)).await;
    let env = grantry().await;
    let it = env
        .g
        .integrations()
        .add(IntegrationInput {
            name: "zero".into(),
            ..inp
        })
        .await
        .unwrap();
    assert_eq!(it.connection.endpoint().connect_timeout_secs, 0);
    let one = env
        .g
        .integrations()
        .add(IntegrationInput {
            name: "one".into(),
            ..input(c, "t", SslMode::Require).with_self_hosted(|s| {
                s.connect_timeout_secs = Some(1);
            })
        })
        .await
        .unwrap();
    assert_eq!(one.connection.endpoint().connect_timeout_secs, 2);
}

/// A server that goes away after its pool was made: the next call says the connection is
/// refused (the real cause), not that a pool timed out.
#[tokio::test]
async fn a_stopped_server_is_reported_as_refusing_connections() {
    let c = Cluster::start(Options::default());
    c.psql("postgres", "CREATE DATABASE app");
    let env = grantry().await;
    let mut inp = input(&c, "gone", SslMode::Require);
    inp = inp.with_self_hosted(|s| s.database = Some("app".into()));
    env.g.integrations().add(inp).await.unwrap();
    let q = grantry_core::catalog::TreeQuery::default();
    env.g.catalog().databases("gone", &q).await.unwrap();
    // Stop the server under the pool (it keeps a connection that is now dead).
    c.cluster.stop_immediate().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let e = env.g.catalog().databases("gone", &q).await.unwrap_err();
    assert_eq!(
        e.code,
        grantry_core::ErrorCode::ConnectionRefused,
        "{}",
        e.message
    );
    assert!(e.message.contains("refused"), "{}", e.message);
}
