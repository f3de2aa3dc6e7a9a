// One call per received frame: what it says, or why it is dropped.
//
// parseFrame fills a reused FrameView and returns its kind; it allocates nothing, never
// throws on malformed input, and never reads at or beyond `off + len` (nor past the end
// of `buf`), so a frame sitting in a larger ring slot is judged by its own bytes only.
import { VLAN_NONE } from '../engine/types';
import { isMulticast6, isSolicitedNode6, isUnspecified6 } from '../net/addr';
import { ETH_P_8021AD, ETH_P_8021Q, ETH_P_ARP, ETH_P_IP, ETH_P_IPV6, ETH_P_QINQ1 } from '../net/ethertypes';
import { fold16 } from './checksum';
import { DataViewCache } from './dataview';
import { DropReason } from './drop';
import { FrameKind, NA_FLAG_SOLICITED, type FrameView } from './view';

export const IPPROTO_ICMPV6 = 58;
export const ND_NEIGHBOR_SOLICIT = 135;
export const ND_NEIGHBOR_ADVERT = 136;
export const ND_OPT_SOURCE_LINKADDR = 1;
export const ND_OPT_TARGET_LINKADDR = 2;
export const ND_OPT_NONCE = 14;
export const ARPOP_REQUEST = 1;
export const ARPOP_REPLY = 2;

const TWO32 = 0x100000000;
/** Big-endian word reads over the buffer being parsed (one DataView per ring buffer, not per frame). */
const views = new DataViewCache();

function dropped(view: FrameView, reason: DropReason): FrameKind {
  view.drop = reason;
  return FrameKind.None;
}

/**
 * Parses and validates one Ethernet frame at buf[off, off+len).
 * `oobVlanTci` is the tag the ring stripped (Batch desc DESC_VLAN_TCI), VLAN_NONE when none
 * (as uint32 or as int32 -1: the pipeline passes `| 0`, a uint32 >= 2^31 argument is boxed);
 * it counts as the outer tag when the frame also carries one in band.
 * Returns the kind; FrameKind.None means dropped, with `view.drop` the DropReason.
 */
export function parseFrame(buf: Uint8Array, off: number, len: number, oobVlanTci: number, view: FrameView): FrameKind {
  view.kind = FrameKind.None;
  view.drop = DropReason.None;
  let end = off + len;
  if (end > buf.length) end = buf.length;
  // Written so that NaN offsets or lengths count as truncated: DataView reads past the buffer throw.
  if (!(off >= 0) || !(end - off >= 14)) return dropped(view, DropReason.Truncated);
  const dv = views.of(buf);

  view.ethDst = dv.getUint16(off) * TWO32 + dv.getUint32(off + 2);
  view.ethSrc = dv.getUint16(off + 6) * TWO32 + dv.getUint32(off + 8);
  let p = off + 12;
  let type = dv.getUint16(p);
  let tags = 0;
  let vid = -1;
  let pcp = 0;
  let outerVid = -1;
  let outerPcp = 0;
  if ((oobVlanTci | 0) !== (VLAN_NONE | 0)) {
    vid = oobVlanTci & 0xfff;
    pcp = (oobVlanTci >>> 13) & 7;
    tags = 1;
  }
  while (type === ETH_P_8021Q || type === ETH_P_8021AD || type === ETH_P_QINQ1) {
    if (tags === 2) return dropped(view, DropReason.VlanDepth);
    if (p + 6 > end) return dropped(view, DropReason.Truncated);
    const tci = dv.getUint16(p + 2);
    outerVid = vid;
    outerPcp = pcp;
    vid = tci & 0xfff;
    pcp = tci >>> 13;
    tags++;
    p += 4;
    type = dv.getUint16(p);
  }
  view.vlan = vid;
  view.vlanPcp = pcp;
  view.outerVlan = tags === 2 ? outerVid : -1;
  view.outerVlanPcp = tags === 2 ? outerPcp : 0;
  p += 2;
  view.l3Offset = p;
  if (type === ETH_P_ARP) return parseArp(dv, p, end, view);
  if (type === ETH_P_IPV6) return parseIp6(buf, dv, p, end, view);
  return dropped(view, DropReason.EthType);
}

