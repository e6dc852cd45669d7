//! Azure Database for PostgreSQL integrations against real parts: the real azure_identity
//! credentials fetch Entra ID tokens over HTTPS from the rig's token authority, and the rig's
//! Flexible Server front checks them (signature, issuer, audience, expiry, principal) in front
//! of a real cluster.
//!
//! azure_core's HTTP client takes its trusted roots from `SSL_CERT_FILE` (as it would behind a
//! TLS-inspecting proxy), and the managed identity credential finds its endpoint in
//! `IDENTITY_ENDPOINT` / `IDENTITY_HEADER`: process-wide settings, made before any thread runs.
//! So this file has its own `main` and runs its tests one after another.

mod common;

use chrono::{Duration, Utc};
use common::grantry;
use grantry_core::connect::{ConnectionReport, FailureKind};
use grantry_core::integrations::model::{
    AzureAuth, AzureAuthInput, AzureInput, CertSource, Connection, ConnectionInput, EntraSource,
    EntraSourceInput, IntegrationInput, SslMode,
};
use grantry_core::{ErrorCode, Secret};
use grantry_testrig::entra::{App, EntraAuthority, ManagedIdentity};
use grantry_testrig::entra_front::{
    create_principal, EntraFront, EntraFrontConfig, Outcome, PrincipalType,
};
use grantry_testrig::{pki, Cluster, Options};
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

const TENANT: &str = "5a1c9e2f-7b3d-4e8a-9c0f-1d2e3f4a5b6c";
const SECRET: &str = "rig~Azure.Secret_0123456789abcdefghij";

struct Rig {
    cluster: Cluster,
    authority: EntraAuthority,
    front: EntraFront,
}

impl Rig {
    /// An app with a valid secret, and a login role that is its Entra principal.
    fn principal_app(&self, name: &str, role: &str) -> App {
        let app = App::new(name).with_secret(SECRET, Utc::now() + Duration::days(30));
        self.authority.add_app(TENANT, app.clone());
        create_principal(&self.cluster, role, &app.object_id, PrincipalType::Service);
        app
    }

