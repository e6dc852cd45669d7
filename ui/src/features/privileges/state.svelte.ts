// Privilege state shared by the components: where the user is (the plan context and the selected
// object), the staged changes per context, the roles of each context for pickers, and the plan
// drawer's flow (preview, dry run, apply).

import * as api from '../../api';
import type { GrantryError } from '../../api';
import type { ApplyResult } from '../../gen/ApplyResult';
import type { Change } from '../../gen/Change';
import type { PlanView } from '../../gen/PlanView';
import type { Role } from '../../gen/Role';
import { app } from '../../app/state.svelte';
import { sortRoles, type ObjectAddress } from './privileges';
import { contextKey, stagingReducer, type PlanContext, type StageAction, type Staged } from '../plans/staging';

export type DetailTab = 'details' | 'privileges';

export interface RolesEntry {
  status: 'loading' | 'loaded' | 'error';
  roles: Role[];
  error: GrantryError | null;
}

export type FlowStep = 'preview' | 'dry' | 'apply';

/** The drawer's plan and what was done with it, for one context. */
export interface Flow {
  key: string;
  context: PlanContext;
  plan: PlanView | null;
  dry: ApplyResult | null;
  applied: ApplyResult | null;
  /** When the apply above finished: the drawer shows it as the last run, whatever is selected now. */
  appliedAt: Date | null;
  busy: FlowStep | null;
  error: { step: FlowStep; error: GrantryError } | null;
}

class PrivilegesState {
  /** Bumped after an apply: matrices, who-can answers and role pages reload. */
  version = $state(0);
  tab = $state<DetailTab>('details');
  drawerOpen = $state(false);
  /** The integration and database the user is in (the explorer's selection, or a role page's). */
  context = $state.raw<PlanContext | null>(null);
  /** The object selected in the explorer, when it carries privileges. */
  selection = $state.raw<ObjectAddress | null>(null);
  roles = $state.raw<Record<string, RolesEntry>>({});
  /** The server_version_num each integration's inspections last reported (forms offer what it has). */
  versions = $state.raw<Record<string, number>>({});
  flow = $state.raw<Flow | null>(null);

  /** Remembers the server version an inspection of `integration` reported. */
  noteVersion(integration: string, versionNum: number): void {
    if (this.versions[integration] !== versionNum) this.versions = { ...this.versions, [integration]: versionNum };
  }

  /** The server version last seen for a context's integration (`null`: none inspected yet). */
  versionOf(c: PlanContext | null): number | null {
    return c ? (this.versions[c.integration] ?? null) : null;
  }

  private staged = $state.raw<Record<string, Staged[]>>({});
  private nextId = 1;

  currentKey = $derived(this.context ? contextKey(this.context) : null);
  /** The changes staged for the current context. */
  current = $derived(this.currentKey ? (this.staged[this.currentKey] ?? []) : []);
  /** Other contexts with staged changes, e.g. another database of the same server. */
  elsewhere = $derived(
    Object.entries(this.staged)
      .filter(([k, list]) => k !== this.currentKey && list.length > 0)
      .map(([k, list]) => {
        const [integration, database] = k.split('\u0000');
        return { integration, database, count: list.length };
      }),
  );
  /** The flow of the current context, if any. */
  currentFlow = $derived(this.flow && this.flow.key === this.currentKey ? this.flow : null);

  setContext(c: PlanContext | null, selection: ObjectAddress | null): void {
    if (!c || !this.context || contextKey(c) !== contextKey(this.context)) this.context = c;
    this.selection = selection;
  }

  // ------------------------------------------------------------------------------ staging

  private dispatch(key: string, action: StageAction): void {
    const before = this.staged[key] ?? [];
    const after = stagingReducer(before, action);
    if (after === before) return;
    this.staged = { ...this.staged, [key]: after };
    // The preview and dry run were of the old list.
    if (this.flow?.key === key && (this.flow.plan || this.flow.dry || this.flow.error)) {
      this.flow = { ...this.flow, plan: null, dry: null, error: null };
    }
  }

  /** Stages a change in the current context; false when there is none. */
  stage(change: Change): boolean {
    const key = this.currentKey;
    if (!key) return false;
    this.dispatch(key, { type: 'add', change, id: this.nextId++ });
    return true;
  }

  /**
   * Stages `changes` in context `c` and makes it the current one, with the drawer open (a
   * connector setup's step, for one database).
   */
  stageAllIn(c: PlanContext, changes: Change[]): void {
    this.setContext(c, null);
    const key = contextKey(c);
    for (const change of changes) this.dispatch(key, { type: 'add', change, id: this.nextId++ });
    this.drawerOpen = true;
  }

