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

use crate::iam_token::{self, Credential, Refusal};
use crate::{pki, Cluster};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};

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
#[derive(Debug, Clone)]
pub struct Attempt {
    pub user: String,
    pub database: String,
    pub tls: bool,
    pub outcome: Outcome,
}

/// The front's clock: the system's moved by a skew, or a fixed instant.
#[derive(Debug, Clone, Copy)]
enum Clock {
    Skew(chrono::Duration),
    Fixed(DateTime<Utc>),
}

/// What the handle and the server thread share.
struct State {
    log: Mutex<Vec<Attempt>>,
    clock: Mutex<Clock>,
}

impl State {
    fn now(&self) -> DateTime<Utc> {
        match *self.clock.lock().unwrap() {
            Clock::Skew(d) => Utc::now() + d,
            Clock::Fixed(t) => t,
        }
    }

    fn record(&self, attempt: Attempt) {
        self.log.lock().unwrap().push(attempt);
    }
}

/// A running front; stops (closing its connections) when dropped.
pub struct IamFront {
    pub port: u16,
    pub endpoint_host: String,
    /// The CA that signed the front's certificate (the rig's CA).
    pub ca_cert: PathBuf,
    /// psql of the cluster's binaries, else the one on PATH.
    psql: PathBuf,
    state: Arc<State>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
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
        let listener = std::net::TcpListener::bind(("127.0.0.1", config.port.unwrap_or(0)))
            .expect("the front's port");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let acceptor = config.tls.then(|| {
            let (cert, key) = pki().server_cert_for(&config.endpoint_host);
            let identity = native_tls::Identity::from_pkcs8(
                &std::fs::read(cert).unwrap(),
                &std::fs::read(key).unwrap(),
            )
            .expect("the front's certificate and key");
            let acceptor = native_tls::TlsAcceptor::builder(identity)
                .min_protocol_version(Some(native_tls::Protocol::Tlsv12))
                .build()
                .expect("a TLS acceptor");
            tokio_native_tls::TlsAcceptor::from(acceptor)
        });
        let state = Arc::new(State {
            log: Mutex::new(Vec::new()),
            clock: Mutex::new(Clock::Skew(chrono::Duration::zero())),
        });
        let backend = Backend {
            socket_dir: cluster.cluster.socket_dir(),
            port: cluster.port,
            superuser: cluster.superuser.clone(),
        };
        let endpoint = format!("{}:{port}", config.endpoint_host);
        let endpoint_host = config.endpoint_host.clone();
        let (shutdown, stop) = tokio::sync::oneshot::channel();
        let thread_state = state.clone();
        let thread = std::thread::Builder::new()
            .name(format!("iam-front-{port}"))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    let server = Arc::new(Server {
                        pool: backend.superuser_pool(),
                        config,
                        endpoint,
                        acceptor,
                        backend,
                        state: thread_state,
                    });
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    tokio::pin!(stop);
                    loop {
                        tokio::select! {
                            _ = &mut stop => break,
                            accepted = listener.accept() => {
                                if let Ok((tcp, _)) = accepted {
                                    tokio::spawn(server.clone().serve(tcp));
                                }
                            }
                        }
                    }
                });
                // Dropping the runtime here ends the connections still open.
            })
            .unwrap();
        IamFront {
            port,
            endpoint_host,
            ca_cert: pki().ca_cert.clone(),
            psql: {
                let own = cluster.cluster.bin.bindir.join("psql");
                if own.exists() {
                    own
                } else {
                    PathBuf::from("psql")
                }
            },
            state,
            shutdown: Some(shutdown),
            thread: Some(thread),
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
        let conninfo = format!(
            "host={} hostaddr=127.0.0.1 port={} user={user} dbname=postgres sslmode={sslmode} \
             sslrootcert={}",
            self.endpoint_host,
            self.port,
            self.ca_cert.display()
        );
        let mut cmd = Command::new(&self.psql);
        cmd.env_clear()
            .env("PGPASSWORD", password)
            .env("PGPASSFILE", "/dev/null")
            .env("PGCONNECT_TIMEOUT", "10")
            .args(["-X", "-w", "-At", "-d", &conninfo]);
        cmd
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
        let out = self
            .psql_command(user, password, sslmode)
            .args(["-c", sql])
            .output()
            .expect("psql");
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Every connection so far, oldest first.
    pub fn attempts(&self) -> Vec<Attempt> {
        self.state.log.lock().unwrap().clone()
    }

    /// The outcome of `user`'s latest connection.
    pub fn last_outcome(&self, user: &str) -> Option<Outcome> {
        self.attempts()
            .into_iter()
            .rev()
            .find(|a| a.user == user)
            .map(|a| a.outcome)
    }

    /// The front's clock: now, as it checks token expiry.
    pub fn now(&self) -> DateTime<Utc> {
        self.state.now()
    }

    /// Runs the front's clock `skew` ahead of the system's (negative: behind).
    pub fn set_clock_skew(&self, skew: chrono::Duration) {
        *self.state.clock.lock().unwrap() = Clock::Skew(skew);
    }

    /// Stops the front's clock at `at`.
    pub fn set_clock(&self, at: DateTime<Utc>) {
        *self.state.clock.lock().unwrap() = Clock::Fixed(at);
    }
}

