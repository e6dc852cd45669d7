//! The Entra ID stand-in and the Azure Flexible Server front against real parts: the real
//! azure_identity 1.x credentials fetch tokens from the authority over HTTPS (trusting the rig's
//! CA), psql and sqlx log in through the front to a real rig cluster.

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::TokenCredential;
use azure_core::http::{ClientOptions, RetryOptions, Transport};
use azure_core::time::OffsetDateTime;
use azure_identity::{
    ClientSecretCredential, ClientSecretCredentialOptions, ManagedIdentityCredential,
    ManagedIdentityCredentialOptions, UserAssignedId,
};
use chrono::{Duration, Utc};
use grantry_testrig::entra::{
    self, App, EntraAuthority, ManagedIdentity, OSSRDBMS_RESOURCE, OSSRDBMS_SCOPE,
};
use grantry_testrig::entra_front::{
    create_principal, EntraFront, EntraFrontConfig, Outcome, PrincipalType, Refusal,
};
use grantry_testrig::{pki, Cluster, Options};
use std::sync::{Arc, OnceLock};

const TENANT: &str = "3f0c2b7e-5d1a-4c8e-9b6f-0a1d2e3f4a5b";
const TENANT_NAME: &str = "Rig Contoso";
const SECRET: &str = "rig~Secret.Value_0123456789abcdefghij";

/// One cluster, authority and front (default configuration) for the whole file; tests that move
/// the front's clock or change its configuration start their own front on the same cluster.
/// Each test registers its own apps and roles, so tests run in parallel.
struct Rig {
    cluster: Cluster,
    authority: EntraAuthority,
    front: EntraFront,
}

fn rig() -> &'static Rig {
    static RIG: OnceLock<Rig> = OnceLock::new();
    RIG.get_or_init(|| {
        let cluster = Cluster::start(Options::default());
        let authority = EntraAuthority::start();
        authority.add_tenant(TENANT, TENANT_NAME);
        let front = EntraFront::start(&cluster, EntraFrontConfig::new(TENANT, authority.jwks()));
        Rig {
            cluster,
            authority,
            front,
        }
    })
}

/// Registers an app with a valid secret in the rig's tenant.
fn app(name: &str) -> App {
    let app = App::new(name).with_secret(SECRET, Utc::now() + Duration::days(365));
    rig().authority.add_app(TENANT, app.clone());
    app
}

/// azure_identity's client options for the stand-in: the authority host in `cloud`, and a
/// reqwest client that trusts the rig's CA as the transport.
fn client_options(authority: &EntraAuthority) -> ClientOptions {
    let mut cloud = CustomConfiguration::default();
    cloud.authority_host = authority.authority_host();
    let ca = reqwest::Certificate::from_pem(&std::fs::read(&pki().ca_cert).unwrap()).unwrap();
    let http = reqwest::Client::builder()
        .tls_certs_merge([ca])
        .build()
        .unwrap();
    ClientOptions {
        cloud: Some(Arc::new(CloudConfiguration::Custom(cloud))),
        transport: Some(Transport::new(Arc::new(http))),
        ..Default::default()
    }
}

fn secret_credential(
    authority: &EntraAuthority,
    tenant: &str,
    client_id: &str,
    secret: &str,
) -> Arc<ClientSecretCredential> {
    ClientSecretCredential::new(
        tenant,
        client_id.to_string(),
        secret.to_string().into(),
        Some(ClientSecretCredentialOptions {
            client_options: client_options(authority),
        }),
    )
    .unwrap()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A token for `app` from the rig's authority through ClientSecretCredential.
fn token_of(app: &App) -> String {
    let credential = secret_credential(&rig().authority, TENANT, &app.client_id, SECRET);
    let token = block_on(credential.get_token(&[OSSRDBMS_SCOPE], None)).unwrap();
    token.token.secret().to_string()
}

fn claims(token: &str) -> serde_json::Value {
    use base64::Engine;
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap(),
    )
    .unwrap()
}

fn select_user(front: &EntraFront, role: &str, token: &str) -> Result<String, String> {
    front.psql(role, token, "verify-full", "SELECT current_user")
}

