import { describe, expect, it } from 'vitest';
import { endpointOf, environmentTagGuess, parseTagFilter, pickId, tagsLabel, useFound } from './discovery';
import { emptyForm } from './wizard';
import type { RdsDatabase } from '../../../gen/RdsDatabase';

const db = (id: string, type: 'instance' | 'cluster', tags: Record<string, string> = {}): RdsDatabase => ({
  target: type === 'cluster' ? { type, id, reader: false } : { type, id },
  id,
  engine: type === 'cluster' ? 'aurora-postgresql' : 'postgres',
  engine_version: '16.3',
  status: 'available',
  host: `${id}.x.eu-west-1.rds.amazonaws.com`,
  port: 5432,
  reader_host: null,
  iam_auth: true,
  database: 'orders',
  master_username: 'admin',
  tags,
});

describe('discovery in the wizard', () => {
  it('reads a tag filter', () => {
    expect(parseTagFilter(' env=prod, team ,')).toEqual({ tags: [['env', 'prod'], ['team', null]], error: null });
    expect(parseTagFilter('a==b').tags).toEqual([['a', '=b']]);
    expect(parseTagFilter('=x').error).toMatch(/key is empty/);
    expect(parseTagFilter('').tags).toEqual([]);
  });

  it('names a shared id by its kind', () => {
    const a = db('orders', 'instance');
    const b = db('orders', 'cluster');
    expect(pickId(a, [a, b])).toBe('instance:orders');
    expect(pickId(a, [a])).toBe('orders');
  });

  it('shows endpoints, tags and the likely environment tag', () => {
    const a = db('pg1', 'instance', { env: 'prod', team: 'billing' });
    expect(endpointOf(a)).toBe('pg1.x.eu-west-1.rds.amazonaws.com:5432');
    expect(endpointOf({ ...a, host: null, status: 'creating' })).toBe('no endpoint yet (creating)');
    expect(tagsLabel(a)).toBe('env=prod · team=billing');
    expect(environmentTagGuess([a])).toBe('env');
    expect(environmentTagGuess([db('x', 'instance', { team: 'a' })])).toBe('');
  });

  it('fills the target, and the name and database only when empty', () => {
    const f = useFound(emptyForm('aws_rds'), db('aur', 'cluster'));
    expect([f.rdsTarget, f.rdsId, f.name, f.database]).toEqual(['cluster', 'aur', 'aur', 'orders']);
    const g = useFound({ ...emptyForm('aws_rds'), name: 'mine', database: 'app' }, db('pg', 'instance'));
    expect([g.rdsTarget, g.name, g.database]).toEqual(['instance', 'mine', 'app']);
  });
});
