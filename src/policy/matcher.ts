// First-match rule lookup whose cost does not grow with the number of rules.
//
// Two exact-match hash levels, all in typed arrays:
//  1. target level: for each target prefix length present in the rules (at most 33 for
//     IPv4, 129 for IPv6), the request's target masked to that length is looked up; a hit
//     is a "target node": the set of rules with exactly that target prefix.
//  2. source level: a node lists the source prefix lengths its rules use, ordered by the
//     lowest rule index per length; for each, the source masked to that length is looked
//     up under (node, length), giving the lowest rule index with that exact pair.
// The walk keeps the best (lowest) index found and skips nodes and source lengths whose
// lowest index cannot beat it, so first-match order (file order) is kept.
//
// Bound: T + sum over matching target nodes of their source lengths, where T is the number
// of distinct target lengths: at most T * S probes (33 * 33 for IPv4, 129 * 129 for IPv6)
// and independent of the number of rules. 100 000 host rules with 0.0.0.0/0 sources are
// one target length and one source length: 2 probes. The adversarial case is rules whose
// targets are nested prefixes of the request (all T nodes match) each with many source
// lengths none of which matches.
import { Family, mask4, type Ip4, type Ip6 } from '../net/addr';
import type { Rule } from '../config/types';
import { pow2AtLeast } from '../net/pow2';
import { runSteps, SliceBudget } from './slices';

function maskWord(v6: boolean, bits: number, w: number): number {
  if (!v6) return mask4(bits);
  const b = bits - 32 * w;
  return b >= 32 ? 0xffffffff : b <= 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
}

function mix(h: number, w: number): number {
  h = Math.imul(h ^ w, 0x9e3779b1);
  return h ^ (h >>> 15);
}

function fin(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  // int32, not uint32: a hash >= 2^31 returned from a call that is not inlined is boxed.
  return h ^ (h >>> 16);
}

const SEED = 0x27d4eb2f;

/**
 * Exact-match table of (tag, aw address words) -> vw int values, built once. Key and values
 * of a slot share one stride (16 or 32 bytes for IPv4, 32 or 64 for IPv6), so a probe
 * reads one cache line; value word 0 is -1 in empty slots.
 */
export class ExactTable {
  private readonly words: number;
  /** Offset of the values in a stride. */
  readonly vo: number;
  private readonly stride: number;
  readonly keys: Uint32Array;
  /** Int32 view of the same strides (values). */
  readonly v: Int32Array;
  private readonly mask: number;

  /** `keys`: the strides of a table built on another thread (tables.ts), taken as they are. */
  constructor(entries: number, readonly aw: number, readonly vw: number, keys?: Uint32Array) {
    this.words = 1 + aw;
    this.vo = 1 + aw;
    this.stride = pow2AtLeast(this.words + vw, 4);
    const n = keys ? keys.length / this.stride : pow2AtLeast(entries * 2, 8);
    this.mask = n - 1;
    this.keys = keys ?? new Uint32Array(n * this.stride);
    this.v = new Int32Array(this.keys.buffer, this.keys.byteOffset, this.keys.length);
    if (!keys) for (let o = this.vo; o < this.v.length; o += this.stride) this.v[o] = -1;
  }

  /** Stride offset of the slot holding key (tag, k[0..aw-1]), or of the empty slot where it goes. */
  slot(tag: number, k: Uint32Array, h: number): number {
    const words = this.words;
    const stride = this.stride;
    const keys = this.keys;
    const v = this.v;
    let i = h & this.mask;
    for (;;) {
      const o = i * stride;
      if (v[o + words]! < 0) return o;
      let eq = keys[o] === tag;
      for (let w = 1; eq && w < words; w++) eq = keys[o + w] === k[w - 1];
      if (eq) return o;
      i = (i + 1) & this.mask;
    }
  }

  /** IPv4 (aw = 1) probe without the word loop; `k0` as int32 (`| 0`), so it is never boxed. */
  slot1(tag: number, k0: number, h: number): number {
    const stride = this.stride;
    const v = this.v;
    let i = h & this.mask;
    for (;;) {
      const o = i * stride;
      if (v[o + 2]! < 0) return o;
      if (v[o + 1] === k0 && v[o] === tag) return o;
      i = (i + 1) & this.mask;
    }
  }

