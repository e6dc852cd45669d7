// Formatting of sizes, counts and timestamps for dense display.

const BYTE_UNITS = ['kB', 'MB', 'GB', 'TB', 'PB', 'EB'];

/** Human bytes in base 1024 with PostgreSQL's unit names: "0 B", "512 B", "8.0 kB", "137 MB". */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  if (n < 0) return '—';
  if (n < 1024) return `${Math.round(n)} B`;
  let value = n;
  let unit = -1;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  // 1023.9 kB would print as "1024 kB": carry into the next unit instead.
  if (value >= 999.95 && unit < BYTE_UNITS.length - 1 && Math.round(value) >= 1024) {
    value /= 1024;
    unit++;
  }
  const text = value < 10 ? value.toFixed(1) : String(Math.round(value));
  return `${text} ${BYTE_UNITS[unit]}`;
}

/** Compact count: 950, 12.3k, 4.5M, 1.2B. Negative or null (never analyzed) shows a dash. */
export function formatCompact(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n) || n < 0) return '—';
  if (n < 1000) return String(Math.round(n));
  const steps: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (let i = 0; i < steps.length; i++) {
    const [base, suffix] = steps[i];
    if (n >= base) {
      const v = n / base;
      let text = v < 10 ? v.toFixed(1) : String(Math.round(v));
      // 999.6k rounds to 1000k: show it as 1.0M.
      if (text === '1000' && i > 0) {
        const [biggerBase, biggerSuffix] = steps[i - 1];
        text = (n / biggerBase).toFixed(1);
        return `${text}${biggerSuffix}`;
      }
      return `${text.replace(/\.0$/, '')}${suffix}`;
    }
  }
  return String(n);
}

/** Estimated rows as shown in the tree: "~12.3k rows"-style number without the word. */
export function formatRows(n: number | null | undefined): string {
  if (n === null || n === undefined || n < 0) return '';
  return `~${formatCompact(n)}`;
}

/** Full count with thousands separators: 1,234,567. */
/** A count that stops at a cap: "1,000+" when there are more. */
export function formatCapped(n: number, capped: boolean): string {
  return formatCount(n) + (capped ? '+' : '');
}

export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const sign = n < 0 ? '-' : '';
  const digits = String(Math.trunc(Math.abs(n)));
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
}

/**
 * Parses a PostgreSQL timestamptz text ("2025-11-21 19:26:10.123456+00", "...+05:30") into a
 * Date. Returns null when the text is not such a timestamp.
 */
export function parsePgTimestamp(text: string | null | undefined): Date | null {
  if (!text) return null;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?(?:([+-])(\d{2})(?::?(\d{2}))?(?::?\d{2})?|Z)?$/.exec(
    text.trim(),
  );
  if (!m) return null;
  const [, date, time, frac, sign, tzh, tzm] = m;
  const ms = frac ? frac.slice(0, 4).padEnd(4, '0') : '';
  const tz = sign ? `${sign}${tzh}:${tzm ?? '00'}` : 'Z';
  const d = new Date(`${date}T${time}${ms}${tz}`);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "3 min ago", "2 h ago", "5 d ago", relative to `now`. */
export function formatAgo(d: Date, now: Date = new Date()): string {
  const s = Math.round((now.getTime() - d.getTime()) / 1000);
  if (s < 0) return 'in the future';
  if (s < 60) return `${s} s ago`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ago`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ago`;
  const days = Math.floor(h / 24);
  if (days < 365) return `${days} d ago`;
  return `${(days / 365).toFixed(1)} y ago`;
}

/** A time zone's offset from UTC as shown after a time: "UTC+01:00", "UTC-05:30", "UTC+00:00". */
export function formatUtcOffset(minutesEastOfUtc: number): string {
  const sign = minutesEastOfUtc < 0 ? '-' : '+';
  const m = Math.abs(Math.round(minutesEastOfUtc));
  const p = (n: number) => String(n).padStart(2, '0');
  return `UTC${sign}${p(Math.floor(m / 60))}:${p(m % 60)}`;
}

/**
 * The one way the UI shows a point in time: local time to the second with the local zone's
 * offset, "2026-12-02 16:40:05 UTC+01:00".
 */
export function formatTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const day = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  const time = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return `${day} ${time} ${formatUtcOffset(-d.getTimezoneOffset())}`;
}

/** A time from the core or the server (ISO 8601 or PostgreSQL's timestamptz text) as a Date, or null. */
export function parseTime(text: string | null | undefined): Date | null {
  if (!text) return null;
  const pg = parsePgTimestamp(text);
  if (pg) return pg;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * A time as shown (formatTime) and its exact ISO 8601 form in UTC, for a title attribute. Text
 * that is not a time is shown as it is, with no title.
 */
export function timeDisplay(text: string): { text: string; title: string | undefined } {
  const d = parseTime(text);
  if (!d) return { text, title: undefined };
  return { text: formatTime(d), title: d.toISOString() };
}

/**
 * A time from the core shown with its age, for answers that may be cached: "2026-12-02 16:40:05
 * UTC+01:00" and "25 s ago", and its ISO 8601 form for a title. A time a little ahead of `now` (the
 * two clocks round differently) is "0 s ago". Null when the text is not a time.
 */
export function timeWithAge(
  text: string | null | undefined,
  now: Date = new Date(),
): { time: string; ago: string; iso: string } | null {
  const d = parseTime(text);
  if (!d) return null;
  const ahead = d.getTime() - now.getTime();
  const ref = ahead > 0 && ahead < 5000 ? d : now;
  return { time: formatTime(d), ago: formatAgo(d, ref), iso: d.toISOString() };
}

/** A PostgreSQL timestamp shown to the second (formatTime), with how long ago; "never" when null. */
export function formatPgTimestamp(text: string | null | undefined, now: Date = new Date()): string {
  if (!text) return 'never';
  const d = parsePgTimestamp(text);
  if (!d) return text;
  return `${formatTime(d)} (${formatAgo(d, now)})`;
}

/** The exact ISO 8601 time of a PostgreSQL timestamp, for a title attribute; undefined when none. */
export function pgTimestampTitle(text: string | null | undefined): string | undefined {
  return parsePgTimestamp(text)?.toISOString();
}

/** "host:port", with IPv6 literals bracketed and Unix socket directories left alone. */
export function formatEndpoint(host: string, port: number): string {
  if (host.startsWith('/')) return `${host} (port ${port})`;
  if (host.includes(':')) return `[${host}]:${port}`;
  return `${host}:${port}`;
}

/** As formatEndpoint, but short enough for a list: a Unix socket directory shows as "socket :5432". */
export function formatEndpointShort(host: string, port: number): string {
  if (host.startsWith('/')) return `socket :${port}`;
  return formatEndpoint(host, port);
}

/** "1 statement", "2 statements", "1,000 entries" (with `many`). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** A count that stops at a cap, with its noun: "1 relation", "3 relations", "1,000+ relations". */
export function pluralCapped(n: number, capped: boolean, one: string, many = `${one}s`): string {
  return `${formatCapped(n, capped)} ${n === 1 && !capped ? one : many}`;
}
