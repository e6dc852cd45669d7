//! A Microsoft Entra ID stand-in: an HTTPS token authority on 127.0.0.1 that answers what the
//! `azure_identity` 1.x crate calls, issues RS256 access tokens shaped like Entra's, and fails
//! with Entra's own errors. [`crate::entra_front`] checks those tokens the way Azure Database for
//! PostgreSQL Flexible Server does.
//!
//! # What it serves (read from azure_identity 1.0's source)
//!
//! * `POST {authority}/{tenant}/oauth2/v2.0/token`, form `client_id`, `client_secret`,
//!   `grant_type=client_credentials`, `scope` (space-separated): `ClientSecretCredential`. The
//!   answer is `{"token_type":"Bearer","expires_in":..,"ext_expires_in":..,"access_token":..}`;
//!   azure_identity reads `expires_in` and, on an error status, `error_codes` and
//!   `error_description`, which become the error's message (`ClientSecretCredential
//!   authentication failed. AADSTS7000215: ...`). `{tenant}` may be the tenant id or its domain.
//! * `GET {authority}/msi/token?api-version=2019-08-01&resource=..[&client_id=..|&object_id=..
//!   |&msi_res_id=..]` with headers `x-identity-header` and `metadata: true`: the App Service
//!   managed identity protocol, which `ManagedIdentityCredential` uses when the environment has
//!   `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` ([`EntraAuthority::managed_identity_env`]). The
//!   answer is `{"access_token":..,"expires_on":"<unix seconds>","resource":..,
//!   "token_type":"Bearer","client_id":..}`. azure_identity 1.0 puts no HTTPS requirement on
//!   `IDENTITY_ENDPOINT` (App Service's is plain http on localhost); this one is HTTPS like the
//!   authority, so the CA trust below applies to it too. The IMDS path (no such variables) is a
//!   fixed `http://169.254.169.254/...` URL in azure_identity 1.0 and cannot be redirected;
//!   `MSI_ENDPOINT` (Cloud Shell, Azure ML) is detected but refused by azure_identity 1.0 as
//!   unsupported.
//! * `GET {authority}/{tenant}/discovery/v2.0/keys` (and `/common/discovery/keys`): the signing
//!   keys as a JWKS ([`EntraAuthority::jwks`] gives them to verifiers directly).
//!
//! # Pointing azure_identity 1.x at it
//!
//! * **Authority host**: `ClientOptions.cloud = Some(Arc::new(CloudConfiguration::Custom(c)))`
//!   with `c.authority_host = authority.authority_host()` (`https://localhost:<port>`; build `c`
//!   from `CustomConfiguration::default()`, it is non-exhaustive). Without `cloud`, the
//!   `AZURE_AUTHORITY_HOST` environment variable is read when the credential is made. Either way
//!   azure_identity refuses a host that is not `https://` ("authority host doesn't use HTTPS
//!   scheme"). Only the host counts: the credential joins `/{tenant}/oauth2/v2.0/token` to it.
//! * **Trusting the rig CA**, one of:
//!   1. `ClientOptions.transport = Some(Transport::new(Arc::new(client)))` with a
//!      `reqwest::Client` (0.13, the version azure_core 1.x implements `HttpClient` for) built
//!      with `.tls_certs_merge([reqwest::Certificate::from_pem(&ca_pem)?])`, where `ca_pem` is
//!      [`crate::Pki::ca_cert`]'s content. Nothing process-wide: the way for tests in one process.
//!   2. The environment variable `SSL_CERT_FILE` naming a PEM bundle that holds the rig CA
//!      ([`EntraAuthority::ca_cert`] alone will do) before the credential is made:
//!      azure_core's default client is reqwest with rustls and rustls-platform-verifier, which
//!      on Linux loads its roots through rustls-native-certs, and that reads `SSL_CERT_FILE` /
//!      `SSL_CERT_DIR` *instead of* the system store (openssl and native-tls honour the same
//!      variable). Process-wide: set it only in a child process (the rig's tests do).
//!
//! # Tokens
//!
//! App-only v1.0 access tokens, as Entra issues them for the v1 resource
//! `https://ossrdbms-aad.database.windows.net` (scope `<resource>/.default`): header `typ`,
//! `alg: RS256`, `kid`/`x5t`; claims `aud` (the resource), `iss`
//! (`https://sts.windows.net/<tenant>/`), `iat` and `nbf` (the authority's clock minus 5 minutes,
//! as Entra backdates them), `exp` (now plus the lifetime, default 3600 s,
//! [`EntraAuthority::set_token_lifetime`]), `aio`, `appid`, `appidacr` (`1` for a secret, `2` for
//! a managed identity), `idp`, `idtyp: app`, `oid` and `sub` (the service principal's object
//! id), `rh`, `tid`, `uti`, `ver: 1.0`, `groups` when the principal is in groups, and
//! `xms_mirid` for user-assigned managed identities. [`verify`] checks one as a resource server
//! does.
//!
//! # Errors
//!
//! Entra's JSON: `error`, `error_description` (`AADSTS<code>: <text>` then `Trace ID`,
//! `Correlation ID` and `Timestamp` lines), `error_codes`, `timestamp`, `trace_id`,
//! `correlation_id`, `error_uri`. Checked in Entra's order: tenant (90002), grant type (900144,
//! 70003), client (700016), secret (7000218 missing, 7000215 wrong, 7000222 expired), scope
//! (900144 missing, 70011 not a single valid scope, 1002012 no `/.default` in a client
//! credentials request, 500011 unknown resource). The texts are Entra's as its public error
//! reference and users' reports give them.

