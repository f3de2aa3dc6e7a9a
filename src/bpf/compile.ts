// Compiles one interface's policy into the smallest classic-BPF socket filter that
// still passes every frame the policy might act on, so the kernel drops the rest
// before a byte is copied into the ring.
//
// What passes (everything else returns 0):
//   - the VLAN ids in `vlans` only, when the interface lists some (innermost tag: an
//     in-band 802.1Q tag if there is one, else the tag the kernel stripped);
//   - ARP (Ethernet/IPv4) requests whose target address lies in a prefix of some
//     non-`ignore` rule or is a static entry's address; when the cache learns
//     (cache.timeout > 0) every ARP request and reply (learning and refresh need them);
//   - ICMPv6 Neighbor Solicitations (no extension headers: the policy drops those)
//     whose target lies in such a prefix, and only from an uplink when `nd uplinks` is
//     set; when the cache learns, also NS whose source is an address the cache is read
//     for (a `tell` target or a redirect `via`: a multicast NS teaches its source's MAC);
//   - NAs for the addresses the cache is read for (redirect `via` addresses and `tell`
//     targets), and with the cache off ARP replies from them (resolved on demand).
// Ignore rules never narrow the filter: with first-match rules a target inside an
// ignore prefix can still be answered by a later rule for other sources, so the filter
// passes the union of all non-ignore target prefixes (conservative, never wrong).
//
// Offsets: the kernel strips the outer VLAN tag on receive (skb_vlan_untag, for 0x8100
// and 0x88a8 alike) and reports it as ancillary data; tags still in the frame shift the
// headers by 4 or 8 bytes. The program keeps that shift in X and loads `[x + off]`.
import type { BpfInsn } from '../engine/types';
import type { CacheConfig, InterfaceConfig } from '../config/types';
import { ActionKind } from '../config/types';
import { Family, formatIp4, formatIp6, type Ip6, type Prefix } from '../net/addr';
import { Asm, type BlockComment, type Label } from './asm';
import * as o from './opcodes';

/** The snapshot length a passing frame keeps (what tcpdump's programs return). */
export const PASS = 262144;

const ETH_P_ARP = 0x0806;
const ETH_P_IPV6 = 0x86dd;
const ETH_P_8021Q = 0x8100;
const ETH_P_8021AD = 0x88a8;
/** Pre-standard QinQ TPID: the kernel leaves it in band; the wire parser accepts it. */
const ETH_P_QINQ1 = 0x9100;
const IPPROTO_ICMPV6 = 58;
const ND_NS = 135;
const ND_NA = 136;

// Offsets from the frame start when no tag is in band (add X for in-band tags).
const OFF_ARP_HTYPE_PTYPE = 14;
const OFF_ARP_HLEN_PLEN = 18;
const OFF_ARP_OP = 20;
const OFF_ARP_SPA = 28;
const OFF_ARP_TPA = 38;
const OFF_IP6_NXT = 20;
const OFF_IP6_SRC = 22;
const OFF_ICMP6_TYPE = 54;
const OFF_ND_TARGET = 62;

/** Conditional jumps reach 255 ahead: range and prefix tests are cut into chunks with their own exits. */
const CHUNK_INSNS = 240;

export interface CompiledFilter {
  program: BpfInsn[];
  /** True when the policy program exceeded the kernel's 4096 instructions and the plain ARP+NS filter is used. */
  fallback: boolean;
  /** What each block tests, by first instruction index. */
  comments: BlockComment[];
  /** Why the plain filter is used, when `fallback`. */
  reason?: string;
  /** Instruction count of the policy program before any fallback. */
  compiledLength: number;
  /**
   * The same filter as a tcpdump expression, for captures (tags in band), when one exists:
   * null when the interface lists VLANs (the program then reads the kernel's ancillary tag).
   */
  expression: string | null;
}

export interface CompileOptions {
  /** Told once when falling back (pino-compatible `warn(obj, msg)`). */
  log?: { warn(obj: object, msg: string): void };
}

// ---------------------------------------------------------------- address sets

type Range = [lo: number, hi: number];

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

function prefixRange4(v4: number, bits: number): Range {
  const size = 2 ** (32 - bits);
  return [v4, v4 + size - 1];
}

interface P6 {
  v: bigint;
  bits: number;
}

