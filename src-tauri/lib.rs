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

/// WebKitGTK settings made through its environment, before any thread starts (a variable the user
/// set wins). Accelerated compositing keeps a backing store per layer: without it the web process
/// holds about half (a blank page measured 112-149 MB with it, 51-80 MB without; Grantry's window
/// at rest 246.7 MB with it, 120.3 MB without), and nothing Grantry shows is animated enough to
/// need it. `GRANTRY_WEBKIT_COMPOSITING=1` keeps it: WebDriver screenshots (the desktop E2E) take
/// minutes without it.
pub fn webview_environment() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none()
        && std::env::var_os("GRANTRY_WEBKIT_COMPOSITING").as_deref() != Some("1".as_ref())
    {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
}

pub fn run() {
    let core = tauri::async_runtime::block_on(Grantry::open(OpenOptions::system())).map(Arc::new);
    if let Err(e) = &core {
        eprintln!("grantry: {}", e.message);
    }
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(AppState { core })
        .invoke_handler(commands::handler())
        .run(tauri::generate_context!())
        .expect("error while running Grantry");
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// The capability grants exactly the declared commands (build.rs writes it from the same
    /// declaration; this catches a hand edit).
    #[test]
    fn every_declared_command_is_granted_and_nothing_else() {
        let manifest: BTreeSet<String> = crate::commands::NAMES
            .iter()
            .map(|s| s.to_string())
            .collect();
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
            "capabilities/default.json is not the declared list"
        );
        let other: Vec<&str> = cap["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str())
            .filter(|p| !p.starts_with("allow-"))
            .collect();
        assert_eq!(
            other,
            [
                "core:event:allow-listen",
                "core:event:allow-unlisten",
                "dialog:allow-save"
            ]
        );
        assert_eq!(cap["windows"], serde_json::json!(["main"]));
    }

    /// ui/src/commands.gen.ts is the declared list, typed; GRANTRY_UPDATE_BINDINGS=1 rewrites it.
    #[test]
    fn the_typescript_client_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/commands.gen.ts");
        let fresh = crate::commands::typescript_client();
        if std::env::var_os("GRANTRY_UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &fresh).unwrap();
            return;
        }
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            current == fresh,
            "ui/src/commands.gen.ts is stale: run GRANTRY_UPDATE_BINDINGS=1 cargo test -p grantry-app"
        );
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
