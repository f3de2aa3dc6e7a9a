// Control-socket commands (`neighproxy ctl`): show rules / cache / stats, add and del
// static entries. Requests arrive already validated by control.ts; this module turns
// them into policy and filter changes and answers with plain objects.
import { lossSplit } from './loss';
import type { Config } from '../config/types';
import { formatAction, formatRule } from '../config/format';
import { formatIp, formatMac, formatPrefix, parseIp, parseMac, type IpAddress } from '../net/addr';
import type { RingOutput } from '../pipeline/output';
import { FAMILY_NAMES, REPLY_ACTIONS } from '../pipeline/stats';
import { SharedSnapshot } from './cache-dump';
import { ControlError, type ControlHandler } from './control';
import type { HaController } from './ha';
import type { IfaceState, InterfaceSet } from './interfaces';
import type { Logger } from './log';
import type { PolicyCore } from './ports';
import type { RunningConfig } from './reload';

/** What the commands act on: the daemon's parts, read at each request. */
export interface CommandContext {
  readonly running: RunningConfig;
  readonly interfaces: InterfaceSet;
  readonly output: RingOutput;
  readonly reloads: { ok: number; failed: number };
  readonly log: Logger;
  policy(): PolicyCore;
  clock(): number;
  /** `ctl save`: writes the state file (warm.ts); absent when the daemon keeps none. */
  saveState?(): Record<string, unknown>;
  /** HA roles (ha.ts); absent in contexts without one. */
  readonly ha?: HaController;
  /** Solicited-node joins (mld.ts): counters, groups held, budget left; absent when off. */
  mld?(): Record<string, unknown>;
}

function address(text: string): IpAddress {
  const a = parseIp(text);
  if (!a) throw new ControlError('E_BAD_ADDRESS', `'${text}' is not an IPv4 or IPv6 address`);
  return a;
}

function ifIndexFor(config: Config, name: string | null, a: IpAddress): number {
  const ifaces = config.interfaces;
  if (name !== null) {
    const i = ifaces.findIndex((c) => c.name === name);
    if (i < 0) throw new ControlError('E_NO_INTERFACE', `interface '${name}' is not in the configuration (${ifaces.map((c) => c.name).join(', ')})`);
    return i;
  }
  if (ifaces.length === 1) return 0;
  throw new ControlError('E_NEED_INTERFACE', `${formatIp(a)}: several interfaces are configured, say which with "interface"`);
}

function showRules(cfg: Config): Record<string, unknown> {
  return {
    file: cfg.file,
    interfaces: cfg.interfaces.map((c) => ({
      name: c.name,
      rules: c.rules.map((r) => ({
        line: r.pos.line,
        source: formatPrefix(r.source),
        target: formatPrefix(r.target),
        flags: [r.delay && 'delay', r.verbose && 'verbose', r.probes && 'probes'].filter(Boolean),
        action: formatAction(r.action),
        text: formatRule(r).replace(/\s+/g, ' '),
      })),
      statics: c.statics.map((s) => ({ line: s.pos.line, address: formatIp(s.address), mac: formatMac(s.mac), announce: s.announce })),
    })),
  };
}

function statsOf(st: IfaceState): Record<string, unknown> {
  const s = st.slot.stats;
  const fam = (a: Float64Array) => ({ ipv4: a[0], ipv6: a[1] });
  const replies: Record<string, Record<string, number>> = {};
  for (let f = 0; f < 2; f++) {
    const r: Record<string, number> = {};
    for (let a = 0; a < REPLY_ACTIONS.length; a++) {
      const v = s.replies[f * REPLY_ACTIONS.length + a]!;
      if (v > 0) r[REPLY_ACTIONS[a]!] = v;
    }
    replies[FAMILY_NAMES[f]!] = r;
  }
  return {
    name: st.name,
    open: st.ring !== null,
    ifindex: st.ring?.ifindex ?? null,
    requests: fam(s.requests),
    replies,
    unanswered: fam(s.unanswered),
    delayedAnswered: fam(s.delayedAnswered),
    ring: s.ring(),
    loss: lossSplit(s),
  };
}

