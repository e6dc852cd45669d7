//! Grantry's core: every domain concept and all I/O, with no Tauri dependency. The desktop shell
//! and the `grantry` CLI are two thin faces of [`Grantry`].

pub mod app;
pub mod audit;
pub mod catalog;
pub mod connect;
pub mod error;
mod grantry;
pub mod integrations;
pub mod privileges;
pub mod quote;
pub mod sandbox;
pub mod secrets;
pub mod setup;
pub mod store;

pub use app::OpenOptions;
pub use error::{Error, ErrorCode, Result};
pub use grantry::Grantry;
pub use integrations::ImportRequest;
pub use secrets::Secret;

/// Writes the TypeScript declarations of every type that crosses IPC into `dir` (one file per
/// type, as ts-rs lays them out). `ui/src/gen/` is generated this way; a test fails when stale.
pub fn export_typescript(dir: &std::path::Path) -> std::result::Result<(), ts_rs::ExportError> {
    use ts_rs::TS;
    error::Error::export_all_to(dir)?;
    error::ErrorCode::export_all_to(dir)?;
    integrations::model::Integration::export_all_to(dir)?;
    integrations::model::IntegrationInput::export_all_to(dir)?;
    connect::ConnectionReport::export_all_to(dir)?;
    catalog::TreeQuery::export_all_to(dir)?;
    catalog::Page::<catalog::DatabaseNode>::export_all_to(dir)?;
    catalog::Page::<catalog::SchemaNode>::export_all_to(dir)?;
    catalog::Page::<catalog::RelationNode>::export_all_to(dir)?;
    catalog::SchemaStats::export_all_to(dir)?;
    catalog::RelationDetail::export_all_to(dir)?;
    integrations::import::ImportCandidate::export_all_to(dir)?;
    integrations::ImportRequest::export_all_to(dir)?;
    sandbox::SandboxStatus::export_all_to(dir)?;
    privileges::service::ObjectGrants::export_all_to(dir)?;
    privileges::service::WhoCanAnswer::export_all_to(dir)?;
    privileges::service::RoleReport::export_all_to(dir)?;
    privileges::service::PlanView::export_all_to(dir)?;
    privileges::service::ApplyResult::export_all_to(dir)?;
    privileges::ObjectRef::export_all_to(dir)?;
    privileges::plan::Change::export_all_to(dir)?;
    audit::AuditEntry::export_all_to(dir)?;
    audit::SavedExport::export_all_to(dir)?;
    privileges::inspect::Role::export_all_to(dir)?;
    privileges::kinds::KindInfo::export_all_to(dir)?;
    privileges::kinds::PrivilegeInfo::export_all_to(dir)?;
    connect::aws::RdsDatabase::export_all_to(dir)?;
    integrations::discovered::AddDiscovered::export_all_to(dir)?;
    integrations::discovered::DiscoveredAdded::export_all_to(dir)?;
    setup::SetupPlan::export_all_to(dir)?;
    setup::SetupRun::export_all_to(dir)?;
    Ok(())
}
