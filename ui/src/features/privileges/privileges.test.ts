import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ObjectGrants } from '../../gen/ObjectGrants';
import type { Reason } from '../../gen/Reason';
import type { Role } from '../../gen/Role';
import type { ObjectAccess } from '../../gen/ObjectAccess';
import type { DefaultPrivilegeRow } from '../../gen/DefaultPrivilegeRow';
import type { MatrixRow } from '../../gen/MatrixRow';
import {
  accessReasons,
  buildMatrix,
  cellActions,
  cellMark,
  DEFAULT_OBJECT_TYPES,
  defaultPrivilegesOf,
  defaultPrivilegesText,
  defaultRevokeChange,
  MARK_GLYPH,
  MARK_LABEL,
  membershipRevokes,
  revokeReach,
  dependentGrants,
  SCHEMA_DEFAULT_TYPES,
  schemaDefaultRows,
  filterAccess,
  formatReason,
  nameLabel,
  addressLabel,
  quoteNamePart,
  iconKind,
  membershipOptions,
  nodeAddress,
  objectRef,
  objectTarget,
  parseObjectName,
  privilegesOf,
  privilegeLabel,
  roleLabel,
  shortcutTarget,
  sortRoles,
  validUntilText,
} from './privileges';
import { databaseNode, integrationNode, relationNode, schemaNode } from '../explorer/tree';
import { inspection, selfHostedIntegration } from '../../dev/fixtures';

const grant = (over: Partial<Extract<Reason, { source: 'grant' }>> = {}): Reason => ({
  source: 'grant',
  grantee: 'alice',
  grantor: 'postgres',
  path: ['alice'],
  grantable: false,
  owner: false,
  column: null,
  default_rule: null,
  ...over,
});

describe('formatReason', () => {
  it('names the default-privileges rule a grant came from', () => {
    expect(formatReason(grant({ default_rule: 'FOR ROLE etl IN SCHEMA raw' }))).toBe(
      'granted by postgres (default privileges FOR ROLE etl IN SCHEMA raw)',
    );
  });

  it('says how a privilege is held, in a few words', () => {
    expect(formatReason(grant())).toBe('granted by postgres');
    expect(formatReason(grant({ grantable: true }))).toBe('granted by postgres ★');
    expect(formatReason(grant({ owner: true, grantee: 'app', path: ['app'], grantor: 'app' }))).toBe('owner');
    expect(formatReason(grant({ grantee: 'analysts', path: ['alice', 'analysts'] }))).toBe('via alice → analysts, granted by postgres');
    expect(formatReason(grant({ column: 'email' }))).toBe('granted by postgres, column email');
    expect(formatReason({ source: 'superuser' })).toBe('superuser');
    expect(formatReason({ source: 'public', grantor: 'app', column: null })).toBe('PUBLIC (granted by app)');
    expect(formatReason({ source: 'public', grantor: 'app', column: 'id' })).toBe('PUBLIC (granted by app), column id');
    expect(formatReason({ source: 'predefined', role: 'pg_read_all_data', path: ['bob', 'reporting', 'pg_read_all_data'] })).toBe(
      'pg_read_all_data via bob → reporting',
    );
    expect(formatReason({ source: 'predefined', role: 'pg_read_all_data', path: ['pg_read_all_data'] })).toBe(
      'pg_read_all_data (predefined role)',
    );
  });
  it('marks a cell by its most direct reason', () => {
    expect(cellMark([])).toBe('none');
    expect(cellMark([{ source: 'superuser' }, grant({ path: ['a', 'b'] })])).toBe('inherited');
    expect(cellMark([{ source: 'public', grantor: 'x', column: null }, grant()])).toBe('direct');
    expect(cellMark([grant({ owner: true })])).toBe('owner');
  });
  it('writes privileges as SQL does', () => {
    expect(privilegeLabel('ALTER_SYSTEM')).toBe('ALTER SYSTEM');
    expect(privilegeLabel('SELECT')).toBe('SELECT');
  });
});

