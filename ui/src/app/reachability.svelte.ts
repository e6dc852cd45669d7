// Which integrations' servers are unreachable now, as the answers of the core tell: one report per
// integration (the banner above the main view) instead of one error per panel, and one Retry that
// runs again everything that failed for it.
//
// The API gateway reports every call's outcome (api.observeCalls, wired in state.svelte.ts); the
// views that failed register how to load again (retryLater), keyed so that a view loading again
// replaces its own earlier entry.

import type { CallOutcome, GrantryError } from '../api';
import type { CommandName } from '../commands.gen';
import type { ErrorCode } from '../gen/ErrorCode';

/**
 * Failures that say the server cannot be reached at all (nothing listens, no route, no name, no
 * TLS session, no connection accepted, not PostgreSQL): every view of the integration fails the
 * same way. Not among them: a rejected login, a missing database or a missing CONNECT privilege,
 * which depend on the login or the database and are shown where they happen.
 */
export const UNREACHABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'connect.refused',
  'connect.timeout',
  'connect.dns',
  'connect.network',
  'connect.tls',
  'connect.unavailable',
  'connect.not_postgres',
]);

export function isUnreachable(e: GrantryError | null | undefined): boolean {
  return !!e && UNREACHABLE_CODES.has(e.code);
}

/**
 * Whether a successful answer proves the server answered just now. Privilege answers may come from
 * the core's cached inspection (it keeps one for 30 s): they count only when their inspection was
 * taken after the call started. Answers that are only ever cached (the role list) never count;
 * `started` is the call's start in ms since the epoch.
 */
export function answeredLive(result: unknown, started: number, cachedOnly = false): boolean {
  if (cachedOnly) return false;
  const inspection =
    typeof result === 'object' && result !== null ? (result as { inspection?: { taken_at?: unknown } }).inspection : undefined;
  if (inspection === undefined) return true;
  const taken = typeof inspection?.taken_at === 'string' ? Date.parse(inspection.taken_at) : NaN;
  // The core and the webview share the machine's clock; a second of slack for rounding.
  return Number.isFinite(taken) && taken >= started - 1000;
}

/** Calls that name an integration but never reach its server: a success proves nothing. */
const NEVER_LIVE: ReadonlySet<CommandName> = new Set<CommandName>(['list_roles', 'refresh_privileges']);

/** The integration a call is for, when it names one. */
export function integrationOf(o: Pick<CallOutcome, 'cmd' | 'args'>): string | null {
  const args = (o.args ?? {}) as { integration?: unknown; name?: unknown };
  if (typeof args.integration === 'string') return args.integration;
  if (o.cmd === 'test_integration' && typeof args.name === 'string') return args.name;
  return null;
}

export interface Unreachable {
  /** The failure, as the last view that met it was told. */
  error: GrantryError;
  /** When it was first seen (ms since the epoch). */
  since: number;
  /** How to load again each view that failed, by key. */
  retries: ReadonlyMap<string, () => void>;
}

export class Reachability {
  #down = $state.raw<Record<string, Unreachable>>({});

  /** The integration's server is unreachable (as last seen), or null. */
  down(integration: string | null | undefined): Unreachable | null {
    if (!integration) return null;
    return this.#down[integration] ?? null;
  }

  /** Whether `error`, from a view of `integration`, is the one the banner already reports. */
  reported(integration: string | null | undefined, error: GrantryError | null | undefined): boolean {
    return isUnreachable(error) && this.down(integration) !== null;
  }

  /** What the API gateway tells of each call (api.observeCalls). */
  observe(o: CallOutcome): void {
    const integration = integrationOf(o);
    if (integration === null) return;
    if (!o.ok) {
      this.failed(integration, o.error);
      return;
    }
    const live =
      o.cmd === 'test_integration'
        ? (o.result as { ok?: unknown } | null)?.ok === true
        : answeredLive(o.result, o.started, NEVER_LIVE.has(o.cmd));
    if (live) this.succeeded(integration);
  }

  /** A call for `integration` failed: an unreachable server is reported (once), others ignored. */
  failed(integration: string, error: GrantryError): void {
    if (!isUnreachable(error)) return;
    const had = this.#down[integration];
    this.#down = {
      ...this.#down,
      [integration]: { error, since: had?.since ?? Date.now(), retries: had?.retries ?? new Map() },
    };
  }

  /**
   * A view failed with `error`: when the server is unreachable, the banner's Retry will run `run`
   * (replacing what was kept under `key`).
   */
  retryLater(integration: string, error: GrantryError, key: string, run: () => void): void {
    if (!isUnreachable(error)) return;
    if (!this.#down[integration]) this.failed(integration, error);
    const had = this.#down[integration];
    const retries = new Map(had.retries);
    retries.set(key, run);
    this.#down = { ...this.#down, [integration]: { ...had, retries } };
  }

  /**
   * A view answered while the server is unreachable: its answer can only be a cached one (an
   * older inspection), so the banner's Retry (or the server answering again) loads it again too.
   */
  refreshLater(integration: string, key: string, run: () => void): void {
    const had = this.#down[integration];
    if (!had) return;
    const retries = new Map(had.retries);
    retries.set(key, run);
    this.#down = { ...this.#down, [integration]: { ...had, retries } };
  }

  /**
   * The server answered: the report goes, and the views that had failed load again (the server is
   * back, what they show would be stale or an error).
   */
  succeeded(integration: string): void {
    const had = this.#down[integration];
    if (!had) return;
    this.#forget(integration);
    runAll(had.retries);
  }

  /** The banner's Retry: forgets the report and loads again every view that failed. */
  retry(integration: string): void {
    const had = this.#down[integration];
    if (!had) return;
    this.#forget(integration);
    runAll(had.retries);
  }

  /** The integration is gone or was edited: nothing to report or retry. */
  forget(integration: string): void {
    if (this.#down[integration]) this.#forget(integration);
  }

  #forget(integration: string): void {
    const next = { ...this.#down };
    delete next[integration];
    this.#down = next;
  }
}

function runAll(retries: ReadonlyMap<string, () => void>): void {
  for (const run of retries.values()) {
    try {
      run();
    } catch {
      // a view that is gone; the others still load
    }
  }
}

export const reach = new Reachability();