use crate::pg_front::TestClock;
use crate::pki;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private, Public};
use openssl::rsa::Rsa;
use openssl::sign::{Signer, Verifier};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The resource of Azure Database for PostgreSQL (and MySQL): the `aud` of its tokens.
pub const OSSRDBMS_RESOURCE: &str = "https://ossrdbms-aad.database.windows.net";
/// The scope a client asks for to log in to Azure Database for PostgreSQL.
pub const OSSRDBMS_SCOPE: &str = "https://ossrdbms-aad.database.windows.net/.default";
/// Default token lifetime.
pub const DEFAULT_TOKEN_LIFETIME_SECS: i64 = 3600;
/// How far Entra backdates `iat` and `nbf`.
const BACKDATE_SECS: i64 = 300;

/// A random UUID (version 4), as Entra's ids look.
pub fn uuid() -> String {
    let mut b = [0u8; 16];
    openssl::rand::rand_bytes(&mut b).unwrap();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A client secret of an app registration. Debug never shows its value.
#[derive(Clone)]
pub struct ClientSecret {
    pub value: String,
    pub expires: DateTime<Utc>,
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSecret")
            .field("value", &"<redacted>")
            .field("expires", &self.expires)
            .finish()
    }
}

/// An app registration with its service principal in a tenant.
#[derive(Debug, Clone)]
pub struct App {
    /// The application (client) id.
    pub client_id: String,
    /// The service principal's object id: the `oid` of its tokens.
    pub object_id: String,
    pub display_name: String,
    pub secrets: Vec<ClientSecret>,
    /// Object ids of the groups the service principal is in (the `groups` claim).
    pub groups: Vec<String>,
}

impl App {
    /// An app with random client and object ids and no secrets.
    pub fn new(display_name: &str) -> App {
        App {
            client_id: uuid(),
            object_id: uuid(),
            display_name: display_name.into(),
            secrets: Vec::new(),
            groups: Vec::new(),
        }
    }

    /// Adds a secret that expires at `expires`.
    pub fn with_secret(mut self, value: &str, expires: DateTime<Utc>) -> App {
        self.secrets.push(ClientSecret {
            value: value.into(),
            expires,
        });
        self
    }

    pub fn with_group(mut self, group_object_id: &str) -> App {
        self.groups.push(group_object_id.into());
        self
    }
}

/// A managed identity: user-assigned, or the system-assigned one of the (pretend) resource the
/// caller runs on.
#[derive(Debug, Clone)]
pub struct ManagedIdentity {
    pub client_id: String,
    /// The principal (object) id: the `oid` of its tokens.
    pub object_id: String,
    /// The Azure resource id (`/subscriptions/../userAssignedIdentities/<name>`).
    pub resource_id: String,
    pub display_name: String,
    /// The identity a request without `client_id`/`object_id`/`msi_res_id` gets.
    pub system_assigned: bool,
    pub groups: Vec<String>,
}

impl ManagedIdentity {
    /// A user-assigned identity with random ids.
    pub fn user_assigned(name: &str) -> ManagedIdentity {
        ManagedIdentity {
            client_id: uuid(),
            object_id: uuid(),
            resource_id: format!(
                "/subscriptions/{}/resourceGroups/rig/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}",
                uuid()
            ),
            display_name: name.into(),
            system_assigned: false,
            groups: Vec::new(),
        }
    }

    /// The system-assigned identity of a resource called `name`.
    pub fn system_assigned(name: &str) -> ManagedIdentity {
        ManagedIdentity {
            system_assigned: true,
            resource_id: format!(
                "/subscriptions/{}/resourceGroups/rig/providers/Microsoft.Web/sites/{name}",
                uuid()
            ),
            ..ManagedIdentity::user_assigned(name)
        }
    }
}

#[derive(Debug, Clone)]
struct Tenant {
    id: String,
    display_name: String,
    /// `<name>.onmicrosoft.com`
    domain: String,
    apps: Vec<App>,
    identities: Vec<ManagedIdentity>,
}

/// One request to the token endpoints, as the authority logged it.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// `client_credentials` or `managed_identity`.
    pub flow: &'static str,
    /// The tenant as the request named it (path segment), or the identity's tenant.
    pub tenant: String,
    /// The client id the request gave (for a managed identity: the identity's client id once
    /// resolved, else what was asked for, else `system-assigned`).
    pub client_id: String,
    pub status: u16,
    /// The AADSTS code of a refusal (`None` when a token was issued).
    pub error_code: Option<u32>,
}

