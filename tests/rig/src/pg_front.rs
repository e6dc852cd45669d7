//! What the rig's managed-service stand-ins ([`crate::iam_front`], [`crate::entra_front`]) share:
//! a PostgreSQL protocol front on 127.0.0.1 in front of a real rig cluster, which decides how each
//! login authenticates through a [`Gate`] and then either hands the connection to the cluster's
//! own authentication, opens a session on the cluster's trusted Unix socket, or refuses it.
//!
//! For each connection:
//!
//! 1. **Negotiation.** An SSLRequest is answered `S` and TLS follows, with a certificate the
//!    rig's CA signed for the endpoint's host name; without TLS it is answered `N` and the
//!    connection stays plain. A GSSENCRequest is answered `N`; a CancelRequest is passed to the
//!    real cluster. A StartupMessage of protocol 3.x is taken whatever x is: the real cluster
//!    negotiates the minor version itself (its NegotiateProtocolVersion is passed on).
//! 2. **The gate** reads `user` and `database` from the StartupMessage, may ask the real cluster
//!    (as its superuser, over the trusted socket) about the role, may ask the client for a
//!    cleartext password ([`Conn::ask_password`]) and returns a [`Verdict`]: the outcome to log and
//!    the [`Action`] to take.
//! 3. **[`Action::Cluster`]**: the StartupMessage goes on to the real cluster over TCP and the bytes
//!    are piped both ways, so the cluster's own password (SCRAM) authentication runs between the
//!    client and the cluster. **[`Action::Trusted`]**: the front connects to the cluster's Unix
//!    socket (trusted by the rig's default pg_hba.conf), sends the same StartupMessage, passes on
//!    AuthenticationOk (or the cluster's error) and pipes the session. **[`Action::Refuse`]**: a
//!    FATAL ErrorResponse with the gate's SQLSTATE and message.

use crate::{pki, Cluster};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};

/// One connection's entry in a front's log.
#[derive(Debug, Clone)]
pub struct Attempt<O> {
    pub user: String,
    pub database: String,
    pub tls: bool,
    pub outcome: O,
}

/// A clock that a test can move: the system's moved by a skew, or a fixed instant.
#[derive(Debug)]
pub(crate) struct TestClock(Mutex<Clock>);

#[derive(Debug, Clone, Copy)]
enum Clock {
    Skew(chrono::Duration),
    Fixed(DateTime<Utc>),
}

impl TestClock {
    pub(crate) fn new() -> TestClock {
        TestClock(Mutex::new(Clock::Skew(chrono::Duration::zero())))
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        match *self.0.lock().unwrap() {
            Clock::Skew(d) => Utc::now() + d,
            Clock::Fixed(t) => t,
        }
    }

    pub(crate) fn set_skew(&self, skew: chrono::Duration) {
        *self.0.lock().unwrap() = Clock::Skew(skew);
    }

    pub(crate) fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap() = Clock::Fixed(at);
    }
}

/// What a front's handle and its server thread share.
struct State<O> {
    log: Mutex<Vec<Attempt<O>>>,
    clock: TestClock,
    /// Every password (token) a client sent, oldest first: what a leak test looks for.
    passwords: Mutex<Vec<String>>,
}

/// What to do with a connection once the gate has decided.
#[derive(Debug, Clone)]
pub(crate) enum Action {
    /// Hand it to the real cluster's own authentication (over TCP).
    Cluster,
    /// A session as the StartupMessage's user on the cluster's trusted Unix socket.
    Trusted,
    /// Send `FATAL <sqlstate> <message>` and close.
    Refuse {
        sqlstate: &'static str,
        message: String,
    },
}

/// The gate's decision for one connection: what to log and what to do.
pub(crate) struct Verdict<O> {
    pub outcome: O,
    pub action: Action,
}

/// The part of a front that differs between the stand-ins: who authenticates how.
pub(crate) trait Gate: Send + Sync + 'static {
    type Outcome: Clone + Send + 'static;

    /// Names the front in its own error messages ("rig IAM front: ...").
    const NAME: &'static str;

    /// Decides how `conn.startup.user` authenticates.
    fn authenticate<'a>(
        &'a self,
        conn: Conn<'a>,
    ) -> impl Future<Output = Verdict<Self::Outcome>> + Send + 'a;
}

/// What a gate sees of a connection.
pub(crate) struct Conn<'a> {
    pub startup: &'a Startup,
    pub tls: bool,
    /// The real cluster's superuser, over its trusted socket, on database `postgres`.
    pub pool: &'a sqlx::PgPool,
    clock: &'a TestClock,
    client: &'a mut Box<dyn Stream>,
    passwords: &'a Mutex<Vec<String>>,
}

impl Conn<'_> {
    /// The front's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Sends AuthenticationCleartextPassword and reads the PasswordMessage: the password, or why
    /// there is none.
    pub async fn ask_password(&mut self) -> Result<String, String> {
        // AuthenticationCleartextPassword: 'R', length 8, code 3.
        if self
            .client
            .write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 3])
            .await
            .is_err()
        {
            return Err("client went away before the password request".into());
        }
        match read_message(self.client, MAX_PASSWORD_MESSAGE).await {
            Ok((b'p', body)) => {
                let body = body.strip_suffix(b"\0").unwrap_or(&body);
                let password = String::from_utf8_lossy(body).into_owned();
                self.passwords.lock().unwrap().push(password.clone());
                Ok(password)
            }
            Ok((kind, _)) => Err(format!(
                "expected a PasswordMessage, got message type {:?}",
                kind as char
            )),
            Err(e) => Err(format!("no password from the client: {e}")),
        }
    }
}

