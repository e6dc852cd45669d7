import { describe, expect, it } from 'vitest';
import type { SchemaStats } from '../../gen/SchemaStats';
import { schemaSizeText } from './stats';

const stats = (over: Partial<SchemaStats>): SchemaStats => ({
  relation_count: 3,
  size_bytes: 24576,
  size_estimated: false,
  estimated_rows: 0,
  ...over,
});

describe('schema size', () => {
  it('shows a measured size as measured, 0 B included (empty tables take no page)', () => {
    expect(schemaSizeText(stats({}))).toEqual({ size: '24 kB', note: '(tables, indexes and TOAST, measured)' });
    expect(schemaSizeText(stats({ size_bytes: 0 })).size).toBe('0 B');
  });

  it('does not call a relpages sum of 0 a size: relpages is 0 until VACUUM or ANALYZE', () => {
    const t = schemaSizeText(stats({ relation_count: 12000, size_bytes: 0, size_estimated: true }));
    expect(t.size).toBe('not yet estimated');
    expect(t.note).toContain('relpages');
    expect(t.note).toContain('VACUUM or ANALYZE');
    expect(t.size).not.toContain('0 B');
  });

  it('marks an estimate as approximate and says how fresh it is', () => {
    const t = schemaSizeText(stats({ relation_count: 12000, size_bytes: 8192 * 1500, size_estimated: true }));
    expect(t.size).toBe('~12 MB');
    expect(t.note).toContain("as of each table's last VACUUM or ANALYZE");
  });
});
