// trafgen (Debian netsniff-ng) as a second, independent load: what operators have, with
// pacing burstier than ours (its shaper catches up after it was descheduled). Its
// configuration lists the first CYCLE distinct requests of frames.ts as static packets,
// sent round-robin on one CPU, so request n is frame n % CYCLE and the reply matcher
// works with that cycle (every sender and every target occurs in it).
//
// trafgen reports no per-frame send times: requests are timestamped where they arrive,
// by a ring on the responder's interface (the same tap for every responder, so ratios
// within a trafgen run are fair; absolute figures include its cost). Replies are captured
// as by the native driver: an RX ring in the generator namespace, ring timestamps.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARP_REPLY_AND_NA_FILTER } from '../../src/engine/filters';
import { Ring } from '../../src/engine/ring';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, DESC_TS_NSEC, DESC_TS_SEC, type Batch } from '../../src/engine/types';
import { trafgenArgs, trafgenConfig } from '../stall/trafgen';
import { CAPTURE_REQUESTS_AND_REPLIES, buildRequestCycle, replyResidue, requestResidue, type Family } from './frames';
import type { LoadDriver, LoadPlan, LoadResult } from './load';

/** Distinct requests in trafgen's configuration (ARP has 15 875 in all: its whole cycle). */
const CYCLE = 16_000;

/** `trafgen -i CFG` and its report: "N packets outgoing ... S sec, U usec on CPU0". */
function runTrafgen(netns: string, args: string[], maxSeconds: number): Promise<{ sent: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    // `ip netns exec` exec()s trafgen: the child is trafgen, which on SIGINT stops and reports.
    const child = spawn('ip', ['netns', 'exec', netns, 'trafgen', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Its start (compiling the configuration) is not sending time: the bound counts from then on, generously.
    const timer = setTimeout(() => child.kill('SIGINT'), (maxSeconds + 5) * 1000);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const sent = /(\d+) packets outgoing/.exec(out);
      const time = /(\d+) sec, (\d+) usec on CPU/.exec(out);
      if (code !== 0 || !sent || !time) reject(new Error(`trafgen exited ${code}: ${out.trim().split('\n').slice(-3).join(' / ')}`));
      else resolve({ sent: Number(sent[1]), seconds: Number(time[1]) + Number(time[2]) / 1e6 });
    });
  });
}

class TrafgenDriver implements LoadDriver {
  readonly name = 'trafgen (netsniff-ng, one CPU, -b pps; requests stamped at the responder, replies on an RX ring)';
  private readonly dir = mkdtempSync(join(tmpdir(), 'neighproxy-trafgen-'));
  private readonly configs = new Map<Family, { file: string; cycle: number }>();
  private readonly captures = new Map<string, Ring>();
  private rxResidue = new Int32Array(0);
  private rxNs = new Float64Array(0);
  private reqNs = new Float64Array(0);

  private config(f: Family): { file: string; cycle: number } {
    let c = this.configs.get(f);
    if (!c) {
      const all = buildRequestCycle(f);
      const cycle = Math.min(CYCLE, all.count);
      const frames: Uint8Array[] = [];
      for (let i = 0; i < cycle; i++) frames.push(all.frames.subarray(i * all.frameLength, (i + 1) * all.frameLength));
      c = { file: join(this.dir, `${f}.cfg`), cycle };
      writeFileSync(c.file, trafgenConfig(frames));
      this.configs.set(f, c);
    }
    return c;
  }

  private capture(plan: LoadPlan): Ring {
    const key = `${plan.netns}/${plan.ifname}`;
    let rx = this.captures.get(key);
    if (!rx) {
      rx = Ring.open(plan.ifname, { netns: `/run/netns/${plan.netns}`, filter: ARP_REPLY_AND_NA_FILTER, rxFrames: 1 << 16, txFrames: 1, frameSize: 256, batchLimit: 512 });
      this.captures.set(key, rx);
    }
    return rx;
  }

