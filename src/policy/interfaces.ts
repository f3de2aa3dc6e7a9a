// The configured interfaces as the decision core reads them: per interface its matchers,
// VLAN filter, ND lists and a per-rule table of what the hot path needs, plus the stable
// slot of each interface name (cache and static keys carry the slot, so they survive a
// reload that reorders or drops interfaces).
import { Family, type Ip6 } from '../net/addr';
import { ActionKind, type Config, type InterfaceConfig, type Rule } from '../config/types';
import { buildMatcher, RuleMatcher } from './matcher';
import { runSteps, SliceBudget } from './slices';
import { replyActionOf } from './reply';
import { tablesOf, type IfaceTables } from './tables';

/** Index of each action kind in ACTION_KINDS (the RuleFlag.Kind bits of a rule's flags). */
export const enum KindIndex {
  Ignore = 0,
  Tell = 1,
  Redirect = 2,
  Mac = 3,
  Self = 4,
  Route = 5,
  Template = 6,
  Probe = 7,
}

/** Action kinds by KindIndex. */
export const ACTION_KINDS: readonly ActionKind[] = [
  ActionKind.Ignore,
  ActionKind.Tell,
  ActionKind.Redirect,
  ActionKind.Mac,
  ActionKind.Self,
  ActionKind.Route,
  ActionKind.Template,
  ActionKind.Probe,
];

/**
 * The words of one rule's record in `IfState.ruleInfo`. Const enums (as RuleFlag): the
 * compiler writes the numbers in, so the hot path reads no module binding.
 */
export const enum RuleWord {
  /** The rule's line in the configuration file. */
  Line = 0,
  /** KindIndex (RuleFlag.Kind bits) | RuleFlag.Probes | RuleFlag.Delay | RuleFlag.Verbose. */
  Flags = 1,
  /** Cache entry id of the rule's last `tell` answer (a hint the cache checks), -1 at first. */
  Hint = 2,
  /** The ReplyAction of the rule's answers. */
  Reply = 3,
  /** Words per rule. */
  Size = 4,
}

export const enum RuleFlag {
  Kind = 0xff,
  Probes = 0x100,
  Delay = 0x200,
  Verbose = 0x400,
}

/** The per-rule table of one interface (see RuleWord). */
export function ruleInfo(rules: readonly Rule[]): Int32Array {
  return runSteps(ruleInfoSteps(rules, new SliceBudget(Infinity))).info;
}

/** ruleInfo, viaWords and the redirect and probe rules' indexes, in one go (tables.ts). */
export function ruleTables(rules: readonly Rule[]): { info: Int32Array; via: Int32Array; redirect: number[]; probe: number[] } {
  return { ...runSteps(ruleInfoSteps(rules, new SliceBudget(Infinity))), via: viaWords(rules) };
}

/** The per-rule table, and the indexes of the redirect and probe rules (what a swap reads). */
function* ruleInfoSteps(rules: readonly Rule[], b: SliceBudget): Generator<number, { info: Int32Array; redirect: number[]; probe: number[] }> {
  const info = new Int32Array(RuleWord.Size * rules.length);
  const redirect: number[] = [];
  const probe: number[] = [];
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    const o = RuleWord.Size * i;
    const kind = ACTION_KINDS.indexOf(r.action.kind);
    info[o + RuleWord.Line] = r.pos.line;
    info[o + RuleWord.Flags] = kind | (r.probes ? RuleFlag.Probes : 0) | (r.delay ? RuleFlag.Delay : 0) | (r.verbose ? RuleFlag.Verbose : 0);
    info[o + RuleWord.Hint] = -1;
    info[o + RuleWord.Reply] = replyActionOf(r.action.kind);
    if (kind === KindIndex.Redirect) redirect.push(i);
    else if (kind === KindIndex.Probe) probe.push(i);
    if (b.tick()) yield b.take();
  }
  return { info, redirect, probe };
}

/** IfState.viaWords of a rule list. */
function viaWords(rules: readonly Rule[]): Int32Array {
  if (!rules.some((r) => r.action.kind === ActionKind.Redirect)) return new Int32Array(0);
  const w = new Int32Array(4 * rules.length);
  rules.forEach((r, i) => {
    const a = r.action;
    if (a.kind !== ActionKind.Redirect) return;
    if (a.via.family === Family.V6) for (let k = 0; k < 4; k++) w[4 * i + k] = a.via.v6[k]!;
    else w[4 * i + 3] = a.via.v4;
  });
  return w;
}

/** Per-interface state derived from the configuration at construction/reload. */
export interface IfState {
  /** Index in config.interfaces. */
  index: number;
  /** Stable id of the interface name across reloads (cache and statics keys use it). */
  slot: number;
  cfg: InterfaceConfig;
  /** cfg.mac as a plain number, -1 when null (keeps the hot path free of number|null). */
  cfgMac: number;
  rules: readonly Rule[];
  /**
   * Per rule, what the hot path reads, RuleWord.Size words per rule index. A hit then reads
   * one line here instead of the rule, its pos and its action objects spread over the heap.
   */
  ruleInfo: Int32Array;
  /** Indexes of the redirect rules and of the probe rules: a swap walks these, not every rule. */
  redirectRules: readonly number[];
  probeRules: readonly number[];
  /**
   * Redirect rules' router keys, 4 int32 words per rule index (IPv4 in the last), read by
   * the resolver: the config's address objects have more than one shape, and the merge of
   * their field loads boxed the number. Empty when the interface has no redirect rule.
   */
  viaWords: Int32Array;
  m4: RuleMatcher;
  m6: RuleMatcher;
  /** VLAN filter: vlanOk[vid] = 1; null = untagged and every VLAN. */
  vlanOk: Uint8Array | null;
  uplinks: Ip6[];
  exceptions: Ip6[];
}

