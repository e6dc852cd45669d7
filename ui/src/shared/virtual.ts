// Window computation for a virtualized list of fixed-height rows.

export interface VirtualWindow {
  /** First row index to render (inclusive). */
  start: number;
  /** Last row index to render (exclusive). */
  end: number;
  /** Height of the whole list, in pixels. */
  totalHeight: number;
}

/**
 * Rows to render for a viewport scrolled to `scrollTop`, with `overscan` extra rows on each side
 * so fast scrolling does not show blank space. Robust to a scrollTop past the end (after the list
 * shrank) and to an empty viewport (before the first layout).
 */
export function computeWindow(
  count: number,
  rowHeight: number,
  scrollTop: number,
  viewportHeight: number,
  overscan = 8,
): VirtualWindow {
  const totalHeight = Math.max(0, count) * rowHeight;
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0, totalHeight };
  const maxScroll = Math.max(0, totalHeight - viewportHeight);
  const top = Math.min(Math.max(0, scrollTop), maxScroll);
  const first = Math.floor(top / rowHeight);
  const visible = Math.ceil(Math.max(viewportHeight, rowHeight) / rowHeight) + 1;
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, first + visible + overscan);
  return { start, end, totalHeight };
}

/**
 * The scrollTop that brings row `index` fully into view, or null when it already is. Scrolls the
 * least: a row above the viewport goes to the top, one below goes to the bottom.
 */
export function scrollToReveal(
  index: number,
  rowHeight: number,
  scrollTop: number,
  viewportHeight: number,
): number | null {
  if (index < 0) return null;
  const rowTop = index * rowHeight;
  const rowBottom = rowTop + rowHeight;
  if (rowTop < scrollTop) return rowTop;
  if (rowBottom > scrollTop + viewportHeight) return Math.max(0, rowBottom - viewportHeight);
  return null;
}

/** How many whole rows fit in the viewport (at least 1): the step of PageUp/PageDown. */
export function rowsPerPage(rowHeight: number, viewportHeight: number): number {
  if (rowHeight <= 0) return 1;
  return Math.max(1, Math.floor(viewportHeight / rowHeight) - 1);
}
