import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../gen/AuditEntry';
import { actionLabel, defaultExportName, exportFormatOf, filterAudit, formatAuditTime, outcomeLabel, outcomeTone } from './audit';

describe('audit display', () => {
  it('colors outcomes', () => {
    expect(outcomeTone('committed')).toBe('ok');
    expect(outcomeTone('rolled_back')).toBe('neutral');
    expect(outcomeTone('refused')).toBe('warn');
    expect(outcomeTone('failed')).toBe('fail');
    expect(outcomeTone('something new')).toBe('neutral');
  });
  it('names actions and outcomes', () => {
    expect(actionLabel('dry_run')).toBe('Dry run');
    expect(actionLabel('apply')).toBe('Apply');
    expect(outcomeLabel('committed')).toBe('applied (committed)');
    expect(outcomeLabel('unknown')).toBe('outcome unknown');
    expect(outcomeLabel('rolled_back')).toBe('rolled back');
    expect(actionLabel('some_new_action')).toBe('some new action');
    expect(outcomeLabel('constructor')).toBe('constructor');
  });
  it('shows times to the second, in local time', () => {
    const t = formatAuditTime('2026-11-21T20:11:29.123Z');
    expect(t).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC[+-]\d{2}:\d{2}$/);
    expect(formatAuditTime('not a time')).toBe('not a time');
  });
  it('filters on any column', () => {
    const e = (id: number, over: Partial<AuditEntry>): AuditEntry => ({
      id, at: '', os_user: 'dba', database_user: 'u', integration_id: 'i', integration_name: 'prod', database_name: 'db',
      action: 'apply', sql: 'GRANT SELECT ON TABLE x TO y;', outcome: 'committed', error: null, duration_ms: 1, statements: 1, ...over,
    });
    const list = [e(1, {}), e(2, { integration_name: 'staging', sql: 'REVOKE ...', outcome: 'failed', error: 'permission denied' })];
    expect(filterAudit(list, '').length).toBe(2);
    expect(filterAudit(list, 'grant').map((x) => x.id)).toEqual([1]);
    expect(filterAudit(list, 'PERMISSION').map((x) => x.id)).toEqual([2]);
    // The words shown and the values exported both match.
    expect(filterAudit(list, 'applied').map((x) => x.id)).toEqual([1]);
    expect(filterAudit(list, 'committed').map((x) => x.id)).toEqual([1]);
  });
});

describe('saving an export', () => {
  it('takes the format from the chosen file name', () => {
    expect(exportFormatOf('/home/dba/log.json')).toBe('json');
    expect(exportFormatOf('/home/dba/LOG.JSON')).toBe('json');
    expect(exportFormatOf('/home/dba/log.csv')).toBe('csv');
    expect(exportFormatOf('/home/dba/log')).toBe('csv');
    expect(exportFormatOf('/home/dba/json.d/log.csv')).toBe('csv');
  });
  it('proposes a dated name', () => {
    expect(defaultExportName(new Date(2026, 0, 5, 23, 59), 'csv')).toBe('grantry-audit-2026-01-05.csv');
  });
});
