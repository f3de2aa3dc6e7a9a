// Set-membership tests as code: A against uint32 ranges, the 16 bytes at [x + base]
// against IPv6 prefixes. Conditional jumps reach 255 ahead, so long sets are cut into
// chunks of at most CHUNK_INSNS instructions, each with its own pass and drop exits.
import { fromBig, type P6, type Range } from './addrset';
import type { Asm, Label } from '../engine/asm';
import { CHUNK_INSNS } from './layout';
import * as o from '../engine/opcodes';

/** Where a test goes on its verdict: a label (continue there with `ja`) or a ret value. */
export type Exit = Label | number;

function exit(a: Asm, to: Exit): void {
  if (typeof to === 'number') a.ret(to);
  else a.ja(to);
}

/**
 * A in: a uint32. Jumps to a pass exit when A lies in one of the sorted disjoint
 * ranges, to a drop exit otherwise. Two instructions a range (`jgt hi` / `jge lo`);
 * chunks of ranges end in their own exits so that every jump stays short.
 */
export function emitRanges(a: Asm, ranges: Range[], onPass: Exit): void {
  const perChunk = Math.floor((CHUNK_INSNS - 4) / 2);
  for (let c = 0; c < ranges.length; c += perChunk) {
    const chunk = ranges.slice(c, c + perChunk);
    const last = c + perChunk >= ranges.length;
    const pass = a.label('pass');
    const drop = a.label('drop');
    const next = a.label('chunk');
    if (!last) a.jmp(o.BPF_JGT, chunk[chunk.length - 1]![1], next, 0);
    chunk.forEach((r, i) => {
      const after = a.label('range');
      a.jmp(o.BPF_JGT, r[1], i === chunk.length - 1 ? drop : after, 0);
      a.jmp(o.BPF_JGE, r[0], pass, drop);
      a.place(after);
    });
    a.place(pass);
    exit(a, onPass);
    a.place(drop);
    a.ret(0);
    if (!last) a.place(next);
  }
}

/** Instructions one IPv6 prefix test takes. */
function prefixCost(bits: number): number {
  const words = Math.ceil(bits / 32);
  return words * 2 + (bits % 32 ? 1 : 0);
}

/** The next run of prefixes, from `i`, that fits in one chunk (at least one). */
function takeChunk(prefixes: P6[], i: number): P6[] {
  const chunk: P6[] = [];
  let cost = 0;
  while (i < prefixes.length && (chunk.length === 0 || cost + prefixCost(prefixes[i]!.bits) <= CHUNK_INSNS)) {
    cost += prefixCost(prefixes[i]!.bits);
    chunk.push(prefixes[i++]!);
  }
  return chunk;
}

/** One prefix, word by word (masked in the last word when partial); a miss goes to `miss`. */
function emitPrefix(a: Asm, base: number, p: P6, pass: Label, miss: Label): void {
  const words = Math.ceil(p.bits / 32);
  const ip = fromBig(p.v);
  for (let w = 0; w < words; w++) {
    const take = Math.min(32, p.bits - 32 * w);
    a.stmt(o.BPF_LD | o.BPF_W | o.BPF_IND, base + 4 * w);
    const mask = take === 32 ? 0xffffffff : (0xffffffff << (32 - take)) >>> 0;
    if (take < 32) a.stmt(o.BPF_ALU | o.BPF_AND | o.BPF_K, mask);
    a.jmp(o.BPF_JEQ, (ip[w]! & mask) >>> 0, w === words - 1 ? pass : 0, miss);
  }
}

/**
 * Tests the 16 bytes at [x + base] against IPv6 prefixes, word by word; exits like
 * emitRanges, except that a miss may continue at a label (`onMiss`) instead of dropping.
 */
export function emitPrefixes6(a: Asm, base: number, prefixes: P6[], onPass: Exit, onMiss: Exit = 0): void {
  if (prefixes.some((p) => p.bits === 0)) {
    exit(a, onPass);
    return;
  }
  let i = 0;
  while (i < prefixes.length) {
    const chunk = takeChunk(prefixes, i);
    i += chunk.length;
    const last = i >= prefixes.length;
    const pass = a.label('pass');
    const drop = a.label('drop');
    const next = a.label('chunk');
    chunk.forEach((p, pi) => {
      const nextPrefix = pi === chunk.length - 1 ? (last ? drop : next) : a.label('prefix');
      emitPrefix(a, base, p, pass, nextPrefix);
      if (nextPrefix !== drop && nextPrefix !== next) a.place(nextPrefix);
    });
    a.place(pass);
    exit(a, onPass);
    a.place(drop);
    exit(a, onMiss);
    if (!last) a.place(next);
  }
}
