/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The desktop shell loads ui/dist under a strict CSP (no inline scripts, no remote assets).
export default defineConfig({
  base: './',
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // Keep everything in files: CSP forbids inline scripts and data: fonts are not needed.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    // theme.test.ts reads the theme's colours from app.css (?raw): vitest empties CSS files otherwise.
    css: { include: [/app\.css/] },
  },
});
