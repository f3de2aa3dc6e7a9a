// Frames out per request, and a legitimate client's share under a spoofed-source flood,
// through the real Policy with an injected clock (issue 12's cases). Only the Policy API
// that predates the limits is used, so the same file measures an older tree too.
// Run: `npm run compile && node dist/bench/amplification.js [floodSources]`.
import { Policy, REASON_NAMES } from '../src/policy';
import { FrameKind, FrameView } from '../src/wire/view';
import { ActionKind, NaSource, type Config, type Rule } from '../src/config/types';
import { BROADCAST_MAC, Family, parseIp4, parsePrefix, type Prefix } from '../src/net/addr';
import type { PolicyEnvironment, PolicyOutput } from '../src/policy/types';

const OUR = 0x0200000000fe;
const ROUTER_IP = parseIp4('198.51.100.1')!;
const prefix = (t: string): Prefix => parsePrefix(t) as Prefix;

export class Counts {
  broadcasts = 0;
  probes = 0;
  answers = 0;
  /** Frames per destination MAC (unicast queries only). */
  readonly to = new Map<number, number>();
  /** Unicast ARP queries as [destination MAC, target IP], kept only when set (for owners that answer). */
  asked: [number, number][] | null = null;
}

function output(c: Counts): PolicyOutput {
  const query = (dst: number): void => {
    if (dst < 0 || dst === BROADCAST_MAC) c.broadcasts++;
    else {
      c.probes++;
      c.to.set(dst, (c.to.get(dst) ?? 0) + 1);
    }
  };
  return {
    arpRequest: (_i, _v, _s, _sip, t, dst) => {
      query(dst);
      if (c.asked !== null && dst >= 0 && dst !== BROADCAST_MAC) c.asked.push([dst, t]);
    },
    neighborSolicitation: (_i, _v, _s, _t, dst) => query(dst),
    arpReply: () => void c.answers++,
    neighborAdvertisement: () => void c.answers++,
    arpAnnounce: () => undefined,
    unsolicitedNa: () => undefined,
  };
}

const env: PolicyEnvironment = {
  interfaceMac: () => OUR,
  isOwnIp4: () => false,
  isOwnIp6: () => false,
  sourceIp4: () => parseIp4('198.51.100.254')!,
  sourceIp6: () => false,
  routeInterface: () => undefined,
};

function rule(source: string, target: string, action: Rule['action']): Rule {
  return { pos: { file: 'bench', line: 1, column: 1 }, source: prefix(source), target: prefix(target), delay: false, verbose: false, probes: false, action };
}

export function config(rules: Rule[], tablesize = 65536): Config {
  return {
    file: 'bench',
    cache: { timeout: 300, tablesize, refresh: { count: 3, interval: 5 }, delay: { count: 0, window: 0 }, explicit: true },
    interfaces: [{
      pos: { file: 'bench', line: 1, column: 1 }, name: 'eth0', timeout: 1, vlans: null, promisc: false, allmulti: false, mac: null,
      rules, statics: [],
      nd: { uplinks: [], exceptions: [], router: false, override: false, dadDefend: false, naSource: NaSource.LinkLocal },
    }],
  };
}

export const redirectRules = (): Rule[] => [rule('0.0.0.0/0', '198.51.100.0/24', { kind: ActionKind.Redirect, via: { family: Family.V4, v4: ROUTER_IP } })];
export const bothRules = (): Rule[] => [...redirectRules(), rule('0.0.0.0/0', '203.0.0.0/8', { kind: ActionKind.Tell })];
export const tellRules = (): Rule[] => [rule('0.0.0.0/0', '198.51.100.0/24', { kind: ActionKind.Tell }), rule('0.0.0.0/0', '203.0.0.0/8', { kind: ActionKind.Tell })];

const f = new FrameView();
/** A broadcast ARP request (learned: the requester speaks for itself). */
export function request(mac: number, sip: number, tip: number, vlan = -1): FrameView {
  f.kind = FrameKind.ArpRequest;
  f.drop = 0;
  f.arpOp = 1;
  f.ethSrc = mac;
  f.senderMac = mac;
  f.ethDst = BROADCAST_MAC;
  f.senderIp = sip;
  f.targetIp = tip;
  f.targetMac = 0;
  f.vlan = vlan;
  f.outerVlan = -1;
  return f;
}

