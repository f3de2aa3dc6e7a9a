// Classic-BPF programs for the ring socket, as data (the addon attaches whatever it is
// given; later work compiles programs from configuration). Every program carries the
// tcpdump expression or the reasoning that produced it.
//
// On receive the kernel strips the outer 802.1Q/802.1ad tag before packet sockets see
// the frame and reports it out of band (ring header tp_vlan_tci; BPF ancillary loads
// SKF_AD_VLAN_TAG_PRESENT / SKF_AD_VLAN_TAG). So [12] is already the inner EtherType for
// a singly tagged frame. A tag can still be in-band (QinQ inner tag, or a device that
// does not strip), so the default program also looks one tag deeper, at [16].
import type { BpfInsn, BpfProgram } from './types';

// Opcodes (linux/filter.h).
const LD_W_ABS = 0x20;
const LD_H_ABS = 0x28;
const LD_B_ABS = 0x30;
const ALU_AND_K = 0x54;
const JMP_JEQ_K = 0x15;
const RET_K = 0x06;
/** Ancillary loads: SKF_AD_OFF (-0x1000) + SKF_AD_VLAN_TAG (44) / SKF_AD_VLAN_TAG_PRESENT (48). */
const SKF_AD_VLAN_TAG = (0xfffff000 + 44) >>> 0;
const SKF_AD_VLAN_TAG_PRESENT = (0xfffff000 + 48) >>> 0;
/** What tcpdump returns to accept: the whole frame. */
const ACCEPT = 262144;

type Op = { label?: string; code: number; k: number; jt?: string; jf?: string };

/** Resolves `jt`/`jf` labels to relative offsets; a missing label means "next". */
function assemble(ops: Op[]): BpfProgram {
  const at = new Map<string, number>();
  ops.forEach((op, i) => op.label && at.set(op.label, i));
  const rel = (i: number, label: string | undefined): number => {
    if (label === undefined) return 0;
    const t = at.get(label);
    if (t === undefined || t <= i) throw new Error(`bpf: bad jump to ${label} at ${i}`);
    if (t - i - 1 > 255) throw new Error(`bpf: jump to ${label} too far`);
    return t - i - 1;
  };
  return Object.freeze(ops.map((op, i): BpfInsn => Object.freeze({ code: op.code, jt: rel(i, op.jt), jf: rel(i, op.jf), k: op.k >>> 0 })));
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
  const ops: Op[] = [];
  if (spec.vlan === 'untagged') {
    ops.push({ code: LD_W_ABS, k: SKF_AD_VLAN_TAG_PRESENT }, { code: JMP_JEQ_K, k: 0, jf: 'reject' });
  } else if (typeof spec.vlan === 'number') {
    ops.push(
      { code: LD_W_ABS, k: SKF_AD_VLAN_TAG_PRESENT },
      { code: JMP_JEQ_K, k: 1, jf: 'reject' },
      { code: LD_W_ABS, k: SKF_AD_VLAN_TAG },
      { code: ALU_AND_K, k: 0x0fff },
      { code: JMP_JEQ_K, k: spec.vlan, jf: 'reject' },
    );
  }
  // L2 header length is 14 (o=0) or 18 with an in-band tag (o=4).
  const body = (o: number, p: string): Op[] => {
    const out: Op[] = [{ label: `${p}type`, code: LD_H_ABS, k: 12 + o }];
    if (spec.arp !== null) out.push({ code: JMP_JEQ_K, k: 0x0806, jt: spec.arp === 'any' ? 'accept' : `${p}arp` });
    if (spec.icmp6 !== null) out.push({ code: JMP_JEQ_K, k: 0x86dd, jt: `${p}ip6` });
    if (o === 0 && spec.vlan === 'any') {
      out.push({ code: JMP_JEQ_K, k: 0x8100, jt: 'q_type' }, { code: JMP_JEQ_K, k: 0x88a8, jt: 'q_type' });
    }
    out.push({ code: RET_K, k: 0 });
    if (spec.arp !== null && spec.arp !== 'any') {
      // ARP opcode at [20 + o]
      out.push({ label: `${p}arp`, code: LD_H_ABS, k: 20 + o }, { code: JMP_JEQ_K, k: spec.arp, jt: 'accept', jf: 'reject' });
    }
    if (spec.icmp6 !== null) {
      // IPv6 next header at [20 + o] must be 58 (no extension headers); ICMPv6 type at [54 + o].
      out.push(
        { label: `${p}ip6`, code: LD_B_ABS, k: 20 + o },
        { code: JMP_JEQ_K, k: 58, jf: 'reject' },
        { code: LD_B_ABS, k: 54 + o },
        { code: JMP_JEQ_K, k: spec.icmp6, jt: 'accept', jf: 'reject' },
      );
    }
    return out;
  };
  ops.push(...body(0, ''));
  if (spec.vlan === 'any') ops.push(...body(4, 'q_'));
  ops.push({ label: 'accept', code: RET_K, k: ACCEPT }, { label: 'reject', code: RET_K, k: 0 });
  return assemble(ops);
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
export const REJECT_ALL_FILTER: BpfProgram = Object.freeze([Object.freeze({ code: RET_K, jt: 0, jf: 0, k: 0 })]);

/** Packs a program as the addon takes it: (code | jt << 16 | jf << 24, k) pairs. */
export function packFilter(program: BpfProgram): Uint32Array {
  if (!Array.isArray(program) || program.length === 0 || program.length > 4096) {
    throw new RangeError(`Expected a BPF program of 1 to 4096 instructions but received ${Array.isArray(program) ? program.length : typeof program}`);
  }
  const out = new Uint32Array(program.length * 2);
  program.forEach((insn, i) => {
    const { code, jt, jf, k } = insn;
    if (!isUint(code, 0xffff) || !isUint(jt, 0xff) || !isUint(jf, 0xff) || !isUint(k, 0xffffffff)) {
      throw new RangeError(`BPF instruction ${i}: expected code 0..65535, jt/jf 0..255, k 0..4294967295 but received ${JSON.stringify(insn)}`);
    }
    if ((code & 0x07) === 0x05 && (i + 1 + jt >= program.length || i + 1 + jf >= program.length || ((code & 0xf0) === 0 && i + 1 + k >= program.length))) {
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
