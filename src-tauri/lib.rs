//! The desktop shell: Tauri setup and thin commands over `grantry_core::Grantry`.

mod commands;

use grantry_core::{Grantry, OpenOptions};
use std::sync::Arc;

/// Shared state: the one core instance, or why it could not open (for example a corrupted local
/// store, which is left untouched): every command then answers with that error, so the window
/// shows it instead of the app vanishing.
pub struct AppState {
    core: Result<Arc<Grantry>, grantry_core::Error>,
}

impl AppState {
    pub fn core(&self) -> Result<&Grantry, grantry_core::Error> {
        self.core.as_deref().map_err(Clone::clone)
    }
}

pub fn run() {
    let core = tauri::async_runtime::block_on(Grantry::open(OpenOptions::system())).map(Arc::new);
    if let Err(e) = &core {
        eprintln!("grantry: {}", e.message);
    }
    tauri::Builder::default()
        .manage(AppState { core })
        .invoke_handler(tauri::generate_handler![
            commands::integrations::list_integrations,
            commands::integrations::get_integration,
            commands::integrations::add_integration,
            commands::integrations::update_integration,
            commands::integrations::remove_integration,
            commands::integrations::set_session_password,
            commands::integrations::test_integration,
            commands::integrations::test_integration_input,
            commands::integrations::import_candidates,
            commands::integrations::import_integration,
            commands::tree::list_databases,
            commands::tree::list_schemas,
            commands::tree::list_relations,
            commands::tree::relation_detail,
            commands::sandbox::sandbox_status,
            commands::sandbox::sandbox_start,
            commands::sandbox::sandbox_stop,
            commands::sandbox::startup,
            commands::privileges::object_grants,
            commands::privileges::who_can,
            commands::privileges::role_report,
            commands::privileges::list_roles,
            commands::privileges::plan_changes,
            commands::privileges::run_plan,
            commands::privileges::audit_log,
            commands::privileges::audit_export,
            commands::privileges::refresh_privileges,
        ])
        .run(tauri::generate_context!())
        .expect("error while running Grantry");
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    fn quoted(text: &str) -> BTreeSet<String> {
        text.split('"')
            .skip(1)
            .step_by(2)
            .map(String::from)
            .collect()
    }

    /// build.rs (the app manifest), the capability and the invoke handler name the same commands.
    #[test]
    fn every_command_is_listed_granted_and_handled() {
        let build = include_str!("build.rs");
        let list = &build[build.find("COMMANDS").unwrap()..build.find("];").unwrap()];
        let manifest = quoted(list);
        assert!(manifest.len() >= 15);
        let cap: serde_json::Value =
            serde_json::from_str(include_str!("capabilities/default.json")).unwrap();
        let granted: BTreeSet<String> = cap["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
            .map(|p| p.replace('-', "_"))
            .collect();
        assert_eq!(
            manifest, granted,
            "capabilities/default.json and build.rs disagree"
        );
        let lib = include_str!("lib.rs");
        let handler = &lib[lib.find("generate_handler![").unwrap()..];
        let handler = &handler[..handler.find(']').unwrap()];
        let handled: BTreeSet<String> = handler
            .split(',')
            .filter_map(|s| s.trim().rsplit("::").next())
            .filter(|s| !s.is_empty() && !s.starts_with("generate_handler"))
            .map(String::from)
            .collect();
        assert_eq!(manifest, handled, "generate_handler! and build.rs disagree");
        assert_eq!(cap["windows"], serde_json::json!(["main"]));
    }

    /// The CSP allows nothing remote, and the global Tauri object is off.
    #[test]
    fn config_is_locked_down() {
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
        let csp = conf["app"]["security"]["csp"].as_str().unwrap();
        assert!(csp.contains("default-src 'self'"));
        assert!(
            !csp.contains("http://*") && !csp.contains("https:") && !csp.contains("'unsafe-eval'")
        );
        assert_eq!(conf["app"]["withGlobalTauri"], false);
        assert!(
            conf["build"].get("devUrl").is_none(),
            "a devUrl makes test builds load a dev server"
        );
    }
}
