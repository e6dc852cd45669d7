import { describe, expect, it } from 'vitest';
import type { Integration } from '../gen/Integration';
import { applyCandidate, buildInput, emptyForm, firstStepWithError, formFromIntegration, validateForm } from './wizard';

const filled = () => ({ ...emptyForm(), name: 'billing', host: 'db.example.com', username: 'admin' });

describe('validateForm', () => {
  it('accepts a minimal form', () => {
    expect(validateForm(filled())).toEqual({});
  });
  it('requires name, host and user', () => {
    const e = validateForm(emptyForm());
    expect(Object.keys(e).sort()).toEqual(['host', 'name', 'username']);
    expect(firstStepWithError(e)).toBe('connection');
  });
  it('checks the port is an integer from 1 to 65535', () => {
    for (const port of ['0', '65536', '-1', 'abc', '54.3', '1e3']) {
      expect(validateForm({ ...filled(), port }).port, port).toBeDefined();
    }
    for (const port of ['1', '5432', '65535', '', ' 6432 ']) {
      expect(validateForm({ ...filled(), port }).port, port).toBeUndefined();
    }
  });
  it('needs a CA for the verify modes, and a key with a client certificate', () => {
    const e = validateForm({ ...filled(), sslmode: 'verify-full', certMode: 'file', certPath: '/c.pem' });
    expect(e.ca).toMatch(/CA/);
    expect(e.key).toBeDefined();
    expect(firstStepWithError(e)).toBe('security');
  });
  it('checks the timeout range', () => {
    expect(validateForm({ ...filled(), timeout: '0' }).timeout).toBeDefined();
    expect(validateForm({ ...filled(), timeout: '601' }).timeout).toBeDefined();
    expect(validateForm({ ...filled(), timeout: '30' }).timeout).toBeUndefined();
  });
});

describe('buildInput', () => {
  it('sends typed values and leaves empty optional ones out', () => {
    const input = buildInput({ ...filled(), port: '6432', database: '', password: 'pw', timeout: '', applicationName: '' }, null);
    expect(input).toMatchObject({ name: 'billing', host: 'db.example.com', port: 6432, username: 'admin', password: 'pw' });
    expect('database' in input).toBe(false);
    expect('connect_timeout_secs' in input).toBe(false);
    expect('application_name' in input).toBe(false);
    expect(input.clear_password).toBe(false);
  });
  it('keeps the saved password on edit unless asked to forget it', () => {
    const it = integration();
    const keep = buildInput({ ...formFromIntegration(it), password: '' }, it);
    expect('password' in keep).toBe(false);
    expect(keep.clear_password).toBe(false);
    const forget = buildInput({ ...formFromIntegration(it), clearPassword: true }, it);
    expect(forget.clear_password).toBe(true);
  });
  it('clears a saved client key when the key is set to none', () => {
    const it = integration({ client_key: { source: 'keychain' }, client_cert: { source: 'file', path: '/c.pem' } });
    const f = formFromIntegration(it);
    expect(f.keyMode).toBe('keep');
    expect(buildInput(f, it).clear_client_key).toBe(false);
    expect('client_key' in buildInput(f, it)).toBe(false);
    expect(buildInput({ ...f, keyMode: 'none', certMode: 'none' }, it).clear_client_key).toBe(true);
  });
  it('sends certificates as file or PEM', () => {
    const input = buildInput({ ...filled(), caMode: 'pem', caPem: '-----BEGIN CERTIFICATE-----\nx', keyMode: 'file', keyPath: ' /k ' }, null);
    expect(input.ca_cert).toEqual({ source: 'pem', pem: '-----BEGIN CERTIFICATE-----\nx\n' });
    expect(input.client_key).toEqual({ source: 'file', path: '/k' });
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
});

function integration(over: Partial<Integration['connection']> = {}): Integration {
  return {
    id: '1',
    name: 'x',
    connection: {
      kind: 'self_hosted',
      host: 'h',
      port: 5432,
      database: 'postgres',
      username: 'u',
      sslmode: 'prefer',
      ca_cert: null,
      client_cert: null,
      client_key: null,
      connect_timeout_secs: 10,
      application_name: 'grantry',
      ...over,
    },
    environment: 'staging',
    read_only: true,
    password_storage: 'keychain',
    has_password: true,
    is_sandbox: false,
    created_at: '',
    updated_at: '',
  };
}
