//! Saving integrations: validation, duplicates, unknown names, an unavailable keychain and a
//! corrupted local store. Bad input gets a specific error and changes nothing.

mod common;

use common::{grantry, secret, stored_password};
use grantry_core::integrations::model::{
    CertSource, ConnectionInput, Environment, IntegrationInput, KeyInput, PasswordStorage,
    SelfHostedInput, SslMode,
};
use grantry_core::secrets::MemoryKeychain;
use grantry_core::{ErrorCode, Grantry, Secret};
use std::sync::Arc;

fn valid(name: &str) -> IntegrationInput {
    IntegrationInput {
        name: name.into(),
        connection: ConnectionInput::SelfHosted(SelfHostedInput {
            host: "db.internal".into(),
            port: Some(6432),
            username: "admin".into(),
            password: secret("pw-123"),
            ..Default::default()
        }),
        ..Default::default()
    }
}

async fn open_with(home: &std::path::Path, keychain: Arc<MemoryKeychain>) -> Grantry {
    common::open(home, Some(keychain)).await
}

#[tokio::test]
async fn bad_input_is_rejected_and_nothing_is_saved() {
    let home = tempfile::tempdir().unwrap();
    let keychain = Arc::new(MemoryKeychain::default());
    let g = open_with(home.path(), keychain.clone()).await;
    let cases: Vec<(IntegrationInput, &str)> = vec![
        (
            valid("a").with_self_hosted(|s| {
                s.port = Some(0);
            }),
            "invalid port 0",
        ),
        (
            valid("a").with_self_hosted(|s| {
                s.port = Some(70000);
            }),
            "invalid port 70000",
        ),
        (
            IntegrationInput {
                name: "  ".into(),
                ..valid("a")
            },
            "needs a name",
        ),
        (
            valid("a").with_self_hosted(|s| {
                s.host = "".into();
            }),
            "host is required",
        ),
        (
            valid("a").with_self_hosted(|s| {
                s.host = "bad host".into();
            }),
            "white space",
        ),
        (
            valid("a").with_self_hosted(|s| {
                s.username = "".into();
            }),
            "user name is required",
        ),
        (
            valid("a").with_self_hosted(|s| {
                s.ca_cert = Some(CertSource::File {
                    path: "/does/not/exist.pem".into(),
                });
            }),
            "cannot read the CA certificate file /does/not/exist.pem",
        ),
        (
            valid("a").with_self_hosted(|s| {
                s.ca_cert = Some(CertSource::Pem {
                    pem: "not a cert".into(),
                });
            }),
            "not a PEM certificate",
        ),
        (
            valid("a").with_self_hosted(|s| {
                s.sslmode = Some(SslMode::VerifyCa);
            }),
            "give the CA certificate",
        ),
        (
            valid("a").with_self_hosted(|s| {
                s.client_key = Some(KeyInput::Pem {
                    pem: Secret::new("secret-ish garbage"),
                });
            }),
            "not a PEM private key",
        ),
        (
            valid("a").with_self_hosted(|s| {
                s.connect_timeout_secs = Some(601);
            }),
            "invalid connect timeout",
        ),
    ];
    for (input, expect) in cases {
        let err = g.integrations().add(input).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput, "{expect}");
        assert!(
            err.message.contains(expect),
            "{:?} does not mention {expect:?}",
            err.message
        );
        assert!(
            !err.message.contains("secret-ish"),
            "an error echoed a secret"
        );
    }
    // An unreadable certificate file (permissions, not absence).
    let dir = tempfile::tempdir().unwrap();
    let unreadable = dir.path().join("ca.pem");
    std::fs::create_dir(&unreadable).unwrap(); // a directory cannot be read as a file
    let err = g
        .integrations()
        .add(valid("a").with_self_hosted(|s| {
            s.ca_cert = Some(CertSource::File {
                path: unreadable.display().to_string(),
            });
        }))
        .await
        .unwrap_err();
    assert!(
        err.message.contains("cannot read the CA certificate file"),
        "{}",
        err.message
    );

    assert!(
        g.integrations().list().await.unwrap().is_empty(),
        "a rejected integration was saved"
    );
}

#[tokio::test]
async fn duplicate_and_unknown_names() {
    let env = grantry().await;
    let g = &env.g;
    let a = g.integrations().add(valid("Prod")).await.unwrap();
    assert_eq!(a.password_storage, PasswordStorage::Keychain);
    assert!(a.has_password);
    let err = g.integrations().add(valid("prod")).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::DuplicateName);
    assert!(err.message.contains("already exists"));
    g.integrations().add(valid("other")).await.unwrap();
    let err = g
        .integrations()
        .update("other", valid("PROD"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::DuplicateName);
    assert_eq!(g.integrations().get("other").await.unwrap().name, "other");

    for call in [
        g.integrations().get("missing").await.map(|_| ()),
        g.integrations().remove("missing").await.map(|_| ()),
        g.integrations().test("missing").await.map(|_| ()),
        g.integrations()
            .update("missing", valid("x"))
            .await
            .map(|_| ()),
    ] {
        let err = call.unwrap_err();
        assert_eq!(err.code, ErrorCode::NotFound);
        assert!(err.message.contains("missing"));
    }
    assert_eq!(g.integrations().list().await.unwrap().len(), 2);
}

