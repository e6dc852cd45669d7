// Words for a schema's counted size (SchemaStats). No IPC here.

import type { SchemaStats } from '../../gen/SchemaStats';
import { formatBytes } from '../../shared/format';

/**
 * A schema's size as shown, with a note on where it comes from. Measured (tables, indexes and
 * TOAST on disk, as each relation's row shows them) up to the core's limit; beyond it, summed
 * from relpages, which PostgreSQL sets only at VACUUM, ANALYZE or CREATE INDEX: a table never
 * processed counts 0 there however big it is, so a 0 is "not yet estimated", and any other sum
 * may be short.
 */
export function schemaSizeText(s: SchemaStats): { size: string; note: string } {
  if (!s.size_estimated) return { size: formatBytes(s.size_bytes), note: '(tables, indexes and TOAST, measured)' };
  const why = 'too many relations to measure each';
  if (s.size_bytes <= 0) {
    return {
      size: 'not yet estimated',
      note: `(${why}; the estimate sums relpages, which stays 0 until VACUUM or ANALYZE)`,
    };
  }
  return {
    size: `~${formatBytes(s.size_bytes)}`,
    note: `(${why}: estimated from relpages, as of each table's last VACUUM or ANALYZE; tables never processed count 0)`,
  };
}
