// Sliced builds: a generator does a bounded amount of work per step, so a caller can run
// other tasks (answering batches) between steps. Reload builds the rule matchers this way.

/**
 * Counts work units (rules or list entries) of a sliced build; `tick()` is true when the
 * slice is full, and the caller then yields `take()` (the units of that slice).
 */
export class SliceBudget {
  private done = 0;
  constructor(readonly size: number) {}
  tick(n = 1): boolean {
    this.done += n;
    return this.done >= this.size;
  }
  take(): number {
    const d = this.done;
    this.done = 0;
    return d;
  }
}

/** Runs a sliced build to its end in one go. */
export function runSteps<T>(steps: Generator<number, T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}