function toBig(ip: Ip6): bigint {
  return (BigInt(ip[0]!) << 96n) | (BigInt(ip[1]!) << 64n) | (BigInt(ip[2]!) << 32n) | BigInt(ip[3]!);
}

function fromBig(v: bigint): Ip6 {
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

/** Non-ignore target prefixes and static addresses of one family. */
function targets(iface: InterfaceConfig): { v4: Range[]; v6: P6[] } {
  const v4: Range[] = [];
  const v6: P6[] = [];
  const add = (p: Prefix): void => {
    if (p.family === Family.V4) v4.push(prefixRange4(p.v4, p.bits));
    else v6.push({ v: toBig(p.v6), bits: p.bits });
  };
  for (const r of iface.rules) if (r.action.kind !== ActionKind.Ignore) add(r.target);
  for (const s of iface.statics) {
    if (s.address.family === Family.V4) add({ family: Family.V4, v4: s.address.v4, bits: 32 });
    else add({ family: Family.V6, v6: s.address.v6, bits: 128 });
  }
  return { v4: mergeRanges(v4), v6: aggregate6(v6) };
}

/**
 * Addresses whose replies the daemon waits for even with learning off: the `via` of
 * redirect rules (the hold `timeout` resolves them on demand) and the targets of `tell`
 * rules (their real MAC). ARP replies from these senders and NAs for these targets pass.
 */
function replySources(iface: InterfaceConfig): { v4: Range[]; v6: P6[] } {
  const v4: Range[] = [];
  const v6: P6[] = [];
  for (const r of iface.rules) {
    let p: Prefix | null = null;
    if (r.action.kind === ActionKind.Redirect) {
      const via = r.action.via;
      p = via.family === Family.V4 ? { family: Family.V4, v4: via.v4, bits: 32 } : { family: Family.V6, v6: via.v6, bits: 128 };
    } else if (r.action.kind === ActionKind.Tell) p = r.target;
    if (!p) continue;
    if (p.family === Family.V4) v4.push(prefixRange4(p.v4, p.bits));
    else v6.push({ v: toBig(p.v6), bits: p.bits });
  }
  return { v4: mergeRanges(v4), v6: aggregate6(v6) };
}

/**
 * The reply sources a filter must pass: with learning on every ARP reply passes anyway
 * (so no IPv4 list), while IPv6 stays narrowed to the addresses the cache is read for.
 */
function usefulReplies(iface: InterfaceConfig, learn: boolean): { v4: Range[]; v6: P6[] } {
  const rs = replySources(iface);
  return { v4: learn ? [] : rs.v4, v6: rs.v6 };
}

function fmtRange(r: Range): string {
  if (r[0] === r[1]) return formatIp4(r[0]);
  // Show a range as a prefix when it is one.
  const size = r[1] - r[0] + 1;
  const bits = 32 - Math.log2(size);
  if (Number.isInteger(bits) && r[0] % size === 0) return `${formatIp4(r[0])}/${bits}`;
  return `${formatIp4(r[0])}-${formatIp4(r[1])}`;
}

function list(items: string[], max = 6): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')}, ... (${items.length} in all)`;
}

// ---------------------------------------------------------------- code generators

/**
 * A in: a uint32. Jumps to a pass exit when A lies in one of the sorted disjoint
 * ranges, to a drop exit otherwise. Two instructions a range (`jgt hi` / `jge lo`);
 * chunks of ranges end in their own exits so that every jump stays short.
 * `onPass` is a label (continue there with `ja`) or a ret value.
 */
function emitRanges(a: Asm, ranges: Range[], onPass: Label | number): void {
  const perChunk = Math.floor((CHUNK_INSNS - 4) / 2);
  for (let c = 0; c < ranges.length; c += perChunk) {
    const chunk = ranges.slice(c, c + perChunk);
    const last = c + perChunk >= ranges.length;
    const pass = a.label('pass');
    const drop = a.label('drop');
    const next = a.label('chunk');
    if (!last) a.jmp(o.BPF_JGT, chunk[chunk.length - 1]![1], next, 0);
    chunk.forEach((r, i) => {
      const after = a.label('range');
      a.jmp(o.BPF_JGT, r[1], i === chunk.length - 1 ? drop : after, 0);
      a.jmp(o.BPF_JGE, r[0], pass, drop);
      a.place(after);
    });
    a.place(pass);
    if (typeof onPass === 'number') a.ret(onPass);
    else a.ja(onPass);
    a.place(drop);
    a.ret(0);
    if (!last) a.place(next);
  }
}