export function rig(rules: Rule[], tablesize?: number): { policy: Policy; c: Counts } {
  const c = new Counts();
  return { policy: new Policy({ config: config(rules, tablesize), env, output: output(c) }), c };
}

function run(policy: Policy, from: number, to: number, step = 0.1): void {
  for (let t = from; t <= to; t += step) policy.tick(t);
}

const H = 0x020000000091;
const H_IP = parseIp4('198.51.100.91')!;
const T_IP = parseIp4('198.51.100.7')!;

/** One request for a redirect target whose router is silent, then 400 s of timers. */
export function silentRouter(): Counts {
  const { policy, c } = rig(redirectRules());
  policy.handle(request(H, H_IP, T_IP), 0, 0);
  run(policy, 0, 400);
  return c;
}

/** One request on each VLAN 1..n (`vlan any`) from one host, then 400 s. */
export function vlans(n: number): Counts {
  const { policy, c } = rig(redirectRules());
  for (let v = 1; v <= n; v++) policy.handle(request(H, H_IP, T_IP, v), 0, 0);
  run(policy, 0, 400);
  return c;
}

/** One gratuitous ARP naming a victim's MAC; nobody asks for it. */
export function garpVictim(): Counts {
  const { policy, c } = rig(tellRules());
  const victim = 0x0200000000aa;
  const ip = parseIp4('198.51.100.50')!;
  policy.handle(request(victim, ip, ip), 0, 0);
  run(policy, 0, 400);
  return c;
}

/** `n` redirected requests from distinct spoofed sources over `seconds`, router silent, table `tablesize`. */
export function redirectFlood(n: number, seconds: number, tablesize: number): Counts {
  const { policy, c } = rig(redirectRules(), tablesize);
  const per = n / (seconds * 10);
  let k = 0;
  for (let t = 0; t < seconds; t += 0.1) {
    // Distinct spoofed MAC and IP per request (in memory only: no frame leaves).
    for (let i = 0; i < per; i++, k++) policy.handle(request(0x020100000000 + k, (0xcb000000 + k) >>> 0, T_IP), 0, t);
    policy.tick(t);
  }
  return c;
}

/**
 * A legitimate client asks for a learned target 100 times a second while `sources` spoofed
 * sources (distinct MAC and IP, in 203.0.113.0/24 and beyond) send `frames` broadcast
 * requests over `seconds`. Returns the client's answered share and whether the target's
 * entry survived.
 */
export function floodShare(sources: number, frames: number, seconds: number, tablesize: number): { share: number; survived: boolean; asked: number; partitions: string } {
  const { policy } = rig(tellRules(), tablesize);
  const target = 0x0200000000b7;
  const tIp = parseIp4('198.51.100.77')!;
  const L = 0x0200000000c1;
  const lIp = parseIp4('198.51.100.65')!;
  policy.handle(request(target, tIp, tIp), 0, 0); // the target announces itself
  let asked = 0;
  let answered = 0;
  const ask = (t: number): void => {
    asked++;
    if (policy.handle(request(L, lIp, tIp), 0, t).verdict === 1) answered++;
  };
  ask(0.001);
  const steps = seconds * 100;
  const per = frames / steps;
  let k = 0;
  for (let s = 0; s < steps; s++) {
    const t = 0.01 + s / 100;
    for (let i = 0; i < per; i++, k++) {
      const src = k % sources;
      policy.handle(request(0x020200000000 + src, (0xcb000000 + src) >>> 0, (0xcb000000 + ((src * 7) % sources)) >>> 0), 0, t);
    }
    ask(t);
    policy.tick(t);
  }
  const survived = policy.lookup(0, -1, { family: Family.V4, v4: tIp }, seconds + 0.02) === target;
  // Cache per partition (interface x family) where the tree has partitions (lru.ts).
  const lru = (policy.cache as unknown as { lru?: { sizeOf(p: number): number; protectedOf(p: number): number } }).lru;
  const partitions = lru ? [0, 1].map((p) => `eth0/${p ? 'ipv6' : 'ipv4'} ${lru.sizeOf(p)} (${lru.protectedOf(p)} in use)`).join(', ') : 'one LRU';
  return { share: answered / asked, survived, asked, partitions };
}

/** An ARP reply from `mac` for `ip` to us (a host answering our probe). */
function reply(mac: number, ip: number): FrameView {
  request(mac, ip, parseIp4('198.51.100.254')!);
  f.kind = FrameKind.ArpReply;
  f.arpOp = 2;
  f.ethDst = OUR;
  f.targetMac = OUR;
  return f;
}

