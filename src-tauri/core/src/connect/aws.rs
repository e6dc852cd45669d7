//! AWS for RDS / Aurora integrations: the SDK configuration an integration describes
//! (credentials from the default chain, a profile or a static key; AssumeRole on top; a custom
//! endpoint), RDS IAM auth tokens, and the RDS API calls that resolve and discover databases.
//!
//! Credentials are cached across tokens: the SDK's token generator asks its credentials provider
//! directly for every token, so an AssumeRole provider would call STS for each connection. The
//! provider handed to it is [`Cached`], which asks again only when the credentials are within
//! five minutes of their expiry.

use super::credentials::{Credential, CredentialFuture, CredentialSource};
use super::ConnectSecrets;
use crate::error::{Error, ErrorCode, Result};
use crate::integrations::model::{expand_home, AssumeRole, AwsAccess, AwsCredentials, RdsTarget};
use crate::secrets::Secret;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::{
    error::CredentialsError, future, ProvideCredentials, SharedCredentialsProvider,
};
use aws_credential_types::Credentials;
use aws_runtime::env_config::file::{
    EnvConfigFileKind as ProfileFileKind, EnvConfigFiles as ProfileFiles,
};
use aws_sdk_rds::error::DisplayErrorContext;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};
use ts_rs::TS;

/// An IAM auth token lives 15 minutes and is checked only when a connection logs in.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(900);

/// The secret parts of a static access key (from the keychain).
#[derive(Debug, Clone, Default)]
pub struct AwsSecrets {
    pub secret_access_key: Option<Secret>,
    pub session_token: Option<Secret>,
}

/// The SDK configuration of one integration, its credentials cached.
#[derive(Clone, Debug)]
pub struct Aws {
    pub config: SdkConfig,
    cached: std::sync::Arc<Cached>,
    /// What the credentials are, for reports ("profile ops", "access key AKIA...").
    pub source: String,
}

/// Builds the SDK configuration of `access` in `region`. Nothing is called yet: credentials
/// are resolved on first use ([`Aws::credentials`]).
pub async fn configure(
    access: &AwsAccess,
    region: &str,
    secrets: &AwsSecrets,
    time_source: Option<aws_smithy_async::time::SharedTimeSource>,
) -> Result<Aws> {
    // A server that takes the connection and never answers is an unreachable API, in bounded
    // time (the SDK's default waits for ever).
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .read_timeout(std::time::Duration::from_secs(30))
        .operation_timeout(std::time::Duration::from_secs(90))
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .timeout_config(timeouts);
    if let Some(u) = &access.endpoint_url {
        loader = loader.endpoint_url(u);
    }
    if let Some(t) = time_source {
        loader = loader.time_source(t);
    }
    let source = match &access.credentials {
        AwsCredentials::DefaultChain => "the default AWS credential chain".to_string(),
        AwsCredentials::Profile {
            name,
            config_file,
            credentials_file,
        } => {
            let mut files = ProfileFiles::builder();
            files = match config_file {
                Some(f) => files.with_file(ProfileFileKind::Config, expand_home(f)),
                None => files.include_default_config_file(true),
            };
            files = match credentials_file {
                Some(f) => files.with_file(ProfileFileKind::Credentials, expand_home(f)),
                None => files.include_default_credentials_file(true),
            };
            let files = files.build();
            loader = loader.profile_files(files.clone()).profile_name(name);
            // The profile named, and only it: the default chain would take AWS_ACCESS_KEY_ID
            // from the environment first, so another account's keys would act under this
            // profile's name.
            loader = loader.credentials_provider(
                aws_config::profile::ProfileFileCredentialsProvider::builder()
                    .profile_name(name)
                    .profile_files(files)
                    .build(),
            );
            format!("AWS profile {name:?}")
        }
        AwsCredentials::Static {
            access_key_id,
            has_session_token,
        } => {
            let secret = secrets.secret_access_key.as_ref().ok_or_else(|| {
                Error::new(
                    ErrorCode::SecretMissing,
                    format!("the keychain has no secret access key for {access_key_id}"),
                )
            })?;
            let token = match (has_session_token, &secrets.session_token) {
                (true, Some(t)) => Some(t.expose().to_string()),
                (true, None) => {
                    return Err(Error::new(
                        ErrorCode::SecretMissing,
                        format!("the keychain has no session token for {access_key_id}"),
                    ))
                }
                (false, _) => None,
            };
            loader = loader.credentials_provider(Credentials::new(
                access_key_id,
                secret.expose(),
                token,
                None,
                "grantry-static",
            ));
            format!("access key {access_key_id}")
        }
    };
    let base = loader.load().await;
    let (provider, source) = match &access.assume_role {
        None => (
            base.credentials_provider().ok_or_else(|| {
                Error::new(ErrorCode::AwsCredentials, "no AWS credentials provider")
            })?,
            source,
        ),
        Some(role) => {
            let sts = aws_sdk_sts::Client::new(&base);
            (
                SharedCredentialsProvider::new(AssumeRoleProvider {
                    sts,
                    role: role.clone(),
                }),
                format!("{source}, assuming {}", role.role_arn),
            )
        }
    };
    let cached = std::sync::Arc::new(Cached {
        inner: provider,
        slot: tokio::sync::Mutex::new(None),
        fetches: AtomicUsize::new(0),
    });
    let config = base
        .into_builder()
        .credentials_provider(SharedCredentialsProvider::new(SharedCached(cached.clone())))
        .build();
    Ok(Aws {
        config,
        cached,
        source,
    })
}