#[test]
fn client_secret_token_logs_in_with_psql_and_sqlx() {
    let Rig {
        cluster,
        authority,
        front,
    } = rig();
    let app = app("grantry-connector");
    assert_eq!(
        create_principal(cluster, "entra_app", &app.object_id, PrincipalType::Service),
        "Created role for \"entra_app\""
    );
    let credential = secret_credential(authority, TENANT, &app.client_id, SECRET);
    let token = block_on(credential.get_token(&[OSSRDBMS_SCOPE], None)).unwrap();
    let left = (token.expires_on - OffsetDateTime::now_utc()).whole_seconds();
    assert!((3500..=3600).contains(&left), "expires in {left} s");
    let jwt = token.token.secret().to_string();
    let c = claims(&jwt);
    assert_eq!(c["aud"], OSSRDBMS_RESOURCE);
    assert_eq!(c["iss"], format!("https://sts.windows.net/{TENANT}/"));
    assert_eq!(c["tid"], TENANT);
    assert_eq!(c["oid"], app.object_id.as_str());
    assert_eq!(c["sub"], app.object_id.as_str());
    assert_eq!(c["appid"], app.client_id.as_str());
    assert_eq!(c["idtyp"], "app");
    assert_eq!(
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
        3600 + 300
    );
    // azure_identity caches the token: a second get_token asks the authority nothing.
    let again = block_on(credential.get_token(&[OSSRDBMS_SCOPE], None)).unwrap();
    assert_eq!(again.token.secret(), jwt);
    assert_eq!(authority.token_requests(&app.client_id), 1);

    assert_eq!(select_user(front, "entra_app", &jwt).unwrap(), "entra_app");
    assert_eq!(
        front.last_outcome("entra_app"),
        Some(Outcome::Accepted {
            oid: app.object_id.clone(),
            appid: Some(app.client_id.clone())
        })
    );
    let user: String = block_on(async {
        let options = sqlx::postgres::PgConnectOptions::new()
            .host(&front.endpoint_host)
            .port(front.port)
            .username("entra_app")
            .password(&jwt)
            .database("postgres")
            .ssl_mode(sqlx::postgres::PgSslMode::VerifyFull)
            .ssl_root_cert(&front.ca_cert);
        let mut conn = sqlx::ConnectOptions::connect(&options).await.unwrap();
        sqlx::query_scalar("SELECT current_user::text")
            .fetch_one(&mut conn)
            .await
            .unwrap()
    });
    assert_eq!(user, "entra_app");
    // The mapping is visible as on Azure.
    let listed = cluster.psql(
        "postgres",
        "SELECT rolname || ' ' || principaltype || ' ' || objectid || ' ' || tenantid \
         FROM pgaadauth_list_principals(false) WHERE rolname = 'entra_app'",
    );
    assert_eq!(
        listed,
        format!("entra_app service {} {TENANT}", app.object_id)
    );
}

/// `get_token`'s error for a credential, as text.
fn token_error(credential: &ClientSecretCredential, scopes: &[&str]) -> String {
    match block_on(credential.get_token(scopes, None)) {
        Ok(_) => panic!("a token was issued"),
        Err(e) => {
            assert!(
                matches!(e.kind(), azure_core::error::ErrorKind::Credential),
                "{e:?}"
            );
            e.to_string()
        }
    }
}

