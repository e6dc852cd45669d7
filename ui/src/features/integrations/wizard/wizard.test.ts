import { describe, expect, it } from 'vitest';
import {
  TestRuns,
  applyCandidate,
  buildInput,
  emptyForm,
  errorsOnStep,
  cancelledTest,
  failedTestOf,
  failedTestQuestion,
  fieldErrors,
  firstStepWithError,
  formatErrors,
  formFromIntegration,
  stepOfField,
  stepsFor,
  summaryMissing,
  withKind,
  type WizardForm,
} from './wizard';
import type { Integration } from '../../../gen/Integration';
import { selfHostedIntegration, type IntegrationOverrides } from '../../../dev/fixtures';
import type { IntegrationInput } from '../../../gen/IntegrationInput';

/** The self-hosted settings of a wizard's input (the wizard builds no other kind yet). */
function selfHosted(input: IntegrationInput) {
  if (input.connection.kind !== 'self_hosted') throw new Error(`not self-hosted: ${input.connection.kind}`);
  return input.connection;
}

const integration = (connection: IntegrationOverrides['connection'] = {}) =>
  selfHostedIntegration('x', { environment: 'staging', read_only: true, connection: { host: 'h', username: 'u', ...connection } });
const filled = () => ({ ...emptyForm(), name: 'billing', host: 'db.example.com', username: 'admin' });

describe('formatErrors', () => {
  it('accepts a minimal form and whole numbers', () => {
    expect(formatErrors(filled())).toEqual({});
    for (const port of ['1', '5432', '99999', '', ' 6432 ']) {
      expect(formatErrors({ ...filled(), port }).port, port).toBeUndefined();
    }
  });
  it('refuses what is not a whole number, which JSON would not carry', () => {
    for (const port of ['-1', 'abc', '54.3', '1e3']) {
      expect(formatErrors({ ...filled(), port }).port, port).toBeDefined();
    }
    expect(formatErrors({ ...filled(), timeout: 'soon' }).timeout).toBeDefined();
  });
  it('words the problems as the core words a number out of range', () => {
    // The core: "invalid port 99999: a port is a number from 1 to 65535" (kinds/self_hosted.rs).
    expect(formatErrors({ ...filled(), port: ' 5432abc ' }).port).toBe('invalid port "5432abc": a port is a number from 1 to 65535');
    expect(formatErrors({ ...filled(), timeout: '1e3' }).timeout).toBe(
      'invalid connect timeout "1e3": give 1 to 600 seconds, or 0 for no limit',
    );
  });
});

describe('fieldErrors', () => {
  const problem = (field: string | null, message: string) => ({ code: 'input.invalid' as const, message, detail: null, field });
  it('shows the core messages next to the fields they name', () => {
    const { fields, other } = fieldErrors(
      [problem('name', 'the integration needs a name'), problem('ca_cert', 'give the CA'), problem('connect_timeout_secs', 'give 1 to 600'), problem(null, 'something else')],
      {},
    );
    expect(fields).toEqual({ name: 'the integration needs a name', ca: 'give the CA', timeout: 'give 1 to 600' });
    expect(other.map((o) => o.message)).toEqual(['something else']);
    expect(firstStepWithError(fields)).toBe('connection');
    expect(firstStepWithError({ ca: 'x' })).toBe('security');
    // A cloud kind's access step comes before TLS: Save goes to it first.
    expect(firstStepWithError({ ca: 'x', entra_client_id: 'not a GUID' })).toBe('access');
    expect(firstStepWithError({ aws_access_key_id: 'x' })).toBe('access');
    // AWS asks for its access before the connection.
    const aws = stepsFor(emptyForm('aws_rds'), false);
    expect(firstStepWithError({ aws_access_key_id: 'x', host: 'y' }, aws)).toBe('access');
    expect(firstStepWithError({ aws_access_key_id: 'x', host: 'y' })).toBe('connection');
  });
  it('keeps the first problem of a field, and lets format errors win', () => {
    const { fields } = fieldErrors([problem('port', 'first'), problem('port', 'second')], { timeout: 'not a number' });
    expect(fields).toEqual({ port: 'first', timeout: 'not a number' });
  });
});

