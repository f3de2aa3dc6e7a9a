// The action resolver alone, for every action and both families: the rule table of one
// interface, a cache, the redirect queue and an environment; no frame checks, no match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metaWord } from '../../src/policy/addrtable';
import { NeighborCache } from '../../src/policy/cache';
import { Reason, REASON_NAMES } from '../../src/policy/decision';
import { InterfaceTable, RuleWord } from '../../src/policy/interfaces';
import { RedirectQueue } from '../../src/policy/redirect';
import { ProbeQueue } from '../../src/policy/probe';
import { SourceLimiter } from '../../src/policy/limiter';
import { ActionResolver, FrameContext, Resolution } from '../../src/policy/resolver';
import type { FrameView } from '../../src/wire/view';
import type { Rule } from '../../src/config/types';
import { arp, config, formatMac, iface, ip4, ip6, mac, ns, RecordingOutput, rule, TestEnv } from './fixtures/build';

const OUR = mac('02:00:00:00:00:fe');
const ASKER = mac('02:00:00:00:00:99');
const HOST = mac('02:00:00:00:00:11');
const ROUTER = mac('02:00:00:00:00:01');

interface Fam {
  name: string;
  v6: boolean;
  /** The rule's target prefix (covers every target asked). */
  all: string;
  target: string;
  router: string;
  ask: (target: string) => FrameView;
  /** The four cache key words of an address. */
  words: (a: string) => [number, number, number, number];
}

const FAMILIES: Fam[] = [
  {
    name: 'ARP',
    v6: false,
    all: '0.0.0.0/0',
    // >= 128.0.0.0: the words cross int32 and uint32 forms on the way.
    target: '198.51.100.7',
    router: '198.51.100.1',
    ask: (t) => arp({ senderMac: ASKER, senderIp: '198.51.100.99', targetIp: t }),
    words: (a) => [0, 0, 0, ip4(a)],
  },
  {
    name: 'ND',
    v6: true,
    all: '::/0',
    target: '2001:db8::a:b:c:d',
    router: '2001:db8::1',
    ask: (t) => ns({ ethSrc: ASKER, src: '2001:db8::99', target: t }),
    words: (a) => {
      const w = ip6(a);
      return [w[0]!, w[1]!, w[2]!, w[3]!];
    },
  },
];

function rig(fam: Fam, rules: Rule[], delay = { count: 1, window: 0 }) {
  const env = new TestEnv([OUR]);
  const out = new RecordingOutput();
  const cfg = config([iface('eth0', rules)], { delay });
  const cache = new NeighborCache(64, { timeout: 300, refreshCount: 0, refreshInterval: 0, resolveAttempts: 3, resolveInterval: 1 });
  const ifaces = new InterfaceTable();
  const st = ifaces.install(cfg)[0]!;
  const redirects = new RedirectQueue(4, cache, ifaces, env, out, new SourceLimiter(64));
  const probes = new ProbeQueue({ aliveSize: 16, absentSize: 16, rate: 10, burst: 10 }, ifaces, env, out);
  const resolver = new ActionResolver(64, cache, redirects, env, probes);
  resolver.configure(cfg);
  const cx = new FrameContext();
  cx.ourMac = OUR;
  const res = new Resolution();
  const meta = metaWord(fam.v6, st.slot, -1);
  const resolve = (target = fam.target, now = 1) => {
    cx.now = now;
    cache.now = now;
    res.mac = -2;
    const r = resolver.resolve(fam.ask(target), st, 0, meta, cx, res);
    return { reason: REASON_NAMES[r], mac: r === Reason.Rule ? formatMac(res.mac) : null };
  };
  const learn = (a: string, m: number, now = 1) => cache.learn(meta, ...fam.words(a), m, now);
  return { env, out, cache, st, redirects, resolve, learn };
}