const grants: ObjectGrants = {
  object: 'app.customers',
  kind: 'table',
  owner: 'owner',
  default_acl: false,
  privileges: ['SELECT', 'INSERT'],
  acl: [],
  default_privileges: [],
  inspection: inspection(),
  matrix: [
    { role: 'alice', login: true, cells: [{ privilege: 'SELECT', grantable: false, reasons: [grant({ grantee: 'analysts', path: ['alice', 'analysts'] })] }] },
    { role: 'analysts', login: false, cells: [{ privilege: 'SELECT', grantable: false, reasons: [grant({ grantee: 'analysts', path: ['analysts'] })] }] },
    {
      role: 'owner',
      login: true,
      cells: [
        { privilege: 'INSERT', grantable: true, reasons: [grant({ owner: true, grantee: 'owner', path: ['owner'], grantor: 'owner' })] },
        { privilege: 'SELECT', grantable: true, reasons: [grant({ owner: true, grantee: 'owner', path: ['owner'], grantor: 'owner' })] },
      ],
    },
    { role: 'public', login: false, cells: [{ privilege: 'SELECT', grantable: false, reasons: [{ source: 'public', grantor: 'owner', column: null }] }] },
    {
      role: 'PUBLIC',
      login: true,
      cells: [{ privilege: 'SELECT', grantable: false, reasons: [grant({ grantee: 'PUBLIC', path: ['PUBLIC'], grantor: 'owner' })] }],
    },
  ],
};

describe('roleLabel', () => {
  it('writes PUBLIC for everyone and quotes what could pass for it or for a list', () => {
    expect(roleLabel('public')).toBe('PUBLIC');
    expect(roleLabel('PUBLIC')).toBe('"PUBLIC"');
    expect(roleLabel('public ')).toBe('"public "');
    expect(roleLabel('a,b')).toBe('"a,b"');
    expect(roleLabel('a"b')).toBe('"a""b"');
    expect(roleLabel('Alice')).toBe('Alice');
    expect(roleLabel('ÜniCödé')).toBe('ÜniCödé');
  });
  it('quotes roles spelled like key words, which written bare mean something else', () => {
    for (const r of ['user', 'select', 'current_user', 'session_user', 'User']) expect(roleLabel(r)).toBe(`"${r}"`);
    expect(roleLabel('users')).toBe('users');
  });
});

describe('nameLabel and addressLabel', () => {
  it('quote what is not a plain identifier and make control characters visible', () => {
    expect(nameLabel('new\nline')).toBe('"new\\nline"');
    expect(nameLabel('col"quote')).toBe('"col""quote"');
    expect(nameLabel('*/ --')).toBe('"*/ --"');
    expect(nameLabel('orders')).toBe('orders');
    expect(addressLabel({ kind: 'table', schema: 'Weird.Schema', name: 'Table With Spaces', signature: null } as never)).toBe(
      '"Weird.Schema"."Table With Spaces"',
    );
    expect(addressLabel({ kind: 'schema', schema: null, name: 'select', signature: null } as never)).toBe('schema "select"');
    expect(quoteNamePart('user')).toBe('"user"');
  });
  it('quote the roles and columns of a reason', () => {
    const text = formatReason({ source: 'grant', path: ['user', 'Role.With Dot'], grantor: 'current_user', owner: false, column: 'col"q', default_rule: null, grantable: false } as never);
    expect(text).toBe('via "user" → "Role.With Dot", granted by "current_user", column "col""q"');
  });
});

describe('buildMatrix', () => {
  const m = buildMatrix(grants);
  it('puts PUBLIC first, then the owner, then the others in the core order', () => {
    expect(m.rows.map((r) => r.role)).toEqual(['public', 'owner', 'alice', 'analysts', 'PUBLIC']);
    expect(m.rows[0].isPublic).toBe(true);
    // A role named "PUBLIC" is a role like any other.
    expect(m.rows[4].isPublic).toBe(false);
    expect(m.rows[1].isOwner).toBe(true);
  });
  it('has one cell per privilege, in the column order, held or not', () => {
    const alice = m.rows.find((r) => r.role === 'alice')!;
    expect(alice.cells.map((c) => [c.privilege, c.held, c.mark])).toEqual([
      ['SELECT', true, 'inherited'],
      ['INSERT', false, 'none'],
    ]);
    const owner = m.rows.find((r) => r.role === 'owner')!;
    expect(owner.cells.map((c) => c.privilege)).toEqual(['SELECT', 'INSERT']);
    expect(owner.cells.every((c) => c.grantable && c.mark === 'owner')).toBe(true);
  });
});

