import { describe, expect, it } from 'vitest';
import type { DatabaseNode } from '../../gen/DatabaseNode';
import type { SchemaNode } from '../../gen/SchemaNode';
import type { RelationNode } from '../../gen/RelationNode';
import {
  appendChildren,
  childNoun,
  childSummaryText,
  databaseNode,
  flatten,
  integrationNode,
  isInside,
  kindOf,
  mergeChildren,
  lastNavigableKey,
  loadedKindsText,
  navigate,
  newLevel,
  nodeTooltip,
  pathOf,
  relationNode,
  schemaNode,
  type ChildLevel,
  type FlatTree,
  type TreeNode,
} from './tree';
import { selfHostedIntegration } from '../../dev/fixtures';

const it0 = selfHostedIntegration('prod', { environment: 'production', connection: { host: 'db', username: 'u' } });

const db = (name: string): DatabaseNode => ({
  name,
  owner: 'o',
  size_bytes: 1,
  comment: null,
  is_template: false,
  allow_connections: true,
  encoding: 'UTF8',
});
const schema = (name: string): SchemaNode => ({
  name,
  owner: 'o',
  comment: null,
  is_system: false,
  relation_count: 2,
  relation_count_capped: false,
});
const rel = (name: string, kind: RelationNode['kind'] = 'table'): RelationNode => ({
  oid: 1,
  name,
  kind,
  owner: 'o',
  size_bytes: 0,
  estimated_rows: 0,
  comment: null,
  is_partition: false,
});

function loaded(items: TreeNode[], over: Partial<ChildLevel> = {}): ChildLevel {
  return { ...newLevel(), items, status: 'loaded', ...over };
}

/** prod > (shop > (public > orders, v_orders), sales), analytics */
function sample() {
  const root = integrationNode(it0);
  const shop = databaseNode(root, db('shop'));
  const analytics = databaseNode(root, db('analytics'));
  const pub = schemaNode(shop, schema('public'));
  const sales = schemaNode(shop, schema('sales'));
  const orders = relationNode(pub, rel('orders'));
  const vOrders = relationNode(pub, rel('v_orders', 'view'));
  root.expanded = true;
  root.children = loaded([shop, analytics]);
  shop.expanded = true;
  shop.children = loaded([pub, sales]);
  pub.expanded = true;
  pub.children = loaded([orders, vOrders]);
  return { root, shop, analytics, pub, sales, orders, vOrders };
}

const types = (f: FlatTree) => f.rows.map((r) => (r.type === 'node' ? r.node.name : `#${r.type}`));

describe('flatten', () => {
  it('lists expanded levels depth first, with filter boxes for databases and schemas', () => {
    const { root } = sample();
    const f = flatten([root]);
    expect(types(f)).toEqual([
      'prod',
      'shop',
      '#filter',
      'public',
      '#filter',
      'orders',
      'v_orders',
      'sales',
      'analytics',
    ]);
    expect(f.rows.map((r) => r.depth)).toEqual([0, 1, 2, 2, 3, 3, 3, 2, 1]);
    expect(f.indexByKey.get(f.rows[5].key)).toBe(5);
  });

  it('shows loading, error, empty and more rows', () => {
    const { root, shop, pub, analytics } = sample();
    analytics.expanded = true;
    analytics.children = { ...newLevel(), status: 'loading' };
    pub.children!.hasMore = true;
    const sales = shop.children!.items[1];
    sales.expanded = true;
    sales.children = loaded([]);
    let f = flatten([root]);
    expect(types(f)).toEqual([
      'prod', 'shop', '#filter', 'public', '#filter', 'orders', 'v_orders', '#more',
      'sales', '#filter', '#empty', 'analytics', '#filter', '#loading',
    ]);
    analytics.children = { ...newLevel(), status: 'error', error: { code: 'connect.timeout', message: 'slow', detail: null, field: null } };
    f = flatten([root]);
    const err = f.rows[f.rows.length - 1];
    expect(err.type).toBe('error');
    expect(err.retry).toBe('level');
    expect(err.error?.code).toBe('connect.timeout');
  });

  it('hides the children of collapsed nodes but keeps them loaded', () => {
    const { root, shop } = sample();
    shop.expanded = false;
    expect(types(flatten([root]))).toEqual(['prod', 'shop', 'analytics']);
    expect(shop.children?.items.length).toBe(2);
  });

  it('stays fast with 100,000 loaded rows', () => {
    const { root, pub } = sample();
    const many: TreeNode[] = [];
    for (let i = 0; i < 100_000; i++) many.push(relationNode(pub, rel(`t${i}`)));
    pub.children = loaded(many);
    const t = performance.now();
    const f = flatten([root]);
    const ms = performance.now() - t;
    expect(f.rows.length).toBe(100_000 + 7);
    expect(ms).toBeLessThan(500);
  });
});

