// Replies and probes, written into a TX slot: out[off ...], returning the frame length.
//
// Builders take numbers and Ip6 arrays, allocate nothing, and write every byte of the
// frame (no stale slot contents survive). Frames are not padded to 60 bytes: the kernel
// sends its own ARP that way and drivers pad short frames, so our bytes equal the kernel's.
//
// `vlan` (every builder): -1 untagged; 0..0xffff one 802.1Q tag whose TCI is that value
// (a plain VLAN id 0..4095 gives PCP 0; use vlanTci(vid, pcp) to carry a priority);
// qinqTag(outerTci, innerTci) for an 802.1ad outer tag (TPID 0x88a8) over an 802.1Q one.
// The *To conveniences carry the request's tags and PCP (replyVlan(view)).
import { BROADCAST_MAC, isUnspecified6, multicastMac6, solicitedNode6, type Ip4, type Ip6, type Mac } from '../net/addr';
import { fold16, macWordSum } from './checksum';
import { DataViewCache } from './dataview';
import { ETH_P_8021AD, ETH_P_8021Q, ETH_P_ARP, ETH_P_IPV6 } from '../net/ethertypes';
import {
  ARPOP_REPLY, ARPOP_REQUEST, IPPROTO_ICMPV6,
  ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT, ND_OPT_SOURCE_LINKADDR, ND_OPT_TARGET_LINKADDR,
} from './parse';
import { NA_FLAG_OVERRIDE, NA_FLAG_ROUTER, NA_FLAG_SOLICITED, type FrameView } from './view';

export const UNTAGGED = -1;
const TWO32 = 0x100000000;
/** 2^-32: multiplying by it is exact and avoids a division (tens of cycles) per MAC. */
const INV_TWO32 = 1 / TWO32;
/** Big-endian word writes into TX slots (one DataView per ring buffer, not per frame). */
const views = new DataViewCache();

function putMac(dv: DataView, o: number, mac: Mac): void {
  dv.setUint16(o, Math.floor(mac * INV_TWO32));
  dv.setUint32(o + 2, mac >>> 0);
}

/**
 * putMac with the MAC read from `cells[i]`. The builders of replies take their MACs this way:
 * a MAC (a double above 2^31) passed as an argument to a function V8 does not inline is
 * boxed, 16 bytes of garbage per MAC per reply, and whether a helper is inlined depends on
 * the inlining budget left in the caller; read from a Float64Array it never is.
 */
function putMacAt(dv: DataView, o: number, cells: Float64Array, i: number): void {
  const mac = cells[i]!;
  dv.setUint16(o, Math.floor(mac * INV_TWO32));
  dv.setUint32(o + 2, mac >>> 0);
}

/** The sum of the three 16-bit words of the MAC in `cells[i]` (checksum; below 2^18). */
function macSumAt(cells: Float64Array, i: number): number {
  const mac = cells[i]!;
  const lo = mac >>> 0;
  return Math.floor(mac * INV_TWO32) + (lo >>> 16) + (lo & 0xffff);
}

function putIp6(dv: DataView, o: number, ip: Ip6): void {
  dv.setUint32(o, ip[0]!);
  dv.setUint32(o + 4, ip[1]!);
  dv.setUint32(o + 8, ip[2]!);
  dv.setUint32(o + 12, ip[3]!);
}

/**
 * Sum of an address's 16-bit halves for the checksum. Below 2^20, so a small integer: a
 * sum of the 32-bit words (2^16 = 1 in one's-complement arithmetic, the same checksum)
 * exceeds 2^31 and would be returned as a heap-allocated number when not inlined.
 */
function ip6Sum(ip: Ip6): number {
  const a = ip[0]!;
  const b = ip[1]!;
  const c = ip[2]!;
  const d = ip[3]!;
  return (a >>> 16) + (a & 0xffff) + (b >>> 16) + (b & 0xffff) + (c >>> 16) + (c & 0xffff) + (d >>> 16) + (d & 0xffff);
}

