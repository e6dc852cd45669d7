// The connector setup's choices in the UI: the platform (with its login) of a wizard's form or a
// saved integration, and the databases a script written without a server names. No IPC here.

import type { Integration } from '../../gen/Integration';
import type { Platform } from '../../gen/Platform';
import type { SetupStep } from '../../gen/SetupStep';

/** The connector user a setup suggests. */
export const DEFAULT_CONNECTOR = 'grantry';

export type SetupKind = Platform['kind'];

/** The platform of `kind`, its connector logging in with a token (IAM, Entra ID) or a password. */
export function platformOf(kind: SetupKind, token: boolean): Platform {
  switch (kind) {
    case 'aws_rds':
      return { kind, iam: token };
    case 'azure':
      return { kind, entra: token };
    default:
      return { kind: 'self_hosted' };
  }
}

/** The platform a saved integration is on, with the login it uses. */
export function integrationPlatform(it: Integration): Platform {
  const c = it.connection;
  if (c.kind === 'aws_rds') return platformOf('aws_rds', c.auth === 'iam');
  if (c.kind === 'azure') return platformOf('azure', c.auth.method !== 'password');
  return platformOf('self_hosted', false);
}

/** Whether `p`'s connector logs in with a token. */
export function tokenLogin(p: Platform): boolean {
  return p.kind === 'aws_rds' ? p.iam : p.kind === 'azure' ? p.entra : false;
}

/** What the token login of a platform is called (null: it has none). */
export function tokenLabel(kind: SetupKind): string | null {
  return kind === 'aws_rds' ? 'IAM token' : kind === 'azure' ? 'Entra ID token' : null;
}

/** The databases a script without a server names: the integration's, then template1 (for later databases). */
export function scriptDatabases(database: string): string[] {
  const first = database.trim() === '' ? 'postgres' : database;
  return first === 'template1' ? [first] : [first, 'template1'];
}

/** A step's place: what can be staged now, and why a step cannot. */
export function stepState(step: SetupStep, index: number): { stageable: boolean; why: string | null } {
  if (step.needs_role) {
    return { stageable: false, why: 'after step 1 is applied' };
  }
  if (step.changes.length === 0) return { stageable: false, why: index === 0 ? 'Nothing to do.' : null };
  return { stageable: true, why: null };
}