function parseArp(dv: DataView, p: number, end: number, view: FrameView): FrameKind {
  if (p + 28 > end) return dropped(view, DropReason.Truncated);
  if (dv.getUint16(p) !== 1) return dropped(view, DropReason.ArpBadHtype);
  if (dv.getUint16(p + 2) !== ETH_P_IP) return dropped(view, DropReason.ArpBadPtype);
  if (dv.getUint8(p + 4) !== 6) return dropped(view, DropReason.ArpBadHlen);
  if (dv.getUint8(p + 5) !== 4) return dropped(view, DropReason.ArpBadPlen);
  const op = dv.getUint16(p + 6);
  if (op !== ARPOP_REQUEST && op !== ARPOP_REPLY) return dropped(view, DropReason.ArpBadOp);
  const shaHi = dv.getUint16(p + 8);
  // Group bit of the first octet: broadcast and multicast senders are never learnt or answered.
  if ((shaHi & 0x100) !== 0) return dropped(view, DropReason.ArpSenderMac);
  view.arpOp = op;
  view.senderMac = shaHi * TWO32 + dv.getUint32(p + 10);
  view.senderIp = dv.getUint32(p + 14);
  view.targetMac = dv.getUint16(p + 18) * TWO32 + dv.getUint32(p + 20);
  view.targetIp = dv.getUint32(p + 24);
  view.kind = op === ARPOP_REQUEST ? FrameKind.ArpRequest : FrameKind.ArpReply;
  return view.kind;
}

/** Extension headers (RFC 8200 section 4, IANA "IPv6 Extension Header Types"). */
function isExtHeader(nh: number): boolean {
  return nh === 0 || nh === 43 || nh === 44 || nh === 60 || nh === 51 || nh === 50 ||
    nh === 135 || nh === 139 || nh === 140 || nh === 253 || nh === 254;
}