describe('node helpers', () => {
  it('knows paths and kinds', () => {
    const { orders, vOrders, pub, root } = sample();
    expect(pathOf(orders)).toEqual({ integration: 'prod', database: 'shop', schema: 'public' });
    expect(pathOf(root)).toEqual({ integration: 'prod', database: null, schema: null });
    expect(kindOf(vOrders)).toBe('view');
    expect(kindOf(pub)).toBe('schema');
    expect(isInside(orders.key, pub.key)).toBe(true);
    expect(isInside(pub.key, orders.key)).toBe(false);
  });

  it('keeps names with separators apart', () => {
    const root = integrationNode(it0);
    const a = databaseNode(root, db('a/b'));
    const b = databaseNode(root, db('a'));
    const s = schemaNode(b, schema('b'));
    expect(a.key).not.toBe(s.key);
  });

  it('merges a reloaded level, keeping expanded nodes', () => {
    const { root, shop } = sample();
    const fresh = [databaseNode(root, { ...db('shop'), size_bytes: 99 }), databaseNode(root, db('new'))];
    const merged = mergeChildren(root.children!.items, fresh);
    expect(merged[0]).toBe(shop);
    expect(shop.expanded).toBe(true);
    expect(shop.level === 'database' && shop.data.size_bytes).toBe(99);
    expect(merged.map((n) => n.name)).toEqual(['shop', 'new']);
  });

  it('appends pages without duplicates', () => {
    const { root } = sample();
    const old = root.children!.items;
    const more = [databaseNode(root, db('analytics')), databaseNode(root, db('zeta'))];
    expect(appendChildren(old, more).map((n) => n.name)).toEqual(['shop', 'analytics', 'zeta']);
  });
});

describe('keyboard navigation', () => {
  it('moves up and down over rows, skipping filter boxes', () => {
    const { root, pub, orders, shop } = sample();
    const f = flatten([root]);
    expect(navigate(f, shop.key, 'ArrowDown')).toEqual({ type: 'select', key: pub.key });
    expect(navigate(f, pub.key, 'ArrowDown')).toEqual({ type: 'select', key: orders.key });
    expect(navigate(f, orders.key, 'ArrowUp')).toEqual({ type: 'select', key: pub.key });
    expect(navigate(f, root.key, 'ArrowUp')).toEqual({ type: 'none' });
  });

  it('selects the first row when nothing is selected', () => {
    const { root } = sample();
    expect(navigate(flatten([root]), null, 'ArrowDown')).toEqual({ type: 'select', key: root.key });
  });

  it('expands, then enters, with Right', () => {
    const { root, analytics, shop, pub } = sample();
    const f = flatten([root]);
    expect(navigate(f, analytics.key, 'ArrowRight')).toEqual({ type: 'expand', key: analytics.key });
    expect(navigate(f, shop.key, 'ArrowRight')).toEqual({ type: 'select', key: pub.key });
  });

  it('does nothing with Right on a leaf', () => {
    const { root, orders } = sample();
    expect(navigate(flatten([root]), orders.key, 'ArrowRight')).toEqual({ type: 'none' });
  });

  it('collapses, then goes to the parent, with Left', () => {
    const { root, shop, orders, pub } = sample();
    const f = flatten([root]);
    expect(navigate(f, shop.key, 'ArrowLeft')).toEqual({ type: 'collapse', key: shop.key });
    expect(navigate(f, orders.key, 'ArrowLeft')).toEqual({ type: 'select', key: pub.key });
    expect(navigate(f, root.key, 'ArrowLeft')).toEqual({ type: 'collapse', key: root.key });
  });

  it('goes to the parent from a load-more row', () => {
    const { root, pub } = sample();
    pub.children!.hasMore = true;
    const f = flatten([root]);
    const more = f.rows.find((r) => r.type === 'more')!;
    expect(navigate(f, more.key, 'ArrowLeft')).toEqual({ type: 'select', key: pub.key });
    expect(navigate(f, more.key, 'Enter')).toEqual({ type: 'activate', key: more.key });
  });

  it('jumps with Home, End and pages', () => {
    const { root, analytics, orders } = sample();
    const f = flatten([root]);
    expect(navigate(f, orders.key, 'Home')).toEqual({ type: 'select', key: root.key });
    expect(navigate(f, orders.key, 'End')).toEqual({ type: 'select', key: analytics.key });
    expect(navigate(f, root.key, 'PageDown', 3)).toEqual({ type: 'select', key: orders.key });
    expect(navigate(f, root.key, 'PageDown', 100)).toEqual({ type: 'select', key: analytics.key });
    expect(navigate(f, analytics.key, 'PageUp', 100)).toEqual({ type: 'select', key: root.key });
  });

  it('toggles with Space, and lets it do what a load-more row offers', () => {
    const { root, shop, analytics, orders, pub } = sample();
    const f = flatten([root]);
    expect(navigate(f, shop.key, ' ')).toEqual({ type: 'toggle', key: shop.key });
    expect(navigate(f, analytics.key, ' ')).toEqual({ type: 'toggle', key: analytics.key });
    expect(navigate(f, orders.key, ' ')).toEqual({ type: 'none' });
    pub.children!.hasMore = true;
    const g = flatten([root]);
    const more = g.rows.find((r) => r.type === 'more')!;
    expect(navigate(g, more.key, ' ')).toEqual({ type: 'activate', key: more.key });
  });

  it('expands a collapsed node with Enter, and never collapses one', () => {
    const { root, shop, analytics } = sample();
    const f = flatten([root]);
    expect(navigate(f, analytics.key, 'Enter')).toEqual({ type: 'open', key: analytics.key, expand: true });
    expect(navigate(f, shop.key, 'Enter')).toEqual({ type: 'open', key: shop.key, expand: false });
  });

  it("finds End's row: the last one, a load-more row while pages remain", () => {
    const { root, shop, analytics } = sample();
    expect(lastNavigableKey(flatten([root]))).toBe(analytics.key);
    // A level with more pages, last in the tree: End goes to its "load more" row...
    root.children!.items = root.children!.items.filter((n) => n !== analytics);
    shop.children!.hasMore = true;
    const f = flatten([root]);
    expect(f.rows[f.rows.length - 1].type).toBe('more');
    expect(lastNavigableKey(f)).toBe(f.rows[f.rows.length - 1].key);
    // ...and, once the last page came, to the last row it brought.
    const last = schemaNode(shop, schema('zz_last'));
    shop.children!.items = [...shop.children!.items, last];
    shop.children!.hasMore = false;
    expect(lastNavigableKey(flatten([root]))).toBe(last.key);
    expect(lastNavigableKey(flatten([]))).toBeNull();
  });

  it('opens details with Enter', () => {
    const { root, orders } = sample();
    expect(navigate(flatten([root]), orders.key, 'Enter')).toEqual({ type: 'open', key: orders.key, expand: false });
  });
});

