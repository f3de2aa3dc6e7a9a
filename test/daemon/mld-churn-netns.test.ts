// Issue 12, no amplification, on a real wire: a flood of NS from 100 000 new spoofed sources
// replaces the learned entries (tablesize 1000) several times between two 5 s reconciles of
// the solicited-node joins; each join and leave makes the daemon's kernel send MLD reports.
// tcpdump on the generator's side counts the MLDv2 reports (to ff02::16) from the daemon's
// MAC, with the budget (the default, 20/s burst 100) and without (`limit interface mld off`).
// Bounded: 100 000 frames at 10 000/s per run, 2001:db8::/32 only. Needs root and tcpdump.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createInterface } from 'node:readline';
import { generate } from '../../src/engine/generator';
import { parseIp6 } from '../../src/net/addr';
import { buildNsResolve } from '../../src/wire/build';
import { generatorPair, templateFrame } from '../helpers/generator-pair';
import { needsNetns, waitFor } from '../helpers/netns';
import { ctlJson, startResponder } from './fixtures/responder';

const SOURCES = 100_000;
const RATE = 10_000;

interface Run { reports: number; records: number; seconds: number; ops: number; deferred: number; joined: number }

async function floodRun(t: { after(fn: () => void): void }, tag: string, limitLine: string): Promise<Run> {
  const conf = `${limitLine}cache\n tablesize 1000\nend\ninterface c0\n rule ::/0 2001:db8:1::/64 tell\nend\n`;
  const pair = generatorPair(t, tag);
  const { sock, tx } = await startResponder(pair, conf);
  const mac = pair.lab.mac(pair.rt, 'c0');
  const td = pair.lab.spawn(pair.gen, 'tcpdump', ['-n', '-l', '-i', 'g0', `ether src ${mac} and ip6 dst ff02::16`]);
  pair.cleanup.push(() => { td.kill('SIGKILL'); });
  let listening = false;
  let reports = 0;
  let records = 0;
  createInterface({ input: td.stdout! }).on('line', (x) => { reports++; records += Number(/(\d+) group record/.exec(x)?.[1] ?? 1); });
  createInterface({ input: td.stderr! }).on('line', (x) => { if (/listening on/.test(x)) listening = true; });
  assert.ok(await waitFor(() => listening, 5000), 'tcpdump started');
  await new Promise((r) => setTimeout(r, 1500)); // the start's own reports (all-nodes etc.) pass
  const base = { reports, records, stats: mldStats(sock) };

  const templates: Uint8Array[] = [];
  for (let k = 0; k < SOURCES; k++) {
    const src = parseIp6(`2001:db8:1::3:${(k >>> 16).toString(16)}:${(k & 0xffff).toString(16)}`)!;
    templates.push(templateFrame((b) => buildNsResolve(b, 0, -1, 0x020200000000 + k, src, parseIp6('2001:db8:4::1')!)));
  }
  const t0 = Date.now();
  const res = await generate(tx, { templates, count: SOURCES, ratePps: RATE });
  assert.equal(res.sent, SOURCES);
  // Two more reconciles after the flood: the joins it caused and their retransmissions are in.
  await new Promise((r) => setTimeout(r, 11_000));
  const seconds = (Date.now() - t0) / 1000;
  const s = mldStats(sock);
  return {
    reports: reports - base.reports, records: records - base.records, seconds,
    ops: s.joins + s.leaves - base.stats.joins - base.stats.leaves,
    deferred: s.deferredJoins - base.stats.deferredJoins, joined: s.interfaces[0]?.joined ?? 0,
  };
}

function mldStats(sock: string): { joins: number; leaves: number; deferredJoins: number; interfaces: { joined: number }[] } {
  const st = ctlJson(sock, ['show', 'stats']) as { mld?: ReturnType<typeof mldStats> };
  assert.ok(st.mld, 'show stats has an mld section');
  return st.mld;
}

test('a flood of 100 000 new sources: MLD reports bounded by the joins budget, not by the flood', { skip: needsNetns(), timeout: 180_000 }, async (t) => {
  const off = await floodRun(t, 'mo', 'limit interface mld off\n');
  const on = await floodRun(t, 'mb', '');
  const line = (r: Run) => `${r.reports} reports (${r.records} group records) in ${r.seconds.toFixed(1)} s = ${(r.reports / r.seconds).toFixed(1)}/s; ` +
    `${r.ops} joins+leaves, ${r.deferred} deferred, ${r.joined} joined at the end`;
  t.diagnostic(`without budget: ${line(off)}`);
  t.diagnostic(`with budget:    ${line(on)}`);
  // The flood churns the joins (else the test proves nothing), and the budget bounds them:
  // 100 at once plus 20/s.
  assert.ok(off.ops > 1500, `without budget: ${line(off)}`);
  assert.ok(on.ops <= 100 + 20 * on.seconds + 2, `with budget: ${line(on)}`);
  assert.ok(on.deferred > 0, line(on));
  assert.ok(on.records < off.records, `records ${on.records} < ${off.records}`);
});