  put(o: number, tag: number, k: Uint32Array, value: number): void {
    this.keys[o] = tag;
    for (let w = 1; w < this.words; w++) this.keys[o + w] = k[w - 1]!;
    this.v[o + this.vo] = value;
  }

  static hash(tag: number, k: Uint32Array, aw: number): number {
    let h = mix(SEED, tag);
    for (let w = 0; w < aw; w++) h = mix(h, k[w]!);
    return fin(h);
  }

  bytes(): number {
    return this.keys.byteLength;
  }
}

/** A rule prefix's address masked to `bits`, as aw words in `out`. */
function prefixWords(v6: boolean, p: Rule['source'], bits: number, out: Uint32Array): Uint32Array {
  const aw = v6 ? 4 : 1;
  for (let w = 0; w < aw; w++) out[w] = ((p.family === Family.V6 ? p.v6[w]! : p.v4) & maskWord(v6, bits, w)) >>> 0;
  return out;
}

interface TargetLevel {
  targets: ExactTable;
  /** Per member (in order): its target node. */
  nodeOf: number[];
  /** Per node: source length -> lowest rule index with it. */
  nodeSrc: Map<number, number>[];
  /** Per node: its slot in `targets`. */
  nodeSlot: number[];
}

/** Level 1: (target length index, masked target) -> node, one node per distinct target prefix. */
function* targetLevel(v6: boolean, rules: readonly Rule[], members: number[], lenIdx: Map<number, number>, b: SliceBudget): Generator<number, TargetLevel> {
  const aw = v6 ? 4 : 1;
  const targets = new ExactTable(members.length, aw, 2);
  const k = new Uint32Array(4);
  const level: TargetLevel = { targets, nodeOf: [], nodeSrc: [], nodeSlot: [] };
  for (const i of members) {
    const r = rules[i]!;
    const li = lenIdx.get(r.target.bits)!;
    prefixWords(v6, r.target, r.target.bits, k);
    const slot = targets.slot(li, k, ExactTable.hash(li, k, aw));
    let node = targets.v[slot + targets.vo]!;
    if (node < 0) {
      node = level.nodeSrc.length;
      level.nodeSrc.push(new Map());
      level.nodeSlot.push(slot);
      targets.put(slot, li, k, node);
    }
    level.nodeOf.push(node);
    const m = level.nodeSrc[node]!;
    if (!m.has(r.source.bits)) m.set(r.source.bits, i);
    if (b.tick()) yield b.take();
  }
  return level;
}

/** Per node, its source lengths ordered by lowest rule index; writes each node's record into `targets`. */
function* nodeLists(level: TargetLevel, b: SliceBudget): Generator<number, NodeLists> {
  const { targets, nodeSrc, nodeSlot } = level;
  let total = 0;
  for (const m of nodeSrc) total += m.size;
  const lists: NodeLists = {
    nodeMin: new Int32Array(nodeSrc.length),
    nodeStart: new Int32Array(nodeSrc.length),
    nodeSrcLen: new Int32Array(total),
    nodeSrcMin: new Int32Array(total),
  };
  let at = 0;
  for (let n = 0; n < nodeSrc.length; n++) {
    const list = [...nodeSrc[n]!.entries()].sort((x, y) => x[1] - y[1]);
    targets.v[nodeSlot[n]! + targets.vo + 1] = list.length | (list[0]![0] << 16);
    lists.nodeMin[n] = list[0]![1];
    lists.nodeStart[n] = at;
    for (const [len, min] of list) {
      lists.nodeSrcLen[at] = len;
      lists.nodeSrcMin[at] = min;
      at++;
      if (b.tick()) yield b.take();
    }
  }
  return lists;
}

interface NodeLists {
  nodeMin: Int32Array;
  nodeStart: Int32Array;
  nodeSrcLen: Int32Array;
  nodeSrcMin: Int32Array;
}

/** Level 2: (node, source length, masked source) -> lowest rule index. */
function* pairLevel(v6: boolean, rules: readonly Rule[], members: number[], nodeOf: number[], b: SliceBudget): Generator<number, { pairs: ExactTable; groups: number }> {
  const aw = v6 ? 4 : 1;
  const pairs = new ExactTable(members.length, aw, 1);
  const k = new Uint32Array(4);
  const groups = new Set<number>();
  for (let j = 0; j < members.length; j++) {
    const i = members[j]!;
    const r = rules[i]!;
    groups.add(r.target.bits * 256 + r.source.bits);
    const tag = nodeOf[j]! * 256 + r.source.bits;
    prefixWords(v6, r.source, r.source.bits, k);
    const slot = pairs.slot(tag, k, ExactTable.hash(tag, k, aw));
    // Members come in index order: the first rule with a key shadows later ones.
    if (pairs.v[slot + pairs.vo]! < 0) pairs.put(slot, tag, k, i);
    if (b.tick()) yield b.take();
  }
  return { pairs, groups: groups.size };
}

