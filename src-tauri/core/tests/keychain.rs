//! The real OS keychain: a Secret Service (gnome-keyring) in its own D-Bus session. Passwords go
//! there and nowhere else: not into any file under GRANTRY_HOME, not into any IPC response.

mod common;

use common::stored_password;
use grantry_core::integrations::model::{
    ConnectionInput, IntegrationInput, SelfHostedInput, SslMode,
};
use grantry_core::secrets::{Keychain, SecretKind, SecretStore};
use grantry_core::Secret;
use grantry_testrig::{in_secret_service_session, Cluster, Options};
use std::path::Path;
use std::sync::Arc;

fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            hits.extend(files_containing(&path, needle));
        } else if let Ok(bytes) = std::fs::read(&path) {
            if bytes.windows(needle.len()).any(|w| w == needle) {
                hits.push(path.display().to_string());
            }
        }
    }
    hits
}

#[test]
fn passwords_live_only_in_the_secret_service() {
    if !in_secret_service_session("passwords_live_only_in_the_secret_service") {
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let cluster = Cluster::start(Options::default());
        let home = tempfile::tempdir().unwrap();
        let g = common::open(home.path(), None).await;
        let password = cluster.password.expose().to_string();
        let mut responses = Vec::new();

        let input = IntegrationInput {
            name: "real-keychain".into(),
            connection: ConnectionInput::SelfHosted(SelfHostedInput {
                host: "localhost".into(),
                port: Some(cluster.port as i64),
                username: cluster.superuser.clone(),
                password: Some(Secret::new(password.clone())),
                sslmode: Some(SslMode::Require),
                ..Default::default()
            }),
            ..Default::default()
        };
        let it = g
            .integrations()
            .add(input)
            .await
            .expect("saving into the Secret Service");
        responses.push(serde_json::to_string(&it).unwrap());

        // It is really in the Secret Service, under Grantry's service name.
        let keychain = Keychain::new(grantry_core::app::KEYCHAIN_SERVICE);
        assert_eq!(
            stored_password(&keychain, &it.id).unwrap().expose(),
            password
        );

        // A new process (a fresh Grantry) connects with it.
        drop(g);
        let g = common::open(home.path(), None).await;
        let report = g.integrations().test("real-keychain").await.unwrap();
        assert!(report.ok, "{} {:?}", report.message, report.detail);
        responses.push(serde_json::to_string(&report).unwrap());
        responses.push(serde_json::to_string(&g.integrations().list().await.unwrap()).unwrap());
        let page = g
            .catalog()
            .databases("real-keychain", &Default::default())
            .await
            .unwrap();
        responses.push(serde_json::to_string(&page).unwrap());
        // A failing test's report and error carry no secret either.
        let bad = g
            .integrations()
            .test_input(
                IntegrationInput {
                    connection: ConnectionInput::SelfHosted(SelfHostedInput {
                        password: Some(Secret::new(format!("{password}-wrong"))),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                Some("real-keychain"),
            )
            .await;
        responses.push(format!("{bad:?}"));

        g.close().await;
        let hits = files_containing(home.path(), password.as_bytes());
        assert!(hits.is_empty(), "the password is in {hits:?}");
        for r in &responses {
            assert!(
                !r.contains(&password),
                "an IPC response contains the password: {r}"
            );
        }

        // Removing the integration removes the keychain entry.
        g.integrations().remove("real-keychain").await.unwrap();
        assert!(stored_password(&keychain, &it.id).is_none());

        // The store and keychain are independent per service name: nothing leaks across.
        let other = Arc::new(Keychain::new("grantry-test-other"));
        assert!(other.get(&it.id, SecretKind::Password).unwrap().is_none());
    });
}

#[test]
fn without_a_secret_service_saving_a_password_fails_cleanly() {
    if !in_secret_service_session("without_a_secret_service_saving_a_password_fails_cleanly") {
        return;
    }
    // Point the client at a bus with no Secret Service.
    let rt = tokio::runtime::Runtime::new().unwrap();
    std::env::set_var(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/grantry-no-bus",
    );
    rt.block_on(async {
        let home = tempfile::tempdir().unwrap();
        let g = common::open(home.path(), None).await;
        let input = IntegrationInput {
            name: "no-keychain".into(),
            connection: ConnectionInput::SelfHosted(SelfHostedInput {
                host: "localhost".into(),
                username: "u".into(),
                password: Some(Secret::new("never-stored-anywhere")),
                ..Default::default()
            }),
            ..Default::default()
        };
        let err = g.integrations().add(input.clone()).await.unwrap_err();
        assert_eq!(
            err.code,
            grantry_core::ErrorCode::KeychainUnavailable,
            "{err:?}"
        );
        assert!(g.integrations().list().await.unwrap().is_empty());
        // The user's choice: keep it for this session only.
        let it = g
            .integrations()
            .add(input.with_self_hosted(|s| {
                s.session_only_password = true;
            }))
            .await
            .unwrap();
        assert!(it.has_password);
        assert!(files_containing(home.path(), b"never-stored-anywhere").is_empty());
    });
}

/// The cloud kinds' secrets (an AWS secret access key and session token, an Entra ID client
/// secret) go to the Secret Service and nowhere else: no file under GRANTRY_HOME, no answer the
/// UI or CLI gets; removing an integration takes them out of the keychain.
#[test]
fn cloud_secrets_live_only_in_the_secret_service() {
    use grantry_core::integrations::model::{
        AwsAccessInput, AwsCredentialsInput, AwsRdsInput, AzureAuthInput, AzureInput,
        EntraSourceInput,
    };
    if !in_secret_service_session("cloud_secrets_live_only_in_the_secret_service") {
        return;
    }
    const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYLEAKTESTKEY1";
    const AWS_TOKEN: &str = "IQoJb3JpZ2luX2VjLEAKTESTSESSIONTOKEN000000001";
    const ENTRA_SECRET: &str = "Xy8Q~leak.test.client.secret_0000000001";
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let home = tempfile::tempdir().unwrap();
        let g = common::open(home.path(), None).await;
        let aws = IntegrationInput {
            name: "rds-keys".into(),
            connection: ConnectionInput::AwsRds(AwsRdsInput {
                region: "eu-west-1".into(),
                host: "orders.abc.eu-west-1.rds.amazonaws.com".into(),
                username: "grantry".into(),
                sslmode: Some(SslMode::Require),
                aws: AwsAccessInput {
                    credentials: AwsCredentialsInput::Static {
                        access_key_id: "ASIALEAKTESTKEY00001".into(),
                        secret_access_key: Some(Secret::new(AWS_SECRET)),
                        session_token: Some(Secret::new(AWS_TOKEN)),
                        clear_session_token: false,
                    },
                    ..Default::default()
                },
                ..Default::default()
            }),
            ..Default::default()
        };
        let azure = IntegrationInput {
            name: "flex-secret".into(),
            connection: ConnectionInput::Azure(AzureInput {
                host: "flex.postgres.database.azure.com".into(),
                username: "grantry".into(),
                auth: AzureAuthInput::Entra {
                    source: EntraSourceInput::ClientSecret {
                        tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
                        client_id: "0d3f5a7c-1b2e-4c6d-8e9f-a0b1c2d3e4f5".into(),
                        client_secret: Some(Secret::new(ENTRA_SECRET)),
                    },
                    authority_host: None,
                },
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut answers = Vec::new();
        for input in [aws, azure] {
            answers.push(
                serde_json::to_string(&g.integrations().add(input.clone()).await.unwrap()).unwrap(),
            );
            answers.push(
                serde_json::to_string(&g.integrations().problems(&input, None).await.unwrap())
                    .unwrap(),
            );
        }
        answers.push(serde_json::to_string(&g.integrations().list().await.unwrap()).unwrap());
        let keychain = Keychain::new(grantry_core::app::KEYCHAIN_SERVICE);
        let rds = g.app().integration("rds-keys").await.unwrap();
        let flex = g.app().integration("flex-secret").await.unwrap();
        assert_eq!(
            keychain
                .get(&rds.id, SecretKind::AwsSecretAccessKey)
                .unwrap()
                .as_ref()
                .map(Secret::expose),
            Some(AWS_SECRET)
        );
        assert_eq!(
            keychain
                .get(&rds.id, SecretKind::AwsSessionToken)
                .unwrap()
                .as_ref()
                .map(Secret::expose),
            Some(AWS_TOKEN)
        );
        assert_eq!(
            keychain
                .get(&flex.id, SecretKind::EntraClientSecret)
                .unwrap()
                .as_ref()
                .map(Secret::expose),
            Some(ENTRA_SECRET)
        );
        for secret in [AWS_SECRET, AWS_TOKEN, ENTRA_SECRET] {
            assert!(
                files_containing(home.path(), secret.as_bytes()).is_empty(),
                "{secret} is in a file under GRANTRY_HOME"
            );
            for a in &answers {
                assert!(!a.contains(secret), "{secret} in an answer: {a}");
            }
        }
        g.integrations().remove("rds-keys").await.unwrap();
        g.integrations().remove("flex-secret").await.unwrap();
        for (id, kind) in [
            (&rds.id, SecretKind::AwsSecretAccessKey),
            (&rds.id, SecretKind::AwsSessionToken),
            (&flex.id, SecretKind::EntraClientSecret),
        ] {
            assert!(
                keychain.get(id, kind).unwrap().is_none(),
                "{kind:?} stays in the keychain"
            );
        }
    });
}