impl Drop for IamFront {
    fn drop(&mut self) {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The real cluster behind the front.
struct Backend {
    socket_dir: PathBuf,
    port: u16,
    superuser: String,
}

impl Backend {
    fn socket(&self) -> PathBuf {
        self.socket_dir.join(format!(".s.PGSQL.{}", self.port))
    }

    fn tcp(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The superuser's connections for membership checks, over the trusted Unix socket.
    fn superuser_pool(&self) -> sqlx::PgPool {
        let options = sqlx::postgres::PgConnectOptions::new()
            .socket(&self.socket_dir)
            .port(self.port)
            .username(&self.superuser)
            .database("postgres")
            .application_name("grantry-rig-iam-front");
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect_lazy_with(options)
    }
}

/// A client connection, plain or TLS.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// Codes of the packets that may open a connection besides a StartupMessage (whose code is the
/// protocol version, 3.x: `3 << 16 | x`).
const SSL_REQUEST: i32 = 80877103;
const GSSENC_REQUEST: i32 = 80877104;
const CANCEL_REQUEST: i32 = 80877102;

/// PostgreSQL refuses authentication packets longer than this (PG_MAX_AUTH_TOKEN_LENGTH).
const MAX_PASSWORD_MESSAGE: usize = 65535;

/// Is `user` a member of rds_iam, directly or through other roles (pg_hba.conf's `+rds_iam`:
/// superuser does not count)?
const RDS_IAM_MEMBER_SQL: &str = include_str!("sql/rds_iam_member.sql");

struct Server {
    config: IamFrontConfig,
    endpoint: String,
    acceptor: Option<tokio_native_tls::TlsAcceptor>,
    backend: Backend,
    pool: sqlx::PgPool,
    state: Arc<State>,
}

/// The StartupMessage as read (to pass on unchanged) and the parameters in it.
struct Startup {
    packet: Vec<u8>,
    user: String,
    database: String,
}

impl Server {
    /// One client connection, from the first packet to the end of the session.
    async fn serve(self: Arc<Self>, tcp: TcpStream) {
        let mut client: Box<dyn Stream> = Box::new(tcp);
        let mut tls = false;
        // Step 1: SSLRequest / GSSENCRequest / CancelRequest, until the StartupMessage.
        let startup = loop {
            let Ok(packet) = read_startup_packet(&mut client).await else {
                return;
            };
            match i32::from_be_bytes(packet[4..8].try_into().unwrap()) {
                SSL_REQUEST if !tls && self.acceptor.is_some() => {
                    if client.write_all(b"S").await.is_err() {
                        return;
                    }
                    let acceptor = self.acceptor.as_ref().unwrap();
                    match acceptor.accept(client).await {
                        Ok(stream) => client = Box::new(stream),
                        Err(_) => return,
                    }
                    tls = true;
                }
                SSL_REQUEST | GSSENC_REQUEST => {
                    if client.write_all(b"N").await.is_err() {
                        return;
                    }
                }
                CANCEL_REQUEST => {
                    if let Ok(mut s) = UnixStream::connect(self.backend.socket()).await {
                        let _ = s.write_all(&packet).await;
                    }
                    return;
                }
                // 3.0, or a later 3.x that the real cluster negotiates itself.
                code if code >> 16 == 3 => match parse_startup(packet) {
                    Some(s) => break s,
                    None => {
                        let _ = client
                            .write_all(&fatal(
                                "28000",
                                "no PostgreSQL user name specified in startup packet",
                            ))
                            .await;
                        return;
                    }
                },
                other => {
                    let _ = client
                        .write_all(&fatal(
                            "0A000",
                            &format!(
                                "unsupported frontend protocol {}.{}",
                                other >> 16,
                                other & 0xffff
                            ),
                        ))
                        .await;
                    return;
                }
            }
        };
        let outcome = self.authenticate(&mut client, &startup, tls).await;
        self.state.record(Attempt {
            user: startup.user.clone(),
            database: startup.database.clone(),
            tls,
            outcome: outcome.clone(),
        });
        match outcome {
            // Step 3: the real cluster authenticates the client itself.
            Outcome::PasswordAuth => {
                if let Ok(mut backend) = TcpStream::connect(self.backend.tcp()).await {
                    if backend.write_all(&startup.packet).await.is_ok() {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut backend).await;
                    }
                }
            }
            // Step 4, accepted: a session as that user on the trusted socket.
            Outcome::Accepted { .. } => self.relay_trusted_session(client, &startup).await,
            Outcome::Refused(_) | Outcome::TlsRequired => {
                let message = format!("PAM authentication failed for user \"{}\"", startup.user);
                let _ = client.write_all(&fatal("28000", &message)).await;
            }
            Outcome::Failed(why) => {
                let _ = client
                    .write_all(&fatal("08006", &format!("rig IAM front: {why}")))
                    .await;
            }
        }
    }

    /// Steps 2 and 4: decides how `startup.user` authenticates and, for rds_iam members, asks for
    /// and checks the token.
    async fn authenticate(
        &self,
        client: &mut Box<dyn Stream>,
        startup: &Startup,
        tls: bool,
    ) -> Outcome {
        let member: Result<bool, sqlx::Error> = sqlx::query_scalar(RDS_IAM_MEMBER_SQL)
            .bind(&startup.user)
            .fetch_one(&self.pool)
            .await;
        match member {
            Err(e) => return Outcome::Failed(format!("rds_iam membership check: {e}")),
            Ok(false) => return Outcome::PasswordAuth,
            Ok(true) => {}
        }
        if self.config.iam_requires_tls && !tls {
            return Outcome::TlsRequired;
        }
        // AuthenticationCleartextPassword: 'R', length 8, code 3.
        if client
            .write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 3])
            .await
            .is_err()
        {
            return Outcome::Failed("client went away before the password request".into());
        }
        let token = match read_message(client, MAX_PASSWORD_MESSAGE).await {
            Ok((b'p', body)) => {
                let body = body.strip_suffix(b"\0").unwrap_or(&body);
                String::from_utf8_lossy(body).into_owned()
            }
            Ok((kind, _)) => {
                return Outcome::Failed(format!(
                    "expected a PasswordMessage, got message type {:?}",
                    kind as char
                ))
            }
            Err(e) => return Outcome::Failed(format!("no password from the client: {e}")),
        };
        let expected = iam_token::Expected {
            endpoint: &self.endpoint,
            region: &self.config.region,
            user: &startup.user,
            now: self.state.now(),
            credentials: &self.config.credentials,
        };
        match iam_token::verify(&token, &expected) {
            Ok(access_key) => Outcome::Accepted { access_key },
            Err(refusal) => Outcome::Refused(refusal),
        }
    }

