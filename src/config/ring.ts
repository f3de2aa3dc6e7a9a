// `ring [rx FRAMES] [tx FRAMES] [framesize BYTES] [pace PPS|off]`: the AF_PACKET ring
// geometry of one interface, validated against what the engine can open, and the memory it
// costs; and from which rate small batches wait before the next poll (src/engine/pace.ts).
import { RING_KEYWORDS } from './keywords';
import type { Tok } from './lexer';
import {
  RING_ENGINE_DEFAULTS, RING_FRAMES_MAX, RING_FRAME_SIZE_MAX, RING_FRAME_SIZE_MIN, RING_MAX_BYTES,
  RING_PACE_DEFAULT_PPS, RING_PACE_MAX_PPS, RING_PACE_MIN_PPS, formatBytes, ringFramesRounded,
} from './limits';
import type { Reporter } from './report';
import { didYouMean } from './suggest';
import type { RingConfig } from './types';

const SHAPE = "'rx FRAMES', 'tx FRAMES', 'framesize BYTES' or 'pace PPS'";

function frames(r: Reporter, t: Tok, which: string): number | undefined {
  const n = /^\d+$/.test(t.text) ? Number(t.text) : NaN;
  if (n >= 1 && n <= RING_FRAMES_MAX) return n;
  r.failTok(n > RING_FRAMES_MAX ? 'E_CONFIG_LIMIT' : 'E_CONFIG_VALUE', t, `the ${which} ring's frame count (a whole number from 1 to ${RING_FRAMES_MAX})`);
  return undefined;
}

function frameSize(r: Reporter, t: Tok): number | undefined {
  const n = /^\d+$/.test(t.text) ? Number(t.text) : NaN;
  if (n >= RING_FRAME_SIZE_MIN && n <= RING_FRAME_SIZE_MAX && (n & (n - 1)) === 0) return n;
  r.failTok('E_CONFIG_VALUE', t, `a frame size in bytes: a power of two from ${RING_FRAME_SIZE_MIN} to ${RING_FRAME_SIZE_MAX} (frames tile 4 KiB blocks)`);
  return undefined;
}

/** `pace PPS|off`: 0 (off) or a rate in frames/s within the bounds. */
function paceRate(r: Reporter, t: Tok): number | undefined {
  if (t.text === 'off' || t.text === '0') return 0;
  const n = /^\d+$/.test(t.text) ? Number(t.text) : NaN;
  if (n >= RING_PACE_MIN_PPS && n <= RING_PACE_MAX_PPS) return n;
  r.failTok(n > RING_PACE_MAX_PPS ? 'E_CONFIG_LIMIT' : 'E_CONFIG_VALUE', t,
    `the frames/s from which small batches wait 1 ms (a whole number from ${RING_PACE_MIN_PPS} to ${RING_PACE_MAX_PPS}), or 'off' (0)`);
  return undefined;
}

/** The `pace` in effect: the frames/s from which small batches wait, 0 for never. */
export function effectivePace(ring: RingConfig | undefined): number {
  return ring?.pace ?? RING_PACE_DEFAULT_PPS;
}

/**
 * `off (default): ...`, or `10000 frames/s: from that rate on the ring, a batch under 64 frames waits 1 ms
 * before the next poll (up to 1 ms more per answer)`.
 */
export function describePace(ring: RingConfig | undefined): string {
  const pps = effectivePace(ring);
  const mark = ring?.pace === undefined ? ' (default)' : '';
  if (pps === 0) return `off${mark}: the ring is polled again right after every batch (a wake-up per batch under flood)`;
  return `${pps} frames/s${mark}: from that rate on the ring, a batch under 64 frames waits 1 ms before the next poll (up to 1 ms more per answer)`;
}

/** The geometry with the engine's defaults filled in and frame counts as the kernel rounds them. */
export function effectiveRing(ring: RingConfig | undefined): { rxFrames: number; txFrames: number; frameSize: number } {
  const fs = ring?.frameSize ?? RING_ENGINE_DEFAULTS.frameSize;
  return {
    rxFrames: ringFramesRounded(ring?.rxFrames ?? RING_ENGINE_DEFAULTS.rxFrames, fs),
    txFrames: ringFramesRounded(ring?.txFrames ?? RING_ENGINE_DEFAULTS.txFrames, fs),
    frameSize: fs,
  };
}

/** RX plus TX bytes one interface maps for `ring`. */
export function ringBytes(ring: RingConfig | undefined): number {
  const e = effectiveRing(ring);
  return (e.rxFrames + e.txFrames) * e.frameSize;
}

/**
 * `rx 8192 x 512 B = 4 MiB, tx 1024 (default) x 512 B = 512 KiB: 4.5 MiB per interface`;
 * without a `ring` setting, `defaults: ...`.
 */
export function describeRing(ring: RingConfig | undefined): string {
  const e = effectiveRing(ring);
  const mark = (set: number | undefined, n: number): string =>
    ring === undefined ? '' : set === undefined ? ' (default)' : set !== n ? ` (${set} rounded up to whole 4 KiB blocks)` : '';
  const fs = `${e.frameSize} B${mark(ring?.frameSize, e.frameSize)}`;
  const side = (name: string, n: number, set: number | undefined): string =>
    `${name} ${n}${mark(set, n)} x ${fs} = ${formatBytes(n * e.frameSize)}`;
  const both = `${side('rx', e.rxFrames, ring?.rxFrames)}, ${side('tx', e.txFrames, ring?.txFrames)}: ${formatBytes(ringBytes(ring))} per interface`;
  return ring === undefined ? `defaults: ${both}` : both;
}

/** Parses the words after `ring`; undefined when something was reported. */
export function parseRing(r: Reporter, toks: Tok[]): RingConfig | undefined {
  if (!toks[1]) return void r.failEol(SHAPE);
  const out: RingConfig = {};
  const seen = new Set<string>();
  let ok = true;
  for (let i = 1; i < toks.length; i += 2) {
    const k = toks[i]!;
    const v = toks[i + 1];
    if (!(RING_KEYWORDS as readonly string[]).includes(k.text)) {
      r.failTok('E_CONFIG_SYNTAX', k, `${SHAPE}${didYouMean(k.text, RING_KEYWORDS)}`);
      return undefined;
    }
    if (seen.has(k.text)) return void r.failTok('E_CONFIG_DUPLICATE', k, `each of 'rx', 'tx', 'framesize' and 'pace' once`);
    seen.add(k.text);
    if (!v) return void r.failEol(k.text === 'framesize' ? 'a frame size in bytes' : k.text === 'pace' ? "a rate in frames/s, or 'off'" : 'a number of frames');
    const n = k.text === 'framesize' ? frameSize(r, v) : k.text === 'pace' ? paceRate(r, v) : frames(r, v, k.text === 'rx' ? 'receive' : 'transmit');
    if (n === undefined) ok = false;
    else if (k.text === 'rx') out.rxFrames = n;
    else if (k.text === 'tx') out.txFrames = n;
    else if (k.text === 'pace') out.pace = n;
    else out.frameSize = n;
  }
  if (!ok) return undefined;
  const bytes = ringBytes(out);
  if (bytes > RING_MAX_BYTES) {
    r.failTok('E_CONFIG_LIMIT', toks[0]!, `rings of at most ${formatBytes(RING_MAX_BYTES)} per interface (RX plus TX; this is ${describeRing(out)})`);
    return undefined;
  }
  return out;
}
