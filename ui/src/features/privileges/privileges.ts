// Privileges for display: reasons in a few words, the matrix of an object's grants, the objects
// the explorer nodes stand for, and what a cell of the matrix lets the user stage. No IPC here.

import type { Change } from '../../gen/Change';
import type { DefaultObjectType } from '../../gen/DefaultObjectType';
import type { DefaultPrivilegeRow } from '../../gen/DefaultPrivilegeRow';
import type { GrantRow } from '../../gen/GrantRow';
import type { MatrixCell } from '../../gen/MatrixCell';
import type { MembershipRow } from '../../gen/MembershipRow';
import type { ObjectAccess } from '../../gen/ObjectAccess';
import type { ObjectGrants } from '../../gen/ObjectGrants';
import type { ObjectKind } from '../../gen/ObjectKind';
import type { ObjectRef } from '../../gen/ObjectRef';
import type { Privilege } from '../../gen/Privilege';
import type { Reason } from '../../gen/Reason';
import type { RelationKind } from '../../gen/RelationKind';
import type { Role } from '../../gen/Role';
import type { Target } from '../../gen/Target';
import { OBJECT_KINDS, PRIVILEGES, RESERVED_WORDS } from '../../registry.gen';
import { formatTime, parsePgTimestamp } from '../../shared/format';
import { pathOf, type TreeNode } from '../explorer/tree';
import type { Staged } from '../plans/staging';

/** The PUBLIC pseudo-role as the core names it (PostgreSQL reserves the role name "public"); a
 *  role named "PUBLIC" or "Public" is that role. */
export const PUBLIC = 'public';

/** A grantee for people, as the core's display_role writes it: PUBLIC for the pseudo-role; a role
 *  as it is when its name is a plain identifier, else double-quoted ("PUBLIC", "public ", "a,b"),
 *  so no role can pass for everyone or for two roles. */
export function roleLabel(role: string): string {
  if (role === PUBLIC) return 'PUBLIC';
  return role.toLowerCase() === PUBLIC ? escapeControls(`"${role.replaceAll('"', '""')}"`) : nameLabel(role);
}

/** A name for people, as the core's display_name writes it: as it is when it is a plain
 *  identifier that is no reserved word, else double-quoted (`"user"`, `"Weird.Schema"`); control
 *  characters made visible (`\n`), so no name can pass for another or for structure. */
export function nameLabel(name: string): string {
  const plain = /^[\p{L}_][\p{L}\p{N}_$]*$/u.test(name) && !RESERVED_WORDS.has(name.toLowerCase());
  return escapeControls(plain ? name : `"${name.replaceAll('"', '""')}"`);
}

/** Control and direction-changing characters as escapes, as the core's escape_controls. */
export function escapeControls(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0) || [0x2028, 0x2029, 0x200e, 0x200f, 0x061c].includes(c) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
      out += `\\u{${c.toString(16).padStart(4, '0')}}`;
    else out += ch;
  }
  return out;
}

/** The privilege as written in SQL: ALTER_SYSTEM is "ALTER SYSTEM". */
export function privilegeLabel(p: Privilege): string {
  return PRIVILEGES[p].keyword;
}

/** A short column header for the matrix (the full name goes in its tooltip). */
export function privilegeAbbrev(p: Privilege): string {
  return PRIVILEGES[p].abbrev;
}

/** What people call a kind of object ("materialized view"), from the core's registry. */
export const OBJECT_KIND_LABEL: Record<ObjectKind, string> = Object.fromEntries(
  Object.values(OBJECT_KINDS).map((k) => [k.kind, k.label]),
) as Record<ObjectKind, string>;

/**
 * Privileges that exist for a kind, from the core's registry: on a server of `versionNum` when it
 * is known (MAINTAIN needs PostgreSQL 17), else every one the newest server has.
 */
export function privilegesOf(kind: ObjectKind, versionNum?: number): Privilege[] {
  return OBJECT_KINDS[kind].privileges.filter((p) => versionNum === undefined || PRIVILEGES[p].since <= versionNum);
}

// ------------------------------------------------------------------------------- reasons

export type ReasonKind = 'superuser' | 'public' | 'owner' | 'direct' | 'inherited' | 'predefined';

export function reasonKind(r: Reason): ReasonKind {
  switch (r.source) {
    case 'superuser':
      return 'superuser';
    case 'public':
      return 'public';
    case 'predefined':
      return 'predefined';
    case 'grant':
      if (r.path.length > 1) return 'inherited';
      return r.owner ? 'owner' : 'direct';
  }
}

