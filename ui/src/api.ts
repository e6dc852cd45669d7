// The one gateway to the Rust core: every command and event of the desktop shell goes through
// here. Errors always come out as GrantryError ({code, message, detail?}).

import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type { Error as GrantryError } from './gen/Error';
import { ERROR_TITLE } from './shared/labels';
import type { ArgsOf, CommandName, ResultOf } from './commands.gen';
import type { AddDiscovered } from './gen/AddDiscovered';
import type { AwsAccessInput } from './gen/AwsAccessInput';
import type { Change } from './gen/Change';
import type { ImportRequest } from './gen/ImportRequest';
import type { ImportSource } from './gen/ImportSource';
import type { IntegrationInput } from './gen/IntegrationInput';
import type { ObjectRef } from './gen/ObjectRef';
import type { Privilege } from './gen/Privilege';
import type { TreeQuery } from './gen/TreeQuery';
import type { SetupRequest } from './gen/SetupRequest';

export type { GrantryError };

/** What stands behind the gateway: the desktop shell, or the dev mocks in a plain browser. */
export type Backend = {
  invoke: <K extends CommandName>(cmd: K, args: ArgsOf<K>) => Promise<ResultOf<K>>;
  listen: (event: string, cb: (payload: unknown) => void) => Promise<() => void>;
};

/** A stand-in backend for UI development in a plain browser (dev server only). */
let devBackend: Backend | null = null;

export function setDevBackend(b: Backend | null): void {
  devBackend = b;
}

/** Every code the core can answer with: the keys of ERROR_TITLE, which the compiler checks are all of ErrorCode. */
const KNOWN_CODES: ReadonlySet<string> = new Set(Object.keys(ERROR_TITLE));

export function isGrantryError(e: unknown): e is GrantryError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { code?: unknown }).code === 'string' &&
    KNOWN_CODES.has((e as { code: string }).code) &&
    typeof (e as { message?: unknown }).message === 'string'
  );
}

/** Anything thrown (core error object, JS exception, string) as a GrantryError. */
export function normalizeError(e: unknown): GrantryError {
  if (isGrantryError(e)) {
    const detail = (e as { detail?: unknown }).detail;
    const field = (e as { field?: unknown }).field;
    return {
      code: e.code,
      message: e.message,
      detail: typeof detail === 'string' && detail !== '' ? detail : null,
      field: typeof field === 'string' && field !== '' ? field : null,
    };
  }
  if (typeof e === 'string') return { code: 'internal', message: e, detail: null, field: null };
  if (e instanceof globalThis.Error) {
    return { code: 'internal', message: e.message || e.name, detail: e.stack ?? null, field: null };
  }
  let detail: string | null = null;
  try {
    detail = JSON.stringify(e) ?? null;
  } catch {
    // not serializable
  }
  return { code: 'internal', message: 'unexpected error', detail, field: null };
}