#[test]
fn entra_errors_surface_in_azure_identity_errors() {
    let authority = &rig().authority;
    let good = app("errors-good");
    let expired = App::new("errors-expired").with_secret(SECRET, Utc::now() - Duration::days(1));
    authority.add_app(TENANT, expired.clone());
    let cred = |tenant: &str, client: &str, secret: &str| {
        secret_credential(authority, tenant, client, secret)
    };
    let cases: Vec<(Arc<ClientSecretCredential>, Vec<&str>, &str, &str)> = vec![
        (
            cred("9d1f6f4e-0000-4000-8000-000000000000", &good.client_id, SECRET),
            vec![OSSRDBMS_SCOPE],
            "AADSTS90002",
            "Tenant '9d1f6f4e-0000-4000-8000-000000000000' not found",
        ),
        (
            cred(TENANT, "5b8f0c1e-0000-4000-8000-000000000000", SECRET),
            vec![OSSRDBMS_SCOPE],
            "AADSTS700016",
            "Application with identifier '5b8f0c1e-0000-4000-8000-000000000000' was not found in the directory 'Rig Contoso'",
        ),
        (
            cred(TENANT, &good.client_id, "not-the-secret"),
            vec![OSSRDBMS_SCOPE],
            "AADSTS7000215",
            "Invalid client secret provided.",
        ),
        (
            cred(TENANT, &expired.client_id, SECRET),
            vec![OSSRDBMS_SCOPE],
            "AADSTS7000222",
            "The provided client secret keys for app",
        ),
        (
            cred(TENANT, &good.client_id, SECRET),
            vec![OSSRDBMS_SCOPE, "openid"],
            "AADSTS70011",
            "The provided value for the input parameter 'scope' is not valid.",
        ),
        (
            cred(TENANT, &good.client_id, SECRET),
            vec![OSSRDBMS_RESOURCE],
            "AADSTS1002012",
            "The provided value for scope https://ossrdbms-aad.database.windows.net is not valid. Client credential flows must have a scope value with /.default suffixed",
        ),
        (
            cred(TENANT, &good.client_id, SECRET),
            vec!["https://unknown.example.net/.default"],
            "AADSTS500011",
            "The resource principal named https://unknown.example.net was not found",
        ),
    ];
    for (credential, scopes, code, text) in cases {
        // Entra's descriptions end in CRLF-separated Trace ID / Correlation ID / Timestamp lines;
        // azure_identity 1.x deserializes `error_description` as a borrowed &str, which fails on
        // the escaped CRLF, so its message is serde's error quoting the description. Either way
        // the AADSTS code and text are in it.
        let err = token_error(&credential, &scopes);
        println!("{code}: {err}");
        assert!(
            err.starts_with("ClientSecretCredential authentication failed. "),
            "{err}"
        );
        assert!(err.contains(&format!("{code}: {text}")), "{code}: {err}");
    }
    // The tenant's domain names it as well as its id.
    let by_domain = cred("rigcontoso.onmicrosoft.com", &good.client_id, SECRET);
    assert!(block_on(by_domain.get_token(&[OSSRDBMS_SCOPE], None)).is_ok());
    let refused = authority
        .requests()
        .into_iter()
        .filter(|r| r.client_id == expired.client_id)
        .map(|r| (r.status, r.error_code))
        .collect::<Vec<_>>();
    assert_eq!(refused, vec![(401, Some(7000222))]);
}

#[test]
fn error_bodies_have_entra_fields() {
    let authority = &rig().authority;
    let app = app("error-body");
    let http = reqwest::Client::builder()
        .tls_certs_merge([reqwest::Certificate::from_pem(
            &std::fs::read(&authority.ca_cert).unwrap(),
        )
        .unwrap()])
        .build()
        .unwrap();
    let body = format!(
        "client_id={}&client_secret=wrong&grant_type=client_credentials&scope={}",
        app.client_id,
        percent_encoding::utf8_percent_encode(OSSRDBMS_SCOPE, percent_encoding::NON_ALPHANUMERIC)
    );
    let (status, json) = block_on(async {
        let resp = http
            .post(authority.token_endpoint(TENANT))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let json: serde_json::Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
        (status, json)
    });
    assert_eq!(status, 401);
    assert_eq!(json["error"], "invalid_client");
    assert_eq!(json["error_codes"], serde_json::json!([7000215]));
    let description = json["error_description"].as_str().unwrap();
    assert!(description.starts_with("AADSTS7000215: Invalid client secret provided."));
    for field in ["timestamp", "trace_id", "correlation_id"] {
        let value = json[field].as_str().unwrap();
        assert!(!value.is_empty());
        assert!(description.contains(value), "{field} in {description}");
    }
}

