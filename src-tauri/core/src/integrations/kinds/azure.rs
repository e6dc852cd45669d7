//! Azure Database for PostgreSQL Flexible Server: host, port, database and user as for any
//! server, TLS always (verify-full against the system's roots by default), and a login by saved
//! password or by a Microsoft Entra ID access token, fetched fresh for each new connection from
//! a client secret (kept in the keychain), a managed identity, or the Azure CLI / developer tools.

use super::self_hosted::SelfHostedInput;
use crate::error::Error;
use crate::integrations::model::{non_empty, CertSource, PgEndpoint, SslMode};
use crate::secrets::Secret;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The saved settings of an Azure integration (no secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Azure {
    /// The libpq settings, as a self-hosted connection's.
    #[serde(flatten)]
    pub endpoint: PgEndpoint,
    pub auth: AzureAuth,
}

/// How the database user logs in.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(tag = "method", rename_all = "snake_case")]
#[ts(tag = "method", rename_all = "snake_case")]
pub enum AzureAuth {
    /// A database password kept in the keychain.
    #[default]
    Password,
    /// A Microsoft Entra ID access token for Azure Database for PostgreSQL, as the password.
    Entra {
        source: EntraSource,
        /// The authority for a sovereign cloud (`https://login.microsoftonline.us`, ...);
        /// `None` is the public cloud's.
        authority_host: Option<String>,
    },
}

/// Where the Entra ID token comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "source", rename_all = "snake_case")]
#[ts(tag = "source", rename_all = "snake_case")]
pub enum EntraSource {
    /// An app registration's client secret; the secret is in the keychain.
    ClientSecret {
        tenant_id: String,
        client_id: String,
    },
    /// The managed identity of the Azure host Grantry runs on: system-assigned, or the
    /// user-assigned one with this client id.
    ManagedIdentity { client_id: Option<String> },
    /// The account logged in to the Azure CLI (`az login`), in its default tenant or this one.
    AzureCli { tenant_id: Option<String> },
    /// The Azure CLI, then the Azure Developer CLI: the first that gives a token.
    DeveloperTools,
}

impl EntraSource {
    /// What the token source is, for reports.
    pub fn describe(&self) -> String {
        match self {
            EntraSource::ClientSecret {
                tenant_id,
                client_id,
            } => format!("client secret of app {client_id} in tenant {tenant_id}"),
            EntraSource::ManagedIdentity { client_id: None } => {
                "the system-assigned managed identity".into()
            }
            EntraSource::ManagedIdentity { client_id: Some(c) } => {
                format!("the user-assigned managed identity {c}")
            }
            EntraSource::AzureCli { tenant_id: None } => "the Azure CLI's account".into(),
            EntraSource::AzureCli { tenant_id: Some(t) } => {
                format!("the Azure CLI's account in tenant {t}")
            }
            EntraSource::DeveloperTools => {
                "developer tools (Azure CLI, Azure Developer CLI)".into()
            }
        }
    }
}

/// What the user enters for an Azure integration.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default)]
pub struct AzureInput {
    /// `<server>.postgres.database.azure.com`, or a private endpoint's name.
    pub host: String,
    #[ts(optional, type = "number")]
    pub port: Option<i64>,
    #[ts(optional)]
    pub database: Option<String>,
    /// With Entra: the name of the principal's role (`pgaadauth_create_principal`).
    pub username: String,
    pub auth: AzureAuthInput,
    /// With password auth: a new password; absent on edit keeps the saved one.
    #[ts(optional, type = "string")]
    pub password: Option<Secret>,
    pub clear_password: bool,
    pub session_only_password: bool,
    /// Default verify-full; TLS is mandatory on Azure, so no weaker mode than require.
    #[ts(optional)]
    pub sslmode: Option<SslMode>,
    /// Default: the system's roots (Azure's certificates chain to DigiCert and Microsoft roots).
    #[ts(optional)]
    pub ca_cert: Option<CertSource>,
    #[ts(optional, type = "number")]
    pub connect_timeout_secs: Option<i64>,
    #[ts(optional)]
    pub application_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(tag = "method", rename_all = "snake_case")]
#[ts(tag = "method", rename_all = "snake_case")]
pub enum AzureAuthInput {
    #[default]
    Password,
    Entra {
        source: EntraSourceInput,
        #[serde(default)]
        #[ts(optional)]
        authority_host: Option<String>,
    },
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(tag = "source", rename_all = "snake_case")]
#[ts(tag = "source", rename_all = "snake_case")]
pub enum EntraSourceInput {
    ClientSecret {
        tenant_id: String,
        client_id: String,
        /// Absent on edit keeps the saved one (for the same app).
        #[serde(default)]
        #[ts(optional, type = "string")]
        client_secret: Option<Secret>,
    },
    ManagedIdentity {
        #[serde(default)]
        #[ts(optional)]
        client_id: Option<String>,
    },
    AzureCli {
        #[serde(default)]
        #[ts(optional)]
        tenant_id: Option<String>,
    },
    DeveloperTools,
}

/// Whether `s` is a GUID as Entra writes ids: 8-4-4-4-12 hex digits.
pub fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A tenant is named by its id (a GUID) or one of its domains (`contoso.onmicrosoft.com`).
fn tenant_problem(t: &str) -> Option<String> {
    if t.is_empty() {
        return Some("the tenant (directory) id is required".into());
    }
    let domain = t.contains('.')
        && t.split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    (!is_guid(t) && !domain).then(|| {
        format!(
            "invalid tenant {t:?}: give the directory (tenant) id, a GUID such as \
             72f988bf-86f1-41af-91ab-2d7cd011db47, or a domain such as contoso.onmicrosoft.com"
        )
    })
}

impl AzureInput {
    /// The saved settings; each problem pushed to `problems`, naming its field.
    pub(crate) fn checked(&self, old: Option<&Azure>, problems: &mut Vec<Error>) -> Azure {
        let sslmode = self.sslmode.unwrap_or(SslMode::VerifyFull);
        if matches!(sslmode, SslMode::Disable | SslMode::Allow | SslMode::Prefer) {
            problems.push(
                Error::invalid(format!(
                    "sslmode {} is refused: Azure Database for PostgreSQL takes TLS connections \
                     only; use verify-full (or require, verify-ca)",
                    sslmode.as_str()
                ))
                .at("sslmode"),
            );
        }
        let libpq = SelfHostedInput {
            host: self.host.clone(),
            port: self.port,
            database: self.database.clone(),
            username: self.username.clone(),
            sslmode: Some(sslmode),
            // verify-full checks against the system's roots unless a CA is given; require checks
            // no certificate (libpq's rule), and verify-ca needs the CA named.
            ca_cert: self.ca_cert.clone().or_else(|| {
                (sslmode == SslMode::VerifyFull).then(|| CertSource::File {
                    path: "system".into(),
                })
            }),
            connect_timeout_secs: self.connect_timeout_secs,
            application_name: self.application_name.clone(),
            ..Default::default()
        };
        let endpoint = libpq.checked(None, problems);
        let auth = match &self.auth {
            AzureAuthInput::Password => AzureAuth::Password,
            AzureAuthInput::Entra {
                source,
                authority_host,
            } => {
                let mut bad = |field: &str, m: String| problems.push(Error::invalid(m).at(field));
                // The saved secret is sent only where it was saved for: the same app of the same
                // tenant at the same authority. Anything else needs the secret typed again.
                let new_authority = non_empty(authority_host.as_deref())
                    .map(|a| a.trim_end_matches('/').to_string());
                let old_app = match old.map(|o| &o.auth) {
                    Some(AzureAuth::Entra {
                        source:
                            EntraSource::ClientSecret {
                                tenant_id,
                                client_id,
                            },
                        authority_host: old_authority,
                    }) if *old_authority == new_authority => {
                        Some((tenant_id.as_str(), client_id.as_str()))
                    }
                    _ => None,
                };
                let source = match source {
                    EntraSourceInput::ClientSecret {
                        tenant_id,
                        client_id,
                        client_secret,
                    } => {
                        let (tenant, client) = (tenant_id.trim(), client_id.trim());
                        if let Some(m) = tenant_problem(tenant) {
                            bad("entra_tenant_id", m);
                        }
                        if client.is_empty() {
                            bad(
                                "entra_client_id",
                                "the application (client) id is required".into(),
                            );
                        } else if !is_guid(client) {
                            bad(
                                "entra_client_id",
                                format!(
                                    "invalid client id {client:?}: the application (client) id \
                                     is a GUID, as the app registration shows it"
                                ),
                            );
                        }
                        let new_secret = client_secret.as_ref().filter(|s| !s.is_empty());
                        // Another app, tenant or authority needs the secret again; the same keeps it.
                        if new_secret.is_none() && old_app != Some((tenant, client)) {
                            bad(
                                "entra_client_secret",
                                if old.is_some_and(|o| o.has_client_secret()) {
                                    "give the client secret again: the saved one is only sent to the app, tenant and authority it was saved for"
                                } else {
                                    "the client secret is required with a client id"
                                }
                                .into(),
                            );
                        }
                        if let Some(s) = new_secret {
                            if s.expose().trim() != s.expose() {
                                // Never echo it.
                                bad(
                                    "entra_client_secret",
                                    "the client secret has white space around it".into(),
                                );
                            }
                        }
                        EntraSource::ClientSecret {
                            tenant_id: tenant.to_string(),
                            client_id: client.to_string(),
                        }
                    }
                    EntraSourceInput::ManagedIdentity { client_id } => {
                        let id = non_empty(client_id.as_deref());
                        if let Some(c) = id.filter(|c| !is_guid(c)) {
                            bad(
                                "entra_client_id",
                                format!(
                                    "invalid client id {c:?}: a user-assigned identity's client \
                                     id is a GUID (leave it empty for the system-assigned one)"
                                ),
                            );
                        }
                        EntraSource::ManagedIdentity {
                            client_id: id.map(str::to_string),
                        }
                    }
                    EntraSourceInput::AzureCli { tenant_id } => {
                        let t = non_empty(tenant_id.as_deref());
                        if let Some(m) = t.and_then(tenant_problem) {
                            bad("entra_tenant_id", m);
                        }
                        EntraSource::AzureCli {
                            tenant_id: t.map(str::to_string),
                        }
                    }
                    EntraSourceInput::DeveloperTools => EntraSource::DeveloperTools,
                };
                let authority_host = non_empty(authority_host.as_deref()).map(|a| {
                    match url::Url::parse(a) {
                        // The host (and port) only: the credential joins the tenant's path to it.
                        Ok(u)
                            if u.scheme() == "https"
                                && u.host().is_some()
                                && (!u.username().is_empty()
                                    || u.password().is_some()
                                    || !matches!(u.path(), "" | "/")
                                    || u.query().is_some()
                                    || u.fragment().is_some()) =>
                        {
                            bad(
                                "entra_authority_host",
                                format!(
                                    "invalid authority host {a:?}: give only https://host[:port], \
                                     without user, path or query"
                                ),
                            )
                        }
                        Ok(u) if u.scheme() == "https" && u.host().is_some() => {}
                        Ok(u) if u.scheme() == "http" => bad(
                            "entra_authority_host",
                            format!(
                                "invalid authority host {a:?}: Entra ID is reached over HTTPS only"
                            ),
                        ),
                        _ => bad(
                            "entra_authority_host",
                            format!(
                                "invalid authority host {a:?}: give https://host, such as \
                                 https://login.microsoftonline.us"
                            ),
                        ),
                    }
                    a.trim_end_matches('/').to_string()
                });
                AzureAuth::Entra {
                    source,
                    authority_host,
                }
            }
        };
        Azure { endpoint, auth }
    }

    /// A new client secret given with the input.
    pub fn new_client_secret(&self) -> Option<&Secret> {
        match &self.auth {
            AzureAuthInput::Entra {
                source:
                    EntraSourceInput::ClientSecret {
                        client_secret: Some(s),
                        ..
                    },
                ..
            } => Some(s).filter(|s| !s.is_empty()),
            _ => None,
        }
    }
}

impl Azure {
    /// Whether the login is a token, not a password.
    pub fn uses_token(&self) -> bool {
        matches!(self.auth, AzureAuth::Entra { .. })
    }
    /// Whether a client secret is kept in the keychain.
    pub fn has_client_secret(&self) -> bool {
        matches!(
            self.auth,
            AzureAuth::Entra {
                source: EntraSource::ClientSecret { .. },
                ..
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(auth: AzureAuthInput) -> AzureInput {
        AzureInput {
            host: "grantry-db.postgres.database.azure.com".into(),
            username: "grantry_connector".into(),
            auth,
            ..Default::default()
        }
    }

    fn problems(i: &AzureInput, old: Option<&Azure>) -> Vec<(String, String)> {
        let mut p = Vec::new();
        i.checked(old, &mut p);
        p.into_iter()
            .map(|e| (e.field.unwrap_or_default(), e.message))
            .collect()
    }

    const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    const CLIENT: &str = "0d3f5a7c-1b2e-4c6d-8e9f-a0b1c2d3e4f5";

    fn secret_auth(tenant: &str, client: &str, secret: Option<&str>) -> AzureAuthInput {
        AzureAuthInput::Entra {
            source: EntraSourceInput::ClientSecret {
                tenant_id: tenant.into(),
                client_id: client.into(),
                client_secret: secret.map(Secret::new),
            },
            authority_host: None,
        }
    }

    #[test]
    fn tls_is_verified_against_the_system_roots_by_default() {
        let mut p = Vec::new();
        let a = input(AzureAuthInput::Password).checked(None, &mut p);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(a.endpoint.sslmode, SslMode::VerifyFull);
        assert!(a
            .endpoint
            .ca_cert
            .as_ref()
            .is_some_and(CertSource::is_system));
        assert_eq!(a.auth, AzureAuth::Password);
        for weak in [SslMode::Disable, SslMode::Allow, SslMode::Prefer] {
            let i = AzureInput {
                sslmode: Some(weak),
                ..input(AzureAuthInput::Password)
            };
            let p = problems(&i, None);
            assert!(
                p.iter()
                    .any(|(f, m)| f == "sslmode" && m.contains("TLS connections only")),
                "{weak:?}: {p:?}"
            );
        }
    }

    #[test]
    fn client_secret_fields_follow_entra_rules() {
        assert!(problems(&input(secret_auth(TENANT, CLIENT, Some("s3cr3t~x"))), None).is_empty());
        assert!(problems(
            &input(secret_auth("contoso.onmicrosoft.com", CLIENT, Some("x"))),
            None
        )
        .is_empty());
        let p = problems(&input(secret_auth("contoso", "app", None)), None);
        let fields: Vec<&str> = p.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            ["entra_tenant_id", "entra_client_id", "entra_client_secret"],
            "{p:?}"
        );
        assert!(p[1].1.contains("is a GUID"), "{}", p[1].1);
        // On edit the saved secret stays for the same app, not for another one.
        let saved = input(secret_auth(TENANT, CLIENT, Some("x"))).checked(None, &mut Vec::new());
        assert!(problems(&input(secret_auth(TENANT, CLIENT, None)), Some(&saved)).is_empty());
        let other = "1d3f5a7c-1b2e-4c6d-8e9f-a0b1c2d3e4f5";
        let p = problems(&input(secret_auth(TENANT, other, None)), Some(&saved));
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].0, "entra_client_secret");
        let p = problems(&input(secret_auth(TENANT, CLIENT, Some(" x "))), None);
        assert!(
            p[0].1.contains("white space") && !p[0].1.contains(" x "),
            "{p:?}"
        );
    }

    #[test]
    fn the_saved_secret_is_kept_only_for_its_app_tenant_and_authority() {
        let mut saved_auth = secret_auth(TENANT, CLIENT, Some("x"));
        if let AzureAuthInput::Entra { authority_host, .. } = &mut saved_auth {
            *authority_host = Some("https://login.microsoftonline.us".into());
        }
        let saved = input(saved_auth).checked(None, &mut Vec::new());
        let edit = |authority: Option<&str>| {
            let mut a = secret_auth(TENANT, CLIENT, None);
            if let AzureAuthInput::Entra { authority_host, .. } = &mut a {
                *authority_host = authority.map(str::to_string);
            }
            problems(&input(a), Some(&saved))
        };
        assert!(edit(Some("https://login.microsoftonline.us/")).is_empty());
        for other in [None, Some("https://evil.example.com")] {
            let p = edit(other);
            assert_eq!(p.len(), 1, "{other:?}: {p:?}");
            assert_eq!(p[0].0, "entra_client_secret");
            assert!(
                p[0].1
                    .contains("only sent to the app, tenant and authority"),
                "{p:?}"
            );
        }
    }

    #[test]
    fn require_checks_no_certificate_and_verify_ca_needs_one() {
        let with = |m: SslMode| {
            let i = AzureInput {
                sslmode: Some(m),
                ..input(AzureAuthInput::Password)
            };
            let mut p = Vec::new();
            let a = i.checked(None, &mut p);
            (a, p)
        };
        let (a, p) = with(SslMode::Require);
        assert!(p.is_empty() && a.endpoint.ca_cert.is_none(), "{p:?}");
        let (_, p) = with(SslMode::VerifyCa);
        assert!(
            p.iter().any(|e| e.field.as_deref() == Some("ca_cert")),
            "{p:?}"
        );
    }

    #[test]
    fn other_sources_and_the_authority_host() {
        let mi = |c: Option<&str>| AzureAuthInput::Entra {
            source: EntraSourceInput::ManagedIdentity {
                client_id: c.map(str::to_string),
            },
            authority_host: None,
        };
        assert!(problems(&input(mi(None)), None).is_empty());
        assert!(problems(&input(mi(Some(CLIENT))), None).is_empty());
        assert_eq!(
            problems(&input(mi(Some("mine"))), None)[0].0,
            "entra_client_id"
        );
        let cli = AzureAuthInput::Entra {
            source: EntraSourceInput::AzureCli {
                tenant_id: Some("not a tenant".into()),
            },
            authority_host: None,
        };
        assert_eq!(problems(&input(cli), None)[0].0, "entra_tenant_id");
        for (host, ok) in [
            ("https://login.microsoftonline.us/", true),
            ("https://localhost:8443", true),
            ("http://login.microsoftonline.us", false),
            ("login.microsoftonline.us", false),
            ("https://user:pass@login.microsoftonline.us", false),
            ("https://login.microsoftonline.us/evil/path", false),
            ("https://login.microsoftonline.us/?x=1", false),
        ] {
            let i = input(AzureAuthInput::Entra {
                source: EntraSourceInput::DeveloperTools,
                authority_host: Some(host.into()),
            });
            let mut p = Vec::new();
            let a = i.checked(None, &mut p);
            assert_eq!(p.is_empty(), ok, "{host}: {p:?}");
            if ok {
                assert!(matches!(
                    a.auth,
                    AzureAuth::Entra { authority_host: Some(ref h), .. } if h == host.trim_end_matches('/')
                ));
            }
        }
    }
}
