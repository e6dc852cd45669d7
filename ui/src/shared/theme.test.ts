// Contrast of the theme's text colours (app.css), light and dark: WCAG AA asks 4.5:1 for text.
import { describe, expect, it } from 'vitest';
import css from '../app.css?raw';

/** The custom properties of the first rule whose selector is `selector`. */
function variables(selector: string): Record<string, string> {
  const start = css.indexOf(`${selector} {`);
  if (start < 0) throw new Error(`app.css has no rule ${selector}`);
  const body = css.slice(start, css.indexOf('}', start));
  const out: Record<string, string> = {};
  for (const m of body.matchAll(/(--[\w-]+)\s*:\s*([^;]+);/g)) out[m[1]] = m[2].trim();
  return out;
}

const light = variables(':root');
// The dark theme overrides the light one; what it leaves alone is inherited.
const dark = { ...light, ...variables("[data-theme='dark']") };

function rgb(value: string): [number, number, number] {
  const m = /^#([0-9a-f]{6})$/i.exec(value);
  if (!m) throw new Error(`not a #rrggbb colour: ${value}`);
  return [0, 2, 4].map((i) => parseInt(m[1].slice(i, i + 2), 16) / 255) as [number, number, number];
}

/** WCAG 2 relative luminance. */
function luminance(value: string): number {
  const [r, g, b] = rgb(value).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

// Grey text (names, sizes, counts, notes) shows on every surface, selected rows and notes included.
const GREY_TEXT = ['--text', '--text-dim', '--text-faint'];
const SURFACES = [
  '--bg',
  '--bg-soft',
  '--bg-sunken',
  '--bg-hover',
  '--bg-selected',
  '--bg-selected-dim',
  '--code-bg',
  '--input-bg',
  '--accent-soft',
  '--warn-soft',
  '--danger-soft',
  '--ok-soft',
];
// Coloured text (links, errors, "staged", warnings) shows on plain surfaces and on its own tint.
const PLAIN = ['--bg', '--bg-soft', '--bg-sunken', '--bg-hover', '--code-bg', '--input-bg'];
const COLOURED: [string, string][] = [
  ['--accent', '--accent-soft'],
  ['--danger', '--danger-soft'],
  ['--ok', '--ok-soft'],
  ['--warn', '--warn-soft'],
];
// Text on a filled button.
const ON_FILL: [string, string][] = [
  ['--accent-fg', '--accent'],
  ['--accent-fg', '--accent-hover'],
  ['--danger-fg', '--danger'],
  ['--danger-fg', '--danger-hover'],
];

function pairs(): [string, string][] {
  const out: [string, string][] = [];
  for (const fg of GREY_TEXT) for (const bg of SURFACES) out.push([fg, bg]);
  for (const [fg, tint] of COLOURED) for (const bg of [...PLAIN, tint]) out.push([fg, bg]);
  return [...out, ...ON_FILL];
}

describe('contrast', () => {
  it('is computed as WCAG does', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
    expect(contrast('#ffffff', '#ffffff')).toBe(1);
  });

  for (const [name, theme] of [
    ['light', light],
    ['dark', dark],
  ] as const) {
    it(`reaches 4.5:1 for every text colour of the ${name} theme`, () => {
      const failing = pairs()
        .map(([fg, bg]) => ({ fg, bg, ratio: contrast(theme[fg], theme[bg]) }))
        .filter((p) => p.ratio < 4.5)
        .map((p) => `${p.fg} on ${p.bg}: ${p.ratio.toFixed(2)}`);
      expect(failing).toEqual([]);
    });
  }
});
