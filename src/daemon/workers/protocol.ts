// What the main thread and the data-path workers say to each other (`workers N`).
//
// Main -> worker, on each worker's control port: requests with an id; the worker answers
// every one on the same port, then counts it in a shared cell and wakes the main thread.
// The main thread waits on that cell (Atomics.wait) and takes the answers with
// receiveMessageOnPort, so `ctl show stats`, a reload or `ctl add` stay synchronous
// calls for the control socket and metrics, and return only once every worker answered.
// Worker -> worker: learned senders for the key's owner, as Float64Array records
// (forward.ts). The data path never waits on any of this.
import type { MessagePort } from 'node:worker_threads';
import type { Config } from '../../config/types';
import type { IfaceTablesWire } from '../../policy/tables';
import type { CompiledFilter } from '../ports';

export type WorkerRequest =
  | { id: number; type: 'stats' }
  /** Cache entries with ids [from, from + ids) as SnapshotParts (cache-dump.ts) and `next`, for `show cache`. */
  | { id: number; type: 'snapshot'; from: number; ids: number }
  | { id: number; type: 'figures' }
  /** `text`: the configuration the main thread read and checked (a worker never reads the file). */
  | { id: number; type: 'reload'; text: string; prepared?: PreparedReload }
  | { id: number; type: 'add'; interface: string; address: string; mac: string; announce: boolean }
  | { id: number; type: 'del'; interface: string; address: string }
  | { id: number; type: 'role'; role: 'active' | 'standby' | 'auto'; interface: string | null }
  /** Learned entries for the state file, `expires` as seconds left (each thread's clock has its own origin). */
  | { id: number; type: 'export' }
  /** HA announcement figures per interface (HaController.figures). */
  | { id: number; type: 'ha' }
  /** After the main thread dropped root: keep exactly `keep` capabilities on this thread too. */
  | { id: number; type: 'caps'; keep: number }
  /** The state file's learned entries (`expires` as seconds left); each worker takes those it owns. */
  | { id: number; type: 'import'; entries: unknown[] }
  /** Probe cache records (relative times) for the state file, and back. */
  | { id: number; type: 'probesExport' }
  | { id: number; type: 'probesImport'; records: unknown[] }
  | { id: number; type: 'stop' };

/**
 * A reload the main thread's prepare thread already parsed and compiled: the configuration
 * without its blocks' rules and statics, which come as tables over SharedArrayBuffers (one
 * build for every worker, nothing copied), and the filters. The worker parses nothing.
 */
export interface PreparedReload {
  config: Config;
  filters: CompiledFilter[];
  warnings: { message: string }[];
  tables: IfaceTablesWire[];
}

export interface WorkerReply {
  id: number;
  ok: boolean;
  error?: string;
  value?: unknown;
}

/** One interface's counters in a worker: every Float64Array of its InterfaceStats, and its ring's. */
export interface WorkerIfaceStats {
  name: string;
  open: boolean;
  arrays: Record<string, Float64Array>;
  ring: Record<string, number>;
}

/** What a worker is started with (workerData). */
export interface WorkerInit {
  index: number;
  count: number;
  /** The configuration file's path (for messages) and its text as the main thread read it. */
  config: string;
  configText: string;
  logLevel: string;
  tickMs: number;
  linkPollMs: number;
  /** Fanout group id base: per interface the id is base + hash(name), the same in every worker. */
  groupBase: number;
  /** Int32Array over a SharedArrayBuffer: ring-open turns (ordering.ts). */
  turns: SharedArrayBuffer;
  /** Int32Array(AWAIT_SLOTS): queries awaiting a reply another worker receives (awaits.ts). */
  awaits: SharedArrayBuffer;
  /** Date.now() when the pool started: the awaits' clock origin, the same in every worker. */
  epochMs: number;
  /** Int32Array(1): replies answered, for the main thread's wait. */
  replies: SharedArrayBuffer;
  control: MessagePort;
  /** peers[j]: the port to worker j (undefined for itself). */
  peers: (MessagePort | undefined)[];
}

/** First line of a worker's start-up outcome, posted on the control port without an id. */
export interface WorkerStarted {
  started: boolean;
  error?: string;
  code?: string;
}