describe('buildInput', () => {
  it('sends typed values and leaves empty optional ones out', () => {
    const input = buildInput({ ...filled(), port: '6432', database: '', password: 'pw', timeout: '', applicationName: '' }, null);
    expect(input).toMatchObject({ name: 'billing', connection: { kind: 'self_hosted', host: 'db.example.com', port: 6432, username: 'admin', password: 'pw' } });
    expect('database' in input.connection).toBe(false);
    expect('connect_timeout_secs' in input.connection).toBe(false);
    expect('application_name' in input.connection).toBe(false);
    expect(input.connection.clear_password).toBe(false);
  });
  it('keeps the saved password on edit unless asked to forget it', () => {
    const it = integration();
    const keep = buildInput({ ...formFromIntegration(it), password: '' }, it);
    expect('password' in keep.connection).toBe(false);
    expect(keep.connection.clear_password).toBe(false);
    const forget = buildInput({ ...formFromIntegration(it), clearPassword: true }, it);
    expect(forget.connection.clear_password).toBe(true);
  });
  it('clears a saved client key when the key is set to none', () => {
    const it = integration({ client_key: { source: 'keychain' }, client_cert: { source: 'file', path: '/c.pem' } });
    const f = formFromIntegration(it);
    expect(f.keyMode).toBe('keep');
    expect(selfHosted(buildInput(f, it)).clear_client_key).toBe(false);
    expect('client_key' in selfHosted(buildInput(f, it))).toBe(false);
    expect(selfHosted(buildInput({ ...f, keyMode: 'none', certMode: 'none' }, it)).clear_client_key).toBe(true);
  });
  it('sends certificates as file or PEM', () => {
    const input = buildInput({ ...filled(), caMode: 'pem', caPem: '-----BEGIN CERTIFICATE-----\nx', keyMode: 'file', keyPath: ' /k ' }, null);
    expect(input.connection.ca_cert).toEqual({ source: 'pem', pem: '-----BEGIN CERTIFICATE-----\nx\n' });
    expect(selfHosted(input).client_key).toEqual({ source: 'file', path: '/k' });
  });
});

describe('applyCandidate', () => {
  it('fills the connection fields and the pasted password', () => {
    const f = applyCandidate(
      emptyForm(),
      { index: 0, suggested_name: 'db', host: 'db', port: 6432, database: 'app', username: 'u', sslmode: 'require', has_password: true, source: 'uri', warnings: [] },
      { password: 'pw', params: { sslrootcert: '/ca.pem', connect_timeout: '5' } },
    );
    expect(f).toMatchObject({ name: 'db', host: 'db', port: '6432', database: 'app', username: 'u', sslmode: 'require', password: 'pw', caMode: 'file', caPath: '/ca.pem', timeout: '5' });
  });

  it('a second paste replaces what the first one set, and keeps a name the user typed', () => {
    const cand = (name: string, pw: boolean) => ({ index: 0, suggested_name: name, host: name, port: 5432, database: 'app', username: 'u', sslmode: null, has_password: pw, source: 'uri', warnings: [] });
    let f = applyCandidate(emptyForm(), cand('first', true), { password: 'pw1', params: {} });
    expect(f).toMatchObject({ name: 'first', password: 'pw1' });
    f = applyCandidate(f, cand('second', false), { password: null, params: {} });
    expect(f).toMatchObject({ name: 'second', password: '' });
    f = applyCandidate({ ...f, name: 'mine' }, cand('third', true), { password: 'pw3', params: {} });
    expect(f).toMatchObject({ name: 'mine', password: 'pw3' });
  });
});

