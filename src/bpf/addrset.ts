// Address sets as the filter tests them: IPv4 as merged uint32 ranges, IPv6 as the fewest
// covering prefixes (bigints), and their short text for block comments.
import { formatIp4, formatIp6, type Ip6 } from '../net/addr';

export type Range = [lo: number, hi: number];

/** Sorted, disjoint, non-adjacent uint32 ranges covering the union of the inputs. */
export function mergeRanges(input: Range[]): Range[] {
  const rs = input.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: Range[] = [];
  for (const r of rs) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

export function prefixRange4(v4: number, bits: number): Range {
  const size = 2 ** (32 - bits);
  return [v4, v4 + size - 1];
}

export interface P6 {
  v: bigint;
  bits: number;
}

export function toBig(ip: Ip6): bigint {
  return (BigInt(ip[0]!) << 96n) | (BigInt(ip[1]!) << 64n) | (BigInt(ip[2]!) << 32n) | BigInt(ip[3]!);
}

export function fromBig(v: bigint): Ip6 {
  const out = new Uint32Array(4);
  for (let w = 0; w < 4; w++) out[w] = Number((v >> BigInt(96 - 32 * w)) & 0xffffffffn);
  return out;
}

/** The fewest CIDR prefixes covering the union: covered ones dropped, sibling pairs joined. */
export function aggregate6(input: P6[]): P6[] {
  let ps = input.slice().sort((a, b) => (a.v < b.v ? -1 : a.v > b.v ? 1 : a.bits - b.bits));
  for (let changed = true; changed; ) {
    changed = false;
    const kept: P6[] = [];
    for (const p of ps) {
      const last = kept[kept.length - 1];
      if (last && last.bits <= p.bits && p.v >> BigInt(128 - last.bits) === last.v >> BigInt(128 - last.bits)) continue; // covered
      if (last && last.bits === p.bits && p.bits > 0) {
        const parentBits = p.bits - 1;
        const sh = BigInt(128 - parentBits);
        if (last.v >> sh === p.v >> sh && last.v !== p.v) {
          kept[kept.length - 1] = { v: (last.v >> sh) << sh, bits: parentBits };
          changed = true;
          continue;
        }
      }
      kept.push(p);
    }
    ps = kept;
  }
  return ps;
}

export function fmtRange(r: Range): string {
  if (r[0] === r[1]) return formatIp4(r[0]);
  // Show a range as a prefix when it is one.
  const size = r[1] - r[0] + 1;
  const bits = 32 - Math.log2(size);
  if (Number.isInteger(bits) && r[0] % size === 0) return `${formatIp4(r[0])}/${bits}`;
  return `${formatIp4(r[0])}-${formatIp4(r[1])}`;
}

export function fmtPrefix6(p: P6): string {
  return `${formatIp6(fromBig(p.v))}/${p.bits}`;
}

export function list(items: string[], max = 6): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')}, ... (${items.length} in all)`;
}
