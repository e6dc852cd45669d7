//! The context every feature works in: the data directory, the local store, the secrets and the
//! connection pools. It holds no feature's state; features (integrations, catalog, privileges,
//! audit, sandbox) borrow it.

pub mod home;

use crate::connect::credentials::{CredentialSource, Fixed};
use crate::connect::pool::Pools;
use crate::connect::ConnectSecrets;
use crate::connect::{aws, azure};
use crate::error::{Error, ErrorCode, Result};
use crate::integrations::model::{
    AwsCredentials, AzureAuth, Connection, DbAuth, KeySource, PasswordStorage,
};
use crate::secrets::Secret;
use crate::secrets::{Keychain, SecretKind, SecretStore, Vault};
use crate::store::{Store, StoredIntegration};
use home::Home;
use sqlx::postgres::PgPool;
use std::sync::Arc;

pub const KEYCHAIN_SERVICE: &str = "grantry";

pub struct OpenOptions {
    /// Data directory; `None` resolves `$GRANTRY_HOME` or the OS data dir.
    pub home: Option<std::path::PathBuf>,
    /// Secret store; `None` means the OS keychain.
    pub secrets: Option<Arc<dyn SecretStore>>,
    /// How long an unused pooled connection stays open; `None` is
    /// [`crate::connect::pool::IDLE_TIMEOUT`].
    pub pool_idle_timeout: Option<std::time::Duration>,
}

impl OpenOptions {
    /// The defaults: `$GRANTRY_HOME` (or the OS data dir) and the OS keychain.
    pub fn system() -> Self {
        OpenOptions {
            home: None,
            secrets: None,
            pool_idle_timeout: None,
        }
    }
}

pub struct App {
    home: Home,
    store: Store,
    secrets: Vault,
    pools: Pools,
}

impl App {
    pub async fn open(opts: OpenOptions) -> Result<Self> {
        let home = match opts.home {
            Some(h) => Home::at(h)?,
            None => Home::resolve()?,
        };
        let store = Store::open(&home.store_path()).await?;
        // A run still "started" long after it began belongs to a process that is gone. A store
        // that cannot be written (read-only data dir) still opens for reading: runs refuse later.
        let _ = store.close_abandoned_runs(chrono::Duration::hours(1)).await;
        let secrets = opts
            .secrets
            .unwrap_or_else(|| Arc::new(Keychain::new(KEYCHAIN_SERVICE)));
        Ok(App {
            home,
            store,
            secrets: Vault::new(secrets),
            pools: Pools::with_idle_timeout(
                opts.pool_idle_timeout
                    .unwrap_or(crate::connect::pool::IDLE_TIMEOUT),
            ),
        })
    }

