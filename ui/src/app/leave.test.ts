import { describe, expect, it } from 'vitest';
import { LeaveGuard } from './leave.svelte';

describe('leaving a view with unsaved work', () => {
  it('leaves at once when nothing is guarded or nothing is unsaved', () => {
    const g = new LeaveGuard();
    let left = 0;
    g.leave(() => left++);
    expect(left).toBe(1);
    g.guard(() => false);
    g.leave(() => left++);
    expect(left).toBe(2);
    expect(g.pending).toBeNull();
  });

  it('waits for the answer while the work is unsaved: stay drops the change, discard makes it', () => {
    const g = new LeaveGuard();
    let unsaved = true;
    g.guard(() => unsaved);
    const went: string[] = [];
    g.leave(() => went.push('audit'));
    expect(went).toEqual([]);
    expect(g.pending).not.toBeNull();
    g.stay();
    expect(g.pending).toBeNull();
    expect(went).toEqual([]);
    g.leave(() => went.push('explorer'));
    g.discard();
    expect(went).toEqual(['explorer']);
    // Discarded work is not asked about again.
    g.leave(() => went.push('again'));
    expect(went).toEqual(['explorer', 'again']);
    unsaved = false;
  });

  it('asks nothing once the work is saved, or once the guarded view is gone', () => {
    const g = new LeaveGuard();
    g.guard(() => true);
    g.release();
    let left = 0;
    g.leave(() => left++);
    expect(left).toBe(1);
    const end = g.guard(() => true);
    end();
    g.leave(() => left++);
    expect(left).toBe(2);
  });

  it('a view unmounted after another took the guard does not end the newer guard', () => {
    const g = new LeaveGuard();
    const endOld = g.guard(() => true);
    g.guard(() => true);
    endOld();
    let left = 0;
    g.leave(() => left++);
    expect(left).toBe(0);
    expect(g.pending).not.toBeNull();
  });
});
