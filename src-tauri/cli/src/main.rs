//! `grantry`: the command line over Grantry's core. Every read command takes `--json`.
//! Errors go to stderr with a non-zero exit status.

mod output;

use clap::{Args, Parser, Subcommand};
use grantry_core::catalog::TreeQuery;
use grantry_core::import::ImportSource;
use grantry_core::model::{CertSource, Environment, IntegrationInput, KeyInput, SslMode};
use grantry_core::{Error, Grantry, ImportRequest, OpenOptions, Secret};
use std::io::Read;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "grantry", version, about = "PostgreSQL access administration")]
struct Cli {
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Saved integrations.
    #[command(subcommand)]
    Integration(IntegrationCmd),
    /// Browse the catalog: databases, schemas of DATABASE, relations of SCHEMA.
    Tree(TreeArgs),
    /// The local sandbox PostgreSQL.
    #[command(subcommand)]
    Sandbox(SandboxCmd),
}

#[derive(Subcommand)]
enum IntegrationCmd {
    /// Save a self-hosted PostgreSQL integration (password read from stdin with --password-stdin).
    Add(Box<AddArgs>),
    /// List saved integrations.
    List,
    /// Show one integration.
    Show { name: String },
    /// Test the connection and report what failed, or the server's version and our powers.
    Test {
        name: String,
        /// Read the password for this session from stdin (for integrations that do not save it).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Remove an integration and its keychain entries.
    Remove { name: String },
    /// Import from ~/.pgpass or pg_service.conf: lists entries, or saves entry --index as --name.
    Import(ImportArgs),
}

#[derive(Args)]
struct AddArgs {
    name: String,
    /// A libpq URI or key=value string to start from (flags override its parts).
    #[arg(long)]
    uri: Option<String>,
    #[arg(long)]
    host: Option<String>,
    #[arg(long)]
    port: Option<String>,
    #[arg(long)]
    database: Option<String>,
    #[arg(long)]
    user: Option<String>,
    /// disable, allow, prefer, require, verify-ca or verify-full.
    #[arg(long)]
    sslmode: Option<String>,
    #[arg(long)]
    ca_cert: Option<String>,
    #[arg(long)]
    client_cert: Option<String>,
    #[arg(long)]
    client_key: Option<String>,
    #[arg(long)]
    connect_timeout: Option<i64>,
    #[arg(long)]
    application_name: Option<String>,
    /// development, testing, staging or production.
    #[arg(long)]
    environment: Option<String>,
    #[arg(long)]
    read_only: bool,
    /// Read the password from stdin (one line).
    #[arg(long)]
    password_stdin: bool,
    /// Do not save the password in the keychain (it is asked for in each session).
    #[arg(long)]
    no_save_password: bool,
}

#[derive(Args)]
struct ImportArgs {
    /// Read ~/.pgpass (or this file).
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "")]
    pgpass: Option<String>,
    /// Read pg_service.conf (or this file).
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "")]
    service: Option<String>,
    /// Save this entry (from the listing).
    #[arg(long)]
    index: Option<u32>,
    /// Name for the saved integration.
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    environment: Option<String>,
}

#[derive(Args)]
struct TreeArgs {
    integration: String,
    database: Option<String>,
    schema: Option<String>,
    /// Case-insensitive name filter.
    #[arg(long)]
    search: Option<String>,
    #[arg(long)]
    limit: Option<u32>,
    #[arg(long)]
    offset: Option<u32>,
    /// Include system schemas and template databases.
    #[arg(long)]
    system: bool,
}

#[derive(Subcommand)]
enum SandboxCmd {
    Start,
    Stop,
    Status,
}

fn read_stdin_line() -> Result<Secret, Error> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| Error::invalid(format!("cannot read the password from stdin: {e}")))?;
    let line = s.lines().next().unwrap_or_default().to_string();
    if line.is_empty() {
        return Err(Error::invalid("--password-stdin: stdin is empty"));
    }
    Ok(Secret::new(line))
}

