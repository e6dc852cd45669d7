use super::CmdResult;
use crate::AppState;
use grantry_core::catalog::{
    DatabaseNode, Page, RelationDetail, RelationNode, SchemaNode, TreeQuery,
};
use tauri::State;

#[tauri::command]
pub async fn list_databases(
    state: State<'_, AppState>,
    integration: String,
    query: TreeQuery,
) -> CmdResult<Page<DatabaseNode>> {
    state
        .core()?
        .catalog()
        .databases(&integration, &query)
        .await
}

#[tauri::command]
pub async fn list_schemas(
    state: State<'_, AppState>,
    integration: String,
    database: String,
    query: TreeQuery,
) -> CmdResult<Page<SchemaNode>> {
    state
        .core()?
        .catalog()
        .schemas(&integration, &database, &query)
        .await
}

#[tauri::command]
pub async fn list_relations(
    state: State<'_, AppState>,
    integration: String,
    database: String,
    schema: String,
    query: TreeQuery,
) -> CmdResult<Page<RelationNode>> {
    state
        .core()?
        .catalog()
        .relations(&integration, &database, &schema, &query)
        .await
}

#[tauri::command]
pub async fn relation_detail(
    state: State<'_, AppState>,
    integration: String,
    database: String,
    schema: String,
    name: String,
) -> CmdResult<RelationDetail> {
    state
        .core()?
        .catalog()
        .relation_detail(&integration, &database, &schema, &name)
        .await
}