/** Instructions one IPv6 prefix test takes. */
function prefixCost(bits: number): number {
  const words = Math.ceil(bits / 32);
  return words * 2 + (bits % 32 ? 1 : 0);
}

/**
 * Tests the 16 bytes at [x + base] against IPv6 prefixes, word by word; exits like
 * emitRanges, except that a miss may continue at a label (`onMiss`) instead of dropping.
 */
function emitPrefixes6(a: Asm, base: number, prefixes: P6[], onPass: Label | number, onMiss: Label | number = 0): void {
  if (prefixes.some((p) => p.bits === 0)) {
    if (typeof onPass === 'number') a.ret(onPass);
    else a.ja(onPass);
    return;
  }
  let i = 0;
  while (i < prefixes.length) {
    const chunk: P6[] = [];
    let cost = 0;
    while (i < prefixes.length && (chunk.length === 0 || cost + prefixCost(prefixes[i]!.bits) <= CHUNK_INSNS)) {
      cost += prefixCost(prefixes[i]!.bits);
      chunk.push(prefixes[i++]!);
    }
    const last = i >= prefixes.length;
    const pass = a.label('pass');
    const drop = a.label('drop');
    const next = a.label('chunk');
    chunk.forEach((p, pi) => {
      const nextPrefix = pi === chunk.length - 1 ? (last ? drop : next) : a.label('prefix');
      const words = Math.ceil(p.bits / 32);
      const ip = fromBig(p.v);
      for (let w = 0; w < words; w++) {
        const take = Math.min(32, p.bits - 32 * w);
        a.stmt(o.BPF_LD | o.BPF_W | o.BPF_IND, base + 4 * w);
        const mask = take === 32 ? 0xffffffff : (0xffffffff << (32 - take)) >>> 0;
        if (take < 32) a.stmt(o.BPF_ALU | o.BPF_AND | o.BPF_K, mask);
        a.jmp(o.BPF_JEQ, (ip[w]! & mask) >>> 0, w === words - 1 ? pass : 0, nextPrefix);
      }
      if (nextPrefix !== drop && nextPrefix !== next) a.place(nextPrefix);
    });
    a.place(pass);
    if (typeof onPass === 'number') a.ret(onPass);
    else a.ja(onPass);
    a.place(drop);
    if (typeof onMiss === 'number') a.ret(onMiss);
    else a.ja(onMiss);
    if (!last) a.place(next);
  }
}

/**
 * Finds the EtherType behind up to two in-band VLAN tags; leaves it in A and the
 * tags' length (0, 4, 8) in X.
 */
function emitEthertype(a: Asm): void {
  a.comment('EtherType, behind up to two in-band VLAN tags, TPID 0x8100, 0x88a8 or 0x9100 (X = their length: 0, 4 or 8)');
  const tag1 = a.label('tag1');
  const tag2 = a.label('tag2');
  const eth = a.label('eth');
  a.stmt(o.BPF_LD | o.BPF_H | o.BPF_ABS, 12);
  a.jmp(o.BPF_JEQ, ETH_P_8021Q, tag1, 0);
  a.jmp(o.BPF_JEQ, ETH_P_8021AD, tag1, 0);
  a.jmp(o.BPF_JEQ, ETH_P_QINQ1, tag1, eth);
  a.place(tag1);
  a.stmt(o.BPF_LDX | o.BPF_IMM, 4);
  a.stmt(o.BPF_LD | o.BPF_H | o.BPF_ABS, 16);
  a.jmp(o.BPF_JEQ, ETH_P_8021Q, tag2, 0);
  a.jmp(o.BPF_JEQ, ETH_P_8021AD, tag2, 0);
  a.jmp(o.BPF_JEQ, ETH_P_QINQ1, tag2, eth);
  a.place(tag2);
  a.stmt(o.BPF_LDX | o.BPF_IMM, 8);
  a.stmt(o.BPF_LD | o.BPF_H | o.BPF_ABS, 20);
  a.place(eth);
}

/**
 * A in: the EtherType (kept in M[0]). Drops frames whose innermost VLAN id is not listed;
 * id 0 in the list stands for untagged frames (and priority-tagged ones, VLAN id 0).
 */