function parseIp6(buf: Uint8Array, dv: DataView, p: number, end: number, view: FrameView): FrameKind {
  if (p + 40 > end) return dropped(view, DropReason.Truncated);
  if (dv.getUint8(p) >>> 4 !== 6) return dropped(view, DropReason.Ip6Version);
  const plen = dv.getUint16(p + 4);
  const pend = p + 40 + plen;
  // Trailing bytes past the payload (Ethernet padding) are allowed and ignored.
  if (pend > end) return dropped(view, DropReason.Truncated);
  const src0 = dv.getUint32(p + 8);
  if (src0 >>> 24 === 0xff) return dropped(view, DropReason.Ip6SrcMulticast);
  const nh = dv.getUint8(p + 6);
  if (nh !== IPPROTO_ICMPV6) {
    if (isExtHeader(nh)) return extHeaderDrop(buf, p + 40, pend, nh, view);
    return dropped(view, DropReason.Ip6NextHeader);
  }
  const q = p + 40;
  if (plen < 1) return dropped(view, DropReason.Truncated);
  const type = dv.getUint8(q);
  const hopLimit = dv.getUint8(p + 7);
  // Addresses go straight into the view's words; the checksum sums those words, not the bytes again.
  const src = view.ip6Src;
  const dst = view.ip6Dst;
  const s1 = dv.getUint32(p + 12), s2 = dv.getUint32(p + 16), s3 = dv.getUint32(p + 20);
  const d0 = dv.getUint32(p + 24), d1 = dv.getUint32(p + 28), d2 = dv.getUint32(p + 32), d3 = dv.getUint32(p + 36);
  src[0] = src0;
  src[1] = s1;
  src[2] = s2;
  src[3] = s3;
  dst[0] = d0;
  dst[1] = d1;
  dst[2] = d2;
  dst[3] = d3;
  // Pseudo-header addresses as sums of 16-bit halves, for the checksum (see ndChecksumOk).
  const addrSum = halves(src0) + halves(s1) + halves(s2) + halves(s3) + halves(d0) + halves(d1) + halves(d2) + halves(d3);
  view.hopLimit = hopLimit;
  view.icmpOffset = q;
  view.icmpLength = plen;
  view.sourceLinkAddr = -1;
  view.targetLinkAddr = -1;
  view.nonceOffset = -1;
  if (type === ND_NEIGHBOR_SOLICIT) {
    if (hopLimit !== 255) return dropped(view, DropReason.NsHopLimit);
    if (plen < 24) return dropped(view, DropReason.NsLength);
    if (dv.getUint8(q + 1) !== 0) return dropped(view, DropReason.NsCode);
    const t0 = dv.getUint32(q + 8);
    if (t0 >>> 24 === 0xff) return dropped(view, DropReason.NsTargetMulticast);
    const targetSum = readTarget(dv, q, t0 | 0, view); // int32: a uint32 argument >= 2^31 is boxed
    const r = parseOptions(dv, q + 24, pend, view, DropReason.NsOptionLength, DropReason.NsLladdrLength);
    if (r !== DropReason.None) return dropped(view, r);
    if (isUnspecified6(src)) {
      if (!isSolicitedNode6(dst)) return dropped(view, DropReason.NsUnspecDst);
      if (view.sourceLinkAddr !== -1) return dropped(view, DropReason.NsUnspecSllao);
    }
    if (!ndChecksumOk(dv, q, pend, addrSum + targetSum)) return dropped(view, DropReason.NsChecksum);
    view.naFlags = 0;
    view.kind = FrameKind.NeighborSolicitation;
    return view.kind;
  }
  if (type === ND_NEIGHBOR_ADVERT) {
    if (hopLimit !== 255) return dropped(view, DropReason.NaHopLimit);
    if (plen < 24) return dropped(view, DropReason.NaLength);
    if (dv.getUint8(q + 1) !== 0) return dropped(view, DropReason.NaCode);
    const t0 = dv.getUint32(q + 8);
    if (t0 >>> 24 === 0xff) return dropped(view, DropReason.NaTargetMulticast);
    const flags = dv.getUint8(q + 4) >>> 5;
    if ((flags & NA_FLAG_SOLICITED) !== 0 && isMulticast6(dst)) {
      return dropped(view, DropReason.NaSolicitedMulticast);
    }
    const targetSum = readTarget(dv, q, t0 | 0, view); // int32: a uint32 argument >= 2^31 is boxed
    const r = parseOptions(dv, q + 24, pend, view, DropReason.NaOptionLength, DropReason.NaLladdrLength);
    if (r !== DropReason.None) return dropped(view, r);
    if (!ndChecksumOk(dv, q, pend, addrSum + targetSum)) return dropped(view, DropReason.NaChecksum);
    view.naFlags = flags;
    view.kind = FrameKind.NeighborAdvertisement;
    return view.kind;
  }
  return dropped(view, DropReason.Icmp6Type);
}

/**
 * A word's two 16-bit halves added: below 2^17. Checksum sums handed between functions are
 * built from these (below 2^31): a sum of whole words can pass 2^31 and would be boxed as
 * a heap number when the call or return is not inlined.
 */
function halves(w: number): number {
  return (w >>> 16) + (w & 0xffff);
}

/** The NS/NA target (ICMPv6 bytes 8..24, first word already read, as int32 or uint32) into the view; returns the sum of its halves. */
function readTarget(dv: DataView, q: number, t0: number, view: FrameView): number {
  const t = view.target;
  const t1 = dv.getUint32(q + 12), t2 = dv.getUint32(q + 16), t3 = dv.getUint32(q + 20);
  t[0] = t0;
  t[1] = t1;
  t[2] = t2;
  t[3] = t3;
  return halves(t0) + halves(t1) + halves(t2) + halves(t3);
}

