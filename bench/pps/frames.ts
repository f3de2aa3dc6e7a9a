// Request templates and reply matching for the pps bench.
//
// Address plan (documentation ranges only: RFC 5737, RFC 3849, RFC 7042 MACs):
//   ARP  senders 198.51.100.2 ..       (S_ARP of them), MAC 00:00:5e:00:53:01 ..
//        targets 198.51.100.128 .. .254 (T_ARP), routed behind the responder
//   NS   senders 2001:db8:1::1 ..      (S_NS), same MACs
//        targets 2001:db8:2::1 ..      (T_NS), on the responder's downstream side
// Request i goes from sender i % S to target i % T. S and T are coprime, so the pair
// (sender, target) a reply carries names i modulo S*T (Chinese remainder theorem);
// the matcher picks the latest request with that residue sent before the reply.

import { plainFilter } from '../../src/bpf/plain';
import type { BpfProgram } from '../../src/engine/types';
import { ETH_P_ARP, ETH_P_IP, ETH_P_IPV6 } from '../../src/net/ethertypes';
import { writeIcmp6Checksum } from '../../src/wire/checksum';

export type Family = 'arp' | 'ns';

export const S_ARP = 125;
export const T_ARP = 127;
export const S_NS = 251;
export const T_NS = 1000;

export const ARP_FRAME_LEN = 60; // 42 bytes of ARP, padded to the Ethernet minimum
export const NS_FRAME_LEN = 86; // 14 Ethernet + 40 IPv6 + 24 NS + 8 source link-layer option

export const NET4 = 0xc6336400; // 198.51.100.0
export const ARP_SENDER_BASE = NET4 + 2;
export const ARP_TARGET_BASE = NET4 + 128;
/** The responder's own address on the client side. */
export const RESPONDER_IP4 = '198.51.100.1';
export const RESPONDER_IP6 = '2001:db8:1::ffff';
export const SENDER_PREFIX6 = '2001:db8:1::'; // + (s + 1), /64
export const TARGET_PREFIX6 = '2001:db8:2::'; // + (t + 1), /64
const MAC_BASE = 0x00005e005300; // RFC 7042 documentation unicast block 00:00:5e:00:53:00/24 bits

export function senderCount(f: Family): number {
  return f === 'arp' ? S_ARP : S_NS;
}
export function targetCount(f: Family): number {
  return f === 'arp' ? T_ARP : T_NS;
}
export function frameLength(f: Family): number {
  return f === 'arp' ? ARP_FRAME_LEN : NS_FRAME_LEN;
}
export function senderMac(s: number): number {
  return MAC_BASE + 1 + s;
}
export function arpSenderIp(s: number): string {
  return ip4Text(ARP_SENDER_BASE + s);
}
export function arpTargetIp(t: number): string {
  return ip4Text(ARP_TARGET_BASE + t);
}
export function nsSenderIp(s: number): string {
  return `${SENDER_PREFIX6}${(s + 1).toString(16)}`;
}
export function nsTargetIp(t: number): string {
  return `${TARGET_PREFIX6}${(t + 1).toString(16)}`;
}
function ip4Text(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

function put48(b: Uint8Array, o: number, v: number): void {
  const hi = Math.floor(v / 0x100000000);
  b[o] = hi >>> 8;
  b[o + 1] = hi & 255;
  b[o + 2] = (v >>> 24) & 255;
  b[o + 3] = (v >>> 16) & 255;
  b[o + 4] = (v >>> 8) & 255;
  b[o + 5] = v & 255;
}
function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 255;
  b[o + 2] = (v >>> 8) & 255;
  b[o + 3] = v & 255;
}
function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 255;
  b[o + 1] = v & 255;
}

