// The glue of one batch: for each frame, parse -> policy -> build the answer into the
// TX ring. Pure: no sockets, no timers, no logging of its own (the policy logs verbose
// decisions); the daemon, `replay`, the pps bench and tests all drive this one loop (the
// last two with a fake TxWriter). Allocation-free per frame: one FrameView and one
// Decision are reused, counters are typed-array cells of InterfaceStats (stats.ts), the
// clock is read twice per batch, MACs reach the builders in cells (bench/alloc.ts
// measures bytes per request per decision path; test/bench/alloc.test.ts bounds them).
// A frame refused by a full TX ring is counted by the ring (engine) alone, not here.
import { performance } from 'node:perf_hooks';
import { NaSource, type Config, type InterfaceConfig } from '../config/types';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, DESC_VLAN_TCI, type Batch, type TxWriter } from '../engine/types';
import { type Ip6, type Mac, newIp6 } from '../net/addr';
import { Decision, Reason, REASON_COUNT, Verdict } from '../policy/decision';
import {
  MAC_ANSWER, MAC_CELLS, MAC_DST, MAC_OURS, buildArpReplyCells, buildNaReplyCells, buildNeighborAdvertisementCells, replyVlan,
} from '../wire/build';
import { tablesOf } from '../policy/tables';
import { parseFrame } from '../wire/parse';
import { FrameKind, FrameView } from '../wire/view';
import { AnsweredTargets } from './answered';
import { FAMILY_V4, FAMILY_V6, type InterfaceStats } from './stats';

/** What the pipeline needs from the policy (src/policy Policy implements it). */
export interface PolicyPort {
  /**
   * Decides about the frame in `view` seen on configured interface `ifIndex` at `now`
   * (seconds; omitted after `setNow`); returns its reused Decision.
   */
  handle(view: FrameView, ifIndex: number, now?: number): Decision;
  /** Sets the time of the next decisions once per batch (a double argument per request is boxed). */
  setNow?(now: number): void;
  /** The answer in `d` was withheld (HA standby): move its count to Reason.Standby. */
  withheld?(d: Decision): void;
}

/** Per configured interface: where its answers go and what they carry. Index = config.interfaces index. */
export class IfaceSlot {
  /** TX of the open ring; null while the interface has no ring (absent, down, not yet opened). */
  tx: TxWriter | null = null;
  /** Ethernet source of our frames: config `mac`, else the interface's own (0 until known). */
  mac: Mac = 0;
  /** True when some frame was committed outside a batch handler and must be flushed. */
  dirty = false;
  /** na-source target: our advertisements come from the target address itself. */
  naFromTarget = false;
  /** Per rule index: 1 for a `delay` rule (its answers count as delayed-then-answered). */
  delayRules: Uint8Array = new Uint8Array(0);
  /** The interface's link-local address for NA sources; `::` when it has none. */
  readonly linkLocal: Ip6 = newIp6();
  /** HA standby (src/daemon/ha.ts): nothing is answered or announced; learning goes on. */
  standby = false;
  /** Targets answered (or withheld on standby): what a takeover announces. */
  readonly answered = new AnsweredTargets();

  constructor(
    readonly name: string,
    public index: number,
    readonly stats: InterfaceStats,
  ) {}
}

/** Per interface block: the delay flag of each rule (a reload computes it ahead, delayFlagsSteps). */
const DELAY_FLAGS = new WeakMap<InterfaceConfig, Uint8Array>();

/** The delay flags of `ifc`'s rules; the walk of 100 000 rules took 13-25 ms in a reload's swap. */
export function delayFlags(ifc: InterfaceConfig): Uint8Array {
  for (const r of delayFlagsSteps(ifc, Infinity)) void r;
  return DELAY_FLAGS.get(ifc)!;
}

/** Computes delayFlags(ifc) ahead of configure(), in steps of `slice` rules. */
export function* delayFlagsSteps(ifc: InterfaceConfig, slice: number): Generator<number, void> {
  if (DELAY_FLAGS.has(ifc)) return;
  // Built by the reload's prepare thread (src/policy/tables.ts): cfg.rules is not read.
  const built = tablesOf(ifc)?.delay;
  if (built) return void DELAY_FLAGS.set(ifc, built);
  const flags = new Uint8Array(ifc.rules.length);
  for (let i = 0; i < flags.length; i++) {
    if (ifc.rules[i]!.delay) flags[i] = 1;
    if ((i + 1) % slice === 0) yield slice;
  }
  DELAY_FLAGS.set(ifc, flags);
}

/** Seconds on a monotonic clock: the policy's `now`. */
export type Clock = () => number;
export const monotonicSeconds: Clock = () => performance.now() / 1000;

export class Pipeline {
  /** Current slots, swapped whole on reload (so a batch sees one configuration). */
  slots: IfaceSlot[] = [];
  readonly view = new FrameView();
  /** The reply's MACs, handed to the builders in cells (a MAC argument would be boxed). */
  private readonly macs = new Float64Array(MAC_CELLS);
  /** answered.recordFrom's cells: [mac, now] (doubles as arguments would be boxed). */
  private readonly rec = new Float64Array(2);

