// A user-space classic-BPF interpreter with the Linux kernel's semantics for socket
// filters, so an operator can test a filter on a capture without root:
// - A and X start at 0; arithmetic is unsigned 32-bit; shifts by X use the low 5 bits.
// - A load past the end of the frame ends the program with 0 (drop), as does division
//   or modulo by X = 0.
// - `ld [k]` with k in SKF_AD_OFF..-1 reads ancillary data (any load size; the value is
//   not truncated); unknown ancillary codes fall through to the SKF_NET_OFF area like in
//   the kernel and end up out of bounds (drop). SKF_NET_OFF / SKF_LL_OFF areas are read
//   relative to the network header (`netOffset`) and the frame start.
// The hot path allocates nothing: prepare() turns a program into typed arrays once, and
// the switch uses literal opcodes (a `case o.X | o.Y` would be evaluated at run time).
import type { BpfProgram } from '../engine/types';
import * as o from '../engine/opcodes';

/** What the kernel knows about a frame besides its bytes (the skb fields ancillary loads read). */
export interface BpfAncillary {
  /** 1 when the kernel stripped a VLAN tag into the skb (SKF_AD_VLAN_TAG_PRESENT). */
  vlanPresent: number;
  /** The stripped tag's TCI (priority, DEI, VLAN id) (SKF_AD_VLAN_TAG). */
  vlanTci: number;
  /** The stripped tag's TPID, 0x8100 or 0x88a8 (SKF_AD_VLAN_TPID). */
  vlanTpid: number;
  /** skb->protocol in host order: the EtherType after the stripped tag (SKF_AD_PROTOCOL). */
  protocol: number;
  /** PACKET_HOST 0, BROADCAST 1, MULTICAST 2, OTHERHOST 3, OUTGOING 4 (SKF_AD_PKTTYPE). */
  pktType: number;
  ifindex: number;
  mark: number;
  queue: number;
  /** ARPHRD_ETHER = 1. */
  hatype: number;
  rxhash: number;
  cpu: number;
  /** Offset of the network header in the frame, for SKF_NET_OFF loads (14 on Ethernet). */
  netOffset: number;
}

export function newAncillary(): BpfAncillary {
  return {
    vlanPresent: 0, vlanTci: 0, vlanTpid: 0, protocol: 0, pktType: 0, ifindex: 0, mark: 0, queue: 0,
    hatype: 1, rxhash: 0, cpu: 0, netOffset: 14,
  };
}

/** A program decoded into parallel typed arrays (what runFilter executes). */
export class PreparedFilter {
  readonly length: number;
  readonly code: Uint16Array;
  readonly jt: Uint8Array;
  readonly jf: Uint8Array;
  readonly k: Uint32Array;
  constructor(prog: BpfProgram) {
    const n = prog.length;
    this.length = n;
    this.code = new Uint16Array(n);
    this.jt = new Uint8Array(n);
    this.jf = new Uint8Array(n);
    this.k = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const ins = prog[i]!;
      this.code[i] = ins.code;
      this.jt[i] = ins.jt;
      this.jf[i] = ins.jf;
      this.k[i] = ins.k >>> 0;
    }
  }
}

export function prepare(prog: BpfProgram | PreparedFilter): PreparedFilter {
  return prog instanceof PreparedFilter ? prog : new PreparedFilter(prog);
}

const NO_ANCILLARY = newAncillary();
const mem = new Uint32Array(o.BPF_MEMWORDS);

/** Value of an ancillary load, or -1 when the code is not one the kernel knows (then: a plain, failing load). */
function ancillary(code: number, a: BpfAncillary, A: number, X: number): number {
  switch (code) {
    case 0x0: /* SKF_AD_PROTOCOL */ return a.protocol & 0xffff;
    case 0x4: /* SKF_AD_PKTTYPE */ return a.pktType & 7;
    case 0x8: /* SKF_AD_IFINDEX */ return a.ifindex >>> 0;
    case 0x14: /* SKF_AD_MARK */ return a.mark >>> 0;
    case 0x18: /* SKF_AD_QUEUE */ return a.queue & 0xffff;
    case 0x1c: /* SKF_AD_HATYPE */ return a.hatype & 0xffff;
    case 0x20: /* SKF_AD_RXHASH */ return a.rxhash >>> 0;
    case 0x24: /* SKF_AD_CPU */ return a.cpu >>> 0;
    case 0x28: /* SKF_AD_ALU_XOR_X */ return (A ^ X) >>> 0;
    case 0x2c: /* SKF_AD_VLAN_TAG */ return a.vlanPresent ? a.vlanTci & 0xffff : 0;
    case 0x30: /* SKF_AD_VLAN_TAG_PRESENT */ return a.vlanPresent ? 1 : 0;
    case 0x3c: /* SKF_AD_VLAN_TPID */ return a.vlanPresent ? a.vlanTpid & 0xffff : 0;
    case 0x38: /* SKF_AD_RANDOM */ return (Math.random() * 0x100000000) >>> 0;
    case 0xc: /* SKF_AD_NLATTR */ case 0x10: /* SKF_AD_NLATTR_NEST */ case 0x34: /* SKF_AD_PAY_OFFSET */ return 0; // not meaningful for packet sockets here
    default: return -1;
  }
}

