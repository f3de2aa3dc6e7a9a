// Warm restarts of the probe caches: the alive and absent tables of `probe` rules through
// the state file's `probes` section and back, on a new clock; every field checked; entries
// of interfaces gone or no longer probed refused; a bad probes section ignored alone (the
// learned section stays), byte damage anywhere ignoring the whole file (checksum).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/parse';
import { Policy } from '../../src/policy';
import { metaWord } from '../../src/policy/addrtable';
import { REASON_NAMES, Verdict } from '../../src/policy/decision';
import { exportLearned, importLearned } from '../../src/policy/warm';
import { decodeState, encodeState, StateFileError } from '../../src/daemon/state-file';
import { encodeLearned, loadState, saveState, type WarmPolicy } from '../../src/daemon/warm';
import { decodeProbes, encodeProbes, PROBES_SECTION } from '../../src/daemon/warm-probes';
import type { Logger } from '../../src/daemon/log';
import { arp, ip4, ip6, mac, RecordingOutput, TestEnv } from '../policy/fixtures/build';

const UP = mac('02:00:00:00:00:fe');
const LAN = mac('02:00:00:00:00:fd');
const ROUTER = mac('02:00:00:00:00:01');
const HOST = mac('02:00:00:00:00:10');
const WALL = 1_800_000_000;

const CONF = `interface up0
 rule 0.0.0.0/0 192.0.2.0/24 probe lan0 absent 30
 rule 0.0.0.0/0 198.51.100.0/24 tell
end
interface lan0
end
`;

function rig(text = CONF) {
  const env = new TestEnv([UP, LAN]);
  env.src4.set(1, ip4('198.51.100.1'));
  env.linkLocal.set(1, ip6('fe80::fd'));
  const out = new RecordingOutput();
  const config = parseConfig(text, 't.conf').config;
  const policy = new Policy({ config, env, output: out });
  const warm: WarmPolicy = {
    exportLearned: (now) => exportLearned(policy, now),
    importLearned: (c, e, now) => importLearned(policy, c, env, e, now),
    probes: policy.probes,
  };
  const ask4 = (target: string, now: number) => policy.handle(arp({ senderMac: ROUTER, senderIp: '192.0.2.1', targetIp: target }), 0, now);
  return { env, out, policy, warm, config, ask4 };
}

/** Host 192.0.2.10 alive on lan0 (its own ARP at t=10), 192.0.2.99 probed without answer, 198.51.100.7 learned. */
function filled() {
  const r = rig();
  r.policy.handle(arp({ senderMac: HOST, senderIp: '192.0.2.10', targetIp: '192.0.2.10' }), 1, 10);
  r.ask4('192.0.2.99', 10);
  r.policy.cache.learn(metaWord(false, r.policy.cacheSlots().get('lan0')!, -1), 0, 0, 0, ip4('198.51.100.7'), HOST, 10);
  r.out.take();
  return r;
}

function logger() {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (obj: Record<string, unknown>, msg: string) => { lines.push({ level, obj, msg }); };
  return { log: { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') } as unknown as Logger, lines };
}

function tmp(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'npx-wp-'));
  return { dir, file: join(dir, 'cache.state') };
}

test('probes section round trip: a probed host is answered at once after a restart, an absent one costs no new probe', (t) => {
  const { dir, file } = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = filled();
  const saved = saveState(file, a.warm, 20, WALL);
  const nLearned = a.warm.exportLearned!(20).length;
  assert.ok(nLearned >= 1);
  assert.equal(saved.entries, nLearned);
  assert.equal(saved.probes, 2);
  assert.ok(decodeState(readFileSync(file)).sections.has(PROBES_SECTION));

  // A new process: monotonic clock at 3, wall clock 5 s later.
  const b = rig();
  const { log, lines } = logger();
  assert.equal(loadState(file, b.warm, b.config, 3, log, WALL + 5)!.imported, nLearned);
  const pl = lines.find((l) => l.obj.event === 'state_probes_loaded');
  assert.equal(pl?.obj.imported, 2, JSON.stringify(lines));
  const d = b.ask4('192.0.2.10', 3.1);
  assert.equal(d.verdict, Verdict.Answer, 'alive from the saved table');
  const sent = b.out.take();
  assert.ok(sent.every((s) => !s.startsWith('arpRequest')), `no probe: ${sent.join('; ')}`);
  assert.equal(REASON_NAMES[b.ask4('192.0.2.99', 3.2).reason], 'probe_absent');
  assert.deepEqual(b.out.take(), []);
  assert.equal(b.policy.probes.stats(3.2).sent, 0);
  // Lifetimes kept: absent had 21 s left at the save, 5 s of wall time passed.
  const rec = b.policy.probes.exportEntries(3.2).find((r) => r.table === 'absent')!;
  assert.ok(Math.abs(rec.remaining - (21 - 5 - 0.2)) < 1e-6, String(rec.remaining));
  // Without the section the same restart probes again (the test can fail).
  const c = rig();
  c.policy.probes.importEntries([], 3);
  assert.equal(c.ask4('192.0.2.10', 3.1).verdict, Verdict.Silent);
  assert.ok(c.out.take().some((s) => s.startsWith('arpRequest')));
});

