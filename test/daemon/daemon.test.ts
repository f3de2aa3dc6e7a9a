// The daemon's reload, interface and control logic with fake rings, policy and config:
// no sockets, no privileges. The same paths run against real rings in daemon-netns tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { Config, InterfaceConfig } from '../../src/config/types';
import type { BatchHandler, BpfProgram, RingCounters, TxWriter } from '../../src/engine/types';
import { DESC_LENGTH, DESC_OFFSET, DESC_STRIDE, DESC_VLAN_TCI, VLAN_NONE } from '../../src/engine/types';
import { parseIp4, parseMac, type IpAddress, type Mac } from '../../src/net/addr';
import { Daemon } from '../../src/daemon/daemon';
import { createRegistry } from '../../src/daemon/metrics';
import type { DaemonDeps, PolicyCore, RingOpenOptions, RingPort } from '../../src/daemon/ports';
import { parseProm } from './fixtures/prom';
import { HostEnvironment } from '../../src/daemon/env';
import type { LinkState } from '../../src/daemon/links';
import { emptyRingCounters, FAMILY_V4, REPLY_ACTIONS } from '../../src/pipeline/stats';
import { Decision, Reason, Verdict } from '../../src/policy/decision';
import { ReplyAction } from '../../src/policy/reply';
import { buildArpRequest } from '../../src/wire/build';
import { FrameKind, type FrameView } from '../../src/wire/view';

const silent = pino({ level: 'silent' });

class FakeTx implements TxWriter {
  readonly buf = new Uint8Array(8192);
  readonly slotSize = 2048;
  next = 4096;
  frames: Uint8Array[] = [];
  pendingOff = -1;
  /** Frames the ring holds; past it reserve() refuses and counts, as the engine's RingTx does. */
  capacity = Infinity;
  refused = 0;
  reserve(): number {
    if (this.frames.length >= this.capacity) {
      this.refused++;
      return -1;
    }
    this.pendingOff = this.next;
    return this.next;
  }
  commit(length: number): void {
    this.frames.push(this.buf.slice(this.pendingOff, this.pendingOff + length));
  }
  flush(): number {
    return 0;
  }
}

class FakeRing implements RingPort {
  readonly tx = new FakeTx();
  handler: BatchHandler | null = null;
  filters: BpfProgram[] = [];
  closed = false;
  constructor(readonly name: string, readonly ifindex: number, readonly mac: Mac, readonly opts: RingOpenOptions) {
    this.filters.push(opts.filter);
  }
  start(h: BatchHandler): void { this.handler = h; }
  stop(): void { this.handler = null; }
  setFilter(p: BpfProgram): void { this.filters.push(p); }
  counters(): RingCounters { return { ...emptyRingCounters(), kernelDrops: 1, txRingFull: this.tx.refused }; }
  close(): void { this.closed = true; }
}

function iface(name: string, extra: Partial<InterfaceConfig> = {}): InterfaceConfig {
  return {
    pos: { file: 't.conf', line: 1, column: 1 }, name, timeout: 1, vlans: null, promisc: false, allmulti: false,
    mac: null, rules: [], statics: [],
    nd: { uplinks: [], exceptions: [], router: false, override: false, dadDefend: false, naSource: 'link-local' as never },
    ...extra,
  };
}

function config(ifaces: InterfaceConfig[]): Config {
  return {
    file: 't.conf',
    cache: { timeout: 300, tablesize: 100, refresh: { count: 3, interval: 5 }, delay: { count: 0, window: 0 }, explicit: false },
    interfaces: ifaces,
  };
}

