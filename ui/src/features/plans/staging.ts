// Staged changes: the list a DBA builds before planning, its reducer, and one line of words per
// change. Changes are staged per integration and database, since a plan runs in one database.
// No IPC here.

import type { Change } from '../../gen/Change';
import type { ErrorCode } from '../../gen/ErrorCode';
import type { RunOutcome } from '../../gen/RunOutcome';
import type { Privilege } from '../../gen/Privilege';
import type { Target } from '../../gen/Target';
import { DEFAULT_OBJECT_TYPES, privilegeLabel, quoteNamePart, readQuotedName, roleLabel } from '../privileges/privileges';

export interface Staged {
  id: number;
  change: Change;
}

export type StageAction =
  | { type: 'add'; change: Change; id: number }
  | { type: 'remove'; id: number }
  | { type: 'clear' };

/** Where a plan runs: the integration and the database (its name, never null). */
export interface PlanContext {
  integration: string;
  database: string;
}

export function contextKey(c: PlanContext): string {
  return `${c.integration}\u0000${c.database}`;
}

/** Two changes are the same when their JSON is, privileges and role lists taken as sets. */
export function changeKey(c: Change): string {
  const sorted = (xs: string[]) => [...xs].sort();
  switch (c.action) {
    case 'grant':
      return JSON.stringify([c.action, sorted(c.privileges), c.on, sorted(c.to), c.with_grant_option]);
    case 'revoke':
      return JSON.stringify([c.action, sorted(c.privileges), c.on, sorted(c.from), c.grant_option_only, c.cascade]);
    case 'create_role':
      return JSON.stringify([c.action, c.name]);
    default:
      return JSON.stringify(c);
  }
}

/**
 * The staged list after an action. Adding a change already staged keeps the list as it is; a
 * new role with a name already staged replaces the earlier one (its form was edited).
 */
export function stagingReducer(list: Staged[], action: StageAction): Staged[] {
  switch (action.type) {
    case 'add': {
      const key = changeKey(action.change);
      const i = list.findIndex((s) => changeKey(s.change) === key);
      if (i < 0) return [...list, { id: action.id, change: action.change }];
      if (action.change.action === 'create_role' && JSON.stringify(list[i].change) !== JSON.stringify(action.change)) {
        const out = list.slice();
        out[i] = { id: action.id, change: action.change };
        return out;
      }
      return list;
    }
    case 'remove':
      return list.filter((s) => s.id !== action.id);
    case 'clear':
      return [];
  }
}

/** `TABLE app.customers`, `DATABASE e2e`, `ALL TABLES IN SCHEMA app`. */
export function targetLabel(t: Target): string {
  if (t.scope === 'all_in_schema') {
    const what = t.kind === 'sequence' ? 'SEQUENCES' : t.kind === 'function' ? 'FUNCTIONS' : t.kind === 'procedure' ? 'PROCEDURES' : 'TABLES';
    return `ALL ${what} IN SCHEMA ${t.schema}`;
  }
  let kw: string;
  switch (t.kind) {
    case 'database':
    case 'schema':
    case 'sequence':
    case 'function':
    case 'procedure':
    case 'type':
    case 'domain':
    case 'language':
    case 'parameter':
      kw = t.kind.toUpperCase();
      break;
    case 'foreign_data_wrapper':
      kw = 'FOREIGN DATA WRAPPER';
      break;
    case 'foreign_server':
      kw = 'FOREIGN SERVER';
      break;
    case 'aggregate':
      kw = 'FUNCTION';
      break;
    case 'large_object':
      kw = 'LARGE OBJECT';
      break;
    default:
      kw = 'TABLE';
  }
  let name = t.schema ? `${t.schema}.${t.name}` : t.name;
  if (t.kind === 'function' || t.kind === 'procedure' || t.kind === 'aggregate') name += `(${t.args ?? ''})`;
  if (t.columns.length > 0) name += ` (${t.columns.join(', ')})`;
  return `${kw} ${name}`;
}

const privs = (ps: Privilege[]) => ps.map(privilegeLabel).join(', ');
/** Roles as people read them: PUBLIC for everyone, a role that could pass for it quoted. */
const roles = (rs: string[]) => rs.map(roleLabel).join(', ');

