//! `grantry`: the command line over Grantry's core. Every read command takes `--json`.
//! Errors go to stderr with a non-zero exit status.

mod aws;
mod azure;
mod output;
mod setup;

use clap::{Args, Parser, Subcommand};
use grantry_core::catalog::TreeQuery;
use grantry_core::integrations::import::ImportSource;
use grantry_core::integrations::model::{
    AwsRdsInput, AzureInput, CertSource, ConnectionInput, DbAuth, Environment, IntegrationInput,
    KeyInput, SelfHostedInput, SslMode,
};
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
    /// Privileges of one object (e.g. table:sales.orders): its ACL and who holds what, and why.
    Grants {
        integration: String,
        object: String,
        #[arg(long)]
        database: Option<String>,
        #[command(flatten)]
        session: SessionPassword,
    },
    /// Who can PRIVILEGE on OBJECT, and why (e.g. `who-can prod SELECT table:sales.orders`).
    WhoCan {
        integration: String,
        privilege: String,
        object: String,
        #[arg(long)]
        database: Option<String>,
        #[command(flatten)]
        session: SessionPassword,
    },
    /// A role: attributes, memberships both ways, and what it can access in the database.
    Role {
        integration: String,
        role: String,
        #[arg(long)]
        database: Option<String>,
        #[command(flatten)]
        session: SessionPassword,
    },
    /// Compute a plan and print its SQL, access changes and warnings.
    Plan(PlanArgs),
    /// Apply a plan in one transaction (or --dry-run it and roll back).
    Apply(ApplyArgs),
    /// Export a database's privileges as a desired-state document (json or yaml) or a runnable script (sql).
    Export {
        integration: String,
        #[arg(long)]
        database: Option<String>,
        #[arg(long, default_value = "json")]
        format: String,
        #[command(flatten)]
        session: SessionPassword,
    },
    /// Find managed databases to add: `discover aws --region R [--tag k=v]`.
    #[command(subcommand)]
    Discover(DiscoverCmd),
    /// The connector user's setup SQL for a platform: with an integration (connected as an
    /// administrator), planned for every database and schema of its server and runnable with
    /// --dry-run or --apply; with --kind, a script written without a server.
    SetupSql(setup::SetupSqlArgs),
    /// The audit log of dry runs and applies.
    Audit {
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// table (the default), csv or json (--json is the same as json).
        #[arg(long)]
        format: Option<String>,
    },
}

#[derive(Args)]
struct PlanArgs {
    integration: String,
    #[arg(long)]
    database: Option<String>,
    /// A change, repeatable: `grant SELECT on table:s.t to alice`, `revoke ... from ...
    /// [cascade]`, `revoke grant option for SELECT on ... from ...`, `read all-tables:s to r`,
    /// `write table:s.t to r`, `grant-role g to r [admin] [noinherit]`, `revoke-role g from r
    /// [admin-option]`, `create-role name [login] [createrole] [password] [valid-until DATE] [in g]`.
    /// Names are exact and may be "double quoted"; `public` is PUBLIC (every role), while
    /// `PUBLIC` or `"Public"` name roles.
    #[arg(long = "change", short = 'c')]
    changes: Vec<String>,
    /// Changes as a JSON array (the same format the app uses).
    #[arg(long)]
    file: Option<String>,
    /// A desired-state document, JSON or YAML (from `grantry export --format json|yaml`): plan
    /// the difference.
    #[arg(long, conflicts_with_all = ["changes", "file"])]
    desired: Option<String>,
    /// With --desired: exit 6 when the database differs from the document (for CI); a check
    /// that could not be made exits with its error's status.
    #[arg(long, requires = "desired")]
    check: bool,
    #[command(flatten)]
    session: SessionPassword,
}

#[derive(Args)]
struct ApplyArgs {
    #[command(flatten)]
    plan: PlanArgs,
    /// Run every statement, then roll back.
    #[arg(long)]
    dry_run: bool,
    /// The integration's name, required to apply to a production integration.
    #[arg(long)]
    confirm: Option<String>,
}