  constructor(
    public policy: PolicyPort,
    private readonly clock: Clock = monotonicSeconds,
  ) {}

  /** Rebuilds per-slot answer settings from a configuration (call with the slots of that configuration). */
  configure(config: Config, slots: IfaceSlot[]): void {
    for (const slot of slots) {
      const ifc = config.interfaces[slot.index]!;
      slot.naFromTarget = ifc.nd.naSource === NaSource.Target;
      slot.delayRules = delayFlags(ifc);
      if (ifc.mac !== null) slot.mac = ifc.mac;
    }
    this.slots = slots;
  }

  /** Handles every frame of a batch received on configured interface `ifIndex`. */
  onBatch(ifIndex: number, batch: Batch, tx: TxWriter): void {
    const slot = this.slots[ifIndex];
    if (slot === undefined) return;
    const stats = slot.stats;
    const view = this.view;
    const now = this.clock();
    const policy = this.policy;
    const timed = policy.setNow !== undefined;
    if (timed) policy.setNow!(now);
    const { buf, desc, count } = batch;
    // One clock read per batch, not two per request: performance.now() allocates (an
    // hrtime array) and costs ~60 ns. Each request is observed at its batch's mean.
    const t0 = performance.now();
    const req0 = stats.requests[FAMILY_V4]!;
    const req1 = stats.requests[FAMILY_V6]!;
    for (let i = 0; i < count; i++) {
      const base = i * DESC_STRIDE;
      // The TCI as int32: VLAN_NONE (0xffffffff) as a uint32 would be boxed into the call.
      const kind = parseFrame(buf, desc[base + DESC_OFFSET]!, desc[base + DESC_LENGTH]!, desc[base + DESC_VLAN_TCI]! | 0, view);
      if (kind === FrameKind.None) {
        if (view.drop !== 0) stats.countDrop(view.drop);
        continue;
      }
      const family = kind === FrameKind.ArpRequest || kind === FrameKind.ArpReply ? FAMILY_V4 : FAMILY_V6;
      const request = kind === FrameKind.ArpRequest || kind === FrameKind.NeighborSolicitation;
      const d = timed ? policy.handle(view, ifIndex) : policy.handle(view, ifIndex, now);
      if (d.verdict === Verdict.Answer) {
        const rec = this.rec;
        rec[0] = d.answerMac;
        rec[1] = now;
        if (family === FAMILY_V4) slot.answered.recordFrom(4, d.vlan, 0, 0, 0, view.targetIp | 0, rec);
        else slot.answered.record6From(d.vlan, view.target, rec);
        if (slot.standby) this.withhold(d);
        else this.answer(slot, tx, family, d, request);
      }
      if (d.verdict !== Verdict.Answer && request) {
        if (d.verdict === Verdict.Silent) stats.unanswered[family]!++;
        stats.unansweredByReason[family * REASON_COUNT + d.reason]!++;
      }
      if (request) stats.requests[family]!++;
    }
    const n4 = stats.requests[FAMILY_V4]! - req0;
    const n6 = stats.requests[FAMILY_V6]! - req1;
    if (n4 + n6 > 0) {
      const perRequest = (performance.now() - t0) / 1000 / count;
      if (n4 > 0) stats.observeDecision(FAMILY_V4, perRequest, n4);
      if (n6 > 0) stats.observeDecision(FAMILY_V6, perRequest, n6);
    }
  }

  /** HA standby: the answer is not sent; the decision counts as silent, reason `standby`. */
  private withhold(d: Decision): void {
    d.verdict = Verdict.Silent;
    this.policy.withheld?.(d);
    d.reason = Reason.Standby;
  }

  private answer(slot: IfaceSlot, tx: TxWriter, family: number, d: Decision, request: boolean): void {
    const stats = slot.stats;
    const off = tx.reserve();
    if (off < 0) {
      // TX ring full: the ring counted the refused frame (RingCounters.txRingFull); the
      // request it answered is attributed here, per family, for the loss split.
      if (request) stats.answerTxFull[family]!++;
      return;
    }
    const macs = this.macs;
    macs[MAC_ANSWER] = d.answerMac;
    macs[MAC_OURS] = slot.mac;
    macs[MAC_DST] = d.dstMac;
    let len: number;
    if (family === FAMILY_V4) {
      len = buildArpReplyCells(tx.buf, off, this.view, macs);
    } else {
      const src = slot.naFromTarget ? this.view.target : slot.linkLocal;
      len = d.toAllNodes || d.dstMac !== 0
        ? buildNeighborAdvertisementCells(tx.buf, off, replyVlan(this.view), macs, src, d.dstIp6, this.view.target, d.naFlags)
        : buildNaReplyCells(tx.buf, off, this.view, macs, src, d.naFlags);
    }
    tx.commit(len);
    stats.countReply(family, d.replyAction);
    if (d.ruleIndex >= 0 && slot.delayRules[d.ruleIndex]) stats.delayedAnswered[family]!++;
  }
}
