// The explorer tree of one integration: loads levels through the API, keeps expansion,
// selection, per-level search and paging. Nodes are plain objects; `version` is bumped on every
// change so the flattened rows are recomputed once per change, not tracked per node.

import * as api from '../../api';
import type { GrantryError } from '../../api';
import type { Integration } from '../../gen/Integration';
import type { TreeQuery } from '../../gen/TreeQuery';
import { reach } from '../../app/reachability.svelte';
import {
  appendChildren,
  databaseNode,
  flatten,
  integrationNode,
  isExpandable,
  isInside,
  mergeChildren,
  newLevel,
  relationNode,
  schemaNode,
  pathOf,
  syntheticKey,
  type ChildLevel,
  type FlatTree,
  type TreeNode,
} from './tree';

export const PAGE_SIZE = 200;
const SEARCH_DELAY_MS = 250;

interface Fetched {
  items: TreeNode[];
  hasMore: boolean;
  total: number | null;
}

export interface TreeDeps {
  /** Asks the user for the password of a session-only integration; true once it was given. */
  askSessionPassword: (integration: Integration) => Promise<boolean>;
  /** The integration as currently known (it may have been edited or reloaded). */
  integration: () => Integration;
}

export class TreeController {
  version = $state(0);
  selectedKey = $state<string | null>(null);
  includeSystem = $state(false);
  readonly root: TreeNode;
  flat: FlatTree = $derived.by(() => {
    void this.version;
    return flatten([this.root]);
  });

  private searchTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private nextRequest = 1;

  constructor(integration: Integration, private deps: TreeDeps) {
    this.root = integrationNode(integration);
  }

  touch(): void {
    this.version++;
  }

  /** The integration changed (edited, or its password was given): same tree, fresh data. */
  updateIntegration(it: Integration): void {
    if (this.root.level === 'integration') this.root.data = it;
    this.touch();
  }

  nodeByKey(key: string | null): TreeNode | null {
    if (key === null) return null;
    const i = this.flat.indexByKey.get(key);
    if (i === undefined) return null;
    const row = this.flat.rows[i];
    return row.type === 'node' ? row.node : null;
  }

  select(key: string | null): void {
    this.selectedKey = key;
  }

  expand(node: TreeNode): void {
    if (!isExpandable(node) || node.expanded) return;
    node.expanded = true;
    if (!node.children) {
      node.children = newLevel();
      void this.load(node);
    } else if (node.children.status === 'error') {
      void this.load(node);
    }
    this.touch();
  }

  collapse(node: TreeNode): void {
    if (!node.expanded) return;
    node.expanded = false;
    if (this.selectedKey !== null && isInside(this.selectedKey, node.key)) this.selectedKey = node.key;
    this.touch();
  }

  toggle(node: TreeNode): void {
    if (node.expanded) this.collapse(node);
    else this.expand(node);
  }

  private query(lvl: ChildLevel, offset: number): TreeQuery {
    const search = lvl.search.trim();
    return {
      search: search === '' ? null : search,
      limit: PAGE_SIZE,
      offset,
      include_system: this.includeSystem,
      with_total: offset === 0,
    };
  }

  private async fetch(node: TreeNode, q: TreeQuery): Promise<Fetched> {
    const p = pathOf(node);
    switch (node.level) {
      case 'integration': {
        const page = await api.listDatabases(p.integration, q);
        return { items: page.items.map((d) => databaseNode(node, d)), hasMore: page.has_more, total: page.total };
      }
      case 'database': {
        const page = await api.listSchemas(p.integration, node.name, q);
        return { items: page.items.map((s) => schemaNode(node, s)), hasMore: page.has_more, total: page.total };
      }
      case 'schema': {
        const page = await api.listRelations(p.integration, p.database ?? '', node.name, q);
        return { items: page.items.map((r) => relationNode(node, r)), hasMore: page.has_more, total: page.total };
      }
      case 'relation':
        return { items: [], hasMore: false, total: 0 };
    }
  }