class FakePolicy implements PolicyCore {
  reloads: Config[] = [];
  statics: { ifIndex: number; address: IpAddress; mac: Mac; announce: boolean }[] = [];
  ticks = 0;
  seen: { ifIndex: number; kind: FrameKind }[] = [];
  answerMac = parseMac('02:00:5e:00:53:aa')!;
  readonly decision = new Decision();
  handle(view: FrameView, ifIndex: number): Decision {
    this.seen.push({ ifIndex, kind: view.kind });
    const out = this.decision;
    out.reset();
    out.ifIndex = ifIndex;
    out.family = 4;
    out.verdict = Verdict.Answer;
    out.reason = Reason.Rule;
    out.answerMac = this.answerMac;
    out.action = 'self' as never;
    out.replyAction = ReplyAction.Self;
    return out;
  }
  tick(): void { this.ticks++; }
  reload(c: Config): void {
    if (c.file === 'reject') throw Object.assign(new Error('policy refuses'), { code: 'E_POLICY' });
    this.reloads.push(c);
  }
  addStatic(ifIndex: number, address: IpAddress, mac: Mac, announce: boolean): boolean {
    this.statics.push({ ifIndex, address, mac, announce });
    return true;
  }
  removeStatic(ifIndex: number): boolean { return this.statics.some((s) => s.ifIndex === ifIndex); }
  cacheEntries(): Record<string, unknown>[] { return []; }
  cacheFigures() { return { entries: [], capacity: 0, evictions: 0, refreshFailures: 0, resolveFailures: 0 }; }
}

function harness(first: Config) {
  let current: Config | Error = first;
  const links = new Map<string, LinkState>();
  const rings: FakeRing[] = [];
  let nextIfindex = 10;
  const policy = new FakePolicy();
  let deny = false;
  const env = new HostEnvironment(null);
  const deps: DaemonDeps = {
    loadConfig: () => {
      if (current instanceof Error) throw current;
      return { config: current, warnings: [] };
    },
    openRing: (name, opts) => {
      if (deny) throw Object.assign(new Error('Operation not permitted'), { code: 'EPERM' });
      const l = links.get(name);
      if (!l) throw Object.assign(new Error(`no such device ${name}`), { code: 'ENODEV' });
      const r = new FakeRing(name, l.ifindex, 0x020000000001 + rings.length, opts);
      rings.push(r);
      return r;
    },
    compileFilter: (ifc) => ({ program: [{ code: 6, jt: 0, jf: 0, k: ifc.promisc ? 1 : ifc.vlans ? ifc.vlans.length + 2 : 0xffff - ifc.statics.length }], text: 'arp or icmp6' }),
    createPolicy: () => policy,
    linkReader: (n) => links.get(n) ?? null,
    environment: env,
    clock: () => 1000,
  };
  const daemon = new Daemon({ config: 't.conf', control: null, metrics: null, user: null, group: null, tickMs: 1000, linkPollMs: 60000 }, deps, silent);
  return {
    daemon, policy, rings, links,
    setConfig: (c: Config | Error) => { current = c; },
    addLink: (name: string, up = true) => { links.set(name, { ifindex: nextIfindex++, up }); },
    deny: (v: boolean) => { deny = v; },
  };
}

test('start: a ring per present interface, an absent one waits and opens when it appears', async (t) => {
  const h = harness(config([iface('eth0'), iface('eth1')]));
  h.addLink('eth0');
  await h.daemon.start();
  t.after(() => h.daemon.stop());
  assert.deepEqual(h.rings.map((r) => r.name), ['eth0']);
  h.addLink('eth1');
  h.daemon.watcher.poll();
  assert.deepEqual(h.rings.map((r) => r.name), ['eth0', 'eth1']);
  assert.ok(h.rings[1]!.handler, 'started');
});

