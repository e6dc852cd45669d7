//! AWS RDS for PostgreSQL and Aurora PostgreSQL: a region, a target (DB instance or Aurora
//! cluster) whose endpoint the RDS API resolves or the user enters, database auth by IAM token
//! or saved password, and where the AWS credentials come from (default chain, a profile, static
//! keys whose secret parts live in the keychain, AssumeRole on top of any of them).

use super::self_hosted::SelfHostedInput;
use crate::error::Error;
use crate::integrations::model::{non_empty, CertSource, PgEndpoint, SslMode};
use crate::secrets::Secret;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The saved settings of an RDS or Aurora integration (no secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AwsRds {
    /// Host and port as resolved from the target (or entered), and the libpq settings: the
    /// same fields as a self-hosted connection, beside the AWS ones.
    #[serde(flatten)]
    pub endpoint: PgEndpoint,
    pub region: String,
    pub target: Option<RdsTarget>,
    pub auth: DbAuth,
    pub aws: AwsAccess,
}

/// Which RDS resource the integration is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(tag = "type", rename_all = "snake_case")]
pub enum RdsTarget {
    /// A DB instance (engine postgres, or one instance of an Aurora cluster).
    Instance { id: String },
    /// An Aurora cluster, through its writer or its reader endpoint.
    Cluster { id: String, reader: bool },
}

impl RdsTarget {
    pub fn id(&self) -> &str {
        match self {
            RdsTarget::Instance { id } | RdsTarget::Cluster { id, .. } => id,
        }
    }
    pub fn is_cluster(&self) -> bool {
        matches!(self, RdsTarget::Cluster { .. })
    }

    pub fn describe(&self) -> String {
        match self {
            RdsTarget::Instance { id } => format!("DB instance {id}"),
            RdsTarget::Cluster { id, reader } => format!(
                "Aurora cluster {id} ({} endpoint)",
                if *reader { "reader" } else { "writer" }
            ),
        }
    }
}

/// How the database user logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum DbAuth {
    /// A fresh IAM auth token (15 minutes) for every new connection.
    #[default]
    Iam,
    /// A database password kept in the keychain.
    Password,
}

/// Where the AWS credentials come from, and what is done with them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
pub struct AwsAccess {
    pub credentials: AwsCredentials,
    pub assume_role: Option<AssumeRole>,
    /// A custom endpoint for the AWS APIs Grantry calls (RDS and STS): a VPC endpoint, a
    /// test server.
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(tag = "source", rename_all = "snake_case")]
#[ts(tag = "source", rename_all = "snake_case")]
pub enum AwsCredentials {
    /// The SDK's default chain: environment, profile files, SSO, web identity, container and
    /// instance metadata.
    #[default]
    DefaultChain,
    /// A named profile, from the default files or from the files given.
    Profile {
        name: String,
        config_file: Option<String>,
        credentials_file: Option<String>,
    },
    /// An access key; its secret (and a session token, if any) is in the keychain.
    Static {
        access_key_id: String,
        has_session_token: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AssumeRole {
    pub role_arn: String,
    pub external_id: Option<String>,
    /// Default `grantry`.
    pub session_name: String,
    pub source_identity: Option<String>,
}

/// What the user enters for an RDS or Aurora integration.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default)]
pub struct AwsRdsInput {
    /// Required: never defaulted (the SDK would silently pick us-east-1).
    pub region: String,
    #[ts(optional)]
    pub target: Option<RdsTarget>,
    /// Empty with a target: resolved by DescribeDBInstances / DescribeDBClusters.
    pub host: String,
    #[ts(optional, type = "number")]
    pub port: Option<i64>,
    #[ts(optional)]
    pub database: Option<String>,
    pub username: String,
    #[ts(optional)]
    pub auth: Option<DbAuth>,
    /// With password auth: a new password; absent on edit keeps the saved one.
    #[ts(optional, type = "string")]
    pub password: Option<Secret>,
    pub clear_password: bool,
    pub session_only_password: bool,
    /// Default verify-full.
    #[ts(optional)]
    pub sslmode: Option<SslMode>,
    /// The RDS CA bundle (global-bundle.pem from truststore.pki.rds.amazonaws.com).
    #[ts(optional)]
    pub ca_cert: Option<CertSource>,
    #[ts(optional, type = "number")]
    pub connect_timeout_secs: Option<i64>,
    #[ts(optional)]
    pub application_name: Option<String>,
    pub aws: AwsAccessInput,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default)]
pub struct AwsAccessInput {
    pub credentials: AwsCredentialsInput,
    #[ts(optional)]
    pub assume_role: Option<AssumeRoleInput>,
    #[ts(optional)]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(tag = "source", rename_all = "snake_case")]
#[ts(tag = "source", rename_all = "snake_case")]
pub enum AwsCredentialsInput {
    #[default]
    DefaultChain,
    Profile {
        name: String,
        #[serde(default)]
        #[ts(optional)]
        config_file: Option<String>,
        #[serde(default)]
        #[ts(optional)]
        credentials_file: Option<String>,
    },
    Static {
        access_key_id: String,
        /// Absent on edit keeps the saved one.
        #[serde(default)]
        #[ts(optional, type = "string")]
        secret_access_key: Option<Secret>,
        #[serde(default)]
        #[ts(optional, type = "string")]
        session_token: Option<Secret>,
        /// On edit: forget the saved session token.
        #[serde(default)]
        clear_session_token: bool,
    },
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default)]
pub struct AssumeRoleInput {
    pub role_arn: String,
    #[ts(optional)]
    pub external_id: Option<String>,
    #[ts(optional)]
    pub session_name: Option<String>,
    #[ts(optional)]
    pub source_identity: Option<String>,
}

/// Whether `r` reads like an AWS region (`eu-west-1`, `us-gov-west-1`, `cn-north-1`,
/// `us-isob-east-1`).
pub fn is_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts.last().unwrap().bytes().all(|b| b.is_ascii_digit())
}

