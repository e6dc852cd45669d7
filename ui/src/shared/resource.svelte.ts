// A value loaded from the core for a view: loading and error state, and the newest request wins
// (an answer to an older request that arrives late is dropped). One place for what every page
// that loads something did by hand.

import { normalizeError, type GrantryError } from '../api';
import { reach } from '../app/reachability.svelte';

/** Which integration a resource reads, and the view's name for the banner's one Retry. */
export interface ResourceRetry {
  integration: () => string | null;
  key: string;
}

export class Resource<T> {
  value = $state.raw<T | null>(null);
  loading = $state(false);
  error = $state.raw<GrantryError | null>(null);
  #request = 0;
  #fetch: () => Promise<T>;
  #retry: ResourceRetry | null;

  /** With `retry`, a load that fails on an unreachable server runs again on the banner's Retry. */
  constructor(fetch: () => Promise<T>, retry: ResourceRetry | null = null) {
    this.#fetch = fetch;
    this.#retry = retry;
  }

  /** Loads (again); the value stays shown until the new one arrives. */
  async load(): Promise<void> {
    const id = ++this.#request;
    this.loading = true;
    this.error = null;
    try {
      const v = await this.#fetch();
      if (id === this.#request) {
        this.value = v;
        // Answered while the server is down: from a cache, so loaded again once it is back.
        const integration = this.#retry?.integration();
        if (this.#retry && integration) reach.refreshLater(integration, this.#retry.key, () => void this.load());
      }
    } catch (e) {
      if (id === this.#request) {
        const error = (this.error = normalizeError(e));
        const integration = this.#retry?.integration();
        if (this.#retry && integration) reach.retryLater(integration, error, this.#retry.key, () => void this.load());
      }
    } finally {
      if (id === this.#request) this.loading = false;
    }
  }
}