impl Aws {
    /// The credentials (asked of their source only when none are cached or they expire within
    /// five minutes), or the error that says which step failed.
    pub async fn credentials(&self) -> Result<Credentials> {
        self.cached
            .get()
            .await
            .map_err(|e| credentials_error(&self.source, &e))
    }

    /// How many times the credentials were asked of their source (AssumeRole calls).
    pub fn credential_fetches(&self) -> usize {
        self.cached.fetches.load(Ordering::Relaxed)
    }

    /// A fresh RDS IAM auth token for `user` at `host:port`, signed with the cached credentials.
    pub async fn iam_token(&self, host: &str, port: u16, user: &str) -> Result<Secret> {
        self.credentials().await?;
        // The SDK puts the user name into the URL as it is: encode it as a query value, so
        // a name with `&`, `=` or spaces signs (and reads on the server) as itself.
        let user = percent_encoding::utf8_percent_encode(user, AWS_QUERY).to_string();
        let gen = aws_sdk_rds::auth_token::AuthTokenGenerator::new(
            aws_sdk_rds::auth_token::Config::builder()
                .hostname(host)
                .port(port as u64)
                .username(user)
                .region(
                    self.config
                        .region()
                        .cloned()
                        .ok_or_else(|| Error::invalid("the AWS region is required").at("region"))?,
                )
                .expires_in(TOKEN_LIFETIME.as_secs())
                .build()
                .map_err(|e| Error::invalid(format!("cannot make an IAM auth token: {e}")))?,
        );
        let token = gen.auth_token(&self.config).await.map_err(|e| {
            Error::new(
                ErrorCode::AwsCredentials,
                format!("cannot sign an IAM auth token: {e}"),
            )
        })?;
        Ok(Secret::new(token.as_str()))
    }

    fn rds(&self) -> aws_sdk_rds::Client {
        aws_sdk_rds::Client::new(&self.config)
    }