  unstage(id: number): void {
    if (this.currentKey) this.dispatch(this.currentKey, { type: 'remove', id });
  }

  clearStaged(key = this.currentKey): void {
    if (key) this.dispatch(key, { type: 'clear' });
  }

  // -------------------------------------------------------------------------------- roles

  /** Loads (once, or again with `force`) the roles of a context, for pickers. */
  async loadRoles(c: PlanContext, force = false): Promise<void> {
    const key = contextKey(c);
    const had = this.roles[key];
    if (had && !force && had.status !== 'error') return;
    this.roles = { ...this.roles, [key]: { status: 'loading', roles: had?.roles ?? [], error: null } };
    try {
      const list = await app.withPassword(c.integration, () => api.listRoles(c.integration, c.database), {
        key: `roles:${key}`,
        run: () => void this.loadRoles(c, true),
      });
      this.roles = { ...this.roles, [key]: { status: 'loaded', roles: sortRoles(list), error: null } };
    } catch (e) {
      this.roles = { ...this.roles, [key]: { status: 'error', roles: had?.roles ?? [], error: api.normalizeError(e) } };
    }
  }

  rolesOf(c: PlanContext | null): Role[] {
    return c ? (this.roles[contextKey(c)]?.roles ?? []) : [];
  }

  /**
   * A Refresh button: the core forgets what it inspected of the integration, then `reload` reads
   * the server again. A core without that cache (or an unreachable server) still reloads.
   */
  async refresh(integration: string, reload: () => Promise<void>): Promise<void> {
    try {
      await api.refreshPrivileges(integration);
    } catch {
      // nothing cached to forget: the reload below reports real problems
    }
    await reload();
  }

  // --------------------------------------------------------------------------------- flow

  private setFlow(patch: Partial<Flow>): void {
    if (this.flow) this.flow = { ...this.flow, ...patch };
  }

  async preview(): Promise<void> {
    const c = this.context;
    const key = this.currentKey;
    if (!c || !key || this.current.length === 0) return;
    const changes = this.current.map((s) => s.change);
    this.flow = { key, context: c, plan: null, dry: null, applied: null, appliedAt: null, busy: 'preview', error: null };
    const flow = this.flow;
    try {
      // Only the preview is run again by the unreachable banner's Retry: a dry run or an apply
      // is always the user's own click.
      const plan = await app.withPassword(c.integration, () => api.planChanges(c.integration, c.database, changes), {
        key: 'plan-preview',
        run: () => {
          if (this.flow === flow && this.flow.error?.step === 'preview') void this.preview();
        },
      });
      if (this.flow === flow) this.setFlow({ plan, busy: null });
    } catch (e) {
      if (this.flow === flow) this.setFlow({ busy: null, error: { step: 'preview', error: api.normalizeError(e) } });
    }
  }

  async dryRun(): Promise<void> {
    const f = this.flow;
    if (!f?.plan || f.busy) return;
    const id = f.plan.id;
    this.setFlow({ busy: 'dry', dry: null, error: null });
    const flow = this.flow;
    try {
      const dry = await app.withPassword(f.context.integration, () => api.runPlan(id, true, null));
      if (this.flow === flow) this.setFlow({ dry, busy: null });
    } catch (e) {
      if (this.flow === flow) this.setFlow({ busy: null, error: { step: 'dry', error: api.normalizeError(e) } });
    }
  }

  /** Applies the previewed plan; `confirm` is the integration name typed for production. */
  async apply(confirm: string | null): Promise<ApplyResult | null> {
    const f = this.flow;
    if (!f?.plan || f.busy) return null;
    const id = f.plan.id;
    this.setFlow({ busy: 'apply', error: null });
    const flow = this.flow;
    try {
      const applied = await app.withPassword(f.context.integration, () => api.runPlan(id, false, confirm));
      if (this.flow !== flow) return applied;
      if (applied.report.outcome === 'committed') {
        // Done: the staged changes are gone, and everything showing privileges reloads.
        this.setFlow({ applied, appliedAt: new Date(), busy: null, plan: null, dry: null });
        this.clearStaged(f.key);
        this.version++;
        void this.loadRoles(f.context, true);
      } else {
        this.setFlow({ applied, appliedAt: new Date(), busy: null });
      }
      return applied;
    } catch (e) {
      if (this.flow === flow) this.setFlow({ busy: null, error: { step: 'apply', error: api.normalizeError(e) } });
      return null;
    }
  }

  /** Forgets the apply result, and with it the generated passwords it showed. */
  dismissApplied(): void {
    this.setFlow({ applied: null, appliedAt: null });
  }
}

export const priv = new PrivilegesState();