/// The public half of the authority's signing keys, for verifiers.
#[derive(Clone)]
pub struct Jwks {
    keys: Vec<(String, PKey<Public>)>,
}

impl fmt::Debug for Jwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.keys.iter().map(|(kid, _)| kid))
            .finish()
    }
}

impl Jwks {
    /// The key ids.
    pub fn kids(&self) -> Vec<String> {
        self.keys.iter().map(|(k, _)| k.clone()).collect()
    }

    /// The keys as a JWKS document (`{"keys":[{"kty":"RSA","use":"sig","kid",..,"n","e"}]}`).
    pub fn to_json(&self) -> Value {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .map(|(kid, key)| {
                let rsa = key.rsa().unwrap();
                json!({
                    "kty": "RSA",
                    "use": "sig",
                    "kid": kid,
                    "x5t": kid,
                    "n": URL_SAFE_NO_PAD.encode(rsa.n().to_vec()),
                    "e": URL_SAFE_NO_PAD.encode(rsa.e().to_vec()),
                })
            })
            .collect();
        json!({ "keys": keys })
    }

    /// The key with this id.
    fn key(&self, kid: &str) -> Option<&PKey<Public>> {
        self.keys.iter().find(|(k, _)| k == kid).map(|(_, k)| k)
    }

    /// Adds the keys of `other` (a verifier that trusts two authorities).
    pub fn merged(mut self, other: &Jwks) -> Jwks {
        self.keys.extend(other.keys.iter().cloned());
        self
    }
}

/// An RSA signing key with its id.
struct SigningKey {
    kid: String,
    key: PKey<Private>,
}

impl SigningKey {
    fn generate() -> SigningKey {
        let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
        let der = key.public_key_to_der().unwrap();
        let digest = openssl::sha::sha256(&der);
        SigningKey {
            kid: URL_SAFE_NO_PAD.encode(&digest[..20]),
            key,
        }
    }

    fn public(&self) -> PKey<Public> {
        PKey::public_key_from_der(&self.key.public_key_to_der().unwrap()).unwrap()
    }

    /// A compact JWS (RS256) of `claims`.
    fn sign(&self, claims: &Value) -> String {
        let header = json!({"typ": "JWT", "alg": "RS256", "x5t": self.kid, "kid": self.kid});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signer = Signer::new(MessageDigest::sha256(), &self.key).unwrap();
        signer.update(input.as_bytes()).unwrap();
        let sig = signer.sign_to_vec().unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }
}

/// What the handle and the server thread share.
struct Inner {
    tenants: Mutex<Vec<Tenant>>,
    /// Resources (application ID URIs) tokens can be asked for.
    resources: Mutex<Vec<String>>,
    clock: TestClock,
    key: SigningKey,
    lifetime: Mutex<chrono::Duration>,
    reachable: AtomicBool,
    log: Mutex<Vec<TokenRequest>>,
    identity_header: String,
}