describe('words for the tree', () => {
  it('says "1 relation" in a schema\'s tooltip, and "1,000+ relations" at the cap', () => {
    const { shop } = sample();
    const one = schemaNode(shop, { ...schema('one'), relation_count: 1 });
    expect(nodeTooltip(one)).toBe('schema one\nowner: o\n1 relation');
    const none = schemaNode(shop, { ...schema('none'), relation_count: 0, comment: 'empty' });
    expect(nodeTooltip(none)).toBe('schema none\nowner: o\n0 relations\nempty');
    const wide = schemaNode(shop, { ...schema('wide'), relation_count: 1000, relation_count_capped: true });
    expect(nodeTooltip(wide)).toContain('\n1,000+ relations');
  });

  it('describes databases, relations and integrations', () => {
    const { root, shop, vOrders } = sample();
    expect(nodeTooltip(shop)).toBe('database shop\nowner: o\nencoding: UTF8');
    expect(nodeTooltip(vOrders)).toBe('view v_orders\nowner: o');
    expect(nodeTooltip(root)).toBe('prod — u@db:5432/postgres');
  });

  it('counts the loaded relations by kind, in the singular for one', () => {
    const { pub } = sample();
    expect(loadedKindsText(pub)).toBe('1 table, 1 view');
    pub.children = loaded([
      relationNode(pub, rel('a')),
      relationNode(pub, rel('b')),
      relationNode(pub, rel('m', 'materialized_view')),
    ]);
    expect(loadedKindsText(pub)).toBe('2 tables, 1 materialized view');
  });

  it('sums up a child level in words', () => {
    const { shop, pub, sales } = sample();
    expect(childNoun(shop)).toBe('schema');
    expect(childSummaryText(sales, 'relation')).toBe('not loaded (expand the node)');
    expect(childSummaryText(pub, 'relation')).toBe('2 relations');
    pub.children = loaded([relationNode(pub, rel('orders'))], { total: 1 });
    expect(childSummaryText(pub, 'relation')).toBe('1 relation');
    pub.children = loaded([relationNode(pub, rel('orders'))], { total: 1200, search: ' ord ' });
    expect(childSummaryText(pub, 'relation')).toBe('1,200 relations matching “ord” (1 loaded)');
    pub.children = { ...newLevel(), status: 'error' };
    expect(childSummaryText(pub, 'relation')).toBe('could not be loaded');
  });
});
