import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { theme } from './shared/theme.svelte';
import { hasIpc, setDevBackend } from './api';

theme.init();

async function start(): Promise<void> {
  // `npm run dev` in a plain browser with ?mock: a stand-in core with generated data.
  if (import.meta.env.DEV && !hasIpc() && new URLSearchParams(location.search).has('mock')) {
    const { mockBackend } = await import('./dev/mock');
    setDevBackend(mockBackend());
  }
  const target = document.getElementById('app');
  if (target) mount(App, { target });
}

void start();
