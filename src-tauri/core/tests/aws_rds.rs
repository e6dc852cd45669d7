//! AWS RDS / Aurora integrations against real parts: the AWS SDK against moto (RDS and STS on
//! loopback), IAM tokens compared with boto3's and checked by the rig's RDS front in front of a
//! real cluster.

mod common;

use chrono::{TimeZone, Utc};
use common::grantry;
use grantry_core::connect::aws::{configure, AwsSecrets};
use grantry_core::connect::FailureKind;
use grantry_core::integrations::model::{
    AssumeRole, AwsAccess, AwsAccessInput, AwsCredentials, AwsCredentialsInput, AwsRdsInput,
    CertSource, Connection, ConnectionInput, DbAuth, IntegrationInput, RdsTarget, SslMode,
};
use grantry_core::{ErrorCode, Secret};
use grantry_testrig::iam_front::{IamFront, IamFrontConfig, Outcome};
use grantry_testrig::iam_token::Credential;
use grantry_testrig::moto::{boto3_auth_token, Moto, RdsSpec, TokenRequest};
use grantry_testrig::{pki, Cluster, Options};
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

const REGION: &str = "eu-west-1";
const KEY: &str = "AKIARIGTESTKEY000001";
const SECRET: &str = "rig/secret+access/key/0000000000000000001";

fn static_access(endpoint_url: Option<&str>) -> AwsAccess {
    AwsAccess {
        credentials: AwsCredentials::Static {
            access_key_id: KEY.into(),
            has_session_token: false,
        },
        assume_role: None,
        endpoint_url: endpoint_url.map(str::to_string),
    }
}

fn static_secrets() -> AwsSecrets {
    AwsSecrets {
        secret_access_key: Some(Secret::new(SECRET)),
        session_token: None,
    }
}

fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(Moto::start)
}

/// One cluster behind one RDS front for the file.
fn front() -> &'static (Cluster, IamFront) {
    static SHARED: OnceLock<(Cluster, IamFront)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let cluster = Cluster::start(Options::default());
        let creds = HashMap::from([(
            KEY.to_string(),
            Credential {
                secret_access_key: SECRET.into(),
                session_token: None,
            },
        )]);
        let front = IamFront::start(&cluster, IamFrontConfig::new(REGION, creds));
        (cluster, front)
    })
}

fn front_cluster() -> &'static Cluster {
    &front().0
}