describe('cellActions', () => {
  const m = buildMatrix(grants);
  const on = objectTarget({ kind: 'table', schema: 'app', name: 'customers' });
  const row = (name: string) => m.rows.find((r) => r.role === name)!;
  it('revokes a direct grant from the role', () => {
    const a = cellActions(row('analysts'), row('analysts').cells[0], on);
    expect(a).toHaveLength(1);
    expect(a[0].label).toBe('Revoke SELECT from analysts');
    expect(a[0].change).toEqual({ action: 'revoke', privileges: ['SELECT'], on, from: ['analysts'], grant_option_only: false, cascade: false });
  });
  it('revokes an inherited privilege from the group it comes through', () => {
    const a = cellActions(row('alice'), row('alice').cells[0], on);
    expect(a.map((x) => x.role)).toEqual(['analysts']);
    expect(a[0].label).toContain('reaches alice through it');
  });
  it('revokes from PUBLIC, and grants what is not held', () => {
    expect(cellActions(row('public'), row('public').cells[0], on)[0].change).toMatchObject({ action: 'revoke', from: ['public'] });
    expect(cellActions(row('public'), row('public').cells[0], on)[0].label).toBe('Revoke SELECT from PUBLIC');
    // The role named "PUBLIC" is revoked as that role, and labelled so it is not taken for everyone.
    const named = cellActions(row('PUBLIC'), row('PUBLIC').cells[0], on)[0];
    expect(named.change).toMatchObject({ action: 'revoke', from: ['PUBLIC'] });
    expect(named.label).toBe('Revoke SELECT from "PUBLIC"');
    const g = cellActions(row('alice'), row('alice').cells[1], on);
    expect(g[0].change).toEqual({ action: 'grant', privileges: ['INSERT'], on, to: ['alice'], with_grant_option: false });
  });
  it('offers dropping a grant option of a direct grant', () => {
    const r = { ...row('analysts') };
    r.cells = [{ ...r.cells[0], reasons: [grant({ grantee: 'analysts', path: ['analysts'], grantable: true })] }];
    const a = cellActions(r, r.cells[0], on);
    expect(a.map((x) => x.change.action === 'revoke' && x.change.grant_option_only)).toEqual([false, true]);
  });
  it('offers nothing to revoke for a superuser or a predefined role', () => {
    const r = { role: 'root', login: true, isPublic: false, isOwner: false, cells: [] };
    const cell = { privilege: 'SELECT' as const, held: true, grantable: true, mark: 'superuser' as const, reasons: [{ source: 'superuser' as const }] };
    expect(cellActions(r, cell, on)).toEqual([]);
  });
});

describe('a revoke from a group', () => {
  // app_readonly holds SELECT; app_readwrite is its member, bob a member of app_readwrite, and
  // carol holds it through app_readonly and directly as well.
  const via = (path: string[]) => grant({ grantee: path[path.length - 1], path });
  const mrow = (role: string, reasons: Reason[]): MatrixRow => ({
    role,
    login: false,
    cells: [{ privilege: 'SELECT', grantable: false, reasons }],
  });
  const g: ObjectGrants = {
    ...grants,
    privileges: ['SELECT'],
    matrix: [
      mrow('app_readonly', [via(['app_readonly'])]),
      mrow('app_readwrite', [via(['app_readwrite', 'app_readonly'])]),
      mrow('bob', [via(['bob', 'app_readwrite', 'app_readonly'])]),
      mrow('carol', [via(['carol', 'app_readonly']), via(['carol'])]),
      mrow('dora', [via(['dora'])]),
    ],
  };
  const m = buildMatrix(g);
  const row = (name: string) => m.rows.find((r) => r.role === name)!;

  it('names every other role that holds the privilege through the group, and whether it keeps it', () => {
    expect(revokeReach(m, 'SELECT', 'app_readonly')).toEqual([
      { role: 'app_readwrite', keeps: false },
      { role: 'bob', keeps: false },
      { role: 'carol', keeps: true },
    ]);
    // app_readwrite is no grantee: bob's SELECT does not come from a grant to it.
    expect(revokeReach(m, 'SELECT', 'app_readwrite')).toEqual([]);
    expect(revokeReach(m, 'SELECT', 'dora')).toEqual([]);
    expect(revokeReach(m, 'INSERT', 'app_readonly')).toEqual([]);
  });

  it("offers revoking the role's membership in the group it goes through instead", () => {
    const a = membershipRevokes(row('bob'), row('bob').cells[0], 'app_readonly');
    expect(a).toEqual([
      { label: "Revoke bob's membership in app_readwrite", role: 'app_readwrite', change: { action: 'revoke_role', role: 'app_readwrite', from: 'bob' } },
    ]);
    expect(membershipRevokes(row('app_readwrite'), row('app_readwrite').cells[0], 'app_readonly')[0].change).toEqual({
      action: 'revoke_role',
      role: 'app_readonly',
      from: 'app_readwrite',
    });
    // A direct grant has no membership to revoke.
    expect(membershipRevokes(row('dora'), row('dora').cells[0], 'dora')).toEqual([]);
  });
});

