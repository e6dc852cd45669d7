//! Saved integrations: what one is (`model`), how one is read from libpq files (`import`), and the
//! operations on them: add, edit, remove, import, test. Secrets go to the keychain in the same
//! step as the record, or nothing is saved.

pub mod discovered;
pub mod import;
pub mod kinds;
pub mod model;

use crate::app::App;
use crate::connect::{aws, azure, test_connection, ConnectSecrets, ConnectionReport};
use crate::error::{Error, ErrorCode, Result};
use crate::secrets::{Secret, SecretKind};
use crate::store::StoredIntegration;
use import::{ImportCandidate, ImportSource};
use model::{Connection, Integration, IntegrationInput, KeySource, PasswordStorage};

/// Import one entry of a source as a new integration.
#[derive(Debug, Clone, serde::Deserialize, ts_rs::TS)]
pub struct ImportRequest {
    pub source: ImportSource,
    pub index: u32,
    pub name: String,
    pub environment: Option<model::Environment>,
    #[serde(default)]
    pub read_only: bool,
    #[serde(default)]
    pub session_only_password: bool,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn new_id() -> String {
    use rand::Rng;
    let bytes: [u8; 12] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn view(app: &App, it: StoredIntegration) -> Integration {
    let has_password = match it.password_storage {
        PasswordStorage::Keychain => true,
        PasswordStorage::Session => app
            .secrets()
            .session_get(&it.id, SecretKind::Password)
            .is_some(),
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

/// The integrations of a Grantry (`grantry.integrations()`).
pub struct Integrations {
    pub(crate) app: std::sync::Arc<App>,
}

impl Integrations {
    pub async fn list(&self) -> Result<Vec<Integration>> {
        Ok(self
            .app
            .store()
            .list()
            .await?
            .into_iter()
            .map(|i| view(&self.app, i))
            .collect())
    }

    pub async fn get(&self, name_or_id: &str) -> Result<Integration> {
        Ok(view(&self.app, self.app.store().get(name_or_id).await?))
    }

    /// Validates and saves a new integration; its secrets go to the keychain in the same step, and
    /// if the keychain refuses, nothing is saved.
    pub async fn add(&self, input: IntegrationInput) -> Result<Integration> {
        self.add_as(input, false).await
    }

    pub(crate) async fn add_as(
        &self,
        input: IntegrationInput,
        is_sandbox: bool,
    ) -> Result<Integration> {
        let (name, mut connection) = input.validate(None)?;
        self.resolve(&mut connection, &input, None).await?;
        if self.app.store().find(&name).await?.is_some() {
            return Err(Error::new(
                ErrorCode::DuplicateName,
                format!("an integration named {name:?} already exists"),
            )
            .at("name"));
        }
        let password = input.password().cloned();
        let storage = match (&password, input.session_only_password()) {
            (None, _) => PasswordStorage::None,
            (Some(_), true) => PasswordStorage::Session,
            (Some(_), false) => PasswordStorage::Keychain,
        };
        let key_pem = input.client_key_pem().cloned();
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
        let session_only = input.session_only_password();
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
            (
                SecretKind::AwsSecretAccessKey,
                input.aws_secrets().0.cloned(),
            ),
            (SecretKind::AwsSessionToken, input.aws_secrets().1.cloned()),
            (
                SecretKind::EntraClientSecret,
                input.entra_client_secret().cloned(),
            ),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        let id = it.id.clone();
        self.app
            .store()
            .save(&it, true, async {
                let id = id.clone();
                self.app
                    .secrets()
                    .keychain(move |k| {
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
        let vault = self.app.secrets();
        if storage == PasswordStorage::Session {
            vault.session_set(&it.id, SecretKind::Password, password.unwrap());
        }
        if session_only {
            if let Some(k) = key_pem {
                vault.session_set(&it.id, SecretKind::ClientKey, k);
            }
        }
        Ok(view(&self.app, it))
    }

    /// Edits an integration. Absent password/key keep the current ones.
    pub async fn update(&self, name_or_id: &str, input: IntegrationInput) -> Result<Integration> {
        let old = self.app.store().get(name_or_id).await?;
        let (name, mut connection) = input.validate(Some(&old.connection))?;
        if connection.kind() != old.connection.kind() {
            return Err(Error::invalid(format!(
                "integration {:?} is {}; an edit keeps the kind (remove it and add a {} one)",
                old.name,
                old.connection.kind(),
                connection.kind()
            ))
            .at("kind"));
        }
        self.resolve(&mut connection, &input, Some(&old)).await?;
        if let Some(other) = self.app.store().find(&name).await? {
            if other.id != old.id {
                return Err(Error::new(
                    ErrorCode::DuplicateName,
                    format!("an integration named {name:?} already exists"),
                )
                .at("name"));
            }
        }
        let new_password = input.password().cloned();
        let storage = match (
            &new_password,
            input.clear_password(),
            input.session_only_password(),
        ) {
            (Some(_), _, true) => PasswordStorage::Session,
            (Some(_), _, false) => PasswordStorage::Keychain,
            (None, true, _) => PasswordStorage::None,
            (None, false, _) => old.password_storage,
        };
        let new_key = input.client_key_pem().cloned();
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
        let (aws_secret, aws_token) = input.aws_secrets();
        if let Some(k) = aws_secret {
            writes.push((SecretKind::AwsSecretAccessKey, k.clone()));
        }
        if let Some(t) = aws_token {
            writes.push((SecretKind::AwsSessionToken, t.clone()));
        }
        if let Some(s) = input.entra_client_secret() {
            writes.push((SecretKind::EntraClientSecret, s.clone()));
        }
        let id = it.id.clone();
        self.app
            .store()
            .save(&it, false, async {
                let id = id.clone();
                self.app
                    .secrets()
                    .keychain(move |k| {
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
        let (had_key, had_token) = static_aws(&old.connection);
        let (has_key, has_token) = static_aws(&it.connection);
        if had_key && !has_key {
            stale.push(SecretKind::AwsSecretAccessKey);
        }
        if had_token && !has_token {
            stale.push(SecretKind::AwsSessionToken);
        }
        if entra_secret(&old.connection) && !entra_secret(&it.connection) {
            stale.push(SecretKind::EntraClientSecret);
        }
        if !stale.is_empty() {
            let id = it.id.clone();
            self.app
                .secrets()
                .keychain(move |k| {
                    for kind in stale {
                        k.delete(&id, kind)?;
                    }
                    Ok(())
                })
                .await?;
        }
        if storage == PasswordStorage::Session {
            if let Some(p) = new_password {
                self.app
                    .secrets()
                    .session_set(&it.id, SecretKind::Password, p);
            }
        } else {
            self.app
                .secrets()
                .session_remove(&it.id, SecretKind::Password);
        }
        self.app.forget_pools(&it.id).await;
        Ok(view(&self.app, it))
    }

    /// An RDS target without a host: its endpoint from the RDS API, with the AWS secrets the
    /// input gives (or the saved ones). A host given or kept from before is left as it is.
    async fn resolve(
        &self,
        connection: &mut Connection,
        input: &IntegrationInput,
        old: Option<&StoredIntegration>,
    ) -> Result<()> {
        let Connection::AwsRds(rds) = connection else {
            return Ok(());
        };
        let Some(target) = rds.target.clone().filter(|_| rds.endpoint.host.is_empty()) else {
            return Ok(());
        };
        let secrets = self.input_aws_secrets(input, old).await;
        let found = aws::configure(&rds.aws, &rds.region, &secrets, None)
            .await?
            .describe(&target)
            .await
            .map_err(|e| Error {
                message: format!(
                    "cannot look up the endpoint of {}: {}; enter the host by hand, or fix the AWS settings",
                    target.describe(),
                    e.message
                ),
                ..e
            })?;
        let host = found.host.ok_or_else(|| {
            Error::new(
                ErrorCode::AwsApi,
                format!(
                    "{} has no endpoint yet ({}): enter the host by hand",
                    target.describe(),
                    found.status
                ),
            )
        })?;
        rds.endpoint.host = host;
        if let (Some(p), None) = (found.port, input_port(input)) {
            rds.endpoint.port = p;
        }
        Ok(())
    }

    /// The PostgreSQL instances and Aurora PostgreSQL clusters of an AWS region, with every tag
    /// of `tags` (`None` value: the key only), for the DBA to pick from.
    pub async fn discover_rds(
        &self,
        region: &str,
        access: &model::AwsAccessInput,
        tags: &[(String, Option<String>)],
    ) -> Result<Vec<aws::RdsDatabase>> {
        if !kinds::aws_rds::is_region(region) {
            return Err(Error::invalid(format!(
                "invalid AWS region {region:?}: a region looks like eu-west-1"
            ))
            .at("region"));
        }
        let checked = access.validate()?;
        let (key, token) = access.new_secrets();
        let secrets = aws::AwsSecrets {
            secret_access_key: key.cloned(),
            session_token: token.cloned(),
        };
        aws::configure(&checked, region, &secrets, None)
            .await?
            .discover(tags)
            .await
    }

    /// The AWS secrets an input gives, the saved ones of `old` filling in what it leaves out.
    async fn input_aws_secrets(
        &self,
        input: &IntegrationInput,
        old: Option<&StoredIntegration>,
    ) -> aws::AwsSecrets {
        let saved = match old {
            Some(o) => self.app.aws_secrets(o).await.unwrap_or_default(),
            None => Default::default(),
        };
        let (key, token) = input.aws_secrets();
        aws::AwsSecrets {
            secret_access_key: key.cloned().or(saved.secret_access_key),
            session_token: token.cloned().or(saved.session_token),
        }
    }

    /// Removes an integration and its keychain entries.
    pub async fn remove(&self, name_or_id: &str) -> Result<Integration> {
        let it = self.app.store().get(name_or_id).await?;
        let needs_keychain = it.password_storage == PasswordStorage::Keychain
            || it.connection.endpoint().client_key == Some(KeySource::Keychain)
            || static_aws(&it.connection).0
            || entra_secret(&it.connection);
        if needs_keychain {
            // Keychain first: a secret must not outlive its integration unnoticed.
            let id = it.id.clone();
            self.app
                .secrets()
                .keychain(move |k| {
                    for kind in SecretKind::ALL {
                        k.delete(&id, kind)?;
                    }
                    Ok(())
                })
                .await?;
        }
        self.app.store().delete(&it.id).await?;
        self.app.secrets().session_forget(&it.id);
        self.app.forget_pools(&it.id).await;
        Ok(view(&self.app, it))
    }

    // ---------------------------------------------------------------- import

    /// What a connection string, pgpass or service file holds, without passwords.
    pub fn import_candidates(&self, source: &ImportSource) -> Result<Vec<ImportCandidate>> {
        import::candidates(source)
    }

    /// Saves one candidate of `source` as a new integration; its password (if any) goes from the
    /// file straight to the keychain.
    pub async fn import(&self, req: ImportRequest) -> Result<Integration> {
        let items = import::read_source(&req.source)?;
        let (_, parsed, _) = items
            .into_iter()
            .nth(req.index as usize)
            .ok_or_else(|| Error::not_found(format!("no entry {} in that source", req.index)))?;
        let mut input = IntegrationInput {
            name: req.name,
            environment: req.environment,
            read_only: req.read_only,
            connection: model::ConnectionInput::SelfHosted(parsed.settings),
        };
        input.set_session_only_password(req.session_only_password);
        self.add(input).await
    }

    // ---------------------------------------------------------------- connections

    /// Tests a saved integration.
    pub async fn test(&self, name_or_id: &str) -> Result<ConnectionReport> {
        let it = self.app.store().get(name_or_id).await?;
        let secrets = match self.app.connect_secrets(&it).await {
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
        match &it.connection {
            Connection::AwsRds(rds) => {
                let aws = match self.app.aws_secrets(&it).await {
                    Ok(a) => a,
                    Err(e) if e.code == ErrorCode::SecretMissing => Default::default(),
                    Err(e) => return Err(e),
                };
                Ok(aws::test_rds(rds, &aws, &secrets).await)
            }
            Connection::Azure(az) => {
                let client_secret = match self.app.entra_client_secret(&it).await {
                    Ok(s) => s,
                    Err(e) if e.code == ErrorCode::SecretMissing => None,
                    Err(e) => return Err(e),
                };
                Ok(azure::test_azure(az, &secrets, client_secret.as_ref()).await)
            }
            Connection::SelfHosted(e) => Ok(test_connection(e, &secrets).await),
        }
    }

    /// Tests settings before they are saved (the wizard's "Test" button). When editing,
    /// `existing` names the integration whose saved secrets fill in what the input leaves out.
    pub async fn test_input(
        &self,
        input: IntegrationInput,
        existing: Option<&str>,
    ) -> Result<ConnectionReport> {
        let old = match existing {
            Some(n) => Some(self.app.store().get(n).await?),
            None => None,
        };
        let (_, connection) = input.validate(old.as_ref().map(|o| &o.connection))?;
        let saved = match &old {
            Some(o) => self.app.connect_secrets(o).await.unwrap_or_default(),
            None => ConnectSecrets::default(),
        };
        let secrets = ConnectSecrets {
            password: if input.clear_password() {
                None
            } else {
                input.password().cloned().or(saved.password)
            },
            client_key_pem: input.client_key_pem().cloned().or(saved.client_key_pem),
        };
        match &connection {
            Connection::AwsRds(rds) => {
                let aws = self.input_aws_secrets(&input, old.as_ref()).await;
                Ok(aws::test_rds(rds, &aws, &secrets).await)
            }
            Connection::Azure(az) => {
                let saved = match &old {
                    Some(o) => self.app.entra_client_secret(o).await.unwrap_or_default(),
                    None => None,
                };
                let client_secret = input.entra_client_secret().cloned().or(saved);
                Ok(azure::test_azure(az, &secrets, client_secret.as_ref()).await)
            }
            Connection::SelfHosted(e) => Ok(test_connection(e, &secrets).await),
        }
    }

    /// Every problem of `input`, each naming its field (the wizard shows them next to the
    /// fields). `existing` names the integration being edited.
    pub async fn problems(
        &self,
        input: &IntegrationInput,
        existing: Option<&str>,
    ) -> Result<Vec<Error>> {
        let old = match existing {
            Some(n) => Some(self.app.store().get(n).await?.connection),
            None => None,
        };
        Ok(input.problems(old.as_ref()))
    }

    /// Gives the password of a session-only integration for the rest of this process.
    pub async fn set_session_password(&self, name_or_id: &str, password: Secret) -> Result<()> {
        let it = self.app.store().get(name_or_id).await?;
        if it.password_storage == PasswordStorage::Keychain {
            return Err(Error::invalid(format!(
                "integration {:?} keeps its password in the keychain; edit it to change the password",
                it.name
            )));
        }
        self.app
            .secrets()
            .session_set(&it.id, SecretKind::Password, password);
        self.app.forget_pools(&it.id).await;
        Ok(())
    }

    /// The password Grantry generated for `role` and kept in the keychain, if any.
    pub async fn role_password(&self, integration: &str, role: &str) -> Result<Option<Secret>> {
        let it = self.app.store().get(integration).await?;
        self.app.secrets().role_password(&it.id, role).await
    }
}

/// Whether a connection has a static AWS key (secret in the keychain), and a session token.
fn static_aws(c: &Connection) -> (bool, bool) {
    match c {
        Connection::AwsRds(rds) => match &rds.aws.credentials {
            model::AwsCredentials::Static {
                has_session_token, ..
            } => (true, *has_session_token),
            _ => (false, false),
        },
        _ => (false, false),
    }
}

/// Whether a connection keeps an Entra ID client secret in the keychain.
fn entra_secret(c: &Connection) -> bool {
    matches!(c, Connection::Azure(az) if az.has_client_secret())
}

fn input_port(input: &IntegrationInput) -> Option<i64> {
    match &input.connection {
        model::ConnectionInput::AwsRds(a) => a.port,
        model::ConnectionInput::Azure(a) => a.port,
        model::ConnectionInput::SelfHosted(s) => s.port,
    }
}

fn keychain_refused(e: Error) -> Error {
    if e.code == ErrorCode::KeychainUnavailable {
        Error {
            message: "the OS keychain is not available, so nothing was saved: Grantry keeps \
                      secrets (passwords, keys, client secrets) there only; unlock or start it, \
                      or, for a password login, save again choosing not to save the password \
                      (it will be asked once per session)"
                .into(),
            ..e
        }
    } else {
        e
    }
}
