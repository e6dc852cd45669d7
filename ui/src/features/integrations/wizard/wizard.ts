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
import type { DbAuth } from '../../../gen/DbAuth';
import type { AwsRdsInput } from '../../../gen/AwsRdsInput';
import type { AzureInput } from '../../../gen/AzureInput';
import type { SelfHostedInput } from '../../../gen/SelfHostedInput';

/** The platform of an integration (the core's integration kinds). */
export type WizardKind = 'self_hosted' | 'aws_rds' | 'azure';
export type RdsTargetMode = 'instance' | 'cluster' | 'host';
export type AwsSource = 'default_chain' | 'profile' | 'static';
export type AzureLogin = 'password' | 'entra';
export type EntraSourceKind = 'client_secret' | 'managed_identity' | 'azure_cli' | 'developer_tools';

export const KINDS: { value: WizardKind; label: string; description: string }[] = [
  { value: 'self_hosted', label: 'Self-hosted PostgreSQL', description: 'Any server reached by host, port and password (or a certificate).' },
  { value: 'aws_rds', label: 'AWS RDS / Aurora', description: 'IAM tokens or a password; the endpoint looked up from the instance or cluster.' },
  { value: 'azure', label: 'Azure Database for PostgreSQL', description: 'Flexible Server: Microsoft Entra ID tokens or a password, TLS always.' },
];

export type CertMode = 'none' | 'file' | 'pem';
/** 'keep' = the client key already saved in the keychain (edit only). */
export type KeyMode = 'none' | 'file' | 'pem' | 'keep';

export interface WizardForm {
  kind: WizardKind;
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
  // AWS RDS / Aurora
  region: string;
  rdsTarget: RdsTargetMode;
  rdsId: string;
  rdsReader: boolean;
  rdsAuth: DbAuth;
  awsSource: AwsSource;
  awsProfile: string;
  awsConfigFile: string;
  awsCredentialsFile: string;
  awsKeyId: string;
  /** A new secret access key (empty on edit keeps the saved one for the same key id). */
  awsSecret: string;
  awsSessionToken: string;
  assumeRoleArn: string;
  externalId: string;
  sessionName: string;
  sourceIdentity: string;
  awsEndpointUrl: string;
  // Azure
  azureLogin: AzureLogin;
  entraSource: EntraSourceKind;
  entraTenant: string;
  entraClient: string;
  /** A new client secret (empty on edit keeps the saved one for the same app). */
  entraSecret: string;
  entraAuthority: string;
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
  | 'environment'
  | 'region'
  | 'target'
  | 'aws_profile'
  | 'aws_config_file'
  | 'aws_credentials_file'
  | 'aws_access_key_id'
  | 'aws_secret_access_key'
  | 'aws_session_token'
  | 'assume_role_arn'
  | 'assume_role_external_id'
  | 'assume_role_session_name'
  | 'assume_role_source_identity'
  | 'aws_endpoint_url'
  | 'entra_tenant_id'
  | 'entra_client_id'
  | 'entra_client_secret'
  | 'entra_authority_host';

export type FieldErrors = Partial<Record<FieldName, string>>;

export type StepId = 'source' | 'connection' | 'access' | 'security' | 'options';

/** Where the wizard's settings come from. */
export type SourceKind = 'blank' | 'paste' | 'pgpass' | 'service';
/** Every step in wizard order; the access step is a cloud kind's (its label is the kind's). */
export const STEPS: { id: StepId; label: string }[] = [
  { id: 'source', label: 'Source' },
  { id: 'connection', label: 'Connection' },
  { id: 'access', label: 'Access' },
  { id: 'security', label: 'Security' },
  { id: 'options', label: 'Options' },
];

/**
 * The steps for a kind: the platform and source first (not when editing), the connection, the
 * cloud access (AWS credentials; Entra ID when Azure logs in with it), TLS, options. AWS asks
 * for its region and credentials before the connection, whose database can then be found in
 * the region.
 */
export function stepsFor(f: Pick<WizardForm, 'kind' | 'azureLogin'>, editing: boolean): { id: StepId; label: string }[] {
  const access = f.kind === 'aws_rds' ? 'AWS access' : f.kind === 'azure' && f.azureLogin === 'entra' ? 'Entra ID' : null;
  const steps = STEPS.filter((s) => (s.id !== 'access' || access !== null) && !(editing && s.id === 'source')).map((s) =>
    s.id === 'access' ? { ...s, label: access ?? s.label } : s,
  );
  if (f.kind === 'aws_rds') {
    const a = steps.findIndex((s) => s.id === 'access');
    const c = steps.findIndex((s) => s.id === 'connection');
    [steps[a], steps[c]] = [steps[c], steps[a]];
  }
  return steps;
}

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
  region: 'access',
  target: 'connection',
  aws_profile: 'access',
  aws_config_file: 'access',
  aws_credentials_file: 'access',
  aws_access_key_id: 'access',
  aws_secret_access_key: 'access',
  aws_session_token: 'access',
  assume_role_arn: 'access',
  assume_role_external_id: 'access',
  assume_role_session_name: 'access',
  assume_role_source_identity: 'access',
  aws_endpoint_url: 'access',
  entra_tenant_id: 'access',
  entra_client_id: 'access',
  entra_client_secret: 'access',
  entra_authority_host: 'access',
};