/** ARP request from sender s for target t, written at `o` (ARP_FRAME_LEN bytes). */
export function writeArpRequest(b: Uint8Array, o: number, s: number, t: number): number {
  b.fill(0, o, o + ARP_FRAME_LEN);
  put48(b, o, 0xffffffffffff);
  put48(b, o + 6, senderMac(s));
  put16(b, o + 12, ETH_P_ARP);
  put16(b, o + 14, 1); // htype Ethernet
  put16(b, o + 16, ETH_P_IP); // ptype IPv4
  b[o + 18] = 6;
  b[o + 19] = 4;
  put16(b, o + 20, 1); // request
  put48(b, o + 22, senderMac(s));
  put32(b, o + 28, ARP_SENDER_BASE + s);
  // tha stays zero
  put32(b, o + 38, ARP_TARGET_BASE + t);
  return ARP_FRAME_LEN;
}

/** 2001:db8:1::/64 and 2001:db8:2::/64 as 4 big-endian words with the low word to fill. */
const SENDER6 = [0x20010db8, 0x00010000, 0, 0];
const TARGET6 = [0x20010db8, 0x00020000, 0, 0];

/** Neighbor Solicitation from sender s for target t to the target's solicited-node group (NS_FRAME_LEN bytes). */
export function writeNeighborSolicitation(b: Uint8Array, o: number, s: number, t: number): number {
  b.fill(0, o, o + NS_FRAME_LEN);
  const tgtLow = t + 1;
  // Ethernet: 33:33:ff + low 24 bits of the target.
  put16(b, o, 0x3333);
  b[o + 2] = 0xff;
  b[o + 3] = (tgtLow >>> 16) & 255;
  b[o + 4] = (tgtLow >>> 8) & 255;
  b[o + 5] = tgtLow & 255;
  put48(b, o + 6, senderMac(s));
  put16(b, o + 12, ETH_P_IPV6);
  // IPv6 header.
  const ip = o + 14;
  b[ip] = 0x60;
  put16(b, ip + 4, 32); // payload length
  b[ip + 6] = 58; // ICMPv6
  b[ip + 7] = 255; // hop limit
  for (let w = 0; w < 3; w++) put32(b, ip + 8 + 4 * w, SENDER6[w]!);
  put32(b, ip + 20, s + 1);
  // ff02::1:ffXX:XXXX
  put32(b, ip + 24, 0xff020000);
  put32(b, ip + 28, 0);
  put32(b, ip + 32, 1);
  put32(b, ip + 36, (0xff000000 | (tgtLow & 0xffffff)) >>> 0);
  // ICMPv6 Neighbor Solicitation.
  const ic = ip + 40;
  b[ic] = 135;
  for (let w = 0; w < 3; w++) put32(b, ic + 8 + 4 * w, TARGET6[w]!);
  put32(b, ic + 20, tgtLow);
  b[ic + 24] = 1; // source link-layer address option
  b[ic + 25] = 1; // length in units of 8 bytes
  put48(b, ic + 26, senderMac(s));
  writeIcmp6Checksum(b, ip, ic, 32); // the wire module's, as the responder verifies it
  return NS_FRAME_LEN;
}

export function writeRequest(f: Family, b: Uint8Array, o: number, s: number, t: number): number {
  return f === 'arp' ? writeArpRequest(b, o, s, t) : writeNeighborSolicitation(b, o, s, t);
}

/** Request i's sender and target. */
export function senderOf(f: Family, i: number): number {
  return i % senderCount(f);
}
export function targetOf(f: Family, i: number): number {
  return i % targetCount(f);
}

/** All distinct requests (S*T frames, request i at i * frameLength), in sending order. */
export function buildRequestCycle(f: Family): { frames: Uint8Array; count: number; frameLength: number } {
  const n = senderCount(f) * targetCount(f);
  const len = frameLength(f);
  const frames = new Uint8Array(n * len);
  for (let i = 0; i < n; i++) writeRequest(f, frames, i * len, senderOf(f, i), targetOf(f, i));
  return { frames, count: n, frameLength: len };
}

/**
 * Residue table: pairResidue[s * T + t] = the i in [0, S*T) with i % S = s and i % T = t.
 * Built once per family.
 */
const residueCache = new Map<Family, Int32Array>();
export function pairResidues(f: Family): Int32Array {
  let tbl = residueCache.get(f);
  if (!tbl) {
    const S = senderCount(f);
    const T = targetCount(f);
    tbl = new Int32Array(S * T);
    for (let i = 0; i < S * T; i++) tbl[(i % S) * T + (i % T)] = i;
    residueCache.set(f, tbl);
  }
  return tbl;
}