for (const fam of FAMILIES) {
  test(`resolver (${fam.name}): ignore answers nothing`, () => {
    assert.deepEqual(rig(fam, [rule(1, fam.all, fam.all, 'ignore')]).resolve(), { reason: 'ignore', mac: null });
  });

  test(`resolver (${fam.name}): tell answers the learned MAC and remembers the entry in the rule table`, () => {
    const r = rig(fam, [rule(1, fam.all, fam.all, 'tell')]);
    assert.deepEqual(r.resolve(), { reason: 'unknown_target', mac: null });
    assert.equal(r.st.ruleInfo[RuleWord.Size * 0 + RuleWord.Hint], -1);
    const id = r.learn(fam.target, HOST);
    assert.deepEqual(r.resolve(), { reason: 'rule', mac: formatMac(HOST) });
    assert.equal(r.st.ruleInfo[RuleWord.Size * 0 + RuleWord.Hint], id, 'the tell hint is kept for this family too');
    // A hint that no longer holds the key is only a hint: another target is still unknown.
    assert.deepEqual(r.resolve(fam.router), { reason: 'unknown_target', mac: null });
    // Expired entries are not told.
    assert.deepEqual(r.resolve(fam.target, 400), { reason: 'unknown_target', mac: null });
  });

  test(`resolver (${fam.name}): redirect answers the router's MAC, or queues and resolves it`, () => {
    const r = rig(fam, [rule(1, fam.all, fam.all, fam.router)]);
    assert.deepEqual(r.resolve(), { reason: 'resolving', mac: null });
    assert.equal(r.redirects.pending.count, 1);
    const q = r.out.take();
    assert.equal(q.length, 1);
    assert.match(q[0]!, fam.v6 ? /^ns if0 vlan-1 from :: who-has 2001:db8::1 to solicited-node$/ : /^arpRequest if0 vlan-1 .* who-has 198\.51\.100\.1 to ff:ff:ff:ff:ff:ff$/);
    // A second request while resolving queues again but sends no second query.
    assert.deepEqual(r.resolve(), { reason: 'resolving', mac: null });
    assert.deepEqual(r.out.take(), []);
    r.learn(fam.router, ROUTER);
    assert.deepEqual(r.resolve(), { reason: 'rule', mac: formatMac(ROUTER) });
  });

  test(`resolver (${fam.name}): redirect to a router of the other family is unknown_target`, () => {
    const other = fam.v6 ? '198.51.100.1' : '2001:db8::1';
    const r = rig(fam, [rule(1, fam.all, fam.all, other)]);
    assert.deepEqual(r.resolve(), { reason: 'unknown_target', mac: null });
    assert.equal(r.redirects.pending.count, 0);
  });

  test(`resolver (${fam.name}): mac and self`, () => {
    assert.deepEqual(rig(fam, [rule(1, fam.all, fam.all, '00:0c:29:b6:43:d5')]).resolve(), { reason: 'rule', mac: '00:0c:29:b6:43:d5' });
    assert.deepEqual(rig(fam, [rule(1, fam.all, fam.all, 'self')]).resolve(), { reason: 'rule', mac: formatMac(OUR) });
  });

  test(`resolver (${fam.name}): route answers only for targets routed out of another interface`, () => {
    const r = rig(fam, [rule(1, fam.all, fam.all, 'route')]);
    assert.deepEqual(r.resolve(), { reason: 'no_route', mac: null });
    r.env.routes.set(fam.all, 'eth0');
    assert.deepEqual(r.resolve(), { reason: 'route_same_interface', mac: null });
    r.env.routes.set(fam.v6 ? '2001:db8::/32' : '198.51.100.0/24', 'eth1');
    assert.deepEqual(r.resolve(), { reason: 'rule', mac: formatMac(OUR) });
  });

  test(`resolver (${fam.name}): template takes the low bytes from the target`, () => {
    const r = rig(fam, [rule(1, fam.all, fam.all, 'template:02:aa:bb:00:00:00/3')]);
    // 198.51.100.7 -> 33:64:07; 2001:db8::a:b:c:d -> low 24 bits 0c:00:0d.
    assert.deepEqual(r.resolve(), { reason: 'rule', mac: fam.v6 ? '02:aa:bb:0c:00:0d' : '02:aa:bb:33:64:07' });
    const six = rig(fam, [rule(1, fam.all, fam.all, 'template:02:00:00:00:00:00/6')]);
    // Six bytes: the whole low 48 bits (word 2's low half and word 3 for IPv6).
    assert.deepEqual(six.resolve(), { reason: 'rule', mac: fam.v6 ? '00:0b:00:0c:00:0d' : '00:00:c6:33:64:07' });
  });

  test(`resolver (${fam.name}): delay answers from the N-th request of a pair within the window`, () => {
    const r = rig(fam, [rule(1, fam.all, fam.all, 'self', { delay: true })], { count: 2, window: 5 });
    assert.deepEqual(r.resolve(fam.target, 1), { reason: 'delayed', mac: null });
    assert.deepEqual(r.resolve(fam.target, 2), { reason: 'rule', mac: formatMac(OUR) });
    assert.deepEqual(r.resolve(fam.router, 2), { reason: 'delayed', mac: null }, 'counted per (source, target) pair');
    assert.deepEqual(r.resolve(fam.target, 10), { reason: 'delayed', mac: null }, 'a new window starts over');
  });
}
