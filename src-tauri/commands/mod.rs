//! The Tauri commands, generated from the one declaration in `list.rs`: each parses its
//! arguments, makes one call into the core and returns its result. Errors cross IPC as
//! `{code, message, detail?}` (grantry_core::Error).

use crate::AppState;
use grantry_core::audit::{AuditEntry, SavedExport};
use grantry_core::catalog::{
    DatabaseNode, Page, RelationDetail, RelationNode, SchemaNode, SchemaStats, TreeQuery,
};
use grantry_core::connect::aws::RdsDatabase;
use grantry_core::connect::ConnectionReport;
use grantry_core::integrations::discovered::{AddDiscovered, DiscoveredAdded};
use grantry_core::integrations::import::{ImportCandidate, ImportSource};
use grantry_core::integrations::model::AwsAccessInput;
use grantry_core::integrations::model::{Integration, IntegrationInput};
use grantry_core::privileges::inspect::Role;
use grantry_core::privileges::plan::Change;
use grantry_core::privileges::service::{
    ApplyResult, ObjectGrants, PlanView, RoleReport, WhoCanAnswer,
};
use grantry_core::privileges::{ObjectRef, Privilege};
use grantry_core::sandbox::SandboxStatus;
use grantry_core::setup::{SetupPlan, SetupRequest};
use grantry_core::{Error, ImportRequest, Secret};
use tauri::{AppHandle, Emitter, State};

pub type CmdResult<T> = Result<T, grantry_core::Error>;

/// Sandbox progress messages, as `sandbox-progress` events.
fn progress(app: AppHandle) -> impl Fn(&str) + Send + Sync {
    move |msg: &str| {
        let _ = app.emit("sandbox-progress", msg.to_string());
    }
}

macro_rules! ipc {
    ($(
        $(#[$meta:meta])*
        $name:ident ( $core:ident $(, $app:ident)? ; $( $arg:ident : $ty:ty ),* $(,)? ) -> $ret:ty $body:block
    )*) => {
        $(
            $(#[$meta])*
            #[tauri::command]
            pub async fn $name(
                state: State<'_, AppState>,
                $( $app: AppHandle, )?
                $( $arg: $ty ),*
            ) -> CmdResult<$ret> {
                let $core = state.core()?;
                $body
            }
        )*

        /// The invoke handler of every declared command.
        pub fn handler() -> impl Fn(tauri::ipc::Invoke<tauri::Wry>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }

        /// The declared commands' names, in order.
        #[cfg(test)]
        pub const NAMES: &[&str] = &[$(stringify!($name)),*];

        /// The typed TypeScript client's declarations: each command's arguments and result.
        #[cfg(test)]
        pub fn typescript() -> Vec<(&'static str, Vec<(&'static str, String)>, String)> {
            use ts_rs::TS;
            vec![$(
                (
                    stringify!($name),
                    vec![$( (stringify!($arg), <$ty as TS>::name()) ),*],
                    <$ret as TS>::name(),
                )
            ),*]
        }
    };
}

include!("list.rs");

/// ui/src/commands.gen.ts: for each declared command its arguments and result, and the typed
/// `invoke` that api.ts and the dev mocks build on.
#[cfg(test)]
pub fn typescript_client() -> String {
    let commands = typescript();
    let mut types = std::collections::BTreeSet::new();
    for (_, args, ret) in &commands {
        for t in args.iter().map(|(_, t)| t).chain([ret]) {
            for word in t.split(|c: char| !c.is_ascii_alphanumeric() && c != '_') {
                if word.starts_with(|c: char| c.is_ascii_uppercase()) && word != "Array" {
                    types.insert(word.to_string());
                }
            }
        }
    }
    let mut out = String::from(
        "// Generated from src-tauri/commands/list.rs, the one declaration of the IPC surface: do not edit.\n\
         // `cargo test -p grantry-app` fails when this file is stale; GRANTRY_UPDATE_BINDINGS=1 rewrites it.\n\n",
    );
    for t in &types {
        out.push_str(&format!("import type {{ {t} }} from './gen/{t}';\n"));
    }
    out.push_str("\n/** Every command: the arguments the UI sends and what the core returns. */\nexport interface Commands {\n");
    for (name, args, ret) in &commands {
        let args = args
            .iter()
            .map(|(a, t)| format!("{a}: {t}"))
            .collect::<Vec<_>>()
            .join("; ");
        let args = if args.is_empty() {
            "Record<string, never>".to_string()
        } else {
            format!("{{ {args} }}")
        };
        out.push_str(&format!("  {name}: {{ args: {args}; returns: {ret} }};\n"));
    }
    out.push_str("}\n\nexport type CommandName = keyof Commands;\nexport type ArgsOf<K extends CommandName> = Commands[K]['args'];\nexport type ResultOf<K extends CommandName> = Commands[K]['returns'];\n\n");
    out.push_str("/** The declared commands, in order. */\nexport const COMMAND_NAMES = [\n");
    for (name, _, _) in &commands {
        out.push_str(&format!("  '{name}',\n"));
    }
    out.push_str("] as const satisfies readonly CommandName[];\n");
    out
}
