// First-match rule lookup whose cost does not grow with the number of rules.
//
// Rules are grouped by their (target length, source length) pair. Within a group a rule
// is fully described by its masked (target, source) words, so the group is an exact-match
// key in one open-addressing table (per family, per interface) holding the lowest rule
// index for that key. A lookup masks the request's target and source with each group's
// lengths and probes the table once per group. Groups are visited in order of the lowest
// rule index they hold, and the walk stops as soon as that index is not below the best
// match found: a group cannot beat it.
//
// Bound: at most P probes, P = number of distinct (target length, source length) pairs in
// the interface's rules of that family: P <= 33*33 for IPv4 and 129*129 for IPv6, whatever
// the rule count. Real configurations have a handful (parpd's example: 7); 100 000 host
// rules with 0.0.0.0/0 sources are one group and one probe. The worst case is many
// distinct length pairs where the first matching rule sits in the last group visited.
import { Family, mask4, type Ip4, type Ip6 } from '../net/addr';
import type { Rule } from '../config/types';

function pow2AtLeast(n: number): number {
  let p = 8;
  while (p < n) p *= 2;
  return p;
}

function mask6Word(bits: number, w: number): number {
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
  return (h ^ (h >>> 16)) >>> 0;
}

/** Rule matcher for one interface and one family. */
export class RuleMatcher {
  readonly family: Family;
  /** Number of length-pair groups (the per-lookup probe bound). */
  readonly groups: number;
  readonly rules: number;
  private readonly words: number; // key words per entry: 1 + 2 (v4) or 1 + 8 (v6)
  private readonly groupMin: Int32Array;
  private readonly tMask: Uint32Array; // 1 or 4 words per group
  private readonly sMask: Uint32Array;
  private readonly keys: Uint32Array;
  private readonly values: Int32Array; // rule index, -1 empty
  private readonly mask: number;
  private readonly scratch: Uint32Array;