/// A running authority; stops when dropped (or at [`EntraAuthority::stop`]).
pub struct EntraAuthority {
    pub port: u16,
    /// The CA that signed the authority's certificate (the rig's CA).
    pub ca_cert: PathBuf,
    inner: Arc<Inner>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EntraAuthority {
    /// Starts an authority on 127.0.0.1 (a free port, its own thread and runtime) with an empty
    /// registry, a new signing key, a certificate the rig's CA signed for localhost and
    /// 127.0.0.1, and the resource [`OSSRDBMS_RESOURCE`] known.
    pub fn start() -> EntraAuthority {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("a free port");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let (cert, key) = pki().server_cert_for("localhost");
        let identity = native_tls::Identity::from_pkcs8(
            &std::fs::read(cert).unwrap(),
            &std::fs::read(key).unwrap(),
        )
        .expect("the authority's certificate and key");
        let acceptor = native_tls::TlsAcceptor::builder(identity)
            .min_protocol_version(Some(native_tls::Protocol::Tlsv12))
            .build()
            .expect("a TLS acceptor");
        let acceptor = tokio_native_tls::TlsAcceptor::from(acceptor);
        let inner = Arc::new(Inner {
            tenants: Mutex::new(Vec::new()),
            resources: Mutex::new(vec![OSSRDBMS_RESOURCE.to_string()]),
            clock: TestClock::new(),
            key: SigningKey::generate(),
            lifetime: Mutex::new(chrono::Duration::seconds(DEFAULT_TOKEN_LIFETIME_SECS)),
            reachable: AtomicBool::new(true),
            log: Mutex::new(Vec::new()),
            identity_header: uuid(),
        });
        let (shutdown, stop) = tokio::sync::oneshot::channel();
        let thread_inner = inner.clone();
        let thread = std::thread::Builder::new()
            .name(format!("entra-authority-{port}"))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    let acceptor = Arc::new(acceptor);
                    tokio::pin!(stop);
                    loop {
                        tokio::select! {
                            _ = &mut stop => break,
                            accepted = listener.accept() => {
                                let Ok((tcp, _)) = accepted else { continue };
                                if !thread_inner.reachable.load(Ordering::SeqCst) {
                                    drop(tcp);
                                    continue;
                                }
                                let inner = thread_inner.clone();
                                let acceptor = acceptor.clone();
                                tokio::spawn(async move {
                                    if let Ok(tls) = acceptor.accept(tcp).await {
                                        serve_connection(inner, tls).await;
                                    }
                                });
                            }
                        }
                    }
                });
            })
            .unwrap();
        EntraAuthority {
            port,
            ca_cert: pki().ca_cert.clone(),
            inner,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// `https://localhost:<port>`: the authority host to give azure_identity.
    pub fn authority_host(&self) -> String {
        format!("https://localhost:{}", self.port)
    }

    /// The token endpoint of `tenant` (what ClientSecretCredential posts to).
    pub fn token_endpoint(&self, tenant: &str) -> String {
        format!("{}/{tenant}/oauth2/v2.0/token", self.authority_host())
    }

    /// Registers a tenant (directory) with this id and display name; its domain is the display
    /// name, lower-cased without spaces, `.onmicrosoft.com`.
    pub fn add_tenant(&self, tenant_id: &str, display_name: &str) {
        let domain = format!(
            "{}.onmicrosoft.com",
            display_name.to_lowercase().replace(' ', "")
        );
        self.inner.tenants.lock().unwrap().push(Tenant {
            id: tenant_id.into(),
            display_name: display_name.into(),
            domain,
            apps: Vec::new(),
            identities: Vec::new(),
        });
    }

    fn with_tenant<T>(&self, tenant_id: &str, f: impl FnOnce(&mut Tenant) -> T) -> T {
        let mut tenants = self.inner.tenants.lock().unwrap();
        let tenant = tenants
            .iter_mut()
            .find(|t| t.id == tenant_id)
            .unwrap_or_else(|| panic!("no tenant {tenant_id} in the authority"));
        f(tenant)
    }

    /// Registers an app (and its service principal) in a tenant.
    pub fn add_app(&self, tenant_id: &str, app: App) {
        self.with_tenant(tenant_id, |t| t.apps.push(app));
    }

    /// Adds a secret to a registered app.
    pub fn add_secret(&self, tenant_id: &str, client_id: &str, secret: ClientSecret) {
        self.with_tenant(tenant_id, |t| {
            t.apps
                .iter_mut()
                .find(|a| a.client_id == client_id)
                .expect("a registered app")
                .secrets
                .push(secret)
        });
    }

    /// Deletes an app registration: its requests get AADSTS700016 from now on.
    pub fn remove_app(&self, tenant_id: &str, client_id: &str) {
        self.with_tenant(tenant_id, |t| t.apps.retain(|a| a.client_id != client_id));
    }

    /// Registers a managed identity in a tenant.
    pub fn add_managed_identity(&self, tenant_id: &str, identity: ManagedIdentity) {
        self.with_tenant(tenant_id, |t| t.identities.push(identity));
    }

    /// Adds a resource (application ID URI) tokens may be asked for, besides
    /// [`OSSRDBMS_RESOURCE`].
    pub fn add_resource(&self, resource: &str) {
        self.inner.resources.lock().unwrap().push(resource.into());
    }

    /// The App Service managed identity endpoint (`IDENTITY_ENDPOINT`).
    pub fn identity_endpoint(&self) -> String {
        format!("{}/msi/token", self.authority_host())
    }

    /// The secret the managed identity endpoint wants in `x-identity-header`
    /// (`IDENTITY_HEADER`).
    pub fn identity_header(&self) -> String {
        self.inner.identity_header.clone()
    }

    /// The environment that makes azure_identity's `ManagedIdentityCredential` use this
    /// authority (App Service): `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`. The CA still needs
    /// trusting (module docs).
    pub fn managed_identity_env(&self) -> Vec<(String, String)> {
        vec![
            ("IDENTITY_ENDPOINT".into(), self.identity_endpoint()),
            ("IDENTITY_HEADER".into(), self.identity_header()),
        ]
    }

    /// How long the tokens issued from now on are valid.
    pub fn set_token_lifetime(&self, lifetime: chrono::Duration) {
        *self.inner.lifetime.lock().unwrap() = lifetime;
    }

    /// The authority's clock, as it stamps tokens and checks secret expiry.
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// Runs the authority's clock `skew` ahead of the system's (negative: behind).
    pub fn set_clock_skew(&self, skew: chrono::Duration) {
        self.inner.clock.set_skew(skew);
    }

    /// Stops the authority's clock at `at`.
    pub fn set_clock(&self, at: DateTime<Utc>) {
        self.inner.clock.set(at);
    }

    /// `false`: the authority still holds its port but closes every connection at once, without
    /// an answer (as a host that a firewall resets). `true` again: it answers.
    pub fn set_reachable(&self, reachable: bool) {
        self.inner.reachable.store(reachable, Ordering::SeqCst);
    }

    /// Stops the authority: its port is closed (connections are refused) and its connections end.
    pub fn stop(&mut self) {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Every token request so far, oldest first.
    pub fn requests(&self) -> Vec<TokenRequest> {
        self.inner.log.lock().unwrap().clone()
    }

    /// How many token requests (issued or refused) named this client id.
    pub fn token_requests(&self, client_id: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.client_id == client_id)
            .count()
    }

    /// The public signing keys, for verifiers (the front).
    pub fn jwks(&self) -> Jwks {
        Jwks {
            keys: vec![(self.inner.key.kid.clone(), self.inner.key.public())],
        }
    }

    /// Signs any claims with the authority's key: for tokens the endpoints would never issue
    /// (another audience, a user token, ...). Start from [`EntraAuthority::app_token_claims`].
    pub fn sign(&self, claims: &Value) -> String {
        self.inner.key.sign(claims)
    }

    /// The claims the token endpoint would put in a token for a registered app of `tenant_id`
    /// and `resource`, now.
    pub fn app_token_claims(&self, tenant_id: &str, client_id: &str, resource: &str) -> Value {
        let now = self.now();
        let lifetime = *self.inner.lifetime.lock().unwrap();
        self.with_tenant(tenant_id, |t| {
            let app = t
                .apps
                .iter()
                .find(|a| a.client_id == client_id)
                .expect("a registered app");
            Principal::App(app).claims(&t.id, resource, now, lifetime)
        })
    }
}