    pub fn home(&self) -> &Home {
        &self.home
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn secrets(&self) -> &Vault {
        &self.secrets
    }

    /// A saved integration by name or id.
    pub async fn integration(&self, name_or_id: &str) -> Result<StoredIntegration> {
        self.store.get(name_or_id).await
    }

    /// What connecting to `it` needs from the keychain or the session.
    pub async fn connect_secrets(&self, it: &StoredIntegration) -> Result<ConnectSecrets> {
        let password = match it.password_storage {
            // No password saved, but one may be given for this session.
            PasswordStorage::None => self.secrets.session_get(&it.id, SecretKind::Password),
            PasswordStorage::Session => Some(
                self.secrets
                    .session_get(&it.id, SecretKind::Password)
                    .ok_or_else(|| {
                        Error::new(
                            ErrorCode::SecretMissing,
                            format!(
                                "integration {:?} does not save its password: give it for this session",
                                it.name
                            ),
                        )
                    })?,
            ),
            PasswordStorage::Keychain => {
                let id = it.id.clone();
                Some(
                    self.secrets
                        .keychain(move |k| k.get(&id, SecretKind::Password))
                        .await?
                        .ok_or_else(|| {
                            Error::new(
                                ErrorCode::SecretMissing,
                                format!(
                                    "the keychain has no password for integration {:?}",
                                    it.name
                                ),
                            )
                        })?,
                )
            }
        };
        let client_key_pem = match &it.connection.endpoint().client_key {
            Some(KeySource::Keychain) => {
                let id = it.id.clone();
                let key = match self.secrets.session_get(&it.id, SecretKind::ClientKey) {
                    Some(k) => Some(k),
                    None => {
                        self.secrets
                            .keychain(move |k| k.get(&id, SecretKind::ClientKey))
                            .await?
                    }
                };
                Some(key.ok_or_else(|| {
                    Error::new(
                        ErrorCode::SecretMissing,
                        format!("the keychain has no client key for {:?}", it.name),
                    )
                })?)
            }
            _ => None,
        };
        Ok(ConnectSecrets {
            password,
            client_key_pem,
        })
    }

    /// The pool for one database of an integration (its default database when `None`).
    pub async fn pool(&self, name_or_id: &str, database: Option<&str>) -> Result<PgPool> {
        if database.is_some_and(|d| d.is_empty()) {
            return Err(Error::invalid("the database name is empty").at("database"));
        }
        let it = self.store.get(name_or_id).await?;
        let endpoint = it.connection.endpoint();
        let db = database.unwrap_or(&endpoint.database);
        // Secrets are read only when a pool must be created.
        self.pools
            .get(&it.id, endpoint, db, || self.credential_source(&it))
            .await
    }

    /// Where connections to `it` take their credentials from, by kind of integration.
    pub async fn credential_source(
        &self,
        it: &StoredIntegration,
    ) -> Result<Arc<dyn CredentialSource>> {
        match &it.connection {
            Connection::SelfHosted(_) => Ok(Arc::new(Fixed(self.connect_secrets(it).await?))),
            Connection::AwsRds(rds) if rds.auth == DbAuth::Password => {
                Ok(Arc::new(Fixed(self.connect_secrets(it).await?)))
            }
            Connection::AwsRds(rds) => {
                let aws = aws::configure(&rds.aws, &rds.region, &self.aws_secrets(it).await?, None)
                    .await?;
                let e = &rds.endpoint;
                Ok(Arc::new(aws::IamTokens {
                    aws,
                    host: e.host.clone(),
                    port: e.port,
                    user: e.username.clone(),
                    client_key_pem: None,
                }))
            }
            Connection::Azure(az) => match &az.auth {
                AzureAuth::Password => Ok(Arc::new(Fixed(self.connect_secrets(it).await?))),
                AzureAuth::Entra {
                    source,
                    authority_host,
                } => {
                    let secret = self.entra_client_secret(it).await?;
                    let entra = azure::entra(source, authority_host.as_deref(), secret.as_ref())?;
                    Ok(Arc::new(azure::EntraTokens { entra }))
                }
            },
        }
    }

    /// The Entra ID client secret of an integration, from the keychain (`None` for other token
    /// sources and kinds).
    pub async fn entra_client_secret(&self, it: &StoredIntegration) -> Result<Option<Secret>> {
        let Connection::Azure(az) = &it.connection else {
            return Ok(None);
        };
        if !az.has_client_secret() {
            return Ok(None);
        }
        let id = it.id.clone();
        self.secrets
            .keychain(move |k| k.get(&id, SecretKind::EntraClientSecret))
            .await
    }

    /// The secret parts of an integration's static AWS key, from the keychain (none for
    /// other credential sources).
    pub async fn aws_secrets(&self, it: &StoredIntegration) -> Result<aws::AwsSecrets> {
        let Connection::AwsRds(rds) = &it.connection else {
            return Ok(aws::AwsSecrets::default());
        };
        let AwsCredentials::Static {
            has_session_token, ..
        } = &rds.aws.credentials
        else {
            return Ok(aws::AwsSecrets::default());
        };
        let (id, token) = (it.id.clone(), *has_session_token);
        self.secrets
            .keychain(move |k| {
                Ok(aws::AwsSecrets {
                    secret_access_key: k.get(&id, SecretKind::AwsSecretAccessKey)?,
                    session_token: if token {
                        k.get(&id, SecretKind::AwsSessionToken)?
                    } else {
                        None
                    },
                })
            })
            .await
    }

    /// Closes the pools of one integration (its settings or secrets changed).
    pub async fn forget_pools(&self, integration_id: &str) {
        self.pools.forget(integration_id).await
    }

    pub async fn open_pools(&self) -> usize {
        self.pools.count().await
    }

    pub async fn close(&self) {
        self.pools.close_all().await;
    }
}
