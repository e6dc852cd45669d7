//! The CLI's Azure flags: an Azure Database for PostgreSQL integration's login
//! (`integration add --kind azure [--auth entra|password]`): a password, or a Microsoft Entra ID
//! token from a client secret (read from stdin), a managed identity, the Azure CLI or developer
//! tools.

use clap::Args;
use grantry_core::integrations::model::{AzureAuthInput, EntraSourceInput};
use grantry_core::{Error, Secret};

/// `integration add --kind azure`: where an Entra ID token comes from.
#[derive(Args, Default)]
pub struct AzureArgs {
    /// The directory (tenant) id or a domain: with --client-secret-stdin (optional with --azure-cli).
    #[arg(long)]
    pub tenant_id: Option<String>,
    /// The application (client) id (with --client-secret-stdin), or a user-assigned managed
    /// identity's (with --managed-identity).
    #[arg(long)]
    pub client_id: Option<String>,
    /// A token from an app's client secret, read from stdin's first line.
    #[arg(long)]
    pub client_secret_stdin: bool,
    /// A token from the managed identity of the Azure host this runs on.
    #[arg(long)]
    pub managed_identity: bool,
    /// A token from the Azure CLI's account (`az login`).
    #[arg(long)]
    pub azure_cli: bool,
    /// A token from the Azure CLI, then the Azure Developer CLI.
    #[arg(long)]
    pub developer_tools: bool,
    /// The Entra authority of a sovereign cloud (https://login.microsoftonline.us, ...).
    #[arg(long)]
    pub authority_host: Option<String>,
}

impl AzureArgs {
    pub fn any(&self) -> bool {
        self.tenant_id.is_some()
            || self.client_id.is_some()
            || self.client_secret_stdin
            || self.managed_identity
            || self.azure_cli
            || self.developer_tools
            || self.authority_host.is_some()
    }

    /// The token sources given, by flag.
    fn sources(&self) -> Vec<&'static str> {
        [
            (self.client_secret_stdin, "--client-secret-stdin"),
            (self.managed_identity, "--managed-identity"),
            (self.azure_cli, "--azure-cli"),
            (self.developer_tools, "--developer-tools"),
        ]
        .into_iter()
        .filter_map(|(given, flag)| given.then_some(flag))
        .collect()
    }

    /// The login: `auth` is --auth (entra or password; by default entra when a token source is
    /// given); `secret` the client secret read from stdin.
    pub fn auth(
        &self,
        auth: Option<&str>,
        secret: Option<Secret>,
    ) -> Result<AzureAuthInput, Error> {
        let sources = self.sources();
        let entra = match auth {
            Some("entra") => true,
            Some("password") => false,
            None => !sources.is_empty(),
            Some(other) => {
                return Err(Error::invalid(format!(
                    "unknown auth {other:?}: expected entra or password for --kind azure"
                ))
                .at("auth"))
            }
        };
        if !entra {
            if self.any() {
                return Err(Error::invalid(
                    "--tenant-id, --client-id, the token sources and --authority-host are for --auth entra",
                )
                .at("auth"));
            }
            return Ok(AzureAuthInput::Password);
        }
        let only = |given: bool, flag: &str, with: &str| {
            if given {
                Err(Error::invalid(format!("{flag} goes with {with}")).at("auth"))
            } else {
                Ok(())
            }
        };
        let source = match sources.as_slice() {
            [] => return Err(Error::invalid(
                "--auth entra needs a token source: --client-secret-stdin (with --tenant-id and \
                     --client-id), --managed-identity, --azure-cli or --developer-tools",
            )
            .at("auth")),
            ["--client-secret-stdin"] => EntraSourceInput::ClientSecret {
                tenant_id: self.tenant_id.clone().unwrap_or_default(),
                client_id: self.client_id.clone().unwrap_or_default(),
                client_secret: secret,
            },
            ["--managed-identity"] => {
                only(
                    self.tenant_id.is_some(),
                    "--tenant-id",
                    "--client-secret-stdin or --azure-cli",
                )?;
                EntraSourceInput::ManagedIdentity {
                    client_id: self.client_id.clone(),
                }
            }
            ["--azure-cli"] => {
                only(
                    self.client_id.is_some(),
                    "--client-id",
                    "--client-secret-stdin or --managed-identity",
                )?;
                EntraSourceInput::AzureCli {
                    tenant_id: self.tenant_id.clone(),
                }
            }
            ["--developer-tools"] => {
                only(
                    self.tenant_id.is_some(),
                    "--tenant-id",
                    "--client-secret-stdin or --azure-cli",
                )?;
                only(
                    self.client_id.is_some(),
                    "--client-id",
                    "--client-secret-stdin or --managed-identity",
                )?;
                EntraSourceInput::DeveloperTools
            }
            several => {
                return Err(Error::invalid(format!(
                    "give one token source, not {}",
                    several.join(" and ")
                ))
                .at("auth"))
            }
        };
        Ok(AzureAuthInput::Entra {
            source,
            authority_host: self.authority_host.clone(),
        })
    }
}
