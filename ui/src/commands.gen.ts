// Generated from src-tauri/commands/list.rs, the one declaration of the IPC surface: do not edit.
// `cargo test -p grantry-app` fails when this file is stale; GRANTRY_UPDATE_BINDINGS=1 rewrites it.

import type { AddDiscovered } from './gen/AddDiscovered';
import type { ApplyResult } from './gen/ApplyResult';
import type { AuditEntry } from './gen/AuditEntry';
import type { AwsAccessInput } from './gen/AwsAccessInput';
import type { Change } from './gen/Change';
import type { ConnectionReport } from './gen/ConnectionReport';
import type { DatabaseNode } from './gen/DatabaseNode';
import type { DiscoveredAdded } from './gen/DiscoveredAdded';
import type { Error } from './gen/Error';
import type { ImportCandidate } from './gen/ImportCandidate';
import type { ImportRequest } from './gen/ImportRequest';
import type { ImportSource } from './gen/ImportSource';
import type { Integration } from './gen/Integration';
import type { IntegrationInput } from './gen/IntegrationInput';
import type { ObjectGrants } from './gen/ObjectGrants';
import type { ObjectRef } from './gen/ObjectRef';
import type { Page } from './gen/Page';
import type { PlanView } from './gen/PlanView';
import type { Privilege } from './gen/Privilege';
import type { RdsDatabase } from './gen/RdsDatabase';
import type { RelationDetail } from './gen/RelationDetail';
import type { RelationNode } from './gen/RelationNode';
import type { Role } from './gen/Role';
import type { RoleReport } from './gen/RoleReport';
import type { SandboxStatus } from './gen/SandboxStatus';
import type { SavedExport } from './gen/SavedExport';
import type { SchemaNode } from './gen/SchemaNode';
import type { SchemaStats } from './gen/SchemaStats';
import type { SetupPlan } from './gen/SetupPlan';
import type { SetupRequest } from './gen/SetupRequest';
import type { TreeQuery } from './gen/TreeQuery';
import type { WhoCanAnswer } from './gen/WhoCanAnswer';

/** Every command: the arguments the UI sends and what the core returns. */
export interface Commands {
  list_integrations: { args: Record<string, never>; returns: Array<Integration> };
  get_integration: { args: { name: string }; returns: Integration };
  add_integration: { args: { input: IntegrationInput }; returns: Integration };
  update_integration: { args: { name: string; input: IntegrationInput }; returns: Integration };
  remove_integration: { args: { name: string }; returns: Integration };
  set_session_password: { args: { name: string; password: string }; returns: null };
  test_integration: { args: { name: string }; returns: ConnectionReport };
  validate_integration: { args: { input: IntegrationInput; existing: string | null }; returns: Array<Error> };
  test_integration_input: { args: { input: IntegrationInput; existing: string | null }; returns: ConnectionReport };
  discover_rds: { args: { region: string; access: AwsAccessInput; tags: Array<[string, string | null]> }; returns: Array<RdsDatabase> };
  add_discovered: { args: { request: AddDiscovered }; returns: DiscoveredAdded };
  import_candidates: { args: { source: ImportSource }; returns: Array<ImportCandidate> };
  import_integration: { args: { request: ImportRequest }; returns: Integration };
  list_databases: { args: { integration: string; query: TreeQuery }; returns: Page<DatabaseNode> };
  list_schemas: { args: { integration: string; database: string; query: TreeQuery }; returns: Page<SchemaNode> };
  list_relations: { args: { integration: string; database: string; schema: string; query: TreeQuery }; returns: Page<RelationNode> };
  schema_stats: { args: { integration: string; database: string; schema: string }; returns: SchemaStats };
  relation_detail: { args: { integration: string; database: string; schema: string; name: string }; returns: RelationDetail };
  sandbox_status: { args: Record<string, never>; returns: SandboxStatus };
  sandbox_start: { args: Record<string, never>; returns: SandboxStatus };
  sandbox_stop: { args: Record<string, never>; returns: SandboxStatus };
  startup: { args: Record<string, never>; returns: SandboxStatus | null };
  object_grants: { args: { integration: string; database: string | null; object: ObjectRef }; returns: ObjectGrants };
  who_can: { args: { integration: string; database: string | null; object: ObjectRef; privilege: Privilege }; returns: WhoCanAnswer };
  role_report: { args: { integration: string; database: string | null; role: string }; returns: RoleReport };
  list_roles: { args: { integration: string; database: string | null }; returns: Array<Role> };
  plan_changes: { args: { integration: string; database: string | null; changes: Array<Change> }; returns: PlanView };
  run_plan: { args: { plan: string; dry: boolean; confirm: string | null }; returns: ApplyResult };
  refresh_privileges: { args: { integration: string }; returns: null };
  setup_script: { args: { request: SetupRequest; databases: Array<string>; schemas: Array<string> }; returns: SetupPlan };
  setup_plan: { args: { integration: string; request: SetupRequest }; returns: SetupPlan };
  audit_log: { args: { limit: number }; returns: Array<AuditEntry> };
  audit_export: { args: { format: string }; returns: string };
  audit_save: { args: { path: string; format: string }; returns: SavedExport };
}

export type CommandName = keyof Commands;
export type ArgsOf<K extends CommandName> = Commands[K]['args'];
export type ResultOf<K extends CommandName> = Commands[K]['returns'];

/** The declared commands, in order. */
export const COMMAND_NAMES = [
  'list_integrations',
  'get_integration',
  'add_integration',
  'update_integration',
  'remove_integration',
  'set_session_password',
  'test_integration',
  'validate_integration',
  'test_integration_input',
  'discover_rds',
  'add_discovered',
  'import_candidates',
  'import_integration',
  'list_databases',
  'list_schemas',
  'list_relations',
  'schema_stats',
  'relation_detail',
  'sandbox_status',
  'sandbox_start',
  'sandbox_stop',
  'startup',
  'object_grants',
  'who_can',
  'role_report',
  'list_roles',
  'plan_changes',
  'run_plan',
  'refresh_privileges',
  'setup_script',
  'setup_plan',
  'audit_log',
  'audit_export',
  'audit_save',
] as const satisfies readonly CommandName[];
