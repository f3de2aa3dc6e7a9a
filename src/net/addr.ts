// Numeric address forms shared by every module.
//
// The hot path never allocates per frame, so addresses travel as numbers:
//   MAC   a 48-bit integer in a JS number (exact: doubles hold 53 bits)
//   IPv4  an unsigned 32-bit integer (network byte order read big-endian)
//   IPv6  a Uint32Array(4) of big-endian words, word 0 = bytes 0..3
// Text forms (RFC 4291 / RFC 5952 for IPv6) exist only at configuration, logging and
// control-socket time.

export type Mac = number;
export type Ip4 = number;
export type Ip6 = Uint32Array;

export const enum Family {
  V4 = 4,
  V6 = 6,
}

/** An address of either family, as configuration and the control socket carry it. */
export type IpAddress = { family: Family.V4; v4: Ip4 } | { family: Family.V6; v6: Ip6 };

/** A prefix: address plus length. `bits` is 0..32 for IPv4 and 0..128 for IPv6. */
export type Prefix = { family: Family.V4; v4: Ip4; bits: number } | { family: Family.V6; v6: Ip6; bits: number };

export const BROADCAST_MAC: Mac = 0xffffffffffff;
const TWO32 = 0x100000000;

// ---------------------------------------------------------------- MAC

const MAC_RE = /^([0-9a-fA-F]{1,2})[:-]([0-9a-fA-F]{1,2})[:-]([0-9a-fA-F]{1,2})[:-]([0-9a-fA-F]{1,2})[:-]([0-9a-fA-F]{1,2})[:-]([0-9a-fA-F]{1,2})$/;

/** Parses `00:0c:29:b6:43:d5` (or with `-`); returns undefined when it is not a MAC. */
export function parseMac(text: string): Mac | undefined {
  const m = MAC_RE.exec(text.trim());
  if (!m) return undefined;
  let v = 0;
  for (let i = 1; i <= 6; i++) v = v * 256 + parseInt(m[i]!, 16);
  return v;
}

export function formatMac(mac: Mac): string {
  let s = '';
  for (let i = 5; i >= 0; i--) {
    const b = Math.floor(mac / 2 ** (8 * i)) % 256;
    s += (b < 16 ? '0' : '') + b.toString(16) + (i ? ':' : '');
  }
  return s;
}

export function readMac(buf: Uint8Array, off: number): Mac {
  const lo = ((buf[off + 2]! << 24) | (buf[off + 3]! << 16) | (buf[off + 4]! << 8) | buf[off + 5]!) >>> 0;
  return (buf[off]! * 256 + buf[off + 1]!) * TWO32 + lo;
}

export function writeMac(buf: Uint8Array, off: number, mac: Mac): void {
  const hi = Math.floor(mac / TWO32);
  const lo = mac >>> 0;
  buf[off] = hi >>> 8;
  buf[off + 1] = hi & 0xff;
  buf[off + 2] = lo >>> 24;
  buf[off + 3] = (lo >>> 16) & 0xff;
  buf[off + 4] = (lo >>> 8) & 0xff;
  buf[off + 5] = lo & 0xff;
}

/** Group bit (I/G): set for multicast and broadcast MACs. */
export function isMulticastMac(mac: Mac): boolean {
  return (Math.floor(mac / 2 ** 40) & 1) === 1;
}

// ---------------------------------------------------------------- IPv4

/** Dotted quad, four decimal octets without leading zeros (no octal ambiguity); undefined otherwise. */
export function parseIp4(text: string): Ip4 | undefined {
  const t = text.trim();
  let v = 0;
  let parts = 0;
  let i = 0;
  // A character loop, not a regex and split: configuration files carry 100 000 of these.
  while (parts < 4) {
    const start = i;
    let n = 0;
    while (i < t.length && i - start < 3) {
      const c = t.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      n = n * 10 + c;
      i++;
    }
    const len = i - start;
    if (len === 0 || n > 255 || (len > 1 && t.charCodeAt(start) === 48)) return undefined;
    v = v * 256 + n;
    parts++;
    if (parts < 4) {
      if (t.charCodeAt(i) !== 46) return undefined;
      i++;
    }
  }
  return i === t.length ? v >>> 0 : undefined;
}

