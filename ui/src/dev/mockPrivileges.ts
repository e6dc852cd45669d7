// The privilege commands of the stand-in core (dev server only): a small cluster of roles with
// memberships, ACLs per object (built-in defaults until changed), plans, runs and an audit log.
// Simplified on purpose: enough to work on the UI, not a model of PostgreSQL.

import type { AccessChange } from '../gen/AccessChange';
import type { ApplyResult } from '../gen/ApplyResult';
import type { AuditEntry } from '../gen/AuditEntry';
import type { Change } from '../gen/Change';
import type { GrantRow } from '../gen/GrantRow';
import type { Integration } from '../gen/Integration';
import type { MatrixRow } from '../gen/MatrixRow';
import type { ObjectGrants } from '../gen/ObjectGrants';
import type { ObjectKind } from '../gen/ObjectKind';
import type { ObjectRef } from '../gen/ObjectRef';
import type { PlanView } from '../gen/PlanView';
import type { Privilege } from '../gen/Privilege';
import type { Reason } from '../gen/Reason';
import type { Role } from '../gen/Role';
import type { RoleReport } from '../gen/RoleReport';
import type { Target } from '../gen/Target';
import type { WhoCanAnswer } from '../gen/WhoCanAnswer';
import type { Error as GrantryError } from '../gen/Error';
import { privilegesOf } from '../features/privileges/privileges';
import { inspection } from './fixtures';

const fail = (code: GrantryError['code'], message: string): never => {
  throw { code, message, detail: null, field: null };
};

const role = (oid: number, name: string, over: Partial<Role> = {}): Role => ({
  oid,
  name,
  superuser: false,
  inherit: true,
  createrole: false,
  createdb: false,
  login: false,
  replication: false,
  bypassrls: false,
  connection_limit: -1,
  valid_until: null,
  comment: null,
  ...over,
});

interface Member {
  role: string;
  member: string;
  grantor: string;
  admin: boolean;
  inherit: boolean;
  set: boolean;
}

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
const grantee = (g: string) => (g === 'public' ? 'PUBLIC' : q(g));

