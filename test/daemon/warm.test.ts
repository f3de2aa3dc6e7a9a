// Warm restarts without a wire: the learned cache through the state file and back, with
// remaining lifetimes; damaged, truncated, foreign and other-version files refused with
// their reason; entries that learning would refuse refused here too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Family } from '../../src/net/addr';
import { Policy } from '../../src/policy';
import { metaWord } from '../../src/policy/addrtable';
import { exportLearned, importLearned, type LearnedEntry } from '../../src/policy/warm';
import { decodeState, encodeState, StateFileError, STATE_VERSION } from '../../src/daemon/state-file';
import { decodeLearned, encodeLearned, loadState, saveState, stateFileOf, WarmRestarts, type WarmPolicy } from '../../src/daemon/warm';
import type { Logger } from '../../src/daemon/log';
import type { Config } from '../../src/config/types';
import { parseConfig } from '../../src/config';
import { arp, config, iface, ip4, ip6, mac, RecordingOutput, rule, TestEnv } from '../policy/fixtures/build';

const OUR = mac('02:00:00:00:00:fe');
const H1 = mac('02:00:00:00:00:11');
const H6 = mac('02:00:00:00:00:16');
const WALL = 1_800_000_000;

function policyFor(cfg: Config): { policy: Policy; warm: WarmPolicy } {
  const env = new TestEnv([OUR, OUR]);
  env.src4.set(0, ip4('198.51.100.254'));
  const policy = new Policy({ config: cfg, env, output: new RecordingOutput() });
  const warm: WarmPolicy = {
    exportLearned: (now) => exportLearned(policy, now),
    importLearned: (c, e, now) => importLearned(policy, c, env, e, now),
  };
  return { policy, warm };
}

const CFG = config([iface('eth0', [rule(1, '0.0.0.0/0', '198.51.100.0/24', 'tell'), rule(2, '::/0', '2001:db8::/32', 'tell')])], { timeout: 300 });

/** A policy that learned 198.51.100.1 from the wire at t=10 and 2001:db8::6 at t=50. */
function learned(): { policy: Policy; warm: WarmPolicy } {
  const p = policyFor(CFG);
  p.policy.handle(arp({ senderMac: H1, senderIp: '198.51.100.1', targetIp: '198.51.100.50' }), 0, 10);
  const a = ip6('2001:db8::6');
  p.policy.cache.learn(metaWord(true, p.policy.cacheSlots().get('eth0')!, -1), a[0]!, a[1]!, a[2]!, a[3]!, H6, 50);
  return p;
}

