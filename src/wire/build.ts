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
import { BROADCAST_MAC, isUnspecified6, multicastMac6, solicitedNode6, writeIp4, writeIp6, writeMac, type Ip4, type Ip6, type Mac } from '../net/addr';
import { fold16, ip6WordSum, macWordSum } from './checksum';
import {
  ARPOP_REPLY, ARPOP_REQUEST, ETH_P_8021AD, ETH_P_8021Q, ETH_P_ARP, ETH_P_IPV6, IPPROTO_ICMPV6,
  ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT, ND_OPT_SOURCE_LINKADDR, ND_OPT_TARGET_LINKADDR,
} from './parse';
import { NA_FLAG_OVERRIDE, NA_FLAG_ROUTER, NA_FLAG_SOLICITED, type FrameView } from './view';

export const UNTAGGED = -1;
const TWO32 = 0x100000000;

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
  writeMac(out, off, dst);
  writeMac(out, off + 6, src);
  let p = off + 12;
  if (vlan > 0xffff) {
    const outer = Math.floor(vlan / 0x10000) & 0xffff;
    out[p] = ETH_P_8021AD >>> 8;
    out[p + 1] = ETH_P_8021AD & 0xff;
    out[p + 2] = outer >>> 8;
    out[p + 3] = outer & 0xff;
    p += 4;
  }
  if (vlan >= 0) {
    const tci = vlan & 0xffff;
    out[p] = ETH_P_8021Q >>> 8;
    out[p + 1] = ETH_P_8021Q & 0xff;
    out[p + 2] = tci >>> 8;
    out[p + 3] = tci & 0xff;
    p += 4;
  }
  out[p] = type >>> 8;
  out[p + 1] = type & 0xff;
  return p + 2;
}

// ---------------------------------------------------------------- ARP

function writeArp(out: Uint8Array, p: number, op: number, sha: Mac, spa: Ip4, tha: Mac, tpa: Ip4): number {
  out[p] = 0;
  out[p + 1] = 1; // Ethernet
  out[p + 2] = 0x08;
  out[p + 3] = 0x00; // IPv4
  out[p + 4] = 6;
  out[p + 5] = 4;
  out[p + 6] = 0;
  out[p + 7] = op;
  writeMac(out, p + 8, sha);
  writeIp4(out, p + 14, spa);
  writeMac(out, p + 18, tha);
  writeIp4(out, p + 24, tpa);
  return p + 28;
}

/**
 * ARP reply to `requesterMac`/`requesterIp`: "answerIp is at answerMac".
 * `ethSrc` is the sending interface's MAC (switches learn it; it differs from answerMac
 * when redirecting to another host).
 */
export function buildArpReply(out: Uint8Array, off: number, vlan: number, ethSrc: Mac,
  requesterMac: Mac, requesterIp: Ip4, answerMac: Mac, answerIp: Ip4): number {
  const p = writeEthHeader(out, off, requesterMac, ethSrc, vlan, ETH_P_ARP);
  return writeArp(out, p, ARPOP_REPLY, answerMac, answerIp, requesterMac, requesterIp) - off;
}

/**
 * ARP request "who has targetIp, tell senderIp". `ethDst` BROADCAST_MAC resolves an unknown
 * entry; a unicast MAC refreshes a known one (as the kernel's probes do). Target MAC is zero.
 */
