// Application state shared by the components: integrations, selection, the startup sequence,
// which main view is shown, and the session-password prompt.

import * as api from '../api';
import type { GrantryError } from '../api';
import type { Integration } from '../gen/Integration';
import type { SandboxStatus } from '../gen/SandboxStatus';
import { TreeController } from '../features/explorer/treeController.svelte';
import { reach } from './reachability.svelte';
import { LeaveGuard } from './leave.svelte';

// Every call's outcome tells whether its integration's server is reachable (one banner per server).
api.observeCalls((o) => reach.observe(o));

const SELECTED_KEY = 'grantry.selected';

export type MainView =
  | { kind: 'explorer' }
  | { kind: 'wizard'; editing: Integration | null }
  /** A role's page, in the database the user was in when opening it. */
  | { kind: 'role'; integration: string; database: string; role: string }
  | { kind: 'audit' };

export interface StartupState {
  running: boolean;
  messages: { text: string; at: number }[];
  startedAt: number;
  error: GrantryError | null;
  result: SandboxStatus | null;
  dismissed: boolean;
}

interface PasswordRequest {
  integration: Integration;
  resolve: (given: boolean) => void;
  promise: Promise<boolean>;
}

function remembered(): string | null {
  try {
    return localStorage.getItem(SELECTED_KEY);
  } catch {
    return null;
  }
}

class AppState {
  integrations = $state.raw<Integration[]>([]);
  loaded = $state(false);
  listError = $state.raw<GrantryError | null>(null);
  selectedName = $state<string | null>(null);
  selected = $derived(this.integrations.find((i) => i.name === this.selectedName) ?? null);
  view = $state.raw<MainView>({ kind: 'explorer' });
  startup = $state<StartupState>({
    running: false,
    messages: [],
    startedAt: 0,
    error: null,
    result: null,
    dismissed: false,
  });
  passwordRequest = $state.raw<PasswordRequest | null>(null);
  removeTarget = $state.raw<Integration | null>(null);
  /** The explorer tree of the selected integration. */
  tree = $state.raw<TreeController | null>(null);

  private trees = new Map<string, TreeController>();
  /** Leaving the wizard with unsaved settings asks first (every change of view goes through it). */
  readonly leave = new LeaveGuard();

  /** Launch: run the core's startup (maybe creating the sandbox), then load integrations. */
  async boot(): Promise<void> {
    this.startup.running = true;
    this.startup.startedAt = Date.now();
    const unlisten = await api.onSandboxProgress((text) => {
      this.startup.messages.push({ text, at: Date.now() });
    });
    try {
      this.startup.result = await api.startup();
    } catch (e) {
      this.startup.error = api.normalizeError(e);
    } finally {
      unlisten();
    }
    // The progress stays up until the integrations are there to show.
    await this.reload();
    const wanted = remembered();
    const pick =
      this.integrations.find((i) => i.name === wanted) ??
      this.integrations.find((i) => i.name === this.startup.result?.integration) ??
      this.integrations[0];
    // Only the selection: a wizard opened during the startup stays open.
    if (pick) this.choose(pick.name);
    this.startup.running = false;
    if (!this.startup.error) this.startup.dismissed = true;
  }

  async reload(): Promise<void> {
    try {
      const list = await api.listIntegrations();
      list.sort((a, b) => a.name.localeCompare(b.name));
      this.integrations = list;
      this.listError = null;
      for (const it of list) this.trees.get(it.name)?.updateIntegration(it);
      for (const name of [...this.trees.keys()]) {
        if (!list.some((i) => i.name === name)) this.trees.delete(name);
      }
      if (this.selectedName !== null && !list.some((i) => i.name === this.selectedName)) {
        this.selectedName = list[0]?.name ?? null;
      }
    } catch (e) {
      this.listError = api.normalizeError(e);
    } finally {
      this.loaded = true;
      this.syncTree();
    }
  }

  private syncTree(): void {
    const it = this.integrations.find((i) => i.name === this.selectedName);
    this.tree = it ? this.treeFor(it) : null;
  }

