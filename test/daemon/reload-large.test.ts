// A reload of a large file under load loses no request: a paced stream of ARP requests,
// and mid-stream the file is replaced by one of NP_RELOAD_RULES (default 30 000) rules plus
// the rule that answers, with another MAC. Every request is answered exactly once, by
// the old rules or the new. The daemon's `reloaded` line gives the reload's time and the
// longest event-loop block meanwhile (printed; NP_RELOAD_INLINE=1 measures the old
// in-line reload for comparison). NP_RELOAD_STATICS=N adds N IPv6 static entries to the new
// file; NP_RELOAD_WRAP a command the daemon runs under. Independent of the daemon's own accounting, the client measures the longest wait for
// an answer: answers leave in the order of the requests, so the k-th answer's kernel
// timestamp minus the k-th request's send time (the generator's own thread) is its delay.
// The reload's own cost is measured against a baseline: the requests sent from the SIGHUP
// until 500 ms after the reload is logged, and those of an equal window (at most the
// stream's first NP_RELOAD_AT_MS less 1 s of warm-up) just before the SIGHUP, with no reload.
// Bounded: 20 000 to 150 000 requests at 5 000/s, until 1 s after the reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARP_REPLY_AND_NA_FILTER, REJECT_ALL_FILTER } from '../../src/engine/filters';
import { cancelGenerate, generate } from '../../src/engine/generator';
import { Ring } from '../../src/engine/ring';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, DESC_TS_NSEC, DESC_TS_SEC } from '../../src/engine/types';
import { BROADCAST_MAC, parseIp4, parseMac, readMac } from '../../src/net/addr';
import { buildArpRequest } from '../../src/wire/build';
import { clientRouter } from '../helpers/client-router';
import { needsNetns, waitFor } from '../helpers/netns';
import { DaemonProcess } from './fixtures/daemon';

const RULES_IN = Number(process.env.NP_RELOAD_RULES ?? 30000);
const STATICS = Math.min(70000, Number(process.env.NP_RELOAD_STATICS ?? 0));
// The stream runs until 1 s after the reload is logged (a busy machine makes a reload of a
// large file take seconds), at least MIN_COUNT requests, at most COUNT (30 s).
const COUNT = 150_000;
const MIN_COUNT = 20_000;
const RATE_PPS = 5000;
// The SIGHUP comes this long into the stream; the baseline window is taken before it.
const HUP_AT_MS = Math.max(1000, Number(process.env.NP_RELOAD_AT_MS ?? 8000));
const WARMUP_MS = 1000;
const AFTER_LOG_MS = 500;
const RULES = Math.min(131072, RULES_IN);
const MAC_A = '02:00:5e:00:53:aa';
const MAC_B = '02:00:5e:00:53:bb';
// IPv6 statics turn allmulti on by default: set in both files, so the ring stays open.
const answering = (mac: string) => `${STATICS > 0 ? ' allmulti yes\n' : ''} rule 192.0.2.0/24 198.51.100.0/24 ${mac}\n`;

/**
 * `n` IPv4 /32 rules from 203.0.113.0/24 (the client asks from 192.0.2.10, so none
 * matches it and none shadows another; IPv4 only, so the ring's settings stay), then
 * the rule that answers, and `statics` IPv6 static entries (2001:db8::/96).
 */
function largeFile(n: number, mac: string, statics: number): string {
  const out = ['interface rt0'];
  for (let i = 0; i < n; i++) {
    const t = i >> 8;
    out.push(` rule 203.0.113.${i & 255}/32 ${t < 256 ? '198.51.100' : '192.0.2'}.${t & 255}/32 tell`);
  }
  const hex = (x: number): string => x.toString(16).padStart(2, '0');
  for (let i = 1; i <= statics; i++) out.push(` static 2001:db8::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)} 02:00:00:${hex(i >> 16)}:${hex((i >> 8) & 255)}:${hex(i & 255)}`);
  return `${out.join('\n')}\n${answering(mac)}end\n`;
}