export function reasonGrantable(r: Reason): boolean {
  return r.source === 'superuser' || (r.source === 'grant' && (r.grantable || r.owner));
}

/**
 * One reason in a few words: "granted by postgres", "via alice → analysts, granted by postgres",
 * "owner", "PUBLIC (granted by app)", "superuser", "pg_read_all_data via alice → reporting", with
 * ", column x", and a ★ when it may be granted on.
 */
export function formatReason(r: Reason): string {
  let text: string;
  switch (r.source) {
    case 'superuser':
      return 'superuser';
    case 'public':
      text = `PUBLIC (granted by ${roleLabel(r.grantor)})`;
      if (r.column) text += `, column ${nameLabel(r.column)}`;
      return text;
    case 'predefined':
      if (r.path.length <= 1) return `${roleLabel(r.role)} (predefined role)`;
      // The path ends at the predefined role itself: name it once.
      return `${roleLabel(r.role)} via ${(r.path[r.path.length - 1] === r.role ? r.path.slice(0, -1) : r.path).map(roleLabel).join(' → ')}`;
    case 'grant':
      if (r.path.length > 1) {
        text = `via ${r.path.map(roleLabel).join(' → ')}`;
        text += r.owner ? ' (owner)' : `, granted by ${roleLabel(r.grantor)}`;
      } else {
        text = r.owner ? 'owner' : `granted by ${roleLabel(r.grantor)}`;
      }
      if (r.column) text += `, column ${nameLabel(r.column)}`;
      if (r.default_rule) text += ` (default privileges ${r.default_rule})`;
      if (r.grantable && !r.owner) text += ' ★';
      return text;
  }
}

/** Every reason of a cell, one per line (for tooltips). */
export function formatReasons(reasons: Reason[]): string {
  return reasons.map(formatReason).join('\n');
}

// -------------------------------------------------------------------------------- matrix

/** How a held privilege is held, for the mark in its cell (the most direct reason wins). */
export type CellMark = 'none' | 'owner' | 'direct' | 'public' | 'inherited' | 'predefined' | 'superuser';

const MARK_RANK: CellMark[] = ['owner', 'direct', 'public', 'inherited', 'predefined', 'superuser'];

export function cellMark(reasons: Reason[]): CellMark {
  if (reasons.length === 0) return 'none';
  let best = MARK_RANK.length;
  for (const r of reasons) {
    const k = reasonKind(r);
    best = Math.min(best, MARK_RANK.indexOf(k));
  }
  return MARK_RANK[best];
}

/**
 * The symbol of a mark in its cell, so that marks differ by shape as well as by colour: a tick for
 * a grant to the role itself, an arrow for one that comes through a role it inherits, and so on.
 */
export const MARK_GLYPH: Record<CellMark, string> = {
  none: '·',
  owner: 'O',
  direct: '✓',
  public: 'P',
  inherited: '↳',
  predefined: '◆',
  superuser: 'S',
};

/** Words for a mark, for the legend and tooltips. */
export const MARK_LABEL: Record<CellMark, string> = {
  none: 'not held',
  owner: 'as owner',
  direct: 'granted directly',
  public: 'through PUBLIC',
  inherited: 'through a role it inherits',
  predefined: 'through a predefined role',
  superuser: 'as superuser',
};

export interface MatrixViewCell {
  privilege: Privilege;
  held: boolean;
  grantable: boolean;
  mark: CellMark;
  reasons: Reason[];
}

export interface MatrixViewRow {
  role: string;
  login: boolean;
  isPublic: boolean;
  isOwner: boolean;
  cells: MatrixViewCell[];
}

export interface MatrixView {
  privileges: Privilege[];
  rows: MatrixViewRow[];
}

/**
 * The matrix as shown: one column per privilege of the object, one cell per row and column
 * (held or not), the PUBLIC row first, then the owner, then the others in the core's order.
 */
export function buildMatrix(g: ObjectGrants): MatrixView {
  const privileges = g.privileges;
  const rows: MatrixViewRow[] = g.matrix.map((row) => {
    const byPriv = new Map<Privilege, MatrixCell>(row.cells.map((c) => [c.privilege, c]));
    return {
      role: row.role,
      login: row.login,
      isPublic: row.role === PUBLIC,
      isOwner: row.role === g.owner,
      cells: privileges.map((p) => {
        const c = byPriv.get(p);
        const reasons = c?.reasons ?? [];
        return {
          privilege: p,
          held: reasons.length > 0,
          grantable: !!c?.grantable,
          mark: cellMark(reasons),
          reasons,
        };
      }),
    };
  });
  const rank = (r: MatrixViewRow) => (r.isPublic ? 0 : r.isOwner ? 1 : 2);
  // Array.prototype.sort is stable: the core's order is kept within each group.
  rows.sort((a, b) => rank(a) - rank(b));
  return { privileges, rows };
}