export function buildArpRequest(out: Uint8Array, off: number, vlan: number, ethDst: Mac,
  senderMac: Mac, senderIp: Ip4, targetIp: Ip4): number {
  const p = writeEthHeader(out, off, ethDst, senderMac, vlan, ETH_P_ARP);
  return writeArp(out, p, ARPOP_REQUEST, senderMac, senderIp, 0, targetIp) - off;
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

// ---------------------------------------------------------------- IPv6 ND

/** Writes the IPv6 header for an ND message (hop limit 255, no flow label); returns the ICMPv6 offset. */
function writeIp6Header(out: Uint8Array, p: number, payloadLength: number, src: Ip6, dst: Ip6): number {
  out[p] = 0x60;
  out[p + 1] = 0;
  out[p + 2] = 0;
  out[p + 3] = 0;
  out[p + 4] = payloadLength >>> 8;
  out[p + 5] = payloadLength & 0xff;
  out[p + 6] = IPPROTO_ICMPV6;
  out[p + 7] = 255;
  writeIp6(out, p + 8, src);
  writeIp6(out, p + 24, dst);
  return p + 40;
}

function writeChecksum(out: Uint8Array, q: number, acc: number): void {
  const c = ~fold16(acc) & 0xffff;
  out[q + 2] = c >>> 8;
  out[q + 3] = c & 0xff;
}

function writeLinkAddrOption(out: Uint8Array, o: number, type: number, mac: Mac): void {
  out[o] = type;
  out[o + 1] = 1;
  writeMac(out, o + 2, mac);
}

/**
 * Neighbor Advertisement for `target` with the target link-layer option (always).
 * `flags`: NA_FLAG_ROUTER | NA_FLAG_SOLICITED | NA_FLAG_OVERRIDE, as in FrameView.naFlags.
 */
export function buildNeighborAdvertisement(out: Uint8Array, off: number, vlan: number, srcMac: Mac, dstMac: Mac,
  srcIp: Ip6, dstIp: Ip6, target: Ip6, targetLinkAddr: Mac, flags: number): number {
  const ip = writeEthHeader(out, off, dstMac, srcMac, vlan, ETH_P_IPV6);
  const q = writeIp6Header(out, ip, 32, srcIp, dstIp);
  out[q] = ND_NEIGHBOR_ADVERT;
  out[q + 1] = 0;
  out[q + 4] = (flags & (NA_FLAG_ROUTER | NA_FLAG_SOLICITED | NA_FLAG_OVERRIDE)) << 5;
  out[q + 5] = 0;
  out[q + 6] = 0;
  out[q + 7] = 0;
  writeIp6(out, q + 8, target);
  writeLinkAddrOption(out, q + 24, ND_OPT_TARGET_LINKADDR, targetLinkAddr);
  // Checksum from the values just written (no second pass over the bytes).
  const acc = ip6WordSum(srcIp) + ip6WordSum(dstIp) + 32 + IPPROTO_ICMPV6 + (ND_NEIGHBOR_ADVERT << 8) + (out[q + 4]! << 8) +
    ip6WordSum(target) + ((ND_OPT_TARGET_LINKADDR << 8) | 1) + macWordSum(targetLinkAddr);
  writeChecksum(out, q, acc);
  return q + 32 - off;
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
 * Answer to the NS in `view` (RFC 4861 section 7.2.4): target = the solicited target,
 * target link-layer option = answerMac, Ethernet source = ourMac, IPv6 source = srcIp
 * (the interface's link-local address, or view.target, as configured). From a unicast
 * source: unicast back (to its source link-layer option, else its Ethernet source) with S=1;
 * from `::`: to ff02::1 with S=0. R and O come from `flags` (O=0 for proxied targets, section 7.2.8).
 */
export function buildNaReplyTo(out: Uint8Array, off: number, view: FrameView, answerMac: Mac, ourMac: Mac,
  srcIp: Ip6, flags: number): number {
  flags &= NA_FLAG_ROUTER | NA_FLAG_OVERRIDE;
  if (isUnspecified6(view.ip6Src)) {
    return buildNeighborAdvertisement(out, off, replyVlan(view), ourMac, ALL_NODES_MAC, srcIp, ALL_NODES,
      view.target, answerMac, flags);
  }
  const dstMac = view.sourceLinkAddr !== -1 ? view.sourceLinkAddr : view.ethSrc;
  return buildNeighborAdvertisement(out, off, replyVlan(view), ourMac, dstMac, srcIp, view.ip6Src,
    view.target, answerMac, flags | NA_FLAG_SOLICITED);
}

/**
 * Neighbor Solicitation for `target` to `dstIp`/`dstMac` with our source link-layer option
 * (`sourceLinkAddr`, or -1 to omit it, as a `::`-sourced DAD probe must).
 */
export function buildNeighborSolicitation(out: Uint8Array, off: number, vlan: number, srcMac: Mac, dstMac: Mac,
  srcIp: Ip6, dstIp: Ip6, target: Ip6, sourceLinkAddr: Mac | -1): number {
  const ip = writeEthHeader(out, off, dstMac, srcMac, vlan, ETH_P_IPV6);
  const icmpLen = sourceLinkAddr === -1 ? 24 : 32;
  const q = writeIp6Header(out, ip, icmpLen, srcIp, dstIp);
  out[q] = ND_NEIGHBOR_SOLICIT;
  out[q + 1] = 0;
  out[q + 4] = 0;
  out[q + 5] = 0;
  out[q + 6] = 0;
  out[q + 7] = 0;
  writeIp6(out, q + 8, target);
  let acc = ip6WordSum(srcIp) + ip6WordSum(dstIp) + icmpLen + IPPROTO_ICMPV6 + (ND_NEIGHBOR_SOLICIT << 8) + ip6WordSum(target);
  if (sourceLinkAddr !== -1) {
    writeLinkAddrOption(out, q + 24, ND_OPT_SOURCE_LINKADDR, sourceLinkAddr);
    acc += ((ND_OPT_SOURCE_LINKADDR << 8) | 1) + macWordSum(sourceLinkAddr);
  }
  writeChecksum(out, q, acc);
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