#[test]
fn expired_token_is_refused_after_the_front_clock_moves() {
    let Rig {
        cluster, authority, ..
    } = rig();
    let front = EntraFront::start(cluster, EntraFrontConfig::new(TENANT, authority.jwks()));
    let app = app("expiry");
    create_principal(
        cluster,
        "entra_expiry",
        &app.object_id,
        PrincipalType::Service,
    );
    let token = token_of(&app);
    assert_eq!(
        select_user(&front, "entra_expiry", &token).unwrap(),
        "entra_expiry"
    );
    front.set_clock_skew(Duration::seconds(3601));
    let err = select_user(&front, "entra_expiry", &token).unwrap_err();
    assert!(
        err.contains("The access token has expired. Please acquire a new token and retry."),
        "{err}"
    );
    assert!(matches!(
        front.last_outcome("entra_expiry").unwrap().token_refusal(),
        Some(entra::Refusal::Expired { .. })
    ));
    // A token stamped an hour ahead (as an authority whose clock runs fast would) is not valid
    // yet for a front on time. Signed directly: the shared authority's clock stays put.
    front.set_clock_skew(Duration::zero());
    let mut c = authority.app_token_claims(TENANT, &app.client_id, OSSRDBMS_RESOURCE);
    for claim in ["iat", "nbf", "exp"] {
        c[claim] = serde_json::json!(c[claim].as_i64().unwrap() + 3600);
    }
    let early = authority.sign(&c);
    let err = select_user(&front, "entra_expiry", &early).unwrap_err();
    assert!(
        err.contains("An error occurred while validating the access token"),
        "{err}"
    );
    assert!(matches!(
        front.last_outcome("entra_expiry").unwrap().token_refusal(),
        Some(entra::Refusal::NotYetValid { .. })
    ));
}

#[test]
fn token_of_another_app_is_refused_for_a_role_mapped_to_another_oid() {
    let Rig { cluster, front, .. } = rig();
    let owner = app("mapped-app");
    let other = app("other-app");
    create_principal(
        cluster,
        "entra_mapped",
        &owner.object_id,
        PrincipalType::Service,
    );
    let err = select_user(front, "entra_mapped", &token_of(&other)).unwrap_err();
    assert!(
        err.contains("password authentication failed for user \"entra_mapped\""),
        "{err}"
    );
    assert_eq!(
        front.last_outcome("entra_mapped"),
        Some(Outcome::Refused(Refusal::OidMismatch {
            token_oid: other.object_id.clone(),
            role_oid: owner.object_id.clone()
        }))
    );
    assert_eq!(
        select_user(front, "entra_mapped", &token_of(&owner)).unwrap(),
        "entra_mapped"
    );
}

