import { describe, expect, it } from 'vitest';
import type { Change } from '../../gen/Change';
import type { Target } from '../../gen/Target';
import {
  statementRef,
  changeKey,
  contextKey,
  describeChange,
  parseRoleList,
  planErrorHint,
  runOutcomeHint,
  roleNameError,
  stagingReducer,
  targetLabel,
  validUntilError,
  type Staged,
} from './staging';

const table: Target = { scope: 'object', kind: 'table', schema: 'app', name: 'customers', args: null, columns: [] };
const grantSelect: Change = { action: 'grant', privileges: ['SELECT'], on: table, to: ['alice'], with_grant_option: false };

describe('stagingReducer', () => {
  it('adds, removes and clears', () => {
    let list: Staged[] = [];
    list = stagingReducer(list, { type: 'add', change: grantSelect, id: 1 });
    list = stagingReducer(list, { type: 'add', change: { action: 'revoke_role', role: 'a', from: 'b' }, id: 2 });
    expect(list.map((s) => s.id)).toEqual([1, 2]);
    list = stagingReducer(list, { type: 'remove', id: 1 });
    expect(list.map((s) => s.id)).toEqual([2]);
    expect(stagingReducer(list, { type: 'clear' })).toEqual([]);
  });
  it('keeps one copy of the same change, privileges and roles taken as sets', () => {
    const a: Change = { action: 'grant', privileges: ['SELECT', 'INSERT'], on: table, to: ['b', 'a'], with_grant_option: false };
    const b: Change = { action: 'grant', privileges: ['INSERT', 'SELECT'], on: table, to: ['a', 'b'], with_grant_option: false };
    const once = stagingReducer([], { type: 'add', change: a, id: 1 });
    expect(stagingReducer(once, { type: 'add', change: b, id: 2 })).toBe(once);
    const withOption = stagingReducer(once, { type: 'add', change: { ...b, with_grant_option: true }, id: 3 });
    expect(withOption).toHaveLength(2);
  });
  it('replaces a new role staged again under the same name', () => {
    const r1: Change = { action: 'create_role', name: 'bob', login: true, password: 'none', valid_until: null, in_roles: [] };
    const r2: Change = { ...r1, password: 'generate_show_once' };
    let list = stagingReducer([], { type: 'add', change: r1, id: 1 });
    list = stagingReducer(list, { type: 'add', change: grantSelect, id: 2 });
    list = stagingReducer(list, { type: 'add', change: r2, id: 3 });
    expect(list.map((s) => s.id)).toEqual([3, 2]);
    expect(list[0].change).toEqual(r2);
  });
  it('keys contexts by integration and database', () => {
    expect(contextKey({ integration: 'a', database: 'b' })).not.toBe(contextKey({ integration: 'a', database: 'c' }));
    expect(changeKey(grantSelect)).toBe(changeKey({ ...grantSelect }));
  });
});

describe('describeChange', () => {
  it('reads close to the SQL', () => {
    expect(describeChange(grantSelect)).toBe('GRANT SELECT ON TABLE app.customers TO alice');
    expect(
      describeChange({ action: 'revoke', privileges: ['TEMPORARY'], on: { scope: 'object', kind: 'database', schema: null, name: 'e2e', args: null, columns: [] }, from: ['public'], grant_option_only: false, cascade: false }),
    ).toBe('REVOKE TEMPORARY ON DATABASE e2e FROM PUBLIC');
    // A role named "PUBLIC" is not everyone, and reads so.
    expect(
      describeChange({ action: 'revoke', privileges: ['TEMPORARY'], on: { scope: 'object', kind: 'database', schema: null, name: 'e2e', args: null, columns: [] }, from: ['PUBLIC'], grant_option_only: false, cascade: false }),
    ).toBe('REVOKE TEMPORARY ON DATABASE e2e FROM "PUBLIC"');
    expect(describeChange({ action: 'revoke', privileges: ['SELECT'], on: table, from: ['a'], grant_option_only: true, cascade: true })).toBe(
      'REVOKE GRANT OPTION FOR SELECT ON TABLE app.customers FROM a CASCADE',
    );
    expect(describeChange({ action: 'grant_role', role: 'analysts', to: 'bob', admin: true, inherit: false, set: null })).toBe(
      'GRANT analysts TO bob WITH ADMIN, INHERIT FALSE',
    );
    expect(describeChange({ action: 'create_role', name: 'bob', login: true, password: 'generate_show_once', valid_until: '2027-01-01', in_roles: ['analysts'] })).toBe(
      'CREATE ROLE bob LOGIN, generated password, valid until 2027-01-01, in analysts',
    );
    expect(describeChange({ action: 'read', on: { scope: 'all_in_schema', kind: 'table', schema: 'app' }, to: 'readers' })).toBe(
      'Read access to ALL TABLES IN SCHEMA app for readers',
    );
    expect(describeChange({ action: 'write', on: table, to: 'w' })).toBe('Write access to TABLE app.customers for w');
  });
  it('writes default privileges as ALTER DEFAULT PRIVILEGES, object types as in SQL', () => {
    expect(
      describeChange({ action: 'default_privileges', grant: false, for_role: 'etl', in_schema: 'raw', on: 'tables', privileges: ['SELECT'], roles: ['public'], with_grant_option: false }),
    ).toBe('ALTER DEFAULT PRIVILEGES FOR ROLE etl IN SCHEMA raw REVOKE SELECT ON TABLES FROM PUBLIC');
    expect(
      describeChange({ action: 'default_privileges', grant: true, for_role: null, in_schema: null, on: 'large_objects', privileges: ['SELECT', 'UPDATE'], roles: ['Ann'], with_grant_option: true }),
    ).toBe('ALTER DEFAULT PRIVILEGES GRANT SELECT, UPDATE ON LARGE OBJECTS TO Ann WITH GRANT OPTION');
  });
  it('labels targets of every shape', () => {
    expect(targetLabel({ scope: 'object', kind: 'function', schema: 's', name: 'f', args: 'integer', columns: [] })).toBe('FUNCTION s.f(integer)');
    expect(targetLabel({ ...table, columns: ['id', 'email'] })).toBe('TABLE app.customers (id, email)');
    expect(targetLabel({ scope: 'all_in_schema', kind: 'sequence', schema: 's' })).toBe('ALL SEQUENCES IN SCHEMA s');
    expect(targetLabel({ scope: 'object', kind: 'foreign_server', schema: null, name: 'x', args: null, columns: [] })).toBe('FOREIGN SERVER x');
  });
});

