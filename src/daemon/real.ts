// The daemon's dependencies on a real host: config parser, ring engine, BPF compiler,
// policy. Kept apart from daemon.ts so the daemon's logic is tested with fakes.
import { exportLearned, importLearned, type ImportResult, type LearnedEntry } from '../policy/warm';
import { compileFilter } from '../bpf/compile';
import { PLAIN_FILTER_NAME } from '../bpf/plain';
import { loadConfig } from '../config';
import type { Config } from '../config/types';
import { Ring } from '../engine/ring';
import { Policy } from '../policy';
import { metaIsV6, metaSlot } from '../policy/addrtable';
import type { PolicyEnvironment, PolicyOutput } from '../policy/types';
import { DROP_REASON_NAMES } from '../wire/drop';
import type { DaemonDeps, PolicyCore, RingOpenOptions } from './ports';
import { RT_TABLE_MAIN } from '../netlink/constants';
import { KernelState } from '../netlink/kernel';
import { Autowire } from './autowire';
import { HostEnvironment } from './env';
import { kernelLinkReader } from './links';
import { refuseLinksWithoutLinkLayer, sysfsLinkType } from './linktype';
import { udp6Socket } from './mld';
import type { Logger } from './log';
import type { CacheFigures, LimitFigures } from './metrics';
import { CacheSnapshot, STATE_STALE } from './cache-dump';
import { pacedRing, ringOpenOptions } from './ringsize';
import { WorkerPreparer } from './prepared';

/** The policy with the introspection the control socket and metrics need. */
export class DaemonPolicy extends Policy implements PolicyCore {
  constructor(config: Config, private readonly env: PolicyEnvironment, output: PolicyOutput, logger: Logger) {
    super({ config, env, output, logger });
  }

  /** Live learned entries for the state file (warm.ts). */
  exportLearned(now: number): LearnedEntry[] {
    return exportLearned(this, now);
  }

  /** Entries read from the state file, checked as learning checks them. */
  importLearned(config: Config, entries: readonly LearnedEntry[], now: number): ImportResult {
    return importLearned(this, config, this.env, entries, now);
  }

  cacheEntries(now: number): Record<string, unknown>[] {
    return this.dumpCache(now) as unknown as Record<string, unknown>[];
  }

  /** A compact copy of the cache for a streamed `show cache` (typed arrays, no object per entry). */
  cacheSnapshot(now: number): CacheSnapshot {
    const c = this.cache;
    const snap = new CacheSnapshot(c.size, (slot) => this.slotName(slot));
    c.forEach((id) => {
      const state = c.isStale(id, now) ? STATE_STALE : c.stateOf(id);
      snap.push(c.key(id, 0), c.key(id, 1), c.key(id, 2), c.key(id, 3), c.key(id, 4), c.macOf(id), state);
    });
    return snap;
  }

  /** Limit counters (cheap: no walk over the cache). */
  limitFigures(): LimitFigures {
    const s = this.stats();
    return { requests: s.limits.requests, sends: s.limits.sends, quotaRefused: s.cache.quotaRefused };
  }

  cacheFigures(): CacheFigures {
    const c = this.cache;
    // Entries per (cache slot, family), counted at scrape time, never on the hot path.
    const counts = new Map<number, number>();
    c.forEach((id) => {
      const w0 = c.key(id, 0);
      const k = metaSlot(w0) * 2 + (metaIsV6(w0) ? 1 : 0);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    });
    const entries: CacheFigures['entries'] = [];
    for (const [name, slot] of this.cacheSlots()) {
      for (const family of [0, 1]) entries.push({ iface: name, family, size: counts.get(slot * 2 + family) ?? 0 });
    }
    // The event counters are the policy's own (PolicyStats): the exporter only reads them.
    const stats = this.stats();
    const counted = stats.cache;
    return {
      takeover: { conflicts: stats.guard.conflicts, moves: stats.guard.moves, freezes: stats.guard.freezes, pinnedRefused: stats.guard.pinnedRefused },
      limits: this.limitFigures(),
      entries,
      capacity: counted.capacity,
      evictions: counted.evictions,
      refreshFailures: counted.refreshFailures,
      resolveFailures: counted.resolveFailures,
    };
  }
}

export function realDeps(log: Logger): DaemonDeps & { dropName: (code: number) => string } {
  // One rtnetlink socket for links, addresses and routes (no polling, no `ip` children).
  const kernel = new KernelState();
  const preparer = new WorkerPreparer();
  return {
    prepareConfig: (path, runtimeStatics) => preparer.prepare(path, runtimeStatics),
    closePreparer: () => preparer.close(),
    loadConfig: (path) => loadConfig(path),
    // tun, WireGuard, PPP: refused with their link type (linktype.ts), as rtnetlink reports it.
    openRing: refuseLinksWithoutLinkLayer(
      (ifname: string, opts: RingOpenOptions) => pacedRing(Ring.open(ifname, { filter: opts.filter, promisc: opts.promisc, allmulti: opts.allmulti, ...ringOpenOptions(opts.ring) }), opts.ring),
      (name) => kernel.link(name)?.type ?? sysfsLinkType(name),
    ),
    compileFilter: (iface, config) => {
      const f = compileFilter(iface, config.cache, { log });
      return { program: f.program, text: f.fallback ? `${PLAIN_FILTER_NAME} (${f.reason})` : `${f.program.length} instructions` };
    },
    createPolicy: (config, env, output, logger) => new DaemonPolicy(config, env, output, logger),
    linkReader: kernelLinkReader(kernel),
    kernel,
    autowire: new Autowire(() => kernel.socket, (name) => {
      const link = kernel.link(name);
      if (!link) return undefined;
      const vrf = kernel.vrfOf(name);
      return { oif: link.index, table: (vrf && kernel.links.get(vrf)?.vrfTable) || RT_TABLE_MAIN };
    }, log),
    multicastSocket: udp6Socket,
    environment: new HostEnvironment(kernel),
    dropName: (code) => DROP_REASON_NAMES[code] ?? `code_${code}`,
  };
}