function emitVlanCheck(a: Asm, vlans: number[]): void {
  const ids = mergeRanges(vlans.map((v) => [v, v] as Range));
  const untagged = ids[0]![0] === 0;
  a.comment(`VLAN id in ${list(ids.map((r) => (r[0] === r[1] ? `${r[0]}` : `${r[0]}-${r[1]}`)))}: innermost in-band tag, else the tag the kernel stripped; untagged frames ${untagged ? 'pass (0 = untagged)' : 'drop'}`);
  const inband = a.label('inband');
  const vid = a.label('vid');
  const drop = a.label('untagged');
  const ok = a.label('vlan-ok');
  a.stmt(o.BPF_ST, 0);
  a.stmt(o.BPF_MISC | o.BPF_TXA);
  a.jmp(o.BPF_JEQ, 0, 0, inband);
  a.stmt(o.BPF_LD | o.BPF_B | o.BPF_ABS, o.SKF_AD_OFF + o.SKF_AD_VLAN_TAG_PRESENT);
  a.jmp(o.BPF_JEQ, 1, 0, drop);
  a.stmt(o.BPF_LD | o.BPF_H | o.BPF_ABS, o.SKF_AD_OFF + o.SKF_AD_VLAN_TAG);
  a.ja(vid);
  a.place(drop);
  if (untagged) a.ja(ok);
  else a.ret(0);
  a.place(inband);
  a.stmt(o.BPF_LD | o.BPF_H | o.BPF_IND, 10); // TCI of the innermost in-band tag: 12 + X - 4 + 2
  a.place(vid);
  a.stmt(o.BPF_ALU | o.BPF_AND | o.BPF_K, 0xfff);
  emitRanges(a, ids, ok);
  a.place(ok);
  a.stmt(o.BPF_LD | o.BPF_MEM, 0);
}

function isLearning(cache: CacheConfig): boolean {
  return cache.timeout > 0;
}

