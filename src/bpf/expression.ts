// The compiled filter as a tcpdump expression, for captures where the tags are in band
// (none with a VLAN list: the program then reads the kernel's ancillary tag).
import type { CacheConfig, InterfaceConfig } from '../config/types';
import { fromBig, type P6, type Range } from './addrset';
import { planFilter } from './plan';

const hex32 = (v: number): string => `0x${(v >>> 0).toString(16)}`;

function rangesExpr(load: string, rs: Range[]): string {
  return rs.map((r) => (r[0] === r[1] ? `${load} = ${hex32(r[0])}` : `(${load} >= ${hex32(r[0])} and ${load} <= ${hex32(r[1])})`)).join(' or ');
}

function prefixes6Expr(base: number, ps: P6[]): string {
  return ps.map((p) => {
    if (p.bits === 0) return 'ip6[0] = ip6[0]';
    const ip = fromBig(p.v);
    const words: string[] = [];
    for (let w = 0; w < Math.ceil(p.bits / 32); w++) {
      const take = Math.min(32, p.bits - 32 * w);
      const mask = take === 32 ? 0xffffffff : (0xffffffff << (32 - take)) >>> 0;
      words.push(take === 32 ? `ip6[${base + 4 * w}:4] = ${hex32(ip[w]!)}` : `ip6[${base + 4 * w}:4] & ${hex32(mask)} = ${hex32(ip[w]! & mask)}`);
    }
    return `(${words.join(' and ')})`;
  }).join(' or ');
}

/** The filter for frames with `shift` bytes of in-band tags, in tcpdump's language. */
function expressionBody(iface: InterfaceConfig, cache: CacheConfig, shift: number): string | null {
  const { learn, targets: t, replies: rs } = planFilter(iface, cache);
  const parts: string[] = [];
  if (learn || t.v4.length || rs.v4.length) {
    const ops = learn
      ? ['arp[6:2] = 1', 'arp[6:2] = 2']
      : [t.v4.length ? `(arp[6:2] = 1 and (${rangesExpr('arp[24:4]', t.v4)}))` : '', rs.v4.length ? `(arp[6:2] = 2 and (${rangesExpr('arp[14:4]', rs.v4)}))` : ''].filter(Boolean);
    parts.push(`(arp and len >= ${42 + shift} and arp[0:4] = 0x10800 and arp[4:2] = 0x604 and (${ops.join(' or ')}))`);
  }
  if (t.v6.length || rs.v6.length) {
    const up = iface.nd.uplinks.map((u) => `(${[0, 1, 2, 3].map((w) => `ip6[${8 + 4 * w}:4] = ${hex32(u[w]!)}`).join(' and ')})`).join(' or ');
    const nsWhy = [
      learn && rs.v6.length ? `(${prefixes6Expr(8, rs.v6)})` : '',
      t.v6.length ? `(${up ? `(${up}) and ` : ''}(${prefixes6Expr(48, t.v6)}))` : '',
    ].filter(Boolean);
    const ops = [
      nsWhy.length ? `(ip6[40] = 135 and (${nsWhy.join(' or ')}))` : '',
      rs.v6.length ? `(ip6[40] = 136 and (${prefixes6Expr(48, rs.v6)}))` : '',
    ].filter(Boolean);
    parts.push(`(ip6 and len >= ${78 + shift} and ip6[6] = 58 and (${ops.join(' or ')}))`);
  }
  return parts.length ? parts.join(' or ') : null;
}

/** tcpdump's equivalent of the compiled program on a capture (null with a VLAN list). */
export function expressionFor(iface: InterfaceConfig, cache: CacheConfig): string | null {
  if (iface.vlans && iface.vlans.length > 0) return null;
  const e0 = expressionBody(iface, cache, 0);
  if (!e0) return 'len < 0';
  // Nested, not `... or (vlan and vlan and ...)`: libpcap's `vlan` shifts offsets for the rest of the expression.
  return `${e0} or (vlan and (${expressionBody(iface, cache, 4)} or (vlan and (${expressionBody(iface, cache, 8)}))))`;
}
