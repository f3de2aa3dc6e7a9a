// Native load generator (native/generator.cc) over a TX-only Ring: copies template frames
// into TX slots on its own thread, paced or flat out. See the file header there for how
// sender/target vary per frame.
import type { GeneratorHandle, NativeBinding } from './binding';
import type { Ring } from './ring';

export interface GenerateOptions {
  /** Frames to send in rotation (ARP requests, Neighbor Solicitations, or anything else sent as is). */
  templates: readonly Uint8Array[];
  /** Frames to send in total. */
  count: number;
  /** Frames per second; 0 or absent: flat out. */
  ratePps?: number;
  /** Frame i's sender (IPv4 / low IPv6 word, and MAC low 16 bits) is the template's + (i % varySender). 0: fixed. */
  varySender?: number;
  /** Frame i's target address is the template's + (i % varyTarget). 0: fixed. */
  varyTarget?: number;
  /** Frames per sendto() kick when flat out (default 64). */
  batch?: number;
  /** Filled with each frame's send time: CLOCK_REALTIME microseconds (the clock of ring timestamps DESC_TS_*). */
  sendTimes?: Float64Array;
}

export interface GenerateResult {
  sent: number;
  elapsedNs: number;
  /** CLOCK_REALTIME microseconds when the run began. */
  startUs: number;
  /** sent / elapsed. */
  pps: number;
}

const MAX_COUNT = 2 ** 40;

/** The run in progress on each ring, for cancelGenerate(). */
const running = new WeakMap<Ring, { native: NativeBinding; handle: GeneratorHandle }>();

function expectNumber(name: string, v: unknown, min: number, max: number, int = true): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (int && !Number.isInteger(v)) || v < min || v > max) {
    throw new RangeError(`Expected ${int ? 'integer' : 'number'} between ${min} and ${max} for ${name} but received ${String(v)} of type ${typeof v}`);
  }
  return v;
}

/** Sends `count` frames from `ring`'s TX ring; the ring's `tx` is unusable until the promise settles. */
export async function generate(ring: Ring, opts: GenerateOptions): Promise<GenerateResult> {
  if (!Array.isArray(opts.templates) || opts.templates.length === 0) throw new TypeError('Expected a non-empty array of template frames for templates');
  const slot = ring.tx.slotSize;
  let total = 0;
  opts.templates.forEach((t, i) => {
    if (!(t instanceof Uint8Array)) throw new TypeError(`Expected a Uint8Array for templates[${i}]`);
    expectNumber(`templates[${i}].length`, t.length, 14, slot);
    total += t.length;
  });
  const count = expectNumber('count', opts.count, 0, MAX_COUNT);
  const ratePps = expectNumber('ratePps', opts.ratePps ?? 0, 0, 1e9, false);
  const varySender = expectNumber('varySender', opts.varySender ?? 0, 0, 0xffffffff);
  const varyTarget = expectNumber('varyTarget', opts.varyTarget ?? 0, 0, 0xffffffff);
  const batch = expectNumber('batch', opts.batch ?? 64, 1, ring.txFrames);
  if (opts.sendTimes !== undefined && (!(opts.sendTimes instanceof Float64Array) || opts.sendTimes.length < count)) {
    throw new RangeError(`Expected a Float64Array of at least ${count} entries for sendTimes`);
  }
  const packed = new Uint8Array(total);
  const lengths = new Uint32Array(opts.templates.length);
  let off = 0;
  opts.templates.forEach((t, i) => {
    packed.set(t, off);
    lengths[i] = t.length;
    off += t.length;
  });
  const claim = ring.claimTx();
  let sent = 0;
  try {
    const run = claim.native.gen_start(claim.handle, packed, lengths, { count, ratePps, varySender, varyTarget, batch }, opts.sendTimes ?? null);
    running.set(ring, { native: claim.native, handle: run.handle });
    const res = await run.done;
    sent = res.sent;
    return { ...res, pps: res.elapsedNs > 0 ? res.sent / (res.elapsedNs / 1e9) : 0 };
  } catch (err) {
    sent = (err as { sent?: number }).sent ?? 0;
    throw err;
  } finally {
    running.delete(ring);
    claim.release(sent);
  }
}

/** Stops a running generate() on `ring` early; its promise resolves with what was sent. */
export function cancelGenerate(ring: Ring): void {
  const run = running.get(ring);
  if (run) run.native.gen_cancel(run.handle);
}