#[test]
fn forged_foreign_and_misaddressed_tokens_are_refused() {
    let Rig {
        cluster,
        authority,
        front,
    } = rig();
    let app = app("forgery");
    create_principal(
        cluster,
        "entra_forgery",
        &app.object_id,
        PrincipalType::Service,
    );
    // Another authority with the same tenant and app: a well-formed token, a key the front
    // does not trust.
    let stranger = EntraAuthority::start();
    stranger.add_tenant(TENANT, TENANT_NAME);
    stranger.add_app(TENANT, app.clone());
    let credential = secret_credential(&stranger, TENANT, &app.client_id, SECRET);
    let foreign = block_on(credential.get_token(&[OSSRDBMS_SCOPE], None)).unwrap();
    let err = select_user(front, "entra_forgery", foreign.token.secret()).unwrap_err();
    assert!(
        err.contains("An error occurred while validating the access token"),
        "{err}"
    );
    assert!(matches!(
        front.last_outcome("entra_forgery").unwrap().token_refusal(),
        Some(entra::Refusal::BadSignature(_))
    ));
    // A valid token with its claims edited (another oid) no longer verifies.
    let genuine = token_of(&app);
    let mut parts: Vec<String> = genuine.split('.').map(String::from).collect();
    let mut c = claims(&genuine);
    c["exp"] = serde_json::json!(c["exp"].as_i64().unwrap() + 86400);
    use base64::Engine;
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(c.to_string());
    let err = select_user(front, "entra_forgery", &parts.join(".")).unwrap_err();
    assert!(
        err.contains("An error occurred while validating the access token"),
        "{err}"
    );
    assert!(matches!(
        front.last_outcome("entra_forgery").unwrap().token_refusal(),
        Some(entra::Refusal::BadSignature(_))
    ));
    // Signed by the right key for another resource.
    let mut c = authority.app_token_claims(TENANT, &app.client_id, "https://management.azure.com");
    let err = select_user(front, "entra_forgery", &authority.sign(&c)).unwrap_err();
    assert!(
        err.contains("The access token does not have a valid audience claim. Please acquire a new token for the resource \"https://ossrdbms-aad.database.windows.net\"."),
        "{err}"
    );
    assert_eq!(
        front.last_outcome("entra_forgery").unwrap().token_refusal(),
        Some(&entra::Refusal::WrongAudience(
            "https://management.azure.com".into()
        ))
    );
    // Issued by another tenant.
    c["aud"] = serde_json::json!(OSSRDBMS_RESOURCE);
    c["iss"] = serde_json::json!("https://sts.windows.net/11111111-2222-4333-8444-555555555555/");
    c["tid"] = serde_json::json!("11111111-2222-4333-8444-555555555555");
    let err = select_user(front, "entra_forgery", &authority.sign(&c)).unwrap_err();
    assert!(
        err.contains("An error occurred while validating the access token"),
        "{err}"
    );
    assert!(matches!(
        front.last_outcome("entra_forgery").unwrap().token_refusal(),
        Some(entra::Refusal::WrongIssuer(_))
    ));
    // Not a token at all.
    let err = select_user(front, "entra_forgery", "my-password").unwrap_err();
    assert!(
        err.contains("The access token has invalid format."),
        "{err}"
    );
    assert!(matches!(
        front.last_outcome("entra_forgery").unwrap().token_refusal(),
        Some(entra::Refusal::Malformed(_))
    ));
}

#[test]
fn app_token_for_a_user_principal_is_refused() {
    let Rig { cluster, front, .. } = rig();
    let app = app("user-confusion");
    create_principal(cluster, "entra_person", &app.object_id, PrincipalType::User);
    let err = select_user(front, "entra_person", &token_of(&app)).unwrap_err();
    assert!(
        err.contains(
            "Service Principals cannot generate AAD_AUTH_TOKENTYPE_APP_USER tokens for role[entra_person]"
        ),
        "{err}"
    );
    assert!(matches!(
        front.last_outcome("entra_person"),
        Some(Outcome::Refused(Refusal::AppTokenForUser { .. }))
    ));
}

#[test]
fn group_principal_takes_tokens_of_its_members_only() {
    let Rig {
        cluster,
        authority,
        front,
    } = rig();
    let group = entra::uuid();
    let member = App::new("group-member")
        .with_secret(SECRET, Utc::now() + Duration::days(1))
        .with_group(&group);
    authority.add_app(TENANT, member.clone());
    let outsider = app("group-outsider");
    create_principal(cluster, "entra_readers", &group, PrincipalType::Group);
    assert_eq!(
        select_user(front, "entra_readers", &token_of(&member)).unwrap(),
        "entra_readers"
    );
    let err = select_user(front, "entra_readers", &token_of(&outsider)).unwrap_err();
    assert!(
        err.contains("password authentication failed for user \"entra_readers\""),
        "{err}"
    );
    assert_eq!(
        front.last_outcome("entra_readers"),
        Some(Outcome::Refused(Refusal::NotInGroup {
            token_oid: outsider.object_id.clone(),
            group_oid: group.clone()
        }))
    );
}