/**
 * Residue (request index modulo S*T) a reply answers, or -1 when the frame at `o` is not
 * a reply to one of our requests. ARP: an ARP reply whose sender is one of our targets
 * and whose target is one of our senders. NS: an ICMPv6 Neighbor Advertisement for one
 * of our targets addressed to one of our senders (IPv6 destination).
 */
export function replyResidue(f: Family, b: Uint8Array, o: number, len: number): number {
  if (f === 'arp') {
    if (len < 42 || get16(b, o + 12) !== ETH_P_ARP || b[o + 20] !== 0 || b[o + 21] !== 2) return -1;
    const spa = ((b[o + 28]! << 24) | (b[o + 29]! << 16) | (b[o + 30]! << 8) | b[o + 31]!) >>> 0;
    const tpa = ((b[o + 38]! << 24) | (b[o + 39]! << 16) | (b[o + 40]! << 8) | b[o + 41]!) >>> 0;
    const t = spa - ARP_TARGET_BASE;
    const s = tpa - ARP_SENDER_BASE;
    if (t < 0 || t >= T_ARP || s < 0 || s >= S_ARP) return -1;
    return pairResidues('arp')[s * T_ARP + t]!;
  }
  if (len < 78 || get16(b, o + 12) !== ETH_P_IPV6 || b[o + 20] !== 58 || b[o + 54] !== 136) return -1;
  // Destination 2001:db8:1::/64 low word = s + 1; target 2001:db8:2::/64 low word = t + 1.
  for (let w = 0; w < 3; w++) {
    if (get32(b, o + 38 + 4 * w) !== SENDER6[w] || get32(b, o + 62 + 4 * w) !== TARGET6[w]) return -1;
  }
  const s = get32(b, o + 50) - 1;
  const t = get32(b, o + 74) - 1;
  if (t < 0 || t >= T_NS || s < 0 || s >= S_NS) return -1;
  return pairResidues('ns')[s * T_NS + t]!;
}

function get16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function get32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/**
 * Residue of one of our requests (as the capture sees it leave), or -1. ARP: a request
 * from one of our senders for one of our targets. NS: a solicitation from one of our
 * senders (IPv6 source) for one of our targets.
 */
export function requestResidue(f: Family, b: Uint8Array, o: number, len: number): number {
  if (f === 'arp') {
    if (len < 42 || get16(b, o + 12) !== ETH_P_ARP || b[o + 20] !== 0 || b[o + 21] !== 1) return -1;
    const s = get32(b, o + 28) - ARP_SENDER_BASE;
    const t = get32(b, o + 38) - ARP_TARGET_BASE;
    if (t < 0 || t >= T_ARP || s < 0 || s >= S_ARP) return -1;
    return pairResidues('arp')[s * T_ARP + t]!;
  }
  if (len < 78 || get16(b, o + 12) !== ETH_P_IPV6 || b[o + 20] !== 58 || b[o + 54] !== 135) return -1;
  for (let w = 0; w < 3; w++) {
    if (get32(b, o + 22 + 4 * w) !== SENDER6[w] || get32(b, o + 62 + 4 * w) !== TARGET6[w]) return -1;
  }
  const s = get32(b, o + 34) - 1;
  const t = get32(b, o + 74) - 1;
  if (t < 0 || t >= T_NS || s < 0 || s >= S_NS) return -1;
  return pairResidues('ns')[s * T_NS + t]!;
}

/**
 * The capture filter when request timestamps are wanted too: every ARP frame and every
 * ICMPv6 NS/NA with no extension header, i.e. the plain filter (bpf/plain); the testbed
 * has no VLANs, so its in-band tag handling never matters here.
 *   tcpdump: arp or (ip6 and ip6[6] == 58 and (ip6[40] == 135 or ip6[40] == 136))
 */
export const CAPTURE_REQUESTS_AND_REPLIES: BpfProgram = Object.freeze(plainFilter().program);
