import { describe, expect, it } from 'vitest';
import { route } from './router';
import Welcome from '../features/integrations/Welcome.svelte';
import RolePage from '../features/privileges/RolePage.svelte';
import AuditPage from '../features/audit/AuditPage.svelte';
import Wizard from '../features/integrations/wizard/Wizard.svelte';

const none = { selected: null, tree: null, loaded: true };

describe('route', () => {
  it('shows the page of the view, with its props', () => {
    expect(route({ kind: 'audit' }, none)).toMatchObject({ component: AuditPage, drawer: false });
    expect(route({ kind: 'wizard', editing: null }, none)).toMatchObject({ component: Wizard, props: { editing: null }, drawer: false });
    const r = route({ kind: 'role', integration: 'prod', database: 'app', role: 'alice' }, none)!;
    expect(r).toMatchObject({ component: RolePage, props: { integration: 'prod', database: 'app', role: 'alice' }, drawer: true });
  });
  it('mounts a fresh page when what it shows changes', () => {
    const a = route({ kind: 'role', integration: 'prod', database: 'app', role: 'alice' }, none)!;
    const b = route({ kind: 'role', integration: 'prod', database: 'app', role: 'bob' }, none)!;
    expect(a.key).not.toBe(b.key);
  });
  it('welcomes when nothing is selected, and shows nothing while loading', () => {
    expect(route({ kind: 'explorer' }, none)).toMatchObject({ component: Welcome });
    expect(route({ kind: 'explorer' }, { ...none, loaded: false })).toBeNull();
  });
});