describe('matrix marks', () => {
  it('differ by symbol, not only by colour, and each has words', () => {
    const marks = Object.keys(MARK_GLYPH) as (keyof typeof MARK_GLYPH)[];
    expect(new Set(marks.map((m) => MARK_GLYPH[m])).size).toBe(marks.length);
    for (const m of marks) expect(MARK_LABEL[m]).toBeTruthy();
  });
});

describe('default privileges', () => {
  const rule = (over: Partial<DefaultPrivilegeRow> = {}): DefaultPrivilegeRow => ({
    for_role: 'etl',
    in_schema: 'raw',
    object_type: 'tables',
    grantee: 'analysts',
    privileges: ['SELECT', 'INSERT'],
    grantable: ['SELECT'],
    ...over,
  });

  it('takes the privileges of each object type from the registry', () => {
    expect(defaultPrivilegesOf('tables')).toEqual(privilegesOf('table'));
    expect(defaultPrivilegesOf('sequences')).toEqual(['SELECT', 'UPDATE', 'USAGE']);
    expect(defaultPrivilegesOf('functions')).toEqual(['EXECUTE']);
    expect(defaultPrivilegesOf('types')).toEqual(['USAGE']);
    expect(defaultPrivilegesOf('schemas')).toEqual(['USAGE', 'CREATE']);
    expect(defaultPrivilegesOf('tables', 160000)).not.toContain('MAINTAIN');
    expect(DEFAULT_OBJECT_TYPES.large_objects.sql).toBe('LARGE OBJECTS');
  });

  it('offers only the privileges the inspected server has: MAINTAIN from PostgreSQL 17', () => {
    const before17 = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'];
    expect(defaultPrivilegesOf('tables', inspection({ version_num: 150018 }).version_num)).toEqual(before17);
    expect(defaultPrivilegesOf('tables', 169999)).toEqual(before17);
    expect(defaultPrivilegesOf('tables', 170000)).toEqual([...before17, 'MAINTAIN']);
    expect(defaultPrivilegesOf('tables', inspection().version_num)).toContain('MAINTAIN');
    expect(defaultPrivilegesOf('tables', 180001)).toContain('MAINTAIN');
    // The other object types have nothing version-bound.
    expect(defaultPrivilegesOf('sequences', 150000)).toEqual(['SELECT', 'UPDATE', 'USAGE']);
    expect(defaultPrivilegesOf('functions', 150000)).toEqual(['EXECUTE']);
    // The same list serves the grant form and the matrix: one place knows the versions.
    expect(privilegesOf('view', 160000)).not.toContain('MAINTAIN');
    expect(privilegesOf('parameter', 140000)).toEqual([]);
    expect(privilegesOf('parameter', 150000)).toEqual(['SET', 'ALTER_SYSTEM']);
  });

  it('offers in a schema only the object types that live in one', () => {
    expect(SCHEMA_DEFAULT_TYPES).toEqual(['tables', 'sequences', 'functions', 'types']);
  });

  it("shows a schema its own rules and the global ones for objects in a schema", () => {
    const rows = [
      rule(),
      rule({ in_schema: 'other' }),
      rule({ in_schema: null, grantee: 'etl', object_type: 'functions', privileges: ['EXECUTE'], grantable: [] }),
      rule({ in_schema: null, object_type: 'schemas', privileges: ['USAGE'], grantable: [] }),
    ];
    expect(schemaDefaultRows(rows, 'raw')).toEqual([rows[0], rows[2]]);
    expect(schemaDefaultRows([], 'raw')).toEqual([]);
  });

  it('revokes exactly one grantee of one rule', () => {
    expect(defaultRevokeChange(rule({ grantee: 'public' }))).toEqual({
      action: 'default_privileges',
      grant: false,
      for_role: 'etl',
      in_schema: 'raw',
      on: 'tables',
      privileges: ['SELECT', 'INSERT'],
      roles: ['public'],
      with_grant_option: false,
    });
    expect(defaultRevokeChange(rule({ in_schema: null }))).toMatchObject({ in_schema: null });
  });

  it('marks the privileges held with grant option', () => {
    expect(defaultPrivilegesText(rule())).toBe('SELECT ★, INSERT');
  });
});