/**
 * One interface's state, built in slices of at most `b.size` rules (see matcherParts), or
 * from the tables the prepare thread built (tables.ts): then cfg.rules is not read.
 */
function* ifState(cfg: InterfaceConfig, index: number, slot: number, b: SliceBudget): Generator<number, IfState> {
  const t = tablesOf(cfg);
  if (t) return fromTables(cfg, index, slot, t);
  const { info, redirect, probe } = yield* ruleInfoSteps(cfg.rules, b);
  const m4 = yield* buildMatcher(Family.V4, cfg.rules, b);
  const m6 = yield* buildMatcher(Family.V6, cfg.rules, b);
  return { ...common(cfg, index, slot), rules: cfg.rules, ruleInfo: info, redirectRules: redirect, probeRules: probe, viaWords: viaWords(cfg.rules), m4, m6 };
}

/** IfState from prepared tables; `rules` holds only the rules an answer reads as objects (the others are holes). */
function fromTables(cfg: InterfaceConfig, index: number, slot: number, t: IfaceTables): IfState {
  const rules = new Array<Rule>(t.rules);
  for (const [i, r] of t.actions) rules[i] = r;
  const m4 = new RuleMatcher(Family.V4, rules, t.m4);
  const m6 = new RuleMatcher(Family.V6, rules, t.m6);
  return { ...common(cfg, index, slot), rules, ruleInfo: t.info, redirectRules: t.redirect, probeRules: t.probe, viaWords: t.via, m4, m6 };
}

/** The fields of an IfState that do not depend on the rules. */
function common(cfg: InterfaceConfig, index: number, slot: number): Omit<IfState, 'rules' | 'ruleInfo' | 'redirectRules' | 'probeRules' | 'viaWords' | 'm4' | 'm6'> {
  let vlanOk: Uint8Array | null = null;
  if (cfg.vlans) {
    vlanOk = new Uint8Array(4096);
    for (const v of cfg.vlans) vlanOk[v & 4095] = 1;
  }
  return {
    index,
    slot,
    cfg,
    cfgMac: cfg.mac ?? -1,
    vlanOk,
    uplinks: cfg.nd.uplinks.map((a) => Uint32Array.from(a)),
    exceptions: cfg.nd.exceptions.map((a) => Uint32Array.from(a)),
  };
}

/** The interfaces of the current configuration, by config index and by slot. */
export class InterfaceTable {
  /** Index = config.interfaces index. Swapped whole by `install`. */
  list: IfState[] = [];
  private readonly slotByName = new Map<string, number>();
  /** Current config index per slot, -1 when the interface left the configuration. */
  private ifIndexOfSlot: number[] = [];

  /** Builds every interface's state, then swaps them in in one step. */
  install(config: Config): IfState[] {
    return this.commit(this.build(config));
  }

  /** Every interface's state (rule matchers: the slow part), not yet in force. */
  build(config: Config): IfState[] {
    return runSteps(this.buildSteps(config, Infinity));
  }

  /**
   * As build(), in slices of at most `slice` rules: each step yields the rules it did.
   * Nothing changes in force (only new names get their slot), so the current state keeps
   * answering between steps until commit().
   */
  *buildSteps(config: Config, slice: number): Generator<number, IfState[]> {
    const b = new SliceBudget(slice);
    const list: IfState[] = [];
    for (let index = 0; index < config.interfaces.length; index++) {
      const cfg = config.interfaces[index]!;
      list.push(yield* ifState(cfg, index, this.slotOf(cfg.name), b));
    }
    return list;
  }

  /** Puts a built list in force. */
  commit(list: IfState[]): IfState[] {
    const ifIndexOfSlot = new Array<number>(this.slotByName.size).fill(-1);
    for (const s of list) ifIndexOfSlot[s.slot] = s.index;
    this.list = list;
    this.ifIndexOfSlot = ifIndexOfSlot;
    return list;
  }

  private slotOf(name: string): number {
    let slot = this.slotByName.get(name);
    if (slot === undefined) {
      slot = this.slotByName.size;
      this.slotByName.set(name, slot);
    }
    return slot;
  }

  /** The interface at config index `ifIndex`, or undefined. */
  at(ifIndex: number): IfState | undefined {
    return this.list[ifIndex];
  }

  /** The configured interface holding `slot`, or undefined when it left the configuration. */
  bySlot(slot: number): IfState | undefined {
    const ifIndex = this.ifIndexOfSlot[slot] ?? -1;
    return ifIndex >= 0 ? this.list[ifIndex] : undefined;
  }

  /** Slot of every interface name seen; slots survive reloads. */
  get slots(): ReadonlyMap<string, number> {
    return this.slotByName;
  }

  slotName(slot: number): string | undefined {
    for (const [name, s] of this.slotByName) if (s === slot) return name;
    return undefined;
  }
}
