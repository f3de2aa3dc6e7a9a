// Learned senders for their owner worker. A request is handled by the worker owning its
// target (the fanout program); the sender it teaches us about is usually owned by
// another. The hook queues (meta, key, MAC, our MACs) records per owner and posts each
// queue once per batch (a microtask after the batch handler), so a batch of N requests
// costs at most workers-1 messages, not N.
import type { MessagePort } from 'node:worker_threads';
import { ownerOf } from '../../bpf/fanout';
import { ActionKind, type Config } from '../../config/types';
import { Family, type Mac } from '../../net/addr';
import { answeringRules } from '../../policy/tables';

/** Words per forwarded learn: meta, a0..a3, mac, ourMac, hwMac. */
export const LEARN_WORDS = 8;
const QUEUE_RECORDS = 512;
/** Recent-forward table size (a power of two) and how long a forward stands for repeats. */
const RECENT_SLOTS = 4096;
export const REPEAT_SECONDS = 1;
/** Words per recent-forward slot: meta, a0..a3, mac, time. */
const RECENT_WORDS = 7;

/** What receives forwarded learns (the worker's policy). */
export interface LearnSink {
  learnForwarded(meta: number, a0: number, a1: number, a2: number, a3: number, mac: Mac, ourMac: Mac, hwMac: Mac, now: number): void;
}

export class LearnForwarder {
  private readonly queues: Float64Array[];
  private readonly fill: Int32Array;
  private scheduled = false;
  /** Redirect routers' key words by last word (IPv4: [0, 0, 0, ip]). */
  private readonly routers = new Map<number, number[][]>();
  private readonly recent = new Float64Array(RECENT_SLOTS * RECENT_WORDS).fill(-1);
  /** Seconds, set by the worker per batch (a double argument would be boxed per call). */
  now = 0;
  /** Learns handed to other workers / received from them. */
  forwarded = 0;
  received = 0;

  constructor(
    private readonly index: number,
    private readonly count: number,
    private readonly peers: (MessagePort | undefined)[],
  ) {
    this.queues = peers.map(() => new Float64Array(QUEUE_RECORDS * LEARN_WORDS));
    this.fill = new Int32Array(peers.length);
  }

  /** The policy's learnElsewhere hook: true when another worker owns the key (queued for it). */
  readonly hook = (meta: number, a0: number, a1: number, a2: number, a3: number, mac: Mac, ourMac: Mac, hwMac: Mac): boolean => {
    const w = ownerOf(a0, a1, a2, a3, this.count);
    if (this.routers.size > 0 && this.isRouter(a0, a1, a2, a3)) {
      if (!this.repeated(meta, a0, a1, a2, a3, mac)) {
        for (let p = 0; p < this.count; p++) if (p !== this.index) this.queue(p, meta, a0, a1, a2, a3, mac, ourMac, hwMac);
      }
      return false; // and learned here too
    }
    if (w === this.index) return false;
    if (!this.repeated(meta, a0, a1, a2, a3, mac)) this.queue(w, meta, a0, a1, a2, a3, mac, ourMac, hwMac);
    return true;
  };

  /** Redirect routers of `config`: learned by every worker (call at start and reload). */
  setRouters(config: Config): void {
    this.routers.clear();
    for (const ifc of config.interfaces) {
      // answeringRules: not every rule, so a prepared reload's cfg.rules is not read (tables.ts).
      for (const r of answeringRules(ifc)) {
        if (r.action.kind !== ActionKind.Redirect) continue;
        const v = r.action.via;
        // int32 words, as the policy passes them (a uint32 >= 2^31 would never match).
        const w = v.family === Family.V6 ? [v.v6[0]! | 0, v.v6[1]! | 0, v.v6[2]! | 0, v.v6[3]! | 0] : [0, 0, 0, v.v4 | 0];
        const list = this.routers.get(w[3]!) ?? [];
        list.push(w);
        this.routers.set(w[3]!, list);
      }
    }
  }

  /** Whether the key words are a redirect router's (of any interface). */
  isRouter(a0: number, a1: number, a2: number, a3: number): boolean {
    const list = this.routers.get(a3 | 0);
    if (list === undefined) return false;
    for (const k of list) if (k[0] === (a0 | 0) && k[1] === (a1 | 0) && k[2] === (a2 | 0)) return true;
    return false;
  }

  private queue(w: number, meta: number, a0: number, a1: number, a2: number, a3: number, mac: Mac, ourMac: Mac, hwMac: Mac): void {
    const q = this.queues[w]!;
    let o = this.fill[w]! * LEARN_WORDS;
    q[o++] = meta; q[o++] = a0; q[o++] = a1; q[o++] = a2; q[o++] = a3; q[o++] = mac; q[o++] = ourMac; q[o] = hwMac;
    this.forwarded++;
    if (++this.fill[w]! === QUEUE_RECORDS) this.post(w);
    else if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  /** True when the same key and MAC were forwarded within REPEAT_SECONDS; else records this one. */
  private repeated(meta: number, a0: number, a1: number, a2: number, a3: number, mac: Mac): boolean {
    const r = this.recent;
    const o = ((Math.imul(a0 ^ a1 ^ a2 ^ a3 ^ meta, 0x9e3779b1) >>> 20) & (RECENT_SLOTS - 1)) * RECENT_WORDS;
    const now = this.now;
    if (r[o] === meta && r[o + 1] === a0 && r[o + 2] === a1 && r[o + 3] === a2 && r[o + 4] === a3 && r[o + 5] === mac && now - r[o + 6]! < REPEAT_SECONDS) {
      this.repeats++;
      return true;
    }
    r[o] = meta; r[o + 1] = a0; r[o + 2] = a1; r[o + 3] = a2; r[o + 4] = a3; r[o + 5] = mac; r[o + 6] = now;
    return false;
  }

  /** Learns not forwarded because the same one went less than REPEAT_SECONDS ago. */
  repeats = 0;

  readonly flush = (): void => {
    this.scheduled = false;
    for (let w = 0; w < this.count; w++) if (this.fill[w]! > 0) this.post(w);
  };

  private post(w: number): void {
    const n = this.fill[w]!;
    this.fill[w] = 0;
    this.peers[w]!.postMessage(this.queues[w]!.slice(0, n * LEARN_WORDS));
  }

  /** Applies records another worker posted. */
  apply(sink: LearnSink, records: Float64Array, now: number): void {
    for (let o = 0; o + LEARN_WORDS <= records.length; o += LEARN_WORDS) {
      sink.learnForwarded(records[o]!, records[o + 1]!, records[o + 2]!, records[o + 3]!, records[o + 4]!, records[o + 5]!, records[o + 6]!, records[o + 7]!, now);
      this.received++;
    }
  }
}
