// The project's own load: the engine's native generator (src/engine/generator.ts: a C++
// thread filling a TX ring from a template, sender and target varied per frame, paced
// or flat out, send time of every frame recorded) and an RX ring on the same interface
// that keeps only ARP replies and Neighbor Advertisements (kernel BPF filter) and reads
// their ring timestamps. Both sockets live in the generator namespace (setns inside
// the addon); the bench process itself stays in the host namespace.
import { binding } from '../../src/engine/binding';
import { ARP_REPLY_AND_NA_FILTER, REJECT_ALL_FILTER } from '../../src/engine/filters';
import { cancelGenerate, generate } from '../../src/engine/generator';
import { Ring } from '../../src/engine/ring';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, DESC_TS_NSEC, DESC_TS_SEC, type Batch } from '../../src/engine/types';
import {
  CAPTURE_REQUESTS_AND_REPLIES,
  frameLength,
  replyResidue,
  requestResidue,
  senderCount,
  targetCount,
  writeRequest,
  type Family,
} from './frames';
import type { LoadDriver, LoadPlan, LoadResult } from './load';

interface Pair {
  tx: Ring;
  rx: Ring;
}

const RX_FRAMES = 1 << 16; // 64 Ki slots of 256 bytes: 16 MiB, ~50 ms of replies at 1.3 M/s

class NativeDriver implements LoadDriver {
  readonly name = 'native (engine TX-ring generator, RX-ring capture with ring timestamps)';
  private readonly rings = new Map<string, Pair>();
  private sendTimesUs = new Float64Array(0);
  private rxResidue = new Int32Array(0);
  private rxNs = new Float64Array(0);
  private reqNs = new Float64Array(0);

  private pair(plan: LoadPlan): Pair {
    const key = `${plan.netns}/${plan.ifname}`;
    let p = this.rings.get(key);
    if (!p) {
      const netns = `/run/netns/${plan.netns}`;
      const tx = Ring.open(plan.ifname, { netns, filter: REJECT_ALL_FILTER, rxFrames: 16, txFrames: 4096, frameSize: 256, qdiscBypass: true });
      let rx: Ring;
      try {
        rx = Ring.open(plan.ifname, { netns, filter: ARP_REPLY_AND_NA_FILTER, rxFrames: RX_FRAMES, txFrames: 1, frameSize: 256, batchLimit: 512 });
      } catch (err) {
        tx.close();
        throw err;
      }
      p = { tx, rx };
      this.rings.set(key, p);
    }
    return p;
  }

  async run(plan: LoadPlan): Promise<LoadResult> {
    const { tx, rx } = this.pair(plan);
    const count = plan.count;
    if (this.sendTimesUs.length < count) this.sendTimesUs = new Float64Array(count);
    const cap = Math.ceil(count * 1.2) + 1024;
    if (this.rxResidue.length < cap) {
      this.rxResidue = new Int32Array(cap);
      this.rxNs = new Float64Array(cap);
    }
    const f: Family = plan.family;
    const template = new Uint8Array(frameLength(f));
    writeRequest(f, template, 0, 0, 0);
    // Times relative to a whole second before the start keep nanoseconds exact in a double.
    const nowMs = Date.now();
    const baseSec = Math.floor(nowMs / 1000) - 1;
    // Frames left in the ring by an earlier load are older than this: skipped.
    const startNs = (nowMs - baseSec * 1000 - 1) * 1e6;
    const residues = this.rxResidue;
    const rxNs = this.rxNs;
    // Request send times: a ring on the responder's interface (the engine's rings ignore
    // their host's outgoing frames, so the generator side cannot see its own requests
    // leave). Its timestamp is the request's arrival at the responder; opened for this
    // load only, so floods do not pay for a second tap.
    let stamp: Ring | undefined;
    if (plan.timestampRequests && plan.responderNetns && plan.responderIf) {
      stamp = Ring.open(plan.responderIf, {
        netns: `/run/netns/${plan.responderNetns}`,
        filter: CAPTURE_REQUESTS_AND_REPLIES,
        rxFrames: 1 << 15,
        txFrames: 1,
        frameSize: 256,
        batchLimit: 512,
      });
    }
    if (this.reqNs.length < count) this.reqNs = new Float64Array(count);
    const reqNs = this.reqNs;
    let n = 0;
    let reqs = 0;
    let reqMisorder = 0;
    const cycle = senderCount(f) * targetCount(f);
    stamp?.start((batch: Batch) => {
      const d = batch.desc;
      const buf = batch.buf;
      for (let k = 0; k < batch.count; k++) {
        const o = k * DESC_STRIDE;
        const m = requestResidue(f, buf, d[o + DESC_OFFSET]!, d[o + DESC_LENGTH]!);
        if (m < 0 || reqs >= count) continue;
        if (m !== reqs % cycle) reqMisorder++;
        reqNs[reqs++] = (d[o + DESC_TS_SEC]! - baseSec) * 1e9 + d[o + DESC_TS_NSEC]!;
      }
    });
    const drops0 = rx.counters().kernelDrops;
    rx.start((batch: Batch) => {
      const d = batch.desc;
      const buf = batch.buf;
      for (let k = 0; k < batch.count; k++) {
        const o = k * DESC_STRIDE;
        const ts = (d[o + DESC_TS_SEC]! - baseSec) * 1e9 + d[o + DESC_TS_NSEC]!;
        if (ts < startNs || n >= cap) continue;
        residues[n] = replyResidue(f, buf, d[o + DESC_OFFSET]!, d[o + DESC_LENGTH]!);
        rxNs[n] = ts;
        n++;
      }
    });
    const timer = setTimeout(() => cancelGenerate(tx), plan.maxSeconds * 1000);
    let res;
    try {
      res = await generate(tx, {
        templates: [template],
        count,
        ratePps: plan.rate,
        varySender: senderCount(f),
        varyTarget: targetCount(f),
        sendTimes: this.sendTimesUs,
      });
    } finally {
      clearTimeout(timer);
    }
    await new Promise((r) => setTimeout(r, plan.drainMs));
    rx.stop();
    stamp?.close();
    const sent = res.sent;
    const txNs = new Float64Array(sent);
    // Ring timestamps of the requests when every one was seen leaving, in order; else
    // the generator's send times (taken after the sendto() of each batch).
    const ringTx = stamp !== undefined && reqs === sent && reqMisorder === 0;
    if (ringTx) txNs.set(reqNs.subarray(0, sent));
    else {
      const st = this.sendTimesUs;
      for (let i = 0; i < sent; i++) txNs[i] = (st[i]! - baseSec * 1e6) * 1000;
    }
    return {
      txClock: ringTx ? 'ring' : 'generator',
      sent,
      sendSeconds: res.elapsedNs / 1e9,
      txNs,
      rxResidue: residues,
      rxNs,
      rxCount: n,
      captureDrops: rx.counters().kernelDrops - drops0,
    };
  }

  close(): void {
    for (const p of this.rings.values()) {
      p.tx.close();
      p.rx.close();
    }
    this.rings.clear();
  }
}

/** Throws (with the loader's message) when the addon is not built. */
export function assertEngineBuilt(): void {
  binding();
}

export function createNativeDriver(): LoadDriver {
  assertEngineBuilt();
  return new NativeDriver();
}