/**
 * MAC arguments of the per-request reply builders (the *Cells functions), by index. A Mac
 * is a double above 2^31: passed as an argument to a function V8 does not inline it is
 * boxed, 16 bytes of garbage per MAC per reply; read from a Float64Array it is not.
 */
export const MAC_ANSWER = 0;
export const MAC_OURS = 1;
export const MAC_DST = 2;
export const MAC_CELLS = 3;
/** A cell of `scratch` that always holds 0 (the zero target MAC of ARP requests). */
const MAC_ZERO = MAC_CELLS;
/**
 * The builders' own MAC cells: the plain builders (not per request) write their MAC
 * arguments here and run the cell-reading implementation; the view-based ones copy the
 * view's MACs here. Builders never call each other while it is in use.
 */
const scratch = new Float64Array(MAC_CELLS + 1);

/** A single 802.1Q tag value for `vlan` parameters: VLAN id with a priority (DEI 0). */
export function vlanTci(vid: number, pcp = 0): number {
  return ((pcp & 7) << 13) | (vid & 0xfff);
}

/** A QinQ value for `vlan` parameters: outer 802.1ad TCI over inner 802.1Q TCI. */
export function qinqTag(outerTci: number, innerTci: number): number {
  return TWO32 + (outerTci & 0xffff) * 0x10000 + (innerTci & 0xffff);
}

/** The `vlan` value that sends a reply back on the request's VLAN(s), priorities kept. */
export function replyVlan(view: FrameView): number {
  if (view.vlan < 0) return UNTAGGED;
  const inner = vlanTci(view.vlan, view.vlanPcp);
  return view.outerVlan < 0 ? inner : qinqTag(vlanTci(view.outerVlan, view.outerVlanPcp), inner);
}

/** Bytes the Ethernet header takes for a `vlan` value: 14, 18 or 22. */
export function ethHeaderLength(vlan: number): number {
  return vlan < 0 ? 14 : vlan > 0xffff ? 22 : 18;
}

/** Writes the Ethernet header (with tags) and returns the offset just after it. */
export function writeEthHeader(out: Uint8Array, off: number, dst: Mac, src: Mac, vlan: number, type: number): number {
  return putEthHeader(views.of(out), off, dst, src, vlan, type);
}

function putEthHeader(dv: DataView, off: number, dst: Mac, src: Mac, vlan: number, type: number): number {
  putMac(dv, off, dst);
  putMac(dv, off + 6, src);
  return putTags(dv, off + 12, vlan, type);
}

/** putEthHeader with the destination MAC in cells[dst] and the source in cells[src]. */
function putEthHeaderAt(dv: DataView, off: number, cells: Float64Array, dst: number, src: number, vlan: number, type: number): number {
  putMacAt(dv, off, cells, dst);
  putMacAt(dv, off + 6, cells, src);
  return putTags(dv, off + 12, vlan, type);
}

/** VLAN tags (none, 802.1Q, or 802.1ad over 802.1Q) and the EtherType at `p`; returns the offset after them. */
function putTags(dv: DataView, p: number, vlan: number, type: number): number {
  if (vlan > 0xffff) {
    dv.setUint32(p, (ETH_P_8021AD * 0x10000 + (Math.floor(vlan / 0x10000) & 0xffff)) >>> 0);
    p += 4;
  }
  if (vlan >= 0) {
    dv.setUint32(p, (ETH_P_8021Q * 0x10000 + (vlan & 0xffff)) >>> 0);
    p += 4;
  }
  dv.setUint16(p, type);
  return p + 2;
}

// ---------------------------------------------------------------- ARP

/**
 * The ARP body with the hardware addresses in cells[sha] and cells[tha]. The protocol
 * addresses may be int32 (`| 0`, same bits): a uint32 >= 2^31 argument would be boxed.
 */
function writeArp(dv: DataView, p: number, op: number, cells: Float64Array, sha: number, spa: Ip4, tha: number, tpa: Ip4): number {
  dv.setUint32(p, 0x00010800); // Ethernet, IPv4
  dv.setUint32(p + 4, 0x06040000 | op); // hlen 6, plen 4, opcode
  putMacAt(dv, p + 8, cells, sha);
  dv.setInt32(p + 14, spa | 0);
  putMacAt(dv, p + 18, cells, tha);
  dv.setInt32(p + 24, tpa | 0);
  return p + 28;
}

