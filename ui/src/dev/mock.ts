// A stand-in for the Rust core, for working on the UI in a plain browser (`npm run dev`, then
// open /?mock, or /?mock=fresh to replay the first-launch sandbox creation). Never bundled into
// the desktop build: main.ts loads it only in dev mode.

import type { Integration } from '../gen/Integration';
import type { IntegrationInput } from '../gen/IntegrationInput';
import type { ConnectionReport } from '../gen/ConnectionReport';
import type { DatabaseNode } from '../gen/DatabaseNode';
import type { SchemaNode } from '../gen/SchemaNode';
import type { RelationNode } from '../gen/RelationNode';
import type { RelationDetail } from '../gen/RelationDetail';
import type { RelationKind } from '../gen/RelationKind';
import type { TreeQuery } from '../gen/TreeQuery';
import type { Page } from '../gen/Page';
import type { ImportCandidate } from '../gen/ImportCandidate';
import type { ImportSource } from '../gen/ImportSource';
import type { ImportRequest } from '../gen/ImportRequest';
import type { Error as GrantryError } from '../gen/Error';
import type { Change } from '../gen/Change';
import type { SetupPlan } from '../gen/SetupPlan';
import type { SetupRequest } from '../gen/SetupRequest';
import type { ArgsOf, CommandName, ResultOf } from '../commands.gen';
import { mockPrivileges } from './mockPrivileges';
import { selfHostedIntegration as integration, serverInfo } from './fixtures';

type Listener = (payload: unknown) => void;

