//! `Grantry`: the one API surface over the core, as a set of features over one context. The Tauri
//! commands and the CLI are both thin faces of it: they parse arguments, call one feature's method
//! and print or return the result.
//!
//! ```text
//! grantry.integrations()  saved integrations: add, edit, remove, import, test
//! grantry.catalog()       the tree: databases, schemas, relations, details
//! grantry.privileges()    inspect, explain, plan, dry run, apply, export, desired state
//! grantry.audit()         the log of every dry run and apply
//! grantry.sandbox()       the local sandbox cluster
//! grantry.setup()         the connector user's setup, per platform
//! ```

use crate::app::{home::Home, App, OpenOptions};
use crate::audit::Audit;
use crate::catalog::Catalog;
use crate::error::Result;
use crate::integrations::Integrations;
use crate::privileges::service::Privileges;
use crate::sandbox::Sandbox;
use crate::setup::Setup;
use std::sync::Arc;

pub struct Grantry {
    app: Arc<App>,
    integrations: Integrations,
    catalog: Catalog,
    privileges: Arc<Privileges>,
    audit: Audit,
    sandbox: Sandbox,
    setup: Setup,
}

impl Grantry {
    pub async fn open(opts: OpenOptions) -> Result<Self> {
        let app = Arc::new(App::open(opts).await?);
        let privileges = Arc::new(Privileges::new(app.clone()));
        Ok(Grantry {
            integrations: Integrations { app: app.clone() },
            catalog: Catalog { app: app.clone() },
            audit: Audit { app: app.clone() },
            sandbox: Sandbox { app: app.clone() },
            setup: Setup {
                app: app.clone(),
                privileges: privileges.clone(),
            },
            privileges,
            app,
        })
    }

    /// The context the features share: data dir, local store, secrets, pools.
    pub fn app(&self) -> &App {
        &self.app
    }

    pub fn home(&self) -> &Home {
        self.app.home()
    }

    pub fn integrations(&self) -> &Integrations {
        &self.integrations
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn privileges(&self) -> &Privileges {
        &self.privileges
    }

    pub fn audit(&self) -> &Audit {
        &self.audit
    }

    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    pub fn setup(&self) -> &Setup {
        &self.setup
    }

    /// Closes every pool.
    pub async fn close(&self) {
        self.app.close().await;
    }
}
