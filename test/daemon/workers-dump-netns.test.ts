// `ctl show cache` with `workers 2` and 50 000 learned entries: the dump is complete, the
// daemon's RSS grows by a bounded amount while it runs, each worker's loop is held only
// briefly by it, and requests sent meanwhile (to both workers) are all answered.
// Figures (RSS growth, longest worker request, longest gap between a worker's answers,
// dump time) are printed as diagnostics. Needs root; skipped otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ownerOf } from '../../src/bpf/fanout';
import { ARP_REPLY_AND_NA_FILTER, REJECT_ALL_FILTER } from '../../src/engine/filters';
import { generate } from '../../src/engine/generator';
import { Ring } from '../../src/engine/ring';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, DESC_VLAN_TCI, type Batch } from '../../src/engine/types';
import { parseIp4, parseIp6, type Ip6 } from '../../src/net/addr';
import { buildArpRequest, buildNsResolve } from '../../src/wire/build';
import { parseFrame } from '../../src/wire/parse';
import { FrameKind, FrameView } from '../../src/wire/view';
import { generatorPair } from '../helpers/generator-pair';
import { needsNetns, waitFor } from '../helpers/netns';
import { BIN, DaemonProcess } from './fixtures/daemon';

const ENTRIES = 50_000;
const BCAST = 0xffffffffffff;
const MAC_Q = 0x02005e005366;
/** RSS the dump may add (MiB): measured +23..33 with compact slices, +89..98 with whole dumps as objects. */
const RSS_BOUND_MIB = 60;
/** Longest a worker may be held by one dump request (ms): measured 20..52 ms a slice under load, 0.8..1.5 s whole. */
const WORKER_HOLD_BOUND_MS = 250;
const DURING = 6000;

const run = promisify(execFile);

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

