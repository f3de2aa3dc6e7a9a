// Classic-BPF programs for the ring socket, as data (the addon attaches whatever it is
// given; later work compiles programs from configuration). Every program carries the
// tcpdump expression or the reasoning that produced it.
//
// On receive the kernel strips the outer 802.1Q/802.1ad tag before packet sockets see
// the frame and reports it out of band (ring header tp_vlan_tci; BPF ancillary loads
// SKF_AD_VLAN_TAG_PRESENT / SKF_AD_VLAN_TAG). So [12] is already the inner EtherType for
// a singly tagged frame. A tag can still be in-band (QinQ inner tag, or a device that
// does not strip), so the default program also looks one tag deeper, at [16].
//
// Built with the one cBPF assembler and opcode table (bpf/asm, bpf/opcodes: numbers and
// label resolution only, no policy code). Not to be confused with bpf/plain's plainFilter
// (every ARP and NS/NA behind up to two in-band tags, the compiler's fallback): these are
// the ring's fixed programs, one in-band tag deep.
import { Asm, type Label } from './asm';
import * as o from './opcodes';
import { ETH_P_8021AD, ETH_P_8021Q, ETH_P_ARP, ETH_P_IPV6 } from '../net/ethertypes';
import type { BpfProgram } from './types';

/** What tcpdump returns to accept: the whole frame. */
const ACCEPT = 262144;
const LD_W_ABS = o.BPF_LD | o.BPF_W | o.BPF_ABS;
const LD_H_ABS = o.BPF_LD | o.BPF_H | o.BPF_ABS;
const LD_B_ABS = o.BPF_LD | o.BPF_B | o.BPF_ABS;

function freeze(a: Asm): BpfProgram {
  return Object.freeze(a.resolve().map((insn) => Object.freeze(insn)));
}

export interface NeighFilterSpec {
  /** ARP opcodes to pass: 'any', 1 (request) or 2 (reply); null passes no ARP. */
  arp: 'any' | 1 | 2 | null;
  /** ICMPv6 type to pass (135 NS, 136 NA) with next header 58 directly; null passes none. */
  icmp6: 135 | 136 | null;
  /** 'any': untagged, kernel-stripped tags and one in-band tag; 'untagged': no tag at all; a number: only that VLAN id. */
  vlan: 'any' | 'untagged' | number;
}

/** Builds an ARP / ICMPv6-ND filter. The shape of the result is explained inline. */
export function neighFilter(spec: NeighFilterSpec): BpfProgram {
  const a = new Asm();
  const accept = a.label('accept');
  const reject = a.label('reject');
  if (spec.vlan === 'untagged') {
    a.stmt(LD_W_ABS, o.SKF_AD_OFF + o.SKF_AD_VLAN_TAG_PRESENT);
    a.jmp(o.BPF_JEQ, 0, 0, reject);
  } else if (typeof spec.vlan === 'number') {
    a.stmt(LD_W_ABS, o.SKF_AD_OFF + o.SKF_AD_VLAN_TAG_PRESENT);
    a.jmp(o.BPF_JEQ, 1, 0, reject);
    a.stmt(LD_W_ABS, o.SKF_AD_OFF + o.SKF_AD_VLAN_TAG);
    a.stmt(o.BPF_ALU | o.BPF_AND | o.BPF_K, 0x0fff);
    a.jmp(o.BPF_JEQ, spec.vlan, 0, reject);
  }
  const inband = a.label('q_type');
  // L2 header length is 14 (o=0) or 18 with an in-band tag (o=4).
  const body = (off: number, typeLabel: Label | null): void => {
    const arp = a.label('arp');
    const ip6 = a.label('ip6');
    if (typeLabel) a.place(typeLabel);
    a.stmt(LD_H_ABS, 12 + off);
    if (spec.arp !== null) a.jmp(o.BPF_JEQ, ETH_P_ARP, spec.arp === 'any' ? accept : arp, 0);
    if (spec.icmp6 !== null) a.jmp(o.BPF_JEQ, ETH_P_IPV6, ip6, 0);
    if (off === 0 && spec.vlan === 'any') {
      a.jmp(o.BPF_JEQ, ETH_P_8021Q, inband, 0);
      a.jmp(o.BPF_JEQ, ETH_P_8021AD, inband, 0);
    }
    a.ret(0);
    if (spec.arp !== null && spec.arp !== 'any') {
      // ARP opcode at [20 + o]
      a.place(arp);
      a.stmt(LD_H_ABS, 20 + off);
      a.jmp(o.BPF_JEQ, spec.arp, accept, reject);
    }
    if (spec.icmp6 !== null) {
      // IPv6 next header at [20 + o] must be 58 (no extension headers); ICMPv6 type at [54 + o].
      a.place(ip6);
      a.stmt(LD_B_ABS, 20 + off);
      a.jmp(o.BPF_JEQ, 58, 0, reject);
      a.stmt(LD_B_ABS, 54 + off);
      a.jmp(o.BPF_JEQ, spec.icmp6, accept, reject);
    }
  };
  body(0, null);
  if (spec.vlan === 'any') body(4, inband);
  a.place(accept);
  a.ret(ACCEPT);
  a.place(reject);
  a.ret(0);
  return freeze(a);
}

