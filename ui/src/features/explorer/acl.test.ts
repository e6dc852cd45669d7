import { describe, expect, it } from 'vitest';
import { describeAcl, parseAclItem } from './acl';

describe('parseAclItem', () => {
  it('reads grantee, privileges and grantor', () => {
    const e = parseAclItem('alice=arwd/postgres')!;
    expect(e.grantee).toBe('alice');
    expect(e.grantor).toBe('postgres');
    expect(e.privileges.map((p) => p.name)).toEqual(['INSERT', 'SELECT', 'UPDATE', 'DELETE']);
  });
  it('reads PUBLIC, grant options and quoted names', () => {
    expect(parseAclItem('=r/owner')!.grantee).toBe('public');
    const e = parseAclItem('"Data ""Team"""=r*w/"Big Boss"')!;
    expect(e.grantee).toBe('Data "Team"');
    expect(e.grantor).toBe('Big Boss');
    expect(e.privileges).toEqual([
      { name: 'SELECT', grantable: true },
      { name: 'UPDATE', grantable: false },
    ]);
    // Names that are not plain identifiers are quoted, as the core's display_role does.
    expect(describeAcl(e)).toBe('"Data ""Team""": SELECT (with grant option), UPDATE — granted by "Big Boss"');
    expect(describeAcl(parseAclItem('=r/owner')!)).toBe('PUBLIC: SELECT — granted by owner');
    expect(describeAcl(parseAclItem('PUBLIC=r/owner')!)).toBe('"PUBLIC": SELECT — granted by owner');
  });
  it('refuses what is not an aclitem', () => {
    expect(parseAclItem('nonsense')).toBeNull();
    expect(parseAclItem('a=Z/b')).toBeNull();
  });
});