    /// The endpoint of `target` from the RDS API.
    pub async fn describe(&self, target: &RdsTarget) -> Result<RdsDatabase> {
        self.credentials().await?;
        let found = match target {
            RdsTarget::Instance { id } => self
                .rds()
                .describe_db_instances()
                .db_instance_identifier(id)
                .send()
                .await
                .map_err(|e| api_error("DescribeDBInstances", &e))?
                .db_instances()
                .first()
                .map(instance),
            RdsTarget::Cluster { id, reader } => self
                .rds()
                .describe_db_clusters()
                .db_cluster_identifier(id)
                .send()
                .await
                .map_err(|e| api_error("DescribeDBClusters", &e))?
                .db_clusters()
                .first()
                .map(|c| {
                    let mut d = cluster(c);
                    if *reader {
                        d.host = d.reader_host.clone();
                    }
                    d
                }),
        };
        found.ok_or_else(|| Error::not_found(format!("no {} in this region", target.describe())))
    }

    /// PostgreSQL instances (engine postgres) and Aurora PostgreSQL clusters of the region,
    /// every page, with every tag in `tags` (key and value; a `None` value: the key only).
    /// AWS filters no tags on these calls: they are filtered here, on each answer's TagList.
    pub async fn discover(&self, tags: &[(String, Option<String>)]) -> Result<Vec<RdsDatabase>> {
        self.credentials().await?;
        let mut out = Vec::new();
        let mut pages = self
            .rds()
            .describe_db_instances()
            .into_paginator()
            .items()
            .send();
        while let Some(i) = pages.next().await {
            let i = i.map_err(|e| api_error("DescribeDBInstances", &e))?;
            if i.engine() == Some("postgres") {
                out.push(instance(&i));
            }
        }
        let mut pages = self
            .rds()
            .describe_db_clusters()
            .into_paginator()
            .items()
            .send();
        while let Some(c) = pages.next().await {
            let c = c.map_err(|e| api_error("DescribeDBClusters", &e))?;
            // Aurora PostgreSQL, and Multi-AZ DB clusters of RDS for PostgreSQL (engine
            // postgres, with writer and reader endpoints as Aurora has).
            if matches!(c.engine(), Some("aurora-postgresql") | Some("postgres")) {
                out.push(cluster(&c));
            }
        }
        out.retain(|d| {
            tags.iter().all(|(k, v)| match (d.tags.get(k), v) {
                (Some(have), Some(want)) => have == want,
                (Some(_), None) => true,
                (None, _) => false,
            })
        });
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }
}

/// The characters a SigV4 query value keeps as they are (RFC 3986 unreserved).
const AWS_QUERY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// An RDS database as the RDS API describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RdsDatabase {
    pub target: RdsTarget,
    pub id: String,
    pub engine: String,
    pub engine_version: String,
    pub status: String,
    /// The endpoint (the writer for a cluster); `None` while it is being created.
    pub host: Option<String>,
    pub port: Option<u16>,
    /// An Aurora cluster's reader endpoint.
    pub reader_host: Option<String>,
    pub iam_auth: bool,
    pub database: Option<String>,
    pub master_username: Option<String>,
    pub tags: BTreeMap<String, String>,
}

