import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import RoleInput from './RoleInput.svelte';

describe('RoleInput', () => {
  it('suggests the roles, PUBLIC only when asked, and keeps the test id on the input', () => {
    const { body } = render(RoleInput, {
      props: { value: 'ali', roles: ['alice', 'analysts'], label: 'To role', testid: 'grant-role', withPublic: true, invalid: true },
    });
    expect(body).toMatch(/<input[^>]*data-testid="grant-role"/);
    expect(body).toMatch(/<input[^>]*value="ali"/);
    expect(body).toMatch(/<input[^>]*aria-invalid="true"/);
    const list = /<input[^>]*list="([^"]+)"/.exec(body)?.[1];
    expect(list).toBeTruthy();
    expect(body).toContain(`<datalist id="${list}">`);
    expect(body).toContain('PUBLIC: every role');
    expect(body).toContain('value="alice"');
    expect(body).toContain('value="analysts"');
    expect(body).toContain('To role');
  });

  it('gives each input its own list, with no PUBLIC by default, and a faint hint', () => {
    const a = render(RoleInput, { props: { roles: ['x'], label: 'Member of', hint: '(optional)', testid: 'a' } }).body;
    const b = render(RoleInput, { props: { roles: ['x'], label: 'Member of', testid: 'b' } }).body;
    expect(a).not.toContain('PUBLIC');
    expect(a).toContain('<span class="faint');
    expect(a).toContain('(optional)');
    const id = (s: string) => /list="([^"]+)"/.exec(s)?.[1];
    expect(id(a)).not.toBe(id(b));
  });
});