/**
 * A claim flood against a redirect: `owners` live hosts (203.0.x.x) announce themselves,
 * then from t = 1 s their addresses are claimed by spoofed MACs at `rate` claims a second
 * (each a takeover probe to the owner, which answers: a conflict, the entry stays, and
 * the next claim probes again), while from t = 2 s a client asks for a redirect target
 * every 0.1 s, its router (silent) not cached: each ask wants one resolution. Returns the
 * asks and how many were refused for a send limit (their resolution not sent), the
 * resolutions sent, and the takeover probes per claim.
 */
export function claimFlood(owners: number, rate: number, seconds: number): { asks: number; refused: number; resolutions: number; claims: number; probes: number; limited: string } {
  const { policy, c } = rig(bothRules());
  c.asked = [];
  for (let i = 0; i < owners; i++) policy.handle(request(0x020300000000 + i, (0xcb000000 + i) >>> 0, (0xcb000000 + i) >>> 0), 0, 0.5);
  const limited = REASON_NAMES.indexOf('rate_limited');
  const per = rate / 10;
  let claims = 0;
  let asks = 0;
  let refused = 0;
  for (let s = 0; s < seconds * 10; s++) {
    const t = 1 + s / 10;
    for (const [dst, ip] of c.asked.splice(0)) policy.handle(reply(dst, ip), 0, t); // the owners answer
    for (let i = 0; i < per; i++, claims++) {
      const a = (0xcb000000 + (claims % owners)) >>> 0;
      policy.handle(request(0x020400000000 + claims, a, a), 0, t); // gratuitous ARP from a claimant
    }
    if (t >= 2) {
      asks++;
      // Another VLAN each time: a resolution of its own (the router is per VLAN).
      if (policy.handle(request(H, H_IP, T_IP, 1 + (s % 4000)), 0, t).reason === limited) refused++;
    }
    policy.tick(t);
  }
  // Frames not sent, by bucket, where the tree has limits.
  const byReason = (policy.stats() as { limits?: { sends: Record<string, number> } }).limits?.sends ?? {};
  const limitedBy = Object.entries(byReason).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  return { asks, refused, resolutions: c.broadcasts, claims, probes: c.probes, limited: limitedBy };
}

function main(): void {
  const sources = Number(process.argv[2] ?? 1_000_000);
  const fmt = (c: Counts, requests: number): string =>
    `${c.broadcasts} broadcasts + ${c.probes} probes = ${((c.broadcasts + c.probes) / requests).toFixed(2)} frames/request`;
  console.log(`silent router, 1 request:        ${fmt(silentRouter(), 1)}`);
  console.log(`vlan any, 100 requests:           ${fmt(vlans(100), 100)}`);
  console.log(`vlan any, 4094 requests:          ${fmt(vlans(4094), 4094)}`);
  const g = garpVictim();
  console.log(`GARP naming a victim's MAC:       ${g.to.get(0x0200000000aa) ?? 0} frames to the victim`);
  console.log(`redirect flood 1M / 10 s, 65536:  ${fmt(redirectFlood(1_000_000, 10, 65536), 1_000_000)}`);
  console.log(`redirect flood 100k / 30 s, 1000: ${fmt(redirectFlood(100_000, 30, 1000), 100_000)}`);
  const cf = claimFlood(2000, 20_000, 30);
  console.log(`claim flood 20000/s x 30 s, 2000 live owners, a redirect ask every 0.1 s: ${cf.asks - cf.refused} of ${cf.asks} resolutions sent ` +
    `(${cf.refused} rate_limited; sends limited: ${cf.limited}); ${cf.probes} takeover probes for ${cf.claims} claims = ${(cf.probes / cf.claims).toFixed(3)} frames/claim`);
  const t0 = process.hrtime.bigint();
  const r = floodShare(sources, 2 * sources, 5, 65536);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const mem = process.memoryUsage();
  console.log(`flood ${sources} sources x 2 in 5 s, tablesize 65536: client answered ${(100 * r.share).toFixed(2)} % of ${r.asked}, target entry ${r.survived ? 'kept' : 'LOST'} ` +
    `(${ms.toFixed(0)} ms, rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB; cache ${r.partitions})`);
}

if (require.main === module) main();