fn tag_map(tags: &[aws_sdk_rds::types::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
        .collect()
}

fn instance(i: &aws_sdk_rds::types::DbInstance) -> RdsDatabase {
    let id = i.db_instance_identifier().unwrap_or_default().to_string();
    RdsDatabase {
        target: RdsTarget::Instance { id: id.clone() },
        id,
        engine: i.engine().unwrap_or_default().into(),
        engine_version: i.engine_version().unwrap_or_default().into(),
        status: i.db_instance_status().unwrap_or_default().into(),
        host: i.endpoint().and_then(|e| e.address()).map(str::to_string),
        port: i
            .endpoint()
            .and_then(|e| e.port())
            .and_then(|p| u16::try_from(p).ok()),
        reader_host: None,
        iam_auth: i.iam_database_authentication_enabled().unwrap_or(false),
        database: i.db_name().map(str::to_string),
        master_username: i.master_username().map(str::to_string),
        tags: tag_map(i.tag_list()),
    }
}

fn cluster(c: &aws_sdk_rds::types::DbCluster) -> RdsDatabase {
    let id = c.db_cluster_identifier().unwrap_or_default().to_string();
    RdsDatabase {
        target: RdsTarget::Cluster {
            id: id.clone(),
            reader: false,
        },
        id,
        engine: c.engine().unwrap_or_default().into(),
        engine_version: c.engine_version().unwrap_or_default().into(),
        status: c.status().unwrap_or_default().into(),
        host: c.endpoint().map(str::to_string),
        port: c.port().and_then(|p| u16::try_from(p).ok()),
        reader_host: c.reader_endpoint().map(str::to_string),
        iam_auth: c.iam_database_authentication_enabled().unwrap_or(false),
        database: c.database_name().map(str::to_string),
        master_username: c.master_username().map(str::to_string),
        tags: tag_map(c.tag_list()),
    }
}

/// Tokens for each new connection of an IAM integration (see [`CredentialSource`]).
pub struct IamTokens {
    pub aws: Aws,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub client_key_pem: Option<Secret>,
}

impl CredentialSource for IamTokens {
    fn fetch(&self) -> CredentialFuture<'_> {
        Box::pin(async move {
            let signed_at = Instant::now();
            let token = self
                .aws
                .iam_token(&self.host, self.port, &self.user)
                .await?;
            Ok(Credential {
                secrets: ConnectSecrets {
                    password: Some(token),
                    client_key_pem: self.client_key_pem.clone(),
                },
                expires_at: Some(signed_at + TOKEN_LIFETIME),
            })
        })
    }
}

/// A credentials provider asked again only near its credentials' expiry.
#[derive(Debug)]
struct Cached {
    inner: SharedCredentialsProvider,
    slot: tokio::sync::Mutex<Option<Credentials>>,
    fetches: AtomicUsize,
}

/// Credentials this close to their expiry are fetched anew.
const CREDENTIALS_MARGIN: Duration = Duration::from_secs(300);

impl Cached {
    async fn get(&self) -> std::result::Result<Credentials, CredentialsError> {
        let mut slot = self.slot.lock().await;
        if let Some(c) = slot.as_ref() {
            let fresh = c
                .expiry()
                .is_none_or(|at| at > SystemTime::now() + CREDENTIALS_MARGIN);
            if fresh {
                return Ok(c.clone());
            }
        }
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let c = self.inner.provide_credentials().await?;
        *slot = Some(c.clone());
        Ok(c)
    }
}

#[derive(Debug)]
struct SharedCached(std::sync::Arc<Cached>);

impl ProvideCredentials for SharedCached {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.0.get())
    }
}

/// STS AssumeRole with everything AssumeRole takes (the SDK's own provider has no
/// SourceIdentity).
#[derive(Debug)]
struct AssumeRoleProvider {
    sts: aws_sdk_sts::Client,
    role: AssumeRole,
}

impl ProvideCredentials for AssumeRoleProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let out = self
                .sts
                .assume_role()
                .role_arn(&self.role.role_arn)
                .role_session_name(&self.role.session_name)
                .set_external_id(self.role.external_id.clone())
                .set_source_identity(self.role.source_identity.clone())
                .send()
                .await
                .map_err(|e| {
                    CredentialsError::provider_error(AssumeRoleFailed(format!(
                        "AssumeRole of {} failed: {}",
                        self.role.role_arn,
                        DisplayErrorContext(&e)
                    )))
                })?;
            let c = out.credentials().ok_or_else(|| {
                CredentialsError::provider_error(AssumeRoleFailed(
                    "AssumeRole answered without credentials".into(),
                ))
            })?;
            Ok(Credentials::new(
                c.access_key_id(),
                c.secret_access_key(),
                Some(c.session_token().to_string()),
                SystemTime::try_from(*c.expiration()).ok(),
                "grantry-assume-role",
            ))
        })
    }
}

