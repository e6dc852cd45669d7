use super::CmdResult;
use crate::AppState;
use grantry_core::sandbox::SandboxStatus;
use tauri::{AppHandle, Emitter, State};

fn progress(app: AppHandle) -> impl Fn(&str) + Send + Sync {
    move |msg: &str| {
        let _ = app.emit("sandbox-progress", msg.to_string());
    }
}

#[tauri::command]
pub async fn sandbox_status(state: State<'_, AppState>) -> CmdResult<SandboxStatus> {
    state.core()?.sandbox().status().await
}

#[tauri::command]
pub async fn sandbox_start(app: AppHandle, state: State<'_, AppState>) -> CmdResult<SandboxStatus> {
    state.core()?.sandbox().start(&progress(app)).await
}

#[tauri::command]
pub async fn sandbox_stop(state: State<'_, AppState>) -> CmdResult<SandboxStatus> {
    state.core()?.sandbox().stop().await
}

/// Called once by the UI at launch: with no integration saved, creates the sandbox (emitting
/// `sandbox-progress` events); starts it if it exists but is stopped.
#[tauri::command]
pub async fn startup(
    app: AppHandle,
    state: State<'_, AppState>,
) -> CmdResult<Option<SandboxStatus>> {
    state.core()?.sandbox().ensure_default(&progress(app)).await
}
