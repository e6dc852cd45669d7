//! Connections the server (or something that is not one) turns away: each comes out as its own
//! connect.* code with a message that says what to fix, from the connection test and from any
//! later use of the integration alike.

mod common;

use common::{grantry, input, secret};
use grantry_core::catalog::TreeQuery;
use grantry_core::connect::FailureKind;
use grantry_core::integrations::model::{IntegrationInput, SelfHostedInput, SslMode};
use grantry_testrig::{Cluster, Options};
use std::io::{Read, Write};

/// Tests integration `name` and lists its schemas: both must fail the same way.
async fn turned_away(env: &common::Env, name: &str, kind: FailureKind) -> String {
    let report = env.g.integrations().test(name).await.unwrap();
    assert!(!report.ok, "{name}: {}", report.message);
    assert_eq!(report.failure, Some(kind), "{name}: {}", report.message);
    let database = env.g.integrations().get(name).await.unwrap();
    let database = database.connection.endpoint().database.clone();
    let err = env
        .g
        .catalog()
        .schemas(name, &database, &TreeQuery::default())
        .await
        .unwrap_err();
    assert_eq!(err.code, kind.code(), "{name}: {}", err.message);
    assert!(
        !err.message.contains("sqlx") && !err.message.contains("error returned from database"),
        "{name}: {}",
        err.message
    );
    report.message
}

#[tokio::test]
async fn the_server_turning_a_login_away_says_why() {
    let c = Cluster::start(Options::default());
    c.psql(
        "postgres",
        "CREATE ROLE u LOGIN PASSWORD 'u-pw'; CREATE ROLE limited LOGIN PASSWORD 'l-pw' CONNECTION LIMIT 0;
         CREATE DATABASE locked; CREATE DATABASE closed; CREATE DATABASE open;
         CREATE DATABASE crowded CONNECTION LIMIT 0;
         REVOKE CONNECT ON DATABASE locked FROM PUBLIC;
         ALTER DATABASE closed ALLOW_CONNECTIONS false",
    );
    let env = grantry().await;
    let add = |name: &str, user: &str, pw: &str, db: &str| {
        input(&c, name, SslMode::Prefer).with_self_hosted(|s| {
            s.username = user.into();
            s.password = secret(pw);
            s.database = Some(db.into());
        })
    };
    for inp in [
        add("locked", "u", "u-pw", "locked"),
        add("closed", "u", "u-pw", "closed"),
        add("limited", "limited", "l-pw", "open"),
        add("crowded", "u", "u-pw", "crowded"),
    ] {
        env.g.integrations().add(inp).await.unwrap();
    }

    let m = turned_away(&env, "locked", FailureKind::ConnectDenied).await;
    assert!(m.contains("CONNECT") && m.contains("locked"), "{m}");
    assert!(
        m.contains("GRANT CONNECT ON DATABASE \"locked\" TO \"u\""),
        "{m}"
    );
    let m = turned_away(&env, "closed", FailureKind::Unavailable).await;
    assert!(
        m.contains("accepting connections") && m.contains("ALLOW_CONNECTIONS"),
        "{m}"
    );
    // Which connection limit: the role's or the database's, and how to raise it.
    let m = turned_away(&env, "limited", FailureKind::Unavailable).await;
    assert!(
        m.contains("the role's connection limit") && m.contains("ALTER ROLE"),
        "{m}"
    );
    let m = turned_away(&env, "crowded", FailureKind::Unavailable).await;
    assert!(
        m.contains("the database's connection limit") && m.contains("ALTER DATABASE"),
        "{m}"
    );

    // Once allowed, the same integrations work: nothing was cached from the failures.
    c.psql(
        "postgres",
        "GRANT CONNECT ON DATABASE \"locked\" TO \"u\"; ALTER ROLE limited CONNECTION LIMIT -1",
    );
    for name in ["locked", "limited"] {
        let report = env.g.integrations().test(name).await.unwrap();
        assert!(report.ok, "{name}: {}", report.message);
    }
}

/// An integration for `host` and `port`, where no cluster of the rig runs.
fn input_at(host: &str, port: u16, name: &str, mode: SslMode) -> IntegrationInput {
    IntegrationInput::self_hosted(
        name,
        SelfHostedInput {
            host: host.into(),
            port: Some(port as i64),
            username: "someone".into(),
            password: secret("pw"),
            sslmode: Some(mode),
            connect_timeout_secs: Some(5),
            ..Default::default()
        },
    )
}

