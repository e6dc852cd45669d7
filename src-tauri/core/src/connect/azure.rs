//! Microsoft Entra ID tokens for Azure Database for PostgreSQL: the credential an integration
//! describes (client secret, managed identity, Azure CLI, developer tools; a custom authority
//! for sovereign clouds), a token for scope [`ENTRA_SCOPE`] as the password of each new
//! connection, and what Entra's refusals mean for a DBA.
//!
//! The authority is reached with azure_core's own HTTP client: rustls with the platform's
//! verifier, whose roots on Linux are the system store, or the bundle `SSL_CERT_FILE` names
//! (corporate TLS inspection). azure_identity caches each credential's token and asks again
//! five minutes before it expires; the pool asks for a credential again at the same margin
//! ([`super::credentials::REFRESH_MARGIN`]), so every new connection logs in with a live token.

use super::credentials::{Credential, CredentialFuture, CredentialSource};
use super::{step, ConnectSecrets, ConnectionReport, FailureKind};
use crate::error::{Error, ErrorCode, Result};
use crate::integrations::model::{Azure, AzureAuth, EntraSource};
use crate::secrets::Secret;
use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::TokenCredential;
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions};
use azure_core::time::{Duration as AzDuration, OffsetDateTime};
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, ClientSecretCredential,
    ClientSecretCredentialOptions, DeveloperToolsCredential, ManagedIdentityCredential,
    ManagedIdentityCredentialOptions, UserAssignedId,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The scope of a token that logs in to Azure Database for PostgreSQL.
pub const ENTRA_SCOPE: &str = "https://ossrdbms-aad.database.windows.net/.default";

/// How long one token request may take, its retries included.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(20);

/// One integration's Entra ID credential.
pub struct Entra {
    credential: Arc<dyn TokenCredential>,
    /// What the token source is, for reports.
    pub source: String,
    authority: String,
}

/// The credential `source` describes. `client_secret` is the keychain's, for a client secret.
pub fn entra(
    source: &EntraSource,
    authority_host: Option<&str>,
    client_secret: Option<&Secret>,
) -> Result<Entra> {
    let mut options = ClientOptions {
        // A few quick retries, so an unreachable authority is said within seconds.
        retry: RetryOptions::exponential(ExponentialRetryOptions {
            initial_delay: AzDuration::milliseconds(200),
            max_retries: 2,
            max_total_elapsed: AzDuration::seconds(10),
            max_delay: AzDuration::seconds(2),
        }),
        ..Default::default()
    };
    if let Some(host) = authority_host {
        let mut cloud = CustomConfiguration::default();
        cloud.authority_host = host.to_string();
        options.cloud = Some(Arc::new(CloudConfiguration::Custom(cloud)));
    }
    let authority = authority_host
        .unwrap_or("https://login.microsoftonline.com")
        .to_string();
    let made = |e: azure_core::Error| {
        Error::new(
            ErrorCode::EntraRefused,
            format!("the Entra ID credential could not be set up: {e}"),
        )
    };
    let credential: Arc<dyn TokenCredential> = match source {
        EntraSource::ClientSecret {
            tenant_id,
            client_id,
        } => {
            let secret = client_secret.ok_or_else(|| {
                Error::new(
                    ErrorCode::SecretMissing,
                    "the keychain has no client secret for this integration: edit it and give the secret again",
                )
            })?;
            ClientSecretCredential::new(
                tenant_id,
                client_id.clone(),
                secret.expose().to_string().into(),
                Some(ClientSecretCredentialOptions {
                    client_options: options,
                }),
            )
            .map_err(made)?
        }
        EntraSource::ManagedIdentity { client_id } => {
            ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                user_assigned_id: client_id.clone().map(UserAssignedId::ClientId),
                client_options: options,
            }))
            .map_err(made)?
        }
        EntraSource::AzureCli { tenant_id } => {
            AzureCliCredential::new(Some(AzureCliCredentialOptions {
                tenant_id: tenant_id.clone(),
                ..Default::default()
            }))
            .map_err(made)?
        }
        EntraSource::DeveloperTools => DeveloperToolsCredential::new(None).map_err(made)?,
    };
    Ok(Entra {
        credential,
        source: source.describe(),
        authority,
    })
}

