// rtnetlink messages, parsed and built. Netlink is host-endian; neighproxy runs on
// little-endian Linux (x86, arm64), so every header field is read little-endian. Addresses
// inside attributes are network order. Parsers take a view of one datagram and never read
// past a length a header gave: a short or lying length ends the walk (returns what was
// whole), it never throws.
import { Family, type Ip4, type Ip6 } from '../net/addr';
import * as C from './constants';

export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** The message body after the 16-byte header (a view, not a copy). */
  body: Uint8Array;
}

const LE = true;
const align4 = (n: number): number => (n + 3) & ~3;
const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Splits one datagram into its messages. */
export function parseMessages(dgram: Uint8Array): NlMessage[] {
  const out: NlMessage[] = [];
  const dv = view(dgram);
  let off = 0;
  while (off + C.NLMSG_HDRLEN <= dgram.length) {
    const len = dv.getUint32(off, LE);
    if (len < C.NLMSG_HDRLEN || off + len > dgram.length) break;
    out.push({
      type: dv.getUint16(off + 4, LE),
      flags: dv.getUint16(off + 6, LE),
      seq: dv.getUint32(off + 8, LE),
      pid: dv.getUint32(off + 12, LE),
      body: dgram.subarray(off + C.NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** The errno of an NLMSG_ERROR body, as a positive number; 0 is an acknowledgement. */
export function parseError(body: Uint8Array): number {
  if (body.length < 4) return 0;
  return -view(body).getInt32(0, LE) || 0;
}

/** Attributes by type (the last wins; nested flag bits masked off). */
export function parseAttrs(b: Uint8Array, start: number): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  const dv = view(b);
  let off = start;
  while (off + 4 <= b.length) {
    const len = dv.getUint16(off, LE);
    if (len < 4 || off + len > b.length) break;
    out.set(dv.getUint16(off + 2, LE) & 0x3fff, b.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

const u32 = (a: Uint8Array | undefined): number | undefined => (a && a.length >= 4 ? view(a).getUint32(0, LE) : undefined);
const str = (a: Uint8Array | undefined): string | undefined => {
  if (!a) return undefined;
  const nul = a.indexOf(0);
  return Buffer.from(a.subarray(0, nul < 0 ? a.length : nul)).toString('utf8');
};

/** A network-order address attribute: 4 bytes -> Ip4, 16 -> Ip6. */
export function readAddress(a: Uint8Array | undefined): { family: Family.V4; v4: Ip4 } | { family: Family.V6; v6: Ip6 } | undefined {
  if (!a) return undefined;
  const dv = view(a);
  if (a.length === 4) return { family: Family.V4, v4: dv.getUint32(0, false) };
  if (a.length === 16) {
    const v6 = new Uint32Array(4);
    for (let i = 0; i < 4; i++) v6[i] = dv.getUint32(i * 4, false);
    return { family: Family.V6, v6 };
  }
  return undefined;
}

export interface LinkMessage {
  index: number;
  /** ifi_type: the link type, ARPHRD_* (src/net/linktype.ts). */
  type: number;
  flags: number;
  name: string | undefined;
  master: number;
  /** IFLA_INFO_KIND (`vrf`, `veth`, ...), when the kernel gave it. */
  kind: string | undefined;
  /** IFLA_VRF_TABLE of a VRF device. */
  vrfTable: number | undefined;
}

/** struct ifinfomsg (16 bytes) and its attributes. */
export function parseLink(body: Uint8Array): LinkMessage | null {
  if (body.length < 16) return null;
  const dv = view(body);
  const at = parseAttrs(body, 16);
  const info = at.get(C.IFLA_LINKINFO);
  const li = info ? parseAttrs(info, 0) : undefined;
  const data = li?.get(C.IFLA_INFO_DATA);
  const kind = str(li?.get(C.IFLA_INFO_KIND));
  return {
    index: dv.getInt32(4, LE),
    type: dv.getUint16(2, LE),
    flags: dv.getUint32(8, LE),
    name: str(at.get(C.IFLA_IFNAME)),
    master: u32(at.get(C.IFLA_MASTER)) ?? 0,
    kind,
    vrfTable: kind === 'vrf' && data ? u32(parseAttrs(data, 0).get(C.IFLA_VRF_TABLE)) : undefined,
  };
}

export interface AddrMessage {
  family: number;
  prefixLen: number;
  scope: number;
  index: number;
  address: ReturnType<typeof readAddress>;
}

/** struct ifaddrmsg (8 bytes): IPv4 uses IFA_LOCAL (IFA_ADDRESS is the peer on point-to-point links). */
export function parseAddr(body: Uint8Array): AddrMessage | null {
  if (body.length < 8) return null;
  const dv = view(body);
  const at = parseAttrs(body, 8);
  const family = body[0]!;
  const raw = family === C.AF_INET ? at.get(C.IFA_LOCAL) ?? at.get(C.IFA_ADDRESS) : at.get(C.IFA_ADDRESS);
  return { family, prefixLen: body[1]!, scope: body[3]!, index: dv.getUint32(4, LE), address: readAddress(raw) };
}

export interface NextHop {
  ifindex: number;
  gateway: ReturnType<typeof readAddress>;
}

export interface RouteMessage {
  family: number;
  dstLen: number;
  table: number;
  type: number;
  /** rtm_protocol: who installed the route (RTPROT_*; ours is RTPROT_NEIGHPROXY). */
  protocol: number;
  flags: number;
  dst: ReturnType<typeof readAddress>;
  oif: number;
  gateway: ReturnType<typeof readAddress>;
  /** RTA_MULTIPATH next hops (ECMP), empty for a single path. */
  multipath: NextHop[];
}

/** struct rtnexthop (8 bytes) list of RTA_MULTIPATH. */
export function parseMultipath(a: Uint8Array): NextHop[] {
  const out: NextHop[] = [];
  const dv = view(a);
  let off = 0;
  while (off + 8 <= a.length) {
    const len = dv.getUint16(off, LE);
    if (len < 8 || off + len > a.length) break;
    const at = parseAttrs(a.subarray(off, off + len), 8);
    out.push({ ifindex: dv.getInt32(off + 4, LE), gateway: readAddress(at.get(C.RTA_GATEWAY)) });
    off += align4(len);
  }
  return out;
}

/** struct rtmsg (12 bytes); the table is RTA_TABLE when present (tables past 255). */
export function parseRoute(body: Uint8Array): RouteMessage | null {
  if (body.length < 12) return null;
  const dv = view(body);
  const at = parseAttrs(body, 12);
  const mp = at.get(C.RTA_MULTIPATH);
  return {
    family: body[0]!,
    dstLen: body[1]!,
    table: u32(at.get(C.RTA_TABLE)) ?? body[4]!,
    type: body[7]!,
    protocol: body[5]!,
    flags: dv.getUint32(8, LE),
    dst: readAddress(at.get(C.RTA_DST)),
    oif: u32(at.get(C.RTA_OIF)) ?? 0,
    gateway: readAddress(at.get(C.RTA_GATEWAY)),
    multipath: mp ? parseMultipath(mp) : [],
  };
}

export interface NeighMessage {
  family: number;
  index: number;
  state: number;
  dst: ReturnType<typeof readAddress>;
  lladdr: Uint8Array | undefined;
}

/** struct ndmsg (12 bytes). */
export function parseNeigh(body: Uint8Array): NeighMessage | null {
  if (body.length < 12) return null;
  const dv = view(body);
  const at = parseAttrs(body, 12);
  return { family: body[0]!, index: dv.getInt32(4, LE), state: dv.getUint16(8, LE), dst: readAddress(at.get(C.NDA_DST)), lladdr: at.get(C.NDA_LLADDR) };
}

// ------------------------------------------------------------------ building

/** One message: header, fixed body, attributes ([type, bytes]). */
export function buildMessage(type: number, flags: number, seq: number, fixed: Uint8Array, attrs: [number, Uint8Array][] = []): Uint8Array {
  let len = C.NLMSG_HDRLEN + align4(fixed.length);
  for (const [, v] of attrs) len += align4(4 + v.length);
  const out = new Uint8Array(len);
  const dv = view(out);
  dv.setUint32(0, len, LE);
  dv.setUint16(4, type, LE);
  dv.setUint16(6, flags, LE);
  dv.setUint32(8, seq, LE);
  dv.setUint32(12, 0, LE); // pid 0: the kernel fills in nothing for requests we send
  out.set(fixed, C.NLMSG_HDRLEN);
  let off = C.NLMSG_HDRLEN + align4(fixed.length);
  for (const [t, v] of attrs) {
    dv.setUint16(off, 4 + v.length, LE);
    dv.setUint16(off + 2, t, LE);
    out.set(v, off + 4);
    off += align4(4 + v.length);
  }
  return out;
}

export const u32Bytes = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  view(b).setUint32(0, n >>> 0, LE);
  return b;
};

/** The network-order bytes of an address. */
export function addressBytes(family: Family, addr: Ip4 | Ip6): Uint8Array {
  if (family === Family.V4) {
    const b = new Uint8Array(4);
    view(b).setUint32(0, addr as Ip4, false);
    return b;
  }
  const b = new Uint8Array(16);
  const dv = view(b);
  for (let i = 0; i < 4; i++) dv.setUint32(i * 4, (addr as Ip6)[i]!, false);
  return b;
}

/** A dump request (RTM_GETLINK, RTM_GETADDR, ...) for one family (AF_UNSPEC: all). */
export function buildDump(type: number, seq: number, family: number): Uint8Array {
  // Strict checking wants the header of the object dumped: ifinfomsg 16, ifaddrmsg 8, rtmsg 12.
  const size = type === C.RTM_GETLINK ? 16 : type === C.RTM_GETADDR ? 8 : 12;
  const fixed = new Uint8Array(size);
  fixed[0] = family;
  return buildMessage(type, C.NLM_F_REQUEST | C.NLM_F_DUMP, seq, fixed);
}

export interface RouteQuery {
  family: Family;
  dst: Ip4 | Ip6;
  /** RTA_OIF: a VRF device sends the lookup to its table through the l3mdev rule. */
  oif?: number;
  /** RTA_MARK: the fwmark our `table N` rule (src/netlink/tables.ts) sends to table N. */
  mark?: number;
}

/**
 * RTM_GETROUTE for one destination, as `ip route get ADDR [vrf V]` sends it: an output
 * lookup (policy rules and ECMP hashing included); IPv4 with RTM_F_LOOKUP_TABLE so the
 * answer names the table that matched.
 */
export function buildGetRoute(seq: number, q: RouteQuery): Uint8Array {
  const fixed = new Uint8Array(12);
  fixed[0] = q.family === Family.V4 ? C.AF_INET : C.AF_INET6;
  fixed[1] = q.family === Family.V4 ? 32 : 128;
  const attrs: [number, Uint8Array][] = [[C.RTA_DST, addressBytes(q.family, q.dst)]];
  // IPv4 only: strict checking refuses any IPv6 flag but RTM_F_FIB_MATCH (EINVAL), and
  // IPv6 answers name the matching table anyway.
  if (q.family === Family.V4) view(fixed).setUint32(8, C.RTM_F_LOOKUP_TABLE, LE);
  if (q.oif) attrs.push([C.RTA_OIF, u32Bytes(q.oif)]);
  if (q.mark) attrs.push([C.RTA_MARK, u32Bytes(q.mark)]);
  return buildMessage(C.RTM_GETROUTE, C.NLM_F_REQUEST, seq, fixed, attrs);
}