test('reload: unchanged interfaces keep their ring, changed filters are replaced in place, removed ones close, new ones open', async (t) => {
  const h = harness(config([iface('eth0'), iface('eth1')]));
  h.addLink('eth0');
  h.addLink('eth1');
  h.addLink('eth2');
  await h.daemon.start();
  t.after(() => h.daemon.stop());
  const [r0, r1] = h.rings;
  h.setConfig(config([iface('eth2'), iface('eth0', { vlans: [7] })]));
  assert.equal(h.daemon.reload(), true);
  assert.equal(r0!.closed, false, 'eth0 ring kept');
  assert.equal(r0!.filters.length, 2, 'eth0 filter replaced');
  assert.equal(r1!.closed, true, 'eth1 closed');
  assert.equal(h.rings[2]!.name, 'eth2');
  assert.equal(h.policy.reloads.length, 1);
  // eth0 is now index 1: its frames must reach the policy as interface 1.
  const frame = new Uint8Array(2048);
  const len = buildArpRequest(frame, 0, -1, 0xffffffffffff, parseMac('02:00:5e:00:53:01')!, parseIp4('192.0.2.1')!, parseIp4('192.0.2.2')!);
  const desc = new Uint32Array(DESC_STRIDE);
  desc[DESC_OFFSET] = 0;
  desc[DESC_LENGTH] = len;
  desc[DESC_VLAN_TCI] = VLAN_NONE;
  r0!.handler!({ count: 1, buf: frame, desc }, r0!.tx);
  assert.deepEqual(h.policy.seen, [{ ifIndex: 1, kind: FrameKind.ArpRequest }]);
  assert.equal(r0!.tx.frames.length, 1, 'answer written');
  assert.equal(r0!.tx.frames[0]![21], 2, 'ARP opcode 2 (reply)');
  // promisc change reopens (the socket option is set at open).
  h.setConfig(config([iface('eth2'), iface('eth0', { vlans: [7], promisc: true })]));
  assert.equal(h.daemon.reload(), true);
  assert.equal(r0!.closed, true);
  assert.equal(h.rings.at(-1)!.name, 'eth0');
  assert.equal(h.rings.at(-1)!.opts.promisc, true);
});

test('reload: a changed ring pace reopens the ring with the new setting; an unchanged one keeps it', async (t) => {
  const h = harness(config([iface('eth0')]));
  h.addLink('eth0');
  await h.daemon.start();
  t.after(() => h.daemon.stop());
  const r0 = h.rings[0]!;
  assert.equal(r0.opts.ring, undefined);
  h.setConfig(config([iface('eth0', { ring: { pace: 0 } })]));
  assert.equal(h.daemon.reload(), true);
  assert.equal(r0.closed, true, 'pace changed: reopened (the pacing wraps the ring at open)');
  assert.deepEqual(h.rings.at(-1)!.opts.ring, { pace: 0 });
  const r1 = h.rings.at(-1)!;
  h.setConfig(config([iface('eth0', { ring: { pace: 0 } })]));
  assert.equal(h.daemon.reload(), true);
  assert.equal(r1.closed, false, 'same pace: ring kept');
});

test('reload: a configuration error or a policy refusal keeps everything as it was', async (t) => {
  const h = harness(config([iface('eth0')]));
  h.addLink('eth0');
  await h.daemon.start();
  t.after(() => h.daemon.stop());
  const before = h.daemon.config;
  h.setConfig(Object.assign(new Error('t.conf:3:7: found \'tel\', expected an action'), { code: 'E_CONFIG_SYNTAX' }));
  assert.equal(h.daemon.reload(), false);
  h.setConfig({ ...config([]), file: 'reject' });
  assert.equal(h.daemon.reload(), false);
  assert.equal(h.daemon.config, before);
  assert.equal(h.rings[0]!.closed, false);
  assert.deepEqual(h.daemon.reloads, { ok: 0, failed: 2 });
});

test('an interface that appears down gets its ring when it comes up, not before', async (t) => {
  const h = harness(config([iface('eth0')]));
  await h.daemon.start();
  t.after(() => h.daemon.stop());
  h.addLink('eth0', false);
  h.daemon.watcher.poll();
  assert.equal(h.rings.length, 0);
  h.links.set('eth0', { ...h.links.get('eth0')!, up: true });
  h.daemon.watcher.poll();
  assert.equal(h.rings.length, 1);
});