impl Entra {
    /// A token for [`ENTRA_SCOPE`] and how long it is valid from now.
    pub async fn token(&self) -> Result<(Secret, Duration)> {
        let got = tokio::time::timeout(
            TOKEN_TIMEOUT,
            self.credential.get_token(&[ENTRA_SCOPE], None),
        )
        .await
        .map_err(|_| {
            Error::new(
                ErrorCode::EntraUnreachable,
                format!(
                    "no Entra ID token within {} s from {} ({})",
                    TOKEN_TIMEOUT.as_secs(),
                    self.source,
                    self.authority
                ),
            )
        })?
        .map_err(|e| entra_error(&self.source, &self.authority, &e))?;
        let left = (got.expires_on - OffsetDateTime::now_utc()).whole_seconds();
        if left <= 0 {
            return Err(Error::new(
                ErrorCode::EntraRefused,
                format!(
                    "the token from {} had already expired when it came ({} s ago): check this \
                     computer's clock, and the token source",
                    self.source, -left
                ),
            ));
        }
        Ok((
            Secret::new(got.token.secret().to_string()),
            Duration::from_secs(left.max(0) as u64),
        ))
    }
}

/// The whole text of an error and its causes.
fn error_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let t = c.to_string();
        if !text.contains(&t) {
            text.push_str(": ");
            text.push_str(&t);
        }
        cause = c.source();
    }
    text
}

/// Entra's `AADSTS<code>: <text>` in an error message: the code and the text's first sentence
/// line (without the Trace ID / Correlation ID / Timestamp lines that follow it).
pub fn aadsts(text: &str) -> Option<(u32, String)> {
    let at = text.find("AADSTS")?;
    let rest = &text[at + 6..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let code = digits.parse().ok()?;
    let body = rest[digits.len()..].trim_start_matches(':').trim_start();
    // Raw CR/LF, or escaped ones when the description came back quoted in a parse error.
    let end = ["\r", "\n", "\\r", "\\n", " Trace ID", "\""]
        .iter()
        .filter_map(|m| body.find(m))
        .min()
        .unwrap_or(body.len());
    Some((code, body[..end].trim().to_string()))
}

/// An Entra failure as a DBA reads it: what to fix, then Entra's own code and text.
fn entra_error(source: &str, authority: &str, e: &azure_core::Error) -> Error {
    let text = error_text(e);
    if let Some((code, said)) = aadsts(&text) {
        let what = match code {
            90002 => "the tenant is not known to Entra ID: check the directory (tenant) id",
            700016 => "the application (client) id is not registered in that tenant: check the client id, and that the app is in this tenant",
            7000215 => "the client secret is wrong: give the secret's value (shown once when it was created), not its id",
            7000222 => "the client secret has expired: create a new one in the app registration and edit the integration",
            7000218 => "no client secret was sent: edit the integration and give it",
            500011 => "the Azure Database for PostgreSQL resource is not known in that tenant",
            _ => "Entra ID refused the token request",
        };
        return Error::new(
            ErrorCode::EntraRefused,
            format!("{what} (AADSTS{code}: {said})"),
        )
        .with_detail(text);
    }
    let lower = text.to_ascii_lowercase();
    if lower.contains("az login")
        || lower.contains("azure cli not found")
        || lower.contains("'az' is not recognized")
        || lower.contains("az: not found")
    {
        return Error::new(
            ErrorCode::EntraRefused,
            format!("{source} gave no token: install the Azure CLI and run `az login` (as the OS user Grantry runs as)"),
        )
        .with_detail(text);
    }
    let unreachable = [
        "error sending request",
        "connection refused",
        "tcp connect error",
        "dns error",
        "timed out",
        "connection reset",
        "connection closed",
        "certificate",
        "unreachable",
    ];
    if matches!(
        e.kind(),
        azure_core::error::ErrorKind::Connection | azure_core::error::ErrorKind::Io
    ) || unreachable.iter().any(|u| lower.contains(u))
    {
        let tls = if lower.contains("certificate") {
            "; its TLS certificate is not trusted (with TLS inspection, point SSL_CERT_FILE at a bundle holding the inspecting CA)"
        } else {
            ""
        };
        let whom = if source.contains("managed identity") {
            "the managed identity endpoint (is Grantry running on an Azure host with that identity?)".to_string()
        } else {
            format!("the Entra ID authority {authority}")
        };
        return Error::new(
            ErrorCode::EntraUnreachable,
            format!("{whom} could not be reached{tls}"),
        )
        .with_detail(text);
    }
    Error::new(
        ErrorCode::EntraRefused,
        format!("{source} gave no Entra ID token"),
    )
    .with_detail(text)
}

/// Tokens for each new connection of an Entra integration (see [`CredentialSource`]).
pub struct EntraTokens {
    pub entra: Entra,
}

impl CredentialSource for EntraTokens {
    fn fetch(&self) -> CredentialFuture<'_> {
        Box::pin(async move {
            let asked = Instant::now();
            let (token, valid) = self.entra.token().await?;
            Ok(Credential {
                secrets: ConnectSecrets {
                    password: Some(token),
                    client_key_pem: None,
                },
                expires_at: Some(asked + valid),
            })
        })
    }
}

