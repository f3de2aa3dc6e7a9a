// The one place that loads the addon, and the typed shape of its flat surface.
//
// node-gyp-build picks a matching prebuild from prebuilds/ or the compiled build/Release
// addon. The package root is found by walking up from this file to the package.json that
// names neighproxy, so the loader works from src/ (ts-node) and from dist/src/engine.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as types from './types';

/** Opaque native handle (a napi External). */
export type RingHandle = { readonly __ringHandle: unique symbol };
/** Opaque handle of a running load generator (native/generator.cc). */
export type GeneratorHandle = { readonly __generatorHandle: unique symbol };

export interface NativeOpenOptions {
  frameSize: number;
  rxFrames: number;
  txFrames: number;
  batchLimit: number;
  promisc: boolean;
  allmulti: boolean;
  qdiscBypass: boolean;
  /** PACKET_VNET_HDR: each TX frame follows a virtio_net_hdr the addon writes (native/ring.h SetTxFrame). */
  linearTx: boolean;
  /** Force the copying fallback (tests); it is chosen automatically when external buffers are refused. */
  copy: boolean;
  hasFanout: boolean;
  /** PACKET_FANOUT argument: group | mode << 16 | flags. */
  fanout: number;
  /** PACKET_FANOUT_DATA for mode cbpf, packed like the filter. */
  fanoutProgram?: Uint32Array;
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

/** The addon's `abiVersion` this TypeScript is written against (native/ring.h kAbiVersion). */
export const ABI_VERSION = 7;

/** Every name of the layout shared with the addon (native/ring.h), with the value types.ts gives it. */
const LAYOUT = {
  DESC_OFFSET: types.DESC_OFFSET,
  DESC_LENGTH: types.DESC_LENGTH,
  DESC_VLAN_TCI: types.DESC_VLAN_TCI,
  DESC_PKT_TYPE: types.DESC_PKT_TYPE,
  DESC_TS_SEC: types.DESC_TS_SEC,
  DESC_TS_NSEC: types.DESC_TS_NSEC,
  DESC_WIRE_LENGTH: types.DESC_WIRE_LENGTH,
  DESC_VLAN_TPID: types.DESC_VLAN_TPID,
  DESC_STRIDE: types.DESC_STRIDE,
  STAT_FRAMES: types.STAT_FRAMES,
  STAT_BATCHES: types.STAT_BATCHES,
  STAT_SENT: types.STAT_SENT,
  STAT_TX_FULL: types.STAT_TX_FULL,
  STAT_KDROPS: types.STAT_KDROPS,
  STAT_KFREEZES: types.STAT_KFREEZES,
  STAT_KPACKETS: types.STAT_KPACKETS,
  STAT_TX_ERRORS: types.STAT_TX_ERRORS,
  STAT_WAKEUPS: types.STAT_WAKEUPS,
  STAT_SOCK_ERRORS: types.STAT_SOCK_ERRORS,
  STAT_COUNT: types.STAT_COUNT,
  VLAN_NONE: types.VLAN_NONE,
} as const;

/** Descriptor words, stats slots and VLAN_NONE as the addon exports them. */
export type NativeLayout = { readonly [K in keyof typeof LAYOUT]: number };

/** The layout TypeScript expects, by name (what checkBinding compares the addon's with). */
export const EXPECTED_LAYOUT: NativeLayout = LAYOUT;

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
  /** Borrows the ring's TX slots (ring_send: EBUSY, ring_close ends the run) until `done` settles. */
  gen_start(
    ring: RingHandle,
    templates: Uint8Array,
    lengths: Uint32Array,
    opts: NativeGenerateOptions,
    sendTimes: Float64Array | null,
  ): { handle: GeneratorHandle; done: Promise<NativeGenerateResult> };
  gen_cancel(generator: GeneratorHandle): void;
  /**
   * native/caps.cc: PR_SET_KEEPCAPS, setgroups(gids), setresgid(gid), setresuid(uid) (glibc:
   * every thread), then capset permitted = effective = keepCaps (bit n = capability n,
   * n < 32), inheritable empty, on the CALLING thread only; then PR_SET_NO_NEW_PRIVS.
   * Throws with `.code` = errno name and a message naming the step (`setuid 65534: EPERM ...`).
   */
  drop_privileges(uid: number, gid: number, gids: number[], keepCaps: number): void;
  /**
   * PR_SET_KEEPCAPS on the calling thread: a thread that opens rings itself (a worker) calls
   * it before the main thread's drop_privileges, or the drop clears its permitted set for good.
   */
  caps_keep_across_drop(): void;
  /** After the drop, on such a thread: capset permitted = effective = keepCaps, keep-caps off, PR_SET_NO_NEW_PRIVS. */
  caps_keep_only(keepCaps: number): void;
  /** One datagram to a unix socket path ('@name': abstract namespace): sd_notify (native/notify.cc). */
  notify(socketPath: string, message: string): void;
}

/** Directory holding the package.json named neighproxy, searched upwards from `from`. */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'neighproxy') return dir;
    if (dirname(dir) === dir) throw new Error(`neighproxy package root not found above ${from}`);
  }
}

const REBUILD = 'rebuild it with `npm rebuild neighproxy` (or `npx node-gyp rebuild` in a checkout)';

function mismatch(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * Throws unless `b` is an addon this TypeScript can drive: its `abiVersion` is ABI_VERSION
 * (code ERR_ADDON_ABI), and its `layout` has exactly the names of EXPECTED_LAYOUT with the
 * same values (code ERR_ADDON_LAYOUT, naming each one that disagrees). A stale build in
 * build/Release or prebuilds/ fails here, at load, instead of misreading ring memory.
 */
export function checkBinding(b: unknown, expected: { abiVersion: number; layout: NativeLayout } = { abiVersion: ABI_VERSION, layout: EXPECTED_LAYOUT }): asserts b is NativeBinding {
  const got = b as { abiVersion?: unknown; layout?: unknown } | null;
  const abi = got?.abiVersion;
  if (abi !== expected.abiVersion) {
    throw mismatch('ERR_ADDON_ABI', `neighproxy addon ABI mismatch: expected abiVersion ${expected.abiVersion}, found ${String(abi)}: ${REBUILD}`);
  }
  const layout = (typeof got?.layout === 'object' && got.layout !== null ? got.layout : {}) as Record<string, unknown>;
  const want = expected.layout as Record<string, number>;
  const wrong: string[] = [];
  for (const name of Object.keys(want)) {
    if (layout[name] !== want[name]) wrong.push(`${name} is ${String(layout[name])} in the addon, ${want[name]} in src/engine/types.ts`);
  }
  for (const name of Object.keys(layout)) if (!(name in want)) wrong.push(`${name} (${String(layout[name])}) is unknown to src/engine/types.ts`);
  if (wrong.length > 0) throw mismatch('ERR_ADDON_LAYOUT', `neighproxy addon layout mismatch: ${wrong.join('; ')}: ${REBUILD}`);
}

let cached: NativeBinding | undefined;

/** Loads the addon once (prebuild or local build) and checks its ABI and layout match ours. */
export function binding(): NativeBinding {
  if (cached) return cached;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const load = require('node-gyp-build') as (dir: string) => unknown;
  const b = load(packageRoot());
  checkBinding(b);
  cached = b;
  return b;
}
