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
//
// Where each part lives: plan.ts (what must pass, from the configuration), addrset.ts
// (ranges and prefixes), chunks.ts (set tests with short jumps), vlan.ts (EtherType behind
// tags, VLAN list), families.ts (ARP and ND halves), plain.ts (the fallback), and
// expression.ts (the same filter in tcpdump's language).
import type { BpfInsn } from '../engine/types';
import type { CacheConfig, InterfaceConfig } from '../config/types';
import { Asm, type BlockComment } from '../engine/asm';
import { expressionFor } from './expression';
import { emitArp, emitNd } from './families';
import { ETH_P_ARP, ETH_P_IPV6 } from './layout';
import * as o from '../engine/opcodes';
import { planFilter } from './plan';
import { PLAIN_FILTER_NAME, plainFilter } from './plain';
import { emitEthertype, emitVlanCheck } from './vlan';

export { PASS } from './layout';
export { aggregate6, mergeRanges } from './addrset';
export { plainFilter } from './plain';

export interface CompiledFilter {
  program: BpfInsn[];
  /** True when the policy program exceeded the kernel's 4096 instructions and the plain filter (plain.ts) is used. */
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

/** Compiles the policy program without the size check. */
function generate(iface: InterfaceConfig, cache: CacheConfig): Asm {
  const a = new Asm();
  const plan = planFilter(iface, cache);
  const wantArp = plan.learn || plan.targets.v4.length > 0 || plan.replies.v4.length > 0;
  const wantIp6 = plan.targets.v6.length > 0 || plan.replies.v6.length > 0;
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
    emitArp(a, plan);
  }
  if (wantIp6) {
    a.place(ip6);
    emitNd(a, plan, iface.nd.uplinks);
  }
  return a;
}

/**
 * Compiles the filter for one interface. When the policy program would exceed the
 * kernel's 4096 instructions, returns the plain filter (every ARP and NS/NA) with
 * `fallback: true` and says so through `opts.log`.
 */
export function compileFilter(iface: InterfaceConfig, cache: CacheConfig, opts: CompileOptions = {}): CompiledFilter {
  const a = generate(iface, cache);
  if (a.length > o.BPF_MAXINSNS) {
    const reason = `the policy filter for ${iface.name} needs ${a.length} instructions, more than the kernel's ${o.BPF_MAXINSNS}: using the ${PLAIN_FILTER_NAME} (every ARP and NS/NA frame reaches user space)`;
    opts.log?.warn({ interface: iface.name, instructions: a.length, limit: o.BPF_MAXINSNS, reason: 'bpf-too-long' }, reason);
    const plain = plainFilter();
    return { ...plain, fallback: true, reason, compiledLength: a.length };
  }
  const program = a.resolve();
  return { program, fallback: false, comments: a.comments, compiledLength: program.length, expression: expressionFor(iface, cache) };
}