impl Drop for EntraAuthority {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Who a token is for.
enum Principal<'a> {
    App(&'a App),
    Identity(&'a ManagedIdentity),
}

impl Principal<'_> {
    fn claims(
        &self,
        tenant_id: &str,
        resource: &str,
        now: DateTime<Utc>,
        lifetime: chrono::Duration,
    ) -> Value {
        let iss = format!("https://sts.windows.net/{tenant_id}/");
        let iat = (now - chrono::Duration::seconds(BACKDATE_SECS)).timestamp();
        let (client_id, object_id, acr, groups) = match self {
            Principal::App(a) => (&a.client_id, &a.object_id, "1", &a.groups),
            Principal::Identity(i) => (&i.client_id, &i.object_id, "2", &i.groups),
        };
        let mut claims = json!({
            "aud": resource,
            "iss": iss,
            "iat": iat,
            "nbf": iat,
            "exp": (now + lifetime).timestamp(),
            "aio": URL_SAFE_NO_PAD.encode(uuid()),
            "appid": client_id,
            "appidacr": acr,
            "idp": iss,
            "idtyp": "app",
            "oid": object_id,
            "rh": format!("0.{}.", URL_SAFE_NO_PAD.encode(uuid())),
            "sub": object_id,
            "tid": tenant_id,
            "uti": URL_SAFE_NO_PAD.encode(&uuid()[..16]),
            "ver": "1.0",
        });
        if !groups.is_empty() {
            claims["groups"] = json!(groups);
        }
        if let Principal::Identity(i) = self {
            if !i.system_assigned {
                claims["xms_mirid"] = json!(i.resource_id);
            }
        }
        claims
    }
}

/// An HTTP response: status, JSON body.
struct Response {
    status: u16,
    body: Value,
}

/// An Entra error (status, `error`, AADSTS code, text).
fn entra_error(status: u16, error: &str, code: u32, text: &str, now: DateTime<Utc>) -> Response {
    let trace_id = uuid();
    let correlation_id = uuid();
    let timestamp = now.format("%Y-%m-%d %H:%M:%SZ").to_string();
    Response {
        status,
        body: json!({
            "error": error,
            "error_description": format!(
                "AADSTS{code}: {text}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}"
            ),
            "error_codes": [code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
        }),
    }
}

/// One HTTP request as read.
struct Request {
    method: String,
    path: String,
    query: HashMap<String, String>,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// Serves HTTP/1.1 requests on one connection until the client closes it (keep-alive).
async fn serve_connection<S: AsyncRead + AsyncWrite + Unpin>(inner: Arc<Inner>, mut s: S) {
    let mut buf = Vec::new();
    loop {
        let Some(req) = read_request(&mut s, &mut buf).await else {
            return;
        };
        if !inner.reachable.load(Ordering::SeqCst) {
            return;
        }
        let close = req
            .headers
            .get("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let resp = route(&inner, &req);
        let body = resp.body.to_string();
        let head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: application/json; charset=utf-8\r\n\
             Content-Length: {}\r\nCache-Control: no-store, no-cache\r\nPragma: no-cache\r\n\
             x-ms-request-id: {}\r\n{}\r\n",
            resp.status,
            reason(resp.status),
            body.len(),
            uuid(),
            if close { "Connection: close\r\n" } else { "" }
        );
        if s.write_all(head.as_bytes()).await.is_err()
            || s.write_all(body.as_bytes()).await.is_err()
            || s.flush().await.is_err()
        {
            return;
        }
        if close {
            let _ = s.shutdown().await;
            return;
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Error",
    }
}

/// Reads one request (head, then a Content-Length body); `None` at the end of the connection or
/// on a request it cannot read.
async fn read_request<S: AsyncRead + Unpin>(s: &mut S, buf: &mut Vec<u8>) -> Option<Request> {
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
        let mut chunk = [0u8; 8192];
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let target = request_line.next()?.to_string();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .map_or(Some(0), |v| v.parse().ok())?;
    if len > 1 << 20 {
        return None;
    }
    let body_start = head_end + 4;
    while buf.len() < body_start + len {
        let mut chunk = [0u8; 8192];
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[body_start..body_start + len].to_vec();
    buf.drain(..body_start + len);
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), form_decode(q.as_bytes())),
        None => (target, HashMap::new()),
    };
    Some(Request {
        method,
        path,
        query,
        headers,
        body,
    })
}

/// `application/x-www-form-urlencoded` pairs (a key given twice keeps the first).
fn form_decode(input: &[u8]) -> HashMap<String, String> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    let mut out = HashMap::new();
    for pair in String::from_utf8_lossy(input).split('&') {
        if pair.is_empty() {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.entry(decode(k)).or_insert_with(|| decode(v));
    }
    out
}

fn route(inner: &Inner, req: &Request) -> Response {
    let segments: Vec<&str> = req.path.trim_start_matches('/').split('/').collect();
    match (req.method.as_str(), segments.as_slice()) {
        ("POST", [tenant, "oauth2", "v2.0", "token"]) => client_credentials(inner, tenant, req),
        ("GET", ["msi", "token"]) => managed_identity(inner, req),
        ("GET", [_, "discovery", "v2.0", "keys"]) | ("GET", [_, "discovery", "keys"]) => Response {
            status: 200,
            body: Jwks {
                keys: vec![(inner.key.kid.clone(), inner.key.public())],
            }
            .to_json(),
        },
        _ => Response {
            status: 404,
            body: json!({"error": "not_found", "error_description": format!("{} {} is not served by the rig's Entra stand-in", req.method, req.path)}),
        },
    }
}

/// `POST /{tenant}/oauth2/v2.0/token`, grant type client_credentials.
fn client_credentials(inner: &Inner, tenant_segment: &str, req: &Request) -> Response {
    let form = form_decode(&req.body);
    let client_id = form.get("client_id").cloned().unwrap_or_default();
    let (resp, code) = issue_for_app(inner, tenant_segment, &form);
    inner.log.lock().unwrap().push(TokenRequest {
        flow: "client_credentials",
        tenant: tenant_segment.into(),
        client_id,
        status: resp.status,
        error_code: code,
    });
    resp
}

fn issue_for_app(
    inner: &Inner,
    tenant_segment: &str,
    form: &HashMap<String, String>,
) -> (Response, Option<u32>) {
    let now = inner.clock.now();
    let err =
        |status, error, code, text: &str| (entra_error(status, error, code, text, now), Some(code));
    let tenants = inner.tenants.lock().unwrap();
    let Some(tenant) = tenants.iter().find(|t| {
        t.id.eq_ignore_ascii_case(tenant_segment) || t.domain.eq_ignore_ascii_case(tenant_segment)
    }) else {
        return err(400, "invalid_request", 90002, &format!(
            "Tenant '{tenant_segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
        ));
    };
    let missing = |name: &str| {
        err(
            400,
            "invalid_request",
            900144,
            &format!("The request body must contain the following parameter: '{name}'."),
        )
    };
    match form.get("grant_type").map(String::as_str) {
        None | Some("") => return missing("grant_type"),
        Some("client_credentials") => {}
        Some(other) => {
            return err(
                400,
                "unsupported_grant_type",
                70003,
                &format!("The app requested an unsupported grant type '{other}'."),
            )
        }
    }
    let client_id = match form.get("client_id") {
        Some(c) if !c.is_empty() => c,
        _ => return missing("client_id"),
    };
    let Some(app) = tenant
        .apps
        .iter()
        .find(|a| a.client_id.eq_ignore_ascii_case(client_id))
    else {
        return err(400, "unauthorized_client", 700016, &format!(
            "Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
            tenant.display_name
        ));
    };
    let secret = match form.get("client_secret") {
        Some(s) if !s.is_empty() => s,
        _ => {
            return err(401, "invalid_client", 7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
        }
    };
    match app.secrets.iter().find(|s| s.value == *secret) {
        None => {
            return err(401, "invalid_client", 7000215, &format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.",
                app.client_id
            ))
        }
        Some(s) if s.expires <= now => {
            return err(401, "invalid_client", 7000222, &format!(
                "The provided client secret keys for app '{}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.",
                app.client_id
            ))
        }
        Some(_) => {}
    }
    let resource = match check_scope(inner, tenant, form.get("scope").map(String::as_str)) {
        Ok(r) => r,
        Err((status, error, code, text)) => return err(status, error, code, &text),
    };
    let lifetime = *inner.lifetime.lock().unwrap();
    let claims = Principal::App(app).claims(&tenant.id, &resource, now, lifetime);
    let token = inner.key.sign(&claims);
    (
        Response {
            status: 200,
            body: json!({
                "token_type": "Bearer",
                "expires_in": lifetime.num_seconds(),
                "ext_expires_in": lifetime.num_seconds(),
                "access_token": token,
            }),
        },
        None,
    )
}

/// The resource a client credentials scope names, or Entra's refusal (status, error, code, text).
fn check_scope(
    inner: &Inner,
    tenant: &Tenant,
    scope: Option<&str>,
) -> Result<String, (u16, &'static str, u32, String)> {
    let scope = scope.unwrap_or("").trim();
    if scope.is_empty() {
        return Err((
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.".into(),
        ));
    }
    let scopes: Vec<&str> = scope.split_whitespace().collect();
    let valid_chars = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c))
    };
    if scopes.len() != 1 || !valid_chars(scopes[0]) {
        return Err((
            400,
            "invalid_scope",
            70011,
            format!("The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."),
        ));
    }
    let Some(resource) = scopes[0].strip_suffix("/.default") else {
        return Err((
            400,
            "invalid_scope",
            1002012,
            format!("The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."),
        ));
    };
    if !inner
        .resources
        .lock()
        .unwrap()
        .iter()
        .any(|r| r == resource)
    {
        return Err((
            400,
            "invalid_resource",
            500011,
            format!("The resource principal named {resource} was not found in the tenant named {}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", tenant.display_name),
        ));
    }
    Ok(resource.to_string())
}