/** Whether the page runs inside the desktop shell (the Tauri IPC bridge is present). */
export function hasIpc(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

const NO_IPC: GrantryError = {
  code: 'internal',
  message: 'The Grantry core is not reachable: this page must run inside the Grantry desktop app.',
  detail: 'The Tauri IPC bridge (window.__TAURI_INTERNALS__) is missing.',
  field: null,
};

/** What became of one call: its result or its error, and when it started (ms since the epoch). */
export type CallOutcome = { cmd: CommandName; args: unknown; started: number } & (
  | { ok: true; result: unknown }
  | { ok: false; error: GrantryError }
);

let observer: ((o: CallOutcome) => void) | null = null;

/** One listener told of every call's outcome (the app's record of unreachable servers). */
export function observeCalls(fn: ((o: CallOutcome) => void) | null): void {
  observer = fn;
}

function tell(o: CallOutcome): void {
  try {
    observer?.(o);
  } catch {
    // a listener's failure is not the call's
  }
}

/** Invokes a declared command (ui/src/commands.gen.ts): arguments and result are typed. */
async function call<K extends CommandName>(cmd: K, args: ArgsOf<K>): Promise<ResultOf<K>> {
  const started = Date.now();
  let result: ResultOf<K>;
  try {
    if (devBackend) result = await devBackend.invoke(cmd, args);
    else if (!hasIpc()) throw NO_IPC;
    else result = await invoke<ResultOf<K>>(cmd, args);
  } catch (e) {
    const error = normalizeError(e);
    tell({ cmd, args, started, ok: false, error });
    throw error;
  }
  tell({ cmd, args, started, ok: true, result });
  return result;
}

/** Subscribes to a core event; returns the unsubscribe function. Never throws. */
async function on<T>(event: string, cb: (payload: T) => void): Promise<() => void> {
  try {
    if (devBackend) return await devBackend.listen(event, (p) => cb(p as T));
    if (!hasIpc()) return () => {};
    return await listen<T>(event, (e) => cb(e.payload));
  } catch {
    return () => {};
  }
}

// ------------------------------------------------------------------------- integrations

export const listIntegrations = () => call('list_integrations', {});
export const getIntegration = (name: string) => call('get_integration', { name });
export const addIntegration = (input: IntegrationInput) => call('add_integration', { input });
export const updateIntegration = (name: string, input: IntegrationInput) =>
  call('update_integration', { name, input });
export const removeIntegration = (name: string) => call('remove_integration', { name });
export const setSessionPassword = (name: string, password: string) =>
  call('set_session_password', { name, password });
export const testIntegration = (name: string) => call('test_integration', { name });
/** Every problem of the settings, each naming its field (the core's rules, shown in place). */
export const validateIntegration = (input: IntegrationInput, existing: string | null) =>
  call('validate_integration', { input, existing });
export const testIntegrationInput = (input: IntegrationInput, existing: string | null) =>
  call('test_integration_input', { input, existing });
/** The PostgreSQL instances and Aurora clusters of a region with every tag given (`[key, null]`: any value). */
export const discoverRds = (region: string, access: AwsAccessInput, tags: [string, string | null][]) =>
  call('discover_rds', { region, access, tags });
/** Saves databases discovery found as integrations, all or none. */
export const addDiscovered = (request: AddDiscovered) => call('add_discovered', { request });
export const importCandidates = (source: ImportSource) => call('import_candidates', { source });
export const importIntegration = (request: ImportRequest) => call('import_integration', { request });

// --------------------------------------------------------------------------------- tree

export const listDatabases = (integration: string, query: TreeQuery) =>
  call('list_databases', { integration, query });
export const listSchemas = (integration: string, database: string, query: TreeQuery) =>
  call('list_schemas', { integration, database, query });
export const listRelations = (integration: string, database: string, schema: string, query: TreeQuery) =>
  call('list_relations', { integration, database, schema, query });
export const schemaStats = (integration: string, database: string, schema: string) =>
  call('schema_stats', { integration, database, schema });
export const relationDetail = (integration: string, database: string, schema: string, name: string) =>
  call('relation_detail', { integration, database, schema, name });

// --------------------------------------------------------------------------- privileges
// `database`: the database the user is in; null means the integration's default database.

export const objectGrants = (integration: string, database: string | null, object: ObjectRef) =>
  call('object_grants', { integration, database, object });
export const whoCan = (integration: string, database: string | null, object: ObjectRef, privilege: Privilege) =>
  call('who_can', { integration, database, object, privilege });
export const roleReport = (integration: string, database: string | null, role: string) =>
  call('role_report', { integration, database, role });
export const listRoles = (integration: string, database: string | null) =>
  call('list_roles', { integration, database });
/** Plans the changes; the core keeps the plan under PlanView.id for runPlan. */
export const planChanges = (integration: string, database: string | null, changes: Change[]) =>
  call('plan_changes', { integration, database, changes });
/**
 * Runs a kept plan: a dry run (always rolled back) or an apply. An apply on a production
 * integration needs `confirm` = the integration's name, typed by the user.
 */
export const runPlan = (plan: string, dry: boolean, confirm: string | null) =>
  call('run_plan', { plan, dry, confirm });
/** Forgets the core's cached inspection of an integration: the next view reads the server again. */
export const refreshPrivileges = (integration: string) => call('refresh_privileges', { integration });
export const auditLog = (limit: number) => call('audit_log', { limit });
export const auditExport = (format: 'csv' | 'json') => call('audit_export', { format });
export const auditSave = (path: string, format: 'csv' | 'json') => call('audit_save', { path, format });

// ---------------------------------------------------------------------- connector setup

/** The connector's setup as a script, without a server (`databases`, `schemas`: defaults if empty). */
export const setupScript = (request: SetupRequest, databases: string[], schemas: string[]) =>
  call('setup_script', { request, databases, schemas });
/** The setup planned against an integration's server: its steps, one plan per database. */
export const setupPlan = (integration: string, request: SetupRequest) => call('setup_plan', { integration, request });

// ------------------------------------------------------------------------------ sandbox

export const sandboxStatus = () => call('sandbox_status', {});
export const sandboxStart = () => call('sandbox_start', {});
export const sandboxStop = () => call('sandbox_stop', {});
/** Called once at launch: may create the local sandbox (10-40 s, with progress events). */
export const startup = () => call('startup', {});

export const onSandboxProgress = (cb: (message: string) => void) => on<string>('sandbox-progress', cb);
