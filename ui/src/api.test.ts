import { describe, expect, it } from 'vitest';
import { hasIpc, isGrantryError, listIntegrations, normalizeError } from './api';

describe('normalizeError', () => {
  it('keeps core errors', () => {
    expect(normalizeError({ code: 'auth_failed', message: 'no', detail: 'x' })).toEqual({ code: 'auth_failed', message: 'no', detail: 'x' });
    expect(normalizeError({ code: 'dns', message: 'no' })).toEqual({ code: 'dns', message: 'no', detail: null });
  });
  it('wraps anything else as internal', () => {
    expect(normalizeError('boom')).toEqual({ code: 'internal', message: 'boom', detail: null });
    const e = normalizeError(new TypeError('bad'));
    expect(e.code).toBe('internal');
    expect(e.message).toBe('bad');
    expect(normalizeError({ code: 'made_up', message: 'x' }).code).toBe('internal');
    expect(normalizeError(undefined).code).toBe('internal');
  });
  it('recognizes the shape', () => {
    expect(isGrantryError({ code: 'timeout', message: '' })).toBe(true);
    expect(isGrantryError({ code: 'timeout' })).toBe(false);
    expect(isGrantryError(null)).toBe(false);
  });
});

describe('without the desktop shell', () => {
  it('rejects with a GrantryError instead of throwing a TypeError', async () => {
    expect(hasIpc()).toBe(false);
    await expect(listIntegrations()).rejects.toMatchObject({ code: 'internal' });
  });
});
