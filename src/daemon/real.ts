// The daemon's dependencies on a real host: config parser, ring engine, BPF compiler,
// policy. Kept apart from daemon.ts so the daemon's logic is tested with fakes.
import { compileFilter } from '../bpf/compile';
import { loadConfig } from '../config';
import type { Config } from '../config/types';
import { Ring } from '../engine/ring';
import { formatIp4, formatIp6, formatMac } from '../net/addr';
import { Policy } from '../policy';
import { metaIsV6, metaSlot, metaVlan, KEY_WORDS } from '../policy/addrtable';
import type { PolicyEnvironment, PolicyOutput } from '../policy/types';
import { DROP_REASON_NAMES } from '../wire/drop';
import type { DaemonDeps, PolicyCore } from './daemon';
import { sysfsLinkReader } from './links';
import type { Logger } from './log';
import type { CacheFigures } from './metrics';

const STATE_NAMES = ['free', 'fresh', 'probing', 'incomplete'];

/** The policy with the introspection the control socket and metrics need. */
export class DaemonPolicy extends Policy implements PolicyCore {
  /**
   * Interface names by the policy's cache slot. The policy numbers names in the order it
   * first sees them across the configurations it is given; we see the same sequence.
   */
  private readonly slotNames: string[] = [];

  constructor(config: Config, env: PolicyEnvironment, output: PolicyOutput, logger: Logger) {
    super({ config, env, output, logger });
    this.noteNames(config);
  }

  private noteNames(config: Config): void {
    for (const c of config.interfaces) if (!this.slotNames.includes(c.name)) this.slotNames.push(c.name);
  }

  override reload(config: Config, now = 0): void {
    super.reload(config, now);
    this.noteNames(config);
  }

  cacheEntries(now: number): Record<string, unknown>[] {
    const c = this.cache;
    const keys = c.table.keys;
    const out: Record<string, unknown>[] = [];
    c.forEach((id) => {
      const o = id * KEY_WORDS;
      const w0 = keys[o]!;
      const v6 = metaIsV6(w0);
      const mac = c.macOf(id);
      out.push({
        interface: this.slotNames[metaSlot(w0)] ?? `#${metaSlot(w0)}`,
        vlan: metaVlan(w0),
        address: v6 ? formatIp6(keys.subarray(o + 1, o + 5)) : formatIp4(keys[o + 4]!),
        mac: mac < 0 ? null : formatMac(mac),
        state: c.isStale(id, now) ? 'stale' : (STATE_NAMES[c.state[id]!] ?? String(c.state[id])),
      });
    });
    return out;
  }

  cacheFigures(): CacheFigures {
    const c = this.cache;
    const keys = c.table.keys;
    const counts = new Map<string, number>();
    c.forEach((id) => {
      const w0 = keys[id * KEY_WORDS]!;
      const k = `${metaSlot(w0)}/${metaIsV6(w0) ? 1 : 0}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    });
    const entries: CacheFigures['entries'] = [];
    this.slotNames.forEach((name, slot) => {
      for (const family of [0, 1]) entries.push({ iface: name, family, size: counts.get(`${slot}/${family}`) ?? 0 });
    });
    return {
      entries,
      capacity: c.capacity,
      evictions: c.evictions,
      refreshFailures: c.expired,
      resolveFailures: c.resolveFailures,
    };
  }
}

export function realDeps(log: Logger): DaemonDeps & { dropName: (code: number) => string } {
  return {
    loadConfig: (path) => loadConfig(path),
    openRing: (ifname, opts) => Ring.open(ifname, { filter: opts.filter, promisc: opts.promisc, allmulti: opts.allmulti }),
    compileFilter: (iface, config) => {
      const f = compileFilter(iface, config.cache, { log });
      return { program: f.program, text: f.fallback ? `plain ARP+NS filter (${f.reason})` : `${f.program.length} instructions` };
    },
    createPolicy: (config, env, output, logger) => new DaemonPolicy(config, env, output, logger),
    linkReader: sysfsLinkReader,
    dropName: (code) => DROP_REASON_NAMES[code] ?? `code_${code}`,
  };
}