  /** Runs `fn`; when it fails because a session password is missing, asks for it and retries. */
  async withPassword<T>(fn: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await fn();
      } catch (e) {
        const err = api.normalizeError(e);
        const it = this.deps.integration();
        if (err.code === 'keychain.secret_missing' && it.password_storage === 'session') {
          if (await this.deps.askSessionPassword(it)) continue;
        }
        throw err;
      }
    }
  }

  /** (Re)loads the first page of a node's level, keeping what is still there. */
  async load(node: TreeNode): Promise<void> {
    const lvl = (node.children ??= newLevel());
    const request = (lvl.request = this.nextRequest++);
    lvl.status = 'loading';
    lvl.error = null;
    lvl.moreError = null;
    lvl.loadingMore = false;
    this.touch();
    try {
      const got = await this.withPassword(() => this.fetch(node, this.query(lvl, 0)));
      if (lvl.request !== request) return;
      lvl.items = mergeChildren(lvl.items, got.items);
      lvl.hasMore = got.hasMore;
      lvl.total = got.total;
      lvl.status = 'loaded';
    } catch (e) {
      if (lvl.request !== request) return;
      lvl.status = 'error';
      lvl.error = e as GrantryError;
      // An unreachable server: the banner's Retry loads this level again, with the others.
      reach.retryLater(pathOf(node).integration, lvl.error, `tree:${node.key}`, () => void this.load(node));
    }
    this.touch();
    this.fixSelection();
  }

  /** Fetches the next page of a level (the "load more" row). */
  async loadMore(node: TreeNode): Promise<void> {
    const lvl = node.children;
    if (!lvl || lvl.status !== 'loaded' || !lvl.hasMore || lvl.loadingMore) return;
    const request = lvl.request;
    const before = lvl.items.length;
    const onMore = this.selectedKey === syntheticKey(node, 'more') || this.selectedKey === syntheticKey(node, 'moreerror');
    lvl.loadingMore = true;
    lvl.moreError = null;
    this.touch();
    try {
      const got = await this.withPassword(() => this.fetch(node, this.query(lvl, lvl.items.length)));
      if (lvl.request !== request) return;
      lvl.items = appendChildren(lvl.items, got.items);
      lvl.hasMore = got.hasMore;
      if (got.total !== null) lvl.total = got.total;
      // Enter on "load more" goes on to the first row it brought.
      if (onMore && lvl.items.length > before) this.selectedKey = lvl.items[before].key;
    } catch (e) {
      if (lvl.request !== request) return;
      lvl.moreError = e as GrantryError;
      reach.retryLater(pathOf(node).integration, lvl.moreError, `tree-more:${node.key}`, () => this.retry(node, 'more'));
      if (onMore) this.selectedKey = syntheticKey(node, 'moreerror');
    } finally {
      if (lvl.request === request) lvl.loadingMore = false;
      this.touch();
    }
  }

  /** Retry of an error row: the level itself, or its next page. */
  retry(node: TreeNode, what: 'level' | 'more'): void {
    if (what === 'more' && node.children) {
      node.children.moreError = null;
      void this.loadMore(node);
    } else {
      void this.load(node);
    }
  }

  /** The filter box of a level: re-queries after a short pause in typing. */
  setSearch(node: TreeNode, text: string, immediate = false): void {
    const lvl = (node.children ??= newLevel());
    if (lvl.search === text && !immediate) return;
    lvl.search = text;
    const old = this.searchTimers.get(node.key);
    if (old) clearTimeout(old);
    const run = () => {
      this.searchTimers.delete(node.key);
      void this.load(node);
    };
    if (immediate) run();
    else this.searchTimers.set(node.key, setTimeout(run, SEARCH_DELAY_MS));
  }

  setIncludeSystem(value: boolean): void {
    if (this.includeSystem === value) return;
    this.includeSystem = value;
    // System schemas and template databases live in the first two levels.
    this.forEachLoaded((n) => {
      if (n.level === 'integration' || n.level === 'database') void this.load(n);
    });
  }

  /** Reloads every level that was loaded, keeping expansion. */
  refresh(): void {
    this.forEachLoaded((n) => void this.load(n));
  }

  private forEachLoaded(fn: (n: TreeNode) => void): void {
    const walk = (n: TreeNode) => {
      if (!n.children) return;
      const kids = n.children.items;
      if (n.children.status !== 'idle') fn(n);
      for (const c of kids) walk(c);
    };
    walk(this.root);
  }

  /** After a level changed, a selection that vanished moves to the nearest remaining ancestor. */
  private fixSelection(): void {
    const key = this.selectedKey;
    if (key === null) return;
    const flat = this.flat;
    if (flat.indexByKey.has(key)) return;
    let best: string | null = null;
    for (const k of flat.indexByKey.keys()) {
      if (isInside(key, k) && (best === null || k.length > best.length)) best = k;
    }
    this.selectedKey = best ?? this.root.key;
  }
}
