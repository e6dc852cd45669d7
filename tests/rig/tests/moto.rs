//! moto's server from the rig's venv, driven by boto3: RDS instances and Aurora clusters as the
//! product will read them, and one whole chain, moto's endpoint to a login through the IAM front.

use grantry_testrig::iam_front::{IamFront, IamFrontConfig, Outcome};
use grantry_testrig::iam_token::Credential;
use grantry_testrig::moto::{boto3_auth_token, tag_map, Moto, RdsSpec, TokenRequest};
use grantry_testrig::{Cluster, Options};
use std::collections::{BTreeMap, HashMap};
use std::process::Command;
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
    let psql = cluster.cluster.bin.bindir.join("psql");
    let psql = if psql.exists() { psql } else { "psql".into() };
    let out = Command::new(psql)
        .env_clear()
        .env("PGPASSWORD", &token)
        .env("PGPASSFILE", "/dev/null")
        .args(["-X", "-w", "-At", "-c", "SELECT current_user", "-d"])
        .arg(format!(
            "host={host} hostaddr=127.0.0.1 port={port} user=app_iam dbname=postgres \
             sslmode=verify-full sslrootcert={}",
            front.ca_cert.display()
        ))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "app_iam");
    assert!(matches!(
        front.last_outcome("app_iam"),
        Some(Outcome::Accepted { .. })
    ));
}