export function mockPrivileges(find: (name: string) => Integration) {
  let roles: Role[] = [
    role(10, 'postgres', { superuser: true, login: true, createrole: true, createdb: true, replication: true, bypassrls: true }),
    role(16384, 'app_owner', { login: true, comment: 'owns the application schemas' }),
    role(16385, 'analysts', { comment: 'read-only analysts' }),
    role(16386, 'alice', { login: true, valid_until: '2027-01-01 00:00:00+00' }),
    role(16387, 'bob', { login: true, connection_limit: 5 }),
    role(16388, 'reporting'),
    role(16389, 'Data Team'),
    role(6171, 'pg_read_all_data'),
    role(6181, 'pg_write_all_data'),
    role(3373, 'pg_monitor'),
  ];
  let members: Member[] = [
    { role: 'analysts', member: 'alice', grantor: 'postgres', admin: false, inherit: true, set: true },
    { role: 'reporting', member: 'bob', grantor: 'app_owner', admin: true, inherit: true, set: true },
    { role: 'pg_read_all_data', member: 'reporting', grantor: 'postgres', admin: false, inherit: true, set: true },
  ];
  /** Changed ACLs by object key; absent = built-in defaults. */
  const acls = new Map<string, GrantRow[]>();
  const plans = new Map<string, { integration: Integration; database: string; changes: Change[]; view: PlanView }>();
  const audit: AuditEntry[] = [];
  let nextPlan = 1;

  const keyOf = (database: string, kind: ObjectKind, schema: string | null, name: string) => {
    const k = kind === 'database' || kind === 'schema' || kind === 'sequence' ? kind : 'table';
    return `${database}|${k}|${schema ?? ''}|${name}`;
  };
  const ownerOf = (kind: ObjectKind, name: string) => (kind === 'database' && name === 'postgres' ? 'postgres' : 'app_owner');
  const label = (kind: ObjectKind, schema: string | null, name: string) => (kind === 'database' || kind === 'schema' ? name : `${schema}.${name}`);

  function defaults(kind: ObjectKind, owner: string): GrantRow[] {
    const rows: GrantRow[] = privilegesOf(kind)
      .filter((p) => p !== 'MAINTAIN')
      .map((p) => ({ grantee: owner, grantor: owner, privilege: p, grantable: false }));
    if (kind === 'database') {
      rows.push({ grantee: 'public', grantor: owner, privilege: 'CONNECT', grantable: false });
      rows.push({ grantee: 'public', grantor: owner, privilege: 'TEMPORARY', grantable: false });
    }
    return rows;
  }

  function aclOf(database: string, kind: ObjectKind, schema: string | null, name: string): { acl: GrantRow[]; isDefault: boolean } {
    const k = keyOf(database, kind, schema, name);
    let acl = acls.get(k);
    if (!acl && kind === 'table' && name.endsWith('0')) {
      // Some tables come with grants, as if a DBA had been there.
      acl = [
        ...defaults(kind, 'app_owner'),
        { grantee: 'analysts', grantor: 'app_owner', privilege: 'SELECT', grantable: false },
        { grantee: 'Data Team', grantor: 'app_owner', privilege: 'SELECT', grantable: true },
        { grantee: 'Data Team', grantor: 'app_owner', privilege: 'UPDATE', grantable: false },
        { grantee: 'public', grantor: 'app_owner', privilege: 'SELECT', grantable: false },
      ];
      acls.set(k, acl);
    }
    return acl ? { acl, isDefault: false } : { acl: defaults(kind, ownerOf(kind, name)), isDefault: true };
  }

  /** Roles `r` inherits from, with the path to each (r itself first). */
  function reach(r: string): Map<string, string[]> {
    const out = new Map<string, string[]>([[r, [r]]]);
    const queue = [r];
    while (queue.length) {
      const cur = queue.shift()!;
      for (const m of members) {
        if (m.member === cur && m.inherit && !out.has(m.role)) {
          out.set(m.role, [...out.get(cur)!, m.role]);
          queue.push(m.role);
        }
      }
    }
    return out;
  }

  function reasonsOf(r: Role, kind: ObjectKind, owner: string, acl: GrantRow[], p: Privilege): Reason[] {
    const out: Reason[] = [];
    if (r.superuser) return [{ source: 'superuser' }];
    const paths = reach(r.name);
    for (const a of acl) {
      if (a.privilege !== p) continue;
      if (a.grantee === 'public') out.push({ source: 'public', grantor: a.grantor, column: null });
      const path = paths.get(a.grantee);
      if (path) out.push({ source: 'grant', grantee: a.grantee, grantor: a.grantor, path, grantable: a.grantable, owner: a.grantee === owner, column: null, default_rule: null });
    }
    const reader = paths.get('pg_read_all_data');
    if (reader && (p === 'SELECT' || (p === 'USAGE' && kind === 'schema'))) out.push({ source: 'predefined', role: 'pg_read_all_data', path: reader });
    const writer = paths.get('pg_write_all_data');
    if (writer && ['INSERT', 'UPDATE', 'DELETE'].includes(p)) out.push({ source: 'predefined', role: 'pg_write_all_data', path: writer });
    return out;
  }

  function inspect(database: string, o: ObjectRef) {
    const kind = o.kind;
    const owner = ownerOf(kind, o.name);
    const { acl, isDefault } = aclOf(database, kind, o.schema, o.name);
    return { kind, owner, acl, isDefault, object: label(kind, o.schema, o.name) };
  }

  function whoCan(database: string, o: ObjectRef, p: Privilege): WhoCanAnswer {
    const x = inspect(database, o);
    const pub = x.acl.filter((a) => a.grantee === 'public' && a.privilege === p).map((a): Reason => ({ source: 'public', grantor: a.grantor, column: null }));
    const list = roles
      .map((r) => {
        const reasons = reasonsOf(r, x.kind, x.owner, x.acl, p);
        const grantable = r.superuser || reasons.some((z) => z.source === 'grant' && (z.grantable || z.owner));
        return { role: r.name, login: r.login, grantable, reasons };
      })
      .filter((a) => a.reasons.length > 0);
    return { object: x.object, privilege: p, public: pub, roles: list, partial: [], inspection: inspection() };
  }

  function objectGrants(database: string, o: ObjectRef): ObjectGrants {
    const x = inspect(database, o);
    const privileges = privilegesOf(x.kind).filter((p) => p !== 'MAINTAIN');
    const rows = new Map<string, MatrixRow>();
    for (const p of privileges) {
      const w = whoCan(database, o, p);
      if (w.public.length) {
        if (!rows.has('public')) rows.set('public', { role: 'public', login: false, cells: [] });
        rows.get('public')!.cells.push({ privilege: p, grantable: false, reasons: w.public });
      }
      for (const a of w.roles) {
        if (a.reasons.every((r) => r.source === 'public')) continue;
        if (!rows.has(a.role)) rows.set(a.role, { role: a.role, login: a.login, cells: [] });
        rows.get(a.role)!.cells.push({ privilege: p, grantable: a.grantable, reasons: a.reasons });
      }
    }
    return {
      object: x.object,
      kind: x.kind,
      owner: x.owner,
      default_acl: x.isDefault,
      privileges,
      acl: x.acl,
      matrix: [...rows.values()].sort((a, b) => (a.role < b.role ? -1 : 1)),
      default_privileges: [],
      inspection: inspection(),
    };
  }

  const targetSql = (t: Target) => {
    if (t.scope === 'all_in_schema') return `ALL TABLES IN SCHEMA ${q(t.schema)}`;
    const kw = t.kind === 'database' ? 'DATABASE' : t.kind === 'schema' ? 'SCHEMA' : t.kind === 'sequence' ? 'SEQUENCE' : 'TABLE';
    return `${kw} ${t.schema ? `${q(t.schema)}.` : ''}${q(t.name)}`;
  };
  const targetObject = (t: Target) => (t.scope === 'object' ? label(t.kind, t.schema, t.name) : `${t.schema}.*`);
  const needRole = (name: string, created: string[]) => {
    if (name !== 'public' && !roles.some((r) => r.name === name) && !created.includes(name)) fail('lookup.not_found', `no role named "${name}"`);
  };

  function plan(integration: string, database: string, changes: Change[]): PlanView {
    const it = find(integration);
    if (changes.length === 0) fail('input.invalid', 'the plan has no changes');
    const statements: { sql: string; purpose: string }[] = [];
    const access: AccessChange[] = [];
    const warnings: string[] = [];
    const noops: string[] = [];
    const created: string[] = [];
    const passwords: string[] = [];
    const gain = (role: string, t: Target, ps: Privilege[], delta: 'gained' | 'lost') => {
      for (const p of ps) access.push({ role, object: targetObject(t), kind: t.kind, privilege: p, delta });
    };
    for (const c of changes) {
      switch (c.action) {
        case 'grant':
          c.to.forEach((g) => needRole(g, created));
          statements.push({ sql: `GRANT ${c.privileges.map((p) => p.replace('_', ' ')).join(', ')} ON ${targetSql(c.on)} TO ${c.to.map(grantee).join(', ')}${c.with_grant_option ? ' WITH GRANT OPTION' : ''}`, purpose: `grant to ${c.to.join(', ')}` });
          c.to.forEach((g) => gain(g, c.on, c.privileges, 'gained'));
          for (const g of c.to) {
            const n = members.filter((m) => m.role === g).length;
            if (n) warnings.push(`granting to ${g} also reaches ${n} role(s) that inherit from it`);
          }
          break;
        case 'revoke':
          c.from.forEach((g) => needRole(g, created));
          statements.push({ sql: `REVOKE ${c.grant_option_only ? 'GRANT OPTION FOR ' : ''}${c.privileges.map((p) => p.replace('_', ' ')).join(', ')} ON ${targetSql(c.on)} FROM ${c.from.map(grantee).join(', ')}${c.cascade ? ' CASCADE' : ''}`, purpose: `revoke from ${c.from.join(', ')}` });
          if (!c.grant_option_only) c.from.forEach((g) => gain(g, c.on, c.privileges, 'lost'));
          break;
        case 'create_role':
          if (roles.some((r) => r.name === c.name)) {
            noops.push(`CREATE ROLE ${c.name}: the role exists`);
            break;
          }
          created.push(c.name);
          if (c.password !== 'none') passwords.push(c.name);
          statements.push({ sql: `CREATE ROLE ${q(c.name)} ${c.login ? 'LOGIN' : 'NOLOGIN'}${c.password !== 'none' ? " PASSWORD 'SCRAM-SHA-256$4096:…'" : ''}${c.valid_until ? ` VALID UNTIL '${c.valid_until}'` : ''}${c.in_roles.length ? ` IN ROLE ${c.in_roles.map(q).join(', ')}` : ''}`, purpose: `create role ${c.name}` });
          break;
        case 'grant_role': {
          needRole(c.role, created);
          needRole(c.to, created);
          const opts = [c.admin && 'ADMIN TRUE', c.inherit !== null && `INHERIT ${c.inherit ? 'TRUE' : 'FALSE'}`, c.set !== null && `SET ${c.set ? 'TRUE' : 'FALSE'}`].filter(Boolean);
          statements.push({ sql: `GRANT ${q(c.role)} TO ${q(c.to)}${opts.length ? ` WITH ${opts.join(', ')}` : ''}`, purpose: `GRANT ${c.role} TO ${c.to}` });
          break;
        }
        case 'revoke_role':
          statements.push({ sql: `REVOKE ${q(c.role)} FROM ${q(c.from)}`, purpose: `REVOKE ${c.role} FROM ${c.from}` });
          break;
        case 'read':
        case 'write': {
          if (!roles.some((r) => r.name === c.to) && !created.includes(c.to)) {
            created.push(c.to);
            statements.push({ sql: `CREATE ROLE ${q(c.to)} NOLOGIN`, purpose: `create role ${c.to}` });
          }
          const schema = c.on.scope === 'all_in_schema' ? c.on.schema : (c.on.schema ?? '');
          statements.push({ sql: `GRANT USAGE ON SCHEMA ${q(schema)} TO ${q(c.to)}`, purpose: 'so the tables can be reached' });
          const ps: Privilege[] = c.action === 'read' ? ['SELECT'] : ['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'];
          statements.push({ sql: `GRANT ${ps.join(', ')} ON ${targetSql(c.on)} TO ${q(c.to)}`, purpose: `${c.action} access for ${c.to}` });
          gain(c.to, c.on, ps, 'gained');
          break;
        }
        case 'default_privileges':
          statements.push({ sql: 'ALTER DEFAULT PRIVILEGES …', purpose: 'default privileges' });
          break;
      }
    }
    const script = statements.map((s) => `${s.sql};\n`).join('');
    const view: PlanView = {
      id: `plan-${nextPlan++}`,
      integration: it.name,
      production: it.environment === 'production',
      read_only: it.read_only,
      plan: { database, statements, script, access_changes: access, warnings, blocking: [], noops, fingerprint: 'f00d', scope: null, generated_passwords_for: passwords },
    };
    plans.set(view.id, { integration: it, database, changes, view });
    return view;
  }

  function applyChanges(database: string, changes: Change[]): void {
    const edit = (t: Target, fn: (acl: GrantRow[]) => GrantRow[]) => {
      if (t.scope !== 'object') return;
      const cur = aclOf(database, t.kind, t.schema, t.name).acl;
      acls.set(keyOf(database, t.kind, t.schema, t.name), fn(cur.slice()));
    };
    for (const c of changes) {
      if (c.action === 'create_role') {
        if (!roles.some((r) => r.name === c.name)) roles = [...roles, role(20000 + roles.length, c.name, { login: c.login, valid_until: c.valid_until })];
        for (const g of c.in_roles) members = [...members, { role: g, member: c.name, grantor: 'postgres', admin: false, inherit: true, set: true }];
      } else if (c.action === 'grant') {
        edit(c.on, (acl) => [...acl, ...c.to.flatMap((g) => c.privileges.map((p) => ({ grantee: g, grantor: 'app_owner', privilege: p, grantable: c.with_grant_option })))]);
      } else if (c.action === 'revoke') {
        edit(c.on, (acl) => acl.filter((a) => !(c.from.includes(a.grantee) && c.privileges.includes(a.privilege))));
      } else if (c.action === 'grant_role') {
        members = [...members, { role: c.role, member: c.to, grantor: 'postgres', admin: c.admin, inherit: c.inherit ?? true, set: c.set ?? true }];
      } else if (c.action === 'revoke_role') {
        members = members.filter((m) => !(m.role === c.role && m.member === c.from));
      } else if (c.action === 'read' || c.action === 'write') {
        if (!roles.some((r) => r.name === c.to)) roles = [...roles, role(20000 + roles.length, c.to)];
        const ps: Privilege[] = c.action === 'read' ? ['SELECT'] : ['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'];
        edit(c.on, (acl) => [...acl, ...ps.map((p) => ({ grantee: c.to, grantor: 'app_owner', privilege: p, grantable: false }))]);
      }
    }
  }

  function run(id: string, dry: boolean, confirm: string | null): ApplyResult {
    const p = plans.get(id) ?? fail('lookup.not_found', 'the plan is unknown or expired: plan again');
    const it = p.integration;
    if (!dry && it.read_only) fail('input.invalid', `integration "${it.name}" is read-only: Grantry does not apply changes to it`);
    if (!dry && it.environment === 'production' && confirm !== it.name) fail('input.invalid', `"${it.name}" is a production integration: type its name to confirm the apply`);
    const bad = p.view.plan.statements.findIndex((s) => s.sql.includes('"fail"'));
    const statements = p.view.plan.statements.map((s, i) => ({
      sql: s.sql,
      outcome: bad >= 0 && i > bad ? ('skipped' as const) : i === bad ? ('failed' as const) : ('ok' as const),
      elapsed_ms: 1 + i,
      error: i === bad ? 'permission denied to create role' : null,
      code: i === bad ? '42501' : null,
      notices: [],
    }));
    const outcome = bad >= 0 ? 'failed' : dry ? 'rolled_back' : 'committed';
    const message =
      outcome === 'failed' ? 'a statement failed: nothing was applied' : dry ? `dry run: ${statements.length} statement(s) ran and were rolled back` : `applied ${statements.length} statement(s)`;
    if (outcome === 'committed') {
      applyChanges(p.database, p.changes);
      plans.delete(id);
    }
    audit.unshift({
      id: audit.length + 1,
      at: new Date().toISOString(),
      os_user: 'dba',
      database_user: it.connection.username,
      integration_id: it.id,
      integration_name: it.name,
      database_name: p.database,
      action: dry ? 'dry_run' : 'apply',
      sql: p.view.plan.script,
      outcome,
      error: statements.find((s) => s.error)?.error ?? null,
      duration_ms: 12,
      statements: statements.length,
    });
    return {
      report: {
        dry_run: dry,
        outcome,
        message,
        statements,
        duration_ms: 12,
        checks_ms: 3,
        generated_passwords: outcome === 'committed' ? p.view.plan.generated_passwords_for.map((r) => ({ role: r, password: 'mock-Pw-7Hq2xZ9vKc4LmN8r', in_keychain: false })) : [],
      },
      verified: outcome === 'committed' ? p.view.plan.access_changes.map((change) => ({ change, confirmed: true })) : [],
    };
  }

  function roleReport(database: string, name: string): RoleReport {
    const r = roles.find((x) => x.name === name) ?? fail('lookup.not_found', `no role named "${name}"`);
    const access = [];
    let index = 0;
    for (const [kind, schema, obj] of [
      ['database', null, database],
      ['schema', null, 'public'],
      ['schema', null, 'sales'],
      ['table', 'public', `public_${database}_000000`],
      ['table', 'public', `public_${database}_000010`],
      ['table', 'sales', `sales_${database}_000001`],
    ] as [ObjectKind, string | null, string][]) {
      const ref: ObjectRef = { kind, schema, name: obj, args: null, column: null };
      const x = inspect(database, ref);
      const privileges = privilegesOf(kind)
        .filter((p) => p !== 'MAINTAIN')
        .map((p) => {
          const reasons = reasonsOf(r, kind, x.owner, x.acl, p);
          const pub = x.acl.some((a) => a.grantee === 'public' && a.privilege === p);
          return { privilege: p, grantable: r.superuser || reasons.some((z) => z.source === 'grant' && (z.grantable || z.owner)), reasons: pub ? [...reasons, { source: 'public' as const, grantor: x.owner, column: null }] : reasons };
        })
        .filter((p) => p.reasons.length > 0);
      if (privileges.length) access.push({ kind, object: x.object, index: index++, privileges });
    }
    return {
      role: r,
      member_of: members.filter((m) => m.member === name),
      members: members.filter((m) => m.role === name),
      inherits_from: [...reach(name).keys()].filter((k) => k !== name),
      access,
      inspection: inspection(),
    };
  }

  const csv = (v: unknown) => {
    const s = String(v ?? '');
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };

  return {
    object_grants: (a: Record<string, unknown>) => objectGrants((a.database as string) ?? 'postgres', a.object as ObjectRef),
    who_can: (a: Record<string, unknown>) => {
      const o = a.object as ObjectRef;
      const p = a.privilege as Privilege;
      if (!privilegesOf(o.kind).includes(p)) fail('input.invalid', `${p.toLowerCase()} does not apply to a ${o.kind}`);
      return whoCan((a.database as string) ?? 'postgres', o, p);
    },
    role_report: (a: Record<string, unknown>) => roleReport((a.database as string) ?? 'postgres', a.role as string),
    list_roles: () => roles,
    plan_changes: (a: Record<string, unknown>) => plan(a.integration as string, (a.database as string) ?? 'postgres', a.changes as Change[]),
    run_plan: (a: Record<string, unknown>) => run(a.plan as string, a.dry as boolean, (a.confirm as string | null) ?? null),
    refresh_privileges: () => null,
    audit_log: (a: Record<string, unknown>) => audit.slice(0, a.limit as number),
    audit_export: (a: Record<string, unknown>) => {
      if (a.format === 'json') return JSON.stringify(audit, null, 2);
      if (a.format !== 'csv') fail('input.invalid', `unknown export format "${String(a.format)}": csv or json`);
      const cols = ['id', 'at', 'os_user', 'database_user', 'integration_name', 'database_name', 'action', 'outcome', 'statements', 'duration_ms', 'error', 'sql'] as const;
      return [cols.join(','), ...audit.map((e) => cols.map((c) => csv(e[c])).join(','))].join('\n') + '\n';
    },
    audit_save: (a: Record<string, unknown>) => ({ path: a.path as string, bytes: 0, entries: audit.length }),
  };
}
