// The add/edit integration form: its state, client-side validation, and the IntegrationInput
// sent to the core.

import type { Integration } from '../../../gen/Integration';
import type { IntegrationInput } from '../../../gen/IntegrationInput';
import type { ConnectionInput } from '../../../gen/ConnectionInput';
import type { SslMode } from '../../../gen/SslMode';
import type { Environment } from '../../../gen/Environment';
import type { CertSource } from '../../../gen/CertSource';
import type { KeyInput } from '../../../gen/KeyInput';
import type { ImportCandidate } from '../../../gen/ImportCandidate';
import type { Error as GrantryError } from '../../../gen/Error';
import type { PastedSettings } from './connstr';

export type CertMode = 'none' | 'file' | 'pem';
/** 'keep' = the client key already saved in the keychain (edit only). */
export type KeyMode = 'none' | 'file' | 'pem' | 'keep';

export interface WizardForm {
  name: string;
  host: string;
  port: string;
  database: string;
  username: string;
  password: string;
  sessionOnly: boolean;
  clearPassword: boolean;
  sslmode: SslMode;
  caMode: CertMode;
  caPath: string;
  caPem: string;
  certMode: CertMode;
  certPath: string;
  certPem: string;
  keyMode: KeyMode;
  keyPath: string;
  keyPem: string;
  timeout: string;
  applicationName: string;
  environment: Environment;
  readOnly: boolean;
  /** The name the last paste suggested: a later paste replaces it, not a name the user typed. */
  suggestedName?: string;
}

export type FieldName =
  | 'name'
  | 'host'
  | 'port'
  | 'database'
  | 'username'
  | 'password'
  | 'sslmode'
  | 'ca'
  | 'cert'
  | 'key'
  | 'timeout'
  | 'application_name'
  | 'environment';

export type FieldErrors = Partial<Record<FieldName, string>>;

export type StepId = 'source' | 'connection' | 'security' | 'options';

/** Where the wizard's settings come from. */
export type SourceKind = 'blank' | 'paste' | 'pgpass' | 'service';
export const STEPS: { id: StepId; label: string }[] = [
  { id: 'source', label: 'Source' },
  { id: 'connection', label: 'Connection' },
  { id: 'security', label: 'Security' },
  { id: 'options', label: 'Options' },
];

const FIELD_STEP: Record<FieldName, StepId> = {
  name: 'connection',
  host: 'connection',
  port: 'connection',
  database: 'connection',
  username: 'connection',
  password: 'connection',
  sslmode: 'security',
  ca: 'security',
  cert: 'security',
  key: 'security',
  timeout: 'security',
  application_name: 'security',
  environment: 'options',
};

export function stepOfField(field: FieldName): StepId {
  return FIELD_STEP[field];
}

/** The fields with an error that belong to one step, in the order given: what keeps "Next" there. */
export function errorsOnStep(errors: FieldErrors, step: StepId): FieldName[] {
  return (Object.keys(errors) as FieldName[]).filter((f) => errors[f] !== undefined && FIELD_STEP[f] === step);
}

/** The first step (in wizard order) holding one of the errors. */
export function firstStepWithError(errors: FieldErrors): StepId | null {
  for (const s of STEPS) {
    if ((Object.keys(errors) as FieldName[]).some((f) => FIELD_STEP[f] === s.id)) return s.id;
  }
  return null;
}

export function emptyForm(): WizardForm {
  return {
    name: '',
    host: '',
    port: '5432',
    database: 'postgres',
    username: '',
    password: '',
    sessionOnly: false,
    clearPassword: false,
    sslmode: 'prefer',
    caMode: 'none',
    caPath: '',
    caPem: '',
    certMode: 'none',
    certPath: '',
    certPem: '',
    keyMode: 'none',
    keyPath: '',
    keyPem: '',
    timeout: '10',
    applicationName: 'grantry',
    environment: 'development',
    readOnly: false,
  };
}

