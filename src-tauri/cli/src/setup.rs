//! `grantry setup-sql`: the connector user's setup, as a script (with or without a server) or
//! run through the plan pipeline (`--dry-run`, `--apply`).

use crate::output::Out;
use crate::SessionPassword;
use clap::Args;
use grantry_core::connect::prerequisites::Platform;
use grantry_core::setup::{platform_of, SetupRequest};
use grantry_core::{Error, Grantry};

#[derive(Args)]
pub struct SetupSqlArgs {
    /// The integration to plan against, connected as an administrator (a superuser, the RDS
    /// master user, the Azure administrator): every database and schema of its server.
    #[arg(conflicts_with = "kind")]
    pub integration: Option<String>,
    /// Without a server: self-hosted, aws-rds or azure.
    #[arg(long)]
    pub kind: Option<String>,
    /// The connector user to create (exact; quotes and spaces are fine, control characters
    /// and right-to-left letters are refused: the driver cannot log in with them).
    #[arg(long)]
    pub user: String,
    /// The connector's login: password (the default), iam (aws-rds) or entra (azure). With an
    /// integration, the integration's own login is the default.
    #[arg(long)]
    pub auth: Option<String>,
    /// Without a server: a database to grant on (repeatable; default postgres and template1).
    #[arg(long = "database", requires = "kind")]
    pub databases: Vec<String>,
    /// Without a server: a schema to grant on in each database (repeatable; default public).
    #[arg(long = "schema", requires = "kind")]
    pub schemas: Vec<String>,
    /// Run every step, then roll it back (only the first while the user does not exist).
    #[arg(long, requires = "integration", conflicts_with = "apply")]
    pub dry_run: bool,
    /// Apply every step, each in its own transaction with its audit entry.
    #[arg(long, requires = "integration")]
    pub apply: bool,
    /// The integration's name, required to apply to a production integration.
    #[arg(long, requires = "apply")]
    pub confirm: Option<String>,
    #[command(flatten)]
    pub session: SessionPassword,
}

/// The platform `kind` names, with the login `auth` names.
fn platform(kind: &str, auth: Option<&str>) -> Result<Platform, Error> {
    let bad_auth = |a: &str, allowed: &str| {
        Error::invalid(format!(
            "unknown --auth {a:?} for {kind}: expected {allowed}"
        ))
        .at("auth")
    };
    Ok(match kind {
        "self-hosted" => match auth {
            None | Some("password") => Platform::SelfHosted,
            Some(a) => return Err(bad_auth(a, "password")),
        },
        "aws-rds" => match auth {
            None | Some("password") => Platform::AwsRds { iam: false },
            Some("iam") => Platform::AwsRds { iam: true },
            Some(a) => return Err(bad_auth(a, "iam or password")),
        },
        "azure" => match auth {
            None | Some("password") => Platform::Azure { entra: false },
            Some("entra") => Platform::Azure { entra: true },
            Some(a) => return Err(bad_auth(a, "entra or password")),
        },
        other => {
            return Err(Error::invalid(format!(
                "unknown kind {other:?}: expected self-hosted, aws-rds or azure"
            ))
            .at("kind"))
        }
    })
}

fn kind_of(p: Platform) -> &'static str {
    match p {
        Platform::SelfHosted => "self-hosted",
        Platform::AwsRds { .. } => "aws-rds",
        Platform::Azure { .. } => "azure",
    }
}

pub async fn run(g: &Grantry, out: &Out, a: SetupSqlArgs) -> Result<(), Error> {
    // (clap's `requires` does not hold these when the integration, a positional, is absent.)
    if a.integration.is_none() && (a.dry_run || a.apply || a.confirm.is_some()) {
        return Err(Error::invalid(
            "--dry-run, --apply and --confirm run the setup on a server: give the integration \
             instead of --kind",
        )
        .at("kind"));
    }
    if a.confirm.is_some() && !a.apply {
        return Err(Error::invalid("--confirm goes with --apply").at("confirm"));
    }
    let Some(name) = &a.integration else {
        let Some(kind) = a.kind.as_deref() else {
            return Err(Error::invalid(
                "give an integration (the setup planned against its server) or --kind \
                 self-hosted|aws-rds|azure (a script written without a server)",
            )
            .at("kind"));
        };
        let request = SetupRequest {
            platform: platform(kind, a.auth.as_deref())?,
            user: a.user,
        };
        let plan = g.setup().script(&request, &a.databases, &a.schemas)?;
        out.setup_plan(&plan);
        return Ok(());
    };
    let it = g.integrations().get(name).await?;
    let own = platform_of(&it.connection);
    let platform = match a.auth.as_deref() {
        None => own,
        Some(auth) => platform(kind_of(own), Some(auth))?,
    };
    let request = SetupRequest {
        platform,
        user: a.user,
    };
    if !a.dry_run && !a.apply {
        let plan = g.setup().plan(name, &request).await?;
        out.setup_plan(&plan);
        return Ok(());
    }
    // Each step is printed as it ends: a password the first one generates is shown at once,
    // whatever happens to the rest of the run.
    let live = !out.json;
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let run = g
        .setup()
        .run(name, &request, a.dry_run, a.confirm.as_deref(), &|s| {
            if live {
                let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                out.setup_step(n, s);
            }
        })
        .await?;
    out.setup_run(&run);
    match run.error {
        None => Ok(()),
        Some(e) => Err(e),
    }
}