#[derive(Subcommand)]
enum DiscoverCmd {
    /// PostgreSQL instances and Aurora PostgreSQL clusters of an AWS region, filtered by tags.
    Aws(Box<aws::DiscoverArgs>),
}

#[derive(Subcommand)]
enum IntegrationCmd {
    /// Save an integration: self-hosted (the default), --kind aws-rds or --kind azure (password
    /// read from stdin with --password-stdin; an AWS secret key with --aws-secret-stdin, an
    /// Entra ID client secret with --client-secret-stdin).
    Add(Box<AddArgs>),
    /// List saved integrations.
    List,
    /// Show one integration.
    Show { name: String },
    /// Test the connection and report what failed, or the server's version and our powers.
    Test {
        name: String,
        #[command(flatten)]
        session: SessionPassword,
    },
    /// Check what the platform needs of the connecting role (CREATEROLE, grant options,
    /// pg_read_all_stats, pg_stat_statements; rds_superuser on RDS, azure_pg_admin on Azure),
    /// each missing one with the SQL that fixes it; exits 6 when one is missing.
    Check {
        name: String,
        #[command(flatten)]
        session: SessionPassword,
    },
    /// Remove an integration and its keychain entries.
    Remove { name: String },
    /// Import from ~/.pgpass or pg_service.conf: lists entries, or saves entry --index as --name.
    Import(ImportArgs),
}

#[derive(Args)]
struct AddArgs {
    name: String,
    /// self-hosted (the default), aws-rds or azure.
    #[arg(long, default_value = "self-hosted")]
    kind: String,
    #[command(flatten)]
    rds: aws::RdsArgs,
    #[command(flatten)]
    azure: azure::AzureArgs,
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
    #[command(flatten)]
    session: SessionPassword,
}

/// For commands on an integration whose password is not saved (`--no-save-password`).
#[derive(Args)]
pub struct SessionPassword {
    /// Read the integration's password for this run from stdin (for integrations that do not
    /// save it).
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Subcommand)]
enum SandboxCmd {
    Start,
    Stop,
    Status,
}

/// The password from stdin's first line (`--password-stdin`).
fn read_stdin_line() -> Result<Secret, Error> {
    read_secret_line("--password-stdin", "the password")
}

/// A secret (`what`) from stdin's first line, as `flag` asks.
fn read_secret_line(flag: &str, what: &str) -> Result<Secret, Error> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| Error::invalid(format!("cannot read {what} from stdin: {e}")))?;
    let line = s.lines().next().unwrap_or_default().to_string();
    if s.is_empty() {
        return Err(Error::invalid(format!("{flag}: stdin is empty")));
    }
    if line.is_empty() {
        return Err(Error::invalid(format!(
            "{flag}: the first line of stdin is empty ({what} is read from the first line)"
        )));
    }
    Ok(Secret::new(line))
}

/// A file named on the command line, as the saved integration keeps it: absolute, so that it
/// is found from any directory later (the app's, another shell's).
pub fn file_arg(path: String) -> String {
    match std::path::absolute(&path) {
        Ok(p) => p.display().to_string(),
        Err(_) => path,
    }
}

