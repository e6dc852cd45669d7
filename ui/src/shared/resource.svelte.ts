// A value loaded from the core for a view: loading and error state, and the newest request wins
// (an answer to an older request that arrives late is dropped). One place for what every page
// that loads something did by hand.

import { normalizeError, type GrantryError } from '../api';

export class Resource<T> {
  value = $state.raw<T | null>(null);
  loading = $state(false);
  error = $state.raw<GrantryError | null>(null);
  #request = 0;
  #fetch: () => Promise<T>;

  constructor(fetch: () => Promise<T>) {
    this.#fetch = fetch;
  }

  /** Loads (again); the value stays shown until the new one arrives. */
  async load(): Promise<void> {
    const id = ++this.#request;
    this.loading = true;
    this.error = null;
    try {
      const v = await this.#fetch();
      if (id === this.#request) this.value = v;
    } catch (e) {
      if (id === this.#request) this.error = normalizeError(e);
    } finally {
      if (id === this.#request) this.loading = false;
    }
  }
}