/** One line describing a staged change, close to the SQL it becomes. */
export function describeChange(c: Change): string {
  switch (c.action) {
    case 'grant':
      return `GRANT ${privs(c.privileges)} ON ${targetLabel(c.on)} TO ${roles(c.to)}${c.with_grant_option ? ' WITH GRANT OPTION' : ''}`;
    case 'revoke':
      return `REVOKE ${c.grant_option_only ? 'GRANT OPTION FOR ' : ''}${privs(c.privileges)} ON ${targetLabel(c.on)} FROM ${roles(c.from)}${c.cascade ? ' CASCADE' : ''}`;
    case 'grant_role': {
      const opts: string[] = [];
      if (c.admin) opts.push('ADMIN');
      if (c.inherit !== null) opts.push(`INHERIT ${c.inherit ? 'TRUE' : 'FALSE'}`);
      if (c.set !== null) opts.push(`SET ${c.set ? 'TRUE' : 'FALSE'}`);
      return `GRANT ${roleLabel(c.role)} TO ${roleLabel(c.to)}${opts.length ? ` WITH ${opts.join(', ')}` : ''}`;
    }
    case 'revoke_role':
      return `REVOKE ${roleLabel(c.role)} FROM ${roleLabel(c.from)}`;
    case 'create_role': {
      let s = `CREATE ROLE ${roleLabel(c.name)} ${c.login ? 'LOGIN' : 'NOLOGIN'}`;
      if (c.createrole) s += ' CREATEROLE';
      if (c.password === 'generate_show_once') s += ', generated password';
      if (c.password === 'generate_to_keychain') s += ', generated password in the keychain';
      if (c.valid_until) s += `, valid until ${c.valid_until}`;
      if (c.in_roles.length) s += `, in ${roles(c.in_roles)}`;
      return s;
    }
    case 'default_privileges': {
      let s = 'ALTER DEFAULT PRIVILEGES';
      if (c.for_role) s += ` FOR ROLE ${roleLabel(c.for_role)}`;
      if (c.in_schema) s += ` IN SCHEMA ${quoteNamePart(c.in_schema)}`;
      const on = DEFAULT_OBJECT_TYPES[c.on].sql;
      s += c.grant ? ` GRANT ${privs(c.privileges)} ON ${on} TO ` : ` REVOKE ${privs(c.privileges)} ON ${on} FROM `;
      return s + roles(c.roles) + (c.grant && c.with_grant_option ? ' WITH GRANT OPTION' : '');
    }
    case 'read':
      return `Read access to ${targetLabel(c.on)} for ${roleLabel(c.to)}`;
    case 'write':
      return `Write access to ${targetLabel(c.on)} for ${roleLabel(c.to)}`;
  }
}

/** The role names in a comma- or space-separated list (a double-quoted name as PostgreSQL reads it), without duplicates. */
export function parseRoleList(text: string): string[] {
  const out: string[] = [];
  const sep = /[,\s]/;
  let i = 0;
  while (i < text.length) {
    if (sep.test(text[i])) {
      i++;
      continue;
    }
    let name: string;
    if (text[i] === '"') {
      // A quoted name, as the app shows one: `"user"`, `"Sales Team"`.
      const q = readQuotedName(text, i);
      name = q.name;
      i = q.next;
    } else {
      const start = i;
      while (i < text.length && !sep.test(text[i])) i++;
      name = text.slice(start, i);
    }
    if (name && !out.includes(name)) out.push(name);
  }
  return out;
}

/** A VALID UNTIL value the core accepts: YYYY-MM-DD, an RFC 3339 timestamp or infinity. */
export function validUntilError(text: string): string | null {
  const v = text.trim();
  if (v === '' || v === 'infinity') return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) {
    const d = new Date(`${v}T00:00:00Z`);
    return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v ? 'not a valid date' : null;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v))) {
    return null;
  }
  return 'a date (YYYY-MM-DD), a timestamp with its time zone, or infinity';
}

/** A role name the core would refuse, or null. */
export function roleNameError(name: string): string | null {
  const n = name.trim();
  if (n === '') return 'a name is needed';
  if (new TextEncoder().encode(n).length > 63) return 'at most 63 bytes';
  if (n.startsWith('pg_')) return 'names starting with pg_ are reserved';
  // The core's rule: PostgreSQL reserves "public" and "none"; "PUBLIC" is a legal (if confusing) name.
  if (n === 'public' || n === 'none') return `the role name "${n}" is reserved by PostgreSQL`;
  return null;
}

/** What to do about a failed step of the plan drawer, by error code (never by message text). */
export function planErrorHint(step: 'preview' | 'dry' | 'apply', code: ErrorCode): string | null {
  switch (code) {
    case 'lookup.not_found':
      return step === 'preview'
        ? 'A role or object named by a staged change does not exist (any more): remove or fix that change.'
        : 'The core no longer knows this plan (it expired, or the app restarted): preview it again.';
    case 'input.invalid':
      return step === 'preview' ? 'Fix or remove the change it is about, then preview again.' : null;
    case 'keychain.secret_missing':
      return 'The password of this integration is needed: give it, then try again.';
    case 'connect.auth_failed':
    case 'connect.refused':
    case 'connect.timeout':
    case 'connect.dns':
    case 'connect.tls':
    case 'connect.network':
      return step === 'preview'
        ? 'The server could not be reached: nothing was planned.'
        : 'The server could not be reached: nothing ran. Try again once it is back.';
    default:
      return null;
  }
}

/** What to do after a run that did not go through, by outcome. */
export function runOutcomeHint(outcome: RunOutcome, dry: boolean): string | null {
  switch (outcome) {
    case 'refused':
      return 'Nothing ran: the database changed since the preview, or another apply held the lock. Preview again to plan against what is there now.';
    case 'failed':
      return dry
        ? 'A statement failed or the server did not make every planned change, so applying would fail too: everything was rolled back.'
        : 'A statement failed or the server did not make every planned change: the whole transaction was rolled back and nothing was applied.';
    case 'unknown':
      return 'The connection was lost during COMMIT: the change may or may not have been applied. Refresh the privileges and look before planning again.';
    default:
      return null;
  }
}

/**
 * A short reference to a statement the plan's SQL shows in full: its first line that is not a
 * comment, cut at a word
 * to about `max` characters ("GRANT SELECT ON TABLE "app"."customers" …").
 */
export function statementRef(sql: string, max = 48): string {
  const all = sql.trim().split('\n');
  // A comment line says who runs it, not which statement it is.
  const lines = all.filter((l) => !l.trim().startsWith('--'));
  if (lines.length === 0) lines.push(all[0]);
  const first = lines[0].trim().replace(/;$/, '');
  if (first.length <= max) return lines.length > 1 ? `${first} …` : first;
  const cut = first.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()} …`;
}
