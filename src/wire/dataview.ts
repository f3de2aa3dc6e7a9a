// Big-endian word access to ring memory without per-frame allocation.
//
// A DataView reads and writes 16/32-bit big-endian words at any (unaligned) offset, and
// TurboFan compiles its accessors to single loads/stores. Creating one per frame would
// allocate, so each user keeps a small cache keyed by the Uint8Array object: a ring's
// buffer gets its DataView once, and the hot path only compares a reference.
// A DataView covers exactly the Uint8Array's bytes (same byteOffset and byteLength), so
// its own bounds are the array's; callers still keep every access inside [off, off+len).

/** Two-entry, most-recent-first cache of DataViews over Uint8Arrays (RX and TX rings of a batch). */
export class DataViewCache {
  private b0: Uint8Array | null = null;
  private d0: DataView = new DataView(new ArrayBuffer(0));
  private b1: Uint8Array | null = null;
  private d1: DataView = this.d0;

  /** The DataView over exactly `buf`'s bytes. */
  of(buf: Uint8Array): DataView {
    if (buf === this.b0) return this.d0;
    return this.miss(buf);
  }

  private miss(buf: Uint8Array): DataView {
    let d: DataView;
    if (buf === this.b1) d = this.d1;
    else d = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.b1 = this.b0;
    this.d1 = this.d0;
    this.b0 = buf;
    this.d0 = d;
    return d;
  }
}
