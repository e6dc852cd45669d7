// The audit log for display: words and colors for actions and outcomes. No IPC here.

import type { AuditEntry } from '../../gen/AuditEntry';
import { timeDisplay } from '../../shared/format';

export type Tone = 'ok' | 'neutral' | 'warn' | 'fail';

/** The color of an outcome: applied green, rolled back (a dry run) neutral, refused amber, failed red. */
export function outcomeTone(outcome: string): Tone {
  switch (outcome) {
    case 'committed':
    case 'ok':
      return 'ok';
    case 'refused':
    case 'skipped':
    case 'started':
    case 'unknown':
      return 'warn';
    case 'failed':
      return 'fail';
    default:
      return 'neutral';
  }
}

/** The words for one of the core's values: its own where `labels` has them, else the value with spaces for underscores. */
function wordsOf(labels: Record<string, string>, value: string): string {
  return Object.hasOwn(labels, value) ? labels[value] : value.replace(/_/g, ' ');
}

const OUTCOME_LABEL: Record<string, string> = {
  committed: 'applied',
  started: 'started, not finished',
  unknown: 'outcome unknown',
};

const ACTION_LABEL: Record<string, string> = {
  apply: 'Apply',
  dry_run: 'Dry run',
};

/**
 * An outcome in words, with the word the CSV and JSON exports use when the words do not contain
 * it: "applied (committed)", "rolled back", "outcome unknown"…
 */
export function outcomeLabel(outcome: string): string {
  const words = wordsOf(OUTCOME_LABEL, outcome);
  return words.includes(outcome.replace(/_/g, ' ')) ? words : `${words} (${outcome})`;
}

/** An action in words: "Apply", "Dry run". */
export function actionLabel(action: string): string {
  return wordsOf(ACTION_LABEL, action);
}

/** The time of an entry as the UI shows every time: local, to the second, with the zone's offset. */
export function formatAuditTime(at: string): string {
  return timeDisplay(at).text;
}

/** Entries whose integration, database, user, action, outcome (its value or its words) or SQL contain `text`. */
export function filterAudit(entries: AuditEntry[], text: string): AuditEntry[] {
  const t = text.trim().toLowerCase();
  if (t === '') return entries;
  return entries.filter((e) =>
    [e.integration_name, e.database_name, e.os_user, e.database_user, e.action, actionLabel(e.action), e.outcome, outcomeLabel(e.outcome), e.sql, e.error ?? '']
      .some((v) => v.toLowerCase().includes(t)),
  );
}

/** The format an export is saved in, from the file name the user chose: `.json` is JSON, anything else CSV. */
export function exportFormatOf(path: string): 'csv' | 'json' {
  return /\.json$/i.test(path) ? 'json' : 'csv';
}

/** The file name the save dialog proposes: the day's date, in the local time zone. */
export function defaultExportName(now: Date, format: 'csv' | 'json'): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `grantry-audit-${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}.${format}`;
}
