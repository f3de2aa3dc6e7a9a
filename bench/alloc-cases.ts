// The request streams of bench/alloc.ts: one case per decision path the hot path takes,
// for both families. Each case is a configuration plus a cycle of frames (built with the
// wire builders, documentation addresses only: 198.51.100.0/24, 203.0.113.0/24,
// 2001:db8::/32, fe80::/64; MACs from the RFC 7042 block 00:00:5e:00:53:00).
//
//   answered: self (the pps bench's 1 127-rule file), tell (targets learned from their own
//             requests), redirect (answered with a learned router's MAC)
//   silent:   no_rule (not ours), rate_limited (limit source requests 1/s), delay (a
//             `delay 3*1` rule: mostly delayed, every third answered), learned (frames that
//             only teach: gratuitous ARP, unsolicited NA with O=1)
import {
  BROADCAST_MAC, multicastMac6, parseIp4, parseIp6, solicitedNode6, type Ip4, type Ip6, type Mac,
} from '../src/net/addr';
import { buildArpRequest, buildGratuitousArp, buildNeighborSolicitation, buildUnsolicitedNa, UNTAGGED } from '../src/wire/build';
import { NA_FLAG_OVERRIDE } from '../src/wire/view';
import { neighproxyConfig } from './pps/responder-neighproxy';

export type Family = 'arp' | 'ns';
export const CASE_NAMES = ['self', 'tell', 'redirect', 'no_rule', 'rate_limited', 'delay', 'learned'] as const;
export type CaseName = (typeof CASE_NAMES)[number];

export const IFNAME = 'c0';
/** Our interface's MAC and addresses (the fake kernel's view of `c0`). */
export const OUR_MAC: Mac = 0x02005e005300;
export const OWN_IP4 = '198.51.100.1';
export const OWN_IP6 = ['2001:db8:1::ffff', 'fe80::1'];

const MAC_BASE = 0x00005e005300;
const SENDERS_ARP = 125; // 198.51.100.2 .. .126
const TARGETS_ARP = 127; // 198.51.100.128 .. .254 (the pps bench's)
const SENDERS_NS = 251; // 2001:db8:1::1 .. ::fb
const TARGETS_NS = 1000; // 2001:db8:2::1 .. ::3e8
const ROUTER4 = '198.51.100.127';
const ROUTER6 = '2001:db8:1::fffe';
const ROUTER_MAC: Mac = MAC_BASE + 0xfe;

export interface AllocCase {
  family: Family;
  name: CaseName;
  config: string;
  /** The frames, back to back in `buf` (`count` of them, at `offsets[i]`, `lengths[i]` bytes). */
  buf: Uint8Array;
  offsets: Uint32Array;
  lengths: Uint32Array;
  count: number;
}

const CACHE = ['cache', ' timeout    300', ' tablesize  65536'];

function config(cacheExtra: string[], top: string[], rules: string[]): string {
  return [...CACHE, ...cacheExtra, 'end', ...top, `interface ${IFNAME}`, ...rules.map((r) => ` rule ${r}`), 'end', ''].join('\n');
}

function ip4(text: string): Ip4 {
  return parseIp4(text)!;
}

function ip6(text: string): Ip6 {
  return parseIp6(text)!;
}

const senderMac = (s: number): Mac => MAC_BASE + 1 + s;
const arpSender = (s: number): Ip4 => ip4('198.51.100.2') + s;
const nsSender = (s: number): Ip6 => ip6(`2001:db8:1::${(s + 1).toString(16)}`);

/** Request i of a stream of `n` over `senders`: sender i mod senders, target t(i). */
type Pair = (i: number) => [sender: number, target: Ip4 | Ip6];

class CycleWriter {
  readonly buf: Uint8Array;
  readonly offsets: Uint32Array;
  readonly lengths: Uint32Array;
  count = 0;
  private at = 0;
  constructor(readonly capacity: number) {
    this.buf = new Uint8Array(capacity * 96); // frames of at most 90 bytes, 8-aligned
    this.offsets = new Uint32Array(capacity);
    this.lengths = new Uint32Array(capacity);
  }
  add(write: (buf: Uint8Array, off: number) => number): void {
    const len = write(this.buf, this.at);
    this.offsets[this.count] = this.at;
    this.lengths[this.count] = len;
    this.count++;
    this.at += Math.ceil(len / 8) * 8;
  }
}

const group = new Uint32Array(4);

function arpRequests(w: CycleWriter, n: number, pair: Pair): void {
  for (let i = 0; i < n; i++) {
    const [s, t] = pair(i);
    w.add((b, o) => buildArpRequest(b, o, UNTAGGED, BROADCAST_MAC, senderMac(s), arpSender(s), t as Ip4));
  }
}

function solicitations(w: CycleWriter, n: number, pair: Pair): void {
  for (let i = 0; i < n; i++) {
    const [s, t] = pair(i);
    const g = solicitedNode6(t as Ip6, group);
    w.add((b, o) => buildNeighborSolicitation(b, o, UNTAGGED, senderMac(s), multicastMac6(g), nsSender(s), g, t as Ip6, senderMac(s)));
  }
}

