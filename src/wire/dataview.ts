// Big-endian word access to ring memory without per-frame allocation.
//
// A DataView reads and writes 16/32-bit big-endian words at any (unaligned) offset, and
// TurboFan compiles its accessors to single loads/stores. Creating one per frame would
// allocate, so each user keeps a small cache keyed by the Uint8Array object: a ring's
// buffer gets its DataView once, and the hot path only compares a reference.
// A DataView covers exactly the Uint8Array's bytes (same byteOffset and byteLength), so
// its own bounds are the array's; callers still keep every access inside [off, off+len).

/**
 * Small most-recent-first cache of DataViews over Uint8Arrays. The hot path compares one
 * reference (the buffer of the last call); a daemon with several interfaces alternates
 * between a few RX and TX buffers, so a handful of entries (SIZE) keeps misses from
 * allocating a DataView per frame.
 */
export class DataViewCache {
  static readonly SIZE = 8;
  private b0: Uint8Array | null = null;
  private d0: DataView = new DataView(new ArrayBuffer(0));
  /** Older entries, most recent first. */
  private readonly bufs: Array<Uint8Array | null> = new Array<Uint8Array | null>(DataViewCache.SIZE - 1).fill(null);
  private readonly dvs: DataView[] = new Array<DataView>(DataViewCache.SIZE - 1).fill(this.d0);

  /** The DataView over exactly `buf`'s bytes. */
  of(buf: Uint8Array): DataView {
    if (buf === this.b0) return this.d0;
    return this.miss(buf);
  }

  private miss(buf: Uint8Array): DataView {
    const bufs = this.bufs, dvs = this.dvs;
    let i = 0;
    while (i < bufs.length && bufs[i] !== buf) i++;
    const d = i < bufs.length ? dvs[i]! : new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    // Shift the entries before i (or all but the last, on a miss) down one; the old head goes first.
    for (let j = i < bufs.length ? i : bufs.length - 1; j > 0; j--) {
      bufs[j] = bufs[j - 1]!;
      dvs[j] = dvs[j - 1]!;
    }
    bufs[0] = this.b0;
    dvs[0] = this.d0;
    this.b0 = buf;
    this.d0 = d;
    return d;
  }
}
