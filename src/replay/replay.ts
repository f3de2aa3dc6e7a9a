// Offline replay: a capture's frames through a filter (our interpreter) and a policy
// decision function, as the daemon would see them, without root or sockets.
//
// How a captured frame is presented to the filter: a pcap holds the frame with its
// VLAN tag in band, but on receive the Linux kernel strips the outer tag into the skb
// (skb_vlan_untag in __netif_receive_skb_core, for TPID 0x8100 and 0x88a8, whatever
// the NIC's offload settings) before packet sockets and their filters see it. So replay
// strips an outer 0x8100/0x88a8 tag and passes it as ancillary data (vlanp = 1,
// vlan_tci, vlan_tpid); inner (QinQ) tags stay in band, as in the kernel.
import { formatIp4, formatIp6, formatMac, readIp4, readIp6, readMac, newIp6 } from '../net/addr';
import type { CapturedFrame } from '../pcap/pcap';
import { newAncillary, prepare, runFilter, type BpfAncillary, type PreparedFilter } from '../bpf/interp';
import type { BpfProgram } from '../engine/types';

/** What the policy said about one frame. */
export interface Decision {
  /** `answer self`, `silent ignore`, `silent`, `drop`, ...: the verdict and the deciding rule's action. */
  action: string;
  /** Configuration line of the deciding rule, 0 when no rule decided. */
  line: number;
  reason: string;
  /** The reply frame, when the policy answers. */
  reply: Uint8Array | null;
}

/**
 * The policy seam: given a frame as the kernel delivers it (outer tag stripped; its
 * TCI in `vlanTci`, or -1) at capture time `now` (seconds), decide. src/replay/decider.ts
 * builds it from src/wire + src/policy; tests may inject their own. Without one, replay
 * shows the kernel verdict only (`policy not available`).
 */
export type DecideFn = (frame: Uint8Array, len: number, vlanTci: number, now: number) => Decision;

export interface ReplayRow {
  index: number;
  /** Captured length as the kernel sees it (after stripping the outer tag). */
  len: number;
  pass: boolean;
  summary: string;
  decision: Decision | null;
}

/**
 * Copies `frame` into `out` as the kernel would present it to a packet socket, and
 * fills `anc`. Returns the length written, or -1 when the kernel frees the frame before
 * any packet socket sees it (a tagged frame with fewer than 6 bytes after the
 * Ethernet header: skb_vlan_untag cannot pull the tag).
 */
export function kernelView(frame: Uint8Array, out: Uint8Array, anc: BpfAncillary): number {
  const len = frame.length;
  anc.vlanPresent = 0;
  anc.vlanTci = 0;
  anc.vlanTpid = 0;
  anc.protocol = len >= 14 ? (frame[12]! << 8) | frame[13]! : 0;
  if (len >= 14) {
    const tpid = (frame[12]! << 8) | frame[13]!;
    if (tpid === 0x8100 || tpid === 0x88a8) {
      // skb_vlan_untag wants the tag plus 2 more bytes after the Ethernet header, or frees the frame.
      if (len < 14 + 6) return -1;
      anc.vlanPresent = 1;
      anc.vlanTpid = tpid;
      anc.vlanTci = (frame[14]! << 8) | frame[15]!;
      anc.protocol = (frame[16]! << 8) | frame[17]!;
      out.set(frame.subarray(0, 12), 0);
      out.set(frame.subarray(16), 12);
      return len - 4;
    }
  }
  out.set(frame, 0);
  return len;
}

