// One data-path worker (`workers N`, N > 1): a Daemon without control socket, metrics,
// MLD joins or privilege changes, on its own rings (one per interface, member `index` of
// the interface's PACKET_FANOUT_CBPF group), its own pipeline, policy replica, timers
// and rtnetlink view. The main thread keeps management and asks this thread for
// counters, cache dumps, reloads and static entries over the control port (protocol.ts).
import { readFileSync, readlinkSync } from 'node:fs';
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { fanoutProgram, ownerOf } from '../../bpf/fanout';
import { Family, type IpAddress } from '../../net/addr';
import { parseConfig } from '../../config/parse';
import type { Config } from '../../config/types';
import { binding } from '../../engine/binding';
import { Ring } from '../../engine/ring';
import type { KernelState } from '../../netlink/kernel';
import type { ProbeRecord } from '../../policy/probe';
import type { LearnedEntry } from '../../policy/warm';
import { monotonicSeconds } from '../../pipeline/pipeline';
import type { PolicyOutput } from '../../policy/types';
import { Daemon } from '../daemon';
import { createLogger, type Logger } from '../log';
import { refuseLinksWithoutLinkLayer, sysfsLinkType } from '../linktype';
import type { DaemonDeps, PolicyCore, RingOpenOptions } from '../ports';
import { DaemonPolicy, realDeps } from '../real';
import { adoptTables, WorkerPreparer } from '../prepared';
import { pacedRing, ringOpenOptions } from '../ringsize';
import { RouterAwaits } from './awaits';
import { LearnForwarder } from './forward';
import { fanoutGroup } from './hash';
import { RingTurns } from './ordering';
import { CacheSnapshot, STATE_STALE, type SnapshotParts } from '../cache-dump';
import type { PreparedReload, WorkerIfaceStats, WorkerInit, WorkerReply, WorkerRequest } from './protocol';

/** Announcements (gratuitous ARP, unsolicited NA) leave from worker 0 only: N copies would be noise. */
function quietAnnouncements(out: PolicyOutput): PolicyOutput {
  return {
    arpRequest: (...a) => out.arpRequest(...a),
    arpReply: (...a) => out.arpReply(...a),
    arpAnnounce: () => undefined,
    neighborSolicitation: (...a) => out.neighborSolicitation(...a),
    neighborAdvertisement: (...a) => out.neighborAdvertisement(...a),
    unsolicitedNa: () => undefined,
  };
}

/**
 * `tablesize` bounds the whole cache: every key has one owner worker, so each worker holds
 * its share (and N workers together cost one cache's memory, not N).
 */
export function cacheShare(config: Config, count: number): Config {
  return { ...config, cache: { ...config.cache, tablesize: Math.max(1, Math.ceil(config.cache.tablesize / count)) } };
}