describe('objects of the tree', () => {
  const it0 = selfHostedIntegration('prod', { environment: 'production' });
  const root = integrationNode(it0);
  const db = databaseNode(root, { name: 'e2e', owner: 'o', size_bytes: 0, comment: null, is_template: false, allow_connections: true, encoding: 'UTF8' });
  const sc = schemaNode(db, { name: 'app', owner: 'o', comment: null, is_system: false, relation_count: 1, relation_count_capped: false });
  const rel = relationNode(sc, { oid: 1, name: 'customers', kind: 'view', owner: 'o', size_bytes: null, estimated_rows: null, comment: null, is_partition: false });
  it('names what each node stands for', () => {
    expect(nodeAddress(root)).toBeNull();
    expect(nodeAddress(db)).toEqual({ kind: 'database', schema: null, name: 'e2e' });
    expect(nodeAddress(sc)).toEqual({ kind: 'schema', schema: null, name: 'app' });
    expect(nodeAddress(rel)).toEqual({ kind: 'view', schema: 'app', name: 'customers' });
    expect(objectRef(nodeAddress(rel)!)).toEqual({ kind: 'view', schema: 'app', name: 'customers', args: null, column: null });
  });
  it('gives shortcuts a table or a whole schema, nothing else', () => {
    expect(shortcutTarget(nodeAddress(sc)!)).toEqual({ scope: 'all_in_schema', kind: 'table', schema: 'app' });
    expect(shortcutTarget(nodeAddress(rel)!)).toMatchObject({ scope: 'object', kind: 'view', schema: 'app', name: 'customers' });
    expect(shortcutTarget(nodeAddress(db)!)).toBeNull();
    expect(shortcutTarget({ kind: 'sequence', schema: 'app', name: 's' })).toBeNull();
  });
  it('has an icon for every kind', () => {
    expect(iconKind('materialized_view')).toBe('materialized_view');
    expect(iconKind('function')).toBe('function');
  });
});

describe('parseObjectName', () => {
  it('reads plain and quoted names', () => {
    expect(parseObjectName('table', 'app.customers')).toEqual({ kind: 'table', schema: 'app', name: 'customers' });
    expect(parseObjectName('table', ' "My App"."Big.Table" ')).toEqual({ kind: 'table', schema: 'My App', name: 'Big.Table' });
    expect(parseObjectName('view', '"a""b".c')).toEqual({ kind: 'view', schema: 'a"b', name: 'c' });
    expect(parseObjectName('database', 'e2e')).toEqual({ kind: 'database', schema: null, name: 'e2e' });
  });
  it('refuses what names no object of the kind', () => {
    expect(parseObjectName('table', 'customers')).toBeNull();
    expect(parseObjectName('table', 'a.b.c')).toBeNull();
    expect(parseObjectName('schema', 'a.b')).toBeNull();
    expect(parseObjectName('table', 'a.')).toBeNull();
    expect(parseObjectName('table', '"a.b')).toBeNull();
    expect(parseObjectName('table', '')).toBeNull();
  });
});

