//! Where a connection's credentials come from. A pool asks its source again whenever the
//! credential it holds is about to expire, so every new physical connection logs in with a valid
//! one: a saved password never expires (asked once), while an IAM or Entra token lives 15 to 60
//! minutes and is fetched anew.

use super::ConnectSecrets;
use crate::error::Result;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

/// What a connection logs in with, and until when it may.
#[derive(Debug, Clone, Default)]
pub struct Credential {
    pub secrets: ConnectSecrets,
    /// `None`: does not expire (a saved password).
    pub expires_at: Option<Instant>,
}

/// A credential this close to its expiry is replaced before a pool opens another connection.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

impl Credential {
    /// Whether a pool should ask its source again before opening connections.
    pub fn needs_refresh(&self, now: Instant) -> bool {
        self.expires_at
            .is_some_and(|at| at.saturating_duration_since(now) <= REFRESH_MARGIN)
    }
}

pub type CredentialFuture<'a> = Pin<Box<dyn Future<Output = Result<Credential>> + Send + 'a>>;

/// A source of credentials for one integration (one implementation per kind of integration).
pub trait CredentialSource: Send + Sync {
    fn fetch(&self) -> CredentialFuture<'_>;
}

/// Secrets read once (a self-hosted server's saved password and client key).
pub struct Fixed(pub ConnectSecrets);

impl CredentialSource for Fixed {
    fn fetch(&self) -> CredentialFuture<'_> {
        let secrets = self.0.clone();
        Box::pin(async move {
            Ok(Credential {
                secrets,
                expires_at: None,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_expiring_credentials_are_refreshed() {
        let now = Instant::now();
        assert!(!Credential::default().needs_refresh(now));
        let soon = Credential {
            expires_at: Some(now + Duration::from_secs(60)),
            ..Default::default()
        };
        assert!(soon.needs_refresh(now));
        let later = Credential {
            expires_at: Some(now + Duration::from_secs(900)),
            ..Default::default()
        };
        assert!(!later.needs_refresh(now));
        assert!(later.needs_refresh(now + Duration::from_secs(601)));
    }
}
