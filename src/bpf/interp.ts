// A user-space classic-BPF interpreter with the Linux kernel's semantics for socket
// filters, so an operator can test a filter on a capture without root:
// - A and X start at 0; arithmetic is unsigned 32-bit; shifts by X use the low 5 bits.
// - A load past the end of the frame ends the program with 0 (drop), as does division
//   or modulo by X = 0.
// - `ld [k]` with k in SKF_AD_OFF..-1 reads ancillary data (any load size; the value is
//   not truncated); unknown ancillary codes fall through to the SKF_NET_OFF area like in
//   the kernel and end up out of bounds (drop). SKF_NET_OFF / SKF_LL_OFF areas are read
//   relative to the network header (`netOffset`) and the frame start.
// The hot path allocates nothing: prepare() turns a program into typed arrays once.
import type { BpfProgram } from '../engine/types';
import * as o from './opcodes';

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
    case o.SKF_AD_PROTOCOL: return a.protocol & 0xffff;
    case o.SKF_AD_PKTTYPE: return a.pktType & 7;
    case o.SKF_AD_IFINDEX: return a.ifindex >>> 0;
    case o.SKF_AD_MARK: return a.mark >>> 0;
    case o.SKF_AD_QUEUE: return a.queue & 0xffff;
    case o.SKF_AD_HATYPE: return a.hatype & 0xffff;
    case o.SKF_AD_RXHASH: return a.rxhash >>> 0;
    case o.SKF_AD_CPU: return a.cpu >>> 0;
    case o.SKF_AD_ALU_XOR_X: return (A ^ X) >>> 0;
    case o.SKF_AD_VLAN_TAG: return a.vlanPresent ? a.vlanTci & 0xffff : 0;
    case o.SKF_AD_VLAN_TAG_PRESENT: return a.vlanPresent ? 1 : 0;
    case o.SKF_AD_VLAN_TPID: return a.vlanPresent ? a.vlanTpid & 0xffff : 0;
    case o.SKF_AD_RANDOM: return (Math.random() * 0x100000000) >>> 0;
    case o.SKF_AD_NLATTR: case o.SKF_AD_NLATTR_NEST: case o.SKF_AD_PAY_OFFSET: return 0; // not meaningful for packet sockets here
    default: return -1;
  }
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
      case o.BPF_RET | o.BPF_K: return kk;
      case o.BPF_RET | o.BPF_A: return A >>> 0;

      case o.BPF_LD | o.BPF_W | o.BPF_ABS:
      case o.BPF_LD | o.BPF_H | o.BPF_ABS:
      case o.BPF_LD | o.BPF_B | o.BPF_ABS:
      case o.BPF_LD | o.BPF_W | o.BPF_IND:
      case o.BPF_LD | o.BPF_H | o.BPF_IND:
      case o.BPF_LD | o.BPF_B | o.BPF_IND: {
        const ind = o.mode(c) === o.BPF_IND;
        let at = ind ? (X + kk) | 0 : kk | 0;
        if (!ind && at >= o.SKF_AD_OFF && at < 0) {
          const v = ancillary(at - o.SKF_AD_OFF, anc, A, X);
          if (v >= 0) {
            A = v;
            break;
          }
        }
        if (at < 0) {
          if (at >= o.SKF_NET_OFF) at = at - o.SKF_NET_OFF + anc.netOffset;
          else if (at >= o.SKF_LL_OFF) at = at - o.SKF_LL_OFF;
          else return 0;
        }
        const sz = o.size(c) === o.BPF_W ? 4 : o.size(c) === o.BPF_H ? 2 : 1;
        if (at > len - sz) return 0;
        const b = off + at;
        A = sz === 4
          ? ((frame[b]! << 24) | (frame[b + 1]! << 16) | (frame[b + 2]! << 8) | frame[b + 3]!) >>> 0
          : sz === 2 ? (frame[b]! << 8) | frame[b + 1]! : frame[b]!;
        break;
      }
      case o.BPF_LD | o.BPF_W | o.BPF_LEN: A = len; break;
      case o.BPF_LDX | o.BPF_W | o.BPF_LEN: X = len; break;
      case o.BPF_LD | o.BPF_IMM: A = kk; break;
      case o.BPF_LDX | o.BPF_IMM: X = kk; break;
      case o.BPF_LD | o.BPF_MEM: A = mem[kk & 15]!; break;
      case o.BPF_LDX | o.BPF_MEM: X = mem[kk & 15]!; break;
      case o.BPF_LDX | o.BPF_B | o.BPF_MSH: {
        const at = kk | 0;
        if (at < 0 || at >= len) return 0;
        X = (frame[off + at]! & 0xf) << 2;
        break;
      }
      case o.BPF_ST: mem[kk & 15] = A; break;
      case o.BPF_STX: mem[kk & 15] = X; break;
      case o.BPF_MISC | o.BPF_TAX: X = A; break;
      case o.BPF_MISC | o.BPF_TXA: A = X; break;

      case o.BPF_ALU | o.BPF_ADD | o.BPF_K: A = (A + kk) >>> 0; break;
      case o.BPF_ALU | o.BPF_ADD | o.BPF_X: A = (A + X) >>> 0; break;
      case o.BPF_ALU | o.BPF_SUB | o.BPF_K: A = (A - kk) >>> 0; break;
      case o.BPF_ALU | o.BPF_SUB | o.BPF_X: A = (A - X) >>> 0; break;
      case o.BPF_ALU | o.BPF_MUL | o.BPF_K: A = Math.imul(A, kk) >>> 0; break;
      case o.BPF_ALU | o.BPF_MUL | o.BPF_X: A = Math.imul(A, X) >>> 0; break;
      case o.BPF_ALU | o.BPF_DIV | o.BPF_K: if (kk === 0) return 0; A = Math.floor(A / kk) >>> 0; break;
      case o.BPF_ALU | o.BPF_DIV | o.BPF_X: if (X === 0) return 0; A = Math.floor(A / X) >>> 0; break;
      case o.BPF_ALU | o.BPF_MOD | o.BPF_K: if (kk === 0) return 0; A = (A % kk) >>> 0; break;
      case o.BPF_ALU | o.BPF_MOD | o.BPF_X: if (X === 0) return 0; A = (A % X) >>> 0; break;
      case o.BPF_ALU | o.BPF_AND | o.BPF_K: A = (A & kk) >>> 0; break;
      case o.BPF_ALU | o.BPF_AND | o.BPF_X: A = (A & X) >>> 0; break;
      case o.BPF_ALU | o.BPF_OR | o.BPF_K: A = (A | kk) >>> 0; break;
      case o.BPF_ALU | o.BPF_OR | o.BPF_X: A = (A | X) >>> 0; break;
      case o.BPF_ALU | o.BPF_XOR | o.BPF_K: A = (A ^ kk) >>> 0; break;
      case o.BPF_ALU | o.BPF_XOR | o.BPF_X: A = (A ^ X) >>> 0; break;
      case o.BPF_ALU | o.BPF_LSH | o.BPF_K: A = (A << (kk & 31)) >>> 0; break;
      case o.BPF_ALU | o.BPF_LSH | o.BPF_X: A = (A << (X & 31)) >>> 0; break;
      case o.BPF_ALU | o.BPF_RSH | o.BPF_K: A = A >>> (kk & 31); break;
      case o.BPF_ALU | o.BPF_RSH | o.BPF_X: A = A >>> (X & 31); break;
      case o.BPF_ALU | o.BPF_NEG: A = -A >>> 0; break;

      case o.BPF_JMP | o.BPF_JA: pc += kk; break;
      case o.BPF_JMP | o.BPF_JEQ | o.BPF_K: pc += A === kk ? jt[pc]! : jf[pc]!; break;
      case o.BPF_JMP | o.BPF_JEQ | o.BPF_X: pc += A === X ? jt[pc]! : jf[pc]!; break;
      case o.BPF_JMP | o.BPF_JGT | o.BPF_K: pc += A > kk ? jt[pc]! : jf[pc]!; break;
      case o.BPF_JMP | o.BPF_JGT | o.BPF_X: pc += A > X ? jt[pc]! : jf[pc]!; break;
      case o.BPF_JMP | o.BPF_JGE | o.BPF_K: pc += A >= kk ? jt[pc]! : jf[pc]!; break;
      case o.BPF_JMP | o.BPF_JGE | o.BPF_X: pc += A >= X ? jt[pc]! : jf[pc]!; break;
      case o.BPF_JMP | o.BPF_JSET | o.BPF_K: pc += (A & kk) !== 0 ? jt[pc]! : jf[pc]!; break;
      case o.BPF_JMP | o.BPF_JSET | o.BPF_X: pc += (A & X) !== 0 ? jt[pc]! : jf[pc]!; break;
      default: return 0; // an opcode the kernel refuses at attach time
    }
    pc++;
  }
}
