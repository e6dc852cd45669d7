import { describe, expect, it } from 'vitest';
import { integrationPlatform, platformOf, scriptDatabases, stepState, tokenLogin } from './setup';
import type { Integration } from '../../gen/Integration';
import type { SetupStep } from '../../gen/SetupStep';

describe('connector setup choices', () => {
  it('gives each kind its platform and login', () => {
    expect(platformOf('self_hosted', true)).toEqual({ kind: 'self_hosted' });
    expect(platformOf('aws_rds', true)).toEqual({ kind: 'aws_rds', iam: true });
    expect(platformOf('azure', false)).toEqual({ kind: 'azure', entra: false });
    expect(tokenLogin({ kind: 'azure', entra: true })).toBe(true);
    expect(tokenLogin({ kind: 'self_hosted' })).toBe(false);
  });

  it('reads the platform of a saved integration', () => {
    const rds = { connection: { kind: 'aws_rds', auth: 'iam' } } as unknown as Integration;
    expect(integrationPlatform(rds)).toEqual({ kind: 'aws_rds', iam: true });
    const az = { connection: { kind: 'azure', auth: { method: 'password' } } } as unknown as Integration;
    expect(integrationPlatform(az)).toEqual({ kind: 'azure', entra: false });
  });

  it('names the database and template1 once each', () => {
    expect(scriptDatabases('')).toEqual(['postgres', 'template1']);
    expect(scriptDatabases('app')).toEqual(['app', 'template1']);
    expect(scriptDatabases('template1')).toEqual(['template1']);
  });

  it('lets a step be staged only once its role exists', () => {
    const step = (needs_role: boolean, n: number): SetupStep => ({
      database: 'd',
      purpose: 'p',
      needs_role,
      changes: Array.from({ length: n }, () => ({ action: 'grant_role', role: 'g', to: 'u', admin: false }) as never),
    });
    expect(stepState(step(true, 3), 1)).toEqual({ stageable: false, why: expect.stringContaining('after step 1') });
    expect(stepState(step(false, 3), 1).stageable).toBe(true);
    expect(stepState(step(false, 0), 0).stageable).toBe(false);
  });
});