/// An RDS identifier: 1 to 63 letters, digits or hyphens, starting with a letter (the API's
/// own rule; an ARN is refused, to be clear about what is asked).
fn check_identifier(what: &str, id: &str) -> Option<String> {
    if id.is_empty() {
        Some(format!("the {what} identifier is required"))
    } else if id.len() > 63
        || !id.starts_with(|c: char| c.is_ascii_alphabetic())
        || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        Some(format!(
            "invalid {what} identifier {id:?}: 1 to 63 letters, digits or hyphens, starting with a letter"
        ))
    } else {
        None
    }
}

impl AwsRdsInput {
    /// The saved settings; each problem pushed to `problems`, naming its field.
    pub(crate) fn checked(&self, old: Option<&AwsRds>, problems: &mut Vec<Error>) -> AwsRds {
        let region = self.region.trim();
        if region.is_empty() {
            problems.push(
                Error::invalid("the AWS region is required (for example eu-west-1)").at("region"),
            );
        } else if !is_region(region) {
            problems.push(
                Error::invalid(format!(
                    "invalid AWS region {region:?}: a region looks like eu-west-1"
                ))
                .at("region"),
            );
        }
        let target = self.target.as_ref().map(|t| match t {
            RdsTarget::Instance { id } => RdsTarget::Instance {
                id: id.trim().to_string(),
            },
            RdsTarget::Cluster { id, reader } => RdsTarget::Cluster {
                id: id.trim().to_string(),
                reader: *reader,
            },
        });
        if let Some(t) = &target {
            let what = match t {
                RdsTarget::Instance { .. } => "DB instance",
                RdsTarget::Cluster { .. } => "DB cluster",
            };
            if let Some(m) = check_identifier(what, t.id()) {
                problems.push(Error::invalid(m).at("target"));
            }
        }
        // The libpq part is a self-hosted endpoint's, with RDS's defaults.
        let libpq = SelfHostedInput {
            host: self.host.clone(),
            port: self.port,
            database: self.database.clone(),
            username: self.username.clone(),
            sslmode: Some(self.sslmode.unwrap_or(SslMode::VerifyFull)),
            ca_cert: self.ca_cert.clone(),
            connect_timeout_secs: self.connect_timeout_secs,
            application_name: self.application_name.clone(),
            ..Default::default()
        };
        let mut libpq_problems = Vec::new();
        let mut endpoint = libpq.checked(None, &mut libpq_problems);
        for p in libpq_problems {
            match p.field.as_deref() {
                // With a target the host comes from the RDS API.
                Some("host") if target.is_some() && self.host.trim().is_empty() => {}
                Some("host") if target.is_none() && self.host.trim().is_empty() => problems.push(
                    Error::invalid(
                        "give the endpoint's host name, or a DB instance or cluster to look it up",
                    )
                    .at("host"),
                ),
                Some("ca_cert") => problems.push(
                    Error::invalid(format!(
                        "{}; for RDS this is the RDS CA bundle (global-bundle.pem from \
                         https://truststore.pki.rds.amazonaws.com)",
                        p.message
                    ))
                    .at("ca_cert"),
                ),
                _ => problems.push(p),
            }
        }
        if self.port.is_none() {
            if let Some(old) = old.filter(|o| o.target == target && target.is_some()) {
                endpoint.port = old.endpoint.port;
            }
        }
        if endpoint.host.is_empty() {
            // Kept from the last resolution when the target is unchanged.
            if let Some(old) = old.filter(|o| o.target == target) {
                endpoint.host = old.endpoint.host.clone();
                if self.port.is_none() {
                    endpoint.port = old.endpoint.port;
                }
            }
        }
        let aws = self.aws.checked(old.map(|o| &o.aws), problems);
        AwsRds {
            endpoint,
            region: region.to_string(),
            target,
            auth: self.auth.unwrap_or_default(),
            aws,
        }
    }
}

