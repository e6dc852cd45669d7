//! `Grantry`: the one API surface over the core. The Tauri commands and the CLI are both thin faces
//! of it: they parse arguments, call one method and print or return the result.

use crate::catalog::{
    self, DatabaseNode, Page, RelationDetail, RelationNode, SchemaNode, TreeQuery,
};
use crate::connect::{test_connection, ConnectSecrets, ConnectionReport};
use crate::error::{Error, ErrorCode, Result};
use crate::home::Home;
use crate::import::{ImportCandidate, ImportSource};
use crate::model::{
    Connection, Integration, IntegrationInput, KeyInput, KeySource, PasswordStorage,
};
use crate::pool::Pools;
use crate::privileges::inspect::Snapshot;
use crate::secret::{Keychain, Secret, SecretKind, SecretStore};
use crate::store::{Store, StoredIntegration};
use sqlx::postgres::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const KEYCHAIN_SERVICE: &str = "grantry";

type CachedSnapshot = (std::time::Instant, Arc<Snapshot>);

/// How long the privilege views may reuse an inspection.
pub const SNAPSHOT_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(30);

/// Import one entry of a source as a new integration.
#[derive(Debug, Clone, serde::Deserialize, ts_rs::TS)]
pub struct ImportRequest {
    pub source: ImportSource,
    pub index: u32,
    pub name: String,
    pub environment: Option<crate::model::Environment>,
    #[serde(default)]
    pub read_only: bool,
    #[serde(default)]
    pub session_only_password: bool,
}

