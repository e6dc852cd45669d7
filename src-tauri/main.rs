// Prevents an additional console window on Windows in release.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // Before any thread starts: a saved integration must not pick up PGPASSWORD and the like.
    grantry_core::connect::env::scrub_libpq_environment();
    grantry_app::webview_environment();
    grantry_app::run();
}