/** Everything a RuleMatcher holds, built by `matcherParts`. */
export interface MatcherParts {
  rules: number;
  targetLengths: number;
  groups: number;
  tMask: Uint32Array;
  sMask: Uint32Array;
  targets: ExactTable;
  lists: NodeLists;
  pairs: ExactTable;
}

/**
 * The matcher's tables for the rules of `family`, built in slices: the generator yields
 * after each `b.size` work units (a rule through one level, or a node's list entries),
 * the number of units of that slice. The caller may run other tasks between slices;
 * nothing here is in force until the RuleMatcher is made from the result.
 */
export function* matcherParts(family: Family, rules: readonly Rule[], b: SliceBudget): Generator<number, MatcherParts> {
  const v6 = family === Family.V6;
  const aw = v6 ? 4 : 1;
  const maxBits = v6 ? 128 : 32;
  const members: number[] = [];
  const lens = new Set<number>();
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    if (b.tick()) yield b.take();
    if (r.target.family !== family || r.source.family !== family) continue;
    members.push(i);
    lens.add(r.target.bits);
  }
  const tl = [...lens].sort((x, y) => y - x);
  const tMask = new Uint32Array(tl.length * aw);
  tl.forEach((bits, i) => {
    for (let w = 0; w < aw; w++) tMask[i * aw + w] = maskWord(v6, bits, w);
  });
  const sMask = new Uint32Array((maxBits + 1) * aw);
  for (let bits = 0; bits <= maxBits; bits++) for (let w = 0; w < aw; w++) sMask[bits * aw + w] = maskWord(v6, bits, w);
  const level1 = yield* targetLevel(v6, rules, members, new Map(tl.map((bits, i) => [bits, i])), b);
  const lists = yield* nodeLists(level1, b);
  const level2 = yield* pairLevel(v6, rules, members, level1.nodeOf, b);
  return { rules: members.length, targetLengths: tl.length, groups: level2.groups, tMask, sMask, targets: level1.targets, lists, pairs: level2.pairs };
}

/** A RuleMatcher built in slices (see matcherParts); its last value is the matcher. */
export function* buildMatcher(family: Family, rules: readonly Rule[], b: SliceBudget): Generator<number, RuleMatcher> {
  return new RuleMatcher(family, rules, yield* matcherParts(family, rules, b));
}

/** Rule matcher for one interface and one family. */
export class RuleMatcher {
  readonly family: Family;
  readonly rules: number;
  /** Distinct target prefix lengths (the level-1 probe count). */
  readonly targetLengths: number;
  /** Distinct (target length, source length) pairs, for statistics. */
  readonly groups: number;
  private readonly tMask: Uint32Array; // aw words per target length
  private readonly sMask: Uint32Array; // aw words per source length 0..maxBits
  /**
   * (target length index, masked target) -> node, with the node's record in the same stride
   * (16 bytes for IPv4, one cache line per level-1 hit): node, and its number of source
   * lengths | first (best) source length << 16. The node's lowest rule index (read only
   * once a match is known) and the start of its lists (read only for several lengths)
   * are in nodeMin / nodeStart.
   */
  private readonly targets: ExactTable;
  private readonly nodeMin: Int32Array;
  private readonly nodeStart: Int32Array;
  private readonly pairs: ExactTable; // (node * 256 + source length, masked source) -> rule index
  private readonly nodeSrcLen: Int32Array; // flattened per node, ordered by nodeSrcMin
  private readonly nodeSrcMin: Int32Array;
  private readonly k = new Uint32Array(4);

