//! The CLI's Azure flags: an Azure Database for PostgreSQL integration's login
//! (`integration add --kind azure`): a password, or a Microsoft Entra ID token from a client
//! secret (read from stdin), a managed identity, the Azure CLI or developer tools.

use clap::Args;
use grantry_core::integrations::model::{AzureAuthInput, EntraSourceInput};
use grantry_core::{Error, Secret};

/// `integration add --kind azure`: the Entra ID part (without `--entra`, a password login).
#[derive(Args, Default)]
pub struct AzureArgs {
    /// Log in with an Entra ID token from: client-secret, managed-identity, azure-cli or
    /// developer-tools (default: a password, --password-stdin).
    #[arg(long, value_name = "SOURCE")]
    pub entra: Option<String>,
    /// The directory (tenant) id or domain (client-secret; optional for azure-cli).
    #[arg(long, requires = "entra")]
    pub tenant_id: Option<String>,
    /// The application (client) id (client-secret), or a user-assigned managed identity's.
    #[arg(long, requires = "entra")]
    pub client_id: Option<String>,
    /// Read the client secret from stdin's first line (client-secret).
    #[arg(long, requires = "entra")]
    pub client_secret_stdin: bool,
    /// The Entra authority of a sovereign cloud (https://login.microsoftonline.us, ...).
    #[arg(long, requires = "entra")]
    pub authority_host: Option<String>,
}

impl AzureArgs {
    pub fn any(&self) -> bool {
        self.entra.is_some()
            || self.tenant_id.is_some()
            || self.client_id.is_some()
            || self.client_secret_stdin
            || self.authority_host.is_some()
    }

    /// The login the flags describe; `secret` is the client secret read from stdin.
    pub fn auth(&self, secret: Option<Secret>) -> Result<AzureAuthInput, Error> {
        let Some(source) = self.entra.as_deref() else {
            return Ok(AzureAuthInput::Password);
        };
        let only = |given: bool, flag: &str, with: &str| {
            if given {
                Err(Error::invalid(format!("{flag} goes with --entra {with}")).at("entra"))
            } else {
                Ok(())
            }
        };
        let source = match source {
            "client-secret" => {
                if !self.client_secret_stdin {
                    return Err(Error::invalid(
                        "--entra client-secret reads the secret from stdin: add --client-secret-stdin",
                    )
                    .at("entra_client_secret"));
                }
                EntraSourceInput::ClientSecret {
                    tenant_id: self.tenant_id.clone().unwrap_or_default(),
                    client_id: self.client_id.clone().unwrap_or_default(),
                    client_secret: secret,
                }
            }
            "managed-identity" => {
                only(self.tenant_id.is_some(), "--tenant-id", "client-secret or azure-cli")?;
                only(self.client_secret_stdin, "--client-secret-stdin", "client-secret")?;
                EntraSourceInput::ManagedIdentity {
                    client_id: self.client_id.clone(),
                }
            }
            "azure-cli" => {
                only(self.client_id.is_some(), "--client-id", "client-secret or managed-identity")?;
                only(self.client_secret_stdin, "--client-secret-stdin", "client-secret")?;
                EntraSourceInput::AzureCli {
                    tenant_id: self.tenant_id.clone(),
                }
            }
            "developer-tools" => {
                only(self.tenant_id.is_some(), "--tenant-id", "client-secret or azure-cli")?;
                only(self.client_id.is_some(), "--client-id", "client-secret or managed-identity")?;
                only(self.client_secret_stdin, "--client-secret-stdin", "client-secret")?;
                EntraSourceInput::DeveloperTools
            }
            other => {
                return Err(Error::invalid(format!(
                    "unknown Entra ID source {other:?}: expected client-secret, managed-identity, azure-cli or developer-tools"
                ))
                .at("entra"))
            }
        };
        Ok(AzureAuthInput::Entra {
            source,
            authority_host: self.authority_host.clone(),
        })
    }
}
