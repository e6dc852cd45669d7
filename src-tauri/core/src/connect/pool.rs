//! One connection pool per (integration, database), created on first use, reused afterwards, its
//! connections closed when idle. Pools of an edited or removed integration are dropped.

use crate::connect::{connect, ConnectSecrets};
use crate::error::Result;
use crate::integrations::model::PgEndpoint;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::Connection as _;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::Mutex;

/// Connections unused this long are closed; the pool object stays, empty, until used again.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(120);
pub const MAX_CONNECTIONS_PER_POOL: u32 = 4;

pub struct Pools {
    pools: Mutex<HashMap<(String, String), PgPool>>,
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

    /// The pool for `(integration_id, database)`; `secrets` is called only when a pool is created.
    pub async fn get<F>(
        &self,
        integration_id: &str,
        endpoint: &PgEndpoint,
        database: &str,
        secrets: F,
    ) -> Result<PgPool>
    where
        F: FnOnce() -> Result<ConnectSecrets>,
    {
        let key = (integration_id.to_string(), database.to_string());
        let mut pools = self.pools.lock().await;
        if let Some(p) = pools.get(&key) {
            if !p.is_closed() {
                return Ok(p.clone());
            }
        }
        let secrets = secrets()?;
        // Connect once first: it resolves libpq's `allow` and surfaces a clear error now.
        let (conn, opts) = connect(endpoint, &secrets, Some(database)).await?;
        let _ = conn.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS_PER_POOL)
            .min_connections(0)
            .idle_timeout(self.idle_timeout)
            .acquire_timeout(Duration::from_secs(endpoint.connect_timeout_secs as u64))
            .connect_lazy_with(opts);
        pools.insert(key, pool.clone());
        Ok(pool)
    }

    /// The live pool for `(integration_id, database)`, if one exists.
    pub async fn existing(&self, integration_id: &str, database: &str) -> Option<PgPool> {
        let pools = self.pools.lock().await;
        pools
            .get(&(integration_id.to_string(), database.to_string()))
            .filter(|p| !p.is_closed())
            .cloned()
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
            if let Some(p) = pools.remove(&k) {
                p.close().await;
            }
        }
    }

    /// How many pools are open (for diagnostics and tests).
    pub async fn count(&self) -> usize {
        self.pools.lock().await.len()
    }

    pub async fn close_all(&self) {
        let mut pools = self.pools.lock().await;
        for (_, p) in pools.drain() {
            p.close().await;
        }
    }
}