  /**
   * `rules` is the interface's rule list; only rules of `family` are indexed (by their index
   * in it). `parts`: tables already built in slices (buildMatcher); without, built here in one go.
   */
  constructor(family: Family, rules: readonly Rule[], parts?: MatcherParts) {
    this.family = family;
    const p = parts ?? runSteps(matcherParts(family, rules, new SliceBudget(Infinity)));
    this.rules = p.rules;
    this.targetLengths = p.targetLengths;
    this.groups = p.groups;
    this.tMask = p.tMask;
    this.sMask = p.sMask;
    this.targets = p.targets;
    this.nodeMin = p.lists.nodeMin;
    this.nodeStart = p.lists.nodeStart;
    this.nodeSrcLen = p.lists.nodeSrcLen;
    this.nodeSrcMin = p.lists.nodeSrcMin;
    this.pairs = p.pairs;
  }

  /**
   * Lowest index of a rule whose source and target prefixes contain `src` and `tgt`; -1 when
   * none. The addresses may be given as uint32 or as int32 (`ip | 0`, never boxed by V8).
   */
  match4(src: Ip4, tgt: Ip4): number {
    let best = 0x7fffffff;
    const T = this.targetLengths;
    const targets = this.targets;
    const tv = targets.v;
    const pairs = this.pairs;
    const pv = pairs.v;
    for (let li = 0; li < T; li++) {
      const t0 = tgt & this.tMask[li]!;
      const o = targets.slot1(li, t0, fin(mix(mix(SEED, li), t0))) + 2;
      const node = tv[o]!;
      if (node < 0 || (best !== 0x7fffffff && this.nodeMin[node]! >= best)) continue;
      // The node's best source length is in the record; the others (rare) in the lists.
      const cl = tv[o + 1]!;
      let len = cl >>> 16;
      let tag = node * 256 + len;
      let s0 = src & this.sMask[len]!;
      let v = pv[pairs.slot1(tag, s0, fin(mix(mix(SEED, tag), s0))) + 2]!;
      if (v >= 0 && v < best) best = v;
      if ((cl & 0xffff) === 1) continue;
      const start = this.nodeStart[node]!;
      const end = start + (cl & 0xffff);
      for (let e = start + 1; e < end; e++) {
        if (this.nodeSrcMin[e]! >= best) break;
        len = this.nodeSrcLen[e]!;
        tag = node * 256 + len;
        s0 = src & this.sMask[len]!;
        v = pv[pairs.slot1(tag, s0, fin(mix(mix(SEED, tag), s0))) + 2]!;
        if (v >= 0 && v < best) best = v;
      }
    }
    return best === 0x7fffffff ? -1 : best;
  }

  /** As match4 for IPv6 addresses. */
  match6(src: Ip6, tgt: Ip6): number {
    const k = this.k;
    let best = 0x7fffffff;
    const T = this.targetLengths;
    const targets = this.targets;
    const tv = targets.v;
    const pairs = this.pairs;
    const pv = pairs.v;
    for (let li = 0; li < T; li++) {
      const m = li * 4;
      k[0] = (tgt[0]! & this.tMask[m]!) >>> 0;
      k[1] = (tgt[1]! & this.tMask[m + 1]!) >>> 0;
      k[2] = (tgt[2]! & this.tMask[m + 2]!) >>> 0;
      k[3] = (tgt[3]! & this.tMask[m + 3]!) >>> 0;
      const o = targets.slot(li, k, ExactTable.hash(li, k, 4)) + 5;
      const node = tv[o]!;
      if (node < 0 || this.nodeMin[node]! >= best) continue;
      const start = this.nodeStart[node]!;
      const end = start + (tv[o + 1]! & 0xffff);
      for (let e = start; e < end; e++) {
        if (this.nodeSrcMin[e]! >= best) break;
        const len = this.nodeSrcLen[e]!;
        const tag = node * 256 + len;
        const sm = len * 4;
        k[0] = (src[0]! & this.sMask[sm]!) >>> 0;
        k[1] = (src[1]! & this.sMask[sm + 1]!) >>> 0;
        k[2] = (src[2]! & this.sMask[sm + 2]!) >>> 0;
        k[3] = (src[3]! & this.sMask[sm + 3]!) >>> 0;
        const v = pv[pairs.slot(tag, k, ExactTable.hash(tag, k, 4)) + 5]!;
        if (v >= 0 && v < best) best = v;
      }
    }
    return best === 0x7fffffff ? -1 : best;
  }

  bytes(): number {
    return this.targets.bytes() + this.pairs.bytes() + this.nodeSrcLen.byteLength * 2 + this.nodeMin.byteLength * 2;
  }
}
