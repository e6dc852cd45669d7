//! An Azure Database for PostgreSQL Flexible Server stand-in: a PostgreSQL front that checks
//! Microsoft Entra ID access tokens the way Flexible Server does, in front of a real rig cluster.
//! The tokens come from [`crate::entra::EntraAuthority`] (fetched with azure_identity) or any
//! issuer whose keys the front is given.
//!
//! The protocol handling is [`crate::pg_front`]'s (shared with the RDS front); this module is
//! Azure's rule:
//!
//! * **Who is an Entra principal**: as Azure's pgaadauth, the cluster records role -> (object id,
//!   type `user`/`group`/`service`). [`EntraFront::start`] installs Azure's SQL functions
//!   `pgaadauth_create_principal_with_oid(role, oid, type, is_admin, is_mfa)` and
//!   `pgaadauth_list_principals(is_admin)` in the cluster's `postgres` database (in schema
//!   `public`, with their data in schema `rig_pgaadauth`), so a product's setup SQL runs as on
//!   Azure; [`create_principal`] calls the first. (Azure's name-resolving
//!   `pgaadauth_create_principal(role, is_admin, is_mfa)` needs Microsoft Graph: not emulated.)
//! * **TLS**: Flexible Server's `require_secure_transport` is on by default, so a plain
//!   connection is refused for every user, with `no pg_hba.conf entry for host "..", user "..",
//!   database "..", no encryption` ([`EntraFrontConfig::require_secure_transport`]).
//! * **A principal** is asked for a cleartext password, which must be an access token that
//!   [`crate::entra::verify`] accepts (RS256 with a trusted key; `exp`/`nbf` against the front's
//!   clock; `aud` `https://ossrdbms-aad.database.windows.net`; `iss`/`tid` the server's tenant),
//!   whose `oid` is the role's object id (`user`, `service`), or whose `groups` claim holds it
//!   (`group`). On success the front logs in to the real cluster as that role over its trusted
//!   Unix socket.
//! * **Not a principal**: the cluster's own password (SCRAM) authentication, as on a server with
//!   "PostgreSQL and Microsoft Entra authentication"; with
//!   [`EntraFrontConfig::password_auth`] off ("Microsoft Entra authentication only") it is
//!   refused and logged as [`Outcome::UnknownPrincipal`].
//!
//! # Error texts
//!
//! Flexible Server's FATAL messages as users have reported them (GitHub issues):
//!
//! | refusal | message | seen in |
//! | --- | --- | --- |
//! | expired | `The access token has expired. Please acquire a new token and retry.` | darold/ora2pg#1851 |
//! | audience | `The access token does not have a valid audience claim. Please acquire a new token for the resource "https://ossrdbms-aad.database.windows.net".` | microsoft/azuredatastudio-postgresql#505 |
//! | not a JWT | `The access token has invalid format. Please ensure the token is passed exactly as returned by the authentication endpoint and retry.` | Azure-Samples/rag-postgres-openai-python#161 |
//! | app token for a `user` role | `Service Principals cannot generate AAD_AUTH_TOKENTYPE_APP_USER tokens for role[<role>]` | MicrosoftDocs/azure-docs#120133 |
//! | signature, issuer/tenant, not yet valid | `An error occurred while validating the access token. Please acquire a new token and retry` | cyrilgdn/terraform-provider-postgresql#60 (an Azure PostgreSQL server; no Flexible-Server-specific text found) |
//! | oid or group mismatch, Entra-only server and not a principal | PostgreSQL's own `password authentication failed for user "<role>"` (SQLSTATE 28P01): no Azure text found | |
//! | no TLS | `no pg_hba.conf entry for host "<ip>", user "<role>", database "<db>", no encryption` (28000) | Azure-Samples/rag-postgres-openai-python#161 |
//!
//! The Azure-specific messages are sent with SQLSTATE 28000 (the rig's choice: the reports show
//! only the text). A token given for a role that is not a principal meets the cluster's SCRAM
//! check and fails there with `password authentication failed for user "<role>"`, as on Azure.

use crate::entra::{self, Jwks, OSSRDBMS_RESOURCE};
use crate::pg_front::{self, Action, Conn, Front, Gate, Verdict};
use crate::Cluster;
use chrono::{DateTime, Utc};
use std::fmt;
use std::path::PathBuf;
use std::process::Command;