/** A connector setup as the core writes it, shortened: its script and, planned, its steps. */
function mockSetup(request: SetupRequest, databases: string[], planned: boolean): SetupPlan {
  if (request.user.trim() === '') throw { code: 'input.invalid', message: 'the role name is empty', detail: null, field: 'user' };
  const u = `"${request.user.replaceAll('"', '""')}"`;
  const dbs = databases.length ? databases : ['postgres', 'template1'];
  const script = [
    `-- Grantry's connector ${u}`,
    `CREATE ROLE ${u} LOGIN CREATEROLE;`,
    `GRANT "pg_read_all_stats" TO ${u};`,
    ...dbs.flatMap((d) => [`\\connect '${d}'`, `GRANT ALL ON DATABASE "${d}" TO ${u} WITH GRANT OPTION;`]),
  ].join('\n');
  const grant = (d: string): Change => ({
    action: 'grant',
    privileges: ['CONNECT'],
    on: { scope: 'object', kind: 'database', schema: null, name: d, args: null, columns: [] },
    to: [request.user],
    with_grant_option: true,
    granted_by: null,
  });
  return {
    request,
    role_exists: false,
    steps: planned
      ? dbs.map((d, i) => ({
          database: d,
          purpose: i === 0 ? `create ${u}, its memberships, and grant on database "${d}" and its schemas` : `grant on database "${d}" and its schemas`,
          changes: i === 0
            ? [{ action: 'create_role', name: request.user, login: true, password: 'generate_show_once', valid_until: null, in_roles: [], createrole: true }, grant(d)]
            : [grant(d)],
          needs_role: i > 0,
        }))
      : [],
    script,
    notes: planned ? [] : ['written without a server: it names only the databases and schemas given'],
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fail = (code: GrantryError['code'], message: string, detail?: string): never => {
  throw { code, message, detail: detail ?? null, field: null };
};

const KINDS: RelationKind[] = ['table', 'table', 'table', 'view', 'materialized_view', 'sequence', 'partitioned_table', 'foreign_table'];

function relations(db: string, schema: string): RelationNode[] {
  const n = schema === 'wide' ? 100_000 : schema.startsWith('pg_') || schema === 'information_schema' ? 60 : 24;
  const out: RelationNode[] = [];
  for (let i = 0; i < n; i++) {
    const kind = KINDS[i % KINDS.length];
    out.push({
      oid: 16384 + i,
      name: `${kind === 'view' ? 'v_' : kind === 'sequence' ? 'seq_' : ''}${schema}_${db}_${String(i).padStart(6, '0')}`,
      kind,
      owner: i % 5 === 0 ? 'app_owner' : 'postgres',
      size_bytes: kind === 'view' ? null : (i * 7919) % 90_000_000,
      estimated_rows: kind === 'view' || kind === 'sequence' ? null : (i * 104729) % 5_000_000,
      comment: i % 7 === 0 ? `Generated relation number ${i}` : null,
      is_partition: i % 11 === 0,
    });
  }
  return out;
}

function page<T extends { name: string }>(all: T[], q: TreeQuery): Page<T> {
  const s = q.search?.trim().toLowerCase() ?? '';
  const matching = s ? all.filter((x) => x.name.toLowerCase().includes(s)) : all;
  const offset = q.offset ?? 0;
  const limit = q.limit ?? 200;
  return {
    items: matching.slice(offset, offset + limit),
    offset,
    limit,
    has_more: matching.length > offset + limit,
    total: q.with_total ? matching.length : null,
  };
}

export function mockBackend() {
  const params = new URLSearchParams(location.search);
  const fresh = params.get('mock') === 'fresh';
  // ?mock&fast: no simulated latency (for paging through 100,000 rows quickly).
  const fast = params.has('fast');
  // ?mock&down=NAME: that integration's server stops answering 5 s after launch (connection refused);
  // privilege answers come from the "cached" inspection, taken when it stopped, for 30 s.
  const down = params.get('down');
  const downAt = Date.now() + 5000;
  const listeners = new Map<string, Set<Listener>>();
  const emit = (event: string, payload: unknown) => listeners.get(event)?.forEach((l) => l(payload));
  let items: Integration[] = fresh
    ? []
    : [
        integration('sandbox', { is_sandbox: true, connection: { port: 54329 } }),
        integration('billing-prod', {
          environment: 'production',
          connection: { host: 'billing-db.internal.example.com' },
          password_storage: 'session',
          has_password: false,
        }),
        integration('analytics-staging', { environment: 'staging', read_only: true, connection: { host: '10.20.0.14', port: 6432 } }),
      ];
  const relCache = new Map<string, RelationNode[]>();
  const rels = (db: string, schema: string) => {
    const key = `${db}.${schema}`;
    let r = relCache.get(key);
    if (!r) relCache.set(key, (r = relations(db, schema)));
    return r;
  };
  const find = (name: string) => items.find((i) => i.name === name) ?? fail('lookup.not_found', `no integration named "${name}"`);
  const needsSecret = (name: string) => {
    const it = find(name);
    if (it.password_storage === 'session' && !it.has_password) {
      fail('keychain.secret_missing', `integration "${name}" does not save its password: give it for this session`);
    }
  };

  const databases = (q: TreeQuery): DatabaseNode[] => {
    const names = ['postgres', 'shop', 'analytics', 'bulk', ...Array.from({ length: 6 }, (_, i) => `tenant_${i + 1}`)];
    const dbs: DatabaseNode[] = names.map((name, i) => ({
      name,
      owner: i === 0 ? 'postgres' : 'app_owner',
      size_bytes: 8_000_000 + i * 123_456_789,
      comment: name === 'shop' ? 'Sample web shop' : null,
      is_template: false,
      allow_connections: true,
      encoding: 'UTF8',
    }));
    if (q.include_system) {
      for (const t of ['template0', 'template1']) {
        dbs.push({ name: t, owner: 'postgres', size_bytes: 7_500_000, comment: null, is_template: true, allow_connections: t !== 'template0', encoding: 'UTF8' });
      }
    }
    return dbs;
  };

  const schemas = (db: string, q: TreeQuery): SchemaNode[] => {
    const names = db === 'bulk' ? ['public', 'wide'] : ['public', 'sales', 'inventory', 'audit'];
    const list = q.include_system ? [...names, 'information_schema', 'pg_catalog', 'pg_toast'] : names;
    return list.map((name) => {
      const r = rels(db, name);
      return {
        name,
        owner: name.startsWith('pg_') ? 'postgres' : 'app_owner',
        comment: name === 'public' ? 'standard public schema' : null,
        is_system: name.startsWith('pg_') || name === 'information_schema',
        relation_count: Math.min(r.length, 1000),
        relation_count_capped: r.length > 1000,
      };
    });
  };

  const report = (name: string | null, input: IntegrationInput | null): ConnectionReport => {
    const host = input?.connection.host ?? (name ? find(name).connection.host : 'localhost');
    if (host.includes('nowhere')) {
      return {
        ok: false,
        failure: 'dns',
        message: `cannot resolve host "${host}"`,
        detail: 'failed to lookup address information: Name or service not known',
        steps: [{ name: 'resolve host', ok: false, elapsed_ms: 12, note: 'failed to lookup address information' }],
        server: null,
        prerequisites: [],
      };
    }
    if (name && find(name).password_storage === 'session' && !find(name).has_password) {
      return { ok: false, failure: 'secret_missing', message: `integration "${name}" does not save its password`, detail: null, steps: [], server: null, prerequisites: [] };
    }
    return {
      ok: true,
      failure: null,
      message: 'connected to PostgreSQL 15.18 as grantry over SSL',
      detail: null,
      steps: [
        { name: 'resolve host', ok: true, elapsed_ms: 1, note: '127.0.0.1' },
        { name: 'open TCP connection', ok: true, elapsed_ms: 0, note: '127.0.0.1:5432' },
        { name: 'log in', ok: true, elapsed_ms: 23, note: 'as grantry to postgres' },
        { name: 'inspect server', ok: true, elapsed_ms: 4, note: 'PostgreSQL 15.18' },
      ],
      server: serverInfo(),
      prerequisites: [
        { id: 'createrole', ok: true, title: 'may create roles and change memberships (CREATEROLE)', why: 'has CREATEROLE', fix: null, fix_sql: null },
        { id: 'read_all_stats', ok: false, title: "may read every user's statements (pg_read_all_stats)", why: "usage shows other users' statements as <insufficient privilege> without it", fix: 'as a superuser', fix_sql: 'GRANT pg_read_all_stats TO "grantry";' },
      ],
    };
  };

  const fromInput = (input: IntegrationInput, old: Integration | null): Integration => {
    const c = input.connection;
    if (c.kind !== 'self_hosted') throw { code: 'input.invalid', message: 'the mock core keeps self-hosted integrations only', detail: null, field: null };
    const pw = c.password ?? '';
    const storage =
      pw !== '' ? (c.session_only_password ? 'session' : 'keychain') : c.clear_password || !old ? 'none' : old.password_storage;
    return integration(input.name.trim(), {
      id: old?.id ?? `id-${Date.now()}`,
      environment: input.environment ?? 'development',
      read_only: input.read_only,
      password_storage: storage,
      has_password: storage === 'keychain' || (storage === 'session' && pw !== ''),
      connection: {
        host: c.host.trim(),
        port: c.port ?? 5432,
        database: c.database ?? 'postgres',
        username: c.username,
        sslmode: c.sslmode ?? 'prefer',
        ca_cert: c.ca_cert ?? null,
        client_cert: c.client_cert ?? null,
        client_key: c.client_key ? (c.client_key.source === 'file' ? { source: 'file', path: c.client_key.path } : { source: 'keychain' }) : null,
        connect_timeout_secs: c.connect_timeout_secs ?? 10,
        application_name: c.application_name ?? 'grantry',
      },
    });
  };

  const candidates = (source: ImportSource): ImportCandidate[] => {
    if (source.kind === 'uri') {
      const m = /^postgres(?:ql)?:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^:/?]*)(?::(\d+))?(?:\/([^?]*))?/.exec(source.uri);
      if (!m) fail('input.invalid', 'not a connection URI this mock understands');
      const [, user, pw, host, port, db] = m!;
      return [{ index: 0, suggested_name: host || 'localhost', host: host || 'localhost', port: Number(port ?? 5432), database: db || 'postgres', username: user || 'postgres', sslmode: null, has_password: !!pw, source: 'connection string', warnings: [] }];
    }
    return [
      { index: 0, suggested_name: 'db1.example.com', host: 'db1.example.com', port: 5432, database: 'app', username: 'admin', sslmode: null, has_password: true, source: '~/.pgpass line 1', warnings: [] },
      { index: 1, suggested_name: 'reporting', host: 'reporting.example.com', port: 5433, database: '*', username: 'report', sslmode: 'require', has_password: true, source: '~/.pgpass line 2', warnings: ['database "*" matches any database: postgres is used'] },
    ];
  };

  const privileges = mockPrivileges(find);

  // Every declared command has a stand-in: the type fails the build when one is missing.
  const handlers: { [K in CommandName]: (a: ArgsOf<K>) => ResultOf<K> | Promise<ResultOf<K>> } = {
    ...privileges,
    startup: async () => {
      if (items.length > 0) return null;
      for (const m of ['looking for PostgreSQL binaries', 'creating a PostgreSQL 15.18 cluster', 'starting the server on port 54329', 'seeding database shop', 'seeding database bulk (100,000 tables)', 'saving the sandbox integration']) {
        emit('sandbox-progress', m);
        await sleep(700);
      }
      items = [integration('sandbox', { is_sandbox: true, connection: { port: 54329 } })];
      return { state: 'running', data_dir: '/home/dba/.local/share/grantry/sandbox', port: 54329, version: '15.18', integration: 'sandbox' };
    },
    list_integrations: () => items.map((i) => ({ ...i })),
    get_integration: (a) => find(a.name as string),
    add_integration: (a) => {
      const input = a.input as IntegrationInput;
      if (items.some((i) => i.name === input.name.trim())) fail('integration.duplicate_name', `an integration named "${input.name}" already exists`);
      if (input.name.includes('nokeychain') && !input.connection.session_only_password && input.connection.password) {
        fail('keychain.unavailable', 'the OS keychain is not available, so nothing was saved', 'org.freedesktop.secrets was not provided by any .service files');
      }
      const it = fromInput(input, null);
      items.push(it);
      return it;
    },
    update_integration: (a) => {
      const old = find(a.name as string);
      const input = a.input as IntegrationInput;
      if (input.name.trim() !== old.name && items.some((i) => i.name === input.name.trim())) {
        fail('integration.duplicate_name', `an integration named "${input.name}" already exists`);
      }
      const it = fromInput(input, old);
      items = items.map((i) => (i.id === old.id ? it : i));
      return it;
    },
    remove_integration: (a) => {
      const it = find(a.name as string);
      items = items.filter((i) => i.id !== it.id);
      return it;
    },
    set_session_password: (a) => {
      const it = find(a.name as string);
      if (it.password_storage === 'keychain') fail('input.invalid', 'this integration keeps its password in the keychain');
      if (a.password !== 'secret') fail('connect.auth_failed', 'password authentication failed (the mock password is "secret")');
      it.has_password = true;
      return null;
    },
    // A few of the core's rules, enough to see errors in place; the core has them all.
    validate_integration: (a) => {
      const i = a.input.connection;
      const out: GrantryError[] = [];
      const bad = (field: string, message: string) => out.push({ code: 'input.invalid', message, detail: null, field });
      if (!a.input.name.trim()) bad('name', 'the integration needs a name');
      if (!i.host.trim()) bad('host', 'the host is required');
      if (i.port !== undefined && (i.port < 1 || i.port > 65535)) bad('port', `invalid port ${i.port}: a port is a number from 1 to 65535`);
      if (!i.username.trim()) bad('username', 'the user name is required');
      if ((i.sslmode === 'verify-ca' || i.sslmode === 'verify-full') && !i.ca_cert) bad('ca_cert', `sslmode ${i.sslmode} checks the server certificate against a CA: give the CA certificate`);
      return out;
    },
    test_integration: async (a) => {
      await sleep(600);
      return report(a.name as string, null);
    },
    test_integration_input: async (a) => {
      await sleep(600);
      return report((a.existing as string | null) ?? null, a.input as IntegrationInput);
    },
    import_candidates: (a) => candidates(a.source as ImportSource),
    import_integration: (a) => {
      const r = a.request as ImportRequest;
      if (items.some((i) => i.name === r.name)) fail('integration.duplicate_name', `an integration named "${r.name}" already exists`);
      const c = candidates(r.source)[r.index];
      const it = integration(r.name, { connection: { host: c.host, port: c.port }, environment: r.environment ?? 'development', read_only: r.read_only, password_storage: r.session_only_password ? 'session' : 'keychain' });
      items.push(it);
      return it;
    },
    list_databases: (a) => {
      needsSecret(a.integration as string);
      return page(databases(a.query as TreeQuery), a.query as TreeQuery);
    },
    list_schemas: (a) => {
      needsSecret(a.integration as string);
      if (a.database === 'analytics') fail('server.error', 'the server answered with an error (42501): permission denied for database analytics', 'ERROR: permission denied for database "analytics"');
      return page(schemas(a.database as string, a.query as TreeQuery), a.query as TreeQuery);
    },
    list_relations: (a) => {
      needsSecret(a.integration as string);
      return page(rels(a.database as string, a.schema as string), a.query as TreeQuery);
    },
    schema_stats: (a) => {
      const r = rels(a.database as string, a.schema as string);
      return {
        relation_count: r.length,
        size_bytes: r.reduce((s, x) => s + (x.size_bytes ?? 0), 0),
        size_estimated: r.length > 10_000,
        estimated_rows: r.reduce((s, x) => s + (x.estimated_rows ?? 0), 0),
      };
    },
    relation_detail: (a) => {
      const r = rels(a.database as string, a.schema as string).find((x) => x.name === a.name) ?? fail('lookup.not_found', 'no such relation');
      const d: RelationDetail = {
        oid: r.oid,
        name: r.name,
        schema: a.schema as string,
        kind: r.kind,
        owner: r.owner,
        table_bytes: r.size_bytes,
        index_bytes: r.size_bytes === null ? null : Math.round(r.size_bytes / 3),
        total_bytes: r.size_bytes === null ? null : Math.round((r.size_bytes * 4) / 3),
        estimated_rows: r.estimated_rows,
        comment: r.comment,
        acl: r.oid % 3 === 0 ? null : [`${r.owner}=arwdDxtm/${r.owner}`, 'reporting=r/app_owner', '"Data Team"=r*w/app_owner', '=r/app_owner'],
        row_security: r.oid % 4 === 0,
        is_partition: r.is_partition,
        index_count: 2,
        definition: r.kind === 'view' || r.kind === 'materialized_view' ? ' SELECT o.id,\n    o.customer_id,\n    sum(l.amount) AS total\n   FROM orders o\n     JOIN order_lines l ON l.order_id = o.id\n  GROUP BY o.id, o.customer_id;' : null,
        last_vacuum: null,
        last_autovacuum: '2025-11-21 03:12:44.123456+00',
        last_analyze: '2025-11-20 22:01:02.5+00',
        last_autoanalyze: '2025-11-21 03:12:45.987+00',
        seq_scan: 1234,
        idx_scan: 987654,
        columns: [
          { name: 'id', data_type: 'bigint', not_null: true, default_value: "nextval('orders_id_seq'::regclass)", comment: 'primary key' },
          { name: 'customer_id', data_type: 'bigint', not_null: true, default_value: null, comment: null },
          { name: 'created_at', data_type: 'timestamp with time zone', not_null: true, default_value: 'now()', comment: null },
          { name: 'status', data_type: 'text', not_null: false, default_value: "'new'::text", comment: 'new, paid, shipped or cancelled' },
          { name: 'payload', data_type: 'jsonb', not_null: false, default_value: null, comment: null },
        ],
      };
      return d;
    },
    discover_rds: () => [],
    add_discovered: () => fail('lookup.not_found', 'no database found in the mock region'),
    setup_script: (a) => mockSetup(a.request, a.databases, false),
    setup_plan: (a) => mockSetup(a.request, ['app', 'postgres', 'template1'], true),
    sandbox_status: () => ({ state: 'running', data_dir: null, port: 54329, version: '15.18', integration: 'sandbox' }),
    sandbox_start: () => ({ state: 'running', data_dir: null, port: 54329, version: '15.18', integration: 'sandbox' }),
    sandbox_stop: () => ({ state: 'stopped', data_dir: null, port: null, version: null, integration: 'sandbox' }),
  };

  return {
    async invoke<K extends CommandName>(cmd: K, args: ArgsOf<K>): Promise<ResultOf<K>> {
      const h = handlers[cmd] as ((a: ArgsOf<K>) => ResultOf<K> | Promise<ResultOf<K>>) | undefined;
      if (!h) fail('internal', `unknown command ${cmd}`);
      const slow = cmd.startsWith('list_') || ['relation_detail', 'schema_stats', 'object_grants', 'role_report', 'plan_changes', 'run_plan'].includes(cmd);
      if (!fast) await sleep(slow ? 120 + Math.random() * 250 : 40);
      const it = (args as { integration?: unknown }).integration;
      if (down !== null && it === down && Date.now() >= downAt && cmd !== 'refresh_privileges') {
        const cached = ['object_grants', 'who_can', 'role_report', 'list_roles'].includes(cmd) && Date.now() < downAt + 30_000;
        if (!cached) fail('connect.refused', `connection refused: nothing listens on ${find(down).connection.host}:${find(down).connection.port}`);
        const answer = structuredClone(await h!(args)) as { inspection?: { taken_at: string } };
        if (answer.inspection) answer.inspection.taken_at = new Date(downAt - 1000).toISOString();
        return answer as ResultOf<K>;
      }
      return structuredClone(await h!(args));
    },
    async listen(event: string, cb: Listener): Promise<() => void> {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(cb);
      return () => set!.delete(cb);
    },
  };
}