test('an interface deleted and recreated gets a new ring; a vanished one is closed', async (t) => {
  const h = harness(config([iface('eth0')]));
  h.addLink('eth0');
  await h.daemon.start();
  t.after(() => h.daemon.stop());
  h.addLink('eth0'); // new ifindex
  h.daemon.watcher.poll();
  assert.equal(h.rings.length, 2);
  assert.equal(h.rings[0]!.closed, true);
  assert.equal(h.rings[1]!.ifindex, h.links.get('eth0')!.ifindex);
  // Down then up: the engine's ring survives it (it clears ENETDOWN and keeps polling).
  h.links.set('eth0', { ...h.links.get('eth0')!, up: false });
  h.daemon.watcher.poll();
  h.links.set('eth0', { ...h.links.get('eth0')!, up: true });
  h.daemon.watcher.poll();
  h.daemon.onKernelChange('links');
  assert.equal(h.rings.length, 2, 'down/up reopens nothing');
  assert.equal(h.rings[1]!.closed, false);
  // Deleted and recreated within one batch of link events: a new ring at once.
  h.addLink('eth0');
  h.daemon.onKernelChange('links');
  assert.equal(h.rings.length, 3);
  assert.equal(h.rings[1]!.closed, true);
  h.links.delete('eth0');
  h.daemon.watcher.poll();
  assert.equal(h.rings[2]!.closed, true);
  // Its counters survive the rings: three closed rings with one kernel drop each.
  const stats = h.daemon.controlHandler().show('stats') as { interfaces: { ring: RingCounters }[] };
  assert.equal(stats.interfaces[0]!.ring.kernelDrops, 3);
});

test('no permission to capture: start fails with EPERM and says which capability', async () => {
  const h = harness(config([iface('eth0')]));
  h.addLink('eth0');
  h.deny(true);
  await assert.rejects(h.daemon.start(), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'EPERM');
    assert.match(err.message, /eth0.*CAP_NET_RAW/);
    return true;
  });
});

test('control: add goes to the named interface; ambiguous or unknown interfaces and bad input are refused', async (t) => {
  const h = harness(config([iface('eth0'), iface('eth1')]));
  h.addLink('eth0');
  h.addLink('eth1');
  await h.daemon.start();
  t.after(() => h.daemon.stop());
  const c = h.daemon.controlHandler();
  assert.deepEqual(c.add({ address: '192.0.2.9', mac: '02:00:5e:00:53:09', announce: true, interface: 'eth1' }),
    { interface: 'eth1', address: '192.0.2.9', mac: '02:00:5e:00:53:09' });
  assert.equal(h.policy.statics[0]!.ifIndex, 1);
  assert.equal(h.policy.statics[0]!.announce, true);
  // The filter is recompiled with the runtime static (a narrowed filter must let it in), and again after a reload.
  const eth1 = h.rings[1]!;
  assert.equal(eth1.filters.length, 2);
  assert.equal(eth1.filters[1]![0]!.k, 0xffff - 1);
  h.setConfig(config([iface('eth0'), iface('eth1', { vlans: [5] })]));
  h.daemon.reload();
  h.setConfig(config([iface('eth0'), iface('eth1')]));
  h.daemon.reload();
  assert.equal(eth1.filters.at(-1)![0]!.k, 0xffff - 1, 'runtime static kept in the filter across reloads');
  assert.throws(() => c.add({ address: '192.0.2.9', mac: '02:00:5e:00:53:09', announce: false, interface: null }), { code: 'E_NEED_INTERFACE' });
  assert.throws(() => c.add({ address: '192.0.2.9', mac: '02:00:5e:00:53:09', announce: false, interface: 'eth9' }), { code: 'E_NO_INTERFACE' });
  assert.throws(() => c.add({ address: '192.0.2.999', mac: '02:00:5e:00:53:09', announce: false, interface: 'eth0' }), { code: 'E_BAD_ADDRESS' });
  assert.throws(() => c.add({ address: '192.0.2.9', mac: 'zz', announce: false, interface: 'eth0' }), { code: 'E_BAD_MAC' });
  assert.deepEqual(c.del({ address: '192.0.2.9', interface: null }), { address: '192.0.2.9', removed: 1 });
  assert.equal(eth1.filters.at(-1)![0]!.k, 0xffff, 'filter without it after del');
  const stats = c.show('stats') as { interfaces: { name: string; requests: { ipv4: number } }[] };
  assert.deepEqual(stats.interfaces.map((i) => i.name), ['eth0', 'eth1']);
});