    fn input(&self, name: &str, user: &str, auth: AzureAuthInput) -> IntegrationInput {
        IntegrationInput {
            name: name.into(),
            connection: ConnectionInput::Azure(AzureInput {
                host: self.front.endpoint_host.clone(),
                port: Some(self.front.port as i64),
                username: user.into(),
                auth,
                connect_timeout_secs: Some(5),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn secret_auth(&self, tenant: &str, client_id: &str, secret: Option<&str>) -> AzureAuthInput {
        self.entra(EntraSourceInput::ClientSecret {
            tenant_id: tenant.into(),
            client_id: client_id.into(),
            client_secret: secret.map(Secret::new),
        })
    }

    fn entra(&self, source: EntraSourceInput) -> AzureAuthInput {
        AzureAuthInput::Entra {
            source,
            authority_host: Some(self.authority.authority_host()),
        }
    }

    /// Tests, without saving, a login as `user` with a token from the client secret `secret`
    /// of the app `client_id` in `tenant`.
    async fn test_secret(
        &self,
        env: &common::Env,
        user: &str,
        tenant: &str,
        client_id: &str,
        secret: &str,
    ) -> ConnectionReport {
        env.g
            .integrations()
            .test_input(
                self.input("x", user, self.secret_auth(tenant, client_id, Some(secret))),
                None,
            )
            .await
            .unwrap()
    }

    /// How many token requests named `client_id` so far.
    fn requests(&self, client_id: &str) -> usize {
        self.authority.token_requests(client_id)
    }
}

type Test = for<'a> fn(&'a Rig) -> Pin<Box<dyn Future<Output = ()> + 'a>>;

fn main() {
    // Before any thread exists (see the module docs).
    std::env::set_var("SSL_CERT_FILE", &pki().ca_cert);
    let authority = EntraAuthority::start();
    authority.add_tenant(TENANT, "Rig Fabrikam");
    for (k, v) in authority.managed_identity_env() {
        std::env::set_var(k, v);
    }
    let cluster = Cluster::start(Options::default());
    let front = EntraFront::start(&cluster, EntraFrontConfig::new(TENANT, authority.jwks()));
    let rig = Rig {
        cluster,
        authority,
        front,
    };
    let tests: &[(&str, Test)] = &[
        (
            "client_secret_logs_in_with_a_live_token_for_each_connection",
            |r| {
                Box::pin(client_secret_logs_in_with_a_live_token_for_each_connection(
                    r,
                ))
            },
        ),
        ("entra_refusals_name_the_fix_and_quote_entra", |r| {
            Box::pin(entra_refusals_name_the_fix_and_quote_entra(r))
        }),
        (
            "an_unreachable_authority_is_its_own_failure_within_seconds",
            |r| {
                Box::pin(an_unreachable_authority_is_its_own_failure_within_seconds(
                    r,
                ))
            },
        ),
        ("a_token_without_a_principal_says_how_to_create_one", |r| {
            Box::pin(a_token_without_a_principal_says_how_to_create_one(r))
        }),
        ("managed_identities_log_in_as_their_principals", |r| {
            Box::pin(managed_identities_log_in_as_their_principals(r))
        }),
        (
            "password_logins_use_tls_verified_against_the_system_roots",
            |r| Box::pin(password_logins_use_tls_verified_against_the_system_roots(r)),
        ),
        (
            "the_client_secret_stays_in_the_keychain_and_leaves_with_the_integration",
            |r| {
                Box::pin(the_client_secret_stays_in_the_keychain_and_leaves_with_the_integration(r))
            },
        ),
    ];
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut failed = Vec::new();
    let mut ran = 0;
    for (name, test) in tests {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        ran += 1;
        let started = Instant::now();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(test(&rig))
        }));
        let ok = outcome.is_ok();
        println!(
            "test {name} ... {} ({:.1} s)",
            if ok { "ok" } else { "FAILED" },
            started.elapsed().as_secs_f64()
        );
        if !ok {
            failed.push(*name);
        }
    }
    println!(
        "\ntest result: {}. {} passed; {} failed",
        if failed.is_empty() { "ok" } else { "FAILED" },
        ran - failed.len(),
        failed.len()
    );
    if !failed.is_empty() {
        println!("failures: {failed:?}");
        std::process::exit(101);
    }
}