describe('role page helpers', () => {
  const role = (name: string): Role => ({
    oid: 1, name, superuser: false, inherit: true, createrole: false, createdb: false, login: false, replication: false,
    bypassrls: false, connection_limit: -1, valid_until: null, comment: null,
  });
  it('sorts the cluster roles before the predefined ones', () => {
    expect(sortRoles([role('pg_monitor'), role('zed'), role('alice')]).map((r) => r.name)).toEqual(['alice', 'zed', 'pg_monitor']);
  });
  const access: ObjectAccess[] = [
    { kind: 'table', object: 'app.orders', index: 0, privileges: [{ privilege: 'SELECT', grantable: false, reasons: [grant(), grant()] }] },
    { kind: 'schema', object: 'app', index: 1, privileges: [{ privilege: 'USAGE', grantable: false, reasons: [{ source: 'superuser' }] }] },
  ];
  it('filters by object, kind and privilege words', () => {
    expect(filterAccess(access, '').length).toBe(2);
    expect(filterAccess(access, 'orders select').map((a) => a.object)).toEqual(['app.orders']);
    expect(filterAccess(access, 'schema').map((a) => a.object)).toEqual(['app']);
    expect(filterAccess(access, 'orders usage')).toEqual([]);
  });
  it('lists each reason once', () => {
    expect(accessReasons(access[0])).toEqual(['granted by postgres']);
  });
  it('names membership options', () => {
    expect(membershipOptions({ role: 'a', member: 'b', grantor: 'c', admin: true, inherit: false, set: true })).toBe('ADMIN, SET');
    expect(membershipOptions({ role: 'a', member: 'b', grantor: 'c', admin: false, inherit: false, set: false })).toBe('none');
  });
});

describe("a role's VALID UNTIL", () => {
  const now = new Date('2026-12-02T18:00:00Z');
  afterEach(() => vi.unstubAllEnvs());

  it('reads null and infinity as no expiry, -infinity as expired', () => {
    expect(validUntilText(null, now)).toEqual({ text: 'no expiry', title: undefined, expired: false });
    expect(validUntilText('infinity', now)).toMatchObject({ text: 'no expiry (infinity)', expired: false });
    expect(validUntilText('-infinity', now)).toMatchObject({ text: 'expired (-infinity: the password is never valid)', expired: true });
  });

  it('shows a timestamptz text as every time is shown, with its UTC offset and the exact time as title', () => {
    vi.stubEnv('TZ', 'Europe/Paris');
    expect(validUntilText('2027-01-01 00:00:00+00', now)).toEqual({
      text: '2027-01-01 01:00:00 UTC+01:00',
      title: '2027-01-01T00:00:00.000Z',
      expired: false,
    });
    vi.stubEnv('TZ', 'Asia/Kolkata');
    // The session's time zone may give another offset, and fractions of a second.
    expect(validUntilText('2027-06-30 23:59:59.5+02', now).text).toBe('2027-07-01 03:29:59 UTC+05:30');
    expect(validUntilText('2027-01-01 00:00:00-05:30', now).title).toBe('2027-01-01T05:30:00.000Z');
  });

  it('marks a time that has passed', () => {
    vi.stubEnv('TZ', 'UTC');
    expect(validUntilText('2025-03-01 12:00:00+00', now)).toEqual({
      text: '2025-03-01 12:00:00 UTC+00:00 — expired',
      title: '2025-03-01T12:00:00.000Z',
      expired: true,
    });
    expect(validUntilText('2026-12-02 18:00:00+00', now).expired).toBe(true);
    expect(validUntilText('0044-03-15 00:00:00+00 BC', now)).toMatchObject({ text: '0044-03-15 00:00:00+00 BC — expired', expired: true });
  });

  it('shows text it cannot read as it is', () => {
    expect(validUntilText('Fri Jan 01 00:00:00 2027 UTC', now)).toEqual({ text: 'Fri Jan 01 00:00:00 2027 UTC', title: undefined, expired: false });
    expect(validUntilText('', now).text).toBe('no expiry');
  });
});

