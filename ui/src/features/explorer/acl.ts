// Decoding PostgreSQL aclitem text ("alice=arwd/postgres", "=r/postgres") for display.

import { PRIVILEGES } from '../../registry.gen';
import { PUBLIC, readQuotedName, roleLabel } from '../privileges/privileges';

/** aclitem letters to privilege keywords, from the core's registry. */
const BY_LETTER: Record<string, string> = Object.fromEntries(
  Object.values(PRIVILEGES).map((p) => [p.acl_letter, p.keyword]),
);

export interface AclEntry {
  raw: string;
  /** Role name; "public" (the PUBLIC pseudo-role) for the empty grantee. */
  grantee: string;
  grantor: string;
  privileges: { name: string; grantable: boolean }[];
}

/** Reads one role name, double-quoted or not, from `s` at `i`; returns the name and next index. */
function readRole(s: string, i: number, stop: string): [string, number] {
  if (s[i] === '"') {
    const q = readQuotedName(s, i);
    return [q.name, q.next];
  }
  let out = '';
  while (i < s.length && !stop.includes(s[i])) out += s[i++];
  return [out, i];
}

export function parseAclItem(raw: string): AclEntry | null {
  let [grantee, i] = readRole(raw, 0, '=');
  if (raw[i] !== '=') return null;
  i++;
  const privileges: AclEntry['privileges'] = [];
  while (i < raw.length && raw[i] !== '/') {
    const ch = raw[i++];
    const name = BY_LETTER[ch];
    if (!name) return null;
    const grantable = raw[i] === '*';
    if (grantable) i++;
    privileges.push({ name, grantable });
  }
  if (raw[i] !== '/') return null;
  const [grantor] = readRole(raw, i + 1, '');
  return { raw, grantee: grantee === '' ? PUBLIC : grantee, grantor, privileges };
}

export function describeAcl(e: AclEntry): string {
  const privs = e.privileges.map((p) => (p.grantable ? `${p.name} (with grant option)` : p.name)).join(', ');
  return `${roleLabel(e.grantee)}: ${privs || 'no privileges'} — granted by ${roleLabel(e.grantor)}`;
}