/// `GET /msi/token`: the App Service managed identity protocol (api-version 2019-08-01).
fn managed_identity(inner: &Inner, req: &Request) -> Response {
    let now = inner.clock.now();
    let asked = [
        "client_id",
        "object_id",
        "principal_id",
        "msi_res_id",
        "mi_res_id",
    ]
    .iter()
    .find_map(|k| req.query.get(*k).map(|v| (*k, v.clone())));
    let mut log = TokenRequest {
        flow: "managed_identity",
        tenant: String::new(),
        client_id: asked
            .as_ref()
            .map_or("system-assigned".to_string(), |(_, v)| v.clone()),
        status: 0,
        error_code: None,
    };
    let msi_error = |status: u16, message: String| Response {
        status,
        body: json!({"statusCode": status, "message": message, "correlationId": uuid()}),
    };
    let resp = (|| {
        if req.headers.get("x-identity-header") != Some(&inner.identity_header) {
            return msi_error(
                401,
                "Unauthorized: the X-IDENTITY-HEADER header is missing or wrong.".into(),
            );
        }
        let Some(resource) = req.query.get("resource").filter(|r| !r.is_empty()) else {
            return msi_error(400, "The 'resource' query parameter is required.".into());
        };
        let tenants = inner.tenants.lock().unwrap();
        let found = tenants.iter().find_map(|t| {
            t.identities
                .iter()
                .find(|i| match &asked {
                    None => i.system_assigned,
                    Some(("client_id", v)) => i.client_id.eq_ignore_ascii_case(v),
                    Some(("object_id" | "principal_id", v)) => i.object_id.eq_ignore_ascii_case(v),
                    Some((_, v)) => i.resource_id.eq_ignore_ascii_case(v),
                })
                .map(|i| (t, i))
        });
        let Some((tenant, identity)) = found else {
            return msi_error(400, "No User Assigned or Delegated Managed Identity found for specified ClientId/ResourceId/PrincipalId.".into());
        };
        log.tenant = tenant.id.clone();
        log.client_id = identity.client_id.clone();
        let resource = resource.trim_end_matches("/.default");
        if !inner
            .resources
            .lock()
            .unwrap()
            .iter()
            .any(|r| r == resource)
        {
            log.error_code = Some(500011);
            return msi_error(400, format!("AADSTS500011: The resource principal named {resource} was not found in the tenant named {}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", tenant.display_name));
        }
        let lifetime = *inner.lifetime.lock().unwrap();
        let claims = Principal::Identity(identity).claims(&tenant.id, resource, now, lifetime);
        Response {
            status: 200,
            body: json!({
                "access_token": inner.key.sign(&claims),
                "expires_on": (now + lifetime).timestamp().to_string(),
                "resource": resource,
                "token_type": "Bearer",
                "client_id": identity.client_id,
            }),
        }
    })();
    log.status = resp.status;
    inner.log.lock().unwrap().push(log);
    resp
}

