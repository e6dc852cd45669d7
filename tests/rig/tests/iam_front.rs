//! The RDS IAM front against real parts: a rig cluster behind it, tokens made by boto3 (the
//! reference SDK, from the rig's venv), psql and sqlx as clients.

use chrono::{Duration, Utc};
use grantry_testrig::iam_front::{IamFront, IamFrontConfig, Outcome};
use grantry_testrig::iam_token::{Credential, Refusal};
use grantry_testrig::moto::{boto3_auth_token, TokenRequest};
use grantry_testrig::{Cluster, Options};
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Instant;

const REGION: &str = "eu-west-1";
const KEY: &str = "AKIARIGTESTKEY000001";
const SECRET: &str = "rig/secret+access/key/0000000000000000001";
/// Temporary credentials: this key's tokens must carry the session token.
const TEMP_KEY: &str = "ASIARIGTESTKEY000002";
const TEMP_SECRET: &str = "rig/temporary/secret/0000000000000000002";
const SESSION_TOKEN: &str = "FwoGZXIvYXdzEXAMPLE//session+token/with=padding==";

fn credentials() -> HashMap<String, Credential> {
    HashMap::from([
        (
            KEY.to_string(),
            Credential {
                secret_access_key: SECRET.into(),
                session_token: None,
            },
        ),
        (
            TEMP_KEY.to_string(),
            Credential {
                secret_access_key: TEMP_SECRET.into(),
                session_token: Some(SESSION_TOKEN.into()),
            },
        ),
    ])
}

/// One cluster for the whole file, behind one front with the default configuration (tests that
/// move the front's clock start their own front). Each test uses its own roles, so the front's
/// log can be read per user while tests run in parallel.
fn shared() -> &'static (Cluster, IamFront) {
    static SHARED: OnceLock<(Cluster, IamFront)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let cluster = Cluster::start(Options::default());
        let front = IamFront::start(&cluster, IamFrontConfig::new(REGION, credentials()));
        (cluster, front)
    })
}

/// Creates a login role that is a member of rds_iam (as RDS's `GRANT rds_iam TO u`).
fn iam_user(cluster: &Cluster, name: &str) {
    cluster.psql(
        "postgres",
        &format!("CREATE ROLE {name} LOGIN; GRANT rds_iam TO {name};"),
    );
}

/// A boto3 token for `user` at the front's endpoint, signed now with the static key.
fn token_for(front: &IamFront, user: &str) -> TokenRequest {
    TokenRequest {
        host: front.endpoint_host.clone(),
        port: front.port,
        user: user.into(),
        region: REGION.into(),
        access_key: KEY.into(),
        secret_key: SECRET.into(),
        session_token: None,
        at: None,
    }
}

/// `SELECT current_user` through the front: Ok(current_user) or Err(psql's error output).
fn psql_via(front: &IamFront, user: &str, password: &str, sslmode: &str) -> Result<String, String> {
    front.psql(user, password, sslmode, "SELECT current_user")
}

/// The token is refused with RDS's message, and the front logged `reason` for it.
fn assert_refused(front: &IamFront, user: &str, token: &str, reason: fn(&Refusal) -> bool) {
    let err = psql_via(front, user, token, "verify-full").expect_err("the token must be refused");
    assert!(
        err.contains(&format!("PAM authentication failed for user \"{user}\"")),
        "{err}"
    );
    match front.last_outcome(user) {
        Some(Outcome::Refused(r)) if reason(&r) => {}
        other => panic!("unexpected outcome for {user}: {other:?}"),
    }
}

#[test]
fn boto3_token_logs_in_through_the_front_with_verify_full() {
    let (cluster, front) = shared();
    iam_user(cluster, "iam_ok");
    let started = Instant::now();
    let token = boto3_auth_token(&token_for(front, "iam_ok"));
    let token_ms = started.elapsed().as_millis();
    assert!(token.starts_with(&format!(
        "localhost:{}/?Action=connect&DBUser=iam_ok&",
        front.port
    )));
    let started = Instant::now();
    assert_eq!(
        psql_via(front, "iam_ok", &token, "verify-full").unwrap(),
        "iam_ok"
    );
    println!(
        "boto3 token in {token_ms} ms; psql login through the front and SELECT in {} ms",
        started.elapsed().as_millis()
    );
    assert_eq!(
        front.last_outcome("iam_ok"),
        Some(Outcome::Accepted {
            access_key: KEY.into()
        })
    );
    // A token stays valid for 15 minutes: a second connection with the same one works too.
    assert_eq!(
        psql_via(front, "iam_ok", &token, "require").unwrap(),
        "iam_ok"
    );
}

