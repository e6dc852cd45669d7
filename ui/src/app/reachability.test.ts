import { describe, expect, it, vi } from 'vitest';
import type { GrantryError } from '../api';
import type { ErrorCode } from '../gen/ErrorCode';
import { ERROR_TITLE } from '../shared/labels';
import { inspection } from '../dev/fixtures';
import { answeredLive, integrationOf, isUnreachable, Reachability, UNREACHABLE_CODES } from './reachability.svelte';

const err = (code: ErrorCode, message = 'x'): GrantryError => ({ code, message, detail: null, field: null });
const refused = err('connect.refused', 'connection refused by localhost:5432');

describe('which failures mean the server is unreachable', () => {
  it('counts the connection failures that every view would meet alike', () => {
    for (const c of ['connect.refused', 'connect.timeout', 'connect.dns', 'connect.network', 'connect.tls', 'connect.unavailable', 'connect.not_postgres'] as ErrorCode[]) {
      expect(isUnreachable(err(c)), c).toBe(true);
    }
  });

  it('leaves out the login, the database and everything after connecting', () => {
    for (const c of Object.keys(ERROR_TITLE) as ErrorCode[]) {
      if (UNREACHABLE_CODES.has(c)) continue;
      expect(isUnreachable(err(c)), c).toBe(false);
    }
    expect(isUnreachable(err('connect.auth_failed'))).toBe(false);
    expect(isUnreachable(err('connect.database_missing'))).toBe(false);
    expect(isUnreachable(err('connect.denied'))).toBe(false);
    expect(isUnreachable(null)).toBe(false);
  });
});

