//! An RDS stand-in: a PostgreSQL front that checks IAM auth tokens the way RDS does, in front of a
//! real rig cluster.
//!
//! Clients connect to the front as they would to an RDS endpoint. For each connection:
//!
//! 1. **Negotiation.** An SSLRequest is answered `S` and TLS follows, with a certificate the
//!    rig's CA signed for the endpoint's host name (so `sslmode=verify-full` against
//!    [`crate::Pki::ca_cert`] works); with [`IamFrontConfig::tls`] off it is answered `N` and the
//!    connection stays plain. A GSSENCRequest is answered `N`; a CancelRequest is passed to the
//!    real cluster. A StartupMessage of protocol 3.x is taken whatever x is: the real cluster
//!    negotiates the minor version itself (its NegotiateProtocolVersion is passed on).
//! 2. **StartupMessage.** The front reads `user` and `database` and asks the real cluster, as its
//!    superuser, whether the user is a member of `rds_iam` (directly or through other roles, as
//!    pg_hba.conf's `+rds_iam` means; being superuser does not count).
//! 3. **Not in rds_iam**: the StartupMessage goes on to the real cluster over TCP and the bytes are
//!    piped both ways from then on, so the cluster's own password (SCRAM) authentication runs
//!    between the client and the cluster.
//! 4. **In rds_iam**: the front sends AuthenticationCleartextPassword, reads the PasswordMessage
//!    and checks it as an IAM token ([`crate::iam_token::verify`]) for the front's endpoint,
//!    region, the login user and the front's clock. A refused token gets RDS's ErrorResponse,
//!    `FATAL 28000 PAM authentication failed for user "<user>"` (PostgreSQL's auth_failed() gives
//!    28P01 only to the password methods and 28000 to PAM; 28000 is also what live RDS is
//!    reported to send), and the reason goes to the front's log ([`IamFront::attempts`]). An
//!    accepted token: the front connects to the real cluster's Unix socket (trusted by the rig's
//!    default pg_hba.conf), sends the same StartupMessage, passes on AuthenticationOk,
//!    ParameterStatus, BackendKeyData and ReadyForQuery, and pipes bytes both ways.
//!
//! The front requires TLS for IAM logins by default ([`IamFrontConfig::iam_requires_tls`]), as
//! the rig reads RDS's IAM documentation; a plain IAM login is refused with the same message and
//! logged as [`Outcome::TlsRequired`].
//!
//! The protocol handling (steps 1, 3 and the relaying of step 4) is [`crate::pg_front`]'s, which
//! the Entra ID front ([`crate::entra_front`]) shares; this module is RDS's rule.

use crate::iam_token::{self, Credential, Refusal};
use crate::pg_front::{self, Action, Conn, Front, Gate, Verdict};
use crate::Cluster;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::process::Command;

/// How the front is set up.
#[derive(Debug, Clone)]
pub struct IamFrontConfig {
    /// The host name clients use and sign tokens for: the DB instance's endpoint address (for
    /// example moto's `<id>.aaaaaaaaaa.<region>.rds.amazonaws.com`), or `localhost`. The front
    /// still listens on 127.0.0.1 only: clients reach it with libpq's `hostaddr=127.0.0.1`.
    pub endpoint_host: String,
    /// Port to listen on; `None` = a free one.
    pub port: Option<u16>,
    /// The region tokens must be signed for.
    pub region: String,
    /// Access key id -> secret (and session token) that sign valid tokens.
    pub credentials: HashMap<String, Credential>,
    /// Offer TLS (answer SSLRequest with `S`). Default true.
    pub tls: bool,
    /// Refuse IAM logins on plain connections. Default true.
    pub iam_requires_tls: bool,
}

impl IamFrontConfig {
    /// Endpoint `localhost`, a free port, TLS offered and required for IAM logins.
    pub fn new(region: &str, credentials: HashMap<String, Credential>) -> IamFrontConfig {
        IamFrontConfig {
            endpoint_host: "localhost".into(),
            port: None,
            region: region.into(),
            credentials,
            tls: true,
            iam_requires_tls: true,
        }
    }
}

/// What the front decided for one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An rds_iam member's token was valid (signed with this access key); the session went on
    /// to the real cluster (which may still refuse it, e.g. for a missing database: that error is
    /// passed to the client).
    Accepted { access_key: String },
    /// An rds_iam member's token was refused, for this reason.
    Refused(Refusal),
    /// An rds_iam member connected without TLS.
    TlsRequired,
    /// Not an rds_iam member: handed to the real cluster's own password authentication.
    PasswordAuth,
    /// The connection failed for another reason (protocol, I/O, the real cluster).
    Failed(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Accepted { access_key } => write!(f, "IAM token accepted ({access_key})"),
            Outcome::Refused(r) => write!(f, "IAM token refused: {r}"),
            Outcome::TlsRequired => write!(f, "IAM login without TLS refused"),
            Outcome::PasswordAuth => write!(f, "not in rds_iam: password authentication"),
            Outcome::Failed(why) => write!(f, "failed: {why}"),
        }
    }
}