/// What a resource server expects of a token.
pub struct Expected<'a> {
    /// The keys of the authority it trusts.
    pub jwks: &'a Jwks,
    /// The `aud` it wants ([`OSSRDBMS_RESOURCE`]).
    pub audience: &'a str,
    /// Its tenant: `tid`, and `iss` `https://sts.windows.net/<tenant>/` (v1.0 tokens) or
    /// `https://login.microsoftonline.com/<tenant>/v2.0` (v2.0).
    pub tenant_id: &'a str,
    /// The server's clock.
    pub now: DateTime<Utc>,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not three base64url parts of JSON, no `alg: RS256`, a claim missing or of the wrong type.
    Malformed(String),
    /// The signature does not verify with the key its `kid` names, or no trusted key has that id.
    BadSignature(String),
    /// `exp` is not after the server's now.
    Expired {
        exp: DateTime<Utc>,
        now: DateTime<Utc>,
    },
    /// `nbf` is after the server's now.
    NotYetValid {
        nbf: DateTime<Utc>,
        now: DateTime<Utc>,
    },
    /// `aud` is not the server's resource.
    WrongAudience(String),
    /// `iss` or `tid` is not the server's tenant.
    WrongIssuer(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Malformed(why) => write!(f, "malformed token: {why}"),
            Refusal::BadSignature(why) => write!(f, "bad signature: {why}"),
            Refusal::Expired { exp, now } => write!(f, "expired at {exp} (now {now})"),
            Refusal::NotYetValid { nbf, now } => write!(f, "not valid before {nbf} (now {now})"),
            Refusal::WrongAudience(aud) => write!(f, "wrong audience {aud}"),
            Refusal::WrongIssuer(iss) => write!(f, "wrong issuer or tenant {iss}"),
        }
    }
}