    /// After an accepted token: sends the client's StartupMessage to the real cluster's Unix
    /// socket (trust), passes on its AuthenticationOk (or its error) and then pipes the session
    /// (ParameterStatus, BackendKeyData, ReadyForQuery and everything after) both ways.
    async fn relay_trusted_session(&self, mut client: Box<dyn Stream>, startup: &Startup) {
        let mut backend = match UnixStream::connect(self.backend.socket()).await {
            Ok(s) => s,
            Err(e) => {
                let _ = client
                    .write_all(&fatal(
                        "08006",
                        &format!("rig IAM front: the real cluster's socket: {e}"),
                    ))
                    .await;
                return;
            }
        };
        if backend.write_all(&startup.packet).await.is_err() {
            return;
        }
        // NegotiateProtocolVersion (a client asked for a newer 3.x) comes before the answer.
        let (kind, body) = loop {
            match read_message(&mut backend, 1 << 20).await {
                Ok((b'v', body)) => {
                    if client
                        .write_all(&encode_message(b'v', &body))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Ok(m) => break m,
                Err(_) => return,
            }
        };
        let authentication_ok = kind == b'R' && body == [0, 0, 0, 0];
        if authentication_ok || kind == b'E' {
            let _ = client.write_all(&encode_message(kind, &body)).await;
        } else {
            let why = "the real cluster asked for authentication on its Unix socket: \
                       give it a `local all all trust` line";
            let _ = client
                .write_all(&fatal("08006", &format!("rig IAM front: {why}")))
                .await;
        }
        if authentication_ok {
            let _ = tokio::io::copy_bidirectional(&mut client, &mut backend).await;
        }
    }
}

/// Reads a length-prefixed packet without a type byte (SSLRequest, StartupMessage, ...), whole.
async fn read_startup_packet(s: &mut Box<dyn Stream>) -> std::io::Result<Vec<u8>> {
    let len = s.read_i32().await?;
    if !(8..=10_000).contains(&len) {
        return Err(std::io::Error::other("bad startup packet length"));
    }
    let mut packet = len.to_be_bytes().to_vec();
    packet.resize(len as usize, 0);
    s.read_exact(&mut packet[4..]).await?;
    Ok(packet)
}

/// The StartupMessage's `user` and `database` (which defaults to the user).
fn parse_startup(packet: Vec<u8>) -> Option<Startup> {
    let mut fields = packet[8..]
        .split(|b| *b == 0)
        .map(|f| String::from_utf8_lossy(f).into_owned());
    let mut params = HashMap::new();
    while let (Some(k), Some(v)) = (fields.next(), fields.next()) {
        if k.is_empty() {
            break;
        }
        params.insert(k, v);
    }
    let user = params.get("user").filter(|u| !u.is_empty())?.clone();
    let database = params
        .get("database")
        .cloned()
        .unwrap_or_else(|| user.clone());
    Some(Startup {
        packet,
        user,
        database,
    })
}

/// Reads one typed message (type byte, length, body); refuses bodies longer than `max`.
async fn read_message<S: AsyncRead + Unpin + ?Sized>(
    s: &mut S,
    max: usize,
) -> std::io::Result<(u8, Vec<u8>)> {
    let kind = s.read_u8().await?;
    let len = s.read_i32().await?;
    if len < 4 || len as usize - 4 > max {
        return Err(std::io::Error::other(format!("message of length {len}")));
    }
    let mut body = vec![0; len as usize - 4];
    s.read_exact(&mut body).await?;
    Ok((kind, body))
}

fn encode_message(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    out.extend(((body.len() + 4) as i32).to_be_bytes());
    out.extend(body);
    out
}

/// An ErrorResponse of severity FATAL with a SQLSTATE and a message, as the server sends them.
fn fatal(sqlstate: &str, message: &str) -> Vec<u8> {
    let mut body = Vec::new();
    for (field, value) in [
        (b'S', "FATAL"),
        (b'V', "FATAL"),
        (b'C', sqlstate),
        (b'M', message),
    ] {
        body.push(field);
        body.extend(value.as_bytes());
        body.push(0);
    }
    body.push(0);
    encode_message(b'E', &body)
}