test('a batch that throws is counted and logged; the next batch is handled', async (t) => {
  const h = harness(config([iface('eth0')]));
  h.addLink('eth0');
  await h.daemon.start();
  t.after(() => h.daemon.stop());
  const r = h.rings[0]!;
  const frame = new Uint8Array(2048);
  const len = buildArpRequest(frame, 0, -1, 0xffffffffffff, parseMac('02:00:5e:00:53:01')!, parseIp4('192.0.2.1')!, parseIp4('192.0.2.2')!);
  const desc = new Uint32Array(DESC_STRIDE);
  desc[DESC_LENGTH] = len;
  desc[DESC_VLAN_TCI] = VLAN_NONE;
  const handle = h.policy.handle.bind(h.policy);
  h.policy.handle = () => { throw new Error('policy bug'); };
  r.handler!({ count: 1, buf: frame, desc }, r.tx);
  assert.equal(h.daemon.batchErrors, 1);
  h.policy.handle = handle;
  r.handler!({ count: 1, buf: frame, desc }, r.tx);
  assert.equal(r.tx.frames.length, 1);
});

test('tick drives the policy timer; stats count requests and replies by action', async (t) => {
  const h = harness(config([iface('eth0')]));
  h.addLink('eth0');
  await h.daemon.start();
  t.after(() => h.daemon.stop());
  h.daemon.tick();
  assert.equal(h.policy.ticks, 1);
  const r = h.rings[0]!;
  const frame = new Uint8Array(2048);
  const len = buildArpRequest(frame, 100, -1, 0xffffffffffff, parseMac('02:00:5e:00:53:01')!, parseIp4('192.0.2.1')!, parseIp4('192.0.2.2')!);
  const desc = new Uint32Array(2 * DESC_STRIDE);
  desc[DESC_OFFSET] = 100;
  desc[DESC_LENGTH] = len;
  desc[DESC_VLAN_TCI] = VLAN_NONE;
  desc[DESC_STRIDE + DESC_OFFSET] = 100;
  desc[DESC_STRIDE + DESC_LENGTH] = 20; // truncated: a validation drop, never reaches the policy
  desc[DESC_STRIDE + DESC_VLAN_TCI] = VLAN_NONE;
  r.handler!({ count: 2, buf: frame, desc }, r.tx);
  assert.equal(h.policy.seen.length, 1);
  const stats = h.daemon.controlHandler().show('stats') as { interfaces: { requests: { ipv4: number }; replies: { ipv4: Record<string, number> } }[] };
  assert.equal(stats.interfaces[0]!.requests.ipv4, 1);
  assert.deepEqual(stats.interfaces[0]!.replies.ipv4, { self: 1 });
  assert.equal(REPLY_ACTIONS[3], 'self');
  assert.equal(FAMILY_V4, 0);
});

test('TX ring full: the exported metric counts each refused frame once, as the ring counted it', async (t) => {
  const h = harness(config([iface('eth0')]));
  h.addLink('eth0');
  await h.daemon.start();
  t.after(() => h.daemon.stop());
  const r = h.rings[0]!;
  r.tx.capacity = 1;
  const frame = new Uint8Array(2048);
  const len = buildArpRequest(frame, 0, -1, 0xffffffffffff, parseMac('02:00:5e:00:53:01')!, parseIp4('192.0.2.1')!, parseIp4('192.0.2.2')!);
  const desc = new Uint32Array(3 * DESC_STRIDE);
  for (let i = 0; i < 3; i++) {
    desc[i * DESC_STRIDE + DESC_LENGTH] = len;
    desc[i * DESC_STRIDE + DESC_VLAN_TCI] = VLAN_NONE;
  }
  // Three answers in one batch (the pipeline), then one frame the policy sends itself (RingOutput).
  r.handler!({ count: 3, buf: frame, desc }, r.tx);
  h.daemon.output.arpAnnounce(0, -1, parseIp4('192.0.2.7')!, parseMac('02:00:5e:00:53:07')!);
  assert.equal(r.tx.frames.length, 1, 'one frame fitted');
  assert.equal(r.tx.refused, 3, 'the ring refused three');
  const m = parseProm(await createRegistry(h.daemon.metricsSources()).metrics());
  assert.equal(m.get('neighproxy_tx_ring_full_total{interface="eth0"}'), 3, 'each refused frame counted once');
  assert.equal(m.get('neighproxy_replies_total{interface="eth0",family="ipv4",action="self"}'), 1, 'only the sent answer is a reply');
  assert.equal(m.get('neighproxy_requests_total{interface="eth0",family="ipv4"}'), 3);
});