/** Sender i mod S asks for one of `targets` (i mod T); S and T coprime: every pair occurs. */
const spread = (senders: number, target: (t: number) => Ip4 | Ip6, targets: number): Pair => (i) => [i % senders, target(i % targets)];
/** Sender i mod S asks for another sender. */
const peers = (senders: number, target: (s: number) => Ip4 | Ip6): Pair => (i) => {
  const s = i % senders;
  return [s, target((s + 1 + (Math.floor(i / senders) % (senders - 1))) % senders)];
};

function arpCase(name: CaseName, limit: number): AllocCase {
  const target = (t: number): Ip4 => ip4('198.51.100.128') + t;
  const cycle = Math.min(limit, SENDERS_ARP * TARGETS_ARP);
  const w = new CycleWriter(cycle + 1);
  const self = '0.0.0.0/0 198.51.100.128/25 self';
  let text: string;
  switch (name) {
    case 'self':
      text = neighproxyConfig(IFNAME);
      arpRequests(w, cycle, spread(SENDERS_ARP, target, TARGETS_ARP));
      break;
    case 'tell':
      text = config([], [], ['198.51.100.0/25 198.51.100.0/25 tell']);
      arpRequests(w, cycle, peers(SENDERS_ARP, arpSender));
      break;
    case 'redirect':
      text = config([], [], [`0.0.0.0/0 198.51.100.128/25 ${ROUTER4}`]);
      w.add((b, o) => buildGratuitousArp(b, o, UNTAGGED, ROUTER_MAC, ip4(ROUTER4)));
      arpRequests(w, cycle, spread(SENDERS_ARP, target, TARGETS_ARP));
      break;
    case 'no_rule':
      text = config([], [], [self]);
      arpRequests(w, cycle, spread(SENDERS_ARP, (t) => ip4('203.0.113.1') + t, TARGETS_ARP));
      break;
    case 'rate_limited':
      text = config([], ['limit source requests 1/s burst 1'], [self]);
      arpRequests(w, cycle, spread(SENDERS_ARP, target, TARGETS_ARP));
      break;
    case 'delay':
      text = config([' delay 3*1'], [], ['0.0.0.0/0 198.51.100.128/25 delay self']);
      arpRequests(w, cycle, spread(SENDERS_ARP, target, TARGETS_ARP));
      break;
    case 'learned':
      text = config([], [], ['0.0.0.0/0 198.51.100.0/24 self']);
      for (let s = 0; s < SENDERS_ARP; s++) w.add((b, o) => buildGratuitousArp(b, o, UNTAGGED, senderMac(s), arpSender(s)));
      break;
  }
  return { family: 'arp', name, config: text, buf: w.buf, offsets: w.offsets, lengths: w.lengths, count: w.count };
}

function nsCase(name: CaseName, limit: number): AllocCase {
  const target = (t: number): Ip6 => ip6(`2001:db8:2::${(t + 1).toString(16)}`);
  const cycle = Math.min(limit, SENDERS_NS * TARGETS_NS);
  const w = new CycleWriter(cycle + 1);
  const self = '::/0 2001:db8:2::/64 self';
  let text: string;
  switch (name) {
    case 'self':
      text = neighproxyConfig(IFNAME);
      solicitations(w, cycle, spread(SENDERS_NS, target, TARGETS_NS));
      break;
    case 'tell':
      text = config([], [], ['2001:db8:1::/64 2001:db8:1::/64 tell']);
      solicitations(w, cycle, peers(SENDERS_NS, nsSender));
      break;
    case 'redirect':
      text = config([], [], [`::/0 2001:db8:2::/64 ${ROUTER6}`]);
      w.add((b, o) => buildUnsolicitedNa(b, o, UNTAGGED, ROUTER_MAC, ip6(ROUTER6), ip6(ROUTER6), ROUTER_MAC, NA_FLAG_OVERRIDE));
      solicitations(w, cycle, spread(SENDERS_NS, target, TARGETS_NS));
      break;
    case 'no_rule':
      text = config([], [], [self]);
      solicitations(w, cycle, spread(SENDERS_NS, (t) => ip6(`2001:db8:3::${(t + 1).toString(16)}`), TARGETS_NS));
      break;
    case 'rate_limited':
      text = config([], ['limit source requests 1/s burst 1'], [self]);
      solicitations(w, cycle, spread(SENDERS_NS, target, TARGETS_NS));
      break;
    case 'delay':
      text = config([' delay 3*1'], [], ['::/0 2001:db8:2::/64 delay self']);
      solicitations(w, cycle, spread(SENDERS_NS, target, TARGETS_NS));
      break;
    case 'learned':
      text = config([], [], [self]);
      for (let s = 0; s < SENDERS_NS; s++) {
        w.add((b, o) => buildUnsolicitedNa(b, o, UNTAGGED, senderMac(s), nsSender(s), nsSender(s), senderMac(s), NA_FLAG_OVERRIDE));
      }
      break;
  }
  return { family: 'ns', name, config: text, buf: w.buf, offsets: w.offsets, lengths: w.lengths, count: w.count };
}

/**
 * The case's configuration and frames. A cycle holds every (sender, target) pair (15 875
 * ARP, 251 000 NS) unless `limit` cuts it shorter (tests: less memory, same code paths).
 */
export function buildCase(family: Family, name: CaseName, limit = Infinity): AllocCase {
  return family === 'arp' ? arpCase(name, limit) : nsCase(name, limit);
}