async fn client_secret_logs_in_with_a_live_token_for_each_connection(rig: &Rig) {
    let app = rig.principal_app("grantry-connector", "entra_connector");
    let env = grantry().await;
    let it = env
        .g
        .integrations()
        .add(rig.input(
            "flex",
            "entra_connector",
            rig.secret_auth(TENANT, &app.client_id, Some(SECRET)),
        ))
        .await
        .unwrap();
    assert_eq!(it.connection.kind(), "azure");
    let Connection::Azure(saved) = &it.connection else {
        panic!()
    };
    assert_eq!(saved.endpoint.sslmode, SslMode::VerifyFull);
    assert!(saved
        .endpoint
        .ca_cert
        .as_ref()
        .is_some_and(CertSource::is_system));
    assert!(matches!(
        &saved.auth,
        AzureAuth::Entra { source: EntraSource::ClientSecret { client_id, .. }, .. } if client_id == &app.client_id
    ));
    // Nothing secret in what the UI and CLI see.
    let json = serde_json::to_string(&it).unwrap();
    assert!(!json.contains(SECRET), "{json}");

    let report = env.g.integrations().test("flex").await.unwrap();
    assert!(report.ok, "{report:#?}");
    assert_eq!(report.steps[0].name, "Entra ID token");
    assert!(
        report.steps[0].note.contains(&app.client_id),
        "{:?}",
        report.steps[0]
    );
    // The link to the front is TLS (verify-full); the cluster behind it sees a local session,
    // as behind any proxy: the report says both.
    let server = report.server.as_ref().unwrap();
    assert!(server.ssl_in_use, "{server:?}");
    assert!(
        server
            .notes
            .iter()
            .any(|n| n.contains("a proxy or connection pooler in between ends the TLS")),
        "{:?}",
        server.notes
    );
    assert!(matches!(
        rig.front.last_outcome("entra_connector"),
        Some(Outcome::Accepted { oid, .. }) if oid == app.object_id
    ));

    // Azure's checks: a principal (the token was accepted), and azure_pg_admin (the front has
    // it, as Flexible Server does), which the connector lacks until granted.
    assert!(common::prerequisite(&report, "entra_principal").ok);
    let report = env.g.integrations().test("flex").await.unwrap();
    let admin = common::prerequisite(&report, "azure_pg_admin");
    assert!(!admin.ok, "{admin:?}");
    let fix = admin.fix_sql.unwrap();
    assert_eq!(fix, "GRANT azure_pg_admin TO \"entra_connector\";");
    rig.cluster.psql("postgres", &fix);
    let report = env.g.integrations().test("flex").await.unwrap();
    assert!(common::prerequisite(&report, "azure_pg_admin").ok);

    // Tokens of four minutes are within the five-minute margin at once: every use of the pool
    // asks its source again before the pool may open a connection, and azure_identity (which
    // keeps a token until five minutes before its end) asks the authority for a new one. A
    // second connection opened while the first is busy logs in with the new token.
    rig.authority.set_token_lifetime(Duration::minutes(4));
    let before = rig.requests(&app.client_id);
    let first = env.g.app().pool("flex", None).await.unwrap();
    let mut a = first.acquire().await.unwrap();
    let second = env.g.app().pool("flex", None).await.unwrap();
    let mut b = second.acquire().await.unwrap();
    for c in [&mut a, &mut b] {
        let who: String = sqlx::query_scalar("SELECT current_user::text")
            .fetch_one(&mut **c)
            .await
            .unwrap();
        assert_eq!(who, "entra_connector");
    }
    drop((a, b));
    let asked = rig.requests(&app.client_id) - before;
    rig.authority.set_token_lifetime(Duration::minutes(60));
    assert!(asked >= 2, "{asked} token requests for 2 uses of the pool");
    let accepted = rig
        .front
        .attempts()
        .iter()
        .filter(|a| a.user == "entra_connector" && matches!(a.outcome, Outcome::Accepted { .. }))
        .count();
    assert!(accepted >= 3, "{:?}", rig.front.attempts());
    // The access tokens minted for those logins are kept nowhere.
    let answers = vec![
        serde_json::to_string(&report).unwrap(),
        serde_json::to_string(&env.g.integrations().list().await.unwrap()).unwrap(),
    ];
    let tokens: Vec<String> = rig
        .front
        .passwords()
        .into_iter()
        .filter(|t| t.starts_with("eyJ") && t.matches('.').count() == 2)
        .collect();
    assert!(tokens.len() >= 3, "{} access tokens", tokens.len());
    for t in &tokens {
        common::assert_token_kept_nowhere(&env, t, &answers).await;
    }
    env.g.close().await;
}

