// The neighbour cache (parpd's `cache` block): address -> MAC per interface and VLAN,
// learned from the wire. Memory-lean for a million entries and one cache line per hit:
// an entry is one 64-byte stride of the AddrTable's buffer indexed by its entry id (key,
// state, LRU links, MAC, times; about 115 bytes per entry with the slot array, queue
// links, see docs/policy.md), the LRU order is an intrusive doubly-linked list, and
// timers are two FIFO queues whose order is their deadline order, so `tick()` only ever
// looks at queue heads.
//
// States:
//   Fresh      learned; waits in the fresh queue until expires - R*I
//   Probing    refresh probes under way (unicast ARP request / NS), one every I seconds;
//              a reply from the owner makes it Fresh again, R unanswered probes drop it
//   Incomplete MAC unknown: a broadcast ARP request / multicast NS is under way for a
//              redirect router; a reply makes it Fresh, `resolveAttempts` unanswered drop it
// Eviction (lru.ts): per interface and family, entries nobody asked for first; Incomplete
// entries are never evicted. Only entries someone asked for are refreshed: the others are
// dropped when their refresh would begin (no probes to a MAC a frame merely named).
import { AddrTable, metaIsV6, metaSlot } from './addrtable';
import { runCacheTimers } from './cache-tick';
import { MacQuota, PartitionedLru, SEG_PROBATION, SEG_PROTECTED } from './lru';

/**
 * One entry = one 64-byte stride of a single buffer, so a lookup reads one cache line for
 * the key, MAC, state, expiry and last LRU move. Uint32 words 0..4: key (AddrTable);
 * Int32 word 5: state, 6/7: LRU prev/next; Float64 4..7 (words 8..15): MAC (-1 while
 * Incomplete), expiry, last LRU move, next timer action (queue order).
 */
export const STRIDE = 16;
export const W_STATE = 5;
const W_PREV = 6;
const W_NEXT = 7;
export const F_MAC = 4;
export const F_EXP = 5;
const F_LAST = 6;
export const F_NEXT = 7;

/** Cells of the Float64Array a learn reads its doubles from (`learnFrom`, guard `admitFrom`). */
export const enum LearnArg {
  Mac = 0,
  OurMac = 1,
  HwMac = 2,
  Now = 3,
  Size = 4,
}

export const enum EntryState {
  Free = 0,
  Fresh = 1,
  Probing = 2,
  Incomplete = 3,
}

/** Receives the cache's timer work (implemented by the policy). */
export interface CacheTimerSink {
  /** Send a refresh probe (unicast) for entry `id`, or a resolution (broadcast) when `mac` is -1; false when not sent (limits). */
  cacheProbe(cache: NeighborCache, id: number, mac: number): boolean;
}

export class NeighborCache {
  readonly table: AddrTable;
  /** `learn()`'s own LearnArg cells. */
  private readonly args = new Float64Array(LearnArg.Size);
  readonly capacity: number;
  /** Int32 view of the table's entry strides (state, LRU links). */
  readonly iw: Int32Array;
  /** Float64 view of the same strides (MAC, times). */
  readonly fw: Float64Array;
  readonly probes: Uint8Array;
  /** Eviction order: per partition, probation and protected lists (lru.ts). */
  readonly lru: PartitionedLru;
  /** Entries per MAC (`limit entries`). */
  readonly quota: MacQuota;
  /** Queue links, prev and next side by side. */
  private readonly ql: Int32Array;
  /** Queue 0: Fresh entries by learn time. Queue 1: Probing and Incomplete by next probe time. */
  readonly qHead = new Int32Array([-1, -1]);
  private readonly qTail = new Int32Array([-1, -1]);

  // Parameters (updated by reload).
  timeout: number;
  refreshCount: number;
  refreshInterval: number;
  resolveAttempts: number;
  resolveInterval: number;
  /** Seconds within which a looked-up entry is not moved to the LRU front again. */
  lruResolution = 1;
  /** Bound on timer actions per `tick()`: a mass expiry is spread over ticks, not one stall. */
  maxPerTick = 65536;
  /** Set by `learn()`: the entry was awaiting a reply (Incomplete or Probing) before. */
  learnedAwaited = false;

