// The main view as a route: which page component shows, with which props, under which key (a
// new key mounts a fresh page), and whether the plan drawer may open over it. App.svelte renders
// the route; navigation is app.view (see state.svelte.ts).

import type { Component } from 'svelte';
import type { Integration } from '../gen/Integration';
import type { TreeController } from '../features/explorer/treeController.svelte';
import type { MainView } from './state.svelte';
import Explorer from '../features/explorer/Explorer.svelte';
import Wizard from '../features/integrations/wizard/Wizard.svelte';
import Welcome from '../features/integrations/Welcome.svelte';
import RolePage from '../features/privileges/RolePage.svelte';
import AuditPage from '../features/audit/AuditPage.svelte';

export interface Route {
  /** Each page declares its own props; the router pairs them. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- one table for pages of different props
  component: Component<any>;
  props: Record<string, unknown>;
  key: string;
  /** The plan drawer may open over this page. */
  drawer: boolean;
}

/** What the explorer needs from the app state. */
export interface Selection {
  selected: Integration | null;
  tree: TreeController | null;
  loaded: boolean;
}

/** The page for `view`; null while the app is still loading. */
export function route(view: MainView, s: Selection): Route | null {
  switch (view.kind) {
    case 'wizard':
      return { component: Wizard, props: { editing: view.editing }, key: `wizard:${view.editing?.id ?? 'new'}`, drawer: false };
    case 'audit':
      return { component: AuditPage, props: {}, key: 'audit', drawer: false };
    case 'role':
      return {
        component: RolePage,
        props: { integration: view.integration, database: view.database, role: view.role },
        key: `role:${view.integration}\u0000${view.database}\u0000${view.role}`,
        drawer: true,
      };
    case 'explorer':
      if (s.selected && s.tree) {
        return { component: Explorer, props: { integration: s.selected, ctl: s.tree }, key: `explorer:${s.selected.id}:${treeId(s.tree)}`, drawer: true };
      }
      return s.loaded ? { component: Welcome, props: {}, key: 'welcome', drawer: true } : null;
  }
}

// A tree controller is replaced when its integration is edited: a new one mounts a fresh explorer.
const ids = new WeakMap<object, number>();
let next = 0;
function treeId(t: object): number {
  let id = ids.get(t);
  if (id === undefined) ids.set(t, (id = ++next));
  return id;
}
