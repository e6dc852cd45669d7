//! One connection pool per (integration, database), created on first use, reused afterwards, its
//! connections closed when idle. Pools of an edited or removed integration are dropped. Each pool
//! takes its credentials from a [`CredentialSource`], asked again before they expire.

use super::credentials::{Credential, CredentialSource};
use crate::connect::{connect, connect_options};
use crate::error::Result;
use crate::integrations::model::PgEndpoint;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::Connection as _;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Connections unused this long are closed; the pool object stays, empty, until used again.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(120);
pub const MAX_CONNECTIONS_PER_POOL: u32 = 4;

struct Entry {
    pool: PgPool,
    source: Arc<dyn CredentialSource>,
    credential: Credential,
    endpoint: PgEndpoint,
    /// The SSL mode the first connection settled on (libpq's `allow` may have moved to TLS).
    ssl_mode: sqlx::postgres::PgSslMode,
}

pub struct Pools {
    pools: Mutex<HashMap<(String, String), Entry>>,
    idle_timeout: Duration,
}

impl Default for Pools {
    fn default() -> Self {
        Self::with_idle_timeout(IDLE_TIMEOUT)
    }
}

impl Pools {
    pub fn with_idle_timeout(idle_timeout: Duration) -> Self {
        Pools {
            pools: Mutex::new(HashMap::new()),
            idle_timeout,
        }
    }

    /// The pool for `(integration_id, database)`. `source` is called only when a pool is
    /// created; the pool's credential comes from it then, and again whenever it is about to
    /// expire, before the pool may open another connection.
    pub async fn get<F, Fut>(
        &self,
        integration_id: &str,
        endpoint: &PgEndpoint,
        database: &str,
        source: F,
    ) -> Result<PgPool>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Arc<dyn CredentialSource>>>,
    {
        let key = (integration_id.to_string(), database.to_string());
        let mut pools = self.pools.lock().await;
        if let Some(e) = pools.get_mut(&key) {
            if !e.pool.is_closed() {
                if e.credential.needs_refresh(Instant::now()) {
                    let fresh = e.source.fetch().await?;
                    let opts = connect_options(&e.endpoint, &fresh.secrets, Some(database))?
                        .ssl_mode(e.ssl_mode);
                    e.pool.set_connect_options(opts);
                    e.credential = fresh;
                }
                // A server that went away is said at once, with its real cause, not after the
                // pool's wait (sqlx retries refused connections until its acquire timeout,
                // then reports only that it timed out). Probed on every use: a server stopped
                // just after a probe would otherwise cost that whole wait (one TCP handshake,
                // well under a millisecond on a LAN, one round trip to a remote server).
                probe(&e.endpoint).await?;
                return Ok(e.pool.clone());
            }
        }
        let source = source().await?;
        let credential = source.fetch().await?;
        // Connect once first: it resolves libpq's `allow` and surfaces a clear error now.
        let (mut conn, opts) = connect(endpoint, &credential.secrets, Some(database)).await?;
        // A template database (template1 above all) copies only while no one else is
        // connected to it: CREATE DATABASE waits 5 s for other sessions, then fails. Its
        // connections close as soon as they are released, never held idle.
        let template: bool = sqlx::query_scalar(
            "SELECT datistemplate FROM pg_database WHERE datname = current_database()",
        )
        .fetch_optional(&mut conn)
        .await
        .map_err(|e| super::classify(&e))?
        .unwrap_or(false);
        let _ = conn.close().await;
        let ssl_mode = opts.get_ssl_mode();
        let pool = PgPoolOptions::new()
            .after_release(move |_, _| Box::pin(async move { Ok(!template) }))
            .max_connections(MAX_CONNECTIONS_PER_POOL)
            .min_connections(0)
            .idle_timeout(self.idle_timeout)
            // 0 (no limit, as in libpq): a day.
            .acquire_timeout(
                super::connect_timeout(endpoint).unwrap_or(Duration::from_secs(86_400)),
            )
            .connect_lazy_with(opts);
        pools.insert(
            key,
            Entry {
                pool: pool.clone(),
                source,
                credential,
                endpoint: endpoint.clone(),
                ssl_mode,
            },
        );
        Ok(pool)
    }

    /// Closes and forgets every pool of one integration.
    pub async fn forget(&self, integration_id: &str) {
        let mut pools = self.pools.lock().await;
        let keys: Vec<_> = pools
            .keys()
            .filter(|(id, _)| id == integration_id)
            .cloned()
            .collect();
        for k in keys {
            if let Some(e) = pools.remove(&k) {
                e.pool.close().await;
            }
        }
    }

    /// How many pools are open (for diagnostics and tests).
    pub async fn count(&self) -> usize {
        self.pools.lock().await.len()
    }

    pub async fn close_all(&self) {
        let mut pools = self.pools.lock().await;
        for (_, e) in pools.drain() {
            e.pool.close().await;
        }
    }
}

/// Whether the server's port (or socket) takes connections at all: refused, unreachable or
/// unresolvable is an error with its real cause, within two seconds.
async fn probe(endpoint: &crate::integrations::model::PgEndpoint) -> Result<()> {
    use crate::error::{Error, ErrorCode};
    let limit = Duration::from_secs(2);
    let attempt = async {
        #[cfg(unix)]
        if let Some(socket) = endpoint.unix_socket() {
            return tokio::net::UnixStream::connect(socket).await.map(|_| ());
        }
        tokio::net::TcpStream::connect((endpoint.host.as_str(), endpoint.port))
            .await
            .map(|_| ())
    };
    match tokio::time::timeout(limit, attempt).await {
        Ok(Ok(())) => Ok(()),
        // Refused, or a Unix socket that is not there: said as a connection says it.
        Ok(Err(e))
            if matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::NotFound
            ) =>
        {
            let (kind, message) = super::io_kind(&e);
            Err(super::located(
                Error::new(kind.code(), message),
                endpoint,
                None,
            ))
        }
        Ok(Err(e)) => Err(Error::new(
            ErrorCode::Network,
            format!("cannot reach {}:{}: {e}", endpoint.host, endpoint.port),
        )),
        // Slow, not refused: the pool's own timeout applies.
        Err(_) => Ok(()),
    }
}
