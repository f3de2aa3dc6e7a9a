// An interface block's rules and statics as flat tables: what a reload's prepare thread
// builds (src/daemon/prepare-worker.ts) so that the thread that answers receives a few
// transferred ArrayBuffers instead of a structured-clone graph of every rule and static
// (100 000 rules were about a million objects to copy in, scavenge and promote, in slices
// and GC pauses that delayed answers by tens of ms). The matchers, the per-rule table,
// the delay flags and the statics' keys arrive built; only the rules whose answer needs
// their action object (every kind but ignore and tell) come as objects.
import { ActionKind, type InterfaceConfig, type Rule } from '../config/types';
import { Family } from '../net/addr';
import { ExactTable, matcherParts, type MatcherParts } from './matcher';
import { ruleTables } from './interfaces';
import { SliceBudget, runSteps } from './slices';
import { indexArrays, type StaticIndex } from './statics-index';

/** An ExactTable as plain data. */
interface ExactWire {
  aw: number;
  vw: number;
  keys: Uint32Array;
}

/** MatcherParts as plain data: typed arrays only. */
export type MatcherWire = Omit<MatcherParts, 'targets' | 'pairs'> & { targets: ExactWire; pairs: ExactWire };

/** The file's static entries of one block: KEY words per entry (family 4 or 6, then the address's 4 words, IPv4 in the last). */
export interface FlatStatics {
  count: number;
  words: Uint32Array;
  mac: Float64Array;
  announce: Uint8Array;
}

/** Words per entry of FlatStatics.words. */
export const STATIC_WORDS = 5;

export interface IfaceTables {
  /** cfg.rules.length. */
  rules: number;
  /** IfState.ruleInfo, viaWords and the redirect and probe rules' indexes. */
  info: Int32Array;
  via: Int32Array;
  redirect: number[];
  probe: number[];
  m4: MatcherParts;
  m6: MatcherParts;
  /** Per rule, 1 for `delay` (pipeline.ts delayFlags). */
  delay: Uint8Array;
  /** The rules an answer reads as objects (IfState.rules): every kind but ignore and tell, by index. */
  actions: [number, Rule][];
  statics: FlatStatics;
  /** The static table of the whole file, built (statics-index.ts): the same object in every block's tables. */
  staticIndex?: StaticIndex;
}

/** IfaceTables as plain data for postMessage (wireTransfers lists its buffers). */
export type IfaceTablesWire = Omit<IfaceTables, 'm4' | 'm6'> & { m4: MatcherWire; m6: MatcherWire };

/** Every table of `cfg`, built in one go (on the prepare thread: nobody waits for it there). */
export function buildTables(cfg: InterfaceConfig): IfaceTablesWire {
  const rules = cfg.rules;
  const { info, via, redirect, probe } = ruleTables(rules);
  const delay = new Uint8Array(rules.length);
  const actions: [number, Rule][] = [];
  rules.forEach((r, i) => {
    if (r.delay) delay[i] = 1;
    if (r.action.kind !== ActionKind.Ignore && r.action.kind !== ActionKind.Tell) actions.push([i, r]);
  });
  const n = cfg.statics.length;
  const statics: FlatStatics = { count: n, words: new Uint32Array(STATIC_WORDS * n), mac: new Float64Array(n), announce: new Uint8Array(n) };
  cfg.statics.forEach((e, j) => {
    const o = STATIC_WORDS * j;
    const a = e.address;
    statics.words[o] = a.family === Family.V6 ? 6 : 4;
    if (a.family === Family.V6) statics.words.set(a.v6, o + 1);
    else statics.words[o + 4] = a.v4;
    statics.mac[j] = e.mac;
    statics.announce[j] = e.announce ? 1 : 0;
  });
  const m = (f: Family): MatcherWire => {
    const p = runSteps(matcherParts(f, rules, new SliceBudget(Infinity)));
    return { ...p, targets: exactWire(p.targets), pairs: exactWire(p.pairs) };
  };
  return { rules: rules.length, info, via, redirect, probe, m4: m(Family.V4), m6: m(Family.V6), delay, actions, statics };
}