/** Compiles the policy program without the size check. */
function generate(iface: InterfaceConfig, cache: CacheConfig): Asm {
  const a = new Asm();
  const learn = isLearning(cache);
  const t = targets(iface);
  const rs = usefulReplies(iface, learn);
  const wantArp = learn || t.v4.length > 0 || rs.v4.length > 0;
  const wantIp6 = t.v6.length > 0 || rs.v6.length > 0;
  if (!wantArp && !wantIp6) {
    a.comment(`interface ${iface.name}: no rule answers anything and the cache does not learn: nothing to receive`);
    a.ret(0);
    return a;
  }
  emitEthertype(a);
  const vlans = iface.vlans && iface.vlans.length > 0 ? iface.vlans : null;
  if (vlans) emitVlanCheck(a, vlans);

  const arp = a.label('arp');
  const ip6 = a.label('ip6');
  const drop = a.label('drop');
  a.comment(`dispatch: ${[wantArp ? 'ARP' : '', wantIp6 ? 'IPv6' : ''].filter(Boolean).join(' and ')}; anything else drops`);
  if (wantArp && wantIp6) {
    a.jmp(o.BPF_JEQ, ETH_P_ARP, arp, 0);
    a.jmp(o.BPF_JEQ, ETH_P_IPV6, 0, drop);
    a.ja(ip6);
  } else if (wantArp) {
    a.jmp(o.BPF_JEQ, ETH_P_ARP, arp, drop);
  } else {
    a.jmp(o.BPF_JEQ, ETH_P_IPV6, ip6, drop);
  }
  a.place(drop);
  a.ret(0);

  if (wantArp) {
    a.place(arp);
    a.comment('ARP for Ethernet/IPv4 only (htype 1, ptype 0x0800, hlen 6, plen 4), all 28 bytes present');
    const d = a.label('arp-drop');
    a.stmt(o.BPF_LD | o.BPF_B | o.BPF_IND, OFF_ARP_TPA + 3);
    a.stmt(o.BPF_LD | o.BPF_W | o.BPF_IND, OFF_ARP_HTYPE_PTYPE);
    a.jmp(o.BPF_JEQ, 0x00010800, 0, d);
    a.stmt(o.BPF_LD | o.BPF_H | o.BPF_IND, OFF_ARP_HLEN_PLEN);
    a.jmp(o.BPF_JEQ, 0x0604, 0, d);
    a.stmt(o.BPF_LD | o.BPF_H | o.BPF_IND, OFF_ARP_OP);
    if (learn) {
      a.comment(`cache learns (timeout ${cache.timeout}s): every request (any sender, gratuitous, probes) and every reply`);
      const p = a.label('arp-pass');
      a.jmp(o.BPF_JEQ, 1, p, 0);
      a.jmp(o.BPF_JEQ, 2, p, d);
      a.place(p);
      a.ret(PASS);
      a.place(d);
      a.ret(0);
    } else {
      const req = a.label('arp-request');
      const rep = a.label('arp-reply');
      a.comment(`cache off: requests${rs.v4.length ? ', and replies from the addresses redirect/tell rules resolve' : ' only'}`);
      if (rs.v4.length) {
        a.jmp(o.BPF_JEQ, 1, t.v4.length ? req : d, 0);
        a.jmp(o.BPF_JEQ, 2, rep, d);
      } else {
        a.jmp(o.BPF_JEQ, 1, req, d);
      }
      a.place(d);
      a.ret(0);
      if (t.v4.length) {
        a.place(req);
        a.comment(`request: target protocol address in ${list(t.v4.map(fmtRange))} (${t.v4.length} range${t.v4.length === 1 ? '' : 's'})`);
        a.stmt(o.BPF_LD | o.BPF_W | o.BPF_IND, OFF_ARP_TPA);
        emitRanges(a, t.v4, PASS);
      }
      if (rs.v4.length) {
        a.place(rep);
        a.comment(`reply: sender protocol address in ${list(rs.v4.map(fmtRange))}`);
        a.stmt(o.BPF_LD | o.BPF_W | o.BPF_IND, OFF_ARP_SPA);
        emitRanges(a, rs.v4, PASS);
      }
    }
  }

  if (wantIp6) {
    a.place(ip6);
    a.comment('IPv6 carrying ICMPv6 directly (no extension headers: the policy drops those)');
    const d = a.label('ip6-drop');
    a.stmt(o.BPF_LD | o.BPF_B | o.BPF_IND, OFF_IP6_NXT);
    a.jmp(o.BPF_JEQ, IPPROTO_ICMPV6, 0, d);
    a.comment('long enough for an NS/NA target (the load fails and drops otherwise); ICMPv6 type');
    a.stmt(o.BPF_LD | o.BPF_B | o.BPF_IND, OFF_ND_TARGET + 15);
    a.stmt(o.BPF_LD | o.BPF_B | o.BPF_IND, OFF_ICMP6_TYPE);
    const ns = a.label('ns');
    const na = a.label('na');
    const nsSource = a.label('ns-source');
    // Learning, a multicast NS teaches its source's MAC: worth receiving only when that
    // source is an address the cache is read for (a `tell` target or a redirect `via`).
    const learnFromNs = learn && rs.v6.length > 0;
    a.comment(`Neighbor Solicitations${learnFromNs ? ' (from addresses the cache is read for, or)' : ''}${t.v6.length ? ' for proxied targets' : ''}` +
      `${rs.v6.length ? ', and Advertisements for the addresses redirect/tell rules resolve' : ''}`);
    a.jmp(o.BPF_JEQ, ND_NS, learnFromNs ? nsSource : t.v6.length ? ns : d, 0);
    if (rs.v6.length) a.jmp(o.BPF_JEQ, ND_NA, na, d);
    else a.ja(d);
    a.place(d);
    a.ret(0);
    if (rs.v6.length > 0) {
      a.place(na);
      a.comment(`advertisement: target address in ${list(rs.v6.map((p) => `${formatIp6(fromBig(p.v))}/${p.bits}`))}`);
      emitPrefixes6(a, OFF_ND_TARGET, rs.v6, PASS);
    }
    if (learnFromNs) {
      a.place(nsSource);
      a.comment(`cache learns (timeout ${cache.timeout}s): source address in ${list(rs.v6.map((p) => `${formatIp6(fromBig(p.v))}/${p.bits}`))}`);
      emitPrefixes6(a, OFF_IP6_SRC, rs.v6, PASS, t.v6.length ? ns : 0);
    }
    if (t.v6.length > 0) {
      a.place(ns);
      const tgt = a.label('ns-target');
      const uplinks = iface.nd.uplinks;
      if (uplinks.length > 0) {
        a.comment(`from an uplink only: ${list(uplinks.map(formatIp6))}`);
        const du = a.label('not-uplink');
        uplinks.forEach((u, ui) => {
          const nextU = ui === uplinks.length - 1 ? du : a.label('uplink');
          for (let w = 0; w < 4; w++) {
            a.stmt(o.BPF_LD | o.BPF_W | o.BPF_IND, OFF_IP6_SRC + 4 * w);
            a.jmp(o.BPF_JEQ, u[w]!, 0, nextU);
          }
          a.ja(tgt);
          if (nextU !== du) a.place(nextU);
        });
        a.place(du);
        a.ret(0);
      }
      a.place(tgt);
      a.comment(`target address in ${list(t.v6.map((p) => `${formatIp6(fromBig(p.v))}/${p.bits}`))} (${t.v6.length} prefix${t.v6.length === 1 ? '' : 'es'})`);
      emitPrefixes6(a, OFF_ND_TARGET, t.v6, PASS);
    }
  }
  return a;
}