/** The real dependencies, with rings opened in turn into the fanout group and the policy's learns forwarded. */
export function workerDeps(init: WorkerInit, log: Logger, forwarder: LearnForwarder): DaemonDeps & { policy: () => DaemonPolicy | null; configText: { current: string }; incoming: { current: PreparedReload | null } } {
  const base = realDeps(log);
  // The configuration as the main thread read it (at start, then each reload's): never the file.
  const configText = { current: init.configText };
  // Rules and statics arrive as built tables (transferred buffers): 100 000 rules as objects
  // were a million to copy into this isolate, in slices and GC pauses that held answers.
  const onRebuilt = (ms: number): void => log.info({ event: 'config_lists_rebuilt', ms: Math.round(ms * 100) / 100 }, `the configuration's rule and static lists were parsed again from its text (${Math.round(ms)} ms): something read them after a reload`);
  const preparer = new WorkerPreparer(undefined, { flat: true, onRebuilt });
  /** The main thread's prepared reload that came with the last reload request, if any. */
  const incoming: { current: PreparedReload | null } = { current: null };
  const turns = new RingTurns(init.turns, init.index, init.count);
  const program = fanoutProgram();
  const awaits = new RouterAwaits(init.awaits, init.epochMs, init.index, init.count, (a0, a1, a2, a3) => forwarder.isRouter(a0, a1, a2, a3));
  let policy: DaemonPolicy | null = null;
  const kernel = base.kernel as KernelState;
  return {
    ...base,
    configText,
    incoming,
    loadConfig: (path) => parseConfig(configText.current, path),
    // A large reload is checked in this worker's own prepare thread, from the main thread's
    // text: parsing 30 000 rules in line here held this worker's answers for 570 ms.
    // The main thread's prepare thread parsed it and built the tables once for every worker
    // (protocol.ts PreparedReload): nothing is parsed here, nothing copied.
    prepareConfig: (path, runtimeStatics) => {
      const pre = incoming.current;
      incoming.current = null;
      if (!pre) return preparer.prepare(path, runtimeStatics, configText.current);
      adoptTables(pre.config, pre.tables, configText.current, path, onRebuilt, true);
      return Promise.resolve({ config: pre.config, filters: pre.filters, warnings: pre.warnings });
    },
    closePreparer: () => preparer.close(),
    // tun, WireGuard, PPP: refused with their link type, as on one worker (real.ts).
    openRing: refuseLinksWithoutLinkLayer((ifname: string, opts: RingOpenOptions) => {
      const fanout = { group: fanoutGroup(init.groupBase, ifname), mode: 'cbpf' as const, program, ignoreOutgoing: true };
      const { value, timedOut } = turns.inTurn(ifname, () =>
        Ring.open(ifname, { filter: opts.filter, promisc: opts.promisc, allmulti: opts.allmulti, ...ringOpenOptions(opts.ring), fanout }));
      if (timedOut) log.warn({ event: 'fanout_order_timeout', interface: ifname, worker: init.index }, 'another worker did not open its ring in time: the fanout member order may not match the workers');
      return pacedRing(value, opts.ring);
    }, (name) => kernel.link(name)?.type ?? sysfsLinkType(name)),
    createPolicy: (whole: Config, env, output, logger): PolicyCore => {
      const config = cacheShare(whole, init.count);
      const p = new DaemonPolicy(config, env, init.index === 0 ? output : quietAnnouncements(output), logger);
      p.setLearnElsewhere(forwarder.hook);
      forwarder.setRouters(config);
      // A router's reply reaches its owner worker, whoever asked (awaits.ts).
      p.setSharedAwaits(awaits);
      // The state file holds every worker's entries: each takes back those it owns (as learning does).
      const importLearned = p.importLearned.bind(p);
      p.importLearned = (c, entries, now) => importLearned(c, entries.filter((e) => owned(init, e.address)), now);
      const reload = p.reload.bind(p);
      p.reload = (c, now) => {
        reload(cacheShare(c, init.count), now);
        forwarder.setRouters(c);
      };
      // A prepared reload ends in swap(), not reload(): its redirect routers too.
      const swap = p.swap.bind(p);
      p.swap = (prepared, now) => {
        swap(prepared, now);
        forwarder.setRouters(prepared.config);
      };
      policy = p;
      return p;
    },
    policy: () => policy,
  };
}

/** Whether this worker owns an address: the fanout hash hands it every frame about it. */
function owned(init: WorkerInit, a: IpAddress): boolean {
  const w = a.family === Family.V4 ? [0, 0, 0, a.v4] : a.v6;
  return ownerOf(w[0]!, w[1]!, w[2]!, w[3]!, init.count) === init.index;
}

function statsOf(daemon: Daemon): WorkerIfaceStats[] {
  return [...daemon.interfaces.list()].map((st) => {
    const arrays: Record<string, Float64Array> = {};
    for (const [k, v] of Object.entries(st.slot.stats)) if (v instanceof Float64Array) arrays[k] = v;
    return { name: st.name, open: st.ring !== null, arrays, ring: { ...st.slot.stats.ring() } };
  });
}

