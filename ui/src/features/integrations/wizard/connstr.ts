// Reading what the core leaves out of an import candidate from the string the user pasted:
// the password (the core never returns secrets) and the TLS / timeout parameters.

export interface PastedSettings {
  password: string | null;
  /** libpq parameters found in the string (query string of a URI, or keyword=value pairs). */
  params: Record<string, string>;
}

export function isUri(text: string): boolean {
  return /^postgres(ql)?:\/\//i.test(text.trim());
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function fromUri(text: string): PastedSettings {
  const params: Record<string, string> = {};
  let password: string | null = null;
  try {
    const url = new URL(text);
    if (url.password !== '') password = decode(url.password);
    url.searchParams.forEach((v, k) => {
      params[k] = v;
    });
  } catch {
    // Multi-host URIs and other shapes URL refuses: read the user info and query by hand.
    const m = /^postgres(?:ql)?:\/\/([^@/?#]*)@/i.exec(text);
    if (m) {
      const colon = m[1].indexOf(':');
      if (colon >= 0) password = decode(m[1].slice(colon + 1));
    }
    const q = text.indexOf('?');
    if (q >= 0) {
      for (const pair of text.slice(q + 1).split('&')) {
        const eq = pair.indexOf('=');
        if (eq > 0) params[decode(pair.slice(0, eq))] = decode(pair.slice(eq + 1).replace(/\+/g, ' '));
      }
    }
  }
  if (params.password !== undefined) {
    password = params.password;
  }
  delete params.password;
  return { password, params };
}

/** libpq keyword/value syntax: `host=db port=5432 password='it''s \' quoted'`. */
export function parseKeywordValue(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  const n = text.length;
  const skipWs = () => {
    while (i < n && /\s/.test(text[i])) i++;
  };
  while (true) {
    skipWs();
    if (i >= n) break;
    let key = '';
    while (i < n && text[i] !== '=' && !/\s/.test(text[i])) key += text[i++];
    skipWs();
    if (text[i] !== '=') break; // malformed: stop quietly, the core reports the error
    i++;
    skipWs();
    let value = '';
    if (text[i] === "'") {
      i++;
      while (i < n && text[i] !== "'") {
        if (text[i] === '\\' && i + 1 < n) i++;
        value += text[i++];
      }
      i++; // closing quote
    } else {
      while (i < n && !/\s/.test(text[i])) {
        if (text[i] === '\\' && i + 1 < n) i++;
        value += text[i++];
      }
    }
    if (key) out[key] = value;
  }
  return out;
}

export function readPasted(text: string): PastedSettings {
  const t = text.trim();
  if (isUri(t)) return fromUri(t);
  const params = parseKeywordValue(t);
  const password = params.password ?? null;
  delete params.password;
  return { password, params };
}