  // Counters.
  learned = 0;
  updated = 0;
  evictions = 0;
  expired = 0;
  refreshProbes = 0;
  refreshed = 0;
  resolutions = 0;
  resolveFailures = 0;
  /** Entries dropped because all R refresh probes went unanswered (also counted in `expired`). */
  refreshFailures = 0;
  /** Entries dropped unprobed when their refresh would begin: nobody asked for them (also in `expired`). */
  unusedExpired = 0;
  /** Learns refused because the MAC holds `quota.limit` entries already. */
  quotaRefused = 0;
  /** Resolutions not started: no entry could be evicted for them. */
  resolveRefused = 0;

  constructor(
    capacity: number,
    params: { timeout: number; refreshCount: number; refreshInterval: number; resolveAttempts: number; resolveInterval: number },
  ) {
    this.capacity = capacity;
    this.table = new AddrTable(capacity, STRIDE);
    const buf = this.table.keys.buffer;
    this.iw = new Int32Array(buf);
    this.fw = new Float64Array(buf);
    this.probes = new Uint8Array(capacity);
    this.ql = new Int32Array(capacity * 2);
    this.lru = new PartitionedLru(this.iw, STRIDE, W_PREV, W_NEXT, capacity);
    this.quota = new MacQuota(capacity);
    this.timeout = params.timeout;
    this.refreshCount = params.refreshCount;
    this.refreshInterval = params.refreshInterval;
    this.resolveAttempts = params.resolveAttempts;
    this.resolveInterval = params.resolveInterval;
  }

  get size(): number {
    return this.table.size;
  }

  bytes(): number {
    return (
      this.table.bytes() +
      this.probes.byteLength +
      this.ql.byteLength +
      this.lru.bytes() +
      this.quota.bytes()
    );
  }

  /** Key words of entry `id` (meta, a0..a3). */
  key(id: number, w: number): number {
    return this.table.keys[id * STRIDE + w]!;
  }

  /**
   * The time for `lookupId`, set by the policy once per frame: a double passed as an
   * argument to a non-inlined call is boxed (an allocation per frame).
   */
  now = 0.5;

  /** State of entry `id` (EntryState). */
  stateOf(id: number): EntryState {
    return this.iw[STRIDE * id + W_STATE]! as EntryState;
  }

  /** MAC for the key if known and not expired (touches LRU), else -1. */
  lookup(w0: number, a0: number, a1: number, a2: number, a3: number, now: number): number {
    this.now = now;
    const id = this.lookupId(w0, a0, a1, a2, a3);
    return id < 0 ? -1 : this.fw[8 * id + F_MAC]!;
  }

  /** Entry id whose MAC is known and not expired at `this.now` (touches LRU), else -1. Read the MAC with `macOf`. */
  lookupId(w0: number, a0: number, a1: number, a2: number, a3: number): number {
    const id = this.table.find(w0, a0, a1, a2, a3);
    return id < 0 ? -1 : this.check(id);
  }

  /** `id` if its MAC is known and not expired at `this.now` (touches LRU), else -1. */
  private check(id: number): number {
    const now = this.now;
    const e = 8 * id;
    const fw = this.fw;
    const mac = fw[e + F_MAC]!;
    if (mac < 0 || now >= fw[e + F_EXP]!) return -1; // Incomplete (-1) or expired
    // LRU at `lruResolution`: an entry moved to the front recently is not moved again,
    // so hot entries (a redirect router) cost no list writes. Entries on probation keep
    // -Infinity here: their first hit promotes them.
    if (now - fw[e + F_LAST]! >= this.lruResolution) {
      fw[e + F_LAST] = now;
      this.lru.hit(id);
    }
    return id;
  }

  /**
   * As lookupId, trying entry `hint` first (an id this key had before, e.g. remembered per
   * rule): when it still holds the key, the table's slot probe (one more cache miss over a
   * large table) is skipped. Any hint is safe: it is checked against the key and state.
   */
  lookupIdHint(hint: number, w0: number, a0: number, a1: number, a2: number, a3: number): number {
    if (hint >= 0 && hint < this.capacity) {
      const k = STRIDE * hint;
      const iw = this.iw; // int32 compares: words may come as int32 or uint32
      if (iw[k + 4] === (a3 | 0) && iw[k] === (w0 | 0) && iw[k + 3] === (a2 | 0) && iw[k + 1] === (a0 | 0) && iw[k + 2] === (a1 | 0) && iw[k + W_STATE] !== EntryState.Free) {
        return this.check(hint);
      }
    }
    return this.lookupId(w0, a0, a1, a2, a3);
  }