/** A one-line description of a frame as the kernel delivers it, for replay output. */
export function describeFrame(b: Uint8Array, len: number, anc: BpfAncillary): string {
  const tags: string[] = [];
  if (anc.vlanPresent) tags.push(`vlan ${anc.vlanTci & 0xfff}`);
  if (len < 14) return `truncated Ethernet header (${len} bytes)`;
  let off = 12;
  let et = (b[off]! << 8) | b[off + 1]!;
  while ((et === 0x8100 || et === 0x88a8) && off + 6 <= len) {
    tags.push(`vlan ${((b[off + 2]! << 8) | b[off + 3]!) & 0xfff}`);
    off += 4;
    et = (b[off]! << 8) | b[off + 1]!;
  }
  const l3 = off + 2;
  const pre = tags.length ? `${tags.join(' ')} ` : '';
  if (et === 0x0806) {
    if (len < l3 + 28) return `${pre}ARP truncated (${len} bytes)`;
    const opc = (b[l3 + 6]! << 8) | b[l3 + 7]!;
    const spa = readIp4(b, l3 + 14);
    const tpa = readIp4(b, l3 + 24);
    if (opc === 1) {
      if (spa === 0) return `${pre}ARP probe who-has ${formatIp4(tpa)}`;
      if (spa === tpa) return `${pre}ARP gratuitous request ${formatIp4(spa)}`;
      return `${pre}ARP request who-has ${formatIp4(tpa)} tell ${formatIp4(spa)}`;
    }
    if (opc === 2) return `${pre}ARP reply ${formatIp4(spa)} is-at ${formatMac(readMac(b, l3 + 8))}`;
    return `${pre}ARP op ${opc}`;
  }
  if (et === 0x86dd) {
    if (len < l3 + 40) return `${pre}IPv6 truncated (${len} bytes)`;
    const src = formatIp6(readIp6(b, l3 + 8, newIp6()));
    const nxt = b[l3 + 6]!;
    if (nxt !== 58) return `${pre}IPv6 next-header ${nxt} from ${src}`;
    if (len < l3 + 41) return `${pre}ICMPv6 truncated (${len} bytes)`;
    const type = b[l3 + 40]!;
    if ((type === 135 || type === 136) && len >= l3 + 64) {
      const tgt = formatIp6(readIp6(b, l3 + 48, newIp6()));
      return type === 135 ? `${pre}NS who-has ${tgt} from ${src}` : `${pre}NA ${tgt} from ${src}`;
    }
    if (type === 128) return `${pre}ICMPv6 echo request from ${src}`;
    return `${pre}ICMPv6 type ${type} from ${src}`;
  }
  if (et === 0x0800) {
    if (len < l3 + 20) return `${pre}IPv4 truncated (${len} bytes)`;
    return `${pre}IPv4 proto ${b[l3 + 9]} ${formatIp4(readIp4(b, l3 + 12))} > ${formatIp4(readIp4(b, l3 + 16))}`;
  }
  return `${pre}ethertype 0x${et.toString(16).padStart(4, '0')} (${len} bytes)`;
}

/** Runs every frame through the filter and, for frames the filter passes, the policy. */
export function replayFrames(frames: readonly CapturedFrame[], program: BpfProgram | PreparedFilter, decide: DecideFn | null): ReplayRow[] {
  const prog = prepare(program);
  const anc = newAncillary();
  const rows: ReplayRow[] = [];
  frames.forEach((f, i) => {
    const buf = new Uint8Array(f.data.length);
    const len = kernelView(f.data, buf, anc);
    if (len < 0) {
      rows.push({ index: i + 1, len: f.data.length, pass: false, summary: `tagged runt (${f.data.length} bytes): freed by the kernel before any filter`, decision: null });
      return;
    }
    const pass = runFilter(prog, buf, len, anc) > 0;
    const now = f.tsSec + f.tsNsec / 1e9;
    const decision = decide && pass ? decide(buf.subarray(0, len), len, anc.vlanPresent ? anc.vlanTci : -1, now) : null;
    rows.push({ index: i + 1, len, pass, summary: describeFrame(buf, len, anc), decision });
  });
  return rows;
}

/** The table `neighproxy replay` prints. */
export function formatReplay(rows: readonly ReplayRow[], policyAvailable: boolean): string {
  const out = [`${'#'.padStart(4)}  ${'len'.padStart(5)}  kernel  ${'frame'.padEnd(58)}  policy`];
  let passed = 0;
  let replies = 0;
  for (const r of rows) {
    if (r.pass) passed++;
    if (r.decision?.reply) replies++;
    let pol: string;
    if (!r.pass) pol = '-';
    else if (!policyAvailable) pol = 'policy not available';
    else if (!r.decision) pol = '-';
    else pol = `${r.decision.action}${r.decision.line ? ` line ${r.decision.line}` : ''} (${r.decision.reason})`;
    out.push(`${String(r.index).padStart(4)}  ${String(r.len).padStart(5)}  ${(r.pass ? 'pass' : 'drop').padEnd(6)}  ${r.summary.padEnd(58)}  ${pol}`);
  }
  out.push(`${rows.length} frames: ${passed} pass the kernel filter, ${rows.length - passed} dropped in the kernel${policyAvailable ? `, ${replies} replies` : ''}`);
  return `${out.join('\n')}\n`;
}