/**
 * Walks ND options in buf[o, pend). Unknown options are skipped (RFC 4861 section 4.6);
 * the first of each link-layer option counts, as in the kernel. Returns a drop reason or None.
 */
function parseOptions(dv: DataView, o: number, pend: number, view: FrameView,
  badLength: DropReason, badLladdr: DropReason): DropReason {
  while (o < pend) {
    if (o + 2 > pend) return badLength;
    const units = dv.getUint8(o + 1);
    if (units === 0) return badLength;
    const next = o + units * 8;
    if (next > pend) return badLength;
    const t = dv.getUint8(o);
    if (t === ND_OPT_SOURCE_LINKADDR) {
      // Checked only where it counts: the option this message type defines must be 8 bytes.
      if (badLladdr === DropReason.NsLladdrLength && units !== 1) return badLladdr;
      if (view.sourceLinkAddr === -1 && units === 1) view.sourceLinkAddr = dv.getUint16(o + 2) * TWO32 + dv.getUint32(o + 4);
    } else if (t === ND_OPT_TARGET_LINKADDR) {
      if (badLladdr === DropReason.NaLladdrLength && units !== 1) return badLladdr;
      if (view.targetLinkAddr === -1 && units === 1) view.targetLinkAddr = dv.getUint16(o + 2) * TWO32 + dv.getUint32(o + 4);
    } else if (t === ND_OPT_NONCE) {
      if (view.nonceOffset === -1 && units === 1) view.nonceOffset = o + 2;
    }
    o = next;
  }
  return DropReason.None;
}

/** Names the drop for a packet with extension headers: NS/NA behind them get their own reasons. */
function extHeaderDrop(buf: Uint8Array, q: number, pend: number, nh: number, view: FrameView): FrameKind {
  let fragment = false;
  for (let i = 0; i < 8 && isExtHeader(nh); i++) {
    if (nh === 50 || q + 8 > pend) return dropped(view, DropReason.Ip6ExtHeader); // ESP hides the rest
    const next = buf[q]!;
    if (nh === 44) {
      fragment = true;
      // Only the first fragment shows the upper-layer header.
      if ((((buf[q + 2]! << 8) | buf[q + 3]!) & 0xfff8) !== 0) return dropped(view, DropReason.Ip6ExtHeader);
      q += 8;
    } else if (nh === 51) {
      q += (buf[q + 1]! + 2) * 4;
    } else {
      q += (buf[q + 1]! + 1) * 8;
    }
    nh = next;
  }
  if (nh === IPPROTO_ICMPV6 && q < pend) {
    const t = buf[q];
    if (t === ND_NEIGHBOR_SOLICIT) return dropped(view, fragment ? DropReason.NsFragment : DropReason.NsExtHeader);
    if (t === ND_NEIGHBOR_ADVERT) return dropped(view, fragment ? DropReason.NaFragment : DropReason.NaExtHeader);
  }
  return dropped(view, DropReason.Ip6ExtHeader);
}

/**
 * ICMPv6 checksum of an NS/NA whose addresses and target were read as words (`wordSum`: the
 * sum of those 12 words' 16-bit halves, so no byte is read twice), folded once. Only the
 * ICMPv6 header's first 8 bytes and the options are read here, four bytes at a time:
 * options are whole multiples of 8 bytes once parseOptions accepted them, so buf[q+24, pend)
 * splits into 32-bit words exactly and no read passes pend.
 */
function ndChecksumOk(dv: DataView, q: number, pend: number, wordSum: number): boolean {
  // Halves, not whole words: the sum stays a small integer (below 2^31 for any frame), so
  // handing it to fold16 boxes nothing when fold16 is not inlined.
  let acc = wordSum + (pend - q) + IPPROTO_ICMPV6 + halves(dv.getUint32(q)) + halves(dv.getUint32(q + 4));
  for (let o = q + 24; o < pend; o += 4) acc += halves(dv.getUint32(o));
  return fold16(acc) === 0xffff;
}
