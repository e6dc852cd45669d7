import { describe, expect, it } from 'vitest';
import * as api from './api';
import { hasIpc, isGrantryError, listIntegrations, normalizeError, setDevBackend } from './api';

describe('normalizeError', () => {
  it('keeps core errors', () => {
    expect(normalizeError({ code: 'connect.auth_failed', message: 'no', detail: 'x' })).toEqual({ code: 'connect.auth_failed', message: 'no', detail: 'x', field: null });
    expect(normalizeError({ code: 'connect.dns', message: 'no' })).toEqual({ code: 'connect.dns', message: 'no', detail: null, field: null });
    expect(normalizeError({ code: 'input.invalid', message: 'bad port', detail: null, field: 'port' }).field).toBe('port');
  });
  it('wraps anything else as internal', () => {
    expect(normalizeError('boom')).toEqual({ code: 'internal', message: 'boom', detail: null, field: null });
    const e = normalizeError(new TypeError('bad'));
    expect(e.code).toBe('internal');
    expect(e.message).toBe('bad');
    expect(normalizeError({ code: 'made_up', message: 'x' }).code).toBe('internal');
    expect(normalizeError(undefined).code).toBe('internal');
  });
  it('recognizes the shape', () => {
    expect(isGrantryError({ code: 'connect.timeout', message: '' })).toBe(true);
    expect(isGrantryError({ code: 'connect.timeout' })).toBe(false);
    expect(isGrantryError(null)).toBe(false);
  });
});

describe('without the desktop shell', () => {
  it('rejects with a GrantryError instead of throwing a TypeError', async () => {
    expect(hasIpc()).toBe(false);
    await expect(listIntegrations()).rejects.toMatchObject({ code: 'internal' });
  });
});

describe('privilege commands', () => {
  it('pass their arguments as named objects', async () => {
    const calls: [string, Record<string, unknown>][] = [];
    setDevBackend({
      invoke: async (cmd, args) => {
        calls.push([cmd, args]);
        return null;
      },
      listen: async () => () => {},
    });
    try {
      const object = { kind: 'table' as const, schema: 'app', name: 't', args: null, column: null };
      await api.objectGrants('prod', null, object);
      await api.whoCan('prod', 'db', object, 'SELECT');
      await api.roleReport('prod', 'db', 'alice');
      await api.listRoles('prod', null);
      await api.planChanges('prod', 'db', []);
      await api.runPlan('abc', false, 'prod');
      await api.refreshPrivileges('prod');
      await api.auditLog(50);
      await api.auditExport('csv');
    } finally {
      setDevBackend(null);
    }
    expect(calls).toEqual([
      ['object_grants', { integration: 'prod', database: null, object: { kind: 'table', schema: 'app', name: 't', args: null, column: null } }],
      ['who_can', { integration: 'prod', database: 'db', object: { kind: 'table', schema: 'app', name: 't', args: null, column: null }, privilege: 'SELECT' }],
      ['role_report', { integration: 'prod', database: 'db', role: 'alice' }],
      ['list_roles', { integration: 'prod', database: null }],
      ['plan_changes', { integration: 'prod', database: 'db', changes: [] }],
      ['run_plan', { plan: 'abc', dry: false, confirm: 'prod' }],
      ['refresh_privileges', { integration: 'prod' }],
      ['audit_log', { limit: 50 }],
      ['audit_export', { format: 'csv' }],
    ]);
  });
});

describe('observeCalls', () => {
  it('tells one listener the outcome of every call, and a listener that throws changes nothing', async () => {
    const seen: api.CallOutcome[] = [];
    setDevBackend({
      invoke: async (cmd) => {
        if (cmd === 'list_schemas') throw { code: 'connect.refused', message: 'refused', detail: null, field: null };
        return { items: [] } as never;
      },
      listen: async () => () => {},
    });
    api.observeCalls((o) => {
      seen.push(o);
      throw new Error('listener bug');
    });
    try {
      await expect(api.listDatabases('prod', { search: null, limit: 1, offset: 0, include_system: false, with_total: false })).resolves.toEqual({ items: [] });
      await expect(api.listSchemas('prod', 'app', { search: null, limit: 1, offset: 0, include_system: false, with_total: false })).rejects.toMatchObject({
        code: 'connect.refused',
      });
    } finally {
      api.observeCalls(null);
      setDevBackend(null);
    }
    expect(seen.map((o) => [o.cmd, o.ok, (o.args as { integration: string }).integration])).toEqual([
      ['list_databases', true, 'prod'],
      ['list_schemas', false, 'prod'],
    ]);
    const failed = seen[1];
    expect(!failed.ok && failed.error.code).toBe('connect.refused');
    expect(typeof failed.started).toBe('number');
  });
});
