// The explorer tree as plain data: nodes, their lazily loaded child levels, the flattening into
// rows for the virtual list, and keyboard navigation over those rows. No IPC here.

import type { Integration } from '../../gen/Integration';
import type { DatabaseNode } from '../../gen/DatabaseNode';
import type { SchemaNode } from '../../gen/SchemaNode';
import type { RelationNode } from '../../gen/RelationNode';
import type { RelationKind } from '../../gen/RelationKind';
import type { Error as GrantryError } from '../../gen/Error';
import { formatCount, formatEndpoint, plural, pluralCapped } from '../../shared/format';
import { RELATION_KIND_LABEL } from '../../shared/labels';

export type Level = 'integration' | 'database' | 'schema' | 'relation';
/** What a row shows as `data-kind`. */
export type NodeKind = 'integration' | 'database' | 'schema' | RelationKind;

export interface ChildLevel {
  items: TreeNode[];
  status: 'idle' | 'loading' | 'loaded' | 'error';
  error: GrantryError | null;
  hasMore: boolean;
  loadingMore: boolean;
  moreError: GrantryError | null;
  total: number | null;
  /** The search text the items were (or are being) loaded with. */
  search: string;
  /** Id of the latest request, so late answers to older ones are dropped. */
  request: number;
}

interface NodeBase {
  key: string;
  name: string;
  depth: number;
  parent: TreeNode | null;
  expanded: boolean;
  children: ChildLevel | null;
}

export type TreeNode =
  | (NodeBase & { level: 'integration'; data: Integration })
  | (NodeBase & { level: 'database'; data: DatabaseNode })
  | (NodeBase & { level: 'schema'; data: SchemaNode })
  | (NodeBase & { level: 'relation'; data: RelationNode });

const SEP = '\u0000';

export function newLevel(search = ''): ChildLevel {
  return {
    items: [],
    status: 'idle',
    error: null,
    hasMore: false,
    loadingMore: false,
    moreError: null,
    total: null,
    search,
    request: 0,
  };
}

export function integrationNode(it: Integration): TreeNode {
  return { level: 'integration', key: `i:${it.name}`, name: it.name, depth: 0, parent: null, expanded: false, children: null, data: it };
}

function childKey(parent: TreeNode, letter: string, name: string): string {
  return `${parent.key}${SEP}${letter}:${name}`;
}

export function databaseNode(parent: TreeNode, db: DatabaseNode): TreeNode {
  return { level: 'database', key: childKey(parent, 'd', db.name), name: db.name, depth: parent.depth + 1, parent, expanded: false, children: null, data: db };
}

export function schemaNode(parent: TreeNode, s: SchemaNode): TreeNode {
  return { level: 'schema', key: childKey(parent, 's', s.name), name: s.name, depth: parent.depth + 1, parent, expanded: false, children: null, data: s };
}

export function relationNode(parent: TreeNode, r: RelationNode): TreeNode {
  return { level: 'relation', key: childKey(parent, 'r', r.name), name: r.name, depth: parent.depth + 1, parent, expanded: false, children: null, data: r };
}

export function kindOf(node: TreeNode): NodeKind {
  return node.level === 'relation' ? node.data.kind : node.level;
}

export function isExpandable(node: TreeNode): boolean {
  return node.level !== 'relation';
}

/** Whether `key` is strictly inside the subtree of `ancestorKey`. */
export function isInside(key: string, ancestorKey: string): boolean {
  return key.startsWith(ancestorKey + SEP);
}

/** Where a node lives: what the IPC commands need to address it. */
export interface NodePath {
  integration: string;
  database: string | null;
  schema: string | null;
}

export function pathOf(node: TreeNode): NodePath {
  const path: NodePath = { integration: '', database: null, schema: null };
  for (let n: TreeNode | null = node; n; n = n.parent) {
    if (n.level === 'integration') path.integration = n.name;
    else if (n.level === 'database') path.database = n.name;
    else if (n.level === 'schema') path.schema = n.name;
  }
  return path;
}

/**
 * A freshly loaded level replacing an older one: nodes that are still there keep their identity
 * (and so their expansion and loaded children), with the new data.
 */
export function mergeChildren(old: TreeNode[], fresh: TreeNode[]): TreeNode[] {
  if (old.length === 0) return fresh;
  const byKey = new Map(old.map((n) => [n.key, n]));
  return fresh.map((n) => {
    const kept = byKey.get(n.key);
    if (!kept || kept.level !== n.level) return n;
    kept.data = n.data as never;
    return kept;
  });
}

/** A further page appended to a level, skipping anything already there. */
export function appendChildren(old: TreeNode[], more: TreeNode[]): TreeNode[] {
  const seen = new Set(old.map((n) => n.key));
  const out = old.slice();
  for (const n of more) if (!seen.has(n.key)) out.push(n);
  return out;
}

// ------------------------------------------------------------------------------------- rows

export type RowType = 'node' | 'filter' | 'loading' | 'error' | 'more' | 'empty';