/**
 * An ABS or IND load (`c`: BPF_LD | size | mode): ancillary data at SKF_AD_OFF + n, the
 * SKF_NET_OFF / SKF_LL_OFF areas, else frame bytes. -1 when the load fails (the kernel's
 * program then returns 0).
 */
function loadAbsInd(c: number, kk: number, A: number, X: number, frame: Uint8Array, off: number, len: number, anc: BpfAncillary): number {
  const ind = (c & 0xe0) === 0x40; // BPF_IND
  let at = ind ? (X + kk) | 0 : kk | 0;
  if (!ind && at >= -0x1000 && at < 0) { // SKF_AD_OFF
    const v = ancillary(at + 0x1000, anc, A, X);
    if (v >= 0) return v;
  }
  if (at < 0) {
    if (at >= o.SKF_NET_OFF) at = at - o.SKF_NET_OFF + anc.netOffset;
    else if (at >= o.SKF_LL_OFF) at = at - o.SKF_LL_OFF;
    else return -1;
  }
  const sz = (c & 0x18) === 0 ? 4 : (c & 0x18) === 0x08 ? 2 : 1; // BPF_W, BPF_H, BPF_B
  if (at > len - sz) return -1;
  const b = off + at;
  return sz === 4
    ? ((frame[b]! << 24) | (frame[b + 1]! << 16) | (frame[b + 2]! << 8) | frame[b + 3]!) >>> 0
    : sz === 2 ? (frame[b]! << 8) | frame[b + 1]! : frame[b]!;
}

/**
 * Runs a classic-BPF program over `len` bytes of `frame` starting at `off`, as the kernel
 * would for a socket filter. Returns the number of bytes to keep (0 = drop). Never throws
 * and never reads outside [off, off + len).
 */
