// The PACKET_FANOUT_CBPF program of `workers N`: it sends every frame about one address
// to one worker, so that worker alone holds that address's state (cache entry, delay
// counts, pending resolutions, takeover probes).
//
// Why not a kernel mode: PACKET_FANOUT_HASH hashes the flow (skb_get_hash), and ARP has
// no flow: every ARP frame of a host hashes alike whatever address it asks for, and NS
// hash on the IPv6 source/destination, not the target. LB and CPU modes spread without
// regard to the address. So the program reads the address itself:
//   ARP request (oper 1)  target protocol address   (arp[24:4])
//   ARP reply (oper 2)    sender protocol address   (arp[14:4]): the owner answering our probe
//   ICMPv6 NS / NA        target address            (ip6[48:16], folded by xor)
// and returns hash(address) = (address * 0x9e3779b1) >>> 16 (Knuth's multiplicative
// hash, top bits); the kernel takes it modulo the group size. Anything else returns 0.
// Loads are relative to the network header (SKF_NET_OFF) and the EtherType comes from
// skb->protocol (SKF_AD_PROTOCOL): the kernel has stripped the outer VLAN tag by then.
// `ownerOf` computes the same function in JS over the cache's key words, so a worker can
// tell which worker owns the sender it just learned (src/daemon/workers).
import { Asm } from '../engine/asm';
import * as o from '../engine/opcodes';
import type { BpfProgram } from '../engine/types';
import { ETH_P_ARP, ETH_P_IPV6, IPPROTO_ICMPV6 } from './layout';

/** Knuth's 2^32 / phi: consecutive addresses land far apart. */
export const FANOUT_HASH_MULTIPLIER = 0x9e3779b1;

const NET = o.SKF_NET_OFF;
const LD_W = o.BPF_LD | o.BPF_W | o.BPF_ABS;
const LD_H = o.BPF_LD | o.BPF_H | o.BPF_ABS;
const LD_B = o.BPF_LD | o.BPF_B | o.BPF_ABS;
const XOR_X = o.BPF_ALU | o.BPF_XOR | o.BPF_X;

/** The fanout program (see the header comment for what it reads). */
export function fanoutProgram(): BpfProgram {
  const a = new Asm();
  const arp = a.label('arp');
  const ip6 = a.label('ip6');
  const reply = a.label('arp_reply');
  const hash = a.label('hash');
  const other = a.label('other');
  a.stmt(LD_W, o.SKF_AD_OFF + o.SKF_AD_PROTOCOL);
  a.jmp(o.BPF_JEQ, ETH_P_ARP, arp, 0);
  a.jmp(o.BPF_JEQ, ETH_P_IPV6, ip6, other);
  a.place(arp);
  a.comment('ARP: the target address of a request, the sender of a reply');
  a.stmt(LD_H, NET + 6);
  a.jmp(o.BPF_JEQ, 2, reply, 0);
  a.stmt(LD_W, NET + 24);
  a.ja(hash);
  a.place(reply);
  a.stmt(LD_W, NET + 14);
  a.ja(hash);
  a.place(ip6);
  a.comment('ICMPv6 NS/NA: the target address, its four words folded by xor');
  a.stmt(LD_B, NET + 6);
  a.jmp(o.BPF_JEQ, IPPROTO_ICMPV6, 0, other);
  a.stmt(LD_W, NET + 48);
  a.stmt(o.BPF_MISC | o.BPF_TAX);
  for (const off of [52, 56, 60]) {
    a.stmt(LD_W, NET + off);
    a.stmt(XOR_X);
    if (off !== 60) a.stmt(o.BPF_MISC | o.BPF_TAX);
  }
  a.place(hash);
  a.stmt(o.BPF_ALU | o.BPF_MUL | o.BPF_K, FANOUT_HASH_MULTIPLIER);
  a.stmt(o.BPF_ALU | o.BPF_RSH | o.BPF_K, 16);
  a.stmt(o.BPF_RET | o.BPF_A);
  a.place(other);
  a.ret(0);
  return Object.freeze(a.resolve().map((i) => Object.freeze(i)));
}

/** The program's hash of an address given as the cache's key words (IPv4: a0..a2 are 0). */
export function fanoutHash(a0: number, a1: number, a2: number, a3: number): number {
  return Math.imul((a0 ^ a1 ^ a2 ^ a3) | 0, FANOUT_HASH_MULTIPLIER) >>> 16;
}

/** Which of `workers` members the kernel hands frames about this address to. */
export function ownerOf(a0: number, a1: number, a2: number, a3: number, workers: number): number {
  return fanoutHash(a0, a1, a2, a3) % workers;
}
