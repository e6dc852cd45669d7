import { describe, expect, it } from 'vitest';
import { computeWindow, rowsPerPage, scrollToReveal } from './virtual';

describe('computeWindow', () => {
  it('renders only the visible rows plus overscan', () => {
    const w = computeWindow(100_000, 26, 0, 520, 5);
    expect(w.start).toBe(0);
    // 520 / 26 = 20 visible rows, +1 partial, +5 overscan
    expect(w.end).toBe(26);
    expect(w.totalHeight).toBe(2_600_000);
  });
  it('follows the scroll position', () => {
    const w = computeWindow(100_000, 26, 26 * 50_000 + 13, 520, 5);
    expect(w.start).toBe(50_000 - 5);
    expect(w.end).toBe(50_000 + 21 + 5);
    expect(w.end - w.start).toBeLessThan(40);
  });
  it('clamps at the end of the list', () => {
    const w = computeWindow(100, 26, 1e9, 520, 5);
    expect(w.end).toBe(100);
    expect(w.start).toBe(100 - 20 - 5);
  });
  it('handles an empty list and an unmeasured viewport', () => {
    expect(computeWindow(0, 26, 0, 500)).toEqual({ start: 0, end: 0, totalHeight: 0 });
    const w = computeWindow(10, 26, 0, 0, 2);
    expect(w.start).toBe(0);
    expect(w.end).toBeGreaterThan(0);
    expect(w.end).toBeLessThanOrEqual(10);
  });
  it('never goes negative', () => {
    const w = computeWindow(50, 26, -100, 260, 8);
    expect(w.start).toBe(0);
  });
});

describe('scrollToReveal', () => {
  it('leaves a visible row alone', () => {
    expect(scrollToReveal(5, 26, 0, 260)).toBeNull();
  });
  it('scrolls up to a row above', () => {
    expect(scrollToReveal(3, 26, 260, 260)).toBe(78);
  });
  it('scrolls down just enough for a row below', () => {
    // row 20 spans 520..546; viewport 260 high
    expect(scrollToReveal(20, 26, 0, 260)).toBe(546 - 260);
  });
  it('ignores a missing row', () => {
    expect(scrollToReveal(-1, 26, 0, 260)).toBeNull();
  });
});

describe('rowsPerPage', () => {
  it('is one less than the rows that fit, at least one', () => {
    expect(rowsPerPage(26, 520)).toBe(19);
    expect(rowsPerPage(26, 10)).toBe(1);
  });
});