export function formFromIntegration(it: Integration): WizardForm {
  const c = it.connection;
  const f = emptyForm();
  f.name = it.name;
  f.host = c.host;
  f.port = String(c.port);
  f.database = c.database;
  f.username = c.username;
  f.sessionOnly = it.password_storage === 'session';
  f.sslmode = c.sslmode;
  if (c.ca_cert) {
    f.caMode = c.ca_cert.source;
    if (c.ca_cert.source === 'file') f.caPath = c.ca_cert.path;
    else f.caPem = c.ca_cert.pem;
  }
  if (c.client_cert) {
    f.certMode = c.client_cert.source;
    if (c.client_cert.source === 'file') f.certPath = c.client_cert.path;
    else f.certPem = c.client_cert.pem;
  }
  if (c.client_key) {
    if (c.client_key.source === 'file') {
      f.keyMode = 'file';
      f.keyPath = c.client_key.path;
    } else {
      f.keyMode = 'keep';
    }
  }
  f.timeout = String(c.connect_timeout_secs);
  f.applicationName = c.application_name;
  f.environment = it.environment;
  f.readOnly = it.read_only;
  return f;
}

/** Fills the connection fields from an import candidate and what was read from the pasted text. */
export function applyCandidate(f: WizardForm, c: ImportCandidate, pasted: PastedSettings | null): WizardForm {
  const typed = f.name.trim() !== '' && f.name !== f.suggestedName;
  const out: WizardForm = {
    ...f,
    name: typed ? f.name : c.suggested_name,
    suggestedName: c.suggested_name,
    host: c.host,
    port: String(c.port),
    database: c.database,
    username: c.username,
    sslmode: c.sslmode ?? f.sslmode,
  };
  if (pasted) {
    // Each paste says what the password is: none in the string means none, not the last one's.
    out.password = c.has_password && pasted.password !== null ? pasted.password : '';
    const p = pasted.params;
    if (p.sslrootcert) {
      out.caMode = 'file';
      out.caPath = p.sslrootcert;
    }
    if (p.sslcert) {
      out.certMode = 'file';
      out.certPath = p.sslcert;
    }
    if (p.sslkey) {
      out.keyMode = 'file';
      out.keyPath = p.sslkey;
    }
    if (p.connect_timeout && /^\d+$/.test(p.connect_timeout)) out.timeout = p.connect_timeout;
    const app = p.application_name ?? p.fallback_application_name;
    if (app) out.applicationName = app;
  }
  return out;
}

const INT = /^\s*\d+\s*$/;

/**
 * What the form cannot even send: a port or timeout that is not a whole number (JSON would carry
 * it as null, or not at all). Every rule about values is the core's (see `fieldErrors`).
 */
export function formatErrors(f: WizardForm): FieldErrors {
  const e: FieldErrors = {};
  // Worded as the core words the same problems (a number out of range), which it reports itself.
  if (f.port.trim() !== '' && !INT.test(f.port)) e.port = `invalid port ${JSON.stringify(f.port.trim())}: a port is a number from 1 to 65535`;
  if (f.timeout.trim() !== '' && !INT.test(f.timeout))
    e.timeout = `invalid connect timeout ${JSON.stringify(f.timeout.trim())}: give 1 to 600 seconds, or 0 for no limit`;
  return e;
}

/** The core's field names (IntegrationInput) as the wizard's fields. */
const CORE_FIELDS: Record<string, FieldName> = {
  name: 'name',
  host: 'host',
  port: 'port',
  database: 'database',
  username: 'username',
  password: 'password',
  sslmode: 'sslmode',
  ca_cert: 'ca',
  client_cert: 'cert',
  client_key: 'key',
  connect_timeout_secs: 'timeout',
  application_name: 'application_name',
  environment: 'environment',
};

/**
 * The core's problems (validate_integration) by wizard field, the first per field; with the
 * format errors, which win (the core saw no value for those fields). Problems naming no known
 * field are returned apart, for the form as a whole.
 */
export function fieldErrors(problems: GrantryError[], format: FieldErrors): { fields: FieldErrors; other: GrantryError[] } {
  const fields: FieldErrors = {};
  const other: GrantryError[] = [];
  for (const p of problems) {
    const f = p.field !== null ? CORE_FIELDS[p.field] : undefined;
    if (f === undefined) other.push(p);
    else fields[f] ??= p.message;
  }
  return { fields: { ...fields, ...format }, other };
}