export function formatIp4(ip: Ip4): string {
  return `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}

export function readIp4(buf: Uint8Array, off: number): Ip4 {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

export function writeIp4(buf: Uint8Array, off: number, ip: Ip4): void {
  buf[off] = ip >>> 24;
  buf[off + 1] = (ip >>> 16) & 0xff;
  buf[off + 2] = (ip >>> 8) & 0xff;
  buf[off + 3] = ip & 0xff;
}

/** Network mask for a prefix length 0..32, as an unsigned integer. */
export function mask4(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

// ---------------------------------------------------------------- IPv6

export function newIp6(): Ip6 {
  return new Uint32Array(4);
}

const GROUP6 = /^[0-9a-fA-F]{1,4}$/;

/** Pushes the 16-bit groups of `part` (colon-separated, the last may be dotted IPv4); false when invalid. */
function groups6(part: string, out: number[], v4Allowed: boolean): boolean {
  if (part === '') return true;
  const gs = part.split(':');
  for (let i = 0; i < gs.length; i++) {
    const g = gs[i]!;
    if (v4Allowed && i === gs.length - 1 && g.includes('.')) {
      const v4 = parseIp4(g);
      if (v4 === undefined || g !== g.trim()) return false;
      out.push(v4 >>> 16, v4 & 0xffff);
      return true;
    }
    if (!GROUP6.test(g)) return false;
    out.push(parseInt(g, 16));
  }
  return true;
}

/**
 * Parses any RFC 4291 text form (including `::ffff:192.0.2.1`); undefined when invalid.
 * Hand-written (configuration files carry 100 000 addresses); test/net/addr.test.ts
 * checks it against ip-address's Address6.
 */
export function parseIp6(text: string): Ip6 | undefined {
  const t = text.trim();
  if (t.length < 2 || t.length > 45 || t.includes('/') || t.includes('%')) return undefined;
  const dc = t.indexOf('::');
  const head: number[] = [];
  const tail: number[] = [];
  if (dc < 0) {
    if (!groups6(t, head, true) || head.length !== 8) return undefined;
  } else {
    if (t.indexOf('::', dc + 1) >= 0 || t.includes(':::')) return undefined;
    if (!groups6(t.slice(0, dc), head, false) || !groups6(t.slice(dc + 2), tail, true)) return undefined;
    if (head.length + tail.length > 7) return undefined;
  }
  const g = new Array<number>(8).fill(0);
  for (let i = 0; i < head.length; i++) g[i] = head[i]!;
  for (let i = 0; i < tail.length; i++) g[8 - tail.length + i] = tail[i]!;
  const out = newIp6();
  for (let w = 0; w < 4; w++) out[w] = ((g[2 * w]! << 16) | g[2 * w + 1]!) >>> 0;
  return out;
}

/** RFC 5952 canonical text: lower case, no leading zeros, the first longest run of 2+ zero groups as `::`. */
export function formatIp6(ip: Ip6): string {
  const g: number[] = [];
  for (let w = 0; w < 4; w++) g.push(ip[w]! >>> 16, ip[w]! & 0xffff);
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number, b: number): string => g.slice(a, b).map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(0, 8);
  return `${hex(0, bestAt)}::${hex(bestAt + bestLen, 8)}`;
}

export function readIp6(buf: Uint8Array, off: number, out: Ip6): Ip6 {
  for (let w = 0; w < 4; w++) {
    const o = off + 4 * w;
    out[w] = ((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) >>> 0;
  }
  return out;
}

export function writeIp6(buf: Uint8Array, off: number, ip: Ip6): void {
  for (let w = 0; w < 4; w++) {
    const v = ip[w]!;
    const o = off + 4 * w;
    buf[o] = v >>> 24;
    buf[o + 1] = (v >>> 16) & 0xff;
    buf[o + 2] = (v >>> 8) & 0xff;
    buf[o + 3] = v & 0xff;
  }
}

export function ip6Equal(a: Ip6, b: Ip6): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

export function isUnspecified6(ip: Ip6): boolean {
  return (ip[0]! | ip[1]! | ip[2]! | ip[3]!) === 0;
}

export function isMulticast6(ip: Ip6): boolean {
  return ip[0]! >>> 24 === 0xff;
}

export function isLinkLocal6(ip: Ip6): boolean {
  return (ip[0]! >>> 22) === (0xfe80 >>> 6);
}

/** ff02::1:ffXX:XXXX for a target (RFC 4291 section 2.7.1). */
export function solicitedNode6(target: Ip6, out: Ip6): Ip6 {
  out[0] = 0xff020000;
  out[1] = 0;
  out[2] = 1;
  out[3] = (0xff000000 | (target[3]! & 0x00ffffff)) >>> 0;
  return out;
}

export function isSolicitedNode6(ip: Ip6): boolean {
  return ip[0] === 0xff020000 && ip[1] === 0 && ip[2] === 1 && ip[3]! >>> 24 === 0xff;
}

/** 33:33 + low 32 bits of the group (RFC 2464 section 7). */
export function multicastMac6(group: Ip6): Mac {
  return 0x3333 * TWO32 + (group[3]! >>> 0);
}

/** True when `ip` lies inside `prefix` (IPv6). */
export function inPrefix6(ip: Ip6, net: Ip6, bits: number): boolean {
  for (let w = 0; w < 4 && bits > 0; w++) {
    const take = bits >= 32 ? 32 : bits;
    const m = take === 32 ? 0xffffffff : (0xffffffff << (32 - take)) >>> 0;
    if (((ip[w]! & m) >>> 0) !== ((net[w]! & m) >>> 0)) return false;
    bits -= take;
  }
  return true;
}

// ---------------------------------------------------------------- either family

export function parseIp(text: string): IpAddress | undefined {
  const v4 = parseIp4(text);
  if (v4 !== undefined) return { family: Family.V4, v4 };
  const v6 = parseIp6(text);
  if (v6 !== undefined) return { family: Family.V6, v6 };
  return undefined;
}

export function formatIp(a: IpAddress): string {
  return a.family === Family.V4 ? formatIp4(a.v4) : formatIp6(a.v6);
}

/**
 * Parses `198.51.100.0/24`, `2001:db8::/32`, or a bare address (a host prefix).
 * Returns a string describing the problem when the text is not a prefix; host bits
 * set below the prefix length are an error, as in parpd and the kernel.
 */
export function parsePrefix(text: string): Prefix | string {
  const t = text.trim();
  const slash = t.indexOf('/');
  const addrText = slash < 0 ? t : t.slice(0, slash);
  const addr = parseIp(addrText);
  if (!addr) return `'${addrText}' is not an IPv4 or IPv6 address`;
  const max = addr.family === Family.V4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const lenText = t.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) {
      return `prefix length '${lenText}' is not a number from 0 to ${max}`;
    }
    bits = Number(lenText);
  }
  if (addr.family === Family.V4) {
    if (((addr.v4 & mask4(bits)) >>> 0) !== addr.v4) {
      return `${t} has host bits set (the network is ${formatIp4((addr.v4 & mask4(bits)) >>> 0)}/${bits})`;
    }
    return { family: Family.V4, v4: addr.v4, bits };
  }
  const net = newIp6();
  for (let w = 0, b = bits; w < 4; w++, b -= 32) {
    const m = b >= 32 ? 0xffffffff : b <= 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
    net[w] = (addr.v6[w]! & m) >>> 0;
  }
  if (!ip6Equal(net, addr.v6)) return `${t} has host bits set (the network is ${formatIp6(net)}/${bits})`;
  return { family: Family.V6, v6: net, bits };
}

export function formatPrefix(p: Prefix): string {
  return `${p.family === Family.V4 ? formatIp4(p.v4) : formatIp6(p.v6)}/${p.bits}`;
}

export function prefixContains(p: Prefix, a: IpAddress): boolean {
  if (p.family !== a.family) return false;
  if (p.family === Family.V4) return ((((a as { v4: Ip4 }).v4 & mask4(p.bits)) >>> 0) === p.v4);
  return inPrefix6((a as { v6: Ip6 }).v6, p.v6, p.bits);
}
