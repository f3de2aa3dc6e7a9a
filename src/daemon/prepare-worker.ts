// The worker thread behind prepared reloads (prepared.ts): reads and checks the file and
// compiles every interface's filter away from the thread that answers, then posts the
// result back. Only plain data crosses (the configuration model, BPF instructions, the
// warnings' text); a failure comes back as its message and code. The long lists (rules,
// statics, pins, uplinks, exceptions) follow in messages of CHUNK items (or, `flat`, rules
// and statics go as built tables in transferred buffers), the next only when
// the main thread acknowledges the last from a later event-loop turn: a port delivers all
// queued messages in one task, so without the wait every copy would land in one block.
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { compileFilter } from '../bpf/compile';
import { PLAIN_FILTER_NAME } from '../bpf/plain';
import { loadConfig } from '../config';
import { parseConfig } from '../config/parse';
import type { InterfaceConfig, StaticEntry } from '../config/types';
import { buildStaticIndex } from '../policy/statics-index';
import { buildTables, shareIndex, shareTables, wireTransfers } from '../policy/tables';

/** Items per message: copying 500 rules into the main thread costs about a millisecond. */
export const CHUNK = 500;

/** The lists of an interface that are sent in chunks, and where they live. */
export const LISTS = ['rules', 'statics', 'pins', 'uplinks', 'exceptions'] as const;
export type ListName = (typeof LISTS)[number];

export function listOf(iface: InterfaceConfig, name: ListName): unknown[] | undefined {
  if (name === 'uplinks' || name === 'exceptions') return iface.nd[name];
  return iface[name];
}

export function setList(iface: InterfaceConfig, name: ListName, list: unknown[]): void {
  if (name === 'uplinks' || name === 'exceptions') iface.nd[name] = list as never;
  else iface[name] = list as never;
}

export interface PrepareRequest {
  id: number;
  path: string;
  /** Statics added with `ctl add`, by interface name: the filters must let their requests in. */
  runtimeStatics: Record<string, StaticEntry[]>;
  /** The text to check instead of reading `path` (a data-path worker: the main thread read it). */
  text?: string;
  /**
   * Rules and statics as built tables (src/policy/tables.ts), transferred, instead of their
   * objects in chunks: the thread that answers then copies in a few ArrayBuffers.
   */
  flat?: boolean;
  /** The lists as objects in chunks, and also their tables over SharedArrayBuffers (for the data-path workers). */
  share?: boolean;
}

/**
 * This thread's nice value goes up by `workerData.nice` (Linux: a thread has its own): the
 * threads that answer then preempt it at once on a busy CPU instead of waiting out its slice.
 */
export function lowerPriority(by: number): void {
  if (!(by > 0)) return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    setPriority(tid, Math.min(19, getPriority(tid) + by));
  } catch {
    // Not Linux, or no /proc: the thread keeps its priority.
  }
}

lowerPriority(Number((workerData as { nice?: number } | null)?.nice ?? 0));

/** Chunks not yet sent, per request id. */
const queued = new Map<number, unknown[]>();

function sendNext(id: number): void {
  const q = queued.get(id);
  const m = q?.shift();
  if (m !== undefined) parentPort!.postMessage(m);
  if (q && q.length === 0) queued.delete(id);
}

parentPort?.on('message', (msg: PrepareRequest | { ack: number }) => {
  if ('ack' in msg) return sendNext(msg.ack);
  prepare(msg);
});

function prepare(req: PrepareRequest): void {
  try {
    const { config, warnings } = req.text !== undefined ? parseConfig(req.text, req.path) : loadConfig(req.path);
    const filterLog: string[] = [];
    const log = { warn: (_o: unknown, msg: string) => { filterLog.push(msg); } };
    const filters = config.interfaces.map((c) => {
      const extra = req.runtimeStatics[c.name];
      const iface = extra && extra.length > 0 ? { ...c, statics: [...c.statics, ...extra] } : c;
      const f = compileFilter(iface, config.cache, { log: log as never });
      return { program: f.program, text: f.fallback ? `${PLAIN_FILTER_NAME} (${f.reason})` : `${f.program.length} instructions` };
    });
    // Flat: rules and statics go as tables in the head, not as objects; the static table
    // is built here too, once for all blocks (statics-index.ts).
    const built = req.flat || req.share ? buildStaticIndex(config.interfaces) : undefined;
    const index = built && req.share ? shareIndex(built) : built;
    const tables = req.flat ? config.interfaces.map((c) => {
      const t = { ...buildTables(c), staticIndex: index };
      c.rules = [];
      c.statics = [];
      return t;
    }) : req.share ? config.interfaces.map((c) => ({ ...shareTables(buildTables(c)), staticIndex: index })) : undefined;
    // The head first with every long list emptied (its length kept), then the lists in chunks.
    const lists = config.interfaces.map((c) => LISTS.map((name) => {
      const list = listOf(c, name);
      if (list) setList(c, name, new Array(0));
      return list ?? [];
    }));
    const lengths = lists.map((l) => l.map((x) => x.length));
    const port = parentPort!;
    port.postMessage({ id: req.id, ok: true, config, warnings: warnings.map((w) => ({ message: w.message })), filters, filterLog, lengths, tables },
      req.flat ? [...new Set((tables ?? []).flatMap(wireTransfers))] : []);
    const q: unknown[] = [];
    lists.forEach((perIface, i) => perIface.forEach((list, k) => {
      for (let at = 0; at < list.length; at += CHUNK) q.push({ id: req.id, iface: i, list: LISTS[k], items: list.slice(at, at + CHUNK) });
    }));
    if (q.length > 0) queued.set(req.id, q);
  } catch (err) {
    const e = err as Error & { code?: string };
    parentPort!.postMessage({ id: req.id, ok: false, message: e.message, code: e.code });
  }
}
