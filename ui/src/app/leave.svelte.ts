// Leaving a view that holds unsaved work (the wizard): the view says whether it has any, and a
// change of view waits until the user agrees to lose it.

export class LeaveGuard {
  /** Whether the guarded view holds work that leaving would lose (set by that view). */
  private unsaved: (() => boolean) | null = null;
  /** A change of view waiting for the user's answer. */
  pending = $state.raw<(() => void) | null>(null);

  /** Guards leaving while `unsaved()` says so; returns what ends the guard (the view's unmount). */
  guard(unsaved: () => boolean): () => void {
    this.unsaved = unsaved;
    return () => {
      if (this.unsaved === unsaved) this.release();
    };
  }

  /** Runs `go` now, or once the user agrees to lose the unsaved work. */
  leave(go: () => void): void {
    if (this.unsaved?.()) this.pending = go;
    else go();
  }

  /** The user agreed: the waiting change of view happens. */
  discard(): void {
    const go = this.pending;
    this.release();
    go?.();
  }

  /** The user stays: the waiting change of view is dropped. */
  stay(): void {
    this.pending = null;
  }

  /** The work was kept (saved): leaving asks nothing. */
  release(): void {
    this.unsaved = null;
    this.pending = null;
  }
}
