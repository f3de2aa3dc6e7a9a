// Offline replay: a capture's frames through a filter (our interpreter) and a policy
// decision function, as the daemon would see them, without root or sockets. Each frame
// is presented as the kernel presents it (kernel.ts), judged by the filter, parsed by
// src/wire into a FrameView (described by describe.ts) and, when it passes, decided.
import type { BpfProgram } from '../engine/types';
import { VLAN_NONE } from '../engine/types';
import { newAncillary, prepare, runFilter, type PreparedFilter } from '../bpf/interp';
import type { CapturedFrame } from '../pcap/pcap';
import { Decision, REASON_NAMES, Verdict } from '../policy';
import { DROP_REASON_NAMES } from '../wire/drop';
import { parseFrame } from '../wire/parse';
import { FrameView } from '../wire/view';
import { describeFrame } from './describe';
import { kernelView } from './kernel';

export { kernelView } from './kernel';

/** What the policy said about one frame. */
export interface ReplayDecision {
  /** The policy's decision (a copy: the policy reuses its own for the next frame). */
  readonly decision: Decision;
  /** The wire parser's drop code for an invalid frame, 0 for a valid one. */
  readonly drop: number;
  /** The reply frame, when the policy answers. */
  readonly reply: Uint8Array | null;
}

/**
 * The policy seam: given a frame as the kernel delivers it (outer tag stripped; its
 * TCI in `vlanTci`, or -1) at capture time `now` (seconds), decide. src/replay/decider.ts
 * builds it from src/pipeline; tests may inject their own. Without one, replay shows the
 * kernel verdict only (`policy not available`).
 */
export type DecideFn = (frame: Uint8Array, len: number, vlanTci: number, now: number) => ReplayDecision;

export interface ReplayRow {
  index: number;
  /** Captured length as the kernel sees it (after stripping the outer tag). */
  len: number;
  pass: boolean;
  summary: string;
  decision: ReplayDecision | null;
}

/** A copy of a reused Decision, to keep in a row. */
export function copyDecision(d: Decision): Decision {
  const c = new Decision();
  const { dstIp6, ...fields } = d;
  Object.assign(c, fields);
  c.dstIp6.set(dstIp6);
  return c;
}

/** The policy column's parts: `answer self`, the rule line (0: none), the reason (`invalid: truncated`). */
export function decisionText(r: ReplayDecision): { action: string; line: number; reason: string } {
  const d = r.decision;
  const verdict = d.verdict === Verdict.Answer ? 'answer' : d.verdict === Verdict.Silent ? 'silent' : 'drop';
  let reason = REASON_NAMES[d.reason] ?? String(d.reason);
  if (r.drop !== 0) reason += `: ${DROP_REASON_NAMES[r.drop] ?? r.drop}`;
  return { action: d.action ? `${verdict} ${d.action}` : verdict, line: d.ruleLine, reason };
}

/** Runs every frame through the filter and, for frames the filter passes, the policy. */
export function replayFrames(frames: readonly CapturedFrame[], program: BpfProgram | PreparedFilter, decide: DecideFn | null): ReplayRow[] {
  const prog = prepare(program);
  const anc = newAncillary();
  const view = new FrameView();
  const rows: ReplayRow[] = [];
  frames.forEach((f, i) => {
    const buf = new Uint8Array(f.data.length);
    const len = kernelView(f.data, buf, anc);
    if (len < 0) {
      rows.push({ index: i + 1, len: f.data.length, pass: false, summary: `tagged runt (${f.data.length} bytes): freed by the kernel before any filter`, decision: null });
      return;
    }
    const pass = runFilter(prog, buf, len, anc) > 0;
    view.l3Offset = -1; // describeFrame: set by the parser once it reaches layer 3
    parseFrame(buf, 0, len, anc.vlanPresent ? anc.vlanTci : VLAN_NONE, view);
    const now = f.tsSec + f.tsNsec / 1e9;
    const decision = decide && pass ? decide(buf.subarray(0, len), len, anc.vlanPresent ? anc.vlanTci : -1, now) : null;
    rows.push({ index: i + 1, len, pass, summary: describeFrame(view, buf, len), decision });
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
    else {
      const t = decisionText(r.decision);
      pol = `${t.action}${t.line ? ` line ${t.line}` : ''} (${t.reason})`;
    }
    out.push(`${String(r.index).padStart(4)}  ${String(r.len).padStart(5)}  ${(r.pass ? 'pass' : 'drop').padEnd(6)}  ${r.summary.padEnd(58)}  ${pol}`);
  }
  out.push(`${rows.length} frames: ${passed} pass the kernel filter, ${rows.length - passed} dropped in the kernel${policyAvailable ? `, ${replies} replies` : ''}`);
  return `${out.join('\n')}\n`;
}