// ------------------------------------------------------------------ objects of the tree

/** The icon for an object kind: every kind has its own (KindIcon). */
export function iconKind(kind: ObjectKind): ObjectKind {
  return kind;
}

/** The privilege kind of a relation of the tree (unknown kinds are treated as tables). */
export function objectKindOfRelation(k: RelationKind): ObjectKind {
  return k === 'other' ? 'table' : k;
}

/** Where an object lives and what it is, from the explorer: enough to name it to the core. */
export interface ObjectAddress {
  kind: ObjectKind;
  /** The schema of schema-qualified objects; null for databases and schemas. */
  schema: string | null;
  name: string;
}

export function objectRef(a: ObjectAddress): ObjectRef {
  return { kind: a.kind, schema: a.schema, name: a.name, args: null, column: null };
}

export function objectTarget(a: ObjectAddress): Target {
  return { scope: 'object', kind: a.kind, schema: a.schema, name: a.name, args: null, columns: [] };
}

/** Whether a staged change's target covers the object `t` names (itself, or every object of
 * its kind in its schema). Kinds compare as GRANT does: `table` covers views and the like. */
function covers(on: Target, t: Target): boolean {
  if (t.scope !== 'object') return false;
  const tableLike = (k: ObjectKind) =>
    ['table', 'partitioned_table', 'view', 'materialized_view', 'foreign_table'].includes(k);
  const sameKind = on.kind === t.kind || (tableLike(on.kind) && tableLike(t.kind));
  if (on.scope === 'all_in_schema') return sameKind && on.schema === t.schema;
  return sameKind && on.schema === t.schema && on.name === t.name && on.columns.length === 0;
}

/** The matrix cells that staged changes will change, as `role\u0000PRIVILEGE` → what they do. */
export function pendingCells(staged: Staged[], t: Target): Map<string, 'grant' | 'revoke'> {
  const out = new Map<string, 'grant' | 'revoke'>();
  const mark = (roles: string[], privileges: Privilege[], what: 'grant' | 'revoke') => {
    for (const r of roles) for (const p of privileges) out.set(`${r}\u0000${p}`, what);
  };
  for (const { change: c } of staged) {
    switch (c.action) {
      case 'grant':
        if (covers(c.on, t)) mark(c.to, c.privileges, 'grant');
        break;
      case 'revoke':
        if (covers(c.on, t) && !c.grant_option_only) mark(c.from, c.privileges, 'revoke');
        break;
      case 'read':
        if (covers(c.on, t)) mark([c.to], ['SELECT'], 'grant');
        break;
      case 'write':
        if (covers(c.on, t)) mark([c.to], ['INSERT', 'UPDATE', 'DELETE'], 'grant');
        break;
      default:
        break;
    }
  }
  return out;
}

/** The object an explorer node stands for; null for the integration itself. */
export function nodeAddress(node: TreeNode): ObjectAddress | null {
  switch (node.level) {
    case 'integration':
      return null;
    case 'database':
    case 'schema':
      return { kind: node.level, schema: null, name: node.name };
    case 'relation':
      return { kind: objectKindOfRelation(node.data.kind), schema: pathOf(node).schema, name: node.name };
  }
}

/** Roles sorted for pickers: the cluster's own first, the predefined pg_* ones after. */
export function sortRoles(roles: Role[]): Role[] {
  const pre = (r: Role) => (r.name.startsWith('pg_') ? 1 : 0);
  return [...roles].sort((a, b) => pre(a) - pre(b) || a.name.localeCompare(b.name));
}

/** "app.customers", "database e2e", "schema app". */
export function addressLabel(a: ObjectAddress): string {
  if (a.kind === 'database' || a.kind === 'schema') return `${a.kind} ${nameLabel(a.name)}`;
  return a.schema ? `${nameLabel(a.schema)}.${nameLabel(a.name)}` : nameLabel(a.name);
}

/**
 * The target of the Read/Write shortcuts: one table-like relation, or every table of a schema.
 * Null for anything else (databases, sequences...).
 */
