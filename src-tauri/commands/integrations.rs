use super::CmdResult;
use crate::AppState;
use grantry_core::connect::ConnectionReport;
use grantry_core::integrations::import::{ImportCandidate, ImportSource};
use grantry_core::integrations::model::{Integration, IntegrationInput};
use grantry_core::{ImportRequest, Secret};
use tauri::State;

#[tauri::command]
pub async fn list_integrations(state: State<'_, AppState>) -> CmdResult<Vec<Integration>> {
    state.core()?.integrations().list().await
}

#[tauri::command]
pub async fn get_integration(state: State<'_, AppState>, name: String) -> CmdResult<Integration> {
    state.core()?.integrations().get(&name).await
}

#[tauri::command]
pub async fn add_integration(
    state: State<'_, AppState>,
    input: IntegrationInput,
) -> CmdResult<Integration> {
    state.core()?.integrations().add(input).await
}

#[tauri::command]
pub async fn update_integration(
    state: State<'_, AppState>,
    name: String,
    input: IntegrationInput,
) -> CmdResult<Integration> {
    state.core()?.integrations().update(&name, input).await
}

#[tauri::command]
pub async fn remove_integration(
    state: State<'_, AppState>,
    name: String,
) -> CmdResult<Integration> {
    state.core()?.integrations().remove(&name).await
}

#[tauri::command]
pub async fn set_session_password(
    state: State<'_, AppState>,
    name: String,
    password: Secret,
) -> CmdResult<()> {
    state
        .core()?
        .integrations()
        .set_session_password(&name, password)
        .await
}

#[tauri::command]
pub async fn test_integration(
    state: State<'_, AppState>,
    name: String,
) -> CmdResult<ConnectionReport> {
    state.core()?.integrations().test(&name).await
}

#[tauri::command]
pub async fn test_integration_input(
    state: State<'_, AppState>,
    input: IntegrationInput,
    existing: Option<String>,
) -> CmdResult<ConnectionReport> {
    state
        .core()?
        .integrations()
        .test_input(input, existing.as_deref())
        .await
}

#[tauri::command]
pub async fn import_candidates(
    state: State<'_, AppState>,
    source: ImportSource,
) -> CmdResult<Vec<ImportCandidate>> {
    state.core()?.integrations().import_candidates(&source)
}

#[tauri::command]
pub async fn import_integration(
    state: State<'_, AppState>,
    request: ImportRequest,
) -> CmdResult<Integration> {
    state.core()?.integrations().import(request).await
}