fn add_input(a: AddArgs) -> Result<IntegrationInput, Error> {
    match a.kind.as_str() {
        "self-hosted" => {}
        "aws-rds" => return rds_input(a),
        "azure" => return azure_input(a),
        other => {
            return Err(Error::invalid(format!(
                "unknown kind {other:?}: expected self-hosted, aws-rds or azure"
            ))
            .at("kind"))
        }
    }
    if a.azure.any() {
        return Err(Error::invalid(
            "--tenant-id, --client-id, the Entra ID token sources and --authority-host are for --kind azure",
        )
        .at("kind"));
    }
    if a.rds.any_but_auth() {
        return Err(Error::invalid(
            "--region, --instance, --cluster and the AWS flags are for --kind aws-rds",
        )
        .at("kind"));
    }
    if a.rds.auth.is_some() {
        return Err(Error::invalid(
            "--auth is for --kind aws-rds (iam or password) or azure (entra or password)",
        )
        .at("kind"));
    }
    let mut input = match &a.uri {
        Some(u) => {
            grantry_core::integrations::import::parse_connection_string(u)
                .map_err(|e| if e.field.is_none() { e.at("uri") } else { e })?
                .settings
        }
        None => SelfHostedInput::default(),
    };
    if let Some(h) = a.host {
        input.host = h;
    }
    if let Some(p) = parse_port(a.port)? {
        input.port = Some(p);
    }
    if a.database.is_some() {
        input.database = a.database;
    }
    if let Some(u) = a.user {
        input.username = u;
    }
    if let Some(m) = a.sslmode {
        input.sslmode = Some(SslMode::parse(&m).map_err(|e| e.at("sslmode"))?);
    }
    if let Some(c) = a.ca_cert {
        input.ca_cert = Some(CertSource::File { path: file_arg(c) });
    }
    if let Some(c) = a.client_cert {
        input.client_cert = Some(CertSource::File { path: file_arg(c) });
    }
    if let Some(k) = a.client_key {
        input.client_key = Some(KeyInput::File { path: file_arg(k) });
    }
    if a.connect_timeout.is_some() {
        input.connect_timeout_secs = a.connect_timeout;
    }
    if a.application_name.is_some() {
        input.application_name = a.application_name;
    }
    if a.password_stdin {
        input.password = Some(read_stdin_line()?);
    }
    input.session_only_password = a.no_save_password;
    let mut input = IntegrationInput::self_hosted(&a.name, input);
    if let Some(e) = a.environment {
        input.environment = Some(Environment::parse(&e).map_err(|e| e.at("environment"))?);
    }
    input.read_only = a.read_only;
    Ok(input)
}

/// `--port` as typed: a number (the core checks its range), or the core's wording for one that
/// is not.
fn parse_port(p: Option<String>) -> Result<Option<i64>, Error> {
    p.map(|p| {
        p.trim().parse().map_err(|_| {
            Error::invalid(format!(
                "invalid port {p:?}: a port is a number from 1 to 65535"
            ))
            .at("port")
        })
    })
    .transpose()
}

/// `integration add --kind azure`.
fn azure_input(a: AddArgs) -> Result<IntegrationInput, Error> {
    for (given, flag) in [
        (a.uri.is_some(), "--uri"),
        (a.client_cert.is_some(), "--client-cert"),
        (a.client_key.is_some(), "--client-key"),
    ] {
        if given {
            return Err(Error::invalid(format!("{flag} is not taken for --kind azure")).at("kind"));
        }
    }
    if a.rds.any_but_auth() {
        return Err(Error::invalid(
            "--region, --instance, --cluster and the AWS flags are for --kind aws-rds",
        )
        .at("kind"));
    }
    if a.password_stdin && a.azure.client_secret_stdin {
        return Err(Error::invalid(
            "--password-stdin and --client-secret-stdin both read stdin: give one",
        ));
    }
    // The flags are checked before stdin is read.
    let entra = !matches!(
        a.azure.auth(a.rds.auth.as_deref(), None)?,
        grantry_core::integrations::model::AzureAuthInput::Password
    );
    if a.password_stdin && entra {
        return Err(Error::invalid(
            "--password-stdin is for --auth password; an Entra ID login has no password",
        )
        .at("auth"));
    }
    if a.no_save_password && entra {
        return Err(Error::invalid(
            "--no-save-password is for a password login: an Entra ID client secret is kept in the keychain",
        )
        .at("auth"));
    }
    let secret = if a.azure.client_secret_stdin {
        Some(read_secret_line(
            "--client-secret-stdin",
            "the client secret",
        )?)
    } else {
        None
    };
    let settings = AzureInput {
        host: a.host.unwrap_or_default(),
        port: parse_port(a.port)?,
        database: a.database,
        username: a.user.unwrap_or_default(),
        auth: a.azure.auth(a.rds.auth.as_deref(), secret)?,
        password: if a.password_stdin {
            Some(read_stdin_line()?)
        } else {
            None
        },
        session_only_password: a.no_save_password,
        sslmode: match a.sslmode {
            Some(m) => Some(SslMode::parse(&m).map_err(|e| e.at("sslmode"))?),
            None => None,
        },
        ca_cert: a.ca_cert.map(|path| CertSource::File {
            path: file_arg(path),
        }),
        connect_timeout_secs: a.connect_timeout,
        application_name: a.application_name,
        ..Default::default()
    };
    let mut input = IntegrationInput {
        name: a.name,
        connection: ConnectionInput::Azure(settings),
        read_only: a.read_only,
        ..Default::default()
    };
    if let Some(e) = a.environment {
        input.environment = Some(Environment::parse(&e).map_err(|e| e.at("environment"))?);
    }
    Ok(input)
}