  /** MAC of entry `id` (-1 while Incomplete). */
  macOf(id: number): number {
    return this.fw[8 * id + F_MAC]!;
  }

  /** Expiry time of entry `id` (0 while Incomplete). */
  expiryOf(id: number): number {
    return this.fw[8 * id + F_EXP]!;
  }

  /** True when entry `id` is Fresh but past its expiry (not yet swept by tick). */
  isStale(id: number, now: number): boolean {
    return this.iw[STRIDE * id + W_STATE] === EntryState.Fresh && now >= this.fw[8 * id + F_EXP]!;
  }

  /** Entry id for the key, or -1 (no LRU touch). */
  find(w0: number, a0: number, a1: number, a2: number, a3: number): number {
    return this.table.find(w0, a0, a1, a2, a3);
  }

  /** True when we have a query outstanding for the key (a reply to it may be learned). */
  awaitingReply(w0: number, a0: number, a1: number, a2: number, a3: number): boolean {
    const id = this.table.find(w0, a0, a1, a2, a3);
    if (id < 0) return false;
    const st = this.iw[STRIDE * id + W_STATE]!;
    return st === EntryState.Probing || st === EntryState.Incomplete;
  }

  /** Learns or refreshes key -> mac at `now`. Returns the entry id, or -1 when learning is off. */
  learn(w0: number, a0: number, a1: number, a2: number, a3: number, mac: number, now: number): number {
    const args = this.args;
    args[LearnArg.Mac] = mac;
    args[LearnArg.Now] = now;
    return this.learnFrom(w0, a0, a1, a2, a3, args);
  }

  /**
   * `learn()` with mac and now read from `args` (LearnArg cells): the hot path's form, as
   * doubles passed to a call V8 does not inline are boxed. Words may be int32 (`| 0`).
   */
  learnFrom(w0: number, a0: number, a1: number, a2: number, a3: number, args: Float64Array): number {
    const mac = args[LearnArg.Mac]!;
    const now = args[LearnArg.Now]!;
    this.learnedAwaited = false;
    if (this.timeout <= 0) return -1;
    let id = this.table.find(w0, a0, a1, a2, a3);
    if (id < 0) {
      // Counted before the eviction that makes room (one probe of the quota table, not two).
      if (!this.quota.tryAdd(mac)) return this.refuseQuota();
      id = this.allocate(w0, a0, a1, a2, a3);
      if (id < 0) {
        this.quota.sub(mac);
        return -1;
      }
      this.learned++;
      this.lru.link(id, partitionOf(w0), SEG_PROBATION);
      this.fw[8 * id + F_LAST] = -Infinity;
    } else {
      const st = this.iw[STRIDE * id + W_STATE]!;
      const awaited = st === EntryState.Probing || st === EntryState.Incomplete;
      const old = this.fw[8 * id + F_MAC]!;
      if (old !== mac) {
        // Replies we asked for are always taken; a new MAC claiming one more address is not, over its quota.
        if (awaited) this.quota.add(mac);
        else if (!this.quota.tryAdd(mac)) return this.refuseQuota();
        if (old >= 0) this.quota.sub(old);
      }
      this.learnedAwaited = awaited;
      if (st === EntryState.Probing) this.refreshed++;
      else if (st === EntryState.Fresh && old !== mac) this.updated++;
      this.qUnlink(id);
      if (st === EntryState.Incomplete) {
        // A router we resolved: it is in use by definition.
        this.lru.link(id, partitionOf(w0), SEG_PROTECTED);
        this.fw[8 * id + F_LAST] = now;
      } else {
        this.lru.renew(id);
      }
    }
    this.fw[8 * id + F_MAC] = mac;
    this.iw[STRIDE * id + W_STATE] = EntryState.Fresh;
    this.probes[id] = 0;
    this.fw[8 * id + F_EXP] = now + this.timeout;
    const lead = this.refreshCount * this.refreshInterval;
    this.fw[8 * id + F_NEXT] = lead < this.timeout ? now + this.timeout - lead : now;
    this.qAppend(0, id);
    return id;
  }

