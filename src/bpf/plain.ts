// The plain filter: the one program called "plain" in this code base. It passes every
// ARP frame and every ICMPv6 NS/NA (no extension headers) behind up to two in-band VLAN
// tags, whatever the configuration; the compiler falls back to it past 4096 instructions.
// (engine/filters' ARP_AND_NS_FILTER, the ring's default, is a different, narrower program:
// every ARP and NS only, one in-band tag deep.)
import { Asm } from '../engine/asm';
import type { CompiledFilter } from './compile';
import { ETH_P_ARP, ETH_P_IPV6, IPPROTO_ICMPV6, ND_NA, ND_NS, OFF_ICMP6_TYPE, OFF_IP6_NXT, PASS } from './layout';
import * as o from '../engine/opcodes';
import { emitEthertype } from './vlan';

/** What the plain filter passes, in a few words (fallback messages). */
export const PLAIN_FILTER_NAME = 'plain ARP+NS/NA filter';

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