#[test]
fn sqlx_logs_in_through_the_front_with_a_boto3_token() {
    let (cluster, front) = shared();
    iam_user(cluster, "iam_sqlx");
    let token = boto3_auth_token(&token_for(front, "iam_sqlx"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let user: String = rt.block_on(async {
        let options = sqlx::postgres::PgConnectOptions::new()
            .host(&front.endpoint_host)
            .port(front.port)
            .username("iam_sqlx")
            .password(&token)
            .database("postgres")
            .ssl_mode(sqlx::postgres::PgSslMode::VerifyFull)
            .ssl_root_cert(&front.ca_cert);
        let mut conn = sqlx::ConnectOptions::connect(&options).await.unwrap();
        sqlx::query_scalar("SELECT current_user::text")
            .fetch_one(&mut conn)
            .await
            .unwrap()
    });
    assert_eq!(user, "iam_sqlx");
    assert!(matches!(
        front.last_outcome("iam_sqlx"),
        Some(Outcome::Accepted { .. })
    ));
}

#[test]
fn token_for_another_user_is_refused() {
    let (cluster, front) = shared();
    iam_user(cluster, "iam_wrong_user");
    let token = boto3_auth_token(&token_for(front, "iam_someone_else"));
    assert_refused(
        front,
        "iam_wrong_user",
        &token,
        |r| matches!(r, Refusal::WrongUser { token, .. } if token == "iam_someone_else"),
    );
}

#[test]
fn token_for_another_port_is_refused() {
    let (cluster, front) = shared();
    iam_user(cluster, "iam_wrong_port");
    let mut req = token_for(front, "iam_wrong_port");
    req.port = front.port + 1;
    let token = boto3_auth_token(&req);
    let want = format!("localhost:{}", front.port + 1);
    assert_refused(front, "iam_wrong_port", &token, |r| {
        matches!(r, Refusal::WrongEndpoint { .. })
    });
    assert_eq!(
        front.last_outcome("iam_wrong_port"),
        Some(Outcome::Refused(Refusal::WrongEndpoint {
            token: want,
            expected: front.endpoint()
        }))
    );
}

#[test]
fn token_for_another_region_is_refused() {
    let (cluster, front) = shared();
    iam_user(cluster, "iam_wrong_region");
    let mut req = token_for(front, "iam_wrong_region");
    req.region = "us-east-1".into();
    let token = boto3_auth_token(&req);
    assert_refused(front, "iam_wrong_region", &token, |r| {
        *r == Refusal::WrongRegion {
            token: "us-east-1".into(),
            expected: REGION.into(),
        }
    });
}

#[test]
fn token_signed_with_a_wrong_secret_is_refused() {
    let (cluster, front) = shared();
    iam_user(cluster, "iam_wrong_secret");
    let mut req = token_for(front, "iam_wrong_secret");
    req.secret_key = "not/the/secret/of/that/key".into();
    let token = boto3_auth_token(&req);
    assert_refused(front, "iam_wrong_secret", &token, |r| {
        *r == Refusal::SignatureMismatch
    });
}

#[test]
fn expired_token_is_refused() {
    let (cluster, front) = shared();
    iam_user(cluster, "iam_expired");
    let mut req = token_for(front, "iam_expired");
    req.at = Some(Utc::now() - Duration::minutes(16));
    let token = boto3_auth_token(&req);
    assert_refused(front, "iam_expired", &token, |r| {
        matches!(r, Refusal::Expired { .. })
    });
}

#[test]
fn token_of_an_unknown_access_key_is_refused() {
    let (cluster, front) = shared();
    iam_user(cluster, "iam_unknown_key");
    let mut req = token_for(front, "iam_unknown_key");
    req.access_key = "AKIAUNKNOWN000000000".into();
    let token = boto3_auth_token(&req);
    assert_refused(front, "iam_unknown_key", &token, |r| {
        *r == Refusal::UnknownAccessKey("AKIAUNKNOWN000000000".into())
    });
}

#[test]
fn temporary_credentials_need_their_session_token() {
    let (cluster, front) = shared();
    iam_user(cluster, "iam_temp");
    let mut req = token_for(front, "iam_temp");
    req.access_key = TEMP_KEY.into();
    req.secret_key = TEMP_SECRET.into();
    req.session_token = Some(SESSION_TOKEN.into());
    let token = boto3_auth_token(&req);
    assert!(token.contains("X-Amz-Security-Token="), "{token}");
    assert_eq!(
        psql_via(front, "iam_temp", &token, "verify-full").unwrap(),
        "iam_temp"
    );

    req.session_token = Some("another-session-token".into());
    let token = boto3_auth_token(&req);
    assert_refused(front, "iam_temp", &token, |r| {
        *r == Refusal::SessionTokenMismatch
    });
    req.session_token = None;
    let token = boto3_auth_token(&req);
    assert_refused(front, "iam_temp", &token, |r| {
        *r == Refusal::SessionTokenMismatch
    });
}

#[test]
fn the_fronts_clock_decides_expiry() {
    let (cluster, _) = shared();
    iam_user(cluster, "iam_clock");
    let front = IamFront::start(cluster, IamFrontConfig::new(REGION, credentials()));
    let token = boto3_auth_token(&token_for(&front, "iam_clock"));

    front.set_clock_skew(Duration::minutes(14));
    assert_eq!(
        psql_via(&front, "iam_clock", &token, "verify-full").unwrap(),
        "iam_clock"
    );

    front.set_clock_skew(Duration::minutes(16));
    assert_refused(&front, "iam_clock", &token, |r| {
        matches!(r, Refusal::Expired { .. })
    });

    // Made more than 5 minutes ahead of the server's clock.
    front.set_clock(Utc::now() - Duration::minutes(10));
    assert_refused(&front, "iam_clock", &token, |r| {
        matches!(r, Refusal::NotYetValid { .. })
    });
}

#[test]
fn user_outside_rds_iam_logs_in_with_its_password() {
    let (cluster, front) = shared();
    cluster.psql(
        "postgres",
        "CREATE ROLE pw_user LOGIN PASSWORD 'pw-user-password';",
    );
    assert_eq!(
        psql_via(front, "pw_user", "pw-user-password", "verify-full").unwrap(),
        "pw_user"
    );
    assert_eq!(front.last_outcome("pw_user"), Some(Outcome::PasswordAuth));

    // The real cluster's own check: a wrong password, or an IAM token, is a wrong password.
    let err = psql_via(front, "pw_user", "wrong", "verify-full").unwrap_err();
    assert!(
        err.contains("password authentication failed for user \"pw_user\""),
        "{err}"
    );
    let token = boto3_auth_token(&token_for(front, "pw_user"));
    let err = psql_via(front, "pw_user", &token, "verify-full").unwrap_err();
    assert!(
        err.contains("password authentication failed for user \"pw_user\""),
        "{err}"
    );
}

#[test]
fn membership_through_a_group_counts_and_superuser_does_not() {
    let (cluster, front) = shared();
    cluster.psql(
        "postgres",
        "CREATE ROLE iam_group; GRANT rds_iam TO iam_group; \
         CREATE ROLE iam_via_group LOGIN PASSWORD 'its-password'; GRANT iam_group TO iam_via_group;",
    );
    // An rds_iam member's password is checked as a token, and is not one.
    let err = psql_via(front, "iam_via_group", "its-password", "verify-full").unwrap_err();
    assert!(err.contains("PAM authentication failed"), "{err}");
    assert!(matches!(
        front.last_outcome("iam_via_group"),
        Some(Outcome::Refused(Refusal::Malformed(_)))
    ));
    let token = boto3_auth_token(&token_for(front, "iam_via_group"));
    assert_eq!(
        psql_via(front, "iam_via_group", &token, "verify-full").unwrap(),
        "iam_via_group"
    );

    // The superuser is not an rds_iam member: its password works through the front.
    assert_eq!(
        psql_via(
            front,
            &cluster.superuser,
            cluster.password.expose(),
            "verify-full"
        )
        .unwrap(),
        cluster.superuser
    );
    assert_eq!(
        front.last_outcome(&cluster.superuser),
        Some(Outcome::PasswordAuth)
    );
}

#[test]
fn iam_login_without_tls_is_refused_unless_allowed() {
    let (cluster, front) = shared();
    iam_user(cluster, "iam_plain");
    let token = boto3_auth_token(&token_for(front, "iam_plain"));
    assert!(psql_via(front, "iam_plain", &token, "disable")
        .unwrap_err()
        .contains("PAM authentication failed for user \"iam_plain\""));
    assert_eq!(front.last_outcome("iam_plain"), Some(Outcome::TlsRequired));

    // A front without TLS that allows plain IAM logins.
    let mut config = IamFrontConfig::new(REGION, credentials());
    config.tls = false;
    config.iam_requires_tls = false;
    let plain = IamFront::start(cluster, config);
    let token = boto3_auth_token(&token_for(&plain, "iam_plain"));
    let err = psql_via(&plain, "iam_plain", &token, "require").unwrap_err();
    assert!(err.contains("does not support SSL"), "{err}");
    assert_eq!(
        psql_via(&plain, "iam_plain", &token, "disable").unwrap(),
        "iam_plain"
    );
    let last = plain.attempts().pop().unwrap();
    assert!(!last.tls);
    assert!(matches!(last.outcome, Outcome::Accepted { .. }));
}

#[test]
fn cancel_request_through_the_front_reaches_the_session() {
    let (cluster, front) = shared();
    iam_user(cluster, "iam_cancel");
    let token = boto3_auth_token(&token_for(front, "iam_cancel"));
    let child = front
        .psql_command("iam_cancel", &token, "verify-full")
        .args(["-c", "SELECT pg_sleep(60)"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + std::time::Duration::from_secs(20);
    while cluster.psql(
        "postgres",
        "SELECT count(*) FROM pg_stat_activity WHERE usename = 'iam_cancel' AND query LIKE 'SELECT pg_sleep%'",
    ) != "1"
    {
        assert!(Instant::now() < deadline, "the query never started");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // psql sends a CancelRequest (a new connection to the front) on SIGINT.
    // SAFETY: kill(2) on our own child.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("canceling statement due to user request"),
        "{stderr}"
    );
}

/// Reads one typed message (type, body) of the PostgreSQL protocol.
fn read_message(s: &mut std::net::TcpStream) -> (u8, Vec<u8>) {
    use std::io::Read;
    let mut head = [0u8; 5];
    s.read_exact(&mut head).unwrap();
    let len = i32::from_be_bytes(head[1..5].try_into().unwrap()) as usize;
    let mut body = vec![0; len - 4];
    s.read_exact(&mut body).unwrap();
    (head[0], body)
}

/// A client asking for protocol 3.2 (which PostgreSQL 15 does not speak) gets the cluster's
/// NegotiateProtocolVersion through the front, then its session: spoken byte by byte here, as no
/// psql on the machine asks for 3.2.
#[test]
fn newer_protocol_minor_is_negotiated_by_the_cluster() {
    use std::io::Write;
    let (cluster, _) = shared();
    iam_user(cluster, "iam_v32");
    let mut config = IamFrontConfig::new(REGION, credentials());
    config.iam_requires_tls = false;
    let front = IamFront::start(cluster, config);
    let token = boto3_auth_token(&token_for(&front, "iam_v32"));

    let mut s = std::net::TcpStream::connect(("127.0.0.1", front.port)).unwrap();
    let params = b"user\0iam_v32\0database\0postgres\0\0";
    let mut startup = ((8 + params.len()) as i32).to_be_bytes().to_vec();
    startup.extend((3i32 << 16 | 2).to_be_bytes());
    startup.extend(params);
    s.write_all(&startup).unwrap();
    // AuthenticationCleartextPassword.
    assert_eq!(read_message(&mut s), (b'R', vec![0, 0, 0, 3]));
    let mut password = vec![b'p'];
    password.extend(((4 + token.len() + 1) as i32).to_be_bytes());
    password.extend(token.as_bytes());
    password.push(0);
    s.write_all(&password).unwrap();

    let (kind, body) = read_message(&mut s);
    assert_eq!(kind, b'v', "NegotiateProtocolVersion first");
    // The newest version the cluster speaks: 3.0.
    assert_eq!(&body[..4], &(3i32 << 16).to_be_bytes());
    assert_eq!(read_message(&mut s), (b'R', vec![0, 0, 0, 0]));
    let mut seen = Vec::new();
    loop {
        let (kind, _) = read_message(&mut s);
        seen.push(kind);
        if kind == b'Z' {
            break;
        }
    }
    assert!(seen.contains(&b'S') && seen.contains(&b'K'), "{seen:?}");
    assert!(matches!(
        front.last_outcome("iam_v32"),
        Some(Outcome::Accepted { .. })
    ));
}
