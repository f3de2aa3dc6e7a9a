// The one place that loads the addon, and the typed shape of its flat surface.
//
// node-gyp-build picks a matching prebuild from prebuilds/ or the compiled build/Release
// addon. The package root is found by walking up from this file to the package.json that
// names neighproxy, so the loader works from src/ (ts-node) and from dist/src/engine.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Opaque native handle (a napi External). */
export type RingHandle = { readonly __ringHandle: unique symbol };

export interface NativeOpenOptions {
  frameSize: number;
  rxFrames: number;
  txFrames: number;
  batchLimit: number;
  promisc: boolean;
  allmulti: boolean;
  qdiscBypass: boolean;
  /** Force the copying fallback (tests); it is chosen automatically when external buffers are refused. */
  copy: boolean;
  hasFanout: boolean;
  /** PACKET_FANOUT argument: group | mode << 16 | flags. */
  fanout: number;
  /** TPACKET_V2 (default) or TPACKET_V3 for the RX ring. */
  version: 2 | 3;
  /** V3 only: RX block size and retire timeout. */
  blockSize: number;
  blockTimeoutMs: number;
}

export interface NativeOpened {
  handle: RingHandle;
  /** The mapping (zero copy) or a same-sized shadow (copying fallback). */
  buf: ArrayBuffer;
  copied: boolean;
  ifindex: number;
  macHi: number;
  macLo: number;
  rxFrames: number;
  txFrames: number;
  txBase: number;
  txDataOffset: number;
  txStatusOffset: number;
  txLenOffset: number;
  version: 2 | 3;
}

export interface NativeGenerateOptions {
  count: number;
  ratePps: number;
  varySender: number;
  varyTarget: number;
  batch: number;
}

export interface NativeGenerateResult {
  sent: number;
  elapsedNs: number;
  startUs: number;
}

export interface NativeLayout {
  DESC_STRIDE: number;
  STAT_COUNT: number;
}

export interface NativeBinding {
  abiVersion: number;
  layout: NativeLayout;
  /** Throws an Error with `.code` = errno name on a failing system call. */
  ring_open(ifname: string, netns: string, filter: Uint32Array, opts: NativeOpenOptions, desc: Uint32Array, stats: Float64Array): NativeOpened;
  /** `onBatch(count)` is called once per batch and returns the number of TX slots committed. */
  ring_start(handle: RingHandle, onBatch: (count: number) => number): void;
  ring_stop(handle: RingHandle): void;
  ring_set_filter(handle: RingHandle, filter: Uint32Array): void;
  ring_send(handle: RingHandle, count: number): number;
  ring_tx_free(handle: RingHandle, slot: number): boolean;
  /** Polls PACKET_STATISTICS into the stats block. */
  ring_stats(handle: RingHandle): void;
  ring_close(handle: RingHandle): void;
  gen_start(handle: RingHandle, templates: Uint8Array, lengths: Uint32Array, opts: NativeGenerateOptions, sendTimes: Float64Array | null): Promise<NativeGenerateResult>;
  gen_cancel(handle: RingHandle): void;
  /**
   * native/caps.cc: PR_SET_KEEPCAPS, setgroups(gids), setresgid(gid), setresuid(uid) (glibc:
   * every thread), then capset permitted = effective = keepCaps (bit n = capability n,
   * n < 32), inheritable empty, on the CALLING thread only; then PR_SET_NO_NEW_PRIVS.
   * Throws with `.code` = errno name and a message naming the step (`setuid 65534: EPERM ...`).
   */
  drop_privileges(uid: number, gid: number, gids: number[], keepCaps: number): void;
  /** One datagram to a unix socket path ('@name': abstract namespace): sd_notify (native/notify.cc). */
  notify(socketPath: string, message: string): void;
}

/** Slots of the shared Float64Array stats block (native/ring.h Stat). */
export const STAT_FRAMES = 0;
export const STAT_BATCHES = 1;
export const STAT_SENT = 2;
export const STAT_TX_FULL = 3;
export const STAT_KDROPS = 4;
export const STAT_KFREEZES = 5;
export const STAT_KPACKETS = 6;
export const STAT_TX_ERRORS = 7;
export const STAT_WAKEUPS = 8;
export const STAT_SOCK_ERRORS = 9;
export const STAT_COUNT = 10;

/** Directory holding the package.json named neighproxy, searched upwards from `from`. */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'neighproxy') return dir;
    if (dirname(dir) === dir) throw new Error(`neighproxy package root not found above ${from}`);
  }
}

let cached: NativeBinding | undefined;

/** Loads the addon once (prebuild or local build) and checks its layout matches ours. */
export function binding(): NativeBinding {
  if (cached) return cached;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const load = require('node-gyp-build') as (dir: string) => unknown;
  const b = load(packageRoot()) as NativeBinding;
  if (b.layout.STAT_COUNT !== STAT_COUNT || b.layout.DESC_STRIDE !== 8) {
    throw new Error(`neighproxy addon layout mismatch (stats ${b.layout.STAT_COUNT}, stride ${b.layout.DESC_STRIDE}): rebuild it`);
  }
  cached = b;
  return b;
}
