import { describe, expect, it, vi } from 'vitest';
import {
  formatAgo,
  formatBytes,
  formatCompact,
  formatCount,
  formatCapped,
  formatEndpoint,
  formatEndpointShort,
  formatMs,
  formatPgTimestamp,
  formatRows,
  formatTime,
  plural,
  pluralCapped,
  formatUtcOffset,
  parsePgTimestamp,
  pgTimestampTitle,
  timeDisplay,
  timeWithAge,
} from './format';

// Times are shown in local time: these tests run in one zone with daylight saving time.
vi.stubEnv('TZ', 'Europe/Paris');

describe('formatBytes', () => {
  it('shows small sizes in bytes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1023)).toBe('1023 B');
  });
  it('uses base 1024 with one decimal below 10', () => {
    expect(formatBytes(1024)).toBe('1.0 kB');
    expect(formatBytes(8192)).toBe('8.0 kB');
    expect(formatBytes(1536)).toBe('1.5 kB');
    expect(formatBytes(137 * 1024 * 1024)).toBe('137 MB');
    expect(formatBytes(5 * 1024 ** 4)).toBe('5.0 TB');
  });
  it('carries into the next unit instead of printing 1024', () => {
    expect(formatBytes(1024 * 1024 - 1)).toBe('1.0 MB');
    expect(formatBytes(1023.6 * 1024)).toBe('1.0 MB');
  });
  it('shows a dash for unknown sizes', () => {
    expect(formatBytes(null)).toBe('—');
    expect(formatBytes(undefined)).toBe('—');
    expect(formatBytes(-1)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
  });
});

describe('row counts', () => {
  it('compacts large numbers', () => {
    expect(formatCompact(0)).toBe('0');
    expect(formatCompact(950)).toBe('950');
    expect(formatCompact(1000)).toBe('1k');
    expect(formatCompact(12_345)).toBe('12k');
    expect(formatCompact(1_250)).toBe('1.3k');
    expect(formatCompact(4_500_000)).toBe('4.5M');
    expect(formatCompact(1_200_000_000)).toBe('1.2B');
  });
  it('rounds 999,999 up to 1.0M rather than 1000k', () => {
    expect(formatCompact(999_999)).toBe('1.0M');
  });
  it('marks estimated rows and hides unknown ones', () => {
    expect(formatRows(12_300)).toBe('~12k');
    expect(formatRows(7)).toBe('~7');
    expect(formatRows(null)).toBe('');
    expect(formatRows(-1)).toBe('');
  });
  it('groups thousands', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCapped(1000, true)).toBe('1,000+');
    expect(formatCapped(5, false)).toBe('5');
    expect(formatCount(-1000)).toBe('-1,000');
    expect(formatCount(null)).toBe('—');
  });
});

describe('timestamps', () => {
  it('parses PostgreSQL timestamptz text', () => {
    expect(parsePgTimestamp('2025-11-21 19:26:10.123456+00')?.toISOString()).toBe('2025-11-21T19:26:10.123Z');
    expect(parsePgTimestamp('2025-11-21 19:26:10+05:30')?.toISOString()).toBe('2025-11-21T13:56:10.000Z');
    expect(parsePgTimestamp('2025-11-21T19:26:10Z')?.toISOString()).toBe('2025-11-21T19:26:10.000Z');
    expect(parsePgTimestamp('yesterday')).toBeNull();
    expect(parsePgTimestamp(null)).toBeNull();
  });
  it('says how long ago', () => {
    const now = new Date('2025-11-21T12:00:00Z');
    expect(formatAgo(new Date('2025-11-21T11:59:30Z'), now)).toBe('30 s ago');
    expect(formatAgo(new Date('2025-11-21T11:00:00Z'), now)).toBe('1 h ago');
    expect(formatAgo(new Date('2025-11-18T12:00:00Z'), now)).toBe('3 d ago');
  });
  it('formats vacuum times, and never', () => {
    const now = new Date('2025-11-21T12:00:00Z');
    expect(formatPgTimestamp('2025-11-21 10:00:00.5+00', now)).toBe('2025-11-21 11:00:00 UTC+01:00 (2 h ago)');
    expect(pgTimestampTitle('2025-11-21 10:00:00.5+00')).toBe('2025-11-21T10:00:00.500Z');
    expect(formatPgTimestamp(null, now)).toBe('never');
  });
});