#[tokio::test]
async fn secrets_go_to_the_keychain_and_leave_with_the_integration() {
    let home = tempfile::tempdir().unwrap();
    let keychain = Arc::new(MemoryKeychain::default());
    let g = open_with(home.path(), keychain.clone()).await;
    let it = g.integrations().add(valid("kc")).await.unwrap();
    assert_eq!(
        stored_password(&*keychain, &it.id).unwrap().expose(),
        "pw-123"
    );
    // Edit without a password keeps it; with one replaces it; clear removes it.
    let update = |input: IntegrationInput| g.integrations().update("kc", input);
    let with_password = |password: Option<Secret>| {
        valid("kc").with_self_hosted(|s| {
            s.password = password;
        })
    };
    let it = update(IntegrationInput {
        environment: Some(Environment::Production),
        ..with_password(None)
    })
    .await
    .unwrap();
    assert_eq!(it.environment, Environment::Production);
    assert_eq!(
        stored_password(&*keychain, &it.id).unwrap().expose(),
        "pw-123"
    );
    update(with_password(secret("new-pw"))).await.unwrap();
    assert_eq!(
        stored_password(&*keychain, &it.id).unwrap().expose(),
        "new-pw"
    );
    let cleared = update(valid("kc").with_self_hosted(|s| {
        s.password = None;
        s.clear_password = true;
    }))
    .await
    .unwrap();
    assert_eq!(cleared.password_storage, PasswordStorage::None);
    assert!(stored_password(&*keychain, &it.id).is_none());
    update(with_password(secret("again"))).await.unwrap();
    g.integrations().remove("kc").await.unwrap();
    assert!(stored_password(&*keychain, &it.id).is_none());
}

#[tokio::test]
async fn unavailable_keychain_saves_nothing_unless_told_to_keep_the_password_for_the_session() {
    let home = tempfile::tempdir().unwrap();
    let g = open_with(home.path(), Arc::new(MemoryKeychain::unavailable())).await;
    let err = g.integrations().add(valid("nokc")).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::KeychainUnavailable);
    assert!(err.message.contains("nothing was saved"), "{}", err.message);
    assert!(g.integrations().list().await.unwrap().is_empty());

    let it = g
        .integrations()
        .add(valid("nokc").with_self_hosted(|s| {
            s.session_only_password = true;
        }))
        .await
        .unwrap();
    assert_eq!(it.password_storage, PasswordStorage::Session);
    assert!(it.has_password);
    // A new session (process) does not have it, and says so.
    drop(g);
    let g = open_with(home.path(), Arc::new(MemoryKeychain::unavailable())).await;
    let it = g.integrations().get("nokc").await.unwrap();
    assert!(!it.has_password);
    let report = g.integrations().test("nokc").await.unwrap();
    assert_eq!(
        report.failure,
        Some(grantry_core::connect::FailureKind::SecretMissing)
    );
    g.integrations()
        .set_session_password("nokc", Secret::new("typed-again"))
        .await
        .unwrap();
    assert!(g.integrations().get("nokc").await.unwrap().has_password);
    // No secret reached the store file.
    let bytes = std::fs::read(home.path().join("grantry.sqlite3")).unwrap();
    assert!(!String::from_utf8_lossy(&bytes).contains("pw-123"));
}

#[tokio::test]
async fn corrupted_store_is_reported_and_left_untouched() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("grantry.sqlite3");
    let garbage = b"this is not an SQLite database, but it is someone's file".repeat(200);
    std::fs::write(&path, &garbage).unwrap();
    let err = match common::try_open(home.path(), Some(Arc::new(MemoryKeychain::default()))).await {
        Ok(_) => panic!("opened a corrupted store"),
        Err(e) => e,
    };
    assert_eq!(err.code, ErrorCode::LocalStore);
    assert!(err.message.contains("corrupted"), "{}", err.message);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        garbage,
        "the corrupted file was modified"
    );
}

#[tokio::test]
async fn settings_survive_a_restart() {
    let home = tempfile::tempdir().unwrap();
    let keychain = Arc::new(MemoryKeychain::default());
    let input = IntegrationInput {
        environment: Some(Environment::Staging),
        read_only: true,
        ..valid("kept").with_self_hosted(|s| {
            s.sslmode = Some(SslMode::VerifyFull);
            s.ca_cert = Some(CertSource::Pem {
                pem: std::fs::read_to_string(&grantry_testrig::pki().ca_cert).unwrap(),
            });
            s.application_name = Some("audit-app".into());
            s.connect_timeout_secs = Some(3);
        })
    };
    let saved = open_with(home.path(), keychain.clone())
        .await
        .integrations()
        .add(input)
        .await
        .unwrap();
    let again = open_with(home.path(), keychain)
        .await
        .integrations()
        .get("kept")
        .await
        .unwrap();
    assert_eq!(saved, again);
    let e = again.connection.endpoint();
    assert_eq!(
        (e.port, e.sslmode, e.connect_timeout_secs),
        (6432, SslMode::VerifyFull, 3)
    );
    assert_eq!(e.application_name, "audit-app");
    assert!(again.read_only);
}

