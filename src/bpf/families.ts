// The per-family halves of the policy program: ARP (Ethernet/IPv4) and ICMPv6 ND. Each
// starts at its dispatch label with X = the in-band tags' length and returns on every path.
import { formatIp6, type Ip6 } from '../net/addr';
import { fmtPrefix6, fmtRange, list } from './addrset';
import type { Asm, Label } from '../engine/asm';
import { emitPrefixes6, emitRanges } from './chunks';
import {
  IPPROTO_ICMPV6, ND_NA, ND_NS, OFF_ARP_HLEN_PLEN, OFF_ARP_HTYPE_PTYPE, OFF_ARP_OP, OFF_ARP_SPA, OFF_ARP_TPA,
  OFF_ICMP6_TYPE, OFF_IP6_NXT, OFF_IP6_SRC, OFF_ND_TARGET, PASS,
} from './layout';
import * as o from '../engine/opcodes';
import type { FilterPlan } from './plan';

const LD_B_IND = o.BPF_LD | o.BPF_B | o.BPF_IND;
const LD_H_IND = o.BPF_LD | o.BPF_H | o.BPF_IND;
const LD_W_IND = o.BPF_LD | o.BPF_W | o.BPF_IND;

/** ARP: Ethernet/IPv4 shape, then by opcode: everything when learning, else requests for targets and replies from reply sources. */
export function emitArp(a: Asm, plan: FilterPlan): void {
  a.comment('ARP for Ethernet/IPv4 only (htype 1, ptype 0x0800, hlen 6, plen 4), all 28 bytes present');
  const d = a.label('arp-drop');
  a.stmt(LD_B_IND, OFF_ARP_TPA + 3);
  a.stmt(LD_W_IND, OFF_ARP_HTYPE_PTYPE);
  a.jmp(o.BPF_JEQ, 0x00010800, 0, d);
  a.stmt(LD_H_IND, OFF_ARP_HLEN_PLEN);
  a.jmp(o.BPF_JEQ, 0x0604, 0, d);
  a.stmt(LD_H_IND, OFF_ARP_OP);
  if (plan.learn) {
    a.comment(`cache learns (timeout ${plan.timeout}s): every request (any sender, gratuitous, probes) and every reply`);
    const p = a.label('arp-pass');
    a.jmp(o.BPF_JEQ, 1, p, 0);
    a.jmp(o.BPF_JEQ, 2, p, d);
    a.place(p);
    a.ret(PASS);
    a.place(d);
    a.ret(0);
    return;
  }
  const t = plan.targets.v4;
  const rs = plan.replies.v4;
  const req = a.label('arp-request');
  const rep = a.label('arp-reply');
  a.comment(`cache off: requests${rs.length ? ', and replies from the addresses redirect/tell rules resolve' : ' only'}`);
  if (rs.length) {
    a.jmp(o.BPF_JEQ, 1, t.length ? req : d, 0);
    a.jmp(o.BPF_JEQ, 2, rep, d);
  } else {
    a.jmp(o.BPF_JEQ, 1, req, d);
  }
  a.place(d);
  a.ret(0);
  if (t.length) {
    a.place(req);
    a.comment(`request: target protocol address in ${list(t.map(fmtRange))} (${t.length} range${t.length === 1 ? '' : 's'})`);
    a.stmt(LD_W_IND, OFF_ARP_TPA);
    emitRanges(a, t, PASS);
  }
  if (rs.length) {
    a.place(rep);
    a.comment(`reply: sender protocol address in ${list(rs.map(fmtRange))}`);
    a.stmt(LD_W_IND, OFF_ARP_SPA);
    emitRanges(a, rs, PASS);
  }
}

/** NS from an uplink only: the source address equals one of `uplinks`, else drop; passes on at `ok`. */
function emitUplinkCheck(a: Asm, uplinks: readonly Ip6[], ok: Label): void {
  a.comment(`from an uplink only: ${list(uplinks.map(formatIp6))}`);
  const du = a.label('not-uplink');
  uplinks.forEach((u, ui) => {
    const nextU = ui === uplinks.length - 1 ? du : a.label('uplink');
    for (let w = 0; w < 4; w++) {
      a.stmt(LD_W_IND, OFF_IP6_SRC + 4 * w);
      a.jmp(o.BPF_JEQ, u[w]!, 0, nextU);
    }
    a.ja(ok);
    if (nextU !== du) a.place(nextU);
  });
  a.place(du);
  a.ret(0);
}

/**
 * ICMPv6 ND: NS for proxied targets (from an uplink when `uplinks` is set; when learning,
 * also NS from the addresses the cache is read for) and NAs for the reply sources.
 */
export function emitNd(a: Asm, plan: FilterPlan, uplinks: readonly Ip6[]): void {
  const t = plan.targets.v6;
  const rs = plan.replies.v6;
  a.comment('IPv6 carrying ICMPv6 directly (no extension headers: the policy drops those)');
  const d = a.label('ip6-drop');
  a.stmt(LD_B_IND, OFF_IP6_NXT);
  a.jmp(o.BPF_JEQ, IPPROTO_ICMPV6, 0, d);
  a.comment('long enough for an NS/NA target (the load fails and drops otherwise); ICMPv6 type');
  a.stmt(LD_B_IND, OFF_ND_TARGET + 15);
  a.stmt(LD_B_IND, OFF_ICMP6_TYPE);
  const ns = a.label('ns');
  const na = a.label('na');
  const nsSource = a.label('ns-source');
  // Learning, a multicast NS teaches its source's MAC: worth receiving only when that
  // source is an address the cache is read for (a `tell` target or a redirect `via`).
  const learnFromNs = plan.learn && rs.length > 0;
  a.comment(`Neighbor Solicitations${learnFromNs ? ' (from addresses the cache is read for, or)' : ''}${t.length ? ' for proxied targets' : ''}` +
    `${rs.length ? ', and Advertisements for the addresses redirect/tell rules resolve' : ''}`);
  a.jmp(o.BPF_JEQ, ND_NS, learnFromNs ? nsSource : t.length ? ns : d, 0);
  if (rs.length) a.jmp(o.BPF_JEQ, ND_NA, na, d);
  else a.ja(d);
  a.place(d);
  a.ret(0);
  if (rs.length > 0) {
    a.place(na);
    a.comment(`advertisement: target address in ${list(rs.map(fmtPrefix6))}`);
    emitPrefixes6(a, OFF_ND_TARGET, rs, PASS);
  }
  if (learnFromNs) {
    a.place(nsSource);
    a.comment(`cache learns (timeout ${plan.timeout}s): source address in ${list(rs.map(fmtPrefix6))}`);
    emitPrefixes6(a, OFF_IP6_SRC, rs, PASS, t.length ? ns : 0);
  }
  if (t.length > 0) {
    a.place(ns);
    const tgt = a.label('ns-target');
    if (uplinks.length > 0) emitUplinkCheck(a, uplinks, tgt);
    a.place(tgt);
    a.comment(`target address in ${list(t.map(fmtPrefix6))} (${t.length} prefix${t.length === 1 ? '' : 'es'})`);
    emitPrefixes6(a, OFF_ND_TARGET, t, PASS);
  }
}