async fn entra_refusals_name_the_fix_and_quote_entra(rig: &Rig) {
    let app = rig.principal_app("refusals", "entra_refusals");
    let expired = App::new("refusals-expired").with_secret(SECRET, Utc::now() - Duration::days(1));
    rig.authority.add_app(TENANT, expired.clone());
    let env = grantry().await;
    let unknown_tenant = "0b0b0b0b-1111-4222-8333-444455556666";
    let unknown_client = "0c0c0c0c-1111-4222-8333-444455556666";
    let cases = [
        (
            unknown_tenant,
            app.client_id.as_str(),
            SECRET,
            "AADSTS90002",
            "tenant is not known",
        ),
        (
            TENANT,
            unknown_client,
            SECRET,
            "AADSTS700016",
            "not registered in that tenant",
        ),
        (
            TENANT,
            app.client_id.as_str(),
            "wrong-secret",
            "AADSTS7000215",
            "client secret is wrong",
        ),
        (
            TENANT,
            expired.client_id.as_str(),
            SECRET,
            "AADSTS7000222",
            "client secret has expired",
        ),
    ];
    for (tenant, client, secret, code, fix) in cases {
        let report = rig
            .test_secret(&env, "entra_refusals", tenant, client, secret)
            .await;
        println!("# {code}: {}", report.message);
        assert!(!report.ok, "{code}: {report:#?}");
        assert_eq!(
            report.failure,
            Some(FailureKind::EntraRefused),
            "{code}: {report:#?}"
        );
        assert!(report.message.contains(fix), "{code}: {}", report.message);
        // Entra's own code and text, without its trace lines; never the secret.
        assert!(report.message.contains(code), "{code}: {}", report.message);
        assert!(!report.message.contains("Trace ID"), "{}", report.message);
        assert!(!format!("{report:?}").contains(secret), "{report:?}");
        assert_eq!(report.steps.len(), 1, "{:?}", report.steps);
        assert_eq!(report.steps[0].name, "Entra ID token");
    }
    // Nothing reached the server.
    assert!(rig.front.last_outcome("entra_refusals").is_none());
}

async fn an_unreachable_authority_is_its_own_failure_within_seconds(rig: &Rig) {
    let app = rig.principal_app("unreachable", "entra_unreachable");
    let env = grantry().await;
    // A closed port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut input = rig.input(
        "x",
        "entra_unreachable",
        rig.secret_auth(TENANT, &app.client_id, Some(SECRET)),
    );
    if let ConnectionInput::Azure(a) = &mut input.connection {
        if let AzureAuthInput::Entra { authority_host, .. } = &mut a.auth {
            *authority_host = Some(format!("https://localhost:{port}"));
        }
    }
    let started = Instant::now();
    let report = env.g.integrations().test_input(input, None).await.unwrap();
    let took = started.elapsed();
    assert_eq!(
        report.failure,
        Some(FailureKind::EntraUnreachable),
        "{report:#?}"
    );
    assert!(
        report.message.contains(&format!(
            "authority https://localhost:{port} could not be reached"
        )),
        "{}",
        report.message
    );
    println!("# unreachable in {took:?}: {}", report.message);
    assert!(took < std::time::Duration::from_secs(15), "took {took:?}");

    // An authority that holds its port and drops every connection.
    rig.authority.set_reachable(false);
    let report = rig
        .test_secret(&env, "entra_unreachable", TENANT, &app.client_id, SECRET)
        .await;
    rig.authority.set_reachable(true);
    assert_eq!(
        report.failure,
        Some(FailureKind::EntraUnreachable),
        "{report:#?}"
    );
}