/// A run left "started" by a process that died is marked "unknown" when Grantry next opens the
/// store, once it is old enough not to belong to a live process.
#[tokio::test]
async fn abandoned_runs_become_unknown_at_the_next_start() {
    use grantry_core::audit::AuditEntry;
    let home = tempfile::tempdir().unwrap();
    let open = || common::open(home.path(), Some(Arc::new(MemoryKeychain::default())));
    let g = open().await;
    let entry = |at: &str, pid: Option<i64>| AuditEntry {
        id: 0,
        at: at.into(),
        os_user: "dba".into(),
        database_user: "u".into(),
        integration_id: "i".into(),
        integration_name: "prod".into(),
        database_name: "app".into(),
        action: "apply".into(),
        sql: "GRANT SELECT ON TABLE \"a\" TO \"b\"".into(),
        outcome: "started".into(),
        error: None,
        duration_ms: 0,
        statements: 1,
        expected: None,
        pid,
        xid: None,
    };
    // A process that has ended.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id() as i64;
    child.wait().unwrap();
    let old = (chrono::Utc::now() - chrono::Duration::hours(3))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let store = g.app().store();
    store.insert_audit(&entry(&old, None)).await.unwrap();
    store.insert_audit(&entry(&now, None)).await.unwrap();
    store.insert_audit(&entry(&now, Some(dead))).await.unwrap();
    let alive = std::process::id() as i64;
    store.insert_audit(&entry(&now, Some(alive))).await.unwrap();
    // A dry run cut off rolled back, certainly.
    store
        .insert_audit(&AuditEntry {
            action: "dry_run".into(),
            ..entry(&now, Some(dead))
        })
        .await
        .unwrap();
    g.close().await;
    let g = open().await;
    let log = g.audit().log(10).await.unwrap();
    let outcomes: Vec<&str> = log.iter().map(|e| e.outcome.as_str()).collect();
    // Newest first: a run whose process still runs stays started, one whose process is gone is
    // closed at once; without a process id, a recent run may still be running elsewhere and an
    // old one is closed.
    assert_eq!(
        outcomes,
        ["rolled_back", "started", "unknown", "started", "unknown"]
    );
    assert!(log[0]
        .error
        .as_deref()
        .unwrap()
        .contains("always rolls back"));
    assert!(log[2].error.as_deref().unwrap().contains("cut off"));
    assert!(log[4].error.as_deref().unwrap().contains("cut off"));
}

#[tokio::test]
async fn two_opens_of_a_new_store_at_once_both_succeed() {
    // The app and the CLI started together on a fresh data dir: one migrates, the other waits.
    for _ in 0..10 {
        let home = tempfile::tempdir().unwrap();
        let keychain = || -> Option<std::sync::Arc<dyn grantry_core::secrets::SecretStore>> {
            Some(std::sync::Arc::new(
                grantry_core::secrets::MemoryKeychain::default(),
            ))
        };
        let (a, b) = tokio::join!(
            common::try_open(home.path(), keychain()),
            common::try_open(home.path(), keychain())
        );
        for g in [a, b] {
            let g = g.unwrap_or_else(|e| panic!("{}: {:?}", e.message, e.detail));
            assert!(g.integrations().list().await.unwrap().is_empty());
            g.close().await;
        }
    }
}

#[tokio::test]
async fn a_user_name_the_server_would_cut_is_refused_at_its_field() {
    let env = common::grantry().await;
    let input = grantry_core::integrations::model::IntegrationInput {
        name: "long-user".into(),
        connection: grantry_core::integrations::model::ConnectionInput::SelfHosted(
            grantry_core::integrations::model::SelfHostedInput {
                host: "localhost".into(),
                username: "u".repeat(64),
                ..Default::default()
            },
        ),
        ..Default::default()
    };
    let problems = env.g.integrations().problems(&input, None).await.unwrap();
    assert!(
        problems
            .iter()
            .any(|e| e.field.as_deref() == Some("username") && e.message.contains("at most 63")),
        "{problems:?}"
    );
    assert!(env.g.integrations().add(input).await.is_err());
    assert!(env.g.integrations().list().await.unwrap().is_empty());
    // 63 bytes is a name.
    let ok = grantry_core::integrations::model::IntegrationInput {
        name: "63".into(),
        connection: grantry_core::integrations::model::ConnectionInput::SelfHosted(
            grantry_core::integrations::model::SelfHostedInput {
                host: "localhost".into(),
                username: "u".repeat(63),
                ..Default::default()
            },
        ),
        ..Default::default()
    };
    assert!(env
        .g
        .integrations()
        .problems(&ok, None)
        .await
        .unwrap()
        .is_empty());
}
