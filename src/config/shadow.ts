// Which rules can never match: rule j is shadowed when an earlier rule i of the same
// interface has a source prefix containing j's source and a target prefix containing
// j's target (same family; the interface's VLAN set is the same for both). The
// warning names the earliest such i, as the first-match order would.
//
// Instead of comparing every pair (quadratic: 100 000 rules took a minute), earlier rules
// are indexed by exact (target length, target) and inside that by exact (source length,
// source). The prefixes containing a rule's target are its truncations to the target
// lengths in use, so a rule costs one lookup per (target length, source length) pair in
// use: linear in the rules for any real file (a handful of lengths), and bounded by
// 33 x 33 (IPv4) or 129 x 129 (IPv6) lookups per rule in the worst case.
import { Family, mask4, type Ip6, type Prefix } from '../net/addr';
import type { Rule } from './types';

/** Earlier rules with one exact target prefix, by exact source prefix. */
interface TargetGroup {
  /** Source lengths present, each once, in order of first use; sourceMin[k]: the first rule with sourceLengths[k]. */
  sourceLengths: number[];
  sourceMin: number[];
  /** Source key -> lowest rule index with that exact source. */
  bySource: Map<number | string, number>;
}

function word6(a: Ip6, w: number, bits: number): number {
  const b = bits - 32 * w;
  const m = b >= 32 ? 0xffffffff : b <= 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
  return (a[w]! & m) >>> 0;
}

/** A hashable key for `p` truncated to `bits` (<= p.bits). */
function truncKey(p: Prefix, bits: number): number | string {
  if (p.family === Family.V4) return ((p.v4 & mask4(bits)) >>> 0) * 64 + bits;
  return `${bits}/${word6(p.v6, 0, bits)},${word6(p.v6, 1, bits)},${word6(p.v6, 2, bits)},${word6(p.v6, 3, bits)}`;
}

/** The index structure of one family of one interface. */
class FamilyIndex {
  private readonly groups = new Map<number | string, TargetGroup>();
  /** Target lengths in order of first use; lengthMin[i]: the first rule with targetLengths[i]. */
  private readonly targetLengths: number[] = [];
  private readonly lengthMin: number[] = [];
  private readonly haveLength = new Set<number>();

  /** Lowest index of an indexed rule that contains `r`, or -1. */
  query(r: Rule): number {
    let best = -1;
    const srcKeys: (number | string | undefined)[] = [];
    // Lengths (and a group's source lengths) are kept in order of first use, which is the
    // order of their lowest rule index: once that reaches the best so far, stop.
    for (let li = 0; li < this.targetLengths.length; li++) {
      if (best >= 0 && this.lengthMin[li]! >= best) break;
      const tl = this.targetLengths[li]!;
      if (tl > r.target.bits) continue;
      const g = this.groups.get(truncKey(r.target, tl));
      if (!g) continue;
      for (let k = 0; k < g.sourceLengths.length; k++) {
        if (best >= 0 && g.sourceMin[k]! >= best) break;
        const sl = g.sourceLengths[k]!;
        if (sl > r.source.bits) continue;
        const sk = (srcKeys[sl] ??= truncKey(r.source, sl));
        const i = g.bySource.get(sk);
        if (i !== undefined && (best < 0 || i < best)) best = i;
      }
    }
    return best;
  }

  /** Adds rule `index` (indices arrive in increasing order, so the first kept is the lowest). */
  add(r: Rule, index: number): void {
    const tk = truncKey(r.target, r.target.bits);
    let g = this.groups.get(tk);
    if (!g) {
      g = { sourceLengths: [], sourceMin: [], bySource: new Map() };
      this.groups.set(tk, g);
      if (!this.haveLength.has(r.target.bits)) {
        this.haveLength.add(r.target.bits);
        this.targetLengths.push(r.target.bits);
        this.lengthMin.push(index);
      }
    }
    const sk = truncKey(r.source, r.source.bits);
    if (g.bySource.has(sk)) return;
    if (!g.sourceLengths.includes(r.source.bits)) {
      g.sourceLengths.push(r.source.bits);
      g.sourceMin.push(index);
    }
    g.bySource.set(sk, index);
  }
}

/**
 * For each rule of one interface, the index of the earliest earlier rule that matches
 * every request it would (so it never decides), or -1.
 */
export function findShadowing(rules: readonly Rule[]): Int32Array {
  const out = new Int32Array(rules.length).fill(-1);
  const v4 = new FamilyIndex();
  const v6 = new FamilyIndex();
  for (let j = 0; j < rules.length; j++) {
    const r = rules[j]!;
    const idx = r.target.family === Family.V4 ? v4 : v6;
    out[j] = idx.query(r);
    idx.add(r, j);
  }
  return out;
}