  async run(plan: LoadPlan): Promise<LoadResult> {
    if (!plan.responderNetns || !plan.responderIf) throw new Error('trafgen driver: the responder interface is needed to timestamp requests');
    const f = plan.family;
    const { file, cycle } = this.config(f);
    const rx = this.capture(plan);
    // Flat out, a bound in frames rather than time (trafgen's start takes a variable
    // fraction of a second): no more than a million a second of the load's length.
    const count = plan.rate > 0 ? plan.count : Math.min(plan.count, Math.ceil(plan.maxSeconds * 1e6));
    const cap = Math.ceil(count * 1.2) + 1024;
    if (this.rxResidue.length < cap) {
      this.rxResidue = new Int32Array(cap);
      this.rxNs = new Float64Array(cap);
    }
    if (this.reqNs.length < count) this.reqNs = new Float64Array(count);
    const nowMs = Date.now();
    const baseSec = Math.floor(nowMs / 1000) - 1;
    const startNs = (nowMs - baseSec * 1000 - 1) * 1e6;
    const stamp = Ring.open(plan.responderIf, {
      netns: `/run/netns/${plan.responderNetns}`, filter: CAPTURE_REQUESTS_AND_REPLIES, rxFrames: 1 << 16, txFrames: 1, frameSize: 256, batchLimit: 512,
    });
    const reqNs = this.reqNs;
    const residues = this.rxResidue;
    const rxNs = this.rxNs;
    let reqs = 0;
    let misorder = 0;
    let n = 0;
    stamp.start((batch: Batch) => {
      const d = batch.desc;
      for (let k = 0; k < batch.count; k++) {
        const o = k * DESC_STRIDE;
        const m = requestResidue(f, batch.buf, d[o + DESC_OFFSET]!, d[o + DESC_LENGTH]!);
        if (m < 0 || reqs >= count) continue;
        if (m !== reqs % cycle) misorder++;
        reqNs[reqs++] = (d[o + DESC_TS_SEC]! - baseSec) * 1e9 + d[o + DESC_TS_NSEC]!;
      }
    });
    const drops0 = rx.counters().kernelDrops;
    const stampDrops0 = stamp.counters().kernelDrops;
    rx.start((batch: Batch) => {
      const d = batch.desc;
      for (let k = 0; k < batch.count; k++) {
        const o = k * DESC_STRIDE;
        const ts = (d[o + DESC_TS_SEC]! - baseSec) * 1e9 + d[o + DESC_TS_NSEC]!;
        if (ts < startNs || n >= cap) continue;
        residues[n] = replyResidue(f, batch.buf, d[o + DESC_OFFSET]!, d[o + DESC_LENGTH]!);
        rxNs[n] = ts;
        n++;
      }
    });
    let res: { sent: number; seconds: number };
    try {
      res = await runTrafgen(plan.netns, trafgenArgs(file, plan.ifname, count, plan.rate), plan.maxSeconds);
      await new Promise((r) => setTimeout(r, plan.drainMs));
    } finally {
      rx.stop();
    }
    const stampDropped = stamp.counters().kernelDrops - stampDrops0;
    stamp.close();
    const sent = res.sent;
    const txNs = new Float64Array(sent);
    // Every request seen arriving, in order: its arrival time is its send time. Otherwise
    // (the tap dropped some under a flood) send times spread evenly over the stamped
    // span: good enough to count answers, not for latency.
    const exact = reqs === sent && misorder === 0 && stampDropped === 0;
    if (exact) txNs.set(reqNs.subarray(0, sent));
    else {
      const first = reqs > 0 ? reqNs[0]! : startNs;
      const last = reqs > 1 ? reqNs[reqs - 1]! : first + res.seconds * 1e9;
      for (let i = 0; i < sent; i++) txNs[i] = first + ((last - first) * i) / Math.max(1, sent - 1);
    }
    return {
      txClock: exact ? 'ring' : 'generator',
      sent,
      sendSeconds: exact && sent > 1 ? (txNs[sent - 1]! - txNs[0]!) / 1e9 : res.seconds,
      txNs,
      rxResidue: residues,
      rxNs,
      rxCount: n,
      captureDrops: rx.counters().kernelDrops - drops0,
      cycle,
    };
  }

  close(): void {
    for (const r of this.captures.values()) r.close();
    this.captures.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function createTrafgenDriver(): LoadDriver {
  return new TrafgenDriver();
}
