// `ring [rx FRAMES] [tx FRAMES] [framesize BYTES]`: the AF_PACKET ring geometry of one
// interface, validated against what the engine can open, and the memory it costs.
import { RING_KEYWORDS } from './keywords';
import type { Tok } from './lexer';
import {
  RING_ENGINE_DEFAULTS, RING_FRAMES_MAX, RING_FRAME_SIZE_MAX, RING_FRAME_SIZE_MIN, RING_MAX_BYTES,
  formatBytes, ringFramesRounded,
} from './limits';
import type { Reporter } from './report';
import { didYouMean } from './suggest';
import type { RingConfig } from './types';

const SHAPE = "'rx FRAMES', 'tx FRAMES' or 'framesize BYTES'";

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
    if (seen.has(k.text)) return void r.failTok('E_CONFIG_DUPLICATE', k, `each of 'rx', 'tx' and 'framesize' once`);
    seen.add(k.text);
    if (!v) return void r.failEol(k.text === 'framesize' ? 'a frame size in bytes' : 'a number of frames');
    const n = k.text === 'framesize' ? frameSize(r, v) : frames(r, v, k.text === 'rx' ? 'receive' : 'transmit');
    if (n === undefined) ok = false;
    else if (k.text === 'rx') out.rxFrames = n;
    else if (k.text === 'tx') out.txFrames = n;
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