fn add_input(a: AddArgs) -> Result<IntegrationInput, Error> {
    let mut input = match &a.uri {
        Some(u) => grantry_core::import::parse_connection_string(u)?.input,
        None => IntegrationInput::default(),
    };
    input.name = a.name;
    if let Some(h) = a.host {
        input.host = h;
    }
    if let Some(p) = a.port {
        input.port = Some(p.trim().parse().map_err(|_| {
            Error::invalid(format!(
                "invalid port {p:?}: a port is a number from 1 to 65535"
            ))
        })?);
    }
    if a.database.is_some() {
        input.database = a.database;
    }
    if let Some(u) = a.user {
        input.username = u;
    }
    if let Some(m) = a.sslmode {
        input.sslmode = Some(SslMode::parse(&m)?);
    }
    if let Some(c) = a.ca_cert {
        input.ca_cert = Some(CertSource::File { path: c });
    }
    if let Some(c) = a.client_cert {
        input.client_cert = Some(CertSource::File { path: c });
    }
    if let Some(k) = a.client_key {
        input.client_key = Some(KeyInput::File { path: k });
    }
    if a.connect_timeout.is_some() {
        input.connect_timeout_secs = a.connect_timeout;
    }
    if a.application_name.is_some() {
        input.application_name = a.application_name;
    }
    if let Some(e) = a.environment {
        input.environment = Some(Environment::parse(&e)?);
    }
    input.read_only = a.read_only;
    if a.password_stdin {
        input.password = Some(read_stdin_line()?);
    }
    input.session_only_password = a.no_save_password;
    Ok(input)
}

fn query(t: &TreeArgs) -> TreeQuery {
    TreeQuery {
        search: t.search.clone(),
        limit: t.limit,
        offset: t.offset,
        include_system: t.system,
        with_total: true,
    }
}

async fn run(cli: Cli) -> Result<(), Error> {
    let g = Grantry::open(OpenOptions::system()).await?;
    let out = output::Out { json: cli.json };
    match cli.command {
        Command::Integration(cmd) => match cmd {
            IntegrationCmd::Add(a) => {
                let it = g.add_integration(add_input(*a)?).await?;
                out.integration(&it, "saved")
            }
            IntegrationCmd::List => out.integrations(&g.list_integrations().await?),
            IntegrationCmd::Show { name } => out.integration(&g.get_integration(&name).await?, ""),
            IntegrationCmd::Test {
                name,
                password_stdin,
            } => {
                if password_stdin {
                    g.set_session_password(&name, read_stdin_line()?).await?;
                }
                let report = g.test_integration(&name).await?;
                out.report(&report);
                if !report.ok {
                    let code = report
                        .failure
                        .map(|f| f.code())
                        .unwrap_or(grantry_core::ErrorCode::Internal);
                    return Err(
                        Error::new(code, report.message).with_detail("connection test failed")
                    );
                }
            }
            IntegrationCmd::Remove { name } => {
                let it = g.remove_integration(&name).await?;
                out.integration(&it, "removed")
            }
            IntegrationCmd::Import(a) => {
                let source = match (a.pgpass, a.service) {
                    (Some(p), None) => ImportSource::Pgpass {
                        path: Some(p).filter(|p| !p.is_empty()),
                    },
                    (None, Some(s)) => ImportSource::Service {
                        path: Some(s).filter(|s| !s.is_empty()),
                    },
                    _ => return Err(Error::invalid("give exactly one of --pgpass or --service")),
                };
                match a.index {
                    None => out.candidates(&g.import_candidates(&source)?),
                    Some(index) => {
                        let name = a
                            .name
                            .ok_or_else(|| Error::invalid("--index needs --name"))?;
                        let environment = a
                            .environment
                            .as_deref()
                            .map(Environment::parse)
                            .transpose()?;
                        let it = g
                            .import(ImportRequest {
                                source,
                                index,
                                name,
                                environment,
                                read_only: false,
                                session_only_password: false,
                            })
                            .await?;
                        out.integration(&it, "imported")
                    }
                }
            }
        },
        Command::Tree(t) => {
            let q = query(&t);
            match (&t.database, &t.schema) {
                (None, _) => out.databases(&g.databases(&t.integration, &q).await?),
                (Some(db), None) => out.schemas(&g.schemas(&t.integration, db, &q).await?),
                (Some(db), Some(s)) => {
                    out.relations(&g.relations(&t.integration, db, s, &q).await?)
                }
            }
        }
        Command::Sandbox(cmd) => {
            let status = match cmd {
                SandboxCmd::Start => {
                    let quiet = cli.json;
                    g.sandbox_start(&move |m: &str| {
                        if !quiet {
                            eprintln!("… {m}");
                        }
                    })
                    .await?
                }
                SandboxCmd::Stop => g.sandbox_stop().await?,
                SandboxCmd::Status => g.sandbox_status().await?,
            };
            out.sandbox(&status)
        }
    }
    g.close().await;
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if json {
                eprintln!("{}", serde_json::to_string(&e).unwrap_or_default());
            } else {
                eprintln!("grantry: error: {}", e.message);
                if let Some(d) = &e.detail {
                    eprintln!("  {}", d.replace('\n', "\n  "));
                }
            }
            ExitCode::from(match e.code {
                grantry_core::ErrorCode::InvalidInput | grantry_core::ErrorCode::DuplicateName => 2,
                grantry_core::ErrorCode::NotFound => 3,
                _ => 1,
            })
        }
    }
}
