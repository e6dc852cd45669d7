// Discovery in the wizard: the tag filter as typed, and how a found database is shown and
// picked. No IPC here.

import type { RdsDatabase } from '../../../gen/RdsDatabase';
import type { WizardForm } from './wizard';

/** `env=prod, team` as the core's filter: `[key, value]`, value null for any; or the error. */
export function parseTagFilter(text: string): { tags: [string, string | null][]; error: string | null } {
  const tags: [string, string | null][] = [];
  for (const raw of text.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    if (key === '') return { tags: [], error: `"${part}": the tag key is empty` };
    tags.push([key, eq < 0 ? null : part.slice(eq + 1).trim()]);
  }
  return { tags, error: null };
}

/** A found database's key: an instance and a cluster may share an id. */
export function foundKey(d: RdsDatabase): string {
  return `${d.target.type}:${d.id}`;
}

/** The id the core takes for it in a list where its id may be shared. */
export function pickId(d: RdsDatabase, all: RdsDatabase[]): string {
  return all.filter((x) => x.id === d.id).length > 1 ? foundKey(d) : d.id;
}

/** `host:port`, or what RDS says while it has none. */
export function endpointOf(d: RdsDatabase): string {
  return d.host ? `${d.host}:${d.port ?? 5432}` : `no endpoint yet (${d.status})`;
}

/** `env=prod · team=billing` */
export function tagsLabel(d: RdsDatabase): string {
  return Object.entries(d.tags)
    .map(([k, v]) => (v ? `${k}=${v}` : k))
    .join(' · ');
}

/** The tag keys most of the found databases carry, the likeliest environment tag first. */
export function environmentTagGuess(found: RdsDatabase[]): string {
  const keys = new Set(found.flatMap((d) => Object.keys(d.tags)));
  for (const k of ['env', 'environment', 'Environment', 'stage', 'Env']) if (keys.has(k)) return k;
  return '';
}

/** The wizard's form with `d` as its target (and its name where empty, its database where empty or the default). */
export function useFound(form: WizardForm, d: RdsDatabase): WizardForm {
  return {
    ...form,
    rdsTarget: d.target.type === 'cluster' ? 'cluster' : 'instance',
    rdsId: d.id,
    rdsReader: d.target.type === 'cluster' ? d.target.reader : false,
    name: form.name.trim() === '' ? d.id : form.name,
    database: ['', 'postgres'].includes(form.database.trim()) && d.database ? d.database : form.database,
  };
}