describe('form checks', () => {
  it('reads role lists', () => {
    expect(parseRoleList(' a, b  c,,a ')).toEqual(['a', 'b', 'c']);
    expect(parseRoleList("")).toEqual([]);
    // Quoted names as the app shows them, with spaces, commas and quotes inside.
    expect(parseRoleList(`"user", select "Sales, EU" "a ""b"""`)).toEqual(["user", "select", "Sales, EU", `a "b"`]);
  });
  it('checks VALID UNTIL as the core reads it', () => {
    expect(validUntilError('')).toBeNull();
    expect(validUntilError('infinity')).toBeNull();
    expect(validUntilError('2027-01-01')).toBeNull();
    expect(validUntilError('2027-02-30')).toBe('not a valid date');
    expect(validUntilError('2027-01-01T10:00:00Z')).toBeNull();
    expect(validUntilError('2027-01-01T10:00:00+02:00')).toBeNull();
    expect(validUntilError('next year')).not.toBeNull();
    expect(validUntilError('2027-01-01 10:00')).not.toBeNull();
  });
  it('checks role names', () => {
    expect(roleNameError('bob')).toBeNull();
    expect(roleNameError(' ')).not.toBeNull();
    expect(roleNameError('pg_mine')).not.toBeNull();
    expect(roleNameError('public')).not.toBeNull();
    expect(roleNameError('none')).not.toBeNull();
    expect(roleNameError('PUBLIC')).toBeNull();
    expect(roleNameError('é'.repeat(32))).toBe('at most 63 bytes');
  });
});

describe('hints', () => {
  it('say what to do by error code and step', () => {
    expect(planErrorHint('preview', 'lookup.not_found')).toMatch(/does not exist/);
    expect(planErrorHint('apply', 'lookup.not_found')).toMatch(/preview it again/);
    expect(planErrorHint('apply', 'input.invalid')).toBeNull();
    expect(planErrorHint('dry', 'connect.timeout')).toMatch(/nothing ran/);
    expect(planErrorHint('preview', 'internal')).toBeNull();
  });
  it('say what a refused or failed run means', () => {
    expect(runOutcomeHint('refused', false)).toMatch(/Preview again/);
    expect(runOutcomeHint('failed', true)).toMatch(/rolled back/);
    expect(runOutcomeHint('committed', false)).toBeNull();
    expect(runOutcomeHint('rolled_back', true)).toBeNull();
  });
});

describe('statementRef', () => {
  it('refers to a statement by its first line, short', () => {
    expect(statementRef('GRANT USAGE ON SCHEMA "app" TO "bob";')).toBe('GRANT USAGE ON SCHEMA "app" TO "bob"');
    expect(statementRef('GRANT SELECT ON TABLE "app"."customers", "app"."orders", "app"."invoices" TO "reporting"')).toBe(
      'GRANT SELECT ON TABLE "app"."customers", …',
    );
    expect(statementRef('-- revoked as alice\nREVOKE SELECT ON TABLE "t" FROM "bob";')).toBe('REVOKE SELECT ON TABLE "t" FROM "bob"');
    expect(statementRef('ALTER DEFAULT PRIVILEGES IN SCHEMA "s"\n  GRANT SELECT ON TABLES TO "r";')).toBe('ALTER DEFAULT PRIVILEGES IN SCHEMA "s" …');
  });
});