  private refuseQuota(): number {
    return this.quotaRefused++, -1;
  }

  /**
   * Starts resolving an unknown key (redirect router). Returns the new Incomplete entry id
   * (the caller sends the first broadcast), or -1 when an entry exists already.
   */
  startResolve(w0: number, a0: number, a1: number, a2: number, a3: number, now: number): number {
    if (this.table.find(w0, a0, a1, a2, a3) >= 0) return -1;
    const id = this.allocate(w0, a0, a1, a2, a3);
    if (id < 0) {
      this.resolveRefused++;
      return -1;
    }
    this.fw[8 * id + F_MAC] = -1;
    this.iw[STRIDE * id + W_STATE] = EntryState.Incomplete;
    this.probes[id] = 1;
    this.fw[8 * id + F_EXP] = 0;
    this.fw[8 * id + F_NEXT] = now + this.resolveInterval;
    this.qAppend(1, id); // in no LRU list: not evictable while it is resolved
    this.resolutions++;
    return id;
  }

  remove(id: number): void {
    if (this.iw[STRIDE * id + W_STATE] === EntryState.Free) return;
    this.qUnlink(id);
    this.drop(id);
  }

  /** Frees entry `id` (out of its queue already): its MAC's quota, its LRU list, its key. */
  drop(id: number): void {
    const mac = this.fw[8 * id + F_MAC]!;
    if (mac >= 0) this.quota.sub(mac);
    this.lru.unlink(id);
    this.iw[STRIDE * id + W_STATE] = EntryState.Free;
    this.table.remove(id);
  }

  /** Runs due timers: moves Fresh entries into probing, sends probes, drops the unanswered (cache-tick.ts). */
  tick(now: number, sink: CacheTimerSink): void {
    runCacheTimers(this, now, sink);
  }

  /** Calls fn for every live entry id (control socket dumps, reload remapping). Not for the hot path. */
  forEach(fn: (id: number) => void): void {
    this.lru.forEach(fn);
    for (let id = this.qHead[1]!; id >= 0; id = this.ql[1 + 2 * id]!) {
      if (this.iw[STRIDE * id + W_STATE] === EntryState.Incomplete) fn(id);
    }
  }

  private allocate(w0: number, a0: number, a1: number, a2: number, a3: number): number {
    let id = this.table.insert(w0, a0, a1, a2, a3);
    if (id < 0) {
      // Full: evict by partition and use (lru.ts); none when every entry is being resolved.
      const v = this.lru.victim(partitionOf(w0), this.capacity);
      if (v < 0) return -1;
      this.remove(v);
      this.evictions++;
      id = this.table.insert(w0, a0, a1, a2, a3);
    }
    this.iw[STRIDE * id + W_PREV] = -1;
    this.iw[STRIDE * id + W_NEXT] = -1;
    this.ql[2 * id] = -1;
    this.ql[1 + 2 * id] = -1;
    return id;
  }

  qAppend(q: number, id: number): void {
    const t = this.qTail[q]!;
    this.ql[2 * id] = t;
    this.ql[1 + 2 * id] = -1;
    if (t >= 0) this.ql[1 + 2 * t] = id;
    else this.qHead[q] = id;
    this.qTail[q] = id;
  }

  qUnlink(id: number): void {
    const q = this.iw[STRIDE * id + W_STATE] === EntryState.Fresh ? 0 : 1;
    const p = this.ql[2 * id]!;
    const n = this.ql[1 + 2 * id]!;
    if (p >= 0) this.ql[1 + 2 * p] = n;
    else if (this.qHead[q] === id) this.qHead[q] = n;
    if (n >= 0) this.ql[2 * n] = p;
    else if (this.qTail[q] === id) this.qTail[q] = p;
    this.ql[2 * id] = -1;
    this.ql[1 + 2 * id] = -1;
  }
}

/** LRU partition of a key: interface slot and family. */
function partitionOf(w0: number): number {
  return metaSlot(w0) * 2 + (metaIsV6(w0) ? 1 : 0);
}