/** ARP reply with ethSrc in cells[MAC_OURS], requester in cells[MAC_DST], answer in cells[MAC_ANSWER]. */
function arpReplyAt(out: Uint8Array, off: number, vlan: number, cells: Float64Array, requesterIp: Ip4, answerIp: Ip4): number {
  const dv = views.of(out);
  const p = putEthHeaderAt(dv, off, cells, MAC_DST, MAC_OURS, vlan, ETH_P_ARP);
  return writeArp(dv, p, ARPOP_REPLY, cells, MAC_ANSWER, answerIp, MAC_DST, requesterIp) - off;
}

/**
 * ARP reply to `requesterMac`/`requesterIp`: "answerIp is at answerMac".
 * `ethSrc` is the sending interface's MAC (switches learn it; it differs from answerMac
 * when redirecting to another host).
 */
export function buildArpReply(out: Uint8Array, off: number, vlan: number, ethSrc: Mac,
  requesterMac: Mac, requesterIp: Ip4, answerMac: Mac, answerIp: Ip4): number {
  const c = scratch;
  c[MAC_OURS] = ethSrc;
  c[MAC_DST] = requesterMac;
  c[MAC_ANSWER] = answerMac;
  return arpReplyAt(out, off, vlan, c, requesterIp, answerIp);
}

/**
 * ARP request "who has targetIp, tell senderIp". `ethDst` BROADCAST_MAC resolves an unknown
 * entry; a unicast MAC refreshes a known one (as the kernel's probes do). Target MAC is zero.
 */
export function buildArpRequest(out: Uint8Array, off: number, vlan: number, ethDst: Mac,
  senderMac: Mac, senderIp: Ip4, targetIp: Ip4): number {
  const dv = views.of(out);
  const c = scratch;
  c[MAC_DST] = ethDst;
  c[MAC_OURS] = senderMac;
  c[MAC_ZERO] = 0;
  const p = putEthHeaderAt(dv, off, c, MAC_DST, MAC_OURS, vlan, ETH_P_ARP);
  return writeArp(dv, p, ARPOP_REQUEST, c, MAC_OURS, senderIp, MAC_ZERO, targetIp) - off;
}

/** Gratuitous ARP announcement (RFC 5227 section 2.3): broadcast request, sender IP = target IP. */
export function buildGratuitousArp(out: Uint8Array, off: number, vlan: number, senderMac: Mac, ip: Ip4): number {
  return buildArpRequest(out, off, vlan, BROADCAST_MAC, senderMac, ip, ip);
}

/**
 * Reply to the ARP request in `view`: answerIp = the requested address, sent to the
 * requester's sender MAC and IP on the request's VLAN(s).
 */
export function buildArpReplyTo(out: Uint8Array, off: number, view: FrameView, answerMac: Mac, ourMac: Mac): number {
  return buildArpReply(out, off, replyVlan(view), ourMac, view.senderMac, view.senderIp, answerMac, view.targetIp);
}

/**
 * buildArpReplyTo with answerMac = macs[MAC_ANSWER] and ourMac = macs[MAC_OURS]: allocates
 * nothing (no MAC or address crosses a call as a number that V8 would box).
 */
export function buildArpReplyCells(out: Uint8Array, off: number, view: FrameView, macs: Float64Array): number {
  const c = scratch;
  c[MAC_OURS] = macs[MAC_OURS]!;
  c[MAC_ANSWER] = macs[MAC_ANSWER]!;
  c[MAC_DST] = view.senderMac;
  return arpReplyAt(out, off, replyVlan(view), c, view.senderIp | 0, view.targetIp | 0);
}

// ---------------------------------------------------------------- IPv6 ND