/** Answers one request from the main thread. */
function handle(init: WorkerInit, daemon: Daemon, deps: ReturnType<typeof workerDeps>, forwarder: LearnForwarder, req: WorkerRequest, slowest: { ms: number; request: string }): unknown {
  const policy = daemon.policy!;
  const control = daemon.controlHandler();
  switch (req.type) {
    case 'stats':
      return { interfaces: statsOf(daemon), forwarded: forwarder.forwarded, received: forwarder.received, repeats: forwarder.repeats, slowestRequest: { ...slowest } };
    case 'snapshot':
      return snapshotSlice(deps.policy()!, req.from, req.ids, monotonicSeconds());
    case 'figures':
      return policy.cacheFigures();
    case 'reload':
      // Prepared as on one worker (own prepare thread, matchers in slices, swap between
      // batches): the reply goes when it is in force, and this worker answers meanwhile.
      deps.configText.current = req.text;
      deps.incoming.current = req.prepared ?? null;
      return daemon.reloadPrepared();
    case 'add':
      return control.add({ address: req.address, mac: req.mac, announce: req.announce, interface: req.interface });
    case 'del':
      return control.del({ address: req.address, interface: req.interface });
    case 'role':
      return daemon.ha.setRole(req.role, req.interface);
    case 'ha':
      return daemon.ha.figures();
    case 'export': {
      const now = monotonicSeconds();
      return (policy.exportLearned?.(now) ?? []).map((e) => ({ ...e, expires: e.expires - now }));
    }
    case 'caps':
      // The main thread dropped root: this thread keeps exactly its capabilities (reopens after a link flap).
      binding().caps_keep_only(req.keep);
      daemon.interfaces.dropped = true;
      return readFileSync('/proc/thread-self/status', 'utf8').match(/^CapEff:\s*(\S+)/m)?.[1];
    case 'import': {
      const now = monotonicSeconds();
      const entries = (req.entries as LearnedEntry[]).map((e) => ({ ...e, expires: e.expires + now }));
      return policy.importLearned!(daemon.config!, entries, now); // takes those it owns (createPolicy)
    }
    case 'probesExport':
      return policy.probes?.exportEntries?.(monotonicSeconds()) ?? [];
    case 'probesImport': {
      const mine = (req.records as ProbeRecord[]).filter((r) => ownerOf(r.words[0], r.words[1], r.words[2], r.words[3], init.count) === init.index);
      return policy.probes?.importEntries?.(mine, monotonicSeconds()) ?? { imported: 0, refused: {} };
    }
    case 'stop':
      return void daemon.stop();
  }
}

/**
 * Cache entries with ids [from, from + ids) as SnapshotParts, and the id to go on from
 * (-1 at the end). By id, not in LRU order: an entry live through a dump taken in
 * several requests is listed once, whatever was used or learned between them.
 */
export function snapshotSlice(p: DaemonPolicy, from: number, ids: number, now: number): SnapshotParts & { next: number } {
  const c = p.cache;
  const to = Math.min(c.capacity, from + ids);
  let n = 0;
  for (let id = from; id < to; id++) if (c.stateOf(id) !== 0) n++;
  const snap = new CacheSnapshot(n, (slot) => p.slotName(slot));
  for (let id = from; id < to; id++) {
    const state = c.stateOf(id);
    if (state === 0) continue; // free
    snap.push(c.key(id, 0), c.key(id, 1), c.key(id, 2), c.key(id, 3), c.key(id, 4), c.macOf(id), c.isStale(id, now) ? STATE_STALE : state);
  }
  return { ...snap.parts(), next: to >= c.capacity ? -1 : to };
}

/** A snapshot's arrays move to the main thread instead of being copied. */
function transfers(req: WorkerRequest, reply: WorkerReply): ArrayBuffer[] {
  if (req.type !== 'snapshot' || !reply.ok) return [];
  const p = reply.value as SnapshotParts;
  return [p.keys.buffer as ArrayBuffer, p.macs.buffer as ArrayBuffer, p.states.buffer as ArrayBuffer];
}

/**
 * The worker's logger: lines carry `worker`, and the daemon's `started` is `worker_started`
 * (one `started` per process: the main thread's, once every worker is up).
 */