/** Recompiles one interface's filter after a runtime static change; the ring gets it when it differs. */
function refreshFilter(ctx: CommandContext, ifIndex: number): void {
  const name = ctx.running.config!.interfaces[ifIndex]!.name;
  ctx.interfaces.replaceFilter(name, ctx.running.filterOf(ifIndex));
}

export function controlHandler(ctx: CommandContext): ControlHandler {
  // Dumps asked for within a second share one compact snapshot, streamed in slices.
  const snapshot = new SharedSnapshot(() => {
    const p = ctx.policy();
    if (p.cacheSnapshot) return p.cacheSnapshot(ctx.clock());
    const list = p.cacheEntries(ctx.clock());
    return { length: list.length, entry: (i) => list[i]! };
  });
  const save = ctx.saveState;
  return {
    ...(save ? { save: () => save() } : {}),
    cacheSource: () => snapshot.get(),
    show: (what) => {
      if (what === 'rules') return showRules(ctx.running.config!);
      if (what === 'cache') return { entries: ctx.policy().cacheEntries(ctx.clock()) };
      // The interfaces first: listing them collects the workers' counts that workerFigures reports.
      const interfaces = [...ctx.interfaces.list()].map(statsOf);
      const workers = ctx.interfaces.workerFigures();
      const probe = ctx.policy().probes?.stats?.(ctx.clock());
      const limits = ctx.policy().limitFigures?.();
      return {
        interfaces, reloads: ctx.reloads, ha: ctx.ha?.show() ?? [], withheld: ctx.output.withheld,
        ...(probe ? { probe } : {}),
        ...(limits ? { limits } : {}),
        ...(workers ? { workers } : {}),
        ...(ctx.mld ? { mld: ctx.mld() } : {}),
      };
    },
    role: (req) => {
      const config = ctx.running.config!;
      if (req.interface !== null && !config.interfaces.some((c) => c.name === req.interface)) {
        throw new ControlError('E_NO_INTERFACE', `interface '${req.interface}' is not in the configuration (${config.interfaces.map((c) => c.name).join(', ')})`);
      }
      if (!ctx.ha) throw new ControlError('E_NO_HA', 'this daemon has no HA controller');
      const changed = ctx.ha.setRole(req.role, req.interface);
      ctx.log.info({ event: 'ha_ctl_role', role: req.role, interfaces: changed }, `ctl role ${req.role} for ${changed.join(', ')}`);
      return { role: req.role, interfaces: ctx.ha.show().filter((s) => changed.includes(String(s.interface))) };
    },
    add: (req) => {
      const a = address(req.address);
      const mac = parseMac(req.mac);
      if (mac === undefined) throw new ControlError('E_BAD_MAC', `'${req.mac}' is not a MAC address (expected 02:00:5e:00:53:01)`);
      const config = ctx.running.config!;
      const i = ifIndexFor(config, req.interface, a);
      if (!ctx.policy().addStatic(i, a, mac, req.announce, ctx.clock())) {
        throw new ControlError('E_TABLE_FULL', `the static table is full: ${formatIp(a)} not added`);
      }
      const name = config.interfaces[i]!.name;
      ctx.running.addStatic(name, { pos: { file: 'control socket', line: 0, column: 0 }, address: a, mac, announce: req.announce });
      refreshFilter(ctx, i);
      ctx.output.flushAll();
      ctx.log.info({ event: 'static_added', interface: name, address: formatIp(a), mac: formatMac(mac), announce: req.announce }, 'static entry added');
      return { interface: name, address: formatIp(a), mac: formatMac(mac) };
    },
    del: (req) => {
      const a = address(req.address);
      const config = ctx.running.config!;
      const ifaces = req.interface !== null ? [ifIndexFor(config, req.interface, a)] : config.interfaces.map((_, i) => i);
      let removed = 0;
      for (const i of ifaces) {
        if (!ctx.policy().removeStatic(i, a)) continue;
        removed++;
        ctx.running.removeStatic(config.interfaces[i]!.name, a);
        refreshFilter(ctx, i);
      }
      if (removed === 0) throw new ControlError('E_NOT_FOUND', `no static entry for ${formatIp(a)}`);
      ctx.log.info({ event: 'static_removed', address: formatIp(a) }, 'static entry removed');
      return { address: formatIp(a), removed };
    },
  };
}