export function stepOfField(field: FieldName): StepId {
  return FIELD_STEP[field];
}

/** The fields with an error that belong to one step, in the order given: what keeps "Next" there. */
export function errorsOnStep(errors: FieldErrors, step: StepId): FieldName[] {
  return (Object.keys(errors) as FieldName[]).filter((f) => errors[f] !== undefined && FIELD_STEP[f] === step);
}

/** The first step (in the wizard's order, `steps`) holding one of the errors. */
export function firstStepWithError(errors: FieldErrors, steps: { id: StepId }[] = STEPS): StepId | null {
  for (const s of steps) {
    if ((Object.keys(errors) as FieldName[]).some((f) => FIELD_STEP[f] === s.id)) return s.id;
  }
  return null;
}

export function emptyForm(kind: WizardKind = 'self_hosted'): WizardForm {
  return {
    kind,
    name: '',
    host: '',
    port: '5432',
    database: 'postgres',
    username: '',
    password: '',
    sessionOnly: false,
    clearPassword: false,
    sslmode: defaultSslMode(kind),
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
    region: '',
    rdsTarget: 'instance',
    rdsId: '',
    rdsReader: false,
    rdsAuth: 'iam',
    awsSource: 'default_chain',
    awsProfile: '',
    awsConfigFile: '',
    awsCredentialsFile: '',
    awsKeyId: '',
    awsSecret: '',
    awsSessionToken: '',
    assumeRoleArn: '',
    externalId: '',
    sessionName: '',
    sourceIdentity: '',
    awsEndpointUrl: '',
    azureLogin: 'entra',
    entraSource: 'client_secret',
    entraTenant: '',
    entraClient: '',
    entraSecret: '',
    entraAuthority: '',
  };
}

/** The form switched to another platform: what is common is kept, the kind's defaults apply
 *  (RDS and Azure verify the server's certificate fully; a self-hosted server prefers TLS). */
export function withKind(f: WizardForm, kind: WizardKind): WizardForm {
  if (f.kind === kind) return f;
  // A password typed (or pasted) for one platform's login is not another's.
  return { ...f, kind, sslmode: defaultSslMode(kind), password: '', sessionOnly: false };
}

/** libpq's default for a self-hosted server; the certificate checked in full on RDS and Azure. */
function defaultSslMode(kind: WizardKind): SslMode {
  return kind === 'self_hosted' ? 'prefer' : 'verify-full';
}

