// VLAN handling shared by every program. The kernel strips the outer tag on receive
// (skb_vlan_untag, for 0x8100 and 0x88a8 alike) and reports it as ancillary data; tags
// still in the frame shift the headers by 4 or 8 bytes, kept in X for `[x + off]` loads.
import { mergeRanges, list, type Range } from './addrset';
import type { Asm, Label } from '../engine/asm';
import { emitRanges } from './chunks';
import { ETH_P_8021AD, ETH_P_8021Q, ETH_P_QINQ1 } from './layout';
import * as o from '../engine/opcodes';

/** One in-band tag test: a TPID at [off] continues at `tag`, anything else at `eth` with A = EtherType. */
function emitTpidTest(a: Asm, off: number, tag: Label, eth: Label): void {
  a.stmt(o.BPF_LD | o.BPF_H | o.BPF_ABS, off);
  a.jmp(o.BPF_JEQ, ETH_P_8021Q, tag, 0);
  a.jmp(o.BPF_JEQ, ETH_P_8021AD, tag, 0);
  a.jmp(o.BPF_JEQ, ETH_P_QINQ1, tag, eth);
}

/**
 * Finds the EtherType behind up to two in-band VLAN tags; leaves it in A and the
 * tags' length (0, 4, 8) in X.
 */
export function emitEthertype(a: Asm): void {
  a.comment('EtherType, behind up to two in-band VLAN tags, TPID 0x8100, 0x88a8 or 0x9100 (X = their length: 0, 4 or 8)');
  const tag1 = a.label('tag1');
  const tag2 = a.label('tag2');
  const eth = a.label('eth');
  emitTpidTest(a, 12, tag1, eth);
  a.place(tag1);
  a.stmt(o.BPF_LDX | o.BPF_IMM, 4);
  emitTpidTest(a, 16, tag2, eth);
  a.place(tag2);
  a.stmt(o.BPF_LDX | o.BPF_IMM, 8);
  a.stmt(o.BPF_LD | o.BPF_H | o.BPF_ABS, 20);
  a.place(eth);
}

/**
 * A in: the EtherType (kept in M[0]). Drops frames whose innermost VLAN id is not listed;
 * id 0 in the list stands for untagged frames (and priority-tagged ones, VLAN id 0).
 */
export function emitVlanCheck(a: Asm, vlans: number[]): void {
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
