//! Thin Tauri commands: parse arguments, call one core method, return its result. Errors cross
//! IPC as `{code, message, detail?}` (grantry_core::Error).

pub mod integrations;
pub mod privileges;
pub mod sandbox;
pub mod tree;

pub type CmdResult<T> = Result<T, grantry_core::Error>;