describe('errorsOnStep', () => {
  it('names the fields of one step that have an error, which keep Next on that step', () => {
    const errors = { name: 'needs a name', host: 'needs a host', ca: 'give the CA' };
    expect(errorsOnStep(errors, 'connection')).toEqual(['name', 'host']);
    expect(errorsOnStep(errors, 'security')).toEqual(['ca']);
    expect(errorsOnStep(errors, 'options')).toEqual([]);
    expect(errorsOnStep({}, 'connection')).toEqual([]);
  });
  it('maps the core fields to their steps', () => {
    const problem = (field: string) => ({ code: 'input.invalid' as const, message: field, detail: null, field });
    const { fields } = fieldErrors([problem('username'), problem('client_key'), problem('connect_timeout_secs')], {});
    expect(errorsOnStep(fields, 'connection')).toEqual(['username']);
    expect(errorsOnStep(fields, 'security')).toEqual(['key', 'timeout']);
  });
});

describe('summaryMissing', () => {
  it('says in words what the summary lacks', () => {
    expect(summaryMissing(emptyForm())).toBe('no host and no user name');
    expect(summaryMissing({ ...emptyForm(), host: 'db' })).toBe('no user name');
    expect(summaryMissing({ ...emptyForm(), username: ' u ' })).toBe('no host');
    expect(summaryMissing(filled())).toBeNull();
  });
});

describe('TestRuns', () => {
  it('shows only the newest run, and nothing of a cancelled one', () => {
    const runs = new TestRuns();
    const first = runs.start();
    expect(runs.current(first)).toBe(true);
    runs.cancel();
    expect(runs.current(first)).toBe(false);
    const second = runs.start();
    expect(runs.finish(first)).toBe(false); // the cancelled run answers late: ignored
    expect(runs.current(second)).toBe(true);
    expect(runs.finish(second)).toBe(true);
    expect(runs.finish(second)).toBe(false);
  });
});

describe('a failed test before Save', () => {
  it('asks only when the last test of exactly these settings failed', () => {
    expect(failedTestOf(null, 'a')).toBeNull();
    expect(failedTestOf({ key: 'a', failure: null }, 'a')).toBeNull();
    expect(failedTestOf({ key: 'a', failure: 'password authentication failed' }, 'b')).toBeNull();
    expect(failedTestOf({ key: 'a', failure: 'password authentication failed' }, 'a')).toBe('password authentication failed');
  });
  it('counts a cancelled test as unverified for its settings only', () => {
    expect(failedTestOf(cancelledTest('a'), 'a')).toBe('it was cancelled before the server answered');
    expect(failedTestOf(cancelledTest('a'), 'b')).toBeNull();
    expect(failedTestQuestion(failedTestOf(cancelledTest('a'), 'a')!)).toBe(
      'The last test failed: it was cancelled before the server answered. Save anyway?',
    );
  });
  it('words the question with the reason', () => {
    expect(failedTestQuestion('password authentication failed for user "u".')).toBe(
      'The last test failed: password authentication failed for user "u". Save anyway?',
    );
    expect(failedTestQuestion('timed out')).toBe('The last test failed: timed out. Save anyway?');
  });
});