/**
 * The plain filter: every ARP frame and every ICMPv6 NS/NA (behind up to two in-band
 * VLAN tags). Equivalent to
 *   `arp or (vlan and arp) or (icmp6 and (ip6[40] = 135 or ip6[40] = 136))` (+ in-band tags).
 */
export function plainFilter(): CompiledFilter {
  const a = new Asm();
  emitEthertype(a);
  const arp = a.label('arp');
  const ip6 = a.label('ip6');
  const drop = a.label('drop');
  const pass = a.label('pass');
  a.comment('ARP passes; IPv6 goes on');
  a.jmp(o.BPF_JEQ, ETH_P_ARP, arp, 0);
  a.jmp(o.BPF_JEQ, ETH_P_IPV6, ip6, drop);
  a.place(ip6);
  a.comment('ICMPv6 (no extension headers) Neighbor Solicitation or Advertisement');
  a.stmt(o.BPF_LD | o.BPF_B | o.BPF_IND, OFF_IP6_NXT);
  a.jmp(o.BPF_JEQ, IPPROTO_ICMPV6, 0, drop);
  a.stmt(o.BPF_LD | o.BPF_B | o.BPF_IND, OFF_ICMP6_TYPE);
  a.jmp(o.BPF_JEQ, ND_NS, pass, 0);
  a.jmp(o.BPF_JEQ, ND_NA, pass, drop);
  a.place(arp);
  a.place(pass);
  a.ret(PASS);
  a.place(drop);
  a.ret(0);
  const program = a.resolve();
  const nd = '(ip6 and ip6[6] = 58 and (ip6[40] = 135 or ip6[40] = 136))';
  return {
    program, fallback: false, comments: a.comments, compiledLength: program.length,
    expression: `arp or ${nd} or (vlan and (arp or ${nd} or (vlan and (arp or ${nd}))))`,
  };
}

/**
 * Compiles the filter for one interface. When the policy program would exceed the
 * kernel's 4096 instructions, returns the plain ARP+NS filter with `fallback: true`
 * and says so through `opts.log`.
 */
export function compileFilter(iface: InterfaceConfig, cache: CacheConfig, opts: CompileOptions = {}): CompiledFilter {
  const a = generate(iface, cache);
  if (a.length > o.BPF_MAXINSNS) {
    const reason = `the policy filter for ${iface.name} needs ${a.length} instructions, more than the kernel's ${o.BPF_MAXINSNS}: using the plain ARP+NS filter (all ARP and NS/NA reach user space)`;
    opts.log?.warn({ interface: iface.name, instructions: a.length, limit: o.BPF_MAXINSNS, reason: 'bpf-too-long' }, reason);
    const plain = plainFilter();
    return { ...plain, fallback: true, reason, compiledLength: a.length };
  }
  const program = a.resolve();
  return { program, fallback: false, comments: a.comments, compiledLength: program.length, expression: expressionFor(iface, cache) };
}

// ---------------------------------------------------------------- tcpdump expression

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
  const learn = isLearning(cache);
  const t = targets(iface);
  const rs = usefulReplies(iface, learn);
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
function expressionFor(iface: InterfaceConfig, cache: CacheConfig): string | null {
  if (iface.vlans && iface.vlans.length > 0) return null;
  const e0 = expressionBody(iface, cache, 0);
  if (!e0) return 'len < 0';
  // Nested, not `... or (vlan and vlan and ...)`: libpcap's `vlan` shifts offsets for the rest of the expression.
  return `${e0} or (vlan and (${expressionBody(iface, cache, 4)} or (vlan and (${expressionBody(iface, cache, 8)}))))`;
}

