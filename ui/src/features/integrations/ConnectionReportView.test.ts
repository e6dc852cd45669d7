import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import ConnectionReportView from './ConnectionReportView.svelte';
import type { ConnectionReport } from '../../gen/ConnectionReport';
import type { ServerInfo } from '../../gen/ServerInfo';
import { serverInfo } from '../../dev/fixtures';

/** A server without pg_stat_statements, with `over` replacing any part. */
function server(over: Partial<ServerInfo> = {}): ServerInfo {
  const s = serverInfo(over);
  s.powers = { ...s.powers, pg_stat_statements_installed: null, pg_stat_statements_loaded: null, pg_stat_statements_available: false };
  return s;
}

function report(s: ServerInfo): ConnectionReport {
  return { ok: true, failure: null, message: 'Connected', detail: null, steps: [], server: s, prerequisites: [] };
}

describe('ConnectionReportView', () => {
  it('says nothing about read-only or notes on an ordinary server', () => {
    const { body } = render(ConnectionReportView, { props: { report: report(server()) } });
    expect(body).not.toContain('data-testid="test-read-only"');
    expect(body).not.toContain('data-testid="test-notes"');
    expect(body).toContain('not installed in this database');
  });

  it('warns of a read-only default and lists what could not be read', () => {
    const s = server({
      read_only: true,
      notes: ['SSL details are unknown: permission denied for view pg_stat_ssl'],
    });
    const { body } = render(ConnectionReportView, { props: { report: report(s) } });
    expect(body).toContain('data-testid="test-read-only"');
    expect(body).toContain('read-only by default');
    expect(body).toContain('data-testid="test-notes"');
    expect(body).toContain('SSL details are unknown: permission denied for view pg_stat_ssl');
  });

  it('calls a standby a standby, and an unreadable extension list unknown', () => {
    const s = server({ in_recovery: true, read_only: true });
    s.powers.pg_stat_statements_available = null;
    const { body } = render(ConnectionReportView, { props: { report: report(s) } });
    expect(body).toContain('a standby');
    expect(body).not.toContain('read-only by default');
    expect(body).not.toContain('not installed in this database');
    expect(body.replace(/<!--[^>]*-->/g, '')).toMatch(/pg_stat_statements<\/dt>\s*<dd>\s*unknown/);
  });
});

describe('a refused connection', () => {
  const refused: ConnectionReport = {
    ok: false,
    failure: 'connection_refused',
    message: 'no server listens on that Unix socket (socket /tmp/.s.PGSQL.5432)',
    detail: null,
    steps: [],
    server: null,
    prerequisites: [],
  };
  it('is explained for a Unix socket without host-and-port words, and for TCP with them', () => {
    const sock = render(ConnectionReportView, { props: { report: refused, socket: true } }).body;
    expect(sock).toContain('No server listens on that Unix socket');
    expect(sock).not.toContain('listen_addresses');
    const tcp = render(ConnectionReportView, { props: { report: refused } }).body;
    expect(tcp).toContain('listen_addresses');
  });
});

describe('the prerequisites', () => {
  it('lists each with its mark, and the fix SQL of a missing one', () => {
    const r: ConnectionReport = {
      ...report(server()),
      prerequisites: [
        { id: 'createrole', ok: true, title: 'may create roles', why: 'has CREATEROLE', fix: null, fix_sql: null },
        { id: 'read_all_stats', ok: false, title: 'may read every user’s statements', why: 'shows <insufficient privilege>', fix: 'as a superuser', fix_sql: 'GRANT pg_read_all_stats TO "Connector Q";' },
      ],
    };
    const { body } = render(ConnectionReportView, { props: { report: r } });
    expect(body).toContain('data-missing="1"');
    expect(body).toContain('1 prerequisite missing');
    expect(body).toContain('GRANT pg_read_all_stats TO "Connector Q";');
    expect(body).toContain('&lt;insufficient privilege>');
    const none = render(ConnectionReportView, { props: { report: { ...r, prerequisites: [r.prerequisites[0]] } } }).body;
    expect(none).toContain('Everything Grantry needs is in place');
    expect(none).not.toContain('data-testid="prerequisite-fix"');
  });
});