pub struct OpenOptions {
    /// Data directory; `None` resolves `$GRANTRY_HOME` or the OS data dir.
    pub home: Option<std::path::PathBuf>,
    /// Secret store; `None` means the OS keychain.
    pub secrets: Option<Arc<dyn SecretStore>>,
    /// How long an unused pooled connection stays open; `None` is [`crate::pool::IDLE_TIMEOUT`].
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

pub struct Grantry {
    home: Home,
    store: Store,
    secrets: Arc<dyn SecretStore>,
    /// Secrets the user chose not to save: kept for this process only.
    session: Mutex<HashMap<(String, SecretKind), Secret>>,
    pools: Pools,
    plans: Mutex<HashMap<String, crate::privileges::service::StoredPlan>>,
    /// Recent snapshots per (integration id, database) for the read-only privilege views:
    /// a "who can" answer must not re-read a million ACL entries each time.
    snapshots: Mutex<HashMap<(String, String), CachedSnapshot>>,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn new_id() -> String {
    use rand::Rng;
    let bytes: [u8; 12] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Grantry {
    pub async fn open(opts: OpenOptions) -> Result<Self> {
        let home = match opts.home {
            Some(h) => Home::at(h)?,
            None => Home::resolve()?,
        };
        let store = Store::open(&home.store_path()).await?;
        let secrets = opts
            .secrets
            .unwrap_or_else(|| Arc::new(Keychain::new(KEYCHAIN_SERVICE)));
        Ok(Grantry {
            home,
            store,
            secrets,
            session: Mutex::new(HashMap::new()),
            plans: Mutex::new(HashMap::new()),
            snapshots: Mutex::new(HashMap::new()),
            pools: Pools::with_idle_timeout(
                opts.pool_idle_timeout.unwrap_or(crate::pool::IDLE_TIMEOUT),
            ),
        })
    }

    pub(crate) fn plans(&self) -> &Mutex<HashMap<String, crate::privileges::service::StoredPlan>> {
        &self.plans
    }

    pub fn home(&self) -> &Home {
        &self.home
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    // ---------------------------------------------------------------- secrets

    async fn keychain<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn SecretStore) -> Result<T> + Send + 'static,
    {
        let store = self.secrets.clone();
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(|e| Error::internal(format!("keychain task failed: {e}")))?
    }

    fn session_get(&self, id: &str, kind: SecretKind) -> Option<Secret> {
        self.session
            .lock()
            .unwrap()
            .get(&(id.to_string(), kind))
            .cloned()
    }

    fn role_account(integration_id: &str, role: &str) -> String {
        format!("{integration_id}/role/{role}")
    }

    /// Saves a generated role password in the keychain, next to the integration's secrets.
    pub(crate) async fn save_role_password(
        &self,
        integration_id: &str,
        role: &str,
        password: &Secret,
    ) -> Result<()> {
        let account = Self::role_account(integration_id, role);
        let value = password.clone();
        self.keychain(move |k| k.set(&account, SecretKind::Password, &value))
            .await
    }

    /// The password Grantry generated for `role` and kept in the keychain, if any.
    pub async fn role_password(&self, integration: &str, role: &str) -> Result<Option<Secret>> {
        let it = self.store.get(integration).await?;
        let account = Self::role_account(&it.id, role);
        self.keychain(move |k| k.get(&account, SecretKind::Password))
            .await
    }

    /// Gives the password of a session-only integration for the rest of this process.
    pub async fn set_session_password(&self, name_or_id: &str, password: Secret) -> Result<()> {
        let it = self.store.get(name_or_id).await?;
        if it.password_storage == PasswordStorage::Keychain {
            return Err(Error::invalid(format!(
                "integration {:?} keeps its password in the keychain; edit it to change the password",
                it.name
            )));
        }
        self.session
            .lock()
            .unwrap()
            .insert((it.id.clone(), SecretKind::Password), password);
        self.pools.forget(&it.id).await;
        Ok(())
    }

    async fn secrets_for(&self, it: &StoredIntegration) -> Result<ConnectSecrets> {
        let password = match it.password_storage {
            PasswordStorage::None => None,
            PasswordStorage::Session => Some(self.session_get(&it.id, SecretKind::Password).ok_or_else(|| {
                Error::new(
                    ErrorCode::SecretMissing,
                    format!("integration {:?} does not save its password: give it for this session", it.name),
                )
            })?),
            PasswordStorage::Keychain => {
                let id = it.id.clone();
                Some(self.keychain(move |k| k.get(&id, SecretKind::Password)).await?.ok_or_else(|| {
                    Error::new(
                        ErrorCode::SecretMissing,
                        format!("the keychain has no password for integration {:?}", it.name),
                    )
                })?)
            }
        };
        let client_key_pem = match &it.connection.endpoint().client_key {
            Some(KeySource::Keychain) => {
                let id = it.id.clone();
                let key = match self.session_get(&it.id, SecretKind::ClientKey) {
                    Some(k) => Some(k),
                    None => {
                        self.keychain(move |k| k.get(&id, SecretKind::ClientKey))
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

    fn view(&self, it: StoredIntegration) -> Integration {
        let has_password = match it.password_storage {
            PasswordStorage::Keychain => true,
            PasswordStorage::Session => self.session_get(&it.id, SecretKind::Password).is_some(),
            PasswordStorage::None => false,
        };
        Integration {
            id: it.id,
            name: it.name,
            connection: it.connection,
            environment: it.environment,
            read_only: it.read_only,
            password_storage: it.password_storage,
            has_password,
            is_sandbox: it.is_sandbox,
            created_at: it.created_at,
            updated_at: it.updated_at,
        }
    }

    // ---------------------------------------------------------------- integrations

    pub async fn list_integrations(&self) -> Result<Vec<Integration>> {
        Ok(self
            .store
            .list()
            .await?
            .into_iter()
            .map(|i| self.view(i))
            .collect())
    }

    pub async fn get_integration(&self, name_or_id: &str) -> Result<Integration> {
        Ok(self.view(self.store.get(name_or_id).await?))
    }

    /// Validates and saves a new integration; its secrets go to the keychain in the same step, and
    /// if the keychain refuses, nothing is saved.
    pub async fn add_integration(&self, input: IntegrationInput) -> Result<Integration> {
        self.add_integration_as(input, false).await
    }

    pub(crate) async fn add_integration_as(
        &self,
        input: IntegrationInput,
        is_sandbox: bool,
    ) -> Result<Integration> {
        let (name, connection) = input.validate(None)?;
        if self.store.find(&name).await?.is_some() {
            return Err(Error::new(
                ErrorCode::DuplicateName,
                format!("an integration named {name:?} already exists"),
            ));
        }
        let password = input.password.clone().filter(|p| !p.is_empty());
        let storage = match (&password, input.session_only_password) {
            (None, _) => PasswordStorage::None,
            (Some(_), true) => PasswordStorage::Session,
            (Some(_), false) => PasswordStorage::Keychain,
        };
        let key_pem = match &input.client_key {
            Some(KeyInput::Pem { pem }) => Some(pem.clone()),
            _ => None,
        };
        let ts = now();
        let it = StoredIntegration {
            id: new_id(),
            name,
            connection,
            environment: input.environment.unwrap_or_default(),
            read_only: input.read_only,
            password_storage: storage,
            is_sandbox,
            created_at: ts.clone(),
            updated_at: ts,
        };
        let session_only = input.session_only_password;
        let to_keychain: Vec<(SecretKind, Secret)> = [
            (
                SecretKind::Password,
                password
                    .clone()
                    .filter(|_| storage == PasswordStorage::Keychain),
            ),
            (
                SecretKind::ClientKey,
                key_pem.clone().filter(|_| !session_only),
            ),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        let id = it.id.clone();
        self.store
            .save(&it, true, async {
                let id = id.clone();
                self.keychain(move |k| {
                    for (i, (kind, value)) in to_keychain.iter().enumerate() {
                        if let Err(e) = k.set(&id, *kind, value) {
                            // Undo what this step wrote before failing.
                            for (kind, _) in &to_keychain[..i] {
                                let _ = k.delete(&id, *kind);
                            }
                            return Err(keychain_refused(e));
                        }
                    }
                    Ok(())
                })
                .await
            })
            .await?;
        let mut session = self.session.lock().unwrap();
        if storage == PasswordStorage::Session {
            session.insert((it.id.clone(), SecretKind::Password), password.unwrap());
        }
        if session_only {
            if let Some(k) = key_pem {
                session.insert((it.id.clone(), SecretKind::ClientKey), k);
            }
        }
        drop(session);
        Ok(self.view(it))
    }

    /// Edits an integration. Absent password/key keep the current ones.
    pub async fn update_integration(
        &self,
        name_or_id: &str,
        input: IntegrationInput,
    ) -> Result<Integration> {
        let old = self.store.get(name_or_id).await?;
        let (name, connection) = input.validate(old.connection.endpoint().client_key.as_ref())?;
        if let Some(other) = self.store.find(&name).await? {
            if other.id != old.id {
                return Err(Error::new(
                    ErrorCode::DuplicateName,
                    format!("an integration named {name:?} already exists"),
                ));
            }
        }
        let new_password = input.password.clone().filter(|p| !p.is_empty());
        let storage = match (
            &new_password,
            input.clear_password,
            input.session_only_password,
        ) {
            (Some(_), _, true) => PasswordStorage::Session,
            (Some(_), _, false) => PasswordStorage::Keychain,
            (None, true, _) => PasswordStorage::None,
            (None, false, _) => old.password_storage,
        };
        let new_key = match &input.client_key {
            Some(KeyInput::Pem { pem }) => Some(pem.clone()),
            _ => None,
        };
        let it = StoredIntegration {
            name,
            connection,
            environment: input.environment.unwrap_or(old.environment),
            read_only: input.read_only,
            password_storage: storage,
            updated_at: now(),
            ..old.clone()
        };
        let mut writes = Vec::new();
        if let (Some(p), PasswordStorage::Keychain) = (&new_password, storage) {
            writes.push((SecretKind::Password, p.clone()));
        }
        if let Some(k) = &new_key {
            writes.push((SecretKind::ClientKey, k.clone()));
        }
        let id = it.id.clone();
        self.store
            .save(&it, false, async {
                let id = id.clone();
                self.keychain(move |k| {
                    for (kind, value) in &writes {
                        k.set(&id, *kind, value).map_err(keychain_refused)?;
                    }
                    Ok(())
                })
                .await
            })
            .await?;
        // Forget what is no longer used.
        let mut stale = Vec::new();
        if old.password_storage == PasswordStorage::Keychain && storage != PasswordStorage::Keychain
        {
            stale.push(SecretKind::Password);
        }
        if old.connection.endpoint().client_key == Some(KeySource::Keychain)
            && it.connection.endpoint().client_key != Some(KeySource::Keychain)
        {
            stale.push(SecretKind::ClientKey);
        }
        if !stale.is_empty() {
            let id = it.id.clone();
            self.keychain(move |k| {
                for kind in stale {
                    k.delete(&id, kind)?;
                }
                Ok(())
            })
            .await?;
        }
        {
            let mut session = self.session.lock().unwrap();
            if storage == PasswordStorage::Session {
                if let Some(p) = new_password {
                    session.insert((it.id.clone(), SecretKind::Password), p);
                }
            } else {
                session.remove(&(it.id.clone(), SecretKind::Password));
            }
        }
        self.pools.forget(&it.id).await;
        self.forget_snapshots(&it.id);
        Ok(self.view(it))
    }

    /// Removes an integration and its keychain entries.
    pub async fn remove_integration(&self, name_or_id: &str) -> Result<Integration> {
        let it = self.store.get(name_or_id).await?;
        let needs_keychain = it.password_storage == PasswordStorage::Keychain
            || it.connection.endpoint().client_key == Some(KeySource::Keychain);
        if needs_keychain {
            // Keychain first: a secret must not outlive its integration unnoticed.
            let id = it.id.clone();
            self.keychain(move |k| {
                k.delete(&id, SecretKind::Password)?;
                k.delete(&id, SecretKind::ClientKey)
            })
            .await?;
        }
        self.store.delete(&it.id).await?;
        {
            let mut session = self.session.lock().unwrap();
            session.retain(|(id, _), _| id != &it.id);
        }
        self.pools.forget(&it.id).await;
        Ok(self.view(it))
    }

    // ---------------------------------------------------------------- import

    /// What a connection string, pgpass or service file holds, without passwords.
    pub fn import_candidates(&self, source: &ImportSource) -> Result<Vec<ImportCandidate>> {
        crate::import::candidates(source)
    }

    /// Saves one candidate of `source` as a new integration; its password (if any) goes from the
    /// file straight to the keychain.
    pub async fn import(&self, req: ImportRequest) -> Result<Integration> {
        let items = crate::import::read_source(&req.source)?;
        let (_, parsed, _) = items
            .into_iter()
            .nth(req.index as usize)
            .ok_or_else(|| Error::not_found(format!("no entry {} in that source", req.index)))?;
        let input = IntegrationInput {
            name: req.name,
            environment: req.environment,
            read_only: req.read_only,
            session_only_password: req.session_only_password,
            ..parsed.input
        };
        self.add_integration(input).await
    }

    // ---------------------------------------------------------------- connections

    /// Tests a saved integration.
    pub async fn test_integration(&self, name_or_id: &str) -> Result<ConnectionReport> {
        let it = self.store.get(name_or_id).await?;
        let secrets = match self.secrets_for(&it).await {
            Ok(s) => s,
            Err(e) if e.code == ErrorCode::SecretMissing => {
                return Ok(ConnectionReport::failed(
                    vec![],
                    crate::connect::FailureKind::SecretMissing,
                    e.message,
                    None,
                ))
            }
            Err(e) => return Err(e),
        };
        Ok(test_connection(it.connection.endpoint(), &secrets).await)
    }

    /// Tests settings before they are saved (the wizard's "Test" button). When editing,
    /// `existing` names the integration whose saved secrets fill in what the input leaves out.
    pub async fn test_input(
        &self,
        input: IntegrationInput,
        existing: Option<&str>,
    ) -> Result<ConnectionReport> {
        let old = match existing {
            Some(n) => Some(self.store.get(n).await?),
            None => None,
        };
        let (_, connection) = input.validate(
            old.as_ref()
                .and_then(|o| o.connection.endpoint().client_key.as_ref()),
        )?;
        let saved = match &old {
            Some(o) => self.secrets_for(o).await.unwrap_or_default(),
            None => ConnectSecrets::default(),
        };
        let secrets = ConnectSecrets {
            password: if input.clear_password {
                None
            } else {
                input
                    .password
                    .clone()
                    .filter(|p| !p.is_empty())
                    .or(saved.password)
            },
            client_key_pem: match &input.client_key {
                Some(KeyInput::Pem { pem }) => Some(pem.clone()),
                _ => saved.client_key_pem,
            },
        };
        let Connection::SelfHosted(endpoint) = &connection;
        Ok(test_connection(endpoint, &secrets).await)
    }

    /// The pool for one database of an integration (its default database when `None`).
    pub async fn pool(&self, name_or_id: &str, database: Option<&str>) -> Result<PgPool> {
        let it = self.store.get(name_or_id).await?;
        let endpoint = it.connection.endpoint().clone();
        let db = database.unwrap_or(&endpoint.database).to_string();
        if let Some(p) = self.pools.existing(&it.id, &db).await {
            return Ok(p);
        }
        // Secrets are read only when a pool must be created.
        let secrets = self.secrets_for(&it).await?;
        self.pools.get(&it.id, &endpoint, &db, || Ok(secrets)).await
    }

    pub(crate) async fn pools_forget(&self, id: &str) {
        self.pools.forget(id).await
    }

    pub async fn open_pools(&self) -> usize {
        self.pools.count().await
    }

    // ---------------------------------------------------------------- catalog tree

    pub async fn databases(&self, integration: &str, q: &TreeQuery) -> Result<Page<DatabaseNode>> {
        let pool = self.pool(integration, None).await?;
        catalog::databases(&pool, q).await
    }

    pub async fn schemas(
        &self,
        integration: &str,
        database: &str,
        q: &TreeQuery,
    ) -> Result<Page<SchemaNode>> {
        let pool = self.pool(integration, Some(database)).await?;
        catalog::schemas(&pool, q).await
    }

    pub async fn relations(
        &self,
        integration: &str,
        database: &str,
        schema: &str,
        q: &TreeQuery,
    ) -> Result<Page<RelationNode>> {
        let pool = self.pool(integration, Some(database)).await?;
        catalog::relations(&pool, schema, q).await
    }

    pub async fn relation_detail(
        &self,
        integration: &str,
        database: &str,
        schema: &str,
        name: &str,
    ) -> Result<RelationDetail> {
        let pool = self.pool(integration, Some(database)).await?;
        catalog::relation_detail(&pool, schema, name).await
    }

    // ---------------------------------------------------------------- privileges

    /// One bulk inspection of a database's privileges (its default database when `None`).
    pub async fn snapshot(
        &self,
        integration: &str,
        database: Option<&str>,
        include_system: bool,
    ) -> Result<Snapshot> {
        let pool = self.pool(integration, database).await?;
        let mut conn = pool
            .acquire()
            .await
            .map_err(|e| crate::connect::classify(&e))?;
        crate::privileges::inspect::inspect(&mut conn, include_system).await
    }

    /// A snapshot at most [`SNAPSHOT_MAX_AGE`] old, for the read-only privilege views. Applies
    /// through Grantry drop it; changes made elsewhere show within that time.
    pub async fn cached_snapshot(
        &self,
        integration: &str,
        database: Option<&str>,
    ) -> Result<Arc<Snapshot>> {
        let it = self.store.get(integration).await?;
        let key = (
            it.id.clone(),
            database
                .unwrap_or(&it.connection.endpoint().database)
                .to_string(),
        );
        if let Some((at, s)) = self.snapshots.lock().unwrap().get(&key) {
            if at.elapsed() < SNAPSHOT_MAX_AGE {
                return Ok(s.clone());
            }
        }
        let snap = Arc::new(self.snapshot(&it.id, database, false).await?);
        self.snapshots
            .lock()
            .unwrap()
            .insert(key, (std::time::Instant::now(), snap.clone()));
        Ok(snap)
    }

    /// Drops the cached snapshots of one integration (after an apply, or on request).
    pub fn forget_snapshots(&self, integration_id: &str) {
        self.snapshots
            .lock()
            .unwrap()
            .retain(|(id, _), _| id != integration_id);
    }

    /// A snapshot limited to the objects with these oids (`None`: all), e.g. to re-check a plan.
    pub async fn snapshot_of(
        &self,
        integration: &str,
        database: Option<&str>,
        only: Option<&[i64]>,
    ) -> Result<Snapshot> {
        let pool = self.pool(integration, database).await?;
        let mut conn = pool
            .acquire()
            .await
            .map_err(|e| crate::connect::classify(&e))?;
        crate::privileges::inspect::inspect_only(&mut conn, false, only).await
    }

    pub async fn close(&self) {
        self.pools.close_all().await;
    }
}

fn keychain_refused(e: Error) -> Error {
    if e.code == ErrorCode::KeychainUnavailable {
        Error {
            message: "the OS keychain is not available, so nothing was saved; \
                      save again choosing not to save the password (it will be asked once per session)"
                .into(),
            ..e
        }
    } else {
        e
    }
}