#[derive(Debug)]
struct AssumeRoleFailed(String);

impl std::fmt::Display for AssumeRoleFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for AssumeRoleFailed {}

/// A credentials failure as a DBA reads it: none found, or AssumeRole refused (with STS's own
/// code and text), or the provider's error.
fn credentials_error(source: &str, e: &CredentialsError) -> Error {
    let text = DisplayErrorContext(e).to_string();
    let role = std::error::Error::source(e)
        .and_then(|s| s.downcast_ref::<AssumeRoleFailed>())
        .map(|a| a.0.clone());
    match (e, role) {
        (_, Some(role)) => Error::new(ErrorCode::AwsAssumeRole, role),
        (CredentialsError::CredentialsNotLoaded(_), _) => Error::new(
            ErrorCode::AwsCredentials,
            format!(
                "no AWS credentials found ({source}): set up a profile, environment variables or an access key"
            ),
        )
        .with_detail(text),
        _ => Error::new(
            ErrorCode::AwsCredentials,
            format!("the AWS credentials could not be loaded ({source})"),
        )
        .with_detail(text),
    }
}

/// An RDS API failure: unreachable (with the cause) or the API's own error code and message.
fn api_error<E, R>(op: &str, e: &aws_sdk_rds::error::SdkError<E, R>) -> Error
where
    E: std::error::Error + aws_sdk_rds::error::ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    use aws_sdk_rds::error::SdkError;
    let text = DisplayErrorContext(e).to_string();
    match e {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => Error::new(
            ErrorCode::AwsApi,
            format!("the RDS API could not be reached ({op})"),
        )
        .with_detail(text),
        SdkError::ServiceError(s) => {
            let err = s.err();
            match (err.code(), err.message()) {
                (Some(code), message) => Error::new(
                    ErrorCode::AwsApi,
                    format!(
                        "the RDS API refused {op}: {code}{}",
                        message.map(|m| format!(": {m}")).unwrap_or_default()
                    ),
                ),
                // An answer that is no AWS error (a proxy's page, a wrong endpoint): what
                // came back is the detail.
                (None, _) => Error::new(
                    ErrorCode::AwsApi,
                    format!(
                        "the RDS API's answer to {op} was not an AWS answer: is the endpoint \
                         (or the region) right?"
                    ),
                )
                .with_detail(text),
            }
        }
        _ => Error::new(ErrorCode::AwsApi, format!("{op} failed")).with_detail(text),
    }
}