test(`reload of ${RULES} rules and ${STATICS} statics under load: no request lost`, { skip: needsNetns(), timeout: 180_000 }, async (t) => {
  const { lab, dir, client, router, rings } = clientRouter(t, 'rlg');
  const file = join(dir, 'neighproxy.conf');
  writeFileSync(file, `interface rt0\n${answering(MAC_A)}end\n`);
  const big = largeFile(RULES, MAC_B, STATICS);
  const inline = process.env.NP_RELOAD_INLINE === '1';
  // NP_RELOAD_WRAP="nice -n -10": the daemon ahead of other load, near an idle core's figures.
  const wrap = (process.env.NP_RELOAD_WRAP ?? '').split(' ').filter((w) => w !== '');
  const d = new DaemonProcess(lab, router, ['--config', file, '--no-control', '--no-drop', '--no-mld-joins'],
    [...wrap, ...(inline ? ['env', 'NEIGHPROXY_RELOAD_INLINE=1'] : [])]);
  await d.started();

  const answers = new Map<number, number>();
  const answeredAt = new Float64Array(COUNT); // kernel receive time, realtime µs, in order
  let answeredCount = 0;
  const rx = Ring.open('cl0', { netns: lab.nsPath(client), filter: ARP_REPLY_AND_NA_FILTER });
  rings.push(rx);
  rx.start((batch) => {
    for (let i = 0; i < batch.count; i++) {
      const off = batch.desc[i * DESC_STRIDE + DESC_OFFSET]!;
      if (batch.desc[i * DESC_STRIDE + DESC_LENGTH]! < 42 || batch.buf[off + 12] !== 0x08 || batch.buf[off + 13] !== 0x06) continue;
      const sha = readMac(batch.buf, off + 22);
      if (answeredCount < COUNT) answeredAt[answeredCount++] = batch.desc[i * DESC_STRIDE + DESC_TS_SEC]! * 1e6 + batch.desc[i * DESC_STRIDE + DESC_TS_NSEC]! / 1e3;
      answers.set(sha, (answers.get(sha) ?? 0) + 1);
    }
  });
  const tx = Ring.open('cl0', { netns: lab.nsPath(client), filter: REJECT_ALL_FILTER });
  rings.push(tx);
  const template = new Uint8Array(64);
  const len = buildArpRequest(template, 0, -1, BROADCAST_MAC, parseMac('02:00:5e:00:53:02')!, parseIp4('192.0.2.10')!, parseIp4('198.51.100.1')!);

  let hupUs = 0;
  let streamUs = 0;
  const hup = setTimeout(() => {
    writeFileSync(file, big);
    hupUs = Date.now() * 1000;
    d.child.kill('SIGHUP');
  }, HUP_AT_MS);
  let sent: number;
  const sendTimes = new Float64Array(COUNT);
  const logged = (): boolean => d.logs.some((l) => l.event === 'reloaded' || l.event === 'reload_failed');
  let stopper: NodeJS.Timeout | undefined;
  try {
    const run = generate(tx, { templates: [template.subarray(0, len)], count: COUNT, ratePps: RATE_PPS, varyTarget: 200, sendTimes });
    const started = Date.now();
    streamUs = started * 1000;
    let loggedAt = 0;
    stopper = setInterval(() => {
      if (loggedAt === 0 && logged()) loggedAt = Date.now();
      if (loggedAt > 0 && Date.now() - loggedAt >= 1000 && Date.now() - started >= (MIN_COUNT / RATE_PPS) * 1000) cancelGenerate(tx);
    }, 50);
    sent = (await run).sent;
  } finally {
    clearTimeout(hup);
    clearInterval(stopper);
  }
  const macA = parseMac(MAC_A)!;
  const macB = parseMac(MAC_B)!;
  const total = (): number => (answers.get(macA) ?? 0) + (answers.get(macB) ?? 0);
  await waitFor(logged, 60_000);
  await waitFor(() => total() >= sent, 5000).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 300)); // any duplicate would arrive now
  const r = d.logs.find((l) => l.event === 'reloaded');
  const n = Math.min(sent, answeredCount);
  const wait = answerDelays(sendTimes, answeredAt, n);
  const drops = rx.counters().kernelDrops;
  // The reload's window and the baseline's, by the requests' send times (realtime µs).
  // The last `reloaded` line: with workers, the main thread's, once every worker swapped.
  const loggedUs = Math.max(...d.logs.filter((l) => l.event === 'reloaded').map((l) => Number(l.time)), 0) * 1000;
  const reloadWin = answerDelays(sendTimes, answeredAt, n, hupUs, loggedUs + AFTER_LOG_MS * 1000);
  const baseFrom = Math.max(streamUs + WARMUP_MS * 1000, 2 * hupUs - (loggedUs + AFTER_LOG_MS * 1000));
  const base = answerDelays(sendTimes, answeredAt, n, baseFrom, hupUs);
  t.diagnostic(`reload window ${((loggedUs + AFTER_LOG_MS * 1000 - hupUs) / 1000).toFixed(0)} ms (${reloadWin.count} requests): longest ${reloadWin.max.toFixed(2)} ms, p99 ${reloadWin.p99.toFixed(2)} ms; ` +
    `baseline, no reload, ${((hupUs - baseFrom) / 1000).toFixed(0)} ms just before (${base.count} requests): longest ${base.max.toFixed(2)} ms, p99 ${base.p99.toFixed(2)} ms; ` +
    `reload cost: longest +${(reloadWin.max - base.max).toFixed(2)} ms, p99 +${(reloadWin.p99 - base.p99).toFixed(2)} ms`);
  if (process.env.NP_RELOAD_TRACE === '1') {
    // The longest delay per 100 ms of send time from the baseline's start, and each thread's `reloaded` line.
    const buckets: string[] = [];
    for (let from = baseFrom; from < loggedUs + AFTER_LOG_MS * 1000; from += 100_000) {
      buckets.push(`${((from - hupUs) / 1000).toFixed(0)}:${answerDelays(sendTimes, answeredAt, n, from, from + 100_000).max.toFixed(1)}`);
    }
    t.diagnostic(`longest delay per 100 ms (ms from the SIGHUP: ms): ${buckets.join(' ')}`);
    for (const l of d.logs.filter((x) => x.event === 'reloaded' || x.event === 'sighup')) t.diagnostic(JSON.stringify({ ...l, at_ms: Number(l.time) - hupUs / 1000 }));
  }
  t.diagnostic(`client side${drops > 0 ? ` (${drops} answers dropped by the client's ring: delays after the first drop are short by up to ${(drops * 1000 / RATE_PPS).toFixed(1)} ms)` : ''}: longest answer delay ${wait.max.toFixed(2)} ms (99.9th percentile ${wait.p999.toFixed(2)} ms, median ${wait.median.toFixed(2)} ms), longest gap between answers ${wait.gap.toFixed(2)} ms`);
  t.diagnostic(`${inline ? 'in-line' : 'prepared'} reload of ${RULES} rules, ${STATICS} statics: ${r?.ms} ms, longest event-loop block ${r?.block_ms ?? r?.ms} ms, longest GC pause ${r?.gc_max_ms ?? "-"} ms (kind ${r?.gc_kind ?? "-"}) (matchers ${r?.match_ms ?? "-"} ms in ${r?.slices ?? "-"} slices of at most ${r?.slice_max_ms ?? "-"} ms, swap ${r?.swap_ms ?? '-'} ms: policy, interfaces, flush ${JSON.stringify(r?.swap_parts_ms ?? '-')}, filters attached the turn before in ${r?.attach_ms ?? '-'} ms); ` +
    `sent ${sent}, answered ${total()} (${answers.get(macA) ?? 0} by the old rules, ${answers.get(macB) ?? 0} by the new), client RX drops ${rx.counters().kernelDrops}`);
  assert.equal(d.logs.filter((l) => l.event === 'reload_failed').length, 0, JSON.stringify(d.logs.find((l) => l.event === 'reload_failed')));
  assert.ok(r, 'the large file was loaded');
  // A data-path worker's policy is built from the prepare thread's tables: nothing read the lists as objects.
  assert.equal(d.logs.filter((l) => l.event === 'config_lists_rebuilt').length, 0, 'rule and static lists not parsed again');
  assert.ok(sent >= MIN_COUNT, `${sent} requests sent`);
  // Answers the client's own ring had no room for are counted by its kernel (RX drops).
  assert.equal(total() + rx.counters().kernelDrops, sent, 'every request answered exactly once');
  assert.ok((answers.get(macB) ?? 0) > 0, 'the new rules answered after the swap');
  assert.ok(!d.exited);
  await d.signal('SIGTERM');
});

/**
 * Delays (ms) of the first `n` answers, the k-th answer taken as the k-th request's (FIFO);
 * only the requests sent in [fromUs, toUs) when given.
 */
function answerDelays(sendUs: Float64Array, answerUs: Float64Array, n: number, fromUs = -Infinity, toUs = Infinity): { count: number; max: number; p99: number; p999: number; median: number; gap: number } {
  const d = new Float64Array(n);
  let m = 0;
  let gap = 0;
  for (let k = 0; k < n; k++) {
    if (sendUs[k]! < fromUs || sendUs[k]! >= toUs) continue;
    d[m++] = (answerUs[k]! - sendUs[k]!) / 1000;
    if (k > 0) gap = Math.max(gap, (answerUs[k]! - answerUs[k - 1]!) / 1000);
  }
  const s = d.subarray(0, m).sort();
  const at = (q: number): number => (m === 0 ? NaN : s[Math.min(m - 1, Math.floor(q * m))]!);
  return { count: m, max: at(1), p99: at(0.99), p999: at(0.999), median: at(0.5), gap };
}