fn rds_input(name: &str, front: &IamFront, user: &str) -> IntegrationInput {
    IntegrationInput {
        name: name.into(),
        connection: ConnectionInput::AwsRds(AwsRdsInput {
            region: REGION.into(),
            host: front.endpoint_host.clone(),
            port: Some(front.port as i64),
            username: user.into(),
            ca_cert: Some(CertSource::File {
                path: pki().ca_cert.display().to_string(),
            }),
            connect_timeout_secs: Some(5),
            aws: AwsAccessInput {
                credentials: AwsCredentialsInput::Static {
                    access_key_id: KEY.into(),
                    secret_access_key: Some(Secret::new(SECRET)),
                    session_token: None,
                    clear_session_token: false,
                },
                ..Default::default()
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn tokens_are_the_reference_sdks_for_the_same_clock_and_names() {
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).unwrap();
    let clock = aws_smithy_async::time::SharedTimeSource::new(
        aws_smithy_async::time::StaticTimeSource::new(at.into()),
    );
    let aws = configure(&static_access(None), REGION, &static_secrets(), Some(clock))
        .await
        .unwrap();
    // A plain name, and one whose characters mean something in a query string.
    for user in ["grantry", "o'brien&x=y z"] {
        let ours = aws
            .iam_token("db.example.eu-west-1.rds.amazonaws.com", 5432, user)
            .await
            .unwrap();
        let reference = boto3_auth_token(&TokenRequest {
            host: "db.example.eu-west-1.rds.amazonaws.com".into(),
            port: 5432,
            user: user.into(),
            region: REGION.into(),
            access_key: KEY.into(),
            secret_key: SECRET.into(),
            session_token: None,
            at: Some(at),
        });
        assert_eq!(ours.expose(), reference, "{user}");
    }
}

#[tokio::test]
async fn an_iam_integration_logs_in_with_fresh_tokens_and_a_refused_one_says_why() {
    let (cluster, front) = front();
    cluster.psql(
        "postgres",
        "CREATE ROLE iam_app LOGIN; GRANT rds_iam TO iam_app; CREATE ROLE not_iam LOGIN PASSWORD 'pw-not-iam';",
    );
    let env = grantry().await;
    let it = env
        .g
        .integrations()
        .add(rds_input("orders", front, "iam_app"))
        .await
        .unwrap();
    assert_eq!(it.connection.kind(), "aws_rds");
    let Connection::AwsRds(saved) = &it.connection else {
        panic!()
    };
    assert_eq!(
        (saved.auth, saved.endpoint.sslmode),
        (DbAuth::Iam, SslMode::VerifyFull)
    );
    let report = env.g.integrations().test("orders").await.unwrap();
    assert!(report.ok, "{report:#?}");
    let names: Vec<&str> = report.steps.iter().map(|s| s.name.as_str()).collect();
    assert!(
        names.starts_with(&["AWS credentials", "IAM token"]),
        "{names:?}"
    );
    assert_eq!(
        front.last_outcome("iam_app"),
        Some(Outcome::Accepted {
            access_key: KEY.into()
        })
    );
    // RDS's checks: rds_iam (the token was accepted), and rds_superuser once the server has it
    // (RDS always does), with the GRANT that fixes it, which then passes.
    assert!(common::prerequisite(&report, "rds_iam").ok);
    cluster.psql(
        "postgres",
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_superuser') THEN CREATE ROLE rds_superuser NOLOGIN; END IF; END $$",
    );
    let report = env.g.integrations().test("orders").await.unwrap();
    let su = common::prerequisite(&report, "rds_superuser");
    assert!(!su.ok, "{su:?}");
    assert_eq!(
        su.fix_sql.as_deref(),
        Some("GRANT rds_superuser TO \"iam_app\";")
    );
    cluster.psql("postgres", su.fix_sql.as_deref().unwrap());
    let report = env.g.integrations().test("orders").await.unwrap();
    assert!(common::prerequisite(&report, "rds_superuser").ok);
    // The pool logs in with a token too, and the work runs as the IAM user.
    let pool = env.g.app().pool("orders", None).await.unwrap();
    let who: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(who, "iam_app");
    let accepted = front
        .attempts()
        .iter()
        .filter(|a| a.user == "iam_app" && matches!(a.outcome, Outcome::Accepted { .. }))
        .count();
    assert!(accepted >= 2, "{:?}", front.attempts());
    // The tokens minted for those logins are kept nowhere.
    let answers = vec![
        serde_json::to_string(&report).unwrap(),
        serde_json::to_string(&env.g.integrations().list().await.unwrap()).unwrap(),
    ];
    let tokens = front.passwords();
    assert!(tokens.len() >= 2, "{tokens:?}");
    for t in &tokens {
        assert!(t.contains("X-Amz-Signature="), "not an IAM token: {t}");
        common::assert_token_kept_nowhere(&env, t, &answers).await;
    }

    // A user without rds_iam: its token goes to password authentication and fails there.
    env.g
        .integrations()
        .add(rds_input("no-iam", front, "not_iam"))
        .await
        .unwrap();
    let report = env.g.integrations().test("no-iam").await.unwrap();
    assert!(!report.ok);
    assert_eq!(
        report.failure,
        Some(FailureKind::TokenRejected),
        "{report:#?}"
    );
    assert!(
        report.message.contains("GRANT rds_iam TO \"not_iam\""),
        "{}",
        report.message
    );
    assert_eq!(front.last_outcome("not_iam"), Some(Outcome::PasswordAuth));
}

#[tokio::test]
async fn a_target_resolves_its_endpoint_and_says_when_iam_auth_is_off() {
    let m = moto();
    m.create_db_instance(&RdsSpec {
        region: REGION.into(),
        id: "billing".into(),
        port: 6543,
        iam: false,
        tags: BTreeMap::new(),
    });
    let env = grantry().await;
    let (_, front) = front();
    let mut input = rds_input("billing", front, "iam_app");
    if let ConnectionInput::AwsRds(a) = &mut input.connection {
        a.host = String::new();
        a.port = None;
        a.target = Some(RdsTarget::Instance {
            id: "billing".into(),
        });
        a.aws.endpoint_url = Some(m.endpoint_url.clone());
    }
    let it = env.g.integrations().add(input.clone()).await.unwrap();
    let e = it.connection.endpoint();
    assert_eq!(
        (e.host.as_str(), e.port),
        ("billing.aaaaaaaaaa.eu-west-1.rds.amazonaws.com", 6543)
    );
    let report = env.g.integrations().test("billing").await.unwrap();
    assert_eq!(
        report.failure,
        Some(FailureKind::TokenRejected),
        "{report:#?}"
    );
    assert!(
        report
            .message
            .contains("IAM database authentication is not enabled on DB instance billing"),
        "{}",
        report.message
    );
    assert_eq!(report.steps.last().unwrap().name, "RDS API");

    // An instance the API does not know: the save is refused and says what to do.
    if let ConnectionInput::AwsRds(a) = &mut input.connection {
        a.target = Some(RdsTarget::Instance { id: "nope".into() });
    }
    input.name = "nope".into();
    let err = env.g.integrations().add(input).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::AwsApi, "{err:?}");
    assert!(err.message.contains("DB instance nope"), "{}", err.message);
    assert!(env.g.integrations().get("nope").await.is_err());
}

#[tokio::test]
async fn discovery_reads_every_page_and_filters_on_tags() {
    let m = moto();
    let region = "ap-southeast-2";
    let tags = |env: &str| BTreeMap::from([("env".to_string(), env.to_string())]);
    // More than one page (DescribeDBInstances answers 100 per page).
    let specs: Vec<RdsSpec> = (0..104)
        .map(|i| RdsSpec {
            region: region.into(),
            id: format!("pg-{i:03}"),
            port: 5432,
            iam: i % 2 == 0,
            tags: tags(if i % 3 == 0 { "prod" } else { "dev" }),
        })
        .collect();
    m.create_db_instances(region, &specs);
    m.create_db_cluster(&RdsSpec {
        region: region.into(),
        id: "aurora-prod".into(),
        port: 5432,
        iam: true,
        tags: tags("prod"),
    });
    let aws = configure(
        &static_access(Some(&m.endpoint_url)),
        region,
        &static_secrets(),
        None,
    )
    .await
    .unwrap();
    let all = aws.discover(&[]).await.unwrap();
    assert_eq!(
        all.len(),
        105,
        "{:?}",
        all.iter().map(|d| &d.id).collect::<Vec<_>>()
    );
    let prod = aws
        .discover(&[("env".into(), Some("prod".into()))])
        .await
        .unwrap();
    let expected = 1 + (0..104).filter(|i| i % 3 == 0).count();
    assert_eq!(prod.len(), expected);
    let aurora = prod.iter().find(|d| d.id == "aurora-prod").unwrap();
    assert_eq!(aurora.engine, "aurora-postgresql");
    assert!(aurora.reader_host.is_some() && aurora.iam_auth);
    assert!(matches!(aurora.target, RdsTarget::Cluster { .. }));
    let one = all.iter().find(|d| d.id == "pg-001").unwrap();
    assert!(!one.iam_auth);
    assert_eq!(one.engine, "postgres");
    assert!(aws
        .discover(&[("owner".into(), None)])
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn assume_role_is_called_once_for_many_tokens_and_its_refusal_is_named() {
    // A moto of its own: its state dump (which lists AssumeRole calls) holds no RDS resources.
    let m = Moto::start();
    let before = m.assumed_roles().len();
    let mut access = static_access(Some(&m.endpoint_url));
    access.assume_role = Some(AssumeRole {
        role_arn: "arn:aws:iam::123456789012:role/grantry-connector".into(),
        external_id: Some("ext-42".into()),
        session_name: "grantry-test".into(),
        source_identity: Some("dba-alice".into()),
    });
    let aws = configure(&access, REGION, &static_secrets(), None)
        .await
        .unwrap();
    for _ in 0..3 {
        let t = aws.iam_token("db.internal", 5432, "u").await.unwrap();
        assert!(
            t.expose().contains("X-Amz-Security-Token="),
            "temporary credentials sign it"
        );
        assert!(t.expose().contains("X-Amz-Credential=ASIA"));
    }
    assert_eq!(aws.credential_fetches(), 1);
    let calls: Vec<_> = m.assumed_roles().into_iter().skip(before).collect();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["session_name"], "grantry-test");
    assert_eq!(calls[0]["external_id"], "ext-42");

    // An STS that refuses: the error is AssumeRole's, with STS's own text.
    let mut refused = access.clone();
    refused.assume_role.as_mut().unwrap().role_arn = "arn:aws:iam::123456789012:role/x".into();
    refused.assume_role.as_mut().unwrap().session_name = "s".repeat(65);
    let aws = configure(&refused, REGION, &static_secrets(), None)
        .await
        .unwrap();
    let err = aws.credentials().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::AwsAssumeRole, "{err:?}");
    assert!(
        err.message
            .contains("AssumeRole of arn:aws:iam::123456789012:role/x failed"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn a_missing_profile_or_an_unreachable_api_is_its_own_failure() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::write(&config, "[profile other]\nregion = eu-west-1\n").unwrap();
    let creds = dir.path().join("credentials");
    std::fs::write(&creds, "").unwrap();
    let access = AwsAccess {
        credentials: AwsCredentials::Profile {
            name: "ops".into(),
            config_file: Some(config.display().to_string()),
            credentials_file: Some(creds.display().to_string()),
        },
        assume_role: None,
        endpoint_url: None,
    };
    let aws = configure(&access, REGION, &AwsSecrets::default(), None)
        .await
        .unwrap();
    let err = aws.credentials().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::AwsCredentials, "{err:?}");
    assert!(
        err.message.contains("AWS profile \"ops\""),
        "{}",
        err.message
    );
    // With the profile in its files, its keys are the ones used, and discovery works.
    std::fs::write(
        &creds,
        "[ops]\naws_access_key_id = AKIAPROFILEKEY000001\naws_secret_access_key = profile/secret/0001\n",
    )
    .unwrap();
    let access = AwsAccess {
        endpoint_url: Some(moto().endpoint_url.clone()),
        ..access
    };
    let aws = configure(&access, REGION, &AwsSecrets::default(), None)
        .await
        .unwrap();
    assert_eq!(
        aws.credentials().await.unwrap().access_key_id(),
        "AKIAPROFILEKEY000001"
    );
    aws.discover(&[]).await.unwrap();

    // Nothing listens on the endpoint: the RDS API is unreachable, said as such.
    let port = grantry_core::sandbox::localpg::free_port().unwrap();
    let aws = configure(
        &static_access(Some(&format!("http://127.0.0.1:{port}"))),
        REGION,
        &static_secrets(),
        None,
    )
    .await
    .unwrap();
    let err = aws.discover(&[]).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::AwsApi, "{err:?}");
    assert!(
        err.message.contains("could not be reached"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn static_secrets_stay_in_the_keychain_and_leave_with_the_integration() {
    let (_, front) = front();
    let env = grantry().await;
    let it = env
        .g
        .integrations()
        .add(rds_input("keys", front, "iam_app"))
        .await
        .unwrap();
    let json = serde_json::to_string(&it).unwrap();
    assert!(!json.contains(SECRET), "{json}");
    let saved = env.g.app().integration("keys").await.unwrap();
    let stored = env.g.app().aws_secrets(&saved).await.unwrap();
    assert_eq!(stored.secret_access_key.unwrap().expose(), SECRET);
    // Editing with the same key id and no secret keeps it; removing drops it.
    let mut edit = rds_input("keys", front, "iam_app");
    if let ConnectionInput::AwsRds(a) = &mut edit.connection {
        a.aws.credentials = AwsCredentialsInput::Static {
            access_key_id: KEY.into(),
            secret_access_key: None,
            session_token: None,
            clear_session_token: false,
        };
    }
    env.g.integrations().update("keys", edit).await.unwrap();
    // An edit that would make it self-hosted is refused, and changes nothing.
    let err = env
        .g
        .integrations()
        .update(
            "keys",
            common::input(front_cluster(), "keys", SslMode::Prefer),
        )
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("kind"), "{err:?}");
    assert_eq!(
        env.g
            .integrations()
            .get("keys")
            .await
            .unwrap()
            .connection
            .kind(),
        "aws_rds"
    );
    let report = env.g.integrations().test("keys").await.unwrap();
    assert!(report.ok, "{report:#?}");
    let stored = env.g.app().integration("keys").await.unwrap();
    env.g.integrations().remove("keys").await.unwrap();
    let after = env.g.app().aws_secrets(&stored).await.unwrap();
    assert!(after.secret_access_key.is_none());
}

/// A keychain that takes `ok_sets` secrets, then fails every call (a keyring daemon that
/// died while several integrations were being saved).
struct DyingKeychain {
    inner: grantry_core::secrets::MemoryKeychain,
    sets: std::sync::atomic::AtomicUsize,
    ok_sets: usize,
}

impl DyingKeychain {
    fn dead(&self) -> bool {
        self.sets.load(std::sync::atomic::Ordering::SeqCst) >= self.ok_sets
    }
    fn refuse() -> grantry_core::Error {
        grantry_core::Error::new(ErrorCode::KeychainUnavailable, "the keychain went away")
    }
}

impl grantry_core::secrets::SecretStore for DyingKeychain {
    fn get(
        &self,
        id: &str,
        kind: grantry_core::secrets::SecretKind,
    ) -> grantry_core::Result<Option<Secret>> {
        if self.dead() {
            return Err(Self::refuse());
        }
        self.inner.get(id, kind)
    }
    fn set(
        &self,
        id: &str,
        kind: grantry_core::secrets::SecretKind,
        value: &Secret,
    ) -> grantry_core::Result<()> {
        if self.dead() {
            return Err(Self::refuse());
        }
        self.sets.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.set(id, kind, value)
    }
    fn delete(
        &self,
        id: &str,
        kind: grantry_core::secrets::SecretKind,
    ) -> grantry_core::Result<()> {
        if self.dead() {
            return Err(Self::refuse());
        }
        self.inner.delete(id, kind)
    }
    fn describe(&self) -> String {
        "a keychain that dies".into()
    }
}

#[tokio::test]
async fn saving_what_discovery_found_is_all_or_none_even_when_the_keychain_dies_midway() {
    use grantry_core::integrations::discovered::AddDiscovered;
    let m = moto();
    let region = "ca-central-1";
    let tags = |k: &str, v: &str| BTreeMap::from([(k.to_string(), v.to_string())]);
    for (id, t) in [
        ("keep-a", tags("env", "prod")),
        ("keep-b", tags("Env", "PROD")),
        ("keep-c", tags("team", "x")),
    ] {
        m.create_db_instance(&RdsSpec {
            region: region.into(),
            id: id.into(),
            port: 5432,
            iam: true,
            tags: t,
        });
    }
    let request = |ids: &[&str]| AddDiscovered {
        settings: AwsRdsInput {
            region: region.into(),
            username: "grantry".into(),
            sslmode: Some(SslMode::Require),
            aws: AwsAccessInput {
                credentials: AwsCredentialsInput::Static {
                    access_key_id: KEY.into(),
                    secret_access_key: Some(Secret::new(SECRET)),
                    session_token: None,
                    clear_session_token: false,
                },
                endpoint_url: Some(m.endpoint_url.clone()),
                ..Default::default()
            },
            ..Default::default()
        },
        ids: ids.iter().map(|s| s.to_string()).collect(),
        environment_from_tag: Some("env".into()),
        ..Default::default()
    };
    // The keychain takes the first integration's secret, then dies.
    let home = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(DyingKeychain {
        inner: Default::default(),
        sets: Default::default(),
        ok_sets: 1,
    });
    let g = common::open(home.path(), Some(store)).await;
    let e = g
        .integrations()
        .add_discovered(request(&["keep-a", "keep-b", "keep-c"]))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::KeychainUnavailable, "{}", e.message);
    assert!(e.message.contains("nothing was saved"), "{}", e.message);
    assert!(e.message.contains("keep-a may remain"), "{}", e.message);
    assert!(
        g.integrations().list().await.unwrap().is_empty(),
        "an integration outlived the failed save"
    );

    // With a keychain that works: the tag's key in any case, a database without it noted,
    // the same id twice saved once.
    let env = grantry().await;
    let r = env
        .g
        .integrations()
        .add_discovered(request(&["keep-a", "keep-b", "keep-c", "keep-a"]))
        .await
        .unwrap();
    let got: Vec<(&str, &str)> = r
        .integrations
        .iter()
        .map(|i| (i.name.as_str(), i.environment.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("keep-a", "production"),
            ("keep-b", "production"),
            ("keep-c", "development")
        ]
    );
    assert!(
        r.notes.iter().any(|n| n.contains("keep-c has no tag env")),
        "{:?}",
        r.notes
    );
}