function cert(mode: CertMode, path: string, pem: string): CertSource | undefined {
  if (mode === 'file') return { source: 'file', path: path.trim() };
  if (mode === 'pem') return { source: 'pem', pem: pem.trim() + '\n' };
  return undefined;
}

/**
 * The input for add_integration / update_integration / test_integration_input. In edit mode an
 * empty password keeps the saved one; `existing` is the integration being edited.
 */
export function buildInput(f: WizardForm, existing: Integration | null): IntegrationInput {
  const editing = existing !== null;
  const c: ConnectionInput = {
    kind: 'self_hosted',
    host: f.host.trim(),
    username: f.username.trim(),
    clear_password: false,
    session_only_password: f.sessionOnly,
    clear_client_key: false,
    sslmode: f.sslmode,
  };
  const port = f.port.trim();
  if (port !== '') c.port = Number(port);
  const db = f.database.trim();
  if (db !== '') c.database = db;
  if (f.password !== '') c.password = f.password;
  else if (editing && f.clearPassword) c.clear_password = true;
  const ca = cert(f.caMode, f.caPath, f.caPem);
  if (ca) c.ca_cert = ca;
  const cc = cert(f.certMode, f.certPath, f.certPem);
  if (cc) c.client_cert = cc;
  let key: KeyInput | undefined;
  if (f.keyMode === 'file') key = { source: 'file', path: f.keyPath.trim() };
  else if (f.keyMode === 'pem') key = { source: 'pem', pem: f.keyPem.trim() + '\n' };
  if (key) c.client_key = key;
  if (f.keyMode === 'none' && editing && existing.connection.client_key !== null) c.clear_client_key = true;
  const timeout = f.timeout.trim();
  if (timeout !== '') c.connect_timeout_secs = Number(timeout);
  const app = f.applicationName.trim();
  if (app !== '') c.application_name = app;
  return { name: f.name.trim(), read_only: f.readOnly, environment: f.environment, connection: c };
}

/**
 * What the summary lacks, in words ("no host and no user name"), or null when it can be shown.
 */
export function summaryMissing(f: WizardForm): string | null {
  const missing = [!f.host.trim() && 'no host', !f.username.trim() && 'no user name'].filter((m): m is string => !!m);
  return missing.length > 0 ? missing.join(' and ') : null;
}

/**
 * The connection tests the wizard waits for: each run gets a request id, and only the newest
 * run's answer counts. Cancelling stops the waiting (the core's test runs on to its timeout) and
 * makes the answer that arrives later ignored.
 */
export class TestRuns {
  #request = 0;
  #waiting: number | null = null;

  /** Starts a run; returns its id. */
  start(): number {
    this.#waiting = ++this.#request;
    return this.#waiting;
  }

  /** Whether the answer to run `id` is still awaited (it is neither cancelled nor superseded). */
  current(id: number): boolean {
    return this.#waiting === id;
  }

  /** The answer to run `id` arrived: true if it is to be shown. */
  finish(id: number): boolean {
    if (this.#waiting !== id) return false;
    this.#waiting = null;
    return true;
  }

  cancel(): void {
    this.#waiting = null;
  }
}

/** The outcome of the last connection test, for the settings it was run with. */
export interface LastTest {
  key: string;
  /** Why it failed, or null when it connected. */
  failure: string | null;
}

/** Why the last test of exactly these settings (`key`) failed, or null (passed, or other settings). */
export function failedTestOf(last: LastTest | null, key: string): string | null {
  return last !== null && last.key === key ? last.failure : null;
}

/** A test cancelled before the server answered: it verified nothing, so Save asks as after a failure. */
export function cancelledTest(key: string): LastTest {
  return { key, failure: 'it was cancelled before the server answered' };
}

/** What Save asks after a failed test: "The last test failed: <reason>. Save anyway?" */
export function failedTestQuestion(reason: string): string {
  return `The last test failed: ${reason.trim().replace(/[.\s]+$/, '')}. Save anyway?`;
}
