// The takeover guard: what the wire may change in the cache. A live entry moves to another
// MAC only after its owner failed to answer a unicast probe (ARP request / NS to the OLD
// MAC) within PROBE_WINDOW; an answer keeps the entry and counts a conflict. Group, zero
// and our own MACs are never learned; statics and the addresses the operator pins (`pin
// ADDRESS`) are never re-learned from the wire. A claim never gives a live redirect router
// (`via`) another MAC either, but it probes the router as any owner: a silent router's
// entry is dropped, to be learned again like any address we do not hold (our resolution
// for the next redirected request, or the next claim), so a replaced router is followed
// within PROBE_WINDOW and a round trip, not at expiry.
// Moves are dampened as FRR's EVPN duplicate-address detection: more than MAX_MOVES in
// MOVE_WINDOW seconds freezes the entry until it expires.
// All state is in typed arrays: no allocation on the learn path (a conflict's log line
// allocates, only when written).
import { formatIp4, formatIp6, formatMac, type IpAddress, type Mac } from '../net/addr';
import { AddrTable, metaSlot, metaVlan, metaWord } from './addrtable';
import { LearnArg, type NeighborCache } from './cache';
import type { InterfaceTable, IfState } from './interfaces';
import type { DecisionLog } from './log';
import type { StaticTable } from './statics';
import { ActionKind } from '../config/types';
import { Family } from '../net/addr';

/** Seconds the old owner has to answer the probe before the entry moves (a move then lands within 3 s). */
export const PROBE_WINDOW = 1;
/** FRR `dup-addr-detection max-moves` default: more moves than this within MOVE_WINDOW freeze the entry. */
export const MAX_MOVES = 5;
/** FRR `dup-addr-detection time` default, seconds. */
export const MOVE_WINDOW = 180;
/** Challenges (probes awaiting the owner) in flight at once; when full, new claims are refused (counted). */
export const CHALLENGE_SLOTS = 1024;

const TWO40 = 2 ** 40;
const VLAN_BITS = 0x1fff;
/** Challenge states. */
const CH_FREE = 0;
const CH_PROBING = 1;
/** The owner answered: the entry holds until the window ends (no probe per hostile frame). */
const CH_HELD = 2;
/** `moves[id]` value of a frozen entry. */
const FROZEN = 0xff;

/** Sends the guard's takeover probes (redirect.ts RedirectQueue), within the guard's own send budget. */
export interface GuardProbeSink {
  /** A unicast ARP request / NS to `mac`, the owner of entry `id`; false when not sent (limits). */
  guardProbe(cache: NeighborCache, id: number, mac: number): boolean;
}

/** True for a MAC that may be learned: unicast (group bit clear) and not zero. */
export function learnableMac(mac: Mac): boolean {
  return mac > 0 && (Math.floor(mac / TWO40) & 1) === 0;
}

export class TakeoverGuard {
  // Counters (exported through PolicyStats.guard).
  /** The old owner answered a probe: the claim was refused. */
  conflicts = 0;
  /** Entries moved to another MAC after an unanswered probe. */
  moves = 0;
  /** Entries frozen by move dampening. */
  freezes = 0;
  /** Claims refused because the entry is frozen. */
  frozenRefused = 0;
  /** Probes sent to an old owner. */
  challenges = 0;
  /** Claims refused because the challenge table was full. */
  challengesRefused = 0;
  /** Claims for a static or redirect-router address refused. */
  pinnedRefused = 0;
  /** Group, zero or our own MAC refused. */
  badMacRefused = 0;
  /** Set by `admit()`: the key had no entry (the caller resets it with `fresh()` after learning). */
  newEntry = false;
  /** `admit()`'s own LearnArg cells. */
  private readonly args = new Float64Array(LearnArg.Size);

  /** Per cache entry: challenge slot or -1; moves in the current window (FROZEN); window start. */
  private readonly slotOf: Int32Array;
  private readonly movesIn: Uint8Array;
  private readonly moveStart: Float64Array;
  // Challenge table.
  private readonly chState: Uint8Array;
  private readonly chEntry: Int32Array;
  private readonly chKey: Uint32Array;
  private readonly chOld: Float64Array;
  private readonly chNew: Float64Array;
  private readonly chDeadline: Float64Array;
  /** 1 when the challenged entry is a redirect router's: unanswered, it is dropped, not moved. */
  private readonly chRouter: Uint8Array;
  private active = 0;
  private nextDue = Infinity;
  /** `pin` addresses per interface slot, any VLAN: refused while live. */
  private pins = new AddrTable(1);
  /** Redirect routers (`via`) per interface slot, any VLAN: probed, dropped when silent, never moved. */
  private routers = new AddrTable(1);