/**
 * What the responder listens to: every ARP frame and ICMPv6 Neighbor Solicitations,
 * untagged, tagged (tag stripped by the kernel) or with one tag still in-band.
 *   tcpdump: arp or (ip6[6] == 58 and ip6[40] == 135)
 *            or (vlan and (arp or (ip6[6] == 58 and ip6[40] == 135)))
 * (ip6[6] is the next header: 58 means ICMPv6 follows directly, no extension headers.)
 */
export const ARP_AND_NS_FILTER: BpfProgram = neighFilter({ arp: 'any', icmp6: 135, vlan: 'any' });
export const ARP_AND_NS_EXPRESSION = 'arp or (ip6[6] == 58 and ip6[40] == 135) or (vlan and (arp or (ip6[6] == 58 and ip6[40] == 135)))';

/**
 * What a load generator counts on the client side: ARP replies and Neighbor Advertisements.
 *   tcpdump: (arp[6:2] == 2) or (ip6[6] == 58 and ip6[40] == 136) or (vlan and (...same...))
 */
export const ARP_REPLY_AND_NA_FILTER: BpfProgram = neighFilter({ arp: 2, icmp6: 136, vlan: 'any' });
export const ARP_REPLY_AND_NA_EXPRESSION = '(arp[6:2] == 2) or (ip6[6] == 58 and ip6[40] == 136) or (vlan and ((arp[6:2] == 2) or (ip6[6] == 58 and ip6[40] == 136)))';

/** For TX-only rings (load generators): `ret #0`, nothing is ever queued. tcpdump: `less 0` never matches. */
export const REJECT_ALL_FILTER: BpfProgram = Object.freeze([Object.freeze({ code: o.BPF_RET | o.BPF_K, jt: 0, jf: 0, k: 0 })]);

/** Packs a program as the addon takes it: (code | jt << 16 | jf << 24, k) pairs. */
export function packFilter(program: BpfProgram): Uint32Array {
  if (!Array.isArray(program) || program.length === 0 || program.length > o.BPF_MAXINSNS) {
    throw new RangeError(`Expected a BPF program of 1 to ${o.BPF_MAXINSNS} instructions but received ${Array.isArray(program) ? program.length : typeof program}`);
  }
  const out = new Uint32Array(program.length * 2);
  program.forEach((insn, i) => {
    const { code, jt, jf, k } = insn;
    if (!isUint(code, 0xffff) || !isUint(jt, 0xff) || !isUint(jf, 0xff) || !isUint(k, 0xffffffff)) {
      throw new RangeError(`BPF instruction ${i}: expected code 0..65535, jt/jf 0..255, k 0..4294967295 but received ${JSON.stringify(insn)}`);
    }
    if (o.cls(code) === o.BPF_JMP && (i + 1 + jt >= program.length || i + 1 + jf >= program.length || (o.op(code) === o.BPF_JA && i + 1 + k >= program.length))) {
      throw new RangeError(`BPF instruction ${i}: jump past the end of the program`);
    }
    out[2 * i] = code | (jt << 16) | (jf << 24);
    out[2 * i + 1] = k;
  });
  return out;
}

function isUint(v: unknown, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
}