async fn a_token_without_a_principal_says_how_to_create_one(rig: &Rig) {
    // An app with a secret, but its role on the server is an ordinary login, not a principal.
    let app = App::new("no-principal").with_secret(SECRET, Utc::now() + Duration::days(30));
    rig.authority.add_app(TENANT, app.clone());
    rig.cluster.psql(
        "postgres",
        "CREATE ROLE \"no-principal\" LOGIN PASSWORD 'pw-not-entra'",
    );
    let env = grantry().await;
    let report = rig
        .test_secret(&env, "no-principal", TENANT, &app.client_id, SECRET)
        .await;
    assert_eq!(
        report.failure,
        Some(FailureKind::TokenRejected),
        "{report:#?}"
    );
    assert!(
        report
            .message
            .contains("pgaadauth_create_principal('no-principal', false, false)")
            && report
                .message
                .contains("pgaadauth_create_principal_with_oid('no-principal'"),
        "{}",
        report.message
    );
    assert_eq!(
        rig.front.last_outcome("no-principal"),
        Some(Outcome::PasswordAuth)
    );
    // The token step itself passed: the failure is the server's.
    assert!(report.steps[0].ok, "{:?}", report.steps);

    // A principal of the user type, logged in with an app's token: the type is named, with the
    // server's own words.
    create_principal(
        &rig.cluster,
        "entra_usertype",
        &app.object_id,
        PrincipalType::User,
    );
    let report = rig
        .test_secret(&env, "entra_usertype", TENANT, &app.client_id, SECRET)
        .await;
    assert_eq!(
        report.failure,
        Some(FailureKind::TokenRejected),
        "{report:#?}"
    );
    assert!(
        report.message.contains("of another type") && report.message.contains("the server said:"),
        "{}",
        report.message
    );

    // A token that comes already expired is not taken for a good one.
    rig.authority.set_token_lifetime(Duration::seconds(-100));
    let report = rig
        .test_secret(&env, "entra_usertype", TENANT, &app.client_id, SECRET)
        .await;
    rig.authority.set_token_lifetime(Duration::minutes(60));
    assert_eq!(
        report.failure,
        Some(FailureKind::EntraRefused),
        "{report:#?}"
    );
    assert!(
        report.message.contains("had already expired"),
        "{}",
        report.message
    );
}

async fn managed_identities_log_in_as_their_principals(rig: &Rig) {
    let system = ManagedIdentity::system_assigned("grantry-host");
    let user = ManagedIdentity::user_assigned("grantry-uami");
    rig.authority.add_managed_identity(TENANT, system.clone());
    rig.authority.add_managed_identity(TENANT, user.clone());
    create_principal(
        &rig.cluster,
        "entra_mi_system",
        &system.object_id,
        PrincipalType::Service,
    );
    create_principal(
        &rig.cluster,
        "entra_mi_user",
        &user.object_id,
        PrincipalType::Service,
    );
    let env = grantry().await;
    for (role, client_id, identity) in [
        ("entra_mi_system", None, &system),
        ("entra_mi_user", Some(user.client_id.clone()), &user),
    ] {
        let input = rig.input(
            role,
            role,
            rig.entra(EntraSourceInput::ManagedIdentity { client_id }),
        );
        env.g.integrations().add(input).await.unwrap();
        let report = env.g.integrations().test(role).await.unwrap();
        assert!(report.ok, "{role}: {report:#?}");
        assert!(matches!(
            rig.front.last_outcome(role),
            Some(Outcome::Accepted { oid, .. }) if oid == identity.object_id
        ));
    }
    // A user-assigned identity this host does not have: the endpoint's refusal is reported.
    let input = rig.input(
        "absent",
        "entra_mi_user",
        rig.entra(EntraSourceInput::ManagedIdentity {
            client_id: Some("0d0d0d0d-1111-4222-8333-444455556666".into()),
        }),
    );
    let report = env.g.integrations().test_input(input, None).await.unwrap();
    assert_eq!(
        report.failure,
        Some(FailureKind::EntraRefused),
        "{report:#?}"
    );
    assert!(
        report
            .message
            .contains("user-assigned managed identity 0d0d0d0d"),
        "{}",
        report.message
    );
}

async fn password_logins_use_tls_verified_against_the_system_roots(rig: &Rig) {
    rig.cluster.psql(
        "postgres",
        "CREATE ROLE azure_pw LOGIN PASSWORD 'pw-azure-1'",
    );
    let env = grantry().await;
    let mut input = rig.input("pw", "azure_pw", AzureAuthInput::Password);
    if let ConnectionInput::Azure(a) = &mut input.connection {
        a.password = Some(Secret::new("pw-azure-1"));
    }
    env.g.integrations().add(input.clone()).await.unwrap();
    // verify-full against the system's roots, which SSL_CERT_FILE makes the rig's CA here.
    let report = env.g.integrations().test("pw").await.unwrap();
    assert!(report.ok, "{report:#?}");
    assert_eq!(
        rig.front.last_outcome("azure_pw"),
        Some(Outcome::PasswordAuth)
    );
    // A mode without TLS is refused before anything connects.
    if let ConnectionInput::Azure(a) = &mut input.connection {
        a.sslmode = Some(SslMode::Prefer);
    }
    let err = env.g.integrations().update("pw", input).await.unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::InvalidInput, Some("sslmode"))
    );
}

