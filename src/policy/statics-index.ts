// The file's static entries as a built hash table (keys, MACs, hash index), made by a
// reload's prepare thread so that the thread that answers does not insert 70 000 keys
// itself. The keys carry the interface slot; the prepare thread does not know the
// worker's slots, so it takes each block's index in the file (what the worker has when
// the interface names kept their order) and the worker checks that guess: when it does not
// hold, or run-time entries do not fit, the worker builds its table as before.
import { MAX_STATICS } from '../config/limits';
import type { InterfaceConfig } from '../config/types';
import { Family } from '../net/addr';
import { AddrTable, KEY_WORDS, metaWord, type AddrTableParts } from './addrtable';
import type { IfState } from './interfaces';
import type { SliceBudget } from './slices';
import { Origin, type PreparedStatics } from './statics';
import { tablesOf } from './tables';

/** Entries a static table holds before its first growth (statics.ts INITIAL_CAPACITY). */
const INITIAL_CAPACITY = 4096;

export interface StaticIndex {
  /** Per block of the file: the slot its keys were built with (the block's index). */
  slots: Int32Array;
  /** The blocks' entries, all together (duplicates counted): the worker's check that no block is missing. */
  entries: number;
  table: AddrTableParts;
  /** Per entry id. */
  mac: Float64Array;
  /** The ids whose entry has `announce`: the only ones a reload compares with the table in force. */
  announced: Int32Array;
}

/** The static table of every block of the file (in the prepare thread); undefined without statics. */
export function buildStaticIndex(blocks: readonly InterfaceConfig[], maxSize = MAX_STATICS): StaticIndex | undefined {
  let entries = 0;
  for (const c of blocks) entries += c.statics.length;
  if (entries === 0) return undefined;
  let cap = Math.min(maxSize, INITIAL_CAPACITY);
  while (cap < entries && cap < maxSize) cap = Math.min(maxSize, cap * 2);
  const t = new AddrTable(cap);
  const mac = new Float64Array(cap);
  const announce = new Uint8Array(cap);
  blocks.forEach((c, slot) => {
    for (const e of c.statics) {
      const a = e.address;
      const v6 = a.family === Family.V6;
      const w = metaWord(v6, slot, -1);
      const [a0, a1, a2, a3] = v6 ? a.v6 : [0, 0, 0, a.v4];
      let id = t.find(w, a0!, a1!, a2!, a3!);
      if (id < 0) id = t.insert(w, a0!, a1!, a2!, a3!);
      if (id < 0) break;
      mac[id] = e.mac;
      announce[id] = e.announce ? 1 : 0;
    }
  });
  const announced: number[] = [];
  for (let id = 0; id < t.size; id++) if (announce[id]) announced.push(id);
  return { slots: Int32Array.from(blocks, (_, i) => i), entries, table: t.parts(), mac, announced: Int32Array.from(announced) };
}

/** The typed arrays of `x`, for a transfer list or a shared copy. */
export function indexArrays(x: StaticIndex): (Uint32Array | Int32Array | Float64Array)[] {
  return [x.slots, x.table.keys, x.table.slots, x.table.nextFree, x.mac, x.announced];
}

/** The index a reload of `ifs` may take as it stands, or undefined (then statics.ts builds the table). */
export function usableIndex(ifs: readonly IfState[], maxSize: number, runtime: number): StaticIndex | undefined {
  const idx = ifs.length > 0 ? tablesOf(ifs[0]!.cfg)?.staticIndex : undefined;
  if (!idx) return undefined;
  let n = 0;
  for (const s of ifs) {
    const t = tablesOf(s.cfg);
    if (t?.staticIndex !== idx || idx.slots[s.index] !== s.slot) return undefined;
    n += t.statics.count;
  }
  const cap = idx.table.capacity;
  return n === idx.entries && cap <= maxSize && runtime + idx.table.size <= cap ? idx : undefined;
}

/** The table in force, as the adoption reads it. */
export interface InForce {
  table: AddrTable;
  mac: Float64Array;
  origin: Uint8Array;
  runtime: number;
}

/**
 * A prepared table from `idx`: its arrays are used as they are (shared with the other
 * workers until a run-time change copies them) unless run-time entries of `now` are merged
 * in; then the announcement state of the `announce` entries, compared with `now`.
 */
export function* adoptIndex(idx: StaticIndex, now: InForce, ifs: readonly IfState[], changes: number, b: SliceBudget): Generator<number, PreparedStatics> {
  const cap = idx.table.capacity;
  const origin = new Uint8Array(cap);
  origin.fill(Origin.File, 0, idx.table.size); // a table built without removals uses ids 0 .. size-1
  const p: PreparedStatics = {
    ifs, changes, table: AddrTable.fromParts(idx.table), mac: idx.mac, origin, shared: true,
    left: new Uint8Array(cap), at: new Float64Array(cap), queued: new Uint8Array(cap),
    carry: new Int32Array(cap).fill(-1), fresh: new Uint8Array(cap), touched: [], runtime: 0,
  };
  if (now.runtime > 0) yield* mergeRuntime(p, now, b);
  const k = p.table.keys;
  const old = now.table;
  for (let j = 0; j < idx.announced.length; j++) {
    const n = idx.announced[j]!;
    const o = n * KEY_WORDS;
    const was = old.size > 0 ? old.find(k[o]!, k[o + 1]!, k[o + 2]!, k[o + 3]!, k[o + 4]!) : -1;
    const same = was >= 0 && now.origin[was] === Origin.File && now.mac[was] === p.mac[n];
    // Unchanged: the announcements it had left go on; new or moved: they start again.
    if (same) p.carry[n] = was;
    else p.fresh[n] = 1;
    p.touched.push(n);
    if (b.tick()) yield b.take();
  }
  return p;
}

/** Copies the index's arrays and adds the run-time entries of `now` the file does not have. */
function* mergeRuntime(p: PreparedStatics, now: InForce, b: SliceBudget): Generator<number, void> {
  p.table = p.table.copy();
  p.mac = p.mac.slice();
  p.shared = false;
  if (b.tick(256)) yield b.take(); // the copy: a few MB, about 256 entries' work
  yield* carryRuntime(p, now, b);
}

/**
 * Adds to `p` the run-time (`ctl add`) entries of the table in force, `now`, that `p` does
 * not hold already (the file's entry wins), noting where each came from (`carry`).
 */
export function* carryRuntime(p: PreparedStatics, now: InForce, b: SliceBudget): Generator<number, void> {
  const k = now.table.keys;
  for (let id = 0; id < now.origin.length; id++) {
    if ((id & 1023) === 1023 && b.tick(16)) yield b.take(); // the scan: about 16 entries' work per 1 024 ids
    if (now.origin[id] !== Origin.Runtime) continue;
    const o = id * KEY_WORDS;
    if (p.table.find(k[o]!, k[o + 1]!, k[o + 2]!, k[o + 3]!, k[o + 4]!) >= 0) continue; // the file's entry wins
    const n = p.table.insert(k[o]!, k[o + 1]!, k[o + 2]!, k[o + 3]!, k[o + 4]!);
    if (n < 0) break;
    p.mac[n] = now.mac[id]!;
    p.origin[n] = Origin.Runtime;
    p.runtime++;
    p.carry[n] = id;
    p.touched.push(n);
    if (b.tick()) yield b.take();
  }
}