/** Writes the IPv6 header for an ND message (hop limit 255, no flow label); returns the ICMPv6 offset. */
function writeIp6Header(dv: DataView, p: number, payloadLength: number, src: Ip6, dst: Ip6): number {
  dv.setUint32(p, 0x60000000);
  dv.setUint32(p + 4, (payloadLength << 16) | (IPPROTO_ICMPV6 << 8) | 255);
  putIp6(dv, p + 8, src);
  putIp6(dv, p + 24, dst);
  return p + 40;
}

/**
 * Neighbor Advertisement for `target` with the target link-layer option (always).
 * `flags`: NA_FLAG_ROUTER | NA_FLAG_SOLICITED | NA_FLAG_OVERRIDE, as in FrameView.naFlags.
 */
export function buildNeighborAdvertisement(out: Uint8Array, off: number, vlan: number, srcMac: Mac, dstMac: Mac,
  srcIp: Ip6, dstIp: Ip6, target: Ip6, targetLinkAddr: Mac, flags: number): number {
  const c = scratch;
  c[MAC_OURS] = srcMac;
  c[MAC_DST] = dstMac;
  c[MAC_ANSWER] = targetLinkAddr;
  return buildNeighborAdvertisementCells(out, off, vlan, c, srcIp, dstIp, target, flags);
}

const ALL_NODES: Ip6 = new Uint32Array([0xff020000, 0, 0, 1]);
const ALL_NODES_MAC: Mac = multicastMac6(ALL_NODES);

/** Unsolicited NA (RFC 4861 section 7.2.6) to ff02::1: S is forced to 0. */
export function buildUnsolicitedNa(out: Uint8Array, off: number, vlan: number, srcMac: Mac, srcIp: Ip6,
  target: Ip6, targetLinkAddr: Mac, flags: number): number {
  return buildNeighborAdvertisement(out, off, vlan, srcMac, ALL_NODES_MAC, srcIp, ALL_NODES, target,
    targetLinkAddr, flags & ~NA_FLAG_SOLICITED);
}

/**
 * buildNeighborAdvertisement with srcMac = macs[MAC_OURS], dstMac = macs[MAC_DST] and
 * targetLinkAddr = macs[MAC_ANSWER]: allocates nothing.
 */
export function buildNeighborAdvertisementCells(out: Uint8Array, off: number, vlan: number, macs: Float64Array,
  srcIp: Ip6, dstIp: Ip6, target: Ip6, flags: number): number {
  const dv = views.of(out);
  const ip = putEthHeaderAt(dv, off, macs, MAC_DST, MAC_OURS, vlan, ETH_P_IPV6);
  const q = writeIp6Header(dv, ip, 32, srcIp, dstIp);
  const f3 = flags & (NA_FLAG_ROUTER | NA_FLAG_SOLICITED | NA_FLAG_OVERRIDE);
  putIp6(dv, q + 8, target);
  dv.setUint16(q + 24, (ND_OPT_TARGET_LINKADDR << 8) | 1);
  putMacAt(dv, q + 26, macs, MAC_ANSWER);
  // Checksum from the values just written (no second pass over the bytes), as sums of 16-bit
  // words: the flags word's high half is f3 << 13, its low half 0. The total stays below
  // 2^21, a small integer wherever it goes.
  const acc = ip6Sum(srcIp) + ip6Sum(dstIp) + 32 + IPPROTO_ICMPV6 + (ND_NEIGHBOR_ADVERT << 8) + (f3 << 13) +
    ip6Sum(target) + ((ND_OPT_TARGET_LINKADDR << 8) | 1) + macSumAt(macs, MAC_ANSWER);
  dv.setUint32(q, ((ND_NEIGHBOR_ADVERT << 24) | (~fold16(acc) & 0xffff)) >>> 0);
  dv.setUint32(q + 4, (f3 << 29) >>> 0);
  return q + 32 - off;
}

