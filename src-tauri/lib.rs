//! The desktop shell: Tauri setup and thin commands over `grantry_core::Grantry`.

mod commands;

use grantry_core::{Grantry, OpenOptions};
use std::sync::Arc;

/// Shared state: the one core instance.
pub struct AppState {
    pub core: Arc<Grantry>,
}

pub fn run() {
    let core = tauri::async_runtime::block_on(Grantry::open(OpenOptions {
        home: None,
        secrets: None,
    }))
    .unwrap_or_else(|e| {
        eprintln!(
            "grantry: {}{}",
            e.message,
            e.detail.map(|d| format!(" ({d})")).unwrap_or_default()
        );
        std::process::exit(1);
    });
    tauri::Builder::default()
        .manage(AppState {
            core: Arc::new(core),
        })
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
        ])
        .run(tauri::generate_context!())
        .expect("error while running Grantry");
}
