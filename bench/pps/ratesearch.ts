// Rate search: the highest offered rate a responder answers at or above a threshold
// (99.9% by default). One RateSearch per responder and round; the runner asks each in
// turn for its next rate, so probes of different responders interleave (A B C A B C).
//
// Phase 1 walks a fixed grid of offered rates upwards (every point also goes on the
// chart). Phase 2 bisects (geometric mean) between the highest passing grid rate
// below the first failure and that failure, until the bracket is narrower than
// `resolution` or `refineSteps` probes were spent.

export interface Probe {
  /** Rate asked of the generator, requests per second. */
  nominal: number;
  /** Rate the generator achieved (sent / send duration). */
  offered: number;
  /** Share of requests answered, 0..1. */
  answered: number;
}

export interface RateSearchOptions {
  /** Offered rates to walk, requests per second (sorted ascending by the constructor). */
  grid: readonly number[];
  /** Share that counts as answered (0.999). */
  threshold?: number;
  /** Probes spent refining between the last pass and the first failure. */
  refineSteps?: number;
  /** Stop refining when hi / lo < 1 + resolution. */
  resolution?: number;
  /** Keep walking the grid after the first failure (for the chart), up to this many failures. */
  failuresToStop?: number;
}

export interface RateSearchResult {
  /** Highest achieved offered rate answered at >= threshold (0 when none). */
  rate: number;
  /** 'max': never failed, the true limit is higher; 'none': failed at every rate tried. */
  bound: 'found' | 'max' | 'none';
}

export class RateSearch {
  readonly probes: Probe[] = [];
  private readonly grid: number[];
  private readonly threshold: number;
  private readonly refineSteps: number;
  private readonly resolution: number;
  private readonly failuresToStop: number;
  private gridIndex = 0;
  private failures = 0;
  private refined = 0;
  private lo = 0; // nominal rate known to pass
  private hi = Infinity; // nominal rate known to fail

  constructor(opts: RateSearchOptions) {
    if (opts.grid.length === 0) throw new RangeError('rate grid is empty');
    for (const r of opts.grid) {
      if (!(Number.isFinite(r) && r > 0)) throw new RangeError(`rate must be a positive number, got ${r}`);
    }
    this.grid = [...opts.grid].sort((a, b) => a - b);
    this.threshold = opts.threshold ?? 0.999;
    this.refineSteps = opts.refineSteps ?? 4;
    this.resolution = opts.resolution ?? 0.05;
    this.failuresToStop = opts.failuresToStop ?? 2;
  }

  passes(p: Probe): boolean {
    return p.answered >= this.threshold;
  }

  /** Nominal rate to probe next, or undefined when the search is over. */
  next(): number | undefined {
    if (this.gridIndex < this.grid.length && this.failures < this.failuresToStop) return this.grid[this.gridIndex];
    if (this.hi === Infinity) return undefined; // never failed: nothing to refine
    if (this.refined >= this.refineSteps) return undefined;
    const lo = this.lo > 0 ? this.lo : this.hi / 16;
    if (this.hi / lo < 1 + this.resolution) return undefined;
    return Math.round(this.lo > 0 ? Math.sqrt(this.lo * this.hi) : (this.lo + this.hi) / 2);
  }

  /** Records the outcome of probing `nominal` (the value next() returned). */
  record(p: Probe): void {
    this.probes.push(p);
    const ok = this.passes(p);
    if (this.gridIndex < this.grid.length && this.failures < this.failuresToStop && p.nominal === this.grid[this.gridIndex]) {
      this.gridIndex++;
      if (ok) {
        if (this.hi === Infinity) this.lo = Math.max(this.lo, p.nominal);
      } else {
        this.failures++;
        this.hi = Math.min(this.hi, p.nominal);
      }
      return;
    }
    this.refined++;
    if (ok) this.lo = Math.max(this.lo, p.nominal);
    else this.hi = Math.min(this.hi, p.nominal);
  }

  result(): RateSearchResult {
    // Highest achieved rate among passing probes at nominal rates below the first failure.
    let rate = 0;
    for (const p of this.probes) {
      if (this.passes(p) && p.nominal < this.hi && p.offered > rate) rate = p.offered;
    }
    if (this.hi === Infinity) return { rate, bound: rate > 0 ? 'max' : 'none' };
    return { rate, bound: rate > 0 ? 'found' : 'none' };
  }
}