/// `integration add --kind aws-rds`.
fn rds_input(a: AddArgs) -> Result<IntegrationInput, Error> {
    for (given, flag) in [
        (a.uri.is_some(), "--uri"),
        (a.client_cert.is_some(), "--client-cert"),
        (a.client_key.is_some(), "--client-key"),
    ] {
        if given {
            return Err(
                Error::invalid(format!("{flag} is not taken for --kind aws-rds")).at("kind"),
            );
        }
    }
    let auth = a.rds.auth()?;
    if a.password_stdin && a.rds.access.aws_secret_stdin {
        return Err(Error::invalid(
            "--password-stdin and --aws-secret-stdin both read stdin: give one",
        ));
    }
    if a.password_stdin && auth != Some(DbAuth::Password) {
        return Err(Error::invalid(
            "--password-stdin goes with --auth password (IAM logins have no password)",
        )
        .at("auth"));
    }
    let stdin = if a.rds.access.aws_secret_stdin {
        Some(aws::read_aws_secret_stdin(
            a.rds.access.aws_session_token_stdin,
        )?)
    } else {
        None
    };
    if a.azure.any() {
        return Err(Error::invalid(
            "--tenant-id, --client-id, the Entra ID token sources and --authority-host are for --kind azure",
        )
        .at("kind"));
    }
    let port = parse_port(a.port)?;
    let settings = AwsRdsInput {
        region: a.rds.region.clone().unwrap_or_default(),
        target: a.rds.target(),
        host: a.host.unwrap_or_default(),
        port,
        database: a.database,
        username: a.user.unwrap_or_default(),
        auth,
        password: if a.password_stdin {
            Some(read_stdin_line()?)
        } else {
            None
        },
        session_only_password: a.no_save_password,
        sslmode: match a.sslmode {
            Some(m) => Some(SslMode::parse(&m).map_err(|e| e.at("sslmode"))?),
            None => None,
        },
        ca_cert: a.ca_cert.map(|path| CertSource::File {
            path: file_arg(path),
        }),
        connect_timeout_secs: a.connect_timeout,
        application_name: a.application_name,
        aws: a.rds.access.input(stdin),
        ..Default::default()
    };
    let mut input = IntegrationInput {
        name: a.name,
        connection: ConnectionInput::AwsRds(settings),
        read_only: a.read_only,
        ..Default::default()
    };
    if let Some(e) = a.environment {
        input.environment = Some(Environment::parse(&e).map_err(|e| e.at("environment"))?);
    }
    Ok(input)
}

