// Internet checksum (RFC 1071) for ICMPv6 over the IPv6 pseudo-header (RFC 8200 section 8.1).
//
// Sums 16-bit big-endian words into a plain number (no overflow below 2^53, so no carry
// handling inside the loop) and folds once at the end. Reads only the bytes it is told to.

/** Adds the big-endian 16-bit words of buf[start, end) to `acc`; an odd last byte is padded with zero. */
export function sum16(buf: Uint8Array, start: number, end: number, acc: number): number {
  let i = start;
  const even = end - ((end - start) & 1);
  for (; i + 8 <= even; i += 8) {
    acc += ((buf[i]! << 8) | buf[i + 1]!) + ((buf[i + 2]! << 8) | buf[i + 3]!) +
      ((buf[i + 4]! << 8) | buf[i + 5]!) + ((buf[i + 6]! << 8) | buf[i + 7]!);
  }
  for (; i < even; i += 2) acc += (buf[i]! << 8) | buf[i + 1]!;
  if (even < end) acc += buf[even]! << 8;
  return acc;
}

/**
 * Folds a one's-complement sum into 16 bits with end-around carry. `acc` may hold 16-bit or
 * whole 32-bit big-endian words added together (2^16 = 1 modulo 0xffff), any integer below 2^53.
 */
export function fold16(acc: number): number {
  // The splits above 32 bits are done in doubles (multiplying by 2^-16, floor and multiply back,
  // all exact), not with `%`, which V8 compiles to a call into C: below 2^53 the first leaves
  // < 2^37 + 2^16, the second < 2^22, and two integer folds finish.
  let hi = Math.floor(acc * (1 / 0x10000));
  acc = (acc - hi * 0x10000) + hi;
  hi = Math.floor(acc * (1 / 0x10000));
  acc = (acc - hi * 0x10000) + hi;
  acc = (acc & 0xffff) + (acc >>> 16);
  return (acc & 0xffff) + (acc >>> 16);
}

/**
 * One's-complement sum of the ICMPv6 pseudo-header and message, folded (not inverted).
 * `ip6Off` is the IPv6 header (addresses at +8..+40), the message is buf[icmpOff, icmpOff+icmpLen).
 * A message whose checksum field is right sums to 0xffff.
 */
export function icmp6Sum(buf: Uint8Array, ip6Off: number, icmpOff: number, icmpLen: number): number {
  let acc = sum16(buf, ip6Off + 8, ip6Off + 40, 0);
  acc += (icmpLen >>> 16) + (icmpLen & 0xffff) + 58;
  return fold16(sum16(buf, icmpOff, icmpOff + icmpLen, acc));
}

/** True when the ICMPv6 checksum of the message verifies. */
export function icmp6ChecksumOk(buf: Uint8Array, ip6Off: number, icmpOff: number, icmpLen: number): boolean {
  return icmp6Sum(buf, ip6Off, icmpOff, icmpLen) === 0xffff;
}

/** Computes and writes the checksum field (icmpOff+2) of a message whose addresses are already written. */
export function writeIcmp6Checksum(buf: Uint8Array, ip6Off: number, icmpOff: number, icmpLen: number): void {
  buf[icmpOff + 2] = 0;
  buf[icmpOff + 3] = 0;
  const c = ~icmp6Sum(buf, ip6Off, icmpOff, icmpLen) & 0xffff;
  buf[icmpOff + 2] = c >>> 8;
  buf[icmpOff + 3] = c & 0xff;
}

/** Sum of the eight 16-bit halves of an address held as words (no byte reads). */
export function ip6WordSum(ip: Uint32Array): number {
  const a = ip[0]!, b = ip[1]!, c = ip[2]!, d = ip[3]!;
  return (a >>> 16) + (a & 0xffff) + (b >>> 16) + (b & 0xffff) + (c >>> 16) + (c & 0xffff) + (d >>> 16) + (d & 0xffff);
}

/** Sum of the three 16-bit words of a MAC. */
export function macWordSum(mac: number): number {
  const lo = mac >>> 0;
  // Multiplying by 2^-32 is exact and, unlike a division, costs a cycle or two.
  return Math.floor(mac * (1 / 0x100000000)) + (lo >>> 16) + (lo & 0xffff);
}
