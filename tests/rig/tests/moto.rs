//! moto's server from the rig's venv, driven by boto3: RDS instances and Aurora clusters as the
//! product will read them, and one whole chain, moto's endpoint to a login through the IAM front.

use grantry_testrig::iam_front::{IamFront, IamFrontConfig, Outcome};
use grantry_testrig::iam_token::Credential;
use grantry_testrig::moto::{boto3_auth_token, tag_map, Moto, RdsSpec, TokenRequest};
use grantry_testrig::{Cluster, Options};
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn moto_describes_the_instances_and_clusters_created() {
    let started = Instant::now();
    let moto = Moto::start();
    println!("moto answered in {} ms", started.elapsed().as_millis());

    let instance = RdsSpec {
        region: "eu-west-1".into(),
        id: "orders-db".into(),
        port: 15432,
        iam: true,
        tags: tags(&[("grantry", "managed"), ("env", "production")]),
    };
    let created = moto.create_db_instance(&instance);
    assert_eq!(created["DBInstanceIdentifier"], "orders-db");
    moto.create_db_instance(&RdsSpec {
        id: "legacy-db".into(),
        iam: false,
        tags: BTreeMap::new(),
        ..instance.clone()
    });
    moto.create_db_cluster(&RdsSpec {
        id: "analytics".into(),
        port: 15433,
        tags: tags(&[("grantry", "managed")]),
        ..instance.clone()
    });

    let started = Instant::now();
    let instances = moto.describe_db_instances("eu-west-1");
    println!(
        "DescribeDBInstances through boto3 in {} ms",
        started.elapsed().as_millis()
    );
    let orders = instances
        .iter()
        .find(|i| i["DBInstanceIdentifier"] == "orders-db")
        .expect("orders-db is described");
    assert_eq!(orders["Engine"], "postgres");
    assert_eq!(orders["IAMDatabaseAuthenticationEnabled"], true);
    assert_eq!(orders["Endpoint"]["Port"], 15432);
    assert_eq!(
        orders["Endpoint"]["Address"],
        "orders-db.aaaaaaaaaa.eu-west-1.rds.amazonaws.com"
    );
    assert_eq!(tag_map(orders), instance.tags);
    let legacy = instances
        .iter()
        .find(|i| i["DBInstanceIdentifier"] == "legacy-db")
        .expect("legacy-db is described");
    assert_eq!(legacy["IAMDatabaseAuthenticationEnabled"], false);
    assert!(tag_map(legacy).is_empty());
    // Another region has none of them.
    assert!(moto.describe_db_instances("us-east-1").is_empty());

    let clusters = moto.describe_db_clusters("eu-west-1");
    assert_eq!(clusters.len(), 1, "{clusters:?}");
    assert_eq!(clusters[0]["DBClusterIdentifier"], "analytics");
    assert_eq!(clusters[0]["Engine"], "aurora-postgresql");
    assert_eq!(clusters[0]["Port"], 15433);
    assert_eq!(clusters[0]["IAMDatabaseAuthenticationEnabled"], true);
    let endpoint = clusters[0]["Endpoint"].as_str().unwrap();
    assert!(
        endpoint.starts_with("analytics.cluster-")
            && endpoint.ends_with(".eu-west-1.rds.amazonaws.com"),
        "{endpoint}"
    );
    assert_eq!(tag_map(&clusters[0]), tags(&[("grantry", "managed")]));
}

#[test]
fn moto_stops_when_dropped() {
    let moto = Moto::start();
    let port = moto.port;
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    drop(moto);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

/// The chain the product will run: find the instance in RDS (moto), make a token for its
/// endpoint, connect to that endpoint with verify-full, where the front checks the token.
#[test]
fn moto_endpoint_to_iam_login_through_the_front() {
    let moto = Moto::start();
    let cluster = Cluster::start(Options::default());
    let port = grantry_core::sandbox::localpg::free_port().unwrap();
    moto.create_db_instance(&RdsSpec {
        region: "eu-west-1".into(),
        id: "shop".into(),
        port,
        iam: true,
        tags: tags(&[("team", "payments")]),
    });
    let described = moto.describe_db_instances("eu-west-1");
    let host = described[0]["Endpoint"]["Address"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(described[0]["Endpoint"]["Port"], port);

    let mut config = IamFrontConfig::new(
        "eu-west-1",
        HashMap::from([(
            "AKIARIGCHAIN00000001".to_string(),
            Credential {
                secret_access_key: "chain-secret".into(),
                session_token: None,
            },
        )]),
    );
    config.endpoint_host = host.clone();
    config.port = Some(port);
    let front = IamFront::start(&cluster, config);
    cluster.psql(
        "postgres",
        "CREATE ROLE app_iam LOGIN; GRANT rds_iam TO app_iam;",
    );
    let token = boto3_auth_token(&TokenRequest {
        host: host.clone(),
        port,
        user: "app_iam".into(),
        region: "eu-west-1".into(),
        access_key: "AKIARIGCHAIN00000001".into(),
        secret_key: "chain-secret".into(),
        session_token: None,
        at: None,
    });
    // The endpoint's name does not resolve here: libpq's hostaddr gives the address, and
    // verify-full still checks the certificate against the name.
    let login = front.psql("app_iam", &token, "verify-full", "SELECT current_user");
    assert_eq!(login.as_deref(), Ok("app_iam"));
    assert!(matches!(
        front.last_outcome("app_iam"),
        Some(Outcome::Accepted { .. })
    ));
}

/// Temporary credentials from moto's STS sign tokens that carry their session token, and the
/// front accepts them only with it.
#[test]
fn assumed_role_credentials_sign_tokens_the_front_accepts() {
    let moto = Moto::start();
    let creds = moto.assume_role(
        "eu-west-1",
        "arn:aws:iam::123456789012:role/grantry-connector",
        Some("grantry-external-id"),
        "grantry",
    );
    assert!(creds.access_key.starts_with("ASIA"), "{creds:?}");
    assert!(!creds.session_token.is_empty());

    let cluster = Cluster::start(Options::default());
    let front = IamFront::start(
        &cluster,
        IamFrontConfig::new(
            "eu-west-1",
            HashMap::from([(
                creds.access_key.clone(),
                Credential {
                    secret_access_key: creds.secret_key.clone(),
                    session_token: Some(creds.session_token.clone()),
                },
            )]),
        ),
    );
    cluster.psql(
        "postgres",
        "CREATE ROLE sts_iam LOGIN; GRANT rds_iam TO sts_iam;",
    );
    let token = boto3_auth_token(&TokenRequest {
        host: front.endpoint_host.clone(),
        port: front.port,
        user: "sts_iam".into(),
        region: "eu-west-1".into(),
        access_key: creds.access_key.clone(),
        secret_key: creds.secret_key.clone(),
        session_token: Some(creds.session_token.clone()),
        at: None,
    });
    let login = front.psql("sts_iam", &token, "verify-full", "SELECT current_user");
    assert_eq!(login.as_deref(), Ok("sts_iam"));
    assert_eq!(
        front.last_outcome("sts_iam"),
        Some(Outcome::Accepted {
            access_key: creds.access_key.clone()
        })
    );
}