/// How the front is set up.
#[derive(Debug, Clone)]
pub struct EntraFrontConfig {
    /// The host name clients use (`<server>.postgres.database.azure.com`, or `localhost`); the
    /// front's certificate names it. It listens on 127.0.0.1 only (libpq's `hostaddr`).
    pub endpoint_host: String,
    /// Port to listen on; `None` = a free one.
    pub port: Option<u16>,
    /// The server's tenant: tokens must be issued by it.
    pub tenant_id: String,
    /// The `aud` tokens must have. Default [`OSSRDBMS_RESOURCE`].
    pub audience: String,
    /// The keys that sign valid tokens ([`entra::EntraAuthority::jwks`]).
    pub jwks: Jwks,
    /// Offer TLS. Default true.
    pub tls: bool,
    /// Refuse every plain connection, as Flexible Server's default `require_secure_transport =
    /// on`. Default true.
    pub require_secure_transport: bool,
    /// Non-principals use the cluster's password authentication ("PostgreSQL and Microsoft
    /// Entra authentication"). `false`: "Microsoft Entra authentication only". Default true.
    pub password_auth: bool,
}

impl EntraFrontConfig {
    /// Endpoint `localhost`, a free port, audience [`OSSRDBMS_RESOURCE`], TLS offered and
    /// required, password authentication for non-principals.
    pub fn new(tenant_id: &str, jwks: Jwks) -> EntraFrontConfig {
        EntraFrontConfig {
            endpoint_host: "localhost".into(),
            port: None,
            tenant_id: tenant_id.into(),
            audience: OSSRDBMS_RESOURCE.into(),
            jwks,
            tls: true,
            require_secure_transport: true,
            password_auth: true,
        }
    }
}

/// The type of an Entra principal (pgaadauth's `objectType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalType {
    User,
    Group,
    /// A service principal or managed identity.
    Service,
}

impl PrincipalType {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::User => "user",
            PrincipalType::Group => "group",
            PrincipalType::Service => "service",
        }
    }
}

/// Why a principal's token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The token itself: format, signature, expiry, audience, issuer.
    Token(entra::Refusal),
    /// A valid token of another principal: its `oid` is not the role's object id.
    OidMismatch { token_oid: String, role_oid: String },
    /// A `group` role: the token's `groups` claim does not hold the group's object id.
    NotInGroup {
        token_oid: String,
        group_oid: String,
    },
    /// An app-only token (service principal, managed identity) for a `user` role.
    AppTokenForUser { token_oid: String },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Token(r) => write!(f, "{r}"),
            Refusal::OidMismatch {
                token_oid,
                role_oid,
            } => write!(f, "token of {token_oid}, role mapped to {role_oid}"),
            Refusal::NotInGroup {
                token_oid,
                group_oid,
            } => write!(f, "{token_oid} is not in group {group_oid}"),
            Refusal::AppTokenForUser { token_oid } => {
                write!(f, "app token of {token_oid} for a user principal")
            }
        }
    }
}

/// What the front decided for one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A principal's token was valid: the token's `oid` (and `appid` for app tokens). The
    /// session went on to the real cluster (which may still refuse it, e.g. a missing database).
    Accepted { oid: String, appid: Option<String> },
    /// A principal's token was refused.
    Refused(Refusal),
    /// A plain connection while `require_secure_transport` is on.
    TlsRequired,
    /// Not an Entra principal: handed to the cluster's own password authentication.
    PasswordAuth,
    /// Not an Entra principal on an Entra-only server.
    UnknownPrincipal,
    /// The connection failed for another reason (protocol, I/O, the real cluster).
    Failed(String),
}

impl Outcome {
    /// Shorthand for tests: the token-level refusal, if that is what happened.
    pub fn token_refusal(&self) -> Option<&entra::Refusal> {
        match self {
            Outcome::Refused(Refusal::Token(r)) => Some(r),
            _ => None,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Accepted { oid, .. } => write!(f, "Entra token accepted (oid {oid})"),
            Outcome::Refused(r) => write!(f, "Entra token refused: {r}"),
            Outcome::TlsRequired => write!(f, "connection without TLS refused"),
            Outcome::PasswordAuth => write!(f, "not an Entra principal: password authentication"),
            Outcome::UnknownPrincipal => {
                write!(f, "not an Entra principal on an Entra-only server")
            }
            Outcome::Failed(why) => write!(f, "failed: {why}"),
        }
    }
}

/// One connection's entry in the front's log.
pub type Attempt = pg_front::Attempt<Outcome>;

const PGAADAUTH_SQL: &str = include_str!("sql/pgaadauth.sql");
const PRINCIPAL_SQL: &str = include_str!("sql/entra_principal.sql");

