// No request is lost while the daemon reloads: a paced stream of ARP requests from a
// client namespace, a SIGHUP every 100 ms swapping between two rule sets that answer
// with different MACs, and every request answered exactly once, by one rule set or the
// other (so the swaps really took effect mid-stream). The stream lasts until ten reloads
// are done and both rule sets have answered (at least 10 000 requests, at most 150 000: a
// loaded machine makes each reload take a second or more).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARP_REPLY_AND_NA_FILTER, REJECT_ALL_FILTER } from '../../src/engine/filters';
import { cancelGenerate, generate } from '../../src/engine/generator';
import { Ring } from '../../src/engine/ring';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE } from '../../src/engine/types';
import { BROADCAST_MAC, parseIp4, parseMac, readMac } from '../../src/net/addr';
import { buildArpRequest } from '../../src/wire/build';
import { clientRouter } from '../helpers/client-router';
import { needsNetns, waitForCount } from '../helpers/netns';
import { DaemonProcess } from './fixtures/daemon';
import { parseProm } from './fixtures/prom';

const MIN_COUNT = 10000;
const MAX_COUNT = 150_000;
const MIN_RELOADS = 10;
const RATE_PPS = 5000;
const MAC_A = '02:00:5e:00:53:aa';
const MAC_B = '02:00:5e:00:53:bb';
const config = (mac: string) => `interface rt0\n rule 192.0.2.0/24 198.51.100.0/24 ${mac}\nend\n`;

/**
 * Written to a temporary name and renamed over the file, as configuration tools do: a
 * reload can read the file at any moment (a folded SIGHUP's reload runs later), and
 * writeFileSync in place leaves it empty between its truncate and its write. Under load
 * the daemon read it empty ("no 'interface NAME' block"), closed rt0's rings until the
 * next reload, and 746-2 113 requests found no socket (no counter anywhere sees them).
 */
function writeConfig(file: string, text: string): void {
  writeFileSync(`${file}.new`, text);
  renameSync(`${file}.new`, file);
}

test('reload under load: every request answered, both rule sets seen', { skip: needsNetns(), timeout: 120_000 }, async (t) => {
  const { lab, dir, client, router, rings } = clientRouter(t, 'rld');
  const file = join(dir, 'neighproxy.conf');
  writeConfig(file, config(MAC_A));
  const d = new DaemonProcess(lab, router, ['--config', file, '--no-control', '--no-drop', '--metrics', '127.0.0.1:9469']);
  await d.started();

  const answers = new Map<number, number>();
  const macA = parseMac(MAC_A)!;
  const macB = parseMac(MAC_B)!;
  const rx = Ring.open('cl0', { netns: lab.nsPath(client), filter: ARP_REPLY_AND_NA_FILTER });
  rings.push(rx);
  rx.start((batch) => {
    for (let i = 0; i < batch.count; i++) {
      const off = batch.desc[i * DESC_STRIDE + DESC_OFFSET]!;
      if (batch.desc[i * DESC_STRIDE + DESC_LENGTH]! < 42 || batch.buf[off + 12] !== 0x08 || batch.buf[off + 13] !== 0x06) continue;
      const sha = readMac(batch.buf, off + 22);
      answers.set(sha, (answers.get(sha) ?? 0) + 1);
    }
  });
  const tx = Ring.open('cl0', { netns: lab.nsPath(client), filter: REJECT_ALL_FILTER });
  rings.push(tx);
  const template = new Uint8Array(64);
  const len = buildArpRequest(template, 0, -1, BROADCAST_MAC, parseMac('02:00:5e:00:53:02')!, parseIp4('192.0.2.10')!, parseIp4('198.51.100.1')!);

  let flip = false;
  let sighups = 0;
  const reloader = setInterval(() => {
    flip = !flip;
    writeConfig(file, config(flip ? MAC_B : MAC_A));
    d.child.kill('SIGHUP');
    sighups++;
  }, 100);
  // Counted by answers, not time: a loaded generator falls behind its rate.
  const enough = setInterval(() => {
    const a = answers.get(macA) ?? 0;
    const b = answers.get(macB) ?? 0;
    if (a + b < MIN_COUNT || a === 0 || b === 0) return;
    if (d.logs.filter((l) => l.event === 'reloaded' && l.worker === undefined).length >= MIN_RELOADS) cancelGenerate(tx); // the daemon's own lines, not its workers'
  }, 50);
  let sent: number;
  try {
    sent = (await generate(tx, { templates: [template.subarray(0, len)], count: MAX_COUNT, ratePps: RATE_PPS, varyTarget: 200 })).sent;
  } finally {
    clearInterval(reloader);
    clearInterval(enough);
  }
  const total = (): number => (answers.get(macA) ?? 0) + (answers.get(macB) ?? 0);
  await waitForCount(total, sent); // a starved daemon answers late, from its ring
  await new Promise((r) => setTimeout(r, 200)); // any duplicate would arrive now
  const reloaded = d.logs.filter((l) => l.event === 'reloaded');
  const reloads = reloaded.length;
  const longest = Math.max(...reloaded.map((l) => Number(l.ms)));
  const m = parseProm(lab.exec(router, process.execPath, ['-e',
    `require('http').get('http://127.0.0.1:9469/metrics',r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>process.stdout.write(b))})`]));
  const kernelDrops = m.get('neighproxy_kernel_drops_total{interface="rt0"}');
  const txFull = m.get('neighproxy_tx_ring_full_total{interface="rt0"}');
  const seen = m.get('neighproxy_requests_total{interface="rt0",family="ipv4"}');
  const removed = d.logs.filter((l) => l.event === 'interface_removed').length;
  t.diagnostic(`sent ${sent}, daemon saw ${seen}, answered ${total()} (${answers.get(macA) ?? 0} by rule set A, ${answers.get(macB) ?? 0} by B), ` +
    `${sighups} SIGHUPs, ${reloads} reloads (longest ${longest} ms), ${removed} interface_removed lines, daemon frames received ${m.get('neighproxy_frames_received_total{interface="rt0"}')}, kernel drops ${kernelDrops}, TX ring full ${txFull}, client RX drops ${rx.counters().kernelDrops}, ` +
    `veth ${JSON.stringify({ cl0: lab.linkStats(client, 'cl0'), rt0: lab.linkStats(router, 'rt0') })}`);
  assert.ok(sent >= MIN_COUNT, `${sent} requests sent`);
  assert.equal(removed, 0, 'no reload read a configuration without rt0');
  assert.equal(seen, sent, 'the daemon saw every request');
  assert.equal(m.get('neighproxy_replies_total{interface="rt0",family="ipv4",action="mac"}'), sent, 'and answered each');
  assert.equal(total(), sent, 'every request answered exactly once');
  assert.ok((answers.get(macA) ?? 0) > 0 && (answers.get(macB) ?? 0) > 0, 'both rule sets answered');
  assert.ok(reloads >= MIN_RELOADS, `${reloads} reloads during the run`);
  assert.equal(d.logs.filter((l) => l.event === 'reload_failed').length, 0);
  assert.ok(!d.exited);
  await d.signal('SIGTERM');
});