impl AwsAccessInput {
    fn checked(&self, old: Option<&AwsAccess>, problems: &mut Vec<Error>) -> AwsAccess {
        let mut bad = |field: &str, m: String| problems.push(Error::invalid(m).at(field));
        let credentials = match &self.credentials {
            AwsCredentialsInput::DefaultChain => AwsCredentials::DefaultChain,
            AwsCredentialsInput::Profile {
                name,
                config_file,
                credentials_file,
            } => {
                let name = name.trim();
                if name.is_empty() {
                    bad("aws_profile", "the AWS profile name is required".into());
                } else if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
                    bad(
                        "aws_profile",
                        format!("invalid AWS profile name {name:?}: it contains white space"),
                    );
                }
                for (field, file) in [
                    ("aws_config_file", config_file),
                    ("aws_credentials_file", credentials_file),
                ] {
                    if let Some(f) = non_empty(file.as_deref()) {
                        if let Err(e) =
                            std::fs::metadata(crate::integrations::model::expand_home(f))
                        {
                            bad(field, format!("cannot read the AWS file {f}: {e}"));
                        }
                    }
                }
                AwsCredentials::Profile {
                    name: name.to_string(),
                    config_file: non_empty(config_file.as_deref()).map(str::to_string),
                    credentials_file: non_empty(credentials_file.as_deref()).map(str::to_string),
                }
            }
            AwsCredentialsInput::Static {
                access_key_id,
                secret_access_key,
                session_token,
                clear_session_token,
            } => {
                let id = access_key_id.trim();
                let old_static = match old.map(|o| &o.credentials) {
                    Some(AwsCredentials::Static {
                        access_key_id,
                        has_session_token,
                    }) => Some((access_key_id.as_str(), *has_session_token)),
                    _ => None,
                };
                if id.len() < 16
                    || id.len() > 128
                    || !id
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                {
                    bad(
                        "aws_access_key_id",
                        format!(
                            "invalid AWS access key id {id:?}: 16 to 128 capital letters and digits (AKIA... or ASIA...)"
                        ),
                    );
                }
                let new_secret = secret_access_key.as_ref().filter(|s| !s.is_empty());
                // A new key id needs its own secret; the same one keeps the saved secret.
                if new_secret.is_none() && old_static.is_none_or(|(old_id, _)| old_id != id) {
                    bad(
                        "aws_secret_access_key",
                        "the secret access key is required with an access key id".into(),
                    );
                }
                if let Some(s) = new_secret {
                    if s.expose().trim() != s.expose() || s.expose().len() < 16 {
                        // Never echo it.
                        bad(
                            "aws_secret_access_key",
                            "the secret access key looks wrong (too short, or white space around it)"
                                .into(),
                        );
                    }
                }
                let has_session_token = match (
                    session_token.as_ref().filter(|t| !t.is_empty()),
                    clear_session_token,
                ) {
                    (Some(_), _) => true,
                    (None, true) => false,
                    // A new secret without a token: the old token belonged to the old secret.
                    (None, false) => new_secret.is_none() && old_static.is_some_and(|(_, t)| t),
                };
                if id.starts_with("ASIA") && !has_session_token {
                    bad(
                        "aws_session_token",
                        "an ASIA... access key is temporary: give its session token too".into(),
                    );
                }
                AwsCredentials::Static {
                    access_key_id: id.to_string(),
                    has_session_token,
                }
            }
        };
        let assume_role = self.assume_role.as_ref().and_then(|a| {
            let arn = a.role_arn.trim();
            if arn.is_empty()
                && a.external_id.is_none()
                && a.session_name.is_none()
                && a.source_identity.is_none()
            {
                return None;
            }
            if !(arn.starts_with("arn:aws") && arn.contains(":iam::") && arn.contains(":role/")) {
                bad(
                    "assume_role_arn",
                    format!(
                        "invalid role ARN {arn:?}: a role ARN looks like arn:aws:iam::123456789012:role/name"
                    ),
                );
            }
            let session_name = non_empty(a.session_name.as_deref()).unwrap_or("grantry");
            // STS's own rule for RoleSessionName and SourceIdentity: 2 to 64 of [\w+=,.@-].
            let sts_name = |s: &str| {
                (2..=64).contains(&s.len())
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
            };
            if !sts_name(session_name) {
                bad(
                    "assume_role_session_name",
                    format!(
                        "invalid session name {session_name:?}: 2 to 64 letters, digits or _+=,.@-"
                    ),
                );
            }
            let source_identity = non_empty(a.source_identity.as_deref());
            if let Some(s) = source_identity {
                if !sts_name(s) {
                    bad(
                        "assume_role_source_identity",
                        format!(
                            "invalid source identity {s:?}: 2 to 64 letters, digits or _+=,.@-"
                        ),
                    );
                }
            }
            let external_id = non_empty(a.external_id.as_deref());
            if let Some(e) = external_id {
                if !(2..=1224).contains(&e.len())
                    || !e
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c))
                {
                    bad(
                        "assume_role_external_id",
                        format!(
                            "invalid external id {e:?}: 2 to 1224 letters, digits or _+=,.@:/-"
                        ),
                    );
                }
            }
            Some(AssumeRole {
                role_arn: arn.to_string(),
                external_id: external_id.map(str::to_string),
                session_name: session_name.to_string(),
                source_identity: source_identity.map(str::to_string),
            })
        });
        let endpoint_url = non_empty(self.endpoint_url.as_deref()).map(str::to_string);
        if let Some(u) = &endpoint_url {
            match url::Url::parse(u) {
                Ok(p) if matches!(p.scheme(), "http" | "https") && p.host().is_some() => {}
                _ => bad(
                    "aws_endpoint_url",
                    format!("invalid endpoint URL {u:?}: give http(s)://host[:port]"),
                ),
            }
        }
        AwsAccess {
            credentials,
            assume_role,
            endpoint_url,
        }
    }

    /// The settings on their own (discovery, before any integration exists): the first problem
    /// is the error.
    pub fn validate(&self) -> crate::error::Result<AwsAccess> {
        let mut problems = Vec::new();
        let access = self.checked(None, &mut problems);
        match problems.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(access),
        }
    }

    /// New secrets given with the input: (secret access key, session token).
    pub fn new_secrets(&self) -> (Option<&Secret>, Option<&Secret>) {
        match &self.credentials {
            AwsCredentialsInput::Static {
                secret_access_key,
                session_token,
                ..
            } => (
                secret_access_key.as_ref().filter(|s| !s.is_empty()),
                session_token.as_ref().filter(|s| !s.is_empty()),
            ),
            _ => (None, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> AwsRdsInput {
        AwsRdsInput {
            region: "eu-west-1".into(),
            target: Some(RdsTarget::Instance {
                id: "orders".into(),
            }),
            username: "grantry".into(),
            ca_cert: Some(CertSource::File {
                path: "system".into(),
            }),
            ..Default::default()
        }
    }

    fn problems(i: &AwsRdsInput) -> Vec<(String, String)> {
        let mut p = Vec::new();
        i.checked(None, &mut p);
        p.into_iter()
            .map(|e| (e.field.unwrap_or_default(), e.message))
            .collect()
    }

    #[test]
    fn regions_are_required_and_checked() {
        assert!(problems(&input()).is_empty(), "{:?}", problems(&input()));
        for r in ["eu-west-1", "us-gov-west-1", "cn-north-1", "us-isob-east-1"] {
            assert!(is_region(r), "{r}");
        }
        for r in [
            "",
            "eu-west",
            "EU-WEST-1",
            "eu_west_1",
            "europe-west-1",
            "eu-west-1 ",
        ] {
            assert!(!is_region(r), "{r}");
        }
        let p = problems(&AwsRdsInput {
            region: String::new(),
            ..input()
        });
        assert_eq!(p[0].0, "region");
        assert!(p[0].1.contains("required"), "{p:?}");
    }

    #[test]
    fn host_or_target_and_verify_full_by_default() {
        let mut p = Vec::new();
        let s = input().checked(None, &mut p);
        assert_eq!(s.endpoint.sslmode, SslMode::VerifyFull);
        assert_eq!(s.auth, DbAuth::Iam);
        assert!(s.endpoint.host.is_empty());
        let p = problems(&AwsRdsInput {
            target: None,
            ..input()
        });
        assert_eq!(p[0].0, "host");
        let p = problems(&AwsRdsInput {
            ca_cert: None,
            ..input()
        });
        assert_eq!(p[0].0, "ca_cert");
        assert!(p[0].1.contains("RDS CA bundle"), "{p:?}");
        let p = problems(&AwsRdsInput {
            target: Some(RdsTarget::Cluster {
                id: "arn:aws:rds:eu-west-1:1:cluster:x".into(),
                reader: true,
            }),
            ..input()
        });
        assert_eq!(p[0].0, "target");
    }

    #[test]
    fn static_keys_need_their_secret_and_temporary_ones_their_token() {
        let with = |c: AwsCredentialsInput| AwsRdsInput {
            aws: AwsAccessInput {
                credentials: c,
                ..Default::default()
            },
            ..input()
        };
        let p = problems(&with(AwsCredentialsInput::Static {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: None,
            session_token: None,
            clear_session_token: false,
        }));
        assert_eq!(p[0].0, "aws_secret_access_key");
        let p = problems(&with(AwsCredentialsInput::Static {
            access_key_id: "ASIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: Some(Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")),
            session_token: None,
            clear_session_token: false,
        }));
        assert_eq!(p[0].0, "aws_session_token");
        let p = problems(&with(AwsCredentialsInput::Static {
            access_key_id: "akia lower".into(),
            secret_access_key: Some(Secret::new("x")),
            session_token: None,
            clear_session_token: false,
        }));
        let fields: Vec<&str> = p.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["aws_access_key_id", "aws_secret_access_key"]);
        assert!(
            !p.iter().any(|(_, m)| m.contains("\"x\"")),
            "secret echoed: {p:?}"
        );
        // Editing with the same key id keeps the saved secret.
        let old = AwsRds {
            aws: AwsAccess {
                credentials: AwsCredentials::Static {
                    access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
                    has_session_token: false,
                },
                ..Default::default()
            },
            ..input().checked(None, &mut Vec::new())
        };
        let mut p = Vec::new();
        with(AwsCredentialsInput::Static {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: None,
            session_token: None,
            clear_session_token: false,
        })
        .checked(Some(&old), &mut p);
        assert!(p.is_empty(), "{p:?}");
    }

    #[test]
    fn assume_role_fields_follow_sts_rules() {
        let with = |a: AssumeRoleInput| AwsRdsInput {
            aws: AwsAccessInput {
                assume_role: Some(a),
                ..Default::default()
            },
            ..input()
        };
        let mut p = Vec::new();
        let s = with(AssumeRoleInput {
            role_arn: "arn:aws:iam::123456789012:role/grantry".into(),
            ..Default::default()
        })
        .checked(None, &mut p);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(s.aws.assume_role.unwrap().session_name, "grantry");
        let p = problems(&with(AssumeRoleInput {
            role_arn: "grantry".into(),
            session_name: Some("a b".into()),
            source_identity: Some("x".into()),
            external_id: Some("has space".into()),
        }));
        let fields: Vec<&str> = p.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "assume_role_arn",
                "assume_role_session_name",
                "assume_role_source_identity",
                "assume_role_external_id"
            ]
        );
        // An empty form is no AssumeRole at all.
        let mut p = Vec::new();
        let s = with(AssumeRoleInput::default()).checked(None, &mut p);
        assert!(p.is_empty() && s.aws.assume_role.is_none());
    }
}