  constructor(
    private readonly cache: NeighborCache,
    private readonly statics: StaticTable,
    private readonly ifaces: InterfaceTable,
    private readonly sink: GuardProbeSink,
    private readonly log: DecisionLog,
    readonly slots: number = CHALLENGE_SLOTS,
  ) {
    const n = cache.capacity;
    this.slotOf = new Int32Array(n).fill(-1);
    this.movesIn = new Uint8Array(n);
    this.moveStart = new Float64Array(n);
    this.chState = new Uint8Array(slots);
    this.chEntry = new Int32Array(slots).fill(-1);
    this.chKey = new Uint32Array(slots * 5);
    this.chOld = new Float64Array(slots);
    this.chNew = new Float64Array(slots);
    this.chDeadline = new Float64Array(slots);
    this.chRouter = new Uint8Array(slots);
  }

  /** Takes the redirect routers and `pin` addresses of the configuration's interfaces (install/reload). */
  configure(list: readonly IfState[]): void {
    let nPins = 0;
    let nRouters = 0;
    for (const st of list) {
      nPins += st.cfg.pins?.length ?? 0;
      nRouters += st.redirectRules.length;
    }
    const pins = new AddrTable(Math.max(1, nPins));
    const routers = new AddrTable(Math.max(1, nRouters));
    const put = (table: AddrTable, slot: number, a: IpAddress): void => {
      const v6 = a.family === Family.V6;
      const w = metaWord(v6, slot, -1);
      const [a0, a1, a2, a3] = v6 ? a.v6 : [0, 0, 0, a.v4];
      if (table.find(w, a0!, a1!, a2!, a3!) < 0) table.insert(w, a0!, a1!, a2!, a3!);
    };
    for (const st of list) {
      for (const i of st.redirectRules) {
        const a = st.rules[i]!.action;
        if (a.kind === ActionKind.Redirect) put(routers, st.slot, a.via);
      }
      for (const a of st.cfg.pins ?? []) put(pins, st.slot, a);
    }
    this.pins = pins;
    this.routers = routers;
  }

  /** Bytes of the guard's tables. */
  bytes(): number {
    return this.slotOf.byteLength + this.movesIn.byteLength + this.moveStart.byteLength + this.slots * (2 + 4 + 20 + 24);
  }

  get pending(): number {
    return this.active;
  }

  /** True when a probe to the key's owner is outstanding (its reply may be learned). */
  awaiting(meta: number, a0: number, a1: number, a2: number, a3: number): boolean {
    if (this.active === 0) return false;
    const id = this.cache.find(meta, a0, a1, a2, a3);
    return id >= 0 && this.slotOf[id]! >= 0 && this.chState[this.slotOf[id]!] === CH_PROBING;
  }

  /**
   * May the wire set key -> mac at `now`? False keeps the entry as it is (a claim may
   * start a challenge to the old owner). A router's live entry changes only by expiry.
   */
  admit(meta: number, a0: number, a1: number, a2: number, a3: number, mac: Mac, ourMac: Mac, hwMac: Mac, now: number): boolean {
    const args = this.args;
    args[LearnArg.Mac] = mac;
    args[LearnArg.OurMac] = ourMac;
    args[LearnArg.HwMac] = hwMac;
    args[LearnArg.Now] = now;
    return this.admitFrom(meta, a0, a1, a2, a3, args);
  }

  /** `admit()` with the MACs and now read from `args` (LearnArg cells; a double argument is boxed). */
  admitFrom(meta: number, a0: number, a1: number, a2: number, a3: number, args: Float64Array): boolean {
    const mac = args[LearnArg.Mac]!;
    const ourMac = args[LearnArg.OurMac]!;
    const hwMac = args[LearnArg.HwMac]!;
    const now = args[LearnArg.Now]!;
    this.newEntry = false;
    if (!learnableMac(mac) || mac === ourMac || mac === hwMac) {
      this.badMacRefused++;
      return false;
    }
    const pm = meta & ~VLAN_BITS; // statics and pins hold "any VLAN"; int32, as the tables compare
    if (this.statics.findKey(pm, a0, a1, a2, a3) >= 0) return this.refusePinned();
    const cache = this.cache;
    const id = cache.find(meta, a0, a1, a2, a3);
    const pinned = this.pins.size > 0 && this.pins.find(pm, a0, a1, a2, a3) >= 0;
    if (id < 0) {
      this.newEntry = true;
      return true;
    }
    const cur = cache.macOf(id);
    if (cur < 0 || now >= cache.expiryOf(id)) {
      // Resolving, or expired: nothing live to defend.
      this.fresh(id);
      return true;
    }
    if (cur === mac) {
      const s = this.slotOf[id]!;
      if (s >= 0 && this.chState[s] === CH_PROBING) this.conflict(s);
      return true;
    }
    if (pinned) return this.refusePinned(); // a live pin moves only by expiry
    if (this.movesIn[id] === FROZEN) {
      this.frozenRefused++;
      return false;
    }
    const s = this.slotOf[id]!;
    if (s < 0) this.challenge(id, meta, a0, a1, a2, a3, cur, mac, now);
    else if (this.chState[s] === CH_PROBING && now >= this.chDeadline[s]! && this.chNew[s] === mac && this.chRouter[s] === 0) {
      this.release(s);
      return this.countMove(id, now);
    }
    return false;
  }