test('workers 2: show cache of 50 000 entries is complete, bounded, and loses no request', { skip: needsNetns(), timeout: 120_000 }, async (t) => {
  // The generator pair's setup (IPv6 and ARP off on the sender, 10 000-frame queues).
  const { lab, dir, rt, netns, cleanup } = generatorPair(t, 'wd', { gen: 'cl', genIf: 'h0' });
  const file = join(dir, 'np.conf');
  writeFileSync(file, ['workers 2', 'cache', ' timeout 600', 'end', 'interface c0', ' rule 0.0.0.0/0 192.0.2.0/24 self', ' rule ::/0 2001:db8:8::/64 self', ' rule ::/0 2001:db8:5::/64 tell', 'end', ''].join('\n'));
  const sock = join(dir, 'ctl.sock');
  const daemon = new DaemonProcess(lab, rt, ['--config', file, '--control', sock, '--no-drop', '--log-level', 'info']);
  cleanup.push(() => { if (!daemon.exited) daemon.child.kill('SIGKILL'); });
  await daemon.started(20_000);
  const ctl = async (...args: string[]): Promise<string> =>
    (await run('ip', ['netns', 'exec', rt, process.execPath, BIN, 'ctl', '--control', sock, '--json', ...args], { encoding: 'utf8', maxBuffer: 256 << 20 })).stdout;

  const tx = Ring.open('h0', { netns, filter: REJECT_ALL_FILTER, rxFrames: 16, txFrames: 4096, frameSize: 256, qdiscBypass: true });
  cleanup.push(() => tx.close());
  // Fill: NS from ENTRIES sources (each its own MAC: `limit entries` counts per MAC), learned by their owners.
  const fill: Uint8Array[] = [];
  const src = parseIp6('2001:db8:a::')! as Ip6;
  const tgt = parseIp6('2001:db8:8::1')! as Ip6;
  for (let i = 0; i < ENTRIES; i++) {
    src[3] = 0x10000 + i;
    const b = new Uint8Array(96);
    fill.push(b.slice(0, buildNsResolve(b, 0, -1, 0x02aa00000000 + i, src, tgt)));
  }
  const filled = await generate(tx, { templates: fill, count: ENTRIES, ratePps: 10_000 });
  assert.equal(filled.sent, ENTRIES);

  // Requests during the dump: ARP for 100 targets owned by both workers, 1 000/s.
  const view = new FrameView();
  const lastAt = [0, 0];
  const maxGap = [0, 0];
  let answers = 0;
  let measuring = false;
  const rx = Ring.open('h0', { netns, filter: ARP_REPLY_AND_NA_FILTER, rxFrames: 1 << 14, txFrames: 1, frameSize: 256, batchLimit: 512 });
  cleanup.push(() => rx.close());
  rx.start((b: Batch) => {
    const at = performance.now();
    for (let k = 0; k < b.count; k++) {
      const d = k * DESC_STRIDE;
      if (parseFrame(b.buf, b.desc[d + DESC_OFFSET]!, b.desc[d + DESC_LENGTH]!, b.desc[d + DESC_VLAN_TCI]!, view) !== FrameKind.ArpReply || view.ethDst !== MAC_Q) continue;
      if (!measuring) continue;
      answers++;
      const w = ownerOf(0, 0, 0, view.senderIp, 2);
      if (lastAt[w]! > 0) maxGap[w] = Math.max(maxGap[w]!, at - lastAt[w]!);
      lastAt[w] = at;
    }
  });
  const reqs: Uint8Array[] = [];
  for (let i = 1; i <= 100; i++) {
    const b = new Uint8Array(64);
    buildArpRequest(b, 0, -1, BCAST, MAC_Q, parseIp4('192.0.2.250')!, parseIp4(`192.0.2.${i}`)!);
    reqs.push(b);
  }
  const count = DURING;
  await new Promise((r) => setTimeout(r, 500));
  const rss0 = rssKiB(daemon.pid);
  let rssMax = rss0;
  const sampler = setInterval(() => { rssMax = Math.max(rssMax, rssKiB(daemon.pid)); }, 5);
  cleanup.push(() => clearInterval(sampler));
  measuring = true;
  const load = generate(tx, { templates: reqs, count, ratePps: 1000 });
  await new Promise((r) => setTimeout(r, 1500));
  const t0 = performance.now();
  const out = await ctl('show', 'cache');
  const dumpMs = performance.now() - t0;
  assert.equal((await load).sent, count);
  await waitFor(() => answers >= count, 5000);
  clearInterval(sampler);
  measuring = false;

  const entries = (JSON.parse(out) as { entries: { address: string; family: number }[] }).entries;
  const learned = entries.filter((e) => e.family === 6 && e.address.startsWith('2001:db8:a::')).length;
  const stats = JSON.parse(await ctl('show', 'stats')) as { workers: { worker: number; slowestRequest: { ms: number; request: string } | null }[] };
  const growMiB = (rssMax - rss0) / 1024;
  t.diagnostic(`dump: ${entries.length} entries (${learned} learned sources) in ${dumpMs.toFixed(0)} ms, ${(out.length / 1e6).toFixed(1)} MB; RSS ${(rss0 / 1024).toFixed(1)} MiB, +${growMiB.toFixed(1)} MiB at most during the dump; ` +
    `workers' slowest request: ${stats.workers.map((w) => `${w.worker}: ${w.slowestRequest?.request} ${w.slowestRequest?.ms} ms`).join(', ')}; ` +
    `longest gap between answers per worker: ${maxGap.map((g) => g.toFixed(1)).join(', ')} ms; answered ${answers}/${count}`);
  assert.equal(learned, ENTRIES, 'every learned entry is in the dump, once');
  assert.equal(answers, count, 'every request sent during the dump was answered');
  assert.ok(growMiB < RSS_BOUND_MIB, `RSS grew ${growMiB.toFixed(1)} MiB during the dump (bound ${RSS_BOUND_MIB})`);
  for (const w of stats.workers) assert.ok((w.slowestRequest?.ms ?? 0) < WORKER_HOLD_BOUND_MS, `worker ${w.worker} held ${w.slowestRequest?.ms} ms by '${w.slowestRequest?.request}'`);
});