/// Tests an RDS / Aurora integration: AWS credentials (and AssumeRole), the target's endpoint
/// from the RDS API, a fresh IAM token, then every check of a self-hosted server. Each AWS
/// step that fails is named; a token the server refuses says what to check.
pub async fn test_rds(
    rds: &crate::integrations::model::AwsRds,
    aws_secrets: &AwsSecrets,
    db_secrets: &ConnectSecrets,
) -> super::ConnectionReport {
    use super::{step, ConnectionReport, FailureKind};
    use crate::integrations::model::DbAuth;
    let mut steps = Vec::new();
    let fail = |steps: Vec<_>, e: Error| {
        let kind = match e.code {
            ErrorCode::AwsAssumeRole => FailureKind::AwsAssumeRole,
            ErrorCode::AwsApi | ErrorCode::NotFound => FailureKind::AwsApi,
            ErrorCode::SecretMissing => FailureKind::SecretMissing,
            ErrorCode::TokenRejected => FailureKind::TokenRejected,
            _ => FailureKind::AwsCredentials,
        };
        ConnectionReport::failed(steps, kind, e.message, e.detail)
    };
    // A password login to a host given by hand needs nothing of AWS: no credentials to find,
    // no API to ask (the pool does not ask either).
    if rds.auth == DbAuth::Password && rds.target.is_none() {
        return super::test_connection(&rds.endpoint, db_secrets)
            .await
            .checked_for(super::prerequisites::Platform::AwsRds { iam: false });
    }
    let t = Instant::now();
    let aws = match configure(&rds.aws, &rds.region, aws_secrets, None).await {
        Ok(a) => a,
        Err(e) => {
            steps.push(step("AWS credentials", t, false, e.message.clone()));
            return fail(steps, e);
        }
    };
    let name = if rds.aws.assume_role.is_some() {
        "assume role"
    } else {
        "AWS credentials"
    };
    match aws.credentials().await {
        Ok(c) => steps.push(step(
            name,
            t,
            true,
            format!("{} (key {})", aws.source, c.access_key_id()),
        )),
        Err(e) => {
            steps.push(step(name, t, false, e.message.clone()));
            return fail(steps, e);
        }
    }
    let mut endpoint = rds.endpoint.clone();
    if let Some(target) = &rds.target {
        let t = Instant::now();
        match aws.describe(target).await {
            Ok(d) => {
                if rds.auth == DbAuth::Iam && !d.iam_auth {
                    let m = format!(
                        "IAM database authentication is not enabled on {}: enable it on the {} \
                         (--enable-iam-database-authentication), or log in with a password",
                        target.describe(),
                        if matches!(target, RdsTarget::Cluster { .. }) {
                            "cluster"
                        } else {
                            "instance"
                        }
                    );
                    steps.push(step("RDS API", t, false, m.clone()));
                    return fail(steps, Error::new(ErrorCode::TokenRejected, m));
                }
                steps.push(step(
                    "RDS API",
                    t,
                    true,
                    format!(
                        "{}: {} {}, {}, IAM auth {}",
                        target.describe(),
                        d.engine,
                        d.engine_version,
                        d.status,
                        if d.iam_auth { "on" } else { "off" }
                    ),
                ));
                if endpoint.host.is_empty() {
                    match (d.host, d.port) {
                        (Some(h), p) => {
                            endpoint.host = h;
                            if let Some(p) = p {
                                endpoint.port = p;
                            }
                        }
                        (None, _) => {
                            let m =
                                format!("{} has no endpoint yet ({})", target.describe(), d.status);
                            return fail(steps, Error::new(ErrorCode::AwsApi, m));
                        }
                    }
                }
            }
            Err(e) => {
                steps.push(step("RDS API", t, false, e.message.clone()));
                return fail(steps, e);
            }
        }
    }
    let secrets = match rds.auth {
        DbAuth::Password => db_secrets.clone(),
        DbAuth::Iam => {
            let t = Instant::now();
            match aws
                .iam_token(&endpoint.host, endpoint.port, &endpoint.username)
                .await
            {
                Ok(token) => {
                    steps.push(step(
                        "IAM token",
                        t,
                        true,
                        format!(
                            "signed for {}@{}:{}, valid 15 minutes",
                            endpoint.username, endpoint.host, endpoint.port
                        ),
                    ));
                    ConnectSecrets {
                        password: Some(token),
                        client_key_pem: db_secrets.client_key_pem.clone(),
                    }
                }
                Err(e) => {
                    steps.push(step("IAM token", t, false, e.message.clone()));
                    return fail(steps, e);
                }
            }
        }
    };
    let mut report = super::test_connection(&endpoint, &secrets).await;
    steps.append(&mut report.steps);
    report.steps = steps;
    if rds.auth == DbAuth::Iam && report.failure == Some(FailureKind::AuthFailed) {
        report.failure = Some(FailureKind::TokenRejected);
        report.message = format!(
            "the server refused the IAM token for {:?}: check that IAM database authentication \
             is enabled, that the user is granted rds_iam (GRANT rds_iam TO {}), and that the \
             AWS identity may rds-db:connect as this user",
            endpoint.username,
            crate::quote::ident(&endpoint.username)
        );
    }
    report.checked_for(super::prerequisites::Platform::AwsRds {
        iam: rds.auth == DbAuth::Iam,
    })
}