/// A verified token's claims.
#[derive(Debug, Clone)]
pub struct Claims(pub Value);

impl Claims {
    fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    /// The principal's object id.
    pub fn oid(&self) -> Option<&str> {
        self.str("oid")
    }

    /// The client (application) id of an app or managed identity token.
    pub fn appid(&self) -> Option<&str> {
        self.str("appid").or_else(|| self.str("azp"))
    }

    pub fn tid(&self) -> Option<&str> {
        self.str("tid")
    }

    /// `app` for app-only tokens (service principals, managed identities), `user` otherwise.
    pub fn idtyp(&self) -> &str {
        self.str("idtyp").unwrap_or("user")
    }

    /// Object ids in the `groups` claim.
    pub fn groups(&self) -> Vec<String> {
        self.0
            .get("groups")
            .and_then(Value::as_array)
            .map(|g| {
                g.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Checks a token as a resource server does: format, RS256 signature with a trusted key, `exp`
/// and `nbf` against `expected.now` (no leeway), `aud`, `iss` and `tid`.
pub fn verify(token: &str, expected: &Expected) -> Result<Claims, Refusal> {
    let malformed = |why: &str| Refusal::Malformed(why.into());
    let parts: Vec<&str> = token.trim().split('.').collect();
    let [header_b64, claims_b64, sig_b64] = parts.as_slice() else {
        return Err(malformed("not three dot-separated parts"));
    };
    let decode = |part: &str, what: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| Refusal::Malformed(format!("{what} is not base64url")))
    };
    let header: Value = serde_json::from_slice(&decode(header_b64, "header")?)
        .map_err(|_| malformed("header is not JSON"))?;
    let claims: Value = serde_json::from_slice(&decode(claims_b64, "claims")?)
        .map_err(|_| malformed("claims are not JSON"))?;
    let sig = decode(sig_b64, "signature")?;
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(malformed("alg is not RS256"));
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("no kid"))?;
    let key = expected
        .jwks
        .key(kid)
        .ok_or_else(|| Refusal::BadSignature(format!("no trusted key {kid}")))?;
    let mut verifier = Verifier::new(MessageDigest::sha256(), key).unwrap();
    verifier
        .update(format!("{header_b64}.{claims_b64}").as_bytes())
        .unwrap();
    if !verifier.verify(&sig).unwrap_or(false) {
        return Err(Refusal::BadSignature(format!(
            "does not verify with key {kid}"
        )));
    }
    let time = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_i64)
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .ok_or_else(|| Refusal::Malformed(format!("no numeric {name}")))
    };
    let (exp, nbf) = (time("exp")?, time("nbf")?);
    if exp <= expected.now {
        return Err(Refusal::Expired {
            exp,
            now: expected.now,
        });
    }
    if nbf > expected.now {
        return Err(Refusal::NotYetValid {
            nbf,
            now: expected.now,
        });
    }
    let claims = Claims(claims);
    let aud = claims.str("aud").unwrap_or("");
    if aud != expected.audience {
        return Err(Refusal::WrongAudience(aud.into()));
    }
    let iss = claims.str("iss").unwrap_or("");
    let v1 = format!("https://sts.windows.net/{}/", expected.tenant_id);
    let v2 = format!(
        "https://login.microsoftonline.com/{}/v2.0",
        expected.tenant_id
    );
    if (iss != v1 && iss != v2) || claims.tid() != Some(expected.tenant_id) {
        return Err(Refusal::WrongIssuer(format!(
            "iss {iss}, tid {}",
            claims.tid().unwrap_or("none")
        )));
    }
    if claims.oid().is_none() {
        return Err(malformed("no oid"));
    }
    Ok(claims)
}