/// A listener that answers anything with an HTTP error and hangs up, as a web server would.
fn not_postgres() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            let _ = s.shutdown(std::net::Shutdown::Write);
            let _ = std::io::copy(&mut s, &mut std::io::sink());
        }
    });
    port
}

/// A listener that greets first, as an SSH server does, then reads whatever comes.
fn greets_first() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            std::thread::spawn(move || {
                let _ = s.write_all(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n");
                let _ = std::io::copy(&mut s, &mut std::io::sink());
            });
        }
    });
    port
}

#[tokio::test]
async fn something_that_is_not_postgres_or_a_stopped_socket_says_so() {
    let env = grantry().await;
    let port = not_postgres();
    let ssh = greets_first();
    // What speaks first (an SSH server on a mistyped port) is named from its greeting by the
    // connection test, whatever the SSL mode.
    for (name, mode) in [
        ("ssh", SslMode::Disable),
        ("ssh-tls", SslMode::Prefer),
        ("ssh-require", SslMode::Require),
    ] {
        let inp = input_at("127.0.0.1", ssh, name, mode);
        env.g.integrations().add(inp).await.unwrap();
        let report = env.g.integrations().test(name).await.unwrap();
        assert_eq!(
            report.failure,
            Some(FailureKind::NotPostgres),
            "{name}: {}",
            report.message
        );
        assert!(
            report.message.contains("SSH-2.0-OpenSSH_9.2p1"),
            "{}",
            report.message
        );
        assert_eq!(report.steps.last().unwrap().name, "PostgreSQL protocol");
    }
    for (name, mode) in [("web", SslMode::Disable), ("web-tls", SslMode::Prefer)] {
        let inp = input_at("127.0.0.1", port, name, mode);
        env.g.integrations().add(inp).await.unwrap();
        let m = turned_away(&env, name, FailureKind::NotPostgres).await;
        assert!(m.contains("not a PostgreSQL server"), "{m}");
        assert!(m.contains(&port.to_string()), "{m}");
    }

    // A Unix socket directory where no server runs (stopped, or another directory).
    let dir = tempfile::tempdir().unwrap();
    let inp = input_at(
        &dir.path().display().to_string(),
        5432,
        "socket",
        SslMode::Disable,
    );
    env.g.integrations().add(inp).await.unwrap();
    let m = turned_away(&env, "socket", FailureKind::ConnectionRefused).await;
    assert!(m.contains(".s.PGSQL.5432"), "{m}");
}

/// PostgreSQL 16+ keeps slots for roles with pg_use_reserved_connections; its "remaining
/// connection slots are reserved for roles with privileges of ..." holds "for role" but is not
/// the role's limit.
#[tokio::test]
async fn reserved_connection_slots_are_not_called_the_roles_limit() {
    use sqlx::postgres::{PgConnectOptions, PgSslMode};
    use sqlx::Connection as _;
    let bin = grantry_testrig::version_matrix()
        .into_iter()
        .find(|b| b.major == 16)
        .expect("PostgreSQL 16");
    let c = Cluster::start(Options {
        bindir: Some(bin.bindir.clone()),
        ..Default::default()
    });
    c.psql(
        "postgres",
        "CREATE ROLE u LOGIN PASSWORD 'u-pw';
         ALTER SYSTEM SET max_connections = 6;
         ALTER SYSTEM SET superuser_reserved_connections = 2;
         ALTER SYSTEM SET reserved_connections = 3",
    );
    c.cluster.stop().unwrap();
    c.cluster.start().unwrap();
    // The one ordinary slot left is taken.
    let _held = sqlx::PgConnection::connect_with(
        &PgConnectOptions::new()
            .host("localhost")
            .port(c.port)
            .username("u")
            .password("u-pw")
            .database("postgres")
            .ssl_mode(PgSslMode::Require),
    )
    .await
    .unwrap();
    let env = grantry().await;
    env.g
        .integrations()
        .add(
            input(&c, "reserved", SslMode::Prefer).with_self_hosted(|s| {
                s.username = "u".into();
                s.password = secret("u-pw");
                s.database = Some("postgres".into());
            }),
        )
        .await
        .unwrap();
    let m = turned_away(&env, "reserved", FailureKind::Unavailable).await;
    assert!(
        m.contains("reserved") && !m.contains("the role's connection limit"),
        "{m}"
    );
}