fn changes(a: &PlanArgs) -> Result<Vec<grantry_core::privileges::plan::Change>, Error> {
    let mut out = Vec::new();
    if let Some(f) = &a.file {
        let text = std::fs::read_to_string(f)
            .map_err(|e| Error::invalid(format!("cannot read {f}: {e}")))?;
        out = serde_json::from_str(&text)
            .map_err(|e| Error::invalid(format!("{f} is not a JSON array of changes: {e}")))?;
    }
    for c in &a.changes {
        out.push(grantry_core::privileges::parse::parse_change(c)?);
    }
    if out.is_empty() {
        return Err(Error::invalid("give changes with --change or --file"));
    }
    Ok(out)
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

impl Command {
    /// The integration whose password this run reads from stdin (`--password-stdin`).
    fn session_password_for(&self) -> Option<&str> {
        let (integration, session) = match self {
            Command::Integration(IntegrationCmd::Test { name, session })
            | Command::Integration(IntegrationCmd::Check { name, session }) => (name, session),
            Command::Tree(t) => (&t.integration, &t.session),
            Command::Grants {
                integration,
                session,
                ..
            }
            | Command::WhoCan {
                integration,
                session,
                ..
            }
            | Command::Role {
                integration,
                session,
                ..
            }
            | Command::Export {
                integration,
                session,
                ..
            } => (integration, session),
            Command::Plan(p) | Command::Apply(ApplyArgs { plan: p, .. }) => {
                (&p.integration, &p.session)
            }
            Command::SetupSql(setup::SetupSqlArgs {
                integration: Some(integration),
                session,
                ..
            }) => (integration, session),
            _ => return None,
        };
        session.password_stdin.then_some(integration.as_str())
    }
}

/// How a command that did not fail ended.
enum Done {
    Ok,
    /// `plan --desired --check`: the database differs from the document by this many statements.
    Drift(usize),
    /// `integration check`: this many prerequisites are missing.
    Missing(usize),
}

async fn run(cli: Cli) -> Result<Done, Error> {
    let g = Grantry::open(OpenOptions::system()).await?;
    let out = output::Out { json: cli.json };
    if let Some(name) = cli.command.session_password_for() {
        g.integrations()
            .set_session_password(name, read_stdin_line()?)
            .await?;
    }
    match cli.command {
        Command::Integration(cmd) => match cmd {
            IntegrationCmd::Add(a) => {
                let it = g.integrations().add(add_input(*a)?).await?;
                out.integration(&it, "saved")
            }
            IntegrationCmd::List => out.integrations(&g.integrations().list().await?),
            IntegrationCmd::Show { name } => {
                out.integration(&g.integrations().get(&name).await?, "")
            }
            IntegrationCmd::Test { name, .. } => {
                let report = g.integrations().test(&name).await?;
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
            IntegrationCmd::Check { name, .. } => {
                let report = g.integrations().test(&name).await?;
                if !report.ok {
                    let code = report
                        .failure
                        .map(|f| f.code())
                        .unwrap_or(grantry_core::ErrorCode::Internal);
                    return Err(
                        Error::new(code, report.message).with_detail("connection test failed")
                    );
                }
                out.prerequisites(&report.prerequisites);
                let missing = report.prerequisites.iter().filter(|p| !p.ok).count();
                if missing > 0 {
                    return Ok(Done::Missing(missing));
                }
            }
            IntegrationCmd::Remove { name } => {
                let it = g.integrations().remove(&name).await?;
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
                    None => out.candidates(&g.integrations().import_candidates(&source)?),
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
                            .integrations()
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
                (None, _) => out.databases(&g.catalog().databases(&t.integration, &q).await?),
                (Some(db), None) => {
                    out.schemas(&g.catalog().schemas(&t.integration, db, &q).await?)
                }
                (Some(db), Some(s)) => {
                    out.relations(&g.catalog().relations(&t.integration, db, s, &q).await?)
                }
            }
        }
        Command::SetupSql(a) => setup::run(&g, &out, a).await?,
        Command::Discover(DiscoverCmd::Aws(d)) => {
            let stdin = if d.access.aws_secret_stdin {
                Some(aws::read_aws_secret_stdin(
                    d.access.aws_session_token_stdin,
                )?)
            } else {
                None
            };
            match d.add_request(stdin.clone())? {
                Some(req) => out.discovered_added(&g.integrations().add_discovered(req).await?),
                None => {
                    let found = g
                        .integrations()
                        .discover_rds(&d.region, &d.access.input(stdin), &d.tags()?)
                        .await?;
                    out.rds_databases(&found)
                }
            }
        }
        cmd @ (Command::Grants { .. }
        | Command::WhoCan { .. }
        | Command::Role { .. }
        | Command::Plan(_)
        | Command::Apply(_)
        | Command::Export { .. }
        | Command::Audit { .. }) => return run_privileges(&g, &out, cmd).await,
        Command::Sandbox(cmd) => {
            let status = match cmd {
                SandboxCmd::Start => {
                    let quiet = cli.json;
                    g.sandbox()
                        .start(&move |m: &str| {
                            if !quiet {
                                eprintln!("… {m}");
                            }
                        })
                        .await?
                }
                SandboxCmd::Stop => g.sandbox().stop().await?,
                SandboxCmd::Status => g.sandbox().status().await?,
            };
            out.sandbox(&status)
        }
    }
    g.close().await;
    Ok(Done::Ok)
}

async fn plan_for(
    g: &Grantry,
    a: &PlanArgs,
) -> Result<grantry_core::privileges::service::PlanView, Error> {
    match &a.desired {
        Some(f) => {
            let text = std::fs::read_to_string(f)
                .map_err(|e| Error::invalid(format!("cannot read {f}: {e}")))?;
            let doc =
                grantry_core::privileges::desired::parse_document(&text).map_err(|e| Error {
                    message: format!("{f}: {}", e.message),
                    ..e
                })?;
            g.privileges()
                .plan_desired(&a.integration, a.database.as_deref(), &doc)
                .await
        }
        None => {
            g.privileges()
                .plan(&a.integration, a.database.as_deref(), &changes(a)?)
                .await
        }
    }
}

async fn run_privileges(g: &Grantry, out: &output::Out, command: Command) -> Result<Done, Error> {
    use grantry_core::privileges::{apply::RunOutcome, parse::parse_object, Privilege};
    match command {
        Command::Grants {
            integration,
            object,
            database,
            ..
        } => out.grants(
            &g.privileges()
                .object_grants(&integration, database.as_deref(), &parse_object(&object)?)
                .await?,
        ),
        Command::WhoCan {
            integration,
            privilege,
            object,
            database,
            ..
        } => {
            let p = Privilege::parse(&privilege)
                .ok_or_else(|| Error::invalid(format!("unknown privilege {privilege:?}")))?;
            out.who_can(
                &g.privileges()
                    .who_can(
                        &integration,
                        database.as_deref(),
                        &parse_object(&object)?,
                        p,
                    )
                    .await?,
            )
        }
        Command::Role {
            integration,
            role,
            database,
            ..
        } => out.role(
            &g.privileges()
                .role_report(&integration, database.as_deref(), &role)
                .await?,
        ),
        Command::Plan(a) => {
            let pv = plan_for(g, &a).await?;
            out.plan(&pv.plan);
            if a.check && !pv.plan.statements.is_empty() {
                return Ok(Done::Drift(pv.plan.statements.len()));
            }
        }
        Command::Export {
            integration,
            database,
            format,
            ..
        } => print!(
            "{}",
            g.privileges()
                .export(&integration, database.as_deref(), &format)
                .await?
        ),
        Command::Apply(a) => {
            let pv = plan_for(g, &a.plan).await?;
            if !out.json || pv.plan.statements.is_empty() {
                out.plan(&pv.plan);
            }
            // Nothing to run is success only when nothing is blocking either.
            if pv.plan.statements.is_empty() && pv.plan.blocking.is_empty() {
                return Ok(Done::Ok);
            }
            let r = g
                .privileges()
                .run_plan(&pv.id, a.dry_run, a.confirm.as_deref())
                .await?;
            out.run(&r);
            match r.report.outcome {
                // A dry run predicts the apply: one that would be refused exits as refused.
                RunOutcome::RolledBack if !pv.plan.blocking.is_empty() => {
                    return Err(Error::new(
                        grantry_core::ErrorCode::Refused,
                        format!(
                            "the dry run went through, but the apply would be refused: the connecting role cannot carry out {}",
                            pv.plan.blocking.join("; ")
                        ),
                    ))
                }
                RunOutcome::Committed | RunOutcome::RolledBack => {}
                RunOutcome::Refused => {
                    return Err(Error::new(
                        grantry_core::ErrorCode::Refused,
                        r.report.message,
                    ))
                }
                RunOutcome::Failed => {
                    return Err(Error::new(
                        grantry_core::ErrorCode::RolledBack,
                        r.report.message,
                    ))
                }
                RunOutcome::Unknown => {
                    return Err(Error::new(
                        grantry_core::ErrorCode::Network,
                        r.report.message,
                    ))
                }
            }
        }
        Command::Audit { limit, format } => {
            let format = match (format, out.json) {
                (None, true) => "json".to_string(),
                (None, false) => "table".to_string(),
                (Some(f), _) => f,
            };
            if !["table", "csv", "json"].contains(&format.as_str()) {
                return Err(Error::invalid(format!(
                    "unknown format {format:?}: table, csv or json"
                ))
                .at("format"));
            }
            if out.json && format != "json" {
                return Err(Error::invalid(format!(
                    "--json prints JSON, but --format asks for {format}: give one of them"
                ))
                .at("format"));
            }
            let entries = g.audit().log(limit).await?;
            match (out.json, format.as_str()) {
                (true, _) | (_, "json") => {
                    println!("{}", serde_json::to_string_pretty(&entries).unwrap())
                }
                (_, "csv") => print!("{}", grantry_core::audit::audit_csv(&entries)),
                _ => out.audit(&entries),
            }
        }
        _ => unreachable!("not a privilege command"),
    }
    Ok(Done::Ok)
}

fn main() -> ExitCode {
    // Before the runtime's threads start: connect with an integration's own settings only.
    grantry_core::connect::env::scrub_libpq_environment();
    // `grantry plan ... | head`: a closed pipe ends the program quietly, as for other tools.
    // SAFETY: restoring the default disposition of SIGPIPE, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => usage_error(e),
    };
    let json = cli.json;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match rt.block_on(run(cli)) {
        Ok(Done::Ok) => ExitCode::SUCCESS,
        Ok(Done::Drift(n)) => {
            let message = format!(
                "the database differs from the document: {n} statement{} would change it",
                if n == 1 { "" } else { "s" }
            );
            if json {
                eprintln!(
                    "{}",
                    serde_json::json!({"code": "desired.drift", "message": message})
                );
            } else {
                eprintln!("grantry: {message}");
            }
            ExitCode::from(6)
        }
        Ok(Done::Missing(n)) => {
            let message = format!(
                "{n} prerequisite{} missing: see the fix{} above",
                if n == 1 { " is" } else { "s are" },
                if n == 1 { "" } else { "es" }
            );
            if json {
                eprintln!(
                    "{}",
                    serde_json::json!({"code": "check.missing", "message": message})
                );
            } else {
                eprintln!("grantry: {message}");
            }
            ExitCode::from(6)
        }
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
                grantry_core::ErrorCode::NotFound | grantry_core::ErrorCode::DatabaseMissing => 3,
                grantry_core::ErrorCode::Refused => 4,
                grantry_core::ErrorCode::RolledBack => 5,
                _ => 1,
            })
        }
    }
}

/// A command line clap cannot read: its own text, or with `--json` the same error as JSON
/// (`input.invalid`), exit status 2 either way. Help and version print as usual.
fn usage_error(e: clap::Error) -> ! {
    use clap::error::ErrorKind as K;
    let json = std::env::args_os().any(|a| a == "--json");
    if !json || matches!(e.kind(), K::DisplayHelp | K::DisplayVersion) {
        e.exit()
    }
    let text = e.render().to_string();
    if e.kind() == K::DisplayHelpOnMissingArgumentOrSubcommand {
        // `grantry --json integration`: the help it would print becomes the detail.
        let err = Error::invalid("a subcommand is required (the detail lists them)")
            .with_detail(text.trim_end().to_string());
        eprintln!("{}", serde_json::to_string(&err).unwrap_or_default());
        std::process::exit(2)
    }
    // The first paragraph is the error itself ("required arguments were not provided:" is
    // followed by the arguments on lines of their own).
    let message = text
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
        .trim_start_matches("error: ")
        .to_string();
    let err = Error::invalid(message).with_detail(text.trim_end().to_string());
    eprintln!("{}", serde_json::to_string(&err).unwrap_or_default());
    std::process::exit(2)
}
