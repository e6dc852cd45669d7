use super::CmdResult;
use crate::AppState;
use grantry_core::audit::AuditEntry;
use grantry_core::privileges::inspect::Role;
use grantry_core::privileges::plan::Change;
use grantry_core::privileges::service::{
    ApplyResult, ObjectGrants, PlanView, RoleReport, WhoCanAnswer,
};
use grantry_core::privileges::{ObjectRef, Privilege};
use tauri::State;

#[tauri::command]
pub async fn object_grants(
    state: State<'_, AppState>,
    integration: String,
    database: Option<String>,
    object: ObjectRef,
) -> CmdResult<ObjectGrants> {
    state
        .core()?
        .privileges()
        .object_grants(&integration, database.as_deref(), &object)
        .await
}

#[tauri::command]
pub async fn who_can(
    state: State<'_, AppState>,
    integration: String,
    database: Option<String>,
    object: ObjectRef,
    privilege: Privilege,
) -> CmdResult<WhoCanAnswer> {
    state
        .core()?
        .privileges()
        .who_can(&integration, database.as_deref(), &object, privilege)
        .await
}

#[tauri::command]
pub async fn role_report(
    state: State<'_, AppState>,
    integration: String,
    database: Option<String>,
    role: String,
) -> CmdResult<RoleReport> {
    state
        .core()?
        .privileges()
        .role_report(&integration, database.as_deref(), &role)
        .await
}

#[tauri::command]
pub async fn list_roles(
    state: State<'_, AppState>,
    integration: String,
    database: Option<String>,
) -> CmdResult<Vec<Role>> {
    state
        .core()?
        .privileges()
        .roles(&integration, database.as_deref())
        .await
}

#[tauri::command]
pub async fn plan_changes(
    state: State<'_, AppState>,
    integration: String,
    database: Option<String>,
    changes: Vec<Change>,
) -> CmdResult<PlanView> {
    state
        .core()?
        .privileges()
        .plan(&integration, database.as_deref(), &changes)
        .await
}

/// Dry run (`dry_run` true) or apply of a plan kept by the core: the SQL run is the SQL shown.
#[tauri::command]
pub async fn run_plan(
    state: State<'_, AppState>,
    plan: String,
    dry: bool,
    confirm: Option<String>,
) -> CmdResult<ApplyResult> {
    state
        .core()?
        .privileges()
        .run_plan(&plan, dry, confirm.as_deref())
        .await
}

#[tauri::command]
pub async fn audit_log(state: State<'_, AppState>, limit: u32) -> CmdResult<Vec<AuditEntry>> {
    state.core()?.audit().log(limit).await
}

#[tauri::command]
pub async fn audit_export(state: State<'_, AppState>, format: String) -> CmdResult<String> {
    state.core()?.audit().export(&format).await
}

/// Forgets the cached inspection of an integration, so the next view reads the server again.
#[tauri::command]
pub async fn refresh_privileges(state: State<'_, AppState>, integration: String) -> CmdResult<()> {
    state.core()?.privileges().refresh(&integration).await
}