#[test]
fn plain_connections_are_refused_and_other_roles_use_their_password() {
    let Rig { cluster, front, .. } = rig();
    let app = app("plain");
    create_principal(
        cluster,
        "entra_plain",
        &app.object_id,
        PrincipalType::Service,
    );
    cluster.psql(
        "postgres",
        "CREATE ROLE local_pw LOGIN PASSWORD 'local-secret-1'",
    );
    let token = token_of(&app);
    let err = front
        .psql("entra_plain", &token, "disable", "SELECT 1")
        .unwrap_err();
    assert!(
        err.contains("no pg_hba.conf entry for host \"127.0.0.1\", user \"entra_plain\", database \"postgres\", no encryption"),
        "{err}"
    );
    assert_eq!(
        front.last_outcome("entra_plain"),
        Some(Outcome::TlsRequired)
    );
    // A role that is not an Entra principal: the cluster's own SCRAM check.
    assert_eq!(
        select_user(front, "local_pw", "local-secret-1").unwrap(),
        "local_pw"
    );
    assert_eq!(front.last_outcome("local_pw"), Some(Outcome::PasswordAuth));
    let err = select_user(front, "local_pw", &token).unwrap_err();
    assert!(
        err.contains("password authentication failed for user \"local_pw\""),
        "{err}"
    );
}

#[test]
fn entra_only_server_refuses_roles_that_are_not_principals() {
    let Rig {
        cluster, authority, ..
    } = rig();
    let mut config = EntraFrontConfig::new(TENANT, authority.jwks());
    config.password_auth = false;
    let front = EntraFront::start(cluster, config);
    cluster.psql(
        "postgres",
        "CREATE ROLE local_only LOGIN PASSWORD 'local-secret-2'",
    );
    let err = select_user(&front, "local_only", "local-secret-2").unwrap_err();
    assert!(
        err.contains("password authentication failed for user \"local_only\""),
        "{err}"
    );
    assert_eq!(
        front.last_outcome("local_only"),
        Some(Outcome::UnknownPrincipal)
    );
}

#[test]
fn unreachable_and_stopped_authority_fail_get_token() {
    let mut authority = EntraAuthority::start();
    authority.add_tenant(TENANT, TENANT_NAME);
    let app = App::new("outage").with_secret(SECRET, Utc::now() + Duration::days(1));
    authority.add_app(TENANT, app.clone());
    let credential = |authority: &EntraAuthority| {
        let mut options = client_options(authority);
        options.retry = RetryOptions::none();
        ClientSecretCredential::new(
            TENANT,
            app.client_id.clone(),
            SECRET.to_string().into(),
            Some(ClientSecretCredentialOptions {
                client_options: options,
            }),
        )
        .unwrap()
    };
    authority.set_reachable(false);
    let err = block_on(credential(&authority).get_token(&[OSSRDBMS_SCOPE], None)).unwrap_err();
    assert!(!err.to_string().contains("AADSTS"), "{err}");
    assert_eq!(authority.token_requests(&app.client_id), 0);
    authority.set_reachable(true);
    assert!(block_on(credential(&authority).get_token(&[OSSRDBMS_SCOPE], None)).is_ok());
    assert_eq!(authority.token_requests(&app.client_id), 1);
    authority.stop();
    let err = block_on(credential(&authority).get_token(&[OSSRDBMS_SCOPE], None)).unwrap_err();
    println!("stopped authority: {err}");
    assert!(matches!(
        err.kind(),
        azure_core::error::ErrorKind::Credential
    ));
}

/// Runs `test_name` of this binary again in a child process with `env` (azure_identity reads
/// its configuration from the process environment: the child keeps it away from the other
/// tests); the child writes what it fetched to the file named by RIG_ENTRA_CHILD_OUT.
fn run_child(test_name: &str, env: &[(String, String)]) -> String {
    let out = tempfile::NamedTempFile::new().unwrap();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test_name, "--nocapture", "--test-threads=1"])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("RIG_ENTRA_CHILD_OUT", out.path())
        .status()
        .unwrap();
    assert!(status.success(), "{test_name} failed in the child process");
    let fetched = std::fs::read_to_string(out.path()).unwrap();
    assert!(
        !fetched.is_empty(),
        "{test_name} fetched nothing in the child"
    );
    fetched
}

fn child_out() -> Option<String> {
    std::env::var("RIG_ENTRA_CHILD_OUT").ok()
}

