// The app's IPC surface: every command is listed here and granted by the one capability in
// src-tauri/capabilities/default.json. A command missing from this list cannot be invoked.
const COMMANDS: &[&str] = &[
    "list_integrations",
    "get_integration",
    "add_integration",
    "update_integration",
    "remove_integration",
    "set_session_password",
    "test_integration",
    "test_integration_input",
    "import_candidates",
    "import_integration",
    "list_databases",
    "list_schemas",
    "list_relations",
    "relation_detail",
    "sandbox_status",
    "sandbox_start",
    "sandbox_stop",
    "startup",
    "object_grants",
    "who_can",
    "role_report",
    "list_roles",
    "plan_changes",
    "run_plan",
    "audit_log",
    "audit_export",
    "refresh_privileges",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("./src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step failed");
}