export function shortcutTarget(a: ObjectAddress): Target | null {
  if (a.kind === 'schema') return { scope: 'all_in_schema', kind: 'table', schema: a.name };
  if (a.schema === null) return null;
  if (['table', 'partitioned_table', 'view', 'materialized_view', 'foreign_table'].includes(a.kind)) {
    return objectTarget(a);
  }
  return null;
}

/** One name as `parseObjectName` reads it back: double-quoted when it holds a dot or a quote, or
 * starts or ends with white space. */
export function quoteNamePart(part: string): string {
  return /[."]/.test(part) || part.trim() !== part || part === '' || RESERVED_WORDS.has(part.toLowerCase())
    ? `"${part.replace(/"/g, '""')}"`
    : part;
}

/** The text to prefill for an object (`schema.name`), quoted so that it names exactly it. */
export function objectNameText(a: ObjectAddress): string {
  if (a.kind === 'database' || a.kind === 'schema' || a.schema === null) return quoteNamePart(a.name);
  return `${quoteNamePart(a.schema)}.${quoteNamePart(a.name)}`;
}

/**
 * Reads the double-quoted name that starts at `s[i]` (a `"`), `""` standing for one quote: the name,
 * the index after its closing quote (the end of `s` when it is not closed), and whether it is closed.
 */
export function readQuotedName(s: string, i: number): { name: string; next: number; closed: boolean } {
  let name = '';
  i++;
  while (i < s.length) {
    if (s[i] === '"') {
      if (s[i + 1] !== '"') return { name, next: i + 1, closed: true };
      name += '"';
      i += 2;
    } else {
      name += s[i++];
    }
  }
  return { name, next: i, closed: false };
}

/** A role name as typed: `"Quoted ""Name"""` as PostgreSQL reads it, anything else as it is (trimmed). */
export function typedRoleName(text: string): string {
  const s = text.trim();
  if (s.startsWith('"')) {
    const q = readQuotedName(s, 0);
    if (q.closed && q.next === s.length) return q.name;
  }
  return s;
}

/**
 * An object typed by the user: `name`, `schema.name` or `"Quoted"."Name"`, with the kind chosen
 * apart. Databases and schemas take one name. Null when it cannot be read.
 */
export function parseObjectName(kind: ObjectKind, text: string): ObjectAddress | null {
  const parts: string[] = [];
  let i = 0;
  const s = text.trim();
  if (s === '') return null;
  while (i < s.length) {
    let part = '';
    if (s[i] === '"') {
      const q = readQuotedName(s, i);
      if (!q.closed) return null;
      part = q.name;
      i = q.next;
    } else {
      while (i < s.length && s[i] !== '.') part += s[i++];
      part = part.trim();
    }
    if (part === '') return null;
    parts.push(part);
    if (i < s.length) {
      if (s[i] !== '.') return null;
      i++;
      if (i >= s.length) return null;
    }
  }
  if (kind === 'database' || kind === 'schema') {
    return parts.length === 1 ? { kind, schema: null, name: parts[0] } : null;
  }
  if (parts.length === 2) return { kind, schema: parts[0], name: parts[1] };
  return null;
}

// ------------------------------------------------------------------ staging from a cell

/** A change the user may stage from one cell of the matrix, with its button text. */
export interface CellAction {
  label: string;
  /** The role it is about (the grantee revoked from, or granted to). */
  role: string;
  change: Change;
}

/**
 * What a cell offers: revoking the privilege from each grantee it comes from directly (the row's
 * role, a group it inherits through, or PUBLIC), or granting it when the row does not hold it.
 */
export function cellActions(row: MatrixViewRow, cell: MatrixViewCell, on: Target): CellAction[] {
  const p = cell.privilege;
  const name = privilegeLabel(p);
  if (!cell.held) {
    return [
      {
        label: `Grant ${name} to ${roleLabel(row.role)}`,
        role: row.role,
        change: { action: 'grant', privileges: [p], on, to: [row.role], with_grant_option: false },
      },
    ];
  }
  const from: string[] = [];
  for (const r of cell.reasons) {
    let grantee: string | null = null;
    if (r.source === 'public') grantee = PUBLIC;
    else if (r.source === 'grant' && r.column === null) grantee = r.grantee;
    if (grantee !== null && !from.includes(grantee)) from.push(grantee);
  }
  const out: CellAction[] = [];
  const owner = cell.reasons.some((r) => r.source === 'grant' && r.owner && r.grantee === row.role);
  for (const g of from) {
    const through = g !== row.role;
    out.push({
      label: through
        ? `Revoke ${name} from ${roleLabel(g)} (reaches ${roleLabel(row.role)} through it)`
        : `Revoke ${name} from ${roleLabel(g)}${owner ? ' (its owner)' : ''}`,
      role: g,
      change: { action: 'revoke', privileges: [p], on, from: [g], grant_option_only: false, cascade: false },
    });
  }
  if (cell.reasons.some((r) => r.source === 'grant' && r.path.length === 1 && r.grantable && !r.owner)) {
    out.push({
      label: `Revoke the grant option for ${name} from ${roleLabel(row.role)}`,
      role: row.role,
      change: { action: 'revoke', privileges: [p], on, from: [row.role], grant_option_only: true, cascade: false },
    });
  }
  return out;
}

/** What revoking `privilege` from `grantee` does to the other rows of the matrix: the roles that
 *  hold it through `grantee` (a group they inherit), and whether each keeps it another way. */
export interface RevokeReach {
  role: string;
  /** It also holds the privilege some other way (its own grant, another group, PUBLIC...). */
  keeps: boolean;
}

/** A reason that gives the privilege through `grantee`, a group the row's role inherits. */
function through(r: Reason, grantee: string): boolean {
  return r.source === 'grant' && r.column === null && r.grantee === grantee && r.path.length > 1;
}

export function revokeReach(view: MatrixView, privilege: Privilege, grantee: string): RevokeReach[] {
  const out: RevokeReach[] = [];
  for (const row of view.rows) {
    if (row.role === grantee) continue;
    const cell = row.cells.find((c) => c.privilege === privilege);
    if (!cell || !cell.reasons.some((r) => through(r, grantee))) continue;
    out.push({ role: row.role, keeps: cell.reasons.some((r) => !through(r, grantee)) });
  }
  return out;
}

/**
 * The grants that depend on `grantee`'s grant option for `privilege`: those it made, and those
 * their grantees made in turn. PostgreSQL refuses to revoke the privilege (or its grant option)
 * from `grantee` while they exist, unless with CASCADE, which revokes them too.
 */
export function dependentGrants(acl: GrantRow[], privilege: Privilege, grantee: string): GrantRow[] {
  const out: GrantRow[] = [];
  const queue = [grantee];
  const seen = new Set(queue);
  while (queue.length > 0) {
    const g = queue.shift()!;
    for (const e of acl) {
      if (e.privilege !== privilege || e.grantor !== g || e.grantee === grantee || out.includes(e)) continue;
      out.push(e);
      if (!seen.has(e.grantee)) {
        seen.add(e.grantee);
        queue.push(e.grantee);
      }
    }
  }
  return out;
}

/**
 * The alternative to revoking a privilege from a group: revoking the row's role's membership in
 * the group it reaches `grantee` through (the first step of each path), one change per group.
 */
export function membershipRevokes(row: MatrixViewRow, cell: MatrixViewCell, grantee: string): CellAction[] {
  const out: CellAction[] = [];
  for (const r of cell.reasons) {
    if (!through(r, grantee) || r.source !== 'grant') continue;
    const group = r.path[1];
    if (out.some((a) => a.role === group)) continue;
    out.push({
      label: `Revoke ${roleLabel(row.role)}'s membership in ${roleLabel(group)}`,
      role: group,
      change: { action: 'revoke_role', role: group, from: row.role },
    });
  }
  return out;
}

// -------------------------------------------------------------------- default privileges

/**
 * The kind of object each ALTER DEFAULT PRIVILEGES object type gives privileges on (as the core's
 * DefaultObjectType::object_kind), and whether a rule for it may be IN SCHEMA: schemas and large
 * objects belong to no schema. The privileges of each come from the registry (privilegesOf).
 */
export const DEFAULT_OBJECT_TYPES: Record<DefaultObjectType, { kind: ObjectKind; sql: string; inSchema: boolean }> = {
  tables: { kind: 'table', sql: 'TABLES', inSchema: true },
  sequences: { kind: 'sequence', sql: 'SEQUENCES', inSchema: true },
  functions: { kind: 'function', sql: 'FUNCTIONS', inSchema: true },
  types: { kind: 'type', sql: 'TYPES', inSchema: true },
  schemas: { kind: 'schema', sql: 'SCHEMAS', inSchema: false },
  large_objects: { kind: 'large_object', sql: 'LARGE OBJECTS', inSchema: false },
};

/** The object types a rule IN SCHEMA may be for, in the registry's order. */
export const SCHEMA_DEFAULT_TYPES = (Object.keys(DEFAULT_OBJECT_TYPES) as DefaultObjectType[]).filter(
  (t) => DEFAULT_OBJECT_TYPES[t].inSchema,
);

/** The privileges a default-privileges rule may give on `t`, from the registry. */
export function defaultPrivilegesOf(t: DefaultObjectType, versionNum?: number): Privilege[] {
  return privilegesOf(DEFAULT_OBJECT_TYPES[t].kind, versionNum);
}

/**
 * The rules that objects created in schema `schema` get: its own and the global ones, for the
 * object types that live in a schema (a global rule for new schemas or large objects is about
 * no object of this schema). The schema's own rules first, as the core sorts them.
 */
export function schemaDefaultRows(rows: DefaultPrivilegeRow[], schema: string): DefaultPrivilegeRow[] {
  return rows.filter((r) => DEFAULT_OBJECT_TYPES[r.object_type].inSchema && (r.in_schema === null || r.in_schema === schema));
}

/** The change that takes one grantee's default privileges of one rule away. */
export function defaultRevokeChange(r: DefaultPrivilegeRow): Change {
  return {
    action: 'default_privileges',
    grant: false,
    for_role: r.for_role,
    in_schema: r.in_schema,
    on: r.object_type,
    privileges: r.privileges,
    roles: [r.grantee],
    with_grant_option: false,
  };
}

/** The privileges of a rule for people: "SELECT ★, INSERT" (★: WITH GRANT OPTION). */
export function defaultPrivilegesText(r: DefaultPrivilegeRow): string {
  return r.privileges.map((p) => privilegeLabel(p) + (r.grantable.includes(p) ? ' ★' : '')).join(', ');
}

// ------------------------------------------------------------------------------ role page

/**
 * The objects a role can access whose name, kind or privileges contain every word of `text`
 * ("orders select" finds SELECT on app.orders).
 */
export function filterAccess(access: ObjectAccess[], text: string): ObjectAccess[] {
  const words = text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return access;
  return access.filter((a) => {
    const hay = [a.object, OBJECT_KIND_LABEL[a.kind], ...a.privileges.map((p) => privilegeLabel(p.privilege))]
      .join(' ')
      .toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

/** A role's VALID UNTIL as shown: the words, the exact time for a title, and whether it is past. */
export interface ValidUntil {
  text: string;
  title: string | undefined;
  expired: boolean;
}

/**
 * A role's VALID UNTIL (pg_roles.rolvaliduntil as text) for people: null and 'infinity' never
 * expire, '-infinity' always has, a timestamp is shown as every time is (formatTime, with its UTC
 * offset) and marked when it is past. Text that is no time PostgreSQL writes is shown as it is.
 */
export function validUntilText(v: string | null, now: Date = new Date()): ValidUntil {
  const t = v?.trim() ?? '';
  if (t === '') return { text: 'no expiry', title: undefined, expired: false };
  if (t === 'infinity') return { text: 'no expiry (infinity)', title: "VALID UNTIL 'infinity'", expired: false };
  if (t === '-infinity') {
    return { text: 'expired (-infinity: the password is never valid)', title: "VALID UNTIL '-infinity'", expired: true };
  }
  // A date before the Common Era ("0044-03-15 00:00:00+00 BC") is long past.
  if (/\sBC$/.test(t)) return { text: `${t} — expired`, title: undefined, expired: true };
  const d = parsePgTimestamp(t);
  if (!d) return { text: t, title: undefined, expired: false };
  const expired = d.getTime() <= now.getTime();
  return { text: expired ? `${formatTime(d)} — expired` : formatTime(d), title: d.toISOString(), expired };
}

/** The options of a membership: "ADMIN, INHERIT, SET", or "none". */
export function membershipOptions(m: MembershipRow): string {
  const opts = [m.admin && 'ADMIN', m.inherit && 'INHERIT', m.set && 'SET'].filter(Boolean);
  return opts.length ? opts.join(', ') : 'none';
}

/** Distinct reasons of an object's privileges, in words (one object may list the same path often). */
export function accessReasons(a: ObjectAccess): string[] {
  const out: string[] = [];
  for (const p of a.privileges) {
    for (const r of p.reasons) {
      const t = formatReason(r);
      if (!out.includes(t)) out.push(t);
    }
  }
  return out;
}