export function runFilter(
  program: BpfProgram | PreparedFilter,
  frame: Uint8Array,
  len: number,
  anc: BpfAncillary = NO_ANCILLARY,
  off = 0,
): number {
  const p = program instanceof PreparedFilter ? program : prepare(program);
  const { code, jt, jf, k } = p;
  const n = p.length;
  if (len > frame.length - off) len = Math.max(0, frame.length - off);
  let A = 0;
  let X = 0;
  let pc = 0;
  for (;;) {
    if (pc >= n) return 0; // only reachable with a program the kernel would refuse
    const c = code[pc]!;
    const kk = k[pc]!;
    switch (c) {
      case 0x6: /* BPF_RET | BPF_K */ return kk;
      case 0x16: /* BPF_RET | BPF_A */ return A >>> 0;

      case 0x20: /* BPF_LD | BPF_W | BPF_ABS */
      case 0x28: /* BPF_LD | BPF_H | BPF_ABS */
      case 0x30: /* BPF_LD | BPF_B | BPF_ABS */
      case 0x40: /* BPF_LD | BPF_W | BPF_IND */
      case 0x48: /* BPF_LD | BPF_H | BPF_IND */
      case 0x50: /* BPF_LD | BPF_B | BPF_IND */ {
        const v = loadAbsInd(c, kk, A, X, frame, off, len, anc);
        if (v < 0) return 0;
        A = v;
        break;
      }
      case 0x80: /* BPF_LD | BPF_W | BPF_LEN */ A = len; break;
      case 0x81: /* BPF_LDX | BPF_W | BPF_LEN */ X = len; break;
      case 0x0: /* BPF_LD | BPF_IMM */ A = kk; break;
      case 0x1: /* BPF_LDX | BPF_IMM */ X = kk; break;
      case 0x60: /* BPF_LD | BPF_MEM */ A = mem[kk & 15]!; break;
      case 0x61: /* BPF_LDX | BPF_MEM */ X = mem[kk & 15]!; break;
      case 0xb1: /* BPF_LDX | BPF_B | BPF_MSH */ {
        const at = kk | 0;
        if (at < 0 || at >= len) return 0;
        X = (frame[off + at]! & 0xf) << 2;
        break;
      }
      case 0x2: /* BPF_ST */ mem[kk & 15] = A; break;
      case 0x3: /* BPF_STX */ mem[kk & 15] = X; break;
      case 0x7: /* BPF_MISC | BPF_TAX */ X = A; break;
      case 0x87: /* BPF_MISC | BPF_TXA */ A = X; break;

      case 0x4: /* BPF_ALU | BPF_ADD | BPF_K */ A = (A + kk) >>> 0; break;
      case 0xc: /* BPF_ALU | BPF_ADD | BPF_X */ A = (A + X) >>> 0; break;
      case 0x14: /* BPF_ALU | BPF_SUB | BPF_K */ A = (A - kk) >>> 0; break;
      case 0x1c: /* BPF_ALU | BPF_SUB | BPF_X */ A = (A - X) >>> 0; break;
      case 0x24: /* BPF_ALU | BPF_MUL | BPF_K */ A = Math.imul(A, kk) >>> 0; break;
      case 0x2c: /* BPF_ALU | BPF_MUL | BPF_X */ A = Math.imul(A, X) >>> 0; break;
      case 0x34: /* BPF_ALU | BPF_DIV | BPF_K */ if (kk === 0) return 0; A = Math.floor(A / kk) >>> 0; break;
      case 0x3c: /* BPF_ALU | BPF_DIV | BPF_X */ if (X === 0) return 0; A = Math.floor(A / X) >>> 0; break;
      case 0x94: /* BPF_ALU | BPF_MOD | BPF_K */ if (kk === 0) return 0; A = (A % kk) >>> 0; break;
      case 0x9c: /* BPF_ALU | BPF_MOD | BPF_X */ if (X === 0) return 0; A = (A % X) >>> 0; break;
      case 0x54: /* BPF_ALU | BPF_AND | BPF_K */ A = (A & kk) >>> 0; break;
      case 0x5c: /* BPF_ALU | BPF_AND | BPF_X */ A = (A & X) >>> 0; break;
      case 0x44: /* BPF_ALU | BPF_OR | BPF_K */ A = (A | kk) >>> 0; break;
      case 0x4c: /* BPF_ALU | BPF_OR | BPF_X */ A = (A | X) >>> 0; break;
      case 0xa4: /* BPF_ALU | BPF_XOR | BPF_K */ A = (A ^ kk) >>> 0; break;
      case 0xac: /* BPF_ALU | BPF_XOR | BPF_X */ A = (A ^ X) >>> 0; break;
      case 0x64: /* BPF_ALU | BPF_LSH | BPF_K */ A = (A << (kk & 31)) >>> 0; break;
      case 0x6c: /* BPF_ALU | BPF_LSH | BPF_X */ A = (A << (X & 31)) >>> 0; break;
      case 0x74: /* BPF_ALU | BPF_RSH | BPF_K */ A = A >>> (kk & 31); break;
      case 0x7c: /* BPF_ALU | BPF_RSH | BPF_X */ A = A >>> (X & 31); break;
      case 0x84: /* BPF_ALU | BPF_NEG */ A = -A >>> 0; break;

      case 0x5: /* BPF_JMP | BPF_JA */ pc += kk; break;
      case 0x15: /* BPF_JMP | BPF_JEQ | BPF_K */ pc += A === kk ? jt[pc]! : jf[pc]!; break;
      case 0x1d: /* BPF_JMP | BPF_JEQ | BPF_X */ pc += A === X ? jt[pc]! : jf[pc]!; break;
      case 0x25: /* BPF_JMP | BPF_JGT | BPF_K */ pc += A > kk ? jt[pc]! : jf[pc]!; break;
      case 0x2d: /* BPF_JMP | BPF_JGT | BPF_X */ pc += A > X ? jt[pc]! : jf[pc]!; break;
      case 0x35: /* BPF_JMP | BPF_JGE | BPF_K */ pc += A >= kk ? jt[pc]! : jf[pc]!; break;
      case 0x3d: /* BPF_JMP | BPF_JGE | BPF_X */ pc += A >= X ? jt[pc]! : jf[pc]!; break;
      case 0x45: /* BPF_JMP | BPF_JSET | BPF_K */ pc += (A & kk) !== 0 ? jt[pc]! : jf[pc]!; break;
      case 0x4d: /* BPF_JMP | BPF_JSET | BPF_X */ pc += (A & X) !== 0 ? jt[pc]! : jf[pc]!; break;
      default: return 0; // an opcode the kernel refuses at attach time
    }
    pc++;
  }
}