describe('the cloud kinds', () => {
  const base = (kind: 'aws_rds' | 'azure') => ({ ...emptyForm(kind), name: 'cloud', username: 'grantry' });
  const saved = (connection: Integration['connection']): Integration => ({ ...selfHostedIntegration('cloud'), connection });
  const endpoint = {
    host: 'db.example.com',
    port: 5432,
    database: 'postgres',
    username: 'grantry',
    sslmode: 'verify-full' as const,
    ca_cert: null,
    client_cert: null,
    client_key: null,
    connect_timeout_secs: 10,
    application_name: 'grantry',
  };

  it('have their own steps: AWS access always, Entra ID only for an Entra login', () => {
    const ids = (f: Parameters<typeof stepsFor>[0], editing = false) => stepsFor(f, editing).map((s) => s.id);
    expect(ids(emptyForm())).toEqual(['source', 'connection', 'security', 'options']);
    expect(ids(emptyForm('aws_rds'))).toEqual(['source', 'access', 'connection', 'security', 'options']);
    expect(ids(emptyForm('aws_rds'), true)).toEqual(['access', 'connection', 'security', 'options']);
    expect(ids({ ...emptyForm('azure'), azureLogin: 'entra' }, true)).toEqual(['connection', 'access', 'security', 'options']);
    expect(ids({ ...emptyForm('azure'), azureLogin: 'password' })).toEqual(['source', 'connection', 'security', 'options']);
    expect(stepsFor(emptyForm('aws_rds'), false)[1].label).toBe('AWS access');
    expect(stepsFor({ ...emptyForm('azure'), azureLogin: 'entra' }, false)[2].label).toBe('Entra ID');
    expect(stepOfField('aws_secret_access_key')).toBe('access');
    expect(stepOfField('region')).toBe('access');
  });

  it('switching the platform keeps what is common and takes the kind\u2019s TLS default', () => {
    const f = withKind({ ...filled(), port: '6432' }, 'azure');
    expect([f.kind, f.host, f.port, f.username, f.sslmode]).toEqual(['azure', 'db.example.com', '6432', 'admin', 'verify-full']);
    expect(withKind(f, 'self_hosted').sslmode).toBe('prefer');
    // A password pasted for a self-hosted server does not follow to another platform.
    expect(withKind({ ...filled(), password: 'PASTEPW123' }, 'azure').password).toBe('');
  });

  it('builds an RDS input: a target without a host, a static key with its secret, AssumeRole', () => {
    const f = {
      ...base('aws_rds'),
      region: ' eu-west-1 ',
      rdsTarget: 'cluster' as const,
      rdsId: 'orders',
      rdsReader: true,
      host: 'ignored.example.com',
      awsSource: 'static' as const,
      awsKeyId: 'AKIAEXAMPLE000001',
      awsSecret: 's3cr3t',
      assumeRoleArn: 'arn:aws:iam::123456789012:role/grantry',
      sessionName: '',
      password: 'not sent with IAM',
    };
    const c = buildInput(f, null).connection;
    if (c.kind !== 'aws_rds') throw new Error(c.kind);
    expect(c.region).toBe('eu-west-1');
    expect(c.host).toBe('');
    expect(c.target).toEqual({ type: 'cluster', id: 'orders', reader: true });
    expect(c.auth).toBe('iam');
    expect(c.password).toBeUndefined();
    expect(c.aws.credentials).toEqual({ source: 'static', access_key_id: 'AKIAEXAMPLE000001', secret_access_key: 's3cr3t', session_token: undefined, clear_session_token: false });
    expect(c.aws.assume_role).toEqual({ role_arn: 'arn:aws:iam::123456789012:role/grantry', external_id: undefined, session_name: undefined, source_identity: undefined });
    const pw = buildInput({ ...f, rdsTarget: 'host', rdsAuth: 'password', awsSource: 'default_chain' }, null).connection;
    if (pw.kind !== 'aws_rds') throw new Error(pw.kind);
    expect([pw.host, pw.password, pw.target, pw.aws.credentials.source]).toEqual(['ignored.example.com', 'not sent with IAM', undefined, 'default_chain']);
  });

  it('edits a saved RDS integration with the same settings it was saved with', () => {
    const it = saved({
      kind: 'aws_rds',
      ...endpoint,
      region: 'eu-west-1',
      target: { type: 'instance', id: 'orders-prod' },
      auth: 'iam',
      aws: {
        credentials: { source: 'profile', name: 'ops', config_file: null, credentials_file: '~/.aws/creds' },
        assume_role: { role_arn: 'arn:aws:iam::1:role/r', external_id: 'x1', session_name: 'grantry', source_identity: null },
        endpoint_url: null,
      },
    });
    const f = formFromIntegration(it);
    expect([f.kind, f.region, f.rdsTarget, f.rdsId, f.host, f.awsSource, f.awsProfile, f.awsCredentialsFile, f.assumeRoleArn, f.externalId]).toEqual([
      'aws_rds', 'eu-west-1', 'instance', 'orders-prod', '', 'profile', 'ops', '~/.aws/creds', 'arn:aws:iam::1:role/r', 'x1',
    ]);
    const c = buildInput(f, it).connection;
    if (c.kind !== 'aws_rds') throw new Error(c.kind);
    expect(c.target).toEqual({ type: 'instance', id: 'orders-prod' });
    expect(c.aws.credentials).toEqual({ source: 'profile', name: 'ops', config_file: undefined, credentials_file: '~/.aws/creds' });
    expect(c.aws.assume_role?.session_name).toBe('grantry');
  });

  it('builds an Azure input for each Entra source, and for a password', () => {
    const entra = (over: Partial<WizardForm>) => {
      const c = buildInput({ ...base('azure'), host: 'x.postgres.database.azure.com', ...over }, null).connection;
      if (c.kind !== 'azure') throw new Error(c.kind);
      return c;
    };
    const secret = entra({ entraTenant: ' t ', entraClient: 'c', entraSecret: 'shh', entraAuthority: 'https://login.microsoftonline.us' });
    expect(secret.auth).toEqual({
      method: 'entra',
      source: { source: 'client_secret', tenant_id: 't', client_id: 'c', client_secret: 'shh' },
      authority_host: 'https://login.microsoftonline.us',
    });
    expect(secret.sslmode).toBe('verify-full');
    expect(entra({ entraSource: 'managed_identity', entraClient: '' }).auth).toEqual({ method: 'entra', source: { source: 'managed_identity', client_id: undefined }, authority_host: undefined });
    expect(entra({ entraSource: 'azure_cli', entraTenant: 'contoso.onmicrosoft.com' }).auth).toMatchObject({ source: { source: 'azure_cli', tenant_id: 'contoso.onmicrosoft.com' } });
    expect(entra({ entraSource: 'developer_tools' }).auth).toMatchObject({ source: { source: 'developer_tools' } });
    // An Entra login sends no password; a password login does.
    expect(entra({ password: 'pw' }).password).toBeUndefined();
    const pw = entra({ azureLogin: 'password', password: 'pw' });
    expect([pw.auth, pw.password]).toEqual([{ method: 'password' }, 'pw']);
  });

  it('edits a saved Azure integration: its source, and the system roots shown as no CA', () => {
    const it = saved({
      kind: 'azure',
      ...endpoint,
      ca_cert: { source: 'file', path: 'system' },
      auth: { method: 'entra', source: { source: 'client_secret', tenant_id: 't', client_id: 'c' }, authority_host: null },
    });
    const f = formFromIntegration(it);
    expect([f.kind, f.azureLogin, f.entraSource, f.entraTenant, f.entraClient, f.entraSecret, f.caMode]).toEqual(['azure', 'entra', 'client_secret', 't', 'c', '', 'none']);
    const c = buildInput(f, it).connection;
    if (c.kind !== 'azure') throw new Error(c.kind);
    // No secret typed: the saved one stays (the core keeps it for the same app).
    expect(c.auth).toEqual({ method: 'entra', source: { source: 'client_secret', tenant_id: 't', client_id: 'c', client_secret: undefined }, authority_host: undefined });
    expect(c.ca_cert).toBeUndefined();
  });

  it('maps the core\u2019s cloud field names to the fields of the form', () => {
    const problem = (field: string) => ({ code: 'input.invalid' as const, message: field, detail: null, field });
    const { fields, other } = fieldErrors([problem('region'), problem('target'), problem('entra_client_secret'), problem('assume_role_arn')], {});
    expect(Object.keys(fields).sort()).toEqual(['assume_role_arn', 'entra_client_secret', 'region', 'target']);
    expect(other).toEqual([]);
  });

  it('a summary of an RDS target needs no host', () => {
    expect(summaryMissing({ ...base('aws_rds'), rdsTarget: 'instance' })).toBeNull();
    expect(summaryMissing({ ...base('aws_rds'), rdsTarget: 'host' })).toBe('no host');
  });
});