export interface Row {
  type: RowType;
  key: string;
  depth: number;
  /** The node itself for 'node' rows; the node whose child level this row belongs to otherwise. */
  node: TreeNode;
  /** Snapshot of node.expanded when flattened. */
  expanded: boolean;
  /** For 'error' rows: what failed, and whether Retry reloads the level or the next page. */
  error?: GrantryError;
  retry?: 'level' | 'more';
  /** For 'more' rows: a page is on its way. */
  busy?: boolean;
}

/** Key of a row that belongs to `node`'s child level (filter, loading, more...). */
export function syntheticKey(node: TreeNode, type: RowType | 'moreerror'): string {
  return `${node.key}${SEP}#${type}`;
}

export interface FlatTree {
  rows: Row[];
  indexByKey: Map<string, number>;
}

/** Levels with few items do not need a filter box, except for databases and schemas. */
export const ROOT_FILTER_THRESHOLD = 30;

export function showsFilter(node: TreeNode): boolean {
  if (node.level === 'database' || node.level === 'schema') return true;
  if (node.level === 'integration') {
    const lvl = node.children;
    return !!lvl && (lvl.hasMore || lvl.items.length > ROOT_FILTER_THRESHOLD || lvl.search !== '');
  }
  return false;
}

/** The rows of the virtual list: expanded nodes followed by their level's rows. */
export function flatten(roots: TreeNode[]): FlatTree {
  const rows: Row[] = [];
  const visit = (node: TreeNode) => {
    rows.push({ type: 'node', key: node.key, depth: node.depth, node, expanded: node.expanded });
    if (!node.expanded || !isExpandable(node)) return;
    const depth = node.depth + 1;
    const lvl = node.children;
    const synth = (type: RowType, extra: Partial<Row> = {}) =>
      rows.push({ type, key: syntheticKey(node, type), depth, node, expanded: false, ...extra });
    if (showsFilter(node)) synth('filter');
    if (!lvl || lvl.status === 'idle' || lvl.status === 'loading') {
      synth('loading');
      if (!lvl) return;
    }
    if (lvl.status === 'error' && lvl.error) synth('error', { error: lvl.error, retry: 'level' });
    for (const child of lvl.items) visit(child);
    if (lvl.status === 'loaded' && lvl.items.length === 0) synth('empty');
    if (lvl.moreError) synth('error', { key: syntheticKey(node, 'moreerror'), error: lvl.moreError, retry: 'more' });
    else if (lvl.hasMore && lvl.status === 'loaded') synth('more', { busy: lvl.loadingMore });
  };
  for (const r of roots) visit(r);
  const indexByKey = new Map<string, number>();
  for (let i = 0; i < rows.length; i++) indexByKey.set(rows[i].key, i);
  return { rows, indexByKey };
}

// ------------------------------------------------------------------------------- keyboard

export function isNavigable(row: Row): boolean {
  return row.type === 'node' || row.type === 'more' || row.type === 'error';
}

/** The keys the tree handles (`' '` is Space, as KeyboardEvent.key names it). */
export type NavKey = 'ArrowUp' | 'ArrowDown' | 'ArrowLeft' | 'ArrowRight' | 'Home' | 'End' | 'PageUp' | 'PageDown' | 'Enter' | ' ';

export const NAV_KEYS: ReadonlySet<string> = new Set<NavKey>([
  'ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'End', 'PageUp', 'PageDown', 'Enter', ' ',
]);

export type NavAction =
  | { type: 'select'; key: string }
  | { type: 'expand'; key: string }
  | { type: 'collapse'; key: string }
  | { type: 'toggle'; key: string }
  /** Show the node's details; `expand`: it is collapsed and has children, so open it too. */
  | { type: 'open'; key: string; expand: boolean }
  | { type: 'activate'; key: string }
  | { type: 'none' };

function step(rows: Row[], from: number, dir: 1 | -1, count = 1): number {
  let found = -1;
  let left = count;
  for (let i = from + dir; i >= 0 && i < rows.length; i += dir) {
    if (!isNavigable(rows[i])) continue;
    found = i;
    if (--left === 0) break;
  }
  return found;
}

function firstNavigable(rows: Row[]): number {
  return step(rows, -1, 1);
}

function lastNavigable(rows: Row[]): number {
  return step(rows, rows.length, -1);
}

/** The key of the last row the selection can be on (End's target), or null for an empty tree. */
export function lastNavigableKey(flat: FlatTree): string | null {
  const i = lastNavigable(flat.rows);
  return i >= 0 ? flat.rows[i].key : null;
}

const NONE: NavAction = { type: 'none' };

function select(rows: Row[], i: number): NavAction {
  return i >= 0 ? { type: 'select', key: rows[i].key } : NONE;
}

