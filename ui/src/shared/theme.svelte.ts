// Light/dark theme: follows the OS until the user picks one, which is then remembered.

export type Theme = 'light' | 'dark';
const KEY = 'grantry.theme';

function stored(): Theme | null {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : null;
  } catch {
    return null;
  }
}

function systemTheme(): Theme {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

class ThemeState {
  choice = $state<Theme | null>(stored());
  system = $state<Theme>(systemTheme());
  effective = $derived<Theme>(this.choice ?? this.system);

  /** Applies the theme to <html> now and whenever it changes; call once at start. */
  init(): void {
    this.apply();
    if (typeof matchMedia === 'function') {
      matchMedia('(prefers-color-scheme: dark)').addEventListener('change', (e) => {
        this.system = e.matches ? 'dark' : 'light';
        this.apply();
      });
    }
  }

  toggle(): void {
    this.choice = this.effective === 'dark' ? 'light' : 'dark';
    try {
      localStorage.setItem(KEY, this.choice);
    } catch {
      // storage unavailable: the choice lasts for this session
    }
    this.apply();
  }

  private apply(): void {
    document.documentElement.dataset.theme = this.effective;
  }
}

export const theme = new ThemeState();