function workerLogger(init: WorkerInit): Logger {
  const child = createLogger({ level: init.logLevel as 'info' }).child({ worker: init.index });
  // The kernel's id of this thread: /proc/PID/task/TID/status shows its own capabilities.
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  const info = (obj: unknown, ...rest: unknown[]): void => {
    const o = obj as { event?: string } | null;
    // The main thread switches the user and says so; a worker's "no switch" line would mislead.
    if (o?.event === 'privileges') return void (child.debug as (...a: unknown[]) => void)(obj, ...rest);
    (child.info as (...a: unknown[]) => void)(o?.event === 'started' ? { ...o, event: 'worker_started', tid } : obj, ...rest);
  };
  return new Proxy(child, { get: (t, k) => (k === 'info' ? info : Reflect.get(t, k)) });
}

async function main(init: WorkerInit): Promise<void> {
  const log = workerLogger(init);
  const forwarder = new LearnForwarder(init.index, init.count, init.peers);
  forwarder.now = monotonicSeconds();
  setInterval(() => { forwarder.now = monotonicSeconds(); }, 100).unref(); // the repeat window's clock
  const deps = workerDeps(init, log, forwarder);
  const daemon = new Daemon({
    config: init.config, control: null, metrics: null, user: null, group: null,
    tickMs: init.tickMs, linkPollMs: init.linkPollMs, mldJoins: false,
  }, deps, log);
  // Takeover announcements: each target from the worker that owns it, so one copy per frame.
  daemon.ha.owns = (_family, w) => ownerOf(w[0]!, w[1]!, w[2]!, w[3]!, init.count) === init.index;
  daemon.warm.saves = false;
  daemon.warm.loads = false; // the main thread reads the state file and hands each worker its share
  // Every ring open, failure and close goes to the main thread, whose placeholders follow.
  daemon.interfaces.onRingState = (ring) => parentPort!.postMessage({ ring });
  // Capabilities are per thread: without this the main thread's drop leaves this one none.
  if (process.getuid?.() === 0) binding().caps_keep_across_drop();
  const replies = new Int32Array(init.replies);
  const slowest = { ms: 0, request: '' };
  const control: MessagePort = init.control;
  /** A reply that came later than its request's turn (a prepared reload). */
  const answer = (reply: WorkerReply): void => {
    control.postMessage(reply);
    Atomics.add(replies, 0, 1);
    Atomics.notify(replies, 0);
  };
  control.on('message', (req: WorkerRequest) => {
    let reply: WorkerReply;
    const t0 = performance.now();
    try {
      const value = handle(init, daemon, deps, forwarder, req, slowest);
      if (value instanceof Promise) {
        value.then(
          (v: unknown) => answer({ id: req.id, ok: true, value: v }),
          (err: Error) => answer({ id: req.id, ok: false, error: err.message }),
        );
        return;
      }
      reply = { id: req.id, ok: true, value };
    } catch (err) {
      reply = { id: req.id, ok: false, error: (err as Error).message };
    }
    control.postMessage(reply, transfers(req, reply));
    // What a request cost this thread's loop (frames wait meanwhile): `show stats` per worker.
    const ms = performance.now() - t0;
    if (ms > slowest.ms) {
      slowest.ms = Math.round(ms * 100) / 100;
      slowest.request = req.type;
    }
    Atomics.add(replies, 0, 1);
    Atomics.notify(replies, 0);
    if (req.type === 'stop') {
      control.close();
      for (const port of init.peers) port?.close();
    }
  });
  for (const port of init.peers) {
    port?.on('message', (records: Float64Array) => {
      const p = deps.policy();
      if (!p) return;
      forwarder.apply(p, records, monotonicSeconds());
      daemon.output.flushAll(); // answers that waited for a learned router
    });
  }
  try {
    await daemon.start();
    parentPort!.postMessage({ started: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    parentPort!.postMessage({ started: false, error: e.message, code: e.code });
  }
}

if (!isMainThread && (workerData as { neighproxyWorker?: boolean } | null)?.neighproxyWorker) {
  void main(workerData as WorkerInit);
}