describe('misc', () => {
  it('formats endpoints', () => {
    expect(formatEndpoint('db.example.com', 5432)).toBe('db.example.com:5432');
    expect(formatEndpoint('::1', 5433)).toBe('[::1]:5433');
    expect(formatEndpoint('/var/run/postgresql', 5432)).toBe('/var/run/postgresql (port 5432)');
    expect(formatEndpointShort('/var/run/postgresql', 5432)).toBe('socket :5432');
    expect(formatEndpointShort('db', 5432)).toBe('db:5432');
  });
  it('formats durations', () => {
    expect(formatMs(0)).toBe('0 ms');
    expect(formatMs(999)).toBe('999 ms');
    expect(formatMs(1500)).toBe('1.50 s');
    expect(formatMs(12_345)).toBe('12.3 s');
  });
});

describe('times', () => {
  it('shows the offset of the zone', () => {
    expect(formatUtcOffset(60)).toBe('UTC+01:00');
    expect(formatUtcOffset(-330)).toBe('UTC-05:30');
    expect(formatUtcOffset(0)).toBe('UTC+00:00');
  });
  it('shows local time to the second with its offset, winter and summer', () => {
    expect(formatTime(new Date('2026-12-02T15:40:05.900Z'))).toBe('2026-12-02 16:40:05 UTC+01:00');
    expect(formatTime(new Date('2026-07-01T22:30:00Z'))).toBe('2026-07-02 00:30:00 UTC+02:00');
  });
  it('reads ISO and PostgreSQL times, with the exact time for a title', () => {
    expect(timeDisplay('2026-12-02T15:40:05.123Z')).toEqual({ text: '2026-12-02 16:40:05 UTC+01:00', title: '2026-12-02T15:40:05.123Z' });
    expect(timeDisplay('2026-12-02 15:40:05.123+00')).toEqual({ text: '2026-12-02 16:40:05 UTC+01:00', title: '2026-12-02T15:40:05.123Z' });
    expect(timeDisplay('not a time')).toEqual({ text: 'not a time', title: undefined });
  });
});

describe('counts', () => {
  it('says one in the singular', () => {
    expect(plural(1, 'statement')).toBe('1 statement');
    expect(plural(2, 'statement')).toBe('2 statements');
    expect(plural(1000, 'entry', 'entries')).toBe('1,000 entries');
  });

  it('says a capped count in the plural, even at one', () => {
    expect(pluralCapped(1, false, 'relation')).toBe('1 relation');
    expect(pluralCapped(0, false, 'relation')).toBe('0 relations');
    expect(pluralCapped(4, false, 'relation')).toBe('4 relations');
    expect(pluralCapped(1000, true, 'relation')).toBe('1,000+ relations');
    expect(pluralCapped(1, true, 'index', 'indexes')).toBe('1+ indexes');
  });
});


describe('timeWithAge', () => {
  const now = new Date('2026-12-02T11:04:06Z');
  it('shows an inspection time as every time is shown, with its age', () => {
    expect(timeWithAge('2026-12-02T11:03:41Z', now)).toEqual({
      time: '2026-12-02 12:03:41 UTC+01:00',
      ago: '25 s ago',
      iso: '2026-12-02T11:03:41.000Z',
    });
    expect(timeWithAge('2026-12-02T10:59:06.250Z', now)?.ago).toBe('5 min ago');
    expect(timeWithAge('2026-12-02T11:04:06Z', now)?.ago).toBe('0 s ago');
  });
  it('takes a time a little ahead of the clock as just now, not as the future', () => {
    expect(timeWithAge('2026-12-02T11:04:07.400Z', now)?.ago).toBe('0 s ago');
    expect(timeWithAge('2026-12-02T11:05:06Z', now)?.ago).toBe('in the future');
  });
  it('is null for text that is not a time', () => {
    expect(timeWithAge('soon', now)).toBeNull();
    expect(timeWithAge(null, now)).toBeNull();
  });
});