/// A running front; stops (closing its connections) when dropped.
pub(crate) struct Front<O> {
    pub port: u16,
    pub endpoint_host: String,
    /// The CA that signed the front's certificate (the rig's CA).
    pub ca_cert: PathBuf,
    /// psql of the cluster's binaries, else the one on PATH.
    psql: PathBuf,
    state: Arc<State<O>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl<O: Clone + Send + 'static> Front<O> {
    /// Starts a front for `cluster` on 127.0.0.1 (its own thread and Tokio runtime, so it works
    /// from plain and async tests alike), on `port` or a free one, offering TLS with a
    /// certificate for `endpoint_host` when `tls`. `gate` is made once the port is known.
    pub fn start<G: Gate<Outcome = O>>(
        cluster: &Cluster,
        endpoint_host: &str,
        port: Option<u16>,
        tls: bool,
        gate: impl FnOnce(u16) -> G,
    ) -> Front<O> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port.unwrap_or(0)))
            .expect("the front's port");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let acceptor = tls.then(|| {
            let (cert, key) = pki().server_cert_for(endpoint_host);
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
            clock: TestClock::new(),
            passwords: Mutex::new(Vec::new()),
        });
        let backend = Backend {
            socket_dir: cluster.cluster.socket_dir(),
            port: cluster.port,
            superuser: cluster.superuser.clone(),
        };
        let gate = gate(port);
        let (shutdown, stop) = tokio::sync::oneshot::channel();
        let thread_state = state.clone();
        let thread = std::thread::Builder::new()
            .name(format!("pg-front-{port}"))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    let server = Arc::new(Server {
                        pool: backend.superuser_pool(G::NAME),
                        gate,
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
        Front {
            port,
            endpoint_host: endpoint_host.to_string(),
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

    /// Runs `sql` through [`Front::psql_command`]: Ok(what psql printed, trimmed) or Err(its
    /// error output).
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
    pub fn attempts(&self) -> Vec<Attempt<O>> {
        self.state.log.lock().unwrap().clone()
    }

    /// Every password (token) clients sent, oldest first.
    pub fn passwords(&self) -> Vec<String> {
        self.state.passwords.lock().unwrap().clone()
    }

    /// The outcome of `user`'s latest connection.
    pub fn last_outcome(&self, user: &str) -> Option<O> {
        self.attempts()
            .into_iter()
            .rev()
            .find(|a| a.user == user)
            .map(|a| a.outcome)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.state.clock.now()
    }

    pub fn set_clock_skew(&self, skew: chrono::Duration) {
        self.state.clock.set_skew(skew);
    }

    pub fn set_clock(&self, at: DateTime<Utc>) {
        self.state.clock.set(at);
    }
}

impl<O> Drop for Front<O> {
    fn drop(&mut self) {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The real cluster behind a front.
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

    /// The superuser's connections for the gate's checks, over the trusted Unix socket.
    fn superuser_pool(&self, name: &str) -> sqlx::PgPool {
        let options = sqlx::postgres::PgConnectOptions::new()
            .socket(&self.socket_dir)
            .port(self.port)
            .username(&self.superuser)
            .database("postgres")
            .application_name(&name.replace(' ', "-"));
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect_lazy_with(options)
    }
}

/// A client connection, plain or TLS.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// Codes of the packets that may open a connection besides a StartupMessage (whose code is the
/// protocol version, 3.x: `3 << 16 | x`).
const SSL_REQUEST: i32 = 80877103;
const GSSENC_REQUEST: i32 = 80877104;
const CANCEL_REQUEST: i32 = 80877102;

/// PostgreSQL refuses authentication packets longer than this (PG_MAX_AUTH_TOKEN_LENGTH).
const MAX_PASSWORD_MESSAGE: usize = 65535;

struct Server<G: Gate> {
    gate: G,
    acceptor: Option<tokio_native_tls::TlsAcceptor>,
    backend: Backend,
    pool: sqlx::PgPool,
    state: Arc<State<G::Outcome>>,
}

/// The StartupMessage as read (to pass on unchanged) and the parameters in it.
pub(crate) struct Startup {
    packet: Vec<u8>,
    pub user: String,
    pub database: String,
}

impl<G: Gate> Server<G> {
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
        // Step 2: the gate decides.
        let verdict = self
            .gate
            .authenticate(Conn {
                startup: &startup,
                tls,
                pool: &self.pool,
                clock: &self.state.clock,
                client: &mut client,
                passwords: &self.state.passwords,
            })
            .await;
        self.state.log.lock().unwrap().push(Attempt {
            user: startup.user.clone(),
            database: startup.database.clone(),
            tls,
            outcome: verdict.outcome,
        });
        // Step 3.
        match verdict.action {
            Action::Cluster => {
                if let Ok(mut backend) = TcpStream::connect(self.backend.tcp()).await {
                    if backend.write_all(&startup.packet).await.is_ok() {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut backend).await;
                    }
                }
            }
            Action::Trusted => self.relay_trusted_session(client, &startup).await,
            Action::Refuse { sqlstate, message } => {
                let _ = client.write_all(&fatal(sqlstate, &message)).await;
            }
        }
    }

    /// Sends the client's StartupMessage to the real cluster's Unix socket (trust), passes on its
    /// AuthenticationOk (or its error) and then pipes the session (ParameterStatus,
    /// BackendKeyData, ReadyForQuery and everything after) both ways.
    async fn relay_trusted_session(&self, mut client: Box<dyn Stream>, startup: &Startup) {
        let mut backend = match UnixStream::connect(self.backend.socket()).await {
            Ok(s) => s,
            Err(e) => {
                let _ = client
                    .write_all(&fatal(
                        "08006",
                        &format!("{}: the real cluster's socket: {e}", G::NAME),
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
                .write_all(&fatal("08006", &format!("{}: {why}", G::NAME)))
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