/** buildNaReplyTo with answerMac = macs[MAC_ANSWER] and ourMac = macs[MAC_OURS]: allocates nothing. */
export function buildNaReplyCells(out: Uint8Array, off: number, view: FrameView, macs: Float64Array,
  srcIp: Ip6, flags: number): number {
  const c = scratch;
  c[MAC_OURS] = macs[MAC_OURS]!;
  c[MAC_ANSWER] = macs[MAC_ANSWER]!;
  flags &= NA_FLAG_ROUTER | NA_FLAG_OVERRIDE;
  if (isUnspecified6(view.ip6Src)) {
    c[MAC_DST] = ALL_NODES_MAC;
    return buildNeighborAdvertisementCells(out, off, replyVlan(view), c, srcIp, ALL_NODES, view.target, flags);
  }
  c[MAC_DST] = view.sourceLinkAddr !== -1 ? view.sourceLinkAddr : view.ethSrc;
  return buildNeighborAdvertisementCells(out, off, replyVlan(view), c, srcIp, view.ip6Src, view.target, flags | NA_FLAG_SOLICITED);
}

/**
 * Answer to the NS in `view` (RFC 4861 section 7.2.4): target = the solicited target,
 * target link-layer option = answerMac, Ethernet source = ourMac, IPv6 source = srcIp
 * (the interface's link-local address, or view.target, as configured). From a unicast
 * source: unicast back (to its source link-layer option, else its Ethernet source) with S=1;
 * from `::`: to ff02::1 with S=0. R and O come from `flags` (O=0 for proxied targets, section 7.2.8).
 */
export function buildNaReplyTo(out: Uint8Array, off: number, view: FrameView, answerMac: Mac, ourMac: Mac,
  srcIp: Ip6, flags: number): number {
  const c = scratch;
  c[MAC_ANSWER] = answerMac;
  c[MAC_OURS] = ourMac;
  return buildNaReplyCells(out, off, view, c, srcIp, flags);
}

/**
 * Neighbor Solicitation for `target` to `dstIp`/`dstMac` with our source link-layer option
 * (`sourceLinkAddr`, or -1 to omit it, as a `::`-sourced DAD probe must).
 */
export function buildNeighborSolicitation(out: Uint8Array, off: number, vlan: number, srcMac: Mac, dstMac: Mac,
  srcIp: Ip6, dstIp: Ip6, target: Ip6, sourceLinkAddr: Mac | -1): number {
  const dv = views.of(out);
  const ip = putEthHeader(dv, off, dstMac, srcMac, vlan, ETH_P_IPV6);
  const icmpLen = sourceLinkAddr === -1 ? 24 : 32;
  const q = writeIp6Header(dv, ip, icmpLen, srcIp, dstIp);
  dv.setUint32(q + 4, 0);
  putIp6(dv, q + 8, target);
  let acc = ip6Sum(srcIp) + ip6Sum(dstIp) + icmpLen + IPPROTO_ICMPV6 + (ND_NEIGHBOR_SOLICIT << 8) + ip6Sum(target);
  if (sourceLinkAddr !== -1) {
    dv.setUint16(q + 24, (ND_OPT_SOURCE_LINKADDR << 8) | 1);
    putMac(dv, q + 26, sourceLinkAddr);
    acc += ((ND_OPT_SOURCE_LINKADDR << 8) | 1) + macWordSum(sourceLinkAddr);
  }
  dv.setUint32(q, ((ND_NEIGHBOR_SOLICIT << 24) | (~fold16(acc) & 0xffff)) >>> 0);
  return q + icmpLen - off;
}

const scratchGroup: Ip6 = new Uint32Array(4);

/** NS to resolve `target`: to its solicited-node group (RFC 4861 section 7.2.2), with our link-layer option. */
export function buildNsResolve(out: Uint8Array, off: number, vlan: number, srcMac: Mac, srcIp: Ip6, target: Ip6): number {
  const group = solicitedNode6(target, scratchGroup);
  return buildNeighborSolicitation(out, off, vlan, srcMac, multicastMac6(group), srcIp, group, target, srcMac);
}

/** NS to refresh a known entry: unicast to `target` at `targetMac`, with our link-layer option. */
export function buildNsRefresh(out: Uint8Array, off: number, vlan: number, srcMac: Mac, srcIp: Ip6,
  target: Ip6, targetMac: Mac): number {
  return buildNeighborSolicitation(out, off, vlan, srcMac, targetMac, srcIp, target, target, srcMac);
}