describe('Reachability', () => {
  it('reports an unreachable server once per integration, whatever number of views failed', () => {
    const r = new Reachability();
    r.failed('prod', refused);
    r.failed('prod', err('connect.refused', 'again'));
    r.retryLater('prod', refused, 'tree:a', () => {});
    r.retryLater('prod', refused, 'privileges', () => {});
    const down = r.down('prod');
    expect(down?.error.message).toBe('again');
    expect(down?.retries.size).toBe(2);
    expect(r.down('other')).toBeNull();
    expect(r.reported('prod', refused)).toBe(true);
    // Another kind of failure in a view is that view's own, not the banner's.
    expect(r.reported('prod', err('server.permission_denied'))).toBe(false);
    expect(r.reported('other', refused)).toBe(false);
  });

  it('ignores failures that are not about reaching the server', () => {
    const r = new Reachability();
    r.failed('prod', err('connect.auth_failed'));
    r.retryLater('prod', err('server.error'), 'privileges', () => {});
    expect(r.down('prod')).toBeNull();
  });

  it('keeps the time it was first seen', () => {
    vi.useFakeTimers();
    try {
      vi.setSystemTime(new Date('2026-12-02T18:00:00Z'));
      const r = new Reachability();
      r.failed('prod', refused);
      vi.setSystemTime(new Date('2026-12-02T18:00:20Z'));
      r.failed('prod', refused);
      expect(r.down('prod')?.since).toBe(Date.parse('2026-12-02T18:00:00Z'));
    } finally {
      vi.useRealTimers();
    }
  });

  it('one Retry clears the report and runs every registered retry once', () => {
    const r = new Reachability();
    const runs: string[] = [];
    r.retryLater('prod', refused, 'tree:a', () => runs.push('tree a'));
    r.retryLater('prod', refused, 'tree:b', () => runs.push('tree b'));
    r.retryLater('prod', refused, 'privileges', () => runs.push('old privileges'));
    // The same view failing again replaces its retry.
    r.retryLater('prod', refused, 'privileges', () => runs.push('privileges'));
    r.retryLater('other', refused, 'tree:x', () => runs.push('other'));
    r.retry('prod');
    expect(runs).toEqual(['tree a', 'tree b', 'privileges']);
    expect(r.down('prod')).toBeNull();
    expect(r.down('other')).not.toBeNull();
    // Nothing left to run twice.
    r.retry('prod');
    expect(runs).toHaveLength(3);
  });

  it('a view answered from a cache while the server is down loads again on Retry, and only then', () => {
    const r = new Reachability();
    const runs: string[] = [];
    // The server is up: nothing to refresh later.
    r.refreshLater('prod', 'privileges', () => runs.push('too early'));
    r.retryLater('prod', refused, 'tree:a', () => runs.push('tree a'));
    r.refreshLater('prod', 'privileges', () => runs.push('privileges'));
    r.retry('prod');
    expect(runs).toEqual(['tree a', 'privileges']);
  });

  it('a retry that throws does not stop the others', () => {
    const r = new Reachability();
    const runs: string[] = [];
    r.retryLater('prod', refused, 'a', () => {
      throw new Error('gone');
    });
    r.retryLater('prod', refused, 'b', () => runs.push('b'));
    r.retry('prod');
    expect(runs).toEqual(['b']);
  });

  it('a success clears the report and loads again what had failed', () => {
    const r = new Reachability();
    const runs: string[] = [];
    r.retryLater('prod', refused, 'tree:a', () => runs.push('tree a'));
    r.succeeded('prod');
    expect(r.down('prod')).toBeNull();
    expect(runs).toEqual(['tree a']);
    r.succeeded('prod');
    expect(runs).toEqual(['tree a']);
  });

  it('forget drops the report without running anything', () => {
    const r = new Reachability();
    const run = vi.fn();
    r.retryLater('prod', refused, 'a', run);
    r.forget('prod');
    expect(r.down('prod')).toBeNull();
    expect(run).not.toHaveBeenCalled();
  });

  it('observes the calls of the API gateway', () => {
    const r = new Reachability();
    const started = Date.now();
    const run = vi.fn();
    r.observe({ cmd: 'list_schemas', args: { integration: 'prod', database: 'app' }, started, ok: false, error: refused });
    r.retryLater('prod', refused, 'tree', run);
    expect(r.down('prod')).not.toBeNull();
    // A privileges answer from the core's cache (inspected before the server went away) proves nothing.
    const cached = inspection({ taken_at: new Date(started - 20_000).toISOString() });
    r.observe({ cmd: 'object_grants', args: { integration: 'prod' }, started, ok: true, result: { inspection: cached } });
    // Nor do the role list (always cached) and forgetting the cache.
    r.observe({ cmd: 'list_roles', args: { integration: 'prod' }, started, ok: true, result: [] });
    r.observe({ cmd: 'refresh_privileges', args: { integration: 'prod' }, started, ok: true, result: null });
    // Nor a failed connection test.
    r.observe({ cmd: 'test_integration', args: { name: 'prod' }, started, ok: true, result: { ok: false } });
    // Nor a call for another integration.
    r.observe({ cmd: 'list_schemas', args: { integration: 'other', database: 'app' }, started, ok: true, result: { items: [] } });
    expect(r.down('prod')).not.toBeNull();
    expect(run).not.toHaveBeenCalled();
    // A fresh inspection does.
    r.observe({ cmd: 'who_can', args: { integration: 'prod' }, started, ok: true, result: { inspection: inspection() } });
    expect(r.down('prod')).toBeNull();
    expect(run).toHaveBeenCalledOnce();
  });

  it('a tree page or a passing connection test proves the server is back', () => {
    const r = new Reachability();
    const started = Date.now();
    r.failed('prod', refused);
    r.observe({ cmd: 'list_databases', args: { integration: 'prod' }, started, ok: true, result: { items: [] } });
    expect(r.down('prod')).toBeNull();
    r.failed('prod', refused);
    r.observe({ cmd: 'test_integration', args: { name: 'prod' }, started, ok: true, result: { ok: true } });
    expect(r.down('prod')).toBeNull();
  });
});

describe('answeredLive', () => {
  const started = Date.parse('2026-12-02T18:00:10Z');
  it('takes answers without an inspection as live', () => {
    expect(answeredLive({ items: [] }, started)).toBe(true);
    expect(answeredLive(null, started)).toBe(true);
  });
  it('takes an inspection taken before the call as cached', () => {
    expect(answeredLive({ inspection: inspection({ taken_at: '2026-12-02T18:00:11Z' }) }, started)).toBe(true);
    expect(answeredLive({ inspection: inspection({ taken_at: '2026-12-02T18:00:09.500Z' }) }, started)).toBe(true);
    expect(answeredLive({ inspection: inspection({ taken_at: '2026-12-02T17:59:50Z' }) }, started)).toBe(false);
    expect(answeredLive({ inspection: { taken_at: 'garbage' } }, started)).toBe(false);
  });
  it('never counts a cached-only command', () => {
    expect(answeredLive([], started, true)).toBe(false);
  });
});

describe('integrationOf', () => {
  it('names the integration of a call', () => {
    expect(integrationOf({ cmd: 'object_grants', args: { integration: 'prod' } })).toBe('prod');
    expect(integrationOf({ cmd: 'test_integration', args: { name: 'prod' } })).toBe('prod');
    expect(integrationOf({ cmd: 'remove_integration', args: { name: 'prod' } })).toBeNull();
    expect(integrationOf({ cmd: 'run_plan', args: { plan: 'p1' } })).toBeNull();
  });
});