/// What a refused Entra login means, from what the server said (`said`): a principal of the
/// wrong type, a token not for this server, or (most often) no principal for the user.
pub fn refused_hint(user: &str, said: &str) -> String {
    let name = crate::quote::literal(user);
    let why = if said.contains("cannot generate") || said.contains("TOKENTYPE") {
        format!(
            "the role {user:?} is an Entra principal of another type: an app's or a managed \
             identity's token logs in only as a 'service' principal (pgaadauth_create_principal_with_oid({name}, \
             '<object id>', 'service', false, false)), a user's only as a 'user' one"
        )
    } else if said.contains("validating the access token") {
        "the token is not valid for this server: it must come from the server's own tenant and \
         cloud (check the tenant and the authority)"
            .to_string()
    } else {
        principal_hint(user)
    };
    format!("{why} (the server said: {})", said.trim())
}

/// What fixes a refused Entra login: a principal for the user, made by an Entra administrator.
pub fn principal_hint(user: &str) -> String {
    let name = crate::quote::literal(user);
    format!(
        "the server refused the Entra ID token for {user:?}: Microsoft Entra authentication must be \
         enabled on the server, and the user must be an Entra principal there. As an Entra \
         administrator of the server, in the postgres database: SELECT * FROM \
         pgaadauth_create_principal({name}, false, false); for a user or group named so in Entra, \
         or SELECT * FROM pgaadauth_create_principal_with_oid({name}, '<object id>', 'service', \
         false, false); for an app's service principal or a managed identity"
    )
}

/// Tests an Azure integration: with Entra, a token from its source first (the step names the
/// source, and Entra's own error when it refuses), then every check of a self-hosted server;
/// a login refused with a token says how to create the Entra principal.
pub async fn test_azure(
    az: &Azure,
    db_secrets: &ConnectSecrets,
    client_secret: Option<&Secret>,
) -> ConnectionReport {
    let mut steps = Vec::new();
    let secrets = match &az.auth {
        AzureAuth::Password => db_secrets.clone(),
        AzureAuth::Entra {
            source,
            authority_host,
        } => {
            let t = Instant::now();
            let fail = |steps, e: Error| {
                let kind = match e.code {
                    ErrorCode::EntraUnreachable => FailureKind::EntraUnreachable,
                    ErrorCode::SecretMissing => FailureKind::SecretMissing,
                    _ => FailureKind::EntraRefused,
                };
                ConnectionReport::failed(steps, kind, e.message, e.detail)
            };
            let token = match entra(source, authority_host.as_deref(), client_secret) {
                Ok(entra) => entra.token().await,
                Err(e) => Err(e),
            };
            match token {
                Ok((token, valid)) => {
                    steps.push(step(
                        "Entra ID token",
                        t,
                        true,
                        format!(
                            "from {}, valid {} more minutes",
                            source.describe(),
                            valid.as_secs() / 60
                        ),
                    ));
                    ConnectSecrets {
                        password: Some(token),
                        client_key_pem: None,
                    }
                }
                Err(e) => {
                    steps.push(step("Entra ID token", t, false, e.message.clone()));
                    return fail(steps, e);
                }
            }
        }
    };
    let mut report = super::test_connection(&az.endpoint, &secrets).await;
    steps.append(&mut report.steps);
    report.steps = steps;
    if az.uses_token() && report.failure == Some(FailureKind::AuthFailed) {
        report.failure = Some(FailureKind::TokenRejected);
        report.message = refused_hint(&az.endpoint.username, &report.message);
    }
    report.checked_for(super::prerequisites::Platform::Azure {
        entra: az.uses_token(),
    })
}

#[cfg(test)]
mod tests {
    use super::aadsts;

    #[test]
    fn reads_entra_codes_and_their_first_line() {
        let raw = "ClientSecretCredential authentication failed. AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.\r\nTrace ID: 1\r\nCorrelation ID: 2";
        assert_eq!(
            aadsts(raw),
            Some((
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.".into()
            ))
        );
        // Quoted in a parse error, with escaped line breaks.
        let quoted = r#"ClientSecretCredential authentication failed. invalid escape: "AADSTS90002: Tenant 'x' not found.\r\nTrace ID: 1""#;
        assert_eq!(
            aadsts(quoted),
            Some((90002, "Tenant 'x' not found.".into()))
        );
        assert_eq!(aadsts("no code here"), None);
    }
}