export function formFromIntegration(it: Integration): WizardForm {
  const c = it.connection;
  const f = emptyForm(c.kind);
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
  if (c.kind === 'aws_rds') {
    f.region = c.region;
    f.rdsTarget = c.target ? c.target.type : 'host';
    f.rdsId = c.target?.id ?? '';
    f.rdsReader = c.target?.type === 'cluster' && c.target.reader;
    // A target's endpoint is looked up again; a host entered by hand stays.
    if (c.target) f.host = '';
    f.rdsAuth = c.auth;
    const cr = c.aws.credentials;
    f.awsSource = cr.source;
    if (cr.source === 'profile') {
      f.awsProfile = cr.name;
      f.awsConfigFile = cr.config_file ?? '';
      f.awsCredentialsFile = cr.credentials_file ?? '';
    } else if (cr.source === 'static') {
      f.awsKeyId = cr.access_key_id;
    }
    const ar = c.aws.assume_role;
    if (ar) {
      f.assumeRoleArn = ar.role_arn;
      f.externalId = ar.external_id ?? '';
      f.sessionName = ar.session_name;
      f.sourceIdentity = ar.source_identity ?? '';
    }
    f.awsEndpointUrl = c.aws.endpoint_url ?? '';
  } else if (c.kind === 'azure') {
    f.azureLogin = c.auth.method;
    if (c.auth.method === 'entra') {
      const src = c.auth.source;
      f.entraSource = src.source;
      if (src.source === 'client_secret') {
        f.entraTenant = src.tenant_id;
        f.entraClient = src.client_id;
      } else if (src.source === 'managed_identity') {
        f.entraClient = src.client_id ?? '';
      } else if (src.source === 'azure_cli') {
        f.entraTenant = src.tenant_id ?? '';
      }
      f.entraAuthority = c.auth.authority_host ?? '';
    }
    // The system's roots are the default: shown as no CA given.
    if (c.ca_cert?.source === 'file' && c.ca_cert.path === 'system') f.caMode = 'none';
  }
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
  region: 'region',
  target: 'target',
  aws_profile: 'aws_profile',
  aws_config_file: 'aws_config_file',
  aws_credentials_file: 'aws_credentials_file',
  aws_access_key_id: 'aws_access_key_id',
  aws_secret_access_key: 'aws_secret_access_key',
  aws_session_token: 'aws_session_token',
  assume_role_arn: 'assume_role_arn',
  assume_role_external_id: 'assume_role_external_id',
  assume_role_session_name: 'assume_role_session_name',
  assume_role_source_identity: 'assume_role_source_identity',
  aws_endpoint_url: 'aws_endpoint_url',
  entra_tenant_id: 'entra_tenant_id',
  entra_client_id: 'entra_client_id',
  entra_client_secret: 'entra_client_secret',
  entra_authority_host: 'entra_authority_host',
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

const optional = (v: string): string | undefined => (v.trim() === '' ? undefined : v.trim());

/** The libpq settings every kind has, as its input takes them. */
function libpq(f: WizardForm) {
  const out: { port?: number; database?: string; connect_timeout_secs?: number; application_name?: string } = {};
  const port = f.port.trim();
  if (port !== '') out.port = Number(port);
  const db = optional(f.database);
  if (db) out.database = db;
  const timeout = f.timeout.trim();
  if (timeout !== '') out.connect_timeout_secs = Number(timeout);
  const app = optional(f.applicationName);
  if (app) out.application_name = app;
  return out;
}

function selfHostedInput(f: WizardForm, existing: Integration | null): SelfHostedInput {
  const editing = existing !== null;
  const c: SelfHostedInput = {
    host: f.host.trim(),
    username: f.username.trim(),
    clear_password: false,
    session_only_password: f.sessionOnly,
    clear_client_key: false,
    sslmode: f.sslmode,
    ...libpq(f),
  };
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
  return c;
}

function rdsInput(f: WizardForm, existing: Integration | null): AwsRdsInput {
  const password = f.rdsAuth === 'password';
  const c: AwsRdsInput = {
    region: f.region.trim(),
    host: f.rdsTarget === 'host' ? f.host.trim() : '',
    username: f.username.trim(),
    auth: f.rdsAuth,
    clear_password: password && existing !== null && f.password === '' && f.clearPassword,
    session_only_password: password && f.sessionOnly,
    sslmode: f.sslmode,
    aws: { credentials: { source: 'default_chain' } },
    ...libpq(f),
  };
  if (f.rdsTarget === 'instance') c.target = { type: 'instance', id: f.rdsId.trim() };
  else if (f.rdsTarget === 'cluster') c.target = { type: 'cluster', id: f.rdsId.trim(), reader: f.rdsReader };
  if (password && f.password !== '') c.password = f.password;
  const ca = cert(f.caMode, f.caPath, f.caPem);
  if (ca) c.ca_cert = ca;
  if (f.awsSource === 'profile') {
    c.aws.credentials = { source: 'profile', name: f.awsProfile.trim(), config_file: optional(f.awsConfigFile), credentials_file: optional(f.awsCredentialsFile) };
  } else if (f.awsSource === 'static') {
    c.aws.credentials = {
      source: 'static',
      access_key_id: f.awsKeyId.trim(),
      secret_access_key: f.awsSecret === '' ? undefined : f.awsSecret,
      session_token: f.awsSessionToken === '' ? undefined : f.awsSessionToken,
      clear_session_token: false,
    };
  }
  if (f.assumeRoleArn.trim() !== '') {
    c.aws.assume_role = {
      role_arn: f.assumeRoleArn.trim(),
      external_id: optional(f.externalId),
      session_name: optional(f.sessionName),
      source_identity: optional(f.sourceIdentity),
    };
  }
  const endpoint = optional(f.awsEndpointUrl);
  if (endpoint) c.aws.endpoint_url = endpoint;
  return c;
}

function azureInput(f: WizardForm, existing: Integration | null): AzureInput {
  const password = f.azureLogin === 'password';
  const c: AzureInput = {
    host: f.host.trim(),
    username: f.username.trim(),
    auth: { method: 'password' },
    clear_password: password && existing !== null && f.password === '' && f.clearPassword,
    session_only_password: password && f.sessionOnly,
    sslmode: f.sslmode,
    ...libpq(f),
  };
  if (password && f.password !== '') c.password = f.password;
  const ca = cert(f.caMode, f.caPath, f.caPem);
  if (ca) c.ca_cert = ca;
  if (!password) {
    const authority_host = optional(f.entraAuthority);
    const source =
      f.entraSource === 'client_secret'
        ? { source: 'client_secret' as const, tenant_id: f.entraTenant.trim(), client_id: f.entraClient.trim(), client_secret: f.entraSecret === '' ? undefined : f.entraSecret }
        : f.entraSource === 'managed_identity'
          ? { source: 'managed_identity' as const, client_id: optional(f.entraClient) }
          : f.entraSource === 'azure_cli'
            ? { source: 'azure_cli' as const, tenant_id: optional(f.entraTenant) }
            : { source: 'developer_tools' as const };
    c.auth = { method: 'entra', source, authority_host };
  }
  return c;
}

/**
 * The input for add_integration / update_integration / test_integration_input, for the form's
 * kind. In edit mode an empty password (or secret) keeps the saved one; `existing` is the
 * integration being edited.
 */
export function buildInput(f: WizardForm, existing: Integration | null): IntegrationInput {
  const connection: ConnectionInput =
    f.kind === 'aws_rds'
      ? { kind: 'aws_rds', ...rdsInput(f, existing) }
      : f.kind === 'azure'
        ? { kind: 'azure', ...azureInput(f, existing) }
        : { kind: 'self_hosted', ...selfHostedInput(f, existing) };
  return { name: f.name.trim(), read_only: f.readOnly, environment: f.environment, connection };
}

/** Whether the kind logs in with a password the form asks for. */
export function usesPassword(f: WizardForm): boolean {
  return f.kind === 'self_hosted' || (f.kind === 'aws_rds' && f.rdsAuth === 'password') || (f.kind === 'azure' && f.azureLogin === 'password');
}

/**
 * What the summary lacks, in words ("no host and no user name"), or null when it can be shown.
 */
export function summaryMissing(f: WizardForm): string | null {
  const hostless = f.kind === 'aws_rds' && f.rdsTarget !== 'host';
  const missing = [!hostless && !f.host.trim() && 'no host', !f.username.trim() && 'no user name'].filter((m): m is string => !!m);
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
