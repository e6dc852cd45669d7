//! The CLI's AWS flags: an RDS / Aurora integration's settings (`integration add --kind aws-rds`)
//! and discovery (`discover aws`).

use clap::Args;
use grantry_core::integrations::model::{
    AssumeRoleInput, AwsAccessInput, AwsCredentialsInput, DbAuth, RdsTarget,
};
use grantry_core::{Error, Secret};

/// Where the AWS credentials come from, and what is done with them.
#[derive(Args, Default)]
pub struct AwsAccessArgs {
    /// A named AWS profile (default: the SDK's default credential chain).
    #[arg(long)]
    pub aws_profile: Option<String>,
    /// The profile's config file (default ~/.aws/config).
    #[arg(long, requires = "aws_profile")]
    pub aws_config_file: Option<String>,
    /// The profile's credentials file (default ~/.aws/credentials).
    #[arg(long, requires = "aws_profile")]
    pub aws_credentials_file: Option<String>,
    /// A static access key id; its secret is read from stdin (--aws-secret-stdin).
    #[arg(long, conflicts_with = "aws_profile", requires = "aws_secret_stdin")]
    pub aws_access_key_id: Option<String>,
    /// Read the secret access key from stdin's first line (and a session token from its second).
    #[arg(
        long,
        visible_alias = "aws-secret-access-key-stdin",
        requires = "aws_access_key_id"
    )]
    pub aws_secret_stdin: bool,
    /// The keys are temporary (ASIA...): their session token is stdin's second line, required.
    #[arg(long, requires = "aws_secret_stdin")]
    pub aws_session_token_stdin: bool,
    /// Assume this role (arn:aws:iam::ACCOUNT:role/NAME) on top of the credentials.
    #[arg(long, visible_alias = "assume-role-arn")]
    pub assume_role: Option<String>,
    #[arg(long, requires = "assume_role")]
    pub external_id: Option<String>,
    /// RoleSessionName (default grantry).
    #[arg(long, requires = "assume_role")]
    pub session_name: Option<String>,
    #[arg(long, requires = "assume_role")]
    pub source_identity: Option<String>,
    /// A custom endpoint for the AWS APIs (RDS and STS).
    #[arg(long)]
    pub aws_endpoint_url: Option<String>,
}

impl AwsAccessArgs {
    /// The settings, with the secret (and token) from stdin when asked.
    pub fn input(&self, stdin: Option<(Secret, Option<Secret>)>) -> AwsAccessInput {
        let credentials = match (&self.aws_profile, &self.aws_access_key_id) {
            (Some(name), _) => AwsCredentialsInput::Profile {
                name: name.clone(),
                config_file: self.aws_config_file.clone(),
                credentials_file: self.aws_credentials_file.clone(),
            },
            (None, Some(id)) => {
                let (secret, token) = match stdin {
                    Some((s, t)) => (Some(s), t),
                    None => (None, None),
                };
                AwsCredentialsInput::Static {
                    access_key_id: id.clone(),
                    secret_access_key: secret,
                    session_token: token,
                    clear_session_token: false,
                }
            }
            (None, None) => AwsCredentialsInput::DefaultChain,
        };
        AwsAccessInput {
            credentials,
            assume_role: self.assume_role.as_ref().map(|arn| AssumeRoleInput {
                role_arn: arn.clone(),
                external_id: self.external_id.clone(),
                session_name: self.session_name.clone(),
                source_identity: self.source_identity.clone(),
            }),
            endpoint_url: self.aws_endpoint_url.clone(),
        }
    }
}

/// `integration add --kind aws-rds`: the RDS part.
#[derive(Args, Default)]
pub struct RdsArgs {
    /// The AWS region (required for aws-rds; never defaulted).
    #[arg(long)]
    pub region: Option<String>,
    /// A DB instance id: its endpoint is looked up (unless --host is given).
    #[arg(long, visible_alias = "instance-id", conflicts_with = "cluster")]
    pub instance: Option<String>,
    /// An Aurora cluster id: its writer endpoint (or --reader) is looked up.
    #[arg(long, visible_alias = "cluster-id")]
    pub cluster: Option<String>,
    #[arg(long, requires = "cluster")]
    pub reader: bool,
    /// aws-rds: iam (a fresh token for each connection, the default) or password
    /// (--password-stdin); azure: entra (the default with a token source) or password.
    #[arg(long)]
    pub auth: Option<String>,
    #[command(flatten)]
    pub access: AwsAccessArgs,
}

impl RdsArgs {
    pub fn target(&self) -> Option<RdsTarget> {
        match (&self.instance, &self.cluster) {
            (Some(id), _) => Some(RdsTarget::Instance { id: id.clone() }),
            (None, Some(id)) => Some(RdsTarget::Cluster {
                id: id.clone(),
                reader: self.reader,
            }),
            (None, None) => None,
        }
    }

    pub fn auth(&self) -> Result<Option<DbAuth>, Error> {
        match self.auth.as_deref() {
            None => Ok(None),
            Some("iam") => Ok(Some(DbAuth::Iam)),
            Some("password") => Ok(Some(DbAuth::Password)),
            Some(other) => Err(Error::invalid(format!(
                "unknown auth {other:?}: expected iam or password"
            ))
            .at("auth")),
        }
    }