  /** `rules` is the interface's rule list; only rules of `family` are indexed (by their index in it). */
  constructor(family: Family, rules: readonly Rule[]) {
    this.family = family;
    const v6 = family === Family.V6;
    const aw = v6 ? 4 : 1;
    this.words = 1 + 2 * aw;
    this.scratch = new Uint32Array(this.words);
    // Group rules by length pair, remembering each group's lowest rule index.
    const groupOf = new Map<number, number>();
    const gT: number[] = [];
    const gS: number[] = [];
    const gMin: number[] = [];
    const members: number[] = [];
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if (r.target.family !== family || r.source.family !== family) continue;
      const k = r.target.bits * 256 + r.source.bits;
      let g = groupOf.get(k);
      if (g === undefined) {
        g = gT.length;
        groupOf.set(k, g);
        gT.push(r.target.bits);
        gS.push(r.source.bits);
        gMin.push(i);
      }
      members.push(i);
    }
    this.rules = members.length;
    // Order groups by their lowest rule index, for the early exit.
    const order = gT.map((_, g) => g).sort((a, b) => gMin[a]! - gMin[b]!);
    const rank = new Int32Array(gT.length);
    order.forEach((g, r) => (rank[g] = r));
    const G = gT.length;
    this.groups = G;
    this.groupMin = new Int32Array(G);
    this.tMask = new Uint32Array(G * aw);
    this.sMask = new Uint32Array(G * aw);
    for (let r = 0; r < G; r++) {
      const g = order[r]!;
      this.groupMin[r] = gMin[g]!;
      for (let w = 0; w < aw; w++) {
        this.tMask[r * aw + w] = v6 ? mask6Word(gT[g]!, w) : mask4(gT[g]!);
        this.sMask[r * aw + w] = v6 ? mask6Word(gS[g]!, w) : mask4(gS[g]!);
      }
    }
    const n = pow2AtLeast(members.length * 2);
    this.mask = n - 1;
    this.keys = new Uint32Array(n * this.words);
    this.values = new Int32Array(n).fill(-1);
    const key = this.scratch;
    for (const i of members) {
      const r = rules[i]!;
      const g = rank[groupOf.get(r.target.bits * 256 + r.source.bits)!]!;
      key[0] = g;
      if (v6) {
        const t = (r.target as { v6: Ip6 }).v6;
        const s = (r.source as { v6: Ip6 }).v6;
        for (let w = 0; w < 4; w++) {
          key[1 + w] = (t[w]! & this.tMask[g * 4 + w]!) >>> 0;
          key[5 + w] = (s[w]! & this.sMask[g * 4 + w]!) >>> 0;
        }
      } else {
        key[1] = ((r.target as { v4: Ip4 }).v4 & this.tMask[g]!) >>> 0;
        key[2] = ((r.source as { v4: Ip4 }).v4 & this.sMask[g]!) >>> 0;
      }
      // Keep the lowest index per key: members are visited in increasing index order.
      let slot = this.hashKey() & this.mask;
      for (;;) {
        const v = this.values[slot]!;
        if (v < 0) {
          this.values[slot] = i;
          this.keys.set(key, slot * this.words);
          break;
        }
        if (this.keyAt(slot)) break; // an earlier rule has the same prefixes: it shadows this one
        slot = (slot + 1) & this.mask;
      }
    }
  }

  private hashKey(): number {
    const k = this.scratch;
    let h = 0x27d4eb2f;
    for (let w = 0; w < this.words; w++) h = mix(h, k[w]!);
    return fin(h);
  }

  private keyAt(slot: number): boolean {
    const k = this.scratch;
    const o = slot * this.words;
    for (let w = 0; w < this.words; w++) if (this.keys[o + w] !== k[w]) return false;
    return true;
  }

  /** Lowest index of a rule whose source and target prefixes contain `src` and `tgt`; -1 when none. */
  match4(src: Ip4, tgt: Ip4): number {
    let best = 0x7fffffff;
    const G = this.groups;
    const keys = this.keys;
    const values = this.values;
    const mask = this.mask;
    for (let g = 0; g < G; g++) {
      if (this.groupMin[g]! >= best) break;
      const t = (tgt & this.tMask[g]!) >>> 0;
      const s = (src & this.sMask[g]!) >>> 0;
      let slot = fin(mix(mix(mix(0x27d4eb2f, g), t), s)) & mask;
      for (;;) {
        const v = values[slot]!;
        if (v < 0) break;
        const o = slot * 3;
        if (keys[o] === g && keys[o + 1] === t && keys[o + 2] === s) {
          if (v < best) best = v;
          break;
        }
        slot = (slot + 1) & mask;
      }
    }
    return best === 0x7fffffff ? -1 : best;
  }

  /** As match4 for IPv6 addresses. */
  match6(src: Ip6, tgt: Ip6): number {
    let best = 0x7fffffff;
    const G = this.groups;
    const keys = this.keys;
    const values = this.values;
    const mask = this.mask;
    const k = this.scratch;
    for (let g = 0; g < G; g++) {
      if (this.groupMin[g]! >= best) break;
      const m = g * 4;
      k[0] = g;
      let h = mix(0x27d4eb2f, g);
      for (let w = 0; w < 4; w++) {
        const t = (tgt[w]! & this.tMask[m + w]!) >>> 0;
        k[1 + w] = t;
        h = mix(h, t);
      }
      for (let w = 0; w < 4; w++) {
        const s = (src[w]! & this.sMask[m + w]!) >>> 0;
        k[5 + w] = s;
        h = mix(h, s);
      }
      let slot = fin(h) & mask;
      for (;;) {
        const v = values[slot]!;
        if (v < 0) break;
        const o = slot * 9;
        if (
          keys[o] === g && keys[o + 1] === k[1] && keys[o + 2] === k[2] && keys[o + 3] === k[3] && keys[o + 4] === k[4] &&
          keys[o + 5] === k[5] && keys[o + 6] === k[6] && keys[o + 7] === k[7] && keys[o + 8] === k[8]
        ) {
          if (v < best) best = v;
          break;
        }
        slot = (slot + 1) & mask;
      }
    }
    return best === 0x7fffffff ? -1 : best;
  }

  bytes(): number {
    return this.keys.byteLength + this.values.byteLength + this.tMask.byteLength * 2 + this.groupMin.byteLength;
  }
}