/** What a key press does in the tree, given the selected row. */
export function navigate(flat: FlatTree, selectedKey: string | null, key: NavKey, pageSize = 10): NavAction {
  const { rows } = flat;
  if (rows.length === 0) return NONE;
  const current = selectedKey === null ? undefined : flat.indexByKey.get(selectedKey);
  if (current === undefined) {
    if (key === 'End') return select(rows, lastNavigable(rows));
    return select(rows, firstNavigable(rows));
  }
  const row = rows[current];
  switch (key) {
    case 'ArrowDown':
      return select(rows, step(rows, current, 1));
    case 'ArrowUp':
      return select(rows, step(rows, current, -1));
    case 'PageDown': {
      const i = step(rows, current, 1, pageSize);
      return select(rows, i >= 0 ? i : lastNavigable(rows));
    }
    case 'PageUp': {
      const i = step(rows, current, -1, pageSize);
      return select(rows, i >= 0 ? i : firstNavigable(rows));
    }
    case 'Home':
      return select(rows, firstNavigable(rows));
    case 'End':
      return select(rows, lastNavigable(rows));
    case 'ArrowRight': {
      if (row.type !== 'node' || !isExpandable(row.node)) return NONE;
      if (!row.expanded) return { type: 'expand', key: row.key };
      for (let i = current + 1; i < rows.length && rows[i].depth > row.depth; i++) {
        if (isNavigable(rows[i])) return select(rows, i);
      }
      return NONE;
    }
    case 'ArrowLeft': {
      if (row.type === 'node' && row.expanded) return { type: 'collapse', key: row.key };
      const parent = row.type === 'node' ? row.node.parent : row.node;
      return parent ? { type: 'select', key: parent.key } : NONE;
    }
    // As in a file manager's folder tree (the navigation pane of Explorer, Finder's sidebar):
    // Enter opens the node, here its details, and expands it when it is collapsed, but never
    // collapses it; Space toggles it open or closed; Left collapses. On a "load more" or error
    // row both keys do what the row offers (load the next page, retry).
    case 'Enter':
      return row.type === 'node'
        ? { type: 'open', key: row.key, expand: isExpandable(row.node) && !row.expanded }
        : { type: 'activate', key: row.key };
    case ' ':
      if (row.type !== 'node') return { type: 'activate', key: row.key };
      return isExpandable(row.node) ? { type: 'toggle', key: row.key } : NONE;
  }
  return NONE;
}

// ------------------------------------------------------------------------------ words

/** What a node's children are, one of them: "database", "schema", "relation". */
export function childNoun(node: TreeNode): string {
  return node.level === 'integration' ? 'database' : node.level === 'database' ? 'schema' : 'relation';
}

/** A row's tooltip: what it is, its owner and the facts the row has no room for. */
export function nodeTooltip(node: TreeNode): string {
  switch (node.level) {
    case 'integration': {
      const c = node.data.connection;
      return `${node.name} — ${c.username}@${formatEndpoint(c.host, c.port)}/${c.database}`;
    }
    case 'database':
      return [
        `database ${node.name}`,
        `owner: ${node.data.owner}`,
        `encoding: ${node.data.encoding}`,
        node.data.is_template ? 'template' : '',
        node.data.allow_connections ? '' : 'connections not allowed',
        node.data.comment ?? '',
      ]
        .filter(Boolean)
        .join('\n');
    case 'schema':
      return [
        `schema ${node.name}`,
        `owner: ${node.data.owner}`,
        pluralCapped(node.data.relation_count, node.data.relation_count_capped, 'relation'),
        node.data.comment ?? '',
      ]
        .filter(Boolean)
        .join('\n');
    case 'relation':
      return [
        `${RELATION_KIND_LABEL[node.data.kind]} ${node.name}`,
        `owner: ${node.data.owner}`,
        node.data.is_partition ? 'partition' : '',
        node.data.comment ?? '',
      ]
        .filter(Boolean)
        .join('\n');
  }
}

/** The loaded children of a schema counted by kind: "12 tables, 1 view, 3 materialized views". */
export function loadedKindsText(node: TreeNode): string {
  const counts = new Map<string, number>();
  for (const c of node.children?.items ?? []) {
    if (c.level !== 'relation') continue;
    const label = RELATION_KIND_LABEL[c.data.kind];
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts].map(([k, v]) => plural(v, k)).join(', ');
}

/** How many children a node has as far as the tree knows: "1 schema", "12 relations matching “ord” (5 loaded)". */
export function childSummaryText(node: TreeNode, noun: string): string {
  const lvl = node.children;
  if (!lvl || lvl.status === 'idle') return 'not loaded (expand the node)';
  if (lvl.status === 'loading' && lvl.items.length === 0) return 'loading…';
  if (lvl.status === 'error') return 'could not be loaded';
  const total = lvl.total;
  const search = lvl.search.trim();
  let text = plural(total ?? lvl.items.length, noun);
  if (search !== '') text += ` matching “${search}”`;
  if (total !== null && lvl.items.length < total) text += ` (${formatCount(lvl.items.length)} loaded)`;
  return text;
}