  /** Resets the per-entry state of entry `id` (new, re-resolved or expired). */
  fresh(id: number): void {
    const s = this.slotOf[id]!;
    if (s >= 0) this.release(s);
    this.movesIn[id] = 0;
    this.moveStart[id] = 0;
  }

  /** Moves entries whose owner stayed silent through the window; ends hold-downs. */
  tick(now: number): void {
    if (this.active === 0 || now < this.nextDue) return;
    let next = Infinity;
    const cache = this.cache;
    for (let s = 0; s < this.slots; s++) {
      const st = this.chState[s]!;
      if (st === CH_FREE) continue;
      const dl = this.chDeadline[s]!;
      if (now < dl) {
        if (dl < next) next = dl;
        continue;
      }
      const id = this.chEntry[s]!;
      const k = 5 * s;
      const ck = this.chKey;
      const same = cache.find(ck[k]!, ck[k + 1]!, ck[k + 2]!, ck[k + 3]!, ck[k + 4]!) === id && cache.macOf(id) === this.chOld[s];
      const newMac = this.chNew[s]!;
      const router = this.chRouter[s] === 1;
      this.release(s);
      if (st === CH_PROBING && same && now < cache.expiryOf(id) && this.countMove(id, now)) {
        // A silent router is dropped, not moved to the claimant: learned again like any address we do not hold.
        if (router) cache.remove(id);
        else cache.learn(ck[k]!, ck[k + 1]!, ck[k + 2]!, ck[k + 3]!, ck[k + 4]!, newMac, now);
      }
    }
    this.nextDue = next;
  }

  private refusePinned(): boolean {
    this.pinnedRefused++;
    return false;
  }

  /** Records a move of entry `id`; false (and frozen) when it is one more than MAX_MOVES in MOVE_WINDOW. */
  private countMove(id: number, now: number): boolean {
    if (now - this.moveStart[id]! >= MOVE_WINDOW || this.movesIn[id] === 0) {
      this.moveStart[id] = now;
      this.movesIn[id] = 0;
    }
    if (this.movesIn[id]! >= MAX_MOVES) {
      this.movesIn[id] = FROZEN;
      this.freezes++;
      return false;
    }
    this.movesIn[id]!++;
    this.moves++;
    return true;
  }

  private challenge(id: number, meta: number, a0: number, a1: number, a2: number, a3: number, cur: Mac, mac: Mac, now: number): void {
    let s = -1;
    if (this.active < this.slots) for (let i = 0; i < this.slots; i++) if (this.chState[i] === CH_FREE) { s = i; break; }
    if (s < 0) {
      this.challengesRefused++;
      return;
    }
    this.chState[s] = CH_PROBING;
    this.chEntry[s] = id;
    const k = 5 * s;
    this.chKey[k] = meta;
    this.chKey[k + 1] = a0;
    this.chKey[k + 2] = a1;
    this.chKey[k + 3] = a2;
    this.chKey[k + 4] = a3;
    this.chOld[s] = cur;
    this.chNew[s] = mac;
    const pm = (meta & ~VLAN_BITS) >>> 0;
    this.chRouter[s] = this.routers.size > 0 && this.routers.find(pm, a0, a1, a2, a3) >= 0 ? 1 : 0;
    const dl = now + PROBE_WINDOW;
    this.chDeadline[s] = dl;
    if (dl < this.nextDue) this.nextDue = dl;
    this.slotOf[id] = s;
    this.active++;
    // Unicast to the OLD owner only; over the guard's budget no probe goes and the claim is refused (the entry stays).
    if (!this.sink.guardProbe(this.cache, id, cur)) {
      this.release(s);
      this.challengesRefused++;
      return;
    }
    this.challenges++;
  }

  /** The old owner answered challenge `s`: count, log, hold the entry until the window ends. */
  private conflict(s: number): void {
    this.conflicts++;
    this.chState[s] = CH_HELD;
    if (!this.log.info) return;
    const k = 5 * s;
    const ck = this.chKey;
    const meta = ck[k]!;
    const v6 = (meta & 0x80000000) !== 0;
    const st = this.ifaces.bySlot(metaSlot(meta));
    this.log.event(
      {
        interface: st ? st.cfg.name : `slot${metaSlot(meta)}`,
        vlan: metaVlan(meta),
        family: v6 ? 6 : 4,
        address: v6 ? formatIp6(Uint32Array.of(ck[k + 1]!, ck[k + 2]!, ck[k + 3]!, ck[k + 4]!)) : formatIp4(ck[k + 4]!),
        owner: formatMac(this.chOld[s]!),
        claimant: formatMac(this.chNew[s]!),
        reason: 'takeover_conflict',
      },
      'address conflict: owner answered, claim refused',
    );
  }

  private release(s: number): void {
    const id = this.chEntry[s]!;
    if (id >= 0 && this.slotOf[id] === s) this.slotOf[id] = -1;
    this.chState[s] = CH_FREE;
    this.chEntry[s] = -1;
    this.active--;
  }
}