describe('names prefilled as they must be typed', () => {
  it('quotes a name with a dot or a quote, and reads back to the same object', async () => {
    const { objectNameText, parseObjectName } = await import('./privileges');
    const cases = [
      { kind: 'table' as const, schema: 'Weird.Schema', name: 'Table With Spaces' },
      { kind: 'table' as const, schema: 'app', name: 'say "hi"' },
      { kind: 'table' as const, schema: 'app', name: 'customers' },
      { kind: 'schema' as const, schema: null, name: 'a.b' },
    ];
    for (const a of cases) {
      const text = objectNameText(a);
      expect(parseObjectName(a.kind, text)).toEqual(a);
    }
    expect(objectNameText(cases[0])).toBe('"Weird.Schema".Table With Spaces');
    expect(objectNameText(cases[2])).toBe('app.customers');
  });
});

describe('pending cells', () => {
  it('marks what staged changes will change on this object, and nothing elsewhere', async () => {
    const { pendingCells } = await import('./privileges');
    const t = { scope: 'object' as const, kind: 'table' as const, schema: 'app', name: 'customers', args: null, columns: [] };
    const staged = [
      { id: 1, change: { action: 'grant' as const, privileges: ['SELECT' as const], on: t, to: ['bob'], with_grant_option: false } },
      { id: 2, change: { action: 'revoke' as const, privileges: ['INSERT' as const], on: { scope: 'all_in_schema' as const, kind: 'table' as const, schema: 'app' }, from: ['public'], grant_option_only: false, cascade: false } },
      { id: 3, change: { action: 'read' as const, on: { ...t, name: 'orders' }, to: 'alice' } },
      { id: 4, change: { action: 'write' as const, on: t, to: 'etl' } },
    ];
    const p = pendingCells(staged, t);
    expect(p.get('bob\u0000SELECT')).toBe('grant');
    expect(p.get('public\u0000INSERT')).toBe('revoke');
    expect(p.get('alice\u0000SELECT')).toBeUndefined();
    expect(p.get('etl\u0000UPDATE')).toBe('grant');
    expect(p.size).toBe(5);
  });
});

describe('grants that depend on a grant option', () => {
  const e = (grantee: string, grantor: string, privilege: 'SELECT' | 'INSERT' = 'INSERT', grantable = false) => ({ grantee, grantor, privilege, grantable });
  const acl = [
    e('owner', 'owner', 'INSERT', true),
    e('select', 'owner', 'INSERT', true),
    e('user', 'select'),
    e('ann', 'select', 'INSERT', true),
    e('ben', 'ann'),
    e('carl', 'owner'),
    e('dan', 'select', 'SELECT'),
  ];

  it('finds the grants made with it, and those made in turn by their grantees', () => {
    expect(dependentGrants(acl, 'INSERT', 'select')).toEqual([e('user', 'select'), e('ann', 'select', 'INSERT', true), e('ben', 'ann')]);
    expect(dependentGrants(acl, 'INSERT', 'ann')).toEqual([e('ben', 'ann')]);
    // Other privileges and other grantors are not dependents; nor is a grant back to the role.
    expect(dependentGrants(acl, 'SELECT', 'select')).toEqual([e('dan', 'select', 'SELECT')]);
    expect(dependentGrants(acl, 'INSERT', 'carl')).toEqual([]);
    expect(dependentGrants([...acl, e('select', 'ann')], 'INSERT', 'select')).toHaveLength(3);
  });
});

describe('role names as typed', () => {
  it('reads a double-quoted name as PostgreSQL does, and anything else as it is', async () => {
    const { typedRoleName } = await import('./privileges');
    expect(typedRoleName(' "user" ')).toBe('user');
    expect(typedRoleName('"Sales ""Team"""')).toBe('Sales "Team"');
    expect(typedRoleName('"PUBLIC"')).toBe('PUBLIC');
    expect(typedRoleName('select')).toBe('select');
    // Not one quoted name: taken as typed, so the error names exactly what was typed.
    expect(typedRoleName('"a" b')).toBe('"a" b');
    expect(typedRoleName('"open')).toBe('"open');
  });
});