function exactWire(t: ExactTable): ExactWire {
  return { aw: t.aw, vw: t.vw, keys: t.keys };
}

/** The ArrayBuffers of a wire form, for postMessage's transfer list (moved, not copied). */
export function wireTransfers(t: IfaceTablesWire): ArrayBuffer[] {
  const out: Flat[] = [t.info, t.via, t.delay, t.statics.words, t.statics.mac, t.statics.announce];
  if (t.staticIndex) out.push(...indexArrays(t.staticIndex));
  for (const w of [t.m4, t.m6]) {
    const l = w.lists;
    out.push(w.tMask, w.sMask, w.targets.keys, w.pairs.keys, l.nodeMin, l.nodeStart, l.nodeSrcLen, l.nodeSrcMin);
  }
  return [...new Set(out.map((a) => a.buffer as ArrayBuffer))].filter((b) => b.byteLength > 0);
}

type Flat = Uint8Array | Int32Array | Uint32Array | Float64Array;

/** A copy of `a` over a SharedArrayBuffer. */
function shared<T extends Flat>(a: T): T {
  const C = a.constructor as new (b: SharedArrayBuffer) => T;
  const out = new C(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

/**
 * The tables over SharedArrayBuffers: one build read by every data-path worker (they are
 * read-only there, but for ruleInfo's hints: fromWire's `ownInfo` copies that one).
 */
export function shareTables(w: IfaceTablesWire): IfaceTablesWire {
  const m = (x: MatcherWire): MatcherWire => ({
    ...x, tMask: shared(x.tMask), sMask: shared(x.sMask),
    targets: { ...x.targets, keys: shared(x.targets.keys) }, pairs: { ...x.pairs, keys: shared(x.pairs.keys) },
    lists: { nodeMin: shared(x.lists.nodeMin), nodeStart: shared(x.lists.nodeStart), nodeSrcLen: shared(x.lists.nodeSrcLen), nodeSrcMin: shared(x.lists.nodeSrcMin) },
  });
  const st = w.statics;
  return { ...w, info: shared(w.info), via: shared(w.via), delay: shared(w.delay), m4: m(w.m4), m6: m(w.m6), statics: { ...st, words: shared(st.words), mac: shared(st.mac), announce: shared(st.announce) } };
}

/** The static index over SharedArrayBuffers (one copy for every block and worker). */
export function shareIndex(x: StaticIndex): StaticIndex {
  const t = x.table;
  return { ...x, slots: shared(x.slots), mac: shared(x.mac), announced: shared(x.announced), table: { ...t, keys: shared(t.keys), slots: shared(t.slots), nextFree: shared(t.nextFree) } };
}

/** The tables back from their wire form (the matchers' ExactTables as objects again). */
export function fromWire(w: IfaceTablesWire, ownInfo = false): IfaceTables {
  const m = (x: MatcherWire): MatcherParts => ({ ...x, targets: new ExactTable(0, x.targets.aw, x.targets.vw, x.targets.keys), pairs: new ExactTable(0, x.pairs.aw, x.pairs.vw, x.pairs.keys) });
  // The hot path writes each rule's cache hint into ruleInfo: a shared one gets a private copy.
  return { ...w, info: ownInfo ? w.info.slice() : w.info, m4: m(w.m4), m6: m(w.m6) };
}

/** Tables that came with a block (the prepare thread's), read by the policy's build instead of cfg.rules and cfg.statics. */
const TABLES = new WeakMap<InterfaceConfig, IfaceTables>();

export function attachTables(cfg: InterfaceConfig, t: IfaceTables): void {
  TABLES.set(cfg, t);
}

export function tablesOf(cfg: InterfaceConfig): IfaceTables | undefined {
  return TABLES.get(cfg);
}

/** The rules of `cfg` whose action answers (every kind but ignore and tell), without reading cfg.rules when tables came. */
export function answeringRules(cfg: InterfaceConfig): readonly Rule[] {
  const t = TABLES.get(cfg);
  return t ? t.actions.map(([, r]) => r) : cfg.rules.filter((r) => r.action.kind !== ActionKind.Ignore && r.action.kind !== ActionKind.Tell);
}