function logger(): { log: Logger; lines: { level: string; obj: Record<string, unknown>; msg: string }[] } {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (obj: Record<string, unknown>, msg: string) => { lines.push({ level, obj, msg }); };
  return { log: { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') } as unknown as Logger, lines };
}

test('round trip: entries come back with the lifetime they had left, on a new clock', () => {
  const a = learned();
  // Saved at policy time 100 (wall WALL): 198.51.100.1 has 210 s left, 2001:db8::6 250 s.
  const image = encodeState(new Map([['learned', encodeLearned(a.warm.exportLearned!(100), 100, WALL)]]), WALL);
  const { savedAt, sections } = decodeState(image);
  assert.equal(savedAt, WALL);
  // Read 30 s of wall time later by a process whose monotonic clock reads 5.
  const entries = decodeLearned(sections.get('learned')!, 5, WALL + 30);
  assert.equal(entries.length, 2);
  const b = policyFor(CFG);
  const res = b.warm.importLearned!(CFG, entries, 5);
  assert.deepEqual(res, { imported: 2, refused: {} });
  assert.equal(b.policy.lookup(0, -1, { family: Family.V4, v4: ip4('198.51.100.1') }, 5), H1);
  assert.equal(b.policy.lookup(0, -1, { family: Family.V6, v6: ip6('2001:db8::6') }, 5), H6);
  const e4 = b.policy.cache.find(metaWord(false, 0, -1), 0, 0, 0, ip4('198.51.100.1'));
  assert.equal(b.policy.cache.expiryOf(e4), 5 + 210 - 30, 'remaining lifetime kept');
  // Past the remaining lifetime the entry is gone, though the configured timeout is 300.
  assert.equal(b.policy.lookup(0, -1, { family: Family.V4, v4: ip4('198.51.100.1') }, 5 + 181), -1);
});

test('expired entries are dropped at load; lifetimes are clamped to the configured timeout', () => {
  const a = learned();
  const body = encodeLearned(a.warm.exportLearned!(100), 100, WALL);
  // 220 s later: 198.51.100.1 (210 s left) expired, 2001:db8::6 (250 s) has 30 s.
  const b = policyFor(CFG);
  const res = b.warm.importLearned!(CFG, decodeLearned(body, 0, WALL + 220), 0);
  assert.deepEqual(res, { imported: 1, refused: { expired: 1 } });
  assert.equal(b.policy.cache.size, 1);
  // A shorter timeout now: an entry never outlives it.
  const short = config(CFG.interfaces, { timeout: 60 });
  const c = policyFor(short);
  c.warm.importLearned!(short, decodeLearned(body, 0, WALL), 0);
  const id = c.policy.cache.find(metaWord(false, 0, -1), 0, 0, 0, ip4('198.51.100.1'));
  assert.equal(c.policy.cache.expiryOf(id), 60);
});

test('entries learning would refuse are refused: group, zero and own MAC, statics, unconfigured interface, VLAN', () => {
  const withStatic = config([iface('eth0', CFG.interfaces[0]!.rules, {
    statics: [{ pos: { file: 't', line: 1, column: 1 }, address: { family: Family.V4, v4: ip4('198.51.100.9') }, mac: H1, announce: false }],
    vlans: [0, 100],
  })], { timeout: 300 });
  const v4 = (t: string) => ({ family: Family.V4 as const, v4: ip4(t) });
  const e = (over: Partial<LearnedEntry>): LearnedEntry => ({ interface: 'eth0', vlan: -1, address: v4('198.51.100.2'), mac: H1, expires: 100, ...over });
  const list = [
    e({ address: v4('198.51.100.3'), mac: mac('01:00:5e:00:00:01') }), // group
    e({ address: v4('198.51.100.4'), mac: 0 }), // zero
    e({ address: v4('198.51.100.5'), mac: OUR }), // ours
    e({ address: v4('198.51.100.9') }), // a static address
    e({ interface: 'eth9' }), // not configured
    e({ address: v4('198.51.100.6'), vlan: 200 }), // VLAN not handled
    e({ address: v4('198.51.100.7'), vlan: 100 }), // fine
    e({}), // fine
  ];
  const b = policyFor(withStatic);
  const res = b.warm.importLearned!(withStatic, list, 0);
  assert.deepEqual(res, { imported: 2, refused: { guard: 4, interface: 1, vlan: 1 } });
  assert.equal(b.policy.cache.size, 2);
  assert.equal(b.policy.stats().guard.badMacRefused, 3, 'the guard counted the bad MACs');
});

test('damaged, truncated, foreign and other-version files are refused with their reason', () => {
  const good = encodeState(new Map([['learned', encodeLearned(learned().warm.exportLearned!(100), 100, WALL)]]), WALL);
  const reason = (b: Uint8Array) => {
    try {
      decodeState(b);
    } catch (err) {
      assert.ok(err instanceof StateFileError);
      return err.reason;
    }
    return 'accepted';
  };
  assert.equal(reason(good), 'accepted');
  const flipped = Buffer.from(good);
  flipped[flipped.length - 3] ^= 0x40;
  assert.equal(reason(flipped), 'checksum');
  assert.equal(reason(good.subarray(0, good.length - 1)), 'truncated');
  assert.equal(reason(good.subarray(0, 40)), 'truncated');
  assert.equal(reason(good.subarray(0, 3)), 'truncated');
  assert.equal(reason(Buffer.from('cache\n timeout 300\nend\n')), 'foreign');
  assert.equal(reason(Buffer.alloc(0)), 'truncated');
  const v2 = Buffer.from(good);
  v2.writeUInt32LE(STATE_VERSION + 1, 8);
  assert.equal(reason(v2), 'version');
  const long = Buffer.concat([good, Buffer.from([0])]);
  assert.equal(reason(long), 'malformed');
  const huge = Buffer.from(good);
  huge.writeUInt32LE(0xffffffff, 24);
  assert.equal(reason(huge), 'too_large');
});

test('a section with a bad entry is refused whole, checksum or not', () => {
  const body = Buffer.from(encodeLearned(learned().warm.exportLearned!(100), 100, WALL));
  const cases: [string, (b: Buffer) => void, RegExp][] = [
    ['family', (b) => { b[body.length - 80 + 4] = 5; }, /address family 5/],
    ['padding', (b) => { b[body.length - 80 + 5] = 1; }, /padding/],
    ['name index', (b) => { b.writeUInt16LE(7, body.length - 80); }, /interface #7/],
    ['VLAN', (b) => { b.writeInt16LE(5000, body.length - 80 + 2); }, /VLAN 5000/],
    ['count', (b) => { b.writeUInt32LE(3, body.length - 84); }, /for 3 entries/],
    ['entry size', (b) => { b.writeUInt16LE(41, 0); }, /entries of 41 bytes/],
  ];
  for (const [what, damage, msg] of cases) {
    const b = Buffer.from(body);
    damage(b);
    assert.throws(() => decodeLearned(b, 0, WALL), (err: unknown) => err instanceof StateFileError && err.reason === 'malformed' && msg.test(err.message), what);
  }
});

test('saveState writes atomically; loadState logs and ignores a bad file, reads a good one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'npwarm-'));
  try {
    const file = join(dir, 'cache.state');
    const a = learned();
    const saved = saveState(file, a.warm, 100, WALL);
    assert.equal(saved.entries, 2);
    assert.deepEqual(readdirSync(dir), ['cache.state'], 'no temporary file left');
    const { log, lines } = logger();
    const b = policyFor(CFG);
    assert.deepEqual(loadState(file, b.warm, CFG, 0, log, WALL + 1), { imported: 2, refused: {} });
    assert.ok(lines.some((l) => l.obj.event === 'state_loaded' && l.obj.imported === 2));
    const bytes = readFileSync(file);
    bytes[70] ^= 1;
    writeFileSync(file, bytes);
    const c = policyFor(CFG);
    assert.equal(loadState(file, c.warm, CFG, 0, log, WALL + 1), null);
    assert.equal(c.policy.cache.size, 0, 'nothing from a damaged file');
    const ignored = lines.find((l) => l.obj.event === 'state_ignored');
    assert.equal(ignored?.obj.reason, 'checksum');
    assert.equal(ignored?.level, 'error');
    rmSync(file);
    assert.equal(loadState(file, c.warm, CFG, 0, log, WALL), null);
    assert.ok(lines.some((l) => l.obj.event === 'state_absent'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('state-file setting: a path, none, and the default only when its directory exists', () => {
  const parse = (cache: string) => parseConfig(`cache\n${cache}\nend\ninterface eth0\n rule 0.0.0.0/0 198.51.100.0/24 tell\nend\n`, 't.conf').config;
  assert.equal(stateFileOf(parse(' state-file /tmp/x.state')), '/tmp/x.state');
  assert.equal(stateFileOf(parse(' state-file none')), null);
  assert.throws(() => parse(' state-file relative.state'), /absolute file path/);
  const dir = mkdtempSync(join(tmpdir(), 'npwarm-'));
  try {
    assert.equal(stateFileOf(parse(' timeout 300'), { STATE_DIRECTORY: dir }), join(dir, 'cache.state'));
    assert.equal(stateFileOf(parse(' timeout 300'), { STATE_DIRECTORY: join(dir, 'absent') }), null);
    // A failed start never saves (saving is armed by the start read).
    const w = new WarmRestarts(logger().log, { STATE_DIRECTORY: dir });
    const cfg = parse(' timeout 300');
    w.saveOnStop(cfg, learned().warm, 100);
    assert.equal(existsSync(join(dir, 'cache.state')), false);
    writeFileSync(join(dir, 'cache.state.4242.tmp'), 'half a save');
    writeFileSync(join(dir, 'cache.state.keep'), 'not ours');
    w.load(cfg, policyFor(cfg).warm, 0);
    assert.deepEqual(readdirSync(dir), ['cache.state.keep'], 'a cut-short save is removed at start');
    w.saveOnStop(cfg, learned().warm, 100);
    assert.equal(existsSync(join(dir, 'cache.state')), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ctl save: the request is accepted and answered by the handler; a daemon without a state file says E_NO_STATE_FILE', async () => {
  const { handleLine } = await import('../../src/daemon/control');
  const base = { show: () => ({}), add: () => ({}), del: () => ({}) };
  assert.deepEqual(JSON.parse(handleLine('{"cmd":"save","id":3}', { ...base, save: () => ({ file: '/x', entries: 2, bytes: 150 }) })), { ok: true, id: 3, file: '/x', entries: 2, bytes: 150 });
  assert.equal(JSON.parse(handleLine('{"cmd":"save"}', base)).error.code, 'E_NO_STATE_FILE');
  const w = new WarmRestarts(logger().log, { STATE_DIRECTORY: '/nonexistent-np' });
  const cfg = parseConfig('interface eth0\n rule 0.0.0.0/0 198.51.100.0/24 tell\nend\n', 't.conf').config;
  assert.throws(() => w.save(cfg, learned().warm, 0), (e: Error & { code?: string }) => e.code === 'E_NO_STATE_FILE');
});