#[test]
fn managed_identity_via_app_service_environment() {
    if let Some(out) = child_out() {
        // The child: only environment variables point the credential at the stand-in (and
        // SSL_CERT_FILE makes the default HTTP client trust the rig's CA).
        let user_assigned =
            ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                user_assigned_id: Some(UserAssignedId::ClientId(
                    std::env::var("RIG_MI_CLIENT_ID").unwrap(),
                )),
                ..Default::default()
            }))
            .unwrap();
        let system_assigned = ManagedIdentityCredential::new(None).unwrap();
        let (a, b) = block_on(async {
            let a = user_assigned
                .get_token(&[OSSRDBMS_SCOPE], None)
                .await
                .unwrap();
            let b = system_assigned
                .get_token(&[OSSRDBMS_SCOPE], None)
                .await
                .unwrap();
            (a, b)
        });
        std::fs::write(out, format!("{}\n{}", a.token.secret(), b.token.secret())).unwrap();
        return;
    }
    let Rig {
        cluster,
        authority,
        front,
    } = rig();
    let user_assigned = ManagedIdentity::user_assigned("grantry-uami");
    let system_assigned = ManagedIdentity::system_assigned("grantry-webapp");
    authority.add_managed_identity(TENANT, user_assigned.clone());
    authority.add_managed_identity(TENANT, system_assigned.clone());
    create_principal(
        cluster,
        "entra_uami",
        &user_assigned.object_id,
        PrincipalType::Service,
    );
    create_principal(
        cluster,
        "entra_webapp",
        &system_assigned.object_id,
        PrincipalType::Service,
    );
    let mut env = authority.managed_identity_env();
    env.push((
        "SSL_CERT_FILE".into(),
        authority.ca_cert.display().to_string(),
    ));
    env.push(("RIG_MI_CLIENT_ID".into(), user_assigned.client_id.clone()));
    let fetched = run_child("managed_identity_via_app_service_environment", &env);
    let (a, b) = fetched.split_once('\n').unwrap();
    assert_eq!(claims(a)["xms_mirid"], user_assigned.resource_id.as_str());
    assert_eq!(claims(a)["appidacr"], "2");
    assert_eq!(select_user(front, "entra_uami", a).unwrap(), "entra_uami");
    assert_eq!(
        front.last_outcome("entra_uami"),
        Some(Outcome::Accepted {
            oid: user_assigned.object_id.clone(),
            appid: Some(user_assigned.client_id.clone())
        })
    );
    assert_eq!(
        select_user(front, "entra_webapp", b).unwrap(),
        "entra_webapp"
    );
    // Each identity's token is its own: the user-assigned one cannot log in as the web app.
    assert!(select_user(front, "entra_webapp", a).is_err());
    assert_eq!(authority.token_requests(&user_assigned.client_id), 1);
    assert_eq!(authority.token_requests(&system_assigned.client_id), 1);
}

#[test]
fn client_secret_credential_configured_by_environment_alone() {
    if let Some(out) = child_out() {
        let credential = ClientSecretCredential::new(
            &std::env::var("RIG_TENANT").unwrap(),
            std::env::var("RIG_CLIENT_ID").unwrap(),
            std::env::var("RIG_CLIENT_SECRET").unwrap().into(),
            None,
        )
        .unwrap();
        let token = block_on(credential.get_token(&[OSSRDBMS_SCOPE], None)).unwrap();
        std::fs::write(out, token.token.secret()).unwrap();
        return;
    }
    let Rig {
        cluster,
        authority,
        front,
    } = rig();
    let app = app("env-configured");
    create_principal(cluster, "entra_env", &app.object_id, PrincipalType::Service);
    let env = vec![
        (
            "AZURE_AUTHORITY_HOST".to_string(),
            authority.authority_host(),
        ),
        (
            "SSL_CERT_FILE".into(),
            authority.ca_cert.display().to_string(),
        ),
        ("RIG_TENANT".into(), TENANT.into()),
        ("RIG_CLIENT_ID".into(), app.client_id.clone()),
        ("RIG_CLIENT_SECRET".into(), SECRET.into()),
    ];
    let token = run_child(
        "client_secret_credential_configured_by_environment_alone",
        &env,
    );
    assert_eq!(
        select_user(front, "entra_env", &token).unwrap(),
        "entra_env"
    );
    assert_eq!(authority.token_requests(&app.client_id), 1);
}