/// One connection's entry in the front's log.
pub type Attempt = pg_front::Attempt<Outcome>;

/// A running front; stops (closing its connections) when dropped.
pub struct IamFront {
    pub port: u16,
    pub endpoint_host: String,
    /// The CA that signed the front's certificate (the rig's CA).
    pub ca_cert: PathBuf,
    front: Front<Outcome>,
}

impl IamFront {
    /// Starts a front for `cluster` on 127.0.0.1 (its own thread and Tokio runtime, so it works
    /// from plain and async tests alike). Creates the role `rds_iam` on the cluster if missing.
    ///
    /// The cluster needs the rig's default pg_hba.conf, or lines like it: `local all all trust`
    /// (the front's superuser checks and IAM sessions) and `host all all 127.0.0.1/32
    /// scram-sha-256` (the password path).
    pub fn start(cluster: &Cluster, config: IamFrontConfig) -> IamFront {
        cluster.psql(
            "postgres",
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') \
             THEN CREATE ROLE rds_iam; END IF; END $$;",
        );
        let endpoint_host = config.endpoint_host.clone();
        let front = Front::start(cluster, &endpoint_host, config.port, config.tls, |port| {
            IamGate {
                endpoint: format!("{}:{port}", config.endpoint_host),
                config,
            }
        });
        IamFront {
            port: front.port,
            endpoint_host,
            ca_cert: front.ca_cert.clone(),
            front,
        }
    }

    /// `host:port` as tokens must name it.
    pub fn endpoint(&self) -> String {
        format!("{}:{}", self.endpoint_host, self.port)
    }

    /// psql connecting through the front as a client of the endpoint would: `host` is the
    /// endpoint's name (checked by `sslmode=verify-full` against the rig's CA), `hostaddr`
    /// 127.0.0.1, `password` in PGPASSWORD; no psqlrc, .pgpass or PG* variables of the caller;
    /// never prompts. Add `-c SQL` (or other arguments) and run it.
    pub fn psql_command(&self, user: &str, password: &str, sslmode: &str) -> Command {
        self.front.psql_command(user, password, sslmode)
    }

    /// Runs `sql` through [`IamFront::psql_command`]: Ok(what psql printed, trimmed) or
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

    /// The front's clock: now, as it checks token expiry.
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

/// Is `user` a member of rds_iam, directly or through other roles (pg_hba.conf's `+rds_iam`:
/// superuser does not count)?
const RDS_IAM_MEMBER_SQL: &str = include_str!("sql/rds_iam_member.sql");

/// RDS's rule: rds_iam members log in with a token, everyone else with their password.
struct IamGate {
    config: IamFrontConfig,
    endpoint: String,
}

impl Gate for IamGate {
    type Outcome = Outcome;
    const NAME: &'static str = "rig IAM front";

    /// Steps 2 and 4: decides how `startup.user` authenticates and, for rds_iam members, asks for
    /// and checks the token.
    async fn authenticate<'a>(&'a self, mut conn: Conn<'a>) -> Verdict<Outcome> {
        let outcome = self.check(&mut conn).await;
        let action = match &outcome {
            // Step 3: the real cluster authenticates the client itself.
            Outcome::PasswordAuth => Action::Cluster,
            // Step 4, accepted: a session as that user on the trusted socket.
            Outcome::Accepted { .. } => Action::Trusted,
            Outcome::Refused(_) | Outcome::TlsRequired => Action::Refuse {
                sqlstate: "28000",
                message: format!(
                    "PAM authentication failed for user \"{}\"",
                    conn.startup.user
                ),
            },
            Outcome::Failed(why) => Action::Refuse {
                sqlstate: "08006",
                message: format!("{}: {why}", Self::NAME),
            },
        };
        Verdict { outcome, action }
    }
}

impl IamGate {
    async fn check(&self, conn: &mut Conn<'_>) -> Outcome {
        let member: Result<bool, sqlx::Error> = sqlx::query_scalar(RDS_IAM_MEMBER_SQL)
            .bind(&conn.startup.user)
            .fetch_one(conn.pool)
            .await;
        match member {
            Err(e) => return Outcome::Failed(format!("rds_iam membership check: {e}")),
            Ok(false) => return Outcome::PasswordAuth,
            Ok(true) => {}
        }
        if self.config.iam_requires_tls && !conn.tls {
            return Outcome::TlsRequired;
        }
        let token = match conn.ask_password().await {
            Ok(token) => token,
            Err(why) => return Outcome::Failed(why),
        };
        let expected = iam_token::Expected {
            endpoint: &self.endpoint,
            region: &self.config.region,
            user: &conn.startup.user,
            now: conn.now(),
            credentials: &self.config.credentials,
        };
        match iam_token::verify(&token, &expected) {
            Ok(access_key) => Outcome::Accepted { access_key },
            Err(refusal) => Outcome::Refused(refusal),
        }
    }
}