    /// Whether any RDS flag was given (they mean nothing for a self-hosted server).
    /// Any RDS flag other than --auth (which the Azure kind takes too).
    pub fn any_but_auth(&self) -> bool {
        let a = &self.access;
        self.region.is_some()
            || self.instance.is_some()
            || self.cluster.is_some()
            || a.aws_profile.is_some()
            || a.aws_access_key_id.is_some()
            || a.assume_role.is_some()
            || a.aws_endpoint_url.is_some()
    }
}

/// `discover aws`.
#[derive(Args)]
pub struct DiscoverArgs {
    #[arg(long)]
    pub region: String,
    /// Keep databases with this tag: `key=value`, or `key` for any value. Repeatable (all must
    /// match).
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    #[command(flatten)]
    pub access: AwsAccessArgs,
    #[command(flatten)]
    pub add: DiscoverAddArgs,
}

/// `discover aws --add`: save what was found as integrations, in one step.
#[derive(Args)]
pub struct DiscoverAddArgs {
    /// Save the databases found (these instance or cluster ids; none named: every one) as
    /// integrations named by their ids.
    #[arg(long, num_args = 0.., value_name = "ID")]
    pub add: Option<Vec<String>>,
    /// The user the new integrations log in as (required with --add).
    #[arg(long, requires = "add")]
    pub user: Option<String>,
    /// iam (the default: a fresh token for each connection) or password (asked for at use,
    /// with --password-stdin).
    #[arg(long, requires = "add")]
    pub auth: Option<String>,
    /// The database to connect to (default: the one RDS reports, else postgres).
    #[arg(long, requires = "add")]
    pub database: Option<String>,
    /// Default verify-full.
    #[arg(long, requires = "add")]
    pub sslmode: Option<String>,
    /// The RDS CA bundle (global-bundle.pem).
    #[arg(long, requires = "add")]
    pub ca_cert: Option<String>,
    /// The tag whose value is each integration's environment (`env=prod` -> production).
    #[arg(long, requires = "add")]
    pub environment_from_tag: Option<String>,
    /// The environment of one without that tag (default development).
    #[arg(long, requires = "add")]
    pub environment: Option<String>,
    #[arg(long, requires = "add")]
    pub read_only: bool,
}

impl DiscoverArgs {
    pub fn tags(&self) -> Result<Vec<(String, Option<String>)>, Error> {
        self.tags
            .iter()
            .map(|t| match t.split_once('=') {
                Some((k, _)) if k.trim().is_empty() => {
                    Err(Error::invalid(format!("--tag {t:?}: the key is empty")).at("tag"))
                }
                Some((k, v)) => Ok((k.to_string(), Some(v.to_string()))),
                None if t.trim().is_empty() => {
                    Err(Error::invalid("--tag: the key is empty").at("tag"))
                }
                None => Ok((t.clone(), None)),
            })
            .collect()
    }
}

/// Reads the secret access key (first line) and an optional session token (second line).
pub fn read_aws_secret_stdin(token_required: bool) -> Result<(Secret, Option<Secret>), Error> {
    use std::io::Read;
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| Error::invalid(format!("cannot read the AWS secret from stdin: {e}")))?;
    let mut lines = s.lines();
    let secret = lines.next().unwrap_or_default().to_string();
    if secret.is_empty() {
        return Err(Error::invalid(
            "--aws-secret-stdin: the first line of stdin (the secret access key) is empty",
        )
        .at("aws_secret_access_key"));
    }
    let token = lines
        .next()
        .filter(|t| !t.is_empty())
        .map(|t| Secret::new(t.to_string()));
    if token_required && token.is_none() {
        return Err(Error::invalid(
            "--aws-session-token-stdin: the second line of stdin (the session token) is empty",
        )
        .at("aws_session_token"));
    }
    Ok((Secret::new(secret), token))
}

impl DiscoverArgs {
    /// `--add`: the request to save what is found, with the AWS secret read from stdin.
    pub fn add_request(
        &self,
        stdin: Option<(Secret, Option<Secret>)>,
    ) -> Result<Option<grantry_core::integrations::discovered::AddDiscovered>, Error> {
        use grantry_core::integrations::model::{AwsRdsInput, CertSource, Environment, SslMode};
        let a = &self.add;
        let Some(ids) = &a.add else { return Ok(None) };
        let user = a.user.clone().unwrap_or_default();
        if user.trim().is_empty() {
            return Err(Error::invalid(
                "--add needs --user: the user the new integrations log in as",
            )
            .at("username"));
        }
        let auth = RdsArgs {
            auth: a.auth.clone(),
            ..Default::default()
        }
        .auth()?;
        let settings = AwsRdsInput {
            region: self.region.clone(),
            username: user,
            auth,
            // A password login is given its password at use (nothing to store yet).
            session_only_password: auth == Some(DbAuth::Password),
            database: a.database.clone(),
            sslmode: match &a.sslmode {
                Some(m) => Some(SslMode::parse(m).map_err(|e| e.at("sslmode"))?),
                None => None,
            },
            ca_cert: a.ca_cert.clone().map(|path| CertSource::File {
                path: crate::file_arg(path),
            }),
            aws: self.access.input(stdin),
            ..Default::default()
        };
        Ok(Some(
            grantry_core::integrations::discovered::AddDiscovered {
                settings,
                tags: self.tags()?,
                ids: ids.clone(),
                environment_from_tag: a.environment_from_tag.clone(),
                environment: a
                    .environment
                    .as_deref()
                    .map(Environment::parse)
                    .transpose()
                    .map_err(|e| e.at("environment"))?,
                read_only: a.read_only,
            },
        ))
    }
}