/// Installs the pgaadauth stand-in (tables and Azure's function names) in `cluster`'s
/// `postgres` database; idempotent. [`EntraFront::start`] calls it.
pub fn install_pgaadauth(cluster: &Cluster) {
    // One at a time: CREATE OR REPLACE FUNCTION from two sessions fails ("tuple concurrently
    // updated").
    static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
    cluster.psql("postgres", PGAADAUTH_SQL);
}

fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Creates the login role `role` as an Entra principal of `object_id` and type `kind`, through
/// Azure's `pgaadauth_create_principal_with_oid(role, oid, kind, false, false)` (installed by
/// [`install_pgaadauth`] / [`EntraFront::start`]). Returns its answer
/// (`Created role for "<role>"`).
pub fn create_principal(
    cluster: &Cluster,
    role: &str,
    object_id: &str,
    kind: PrincipalType,
) -> String {
    cluster.psql(
        "postgres",
        &format!(
            "SELECT pgaadauth_create_principal_with_oid({}, {}, {}, false, false)",
            literal(role),
            literal(object_id),
            literal(kind.as_str())
        ),
    )
}

/// A running front; stops (closing its connections) when dropped.
pub struct EntraFront {
    pub port: u16,
    pub endpoint_host: String,
    /// The CA that signed the front's certificate (the rig's CA).
    pub ca_cert: PathBuf,
    front: Front<Outcome>,
}

impl EntraFront {
    /// Starts a front for `cluster` on 127.0.0.1 (its own thread and runtime), after installing
    /// the pgaadauth stand-in and recording the server's tenant.
    ///
    /// The cluster needs the rig's default pg_hba.conf, or lines like it: `local all all trust`
    /// (the front's lookups and Entra sessions) and `host all all 127.0.0.1/32 scram-sha-256`
    /// (password authentication).
    pub fn start(cluster: &Cluster, config: EntraFrontConfig) -> EntraFront {
        install_pgaadauth(cluster);
        cluster.psql(
            "postgres",
            &format!(
                "INSERT INTO rig_pgaadauth.server (tenant_id) VALUES ({0}) \
                 ON CONFLICT (only_row) DO UPDATE SET tenant_id = {0}",
                literal(&config.tenant_id)
            ),
        );
        let endpoint_host = config.endpoint_host.clone();
        let front = Front::start(cluster, &endpoint_host, config.port, config.tls, |_| {
            EntraGate { config }
        });
        EntraFront {
            port: front.port,
            endpoint_host,
            ca_cert: front.ca_cert.clone(),
            front,
        }
    }

    /// psql connecting through the front as a client of the server would (see
    /// [`crate::iam_front::IamFront::psql_command`]): `host` the endpoint name, `hostaddr`
    /// 127.0.0.1, the password (token) in PGPASSWORD, never prompting. Add `-c SQL` and run it.
    pub fn psql_command(&self, user: &str, password: &str, sslmode: &str) -> Command {
        self.front.psql_command(user, password, sslmode)
    }

    /// Runs `sql` through [`EntraFront::psql_command`]: Ok(what psql printed, trimmed) or
    /// Err(its error output).
    pub fn psql(
        &self,
        user: &str,
        password: &str,
        sslmode: &str,
        sql: &str,
    ) -> Result<String, String> {
        self.front.psql(user, password, sslmode, sql)
    }

    /// Every password (token) clients sent, oldest first.
    pub fn passwords(&self) -> Vec<String> {
        self.front.passwords()
    }

    /// Every connection so far, oldest first.
    pub fn attempts(&self) -> Vec<Attempt> {
        self.front.attempts()
    }

    /// The outcome of `user`'s latest connection.
    pub fn last_outcome(&self, user: &str) -> Option<Outcome> {
        self.front.last_outcome(user)
    }

    /// The front's clock: now, as it checks `exp` and `nbf`.
    pub fn now(&self) -> DateTime<Utc> {
        self.front.now()
    }

    /// Runs the front's clock `skew` ahead of the system's (negative: behind).
    pub fn set_clock_skew(&self, skew: chrono::Duration) {
        self.front.set_clock_skew(skew)
    }

    /// Stops the front's clock at `at`.
    pub fn set_clock(&self, at: DateTime<Utc>) {
        self.front.set_clock(at)
    }
}

struct EntraGate {
    config: EntraFrontConfig,
}

/// SQLSTATE of the Azure-specific refusals (the rig's choice).
const AZURE_SQLSTATE: &str = "28000";