async fn the_client_secret_stays_in_the_keychain_and_leaves_with_the_integration(rig: &Rig) {
    let app = rig.principal_app("keychain", "entra_keychain");
    let env = grantry().await;
    env.g
        .integrations()
        .add(rig.input(
            "kc",
            "entra_keychain",
            rig.secret_auth(TENANT, &app.client_id, Some(SECRET)),
        ))
        .await
        .unwrap();
    let saved = env.g.app().integration("kc").await.unwrap();
    let stored = env.g.app().entra_client_secret(&saved).await.unwrap();
    assert_eq!(stored.as_ref().map(Secret::expose), Some(SECRET));
    // An edit for the same app without a secret keeps it and still logs in.
    env.g
        .integrations()
        .update(
            "kc",
            rig.input(
                "kc",
                "entra_keychain",
                rig.secret_auth(TENANT, &app.client_id, None),
            ),
        )
        .await
        .unwrap();
    assert!(env.g.integrations().test("kc").await.unwrap().ok);
    // The saved secret goes nowhere else: a test or save of the same app at another authority,
    // without the secret typed again, is refused before anything is sent.
    let mut moved = rig.input(
        "kc",
        "entra_keychain",
        rig.secret_auth(TENANT, &app.client_id, None),
    );
    if let ConnectionInput::Azure(a) = &mut moved.connection {
        if let AzureAuthInput::Entra { authority_host, .. } = &mut a.auth {
            *authority_host = Some("https://localhost:9".into());
        }
    }
    let err = env
        .g
        .integrations()
        .test_input(moved.clone(), Some("kc"))
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("entra_client_secret"), "{err:?}");
    assert!(
        err.message
            .contains("only sent to the app, tenant and authority"),
        "{err:?}"
    );
    let err = env.g.integrations().update("kc", moved).await.unwrap_err();
    assert_eq!(err.field.as_deref(), Some("entra_client_secret"), "{err:?}");
    // Another app needs its own secret.
    let err = env
        .g
        .integrations()
        .update(
            "kc",
            rig.input(
                "kc",
                "entra_keychain",
                rig.secret_auth(TENANT, "0e0e0e0e-1111-4222-8333-444455556666", None),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("entra_client_secret"), "{err:?}");
    // Moving to a managed identity forgets the secret; removing leaves nothing behind.
    env.g
        .integrations()
        .update(
            "kc",
            rig.input(
                "kc",
                "entra_keychain",
                rig.entra(EntraSourceInput::ManagedIdentity { client_id: None }),
            ),
        )
        .await
        .unwrap();
    // (`saved` is the client-secret connection: its keychain entry is what is read.)
    assert!(env
        .g
        .app()
        .entra_client_secret(&saved)
        .await
        .unwrap()
        .is_none());
    env.g
        .integrations()
        .update(
            "kc",
            rig.input(
                "kc",
                "entra_keychain",
                rig.secret_auth(TENANT, &app.client_id, Some(SECRET)),
            ),
        )
        .await
        .unwrap();
    assert!(env
        .g
        .app()
        .entra_client_secret(&saved)
        .await
        .unwrap()
        .is_some());
    env.g.integrations().remove("kc").await.unwrap();
    assert!(env
        .g
        .app()
        .entra_client_secret(&saved)
        .await
        .unwrap()
        .is_none());
}