  /** Shows an integration in the explorer (asking first when that loses the wizard's settings). */
  select(name: string): void {
    this.leave.leave(() => {
      this.choose(name);
      this.view = { kind: 'explorer' };
    });
  }

  /** Makes an integration the selected one, without changing the view. */
  private choose(name: string): void {
    this.selectedName = name;
    this.syncTree();
    try {
      localStorage.setItem(SELECTED_KEY, name);
    } catch {
      // not remembered
    }
  }

  /** The tree of an integration, created on first use and kept while the app runs. */
  private treeFor(it: Integration): TreeController {
    let t = this.trees.get(it.name);
    if (!t) {
      const name = it.name;
      t = new TreeController(it, {
        askSessionPassword: (i) => this.askSessionPassword(i),
        integration: () => this.integrations.find((i) => i.name === name) ?? it,
      });
      t.select(t.root.key);
      t.expand(t.root);
      this.trees.set(it.name, t);
    }
    return t;
  }

  /** A saved or edited integration: forget its old tree (its name or connection may differ). */
  async saved(it: Integration, previousName: string | null): Promise<void> {
    if (previousName !== null) {
      this.trees.delete(previousName);
      reach.forget(previousName);
    }
    this.trees.delete(it.name);
    reach.forget(it.name);
    this.leave.release();
    await this.reload();
    this.select(it.name);
  }

  async removed(name: string): Promise<void> {
    this.trees.delete(name);
    reach.forget(name);
    if (this.selectedName === name) this.selectedName = null;
    this.tree = null;
    await this.reload();
    if (this.selectedName === null && this.integrations[0]) this.choose(this.integrations[0].name);
    this.view = { kind: 'explorer' };
  }

  /** One prompt per integration at a time, however many loads are waiting for it. */
  askSessionPassword(integration: Integration): Promise<boolean> {
    const pending = this.passwordRequest;
    if (pending && pending.integration.name === integration.name) return pending.promise;
    let resolve!: (given: boolean) => void;
    const promise = new Promise<boolean>((r) => (resolve = r));
    const req: PasswordRequest = {
      integration,
      promise,
      resolve: (given) => {
        if (this.passwordRequest === req) this.passwordRequest = null;
        resolve(given);
        if (given) void this.reload();
      },
    };
    if (pending) {
      // Another integration is being asked about: ask this one after it.
      void pending.promise.then(() => {
        this.passwordRequest = req;
      });
    } else {
      this.passwordRequest = req;
    }
    return promise;
  }

  /**
   * Runs `fn` against an integration; when it fails because a session password is missing, asks
   * for it and retries. When it fails because the server is unreachable, `retry.run` is what the
   * banner's one Retry runs for this view (`retry.key` names the view: a later failure of the same
   * view replaces it).
   */
  async withPassword<T>(integration: string, fn: () => Promise<T>, retry?: { key: string; run: () => void }): Promise<T> {
    for (;;) {
      try {
        return await fn();
      } catch (e) {
        const err = api.normalizeError(e);
        const it = this.integrations.find((i) => i.name === integration);
        if (err.code === 'keychain.secret_missing' && it?.password_storage === 'session') {
          if (await this.askSessionPassword(it)) continue;
        }
        if (retry) reach.retryLater(integration, err, retry.key, retry.run);
        throw err;
      }
    }
  }

  openRole(integration: string, database: string, role: string): void {
    this.leave.leave(() => (this.view = { kind: 'role', integration, database, role }));
  }

  openAudit(): void {
    this.leave.leave(() => (this.view = { kind: 'audit' }));
  }

  /** Back from a role or audit page to the explorer of the selected integration. */
  showExplorer(): void {
    this.leave.leave(() => (this.view = { kind: 'explorer' }));
  }

  openWizard(editing: Integration | null): void {
    this.leave.leave(() => (this.view = { kind: 'wizard', editing }));
  }

  /** The wizard's Cancel: asks first when its settings would be lost. */
  closeWizard(): void {
    this.leave.leave(() => (this.view = { kind: 'explorer' }));
  }
}

export const app = new AppState();