impl Gate for EntraGate {
    type Outcome = Outcome;
    const NAME: &'static str = "rig Entra front";

    async fn authenticate<'a>(&'a self, mut conn: Conn<'a>) -> Verdict<Outcome> {
        let outcome = self.check(&mut conn).await;
        let user = &conn.startup.user;
        let refuse = |sqlstate, message: String| Action::Refuse { sqlstate, message };
        let password_failed = || {
            refuse(
                "28P01",
                format!("password authentication failed for user \"{user}\""),
            )
        };
        let action = match &outcome {
                Outcome::PasswordAuth => Action::Cluster,
                Outcome::Accepted { .. } => Action::Trusted,
                Outcome::TlsRequired => refuse(
                    "28000",
                    format!(
                        "no pg_hba.conf entry for host \"127.0.0.1\", user \"{user}\", database \"{}\", no encryption",
                        conn.startup.database
                    ),
                ),
                Outcome::UnknownPrincipal => password_failed(),
                Outcome::Refused(r) => match r {
                    Refusal::Token(entra::Refusal::Expired { .. }) => refuse(
                        AZURE_SQLSTATE,
                        "The access token has expired. Please acquire a new token and retry.".into(),
                    ),
                    Refusal::Token(entra::Refusal::WrongAudience(_)) => refuse(
                        AZURE_SQLSTATE,
                        format!(
                            "The access token does not have a valid audience claim. Please acquire a new token for the resource \"{}\".",
                            self.config.audience
                        ),
                    ),
                    Refusal::Token(entra::Refusal::Malformed(_)) => refuse(
                        AZURE_SQLSTATE,
                        "The access token has invalid format. Please ensure the token is passed exactly as returned by the authentication endpoint and retry.".into(),
                    ),
                    Refusal::Token(_) => refuse(
                        AZURE_SQLSTATE,
                        "An error occurred while validating the access token. Please acquire a new token and retry".into(),
                    ),
                    Refusal::AppTokenForUser { .. } => refuse(
                        AZURE_SQLSTATE,
                        format!("Service Principals cannot generate AAD_AUTH_TOKENTYPE_APP_USER tokens for role[{user}]"),
                    ),
                    Refusal::OidMismatch { .. } | Refusal::NotInGroup { .. } => password_failed(),
                },
                Outcome::Failed(why) => refuse("08006", format!("{}: {why}", Self::NAME)),
            };
        Verdict { outcome, action }
    }
}

impl EntraGate {
    async fn check(&self, conn: &mut Conn<'_>) -> Outcome {
        if self.config.require_secure_transport && !conn.tls {
            return Outcome::TlsRequired;
        }
        let principal: Result<Option<(String, String)>, sqlx::Error> =
            sqlx::query_as(PRINCIPAL_SQL)
                .bind(&conn.startup.user)
                .fetch_optional(conn.pool)
                .await;
        let (role_oid, kind) = match principal {
            Err(e) => return Outcome::Failed(format!("Entra principal lookup: {e}")),
            Ok(None) if self.config.password_auth => return Outcome::PasswordAuth,
            Ok(None) => return Outcome::UnknownPrincipal,
            Ok(Some(p)) => p,
        };
        let token = match conn.ask_password().await {
            Ok(token) => token,
            Err(why) => return Outcome::Failed(why),
        };
        let expected = entra::Expected {
            jwks: &self.config.jwks,
            audience: &self.config.audience,
            tenant_id: &self.config.tenant_id,
            now: conn.now(),
        };
        let claims = match entra::verify(&token, &expected) {
            Ok(c) => c,
            Err(r) => return Outcome::Refused(Refusal::Token(r)),
        };
        let token_oid = claims.oid().unwrap_or_default().to_string();
        let refusal = match kind.as_str() {
            "user" if claims.idtyp() == "app" => Some(Refusal::AppTokenForUser {
                token_oid: token_oid.clone(),
            }),
            "group" if !claims.groups().contains(&role_oid) => Some(Refusal::NotInGroup {
                token_oid: token_oid.clone(),
                group_oid: role_oid,
            }),
            "group" => None,
            _ if !token_oid.eq_ignore_ascii_case(&role_oid) => Some(Refusal::OidMismatch {
                token_oid: token_oid.clone(),
                role_oid,
            }),
            _ => None,
        };
        match refusal {
            Some(r) => Outcome::Refused(r),
            None => Outcome::Accepted {
                oid: token_oid,
                appid: claims.appid().map(String::from),
            },
        }
    }
}