test('probe entries of interfaces gone or no longer probed, expired ones, and bad MACs are refused', () => {
  const a = filled();
  const recs = a.policy.probes.exportEntries(20);
  const alive = recs.find((r) => r.table === 'alive')!;
  const more = [
    ...recs,
    { ...alive, iface: 'lan9' },
    { ...alive, remaining: -1 },
    { ...alive, mac: 0x010000000001 }, // group bit
    { ...alive, mac: 0 },
    { ...alive, family: 4 as const, words: [1, 0, 0, 5] as [number, number, number, number] },
  ];
  const b = rig();
  const res = b.policy.probes.importEntries(more, 3);
  assert.equal(res.imported, 2);
  assert.deepEqual(res.refused, { interface: 1, expired: 1, mac: 2, address: 1 });
  // lan0 still configured but no rule probes it any more.
  const c = rig('interface up0\n rule 0.0.0.0/0 192.0.2.0/24 tell\nend\ninterface lan0\nend\n');
  assert.deepEqual(c.policy.probes.importEntries(recs, 3).refused, { not_probed: 2 });
  // Lifetimes are clamped to the rule's alive/absent of now.
  const d = rig(CONF.replace('absent 30', 'absent 30 alive 40'));
  d.policy.probes.importEntries(recs, 3);
  assert.equal(d.policy.probes.exportEntries(3).find((r) => r.table === 'alive')!.remaining, 40);
});

test('probes section fields are all checked', () => {
  const a = filled();
  const body = Buffer.from(encodeProbes(a.policy.probes.exportEntries(20), WALL));
  assert.equal(decodeProbes(body, WALL).length, 2);
  const first = body.length - 80; // the first entry
  const cases: [string, (b: Buffer) => void, RegExp][] = [
    ['entry size', (b) => b.writeUInt16LE(41, 0), /entries of 41 bytes/],
    ['name index', (b) => b.writeUInt16LE(7, first), /interface #7/],
    ['table', (b) => { b[first + 2] = 2; }, /table 2/],
    ['family', (b) => { b[first + 3] = 5; }, /family 5/],
    ['mac flag', (b) => { b[first + 4] = 2; }, /MAC flag/],
    ['padding', (b) => { b[first + 6] = 1; }, /padding/],
    ['ipv4 words', (b) => { b[first + 9] = 1; }, /IPv4 entry with IPv6/],
    ['expiry', (b) => b.writeDoubleLE(NaN, first + 32), /expiry/],
    ['count', (b) => b.writeUInt32LE(3, first - 4), /bytes for 3 entries/],
    ['name', (b) => { b[5] = 0x2f; }, /interface name/],
  ];
  for (const [what, damage, msg] of cases) {
    const b = Buffer.from(body);
    damage(b);
    assert.throws(() => decodeProbes(b, WALL), (e: unknown) => e instanceof StateFileError && e.reason === 'malformed' && msg.test(e.message), what);
  }
  const absent = Buffer.from(body);
  const ai = [0, 1].find((i) => absent[first + 40 * i + 2] === 1)!;
  absent[first + 40 * ai + 4] = 1;
  assert.throws(() => decodeProbes(absent, WALL), /MAC flag 1 in the absent table/);
  assert.throws(() => decodeProbes(body.subarray(0, 6), WALL), /shorter than its header/);
});

test('a bad probes section is ignored alone (learned entries kept); byte damage ignores the whole file', (t) => {
  const { dir, file } = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = filled();
  const probes = Buffer.from(encodeProbes(a.policy.probes.exportEntries(20), WALL));
  probes[probes.length - 80 + 3] = 9; // family 9, under a valid checksum
  writeFileSync(file, encodeState(new Map([['learned', encodeLearned(a.warm.exportLearned!(20), 20, WALL)], [PROBES_SECTION, probes]]), WALL));
  const b = rig();
  const { log, lines } = logger();
  assert.equal(loadState(file, b.warm, b.config, 3, log, WALL)!.imported, a.warm.exportLearned!(20).length, 'learned entries kept');
  assert.ok(b.policy.cache.size > 0);
  const ig = lines.find((l) => l.obj.event === 'state_section_ignored');
  assert.equal(ig?.level, 'error');
  assert.equal(ig?.obj.section, 'probes');
  assert.equal(b.policy.probes.exportEntries(3).length, 0);

  saveState(file, a.warm, 20, WALL);
  const img = readFileSync(file);
  img[img.length - 10] ^= 0xff; // inside the probes section
  writeFileSync(file, img);
  const c = rig();
  const l2 = logger();
  assert.equal(loadState(file, c.warm, c.config, 3, l2.log, WALL), null);
  assert.equal(l2.lines.find((l) => l.obj.event === 'state_ignored')?.obj.reason, 'checksum');
  assert.equal(c.policy.probes.exportEntries(3).length, 0);
  assert.equal(c.policy.cache.size, 0);
});
