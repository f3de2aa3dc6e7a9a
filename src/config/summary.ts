// What `neighproxy check` prints about a valid configuration: enough for an operator
// to see that the file means what they think, without touching any interface.
import { Family, formatIp, formatIp6, formatMac } from '../net/addr';
import { formatVlans } from './format';
import { desiredGroups, uncoveredPrefixRules } from './joins';
import { cacheBytes, formatBytes, HA_ANSWERED_TARGETS, MLD_MAX_GROUPS } from './limits';
import { WORKERS_DEFAULT_CAP } from './keywords';
import { describePace, describeRing, ringBytes } from './ring';
import { ActionKind, type Config, type InterfaceConfig } from './types';

/** Describes the kernel filter an interface would get (the BPF compiler plugs in here). */
export type FilterDescriber = (iface: InterfaceConfig, config: Config) => string;

/** Used while no filter compiler is wired in. */
export const defaultFilterDescriber: FilterDescriber = () => 'default ARP+NS filter';

const ACTION_ORDER: ActionKind[] = [
  ActionKind.Ignore, ActionKind.Tell, ActionKind.Redirect, ActionKind.Mac,
  ActionKind.Self, ActionKind.Route, ActionKind.Template, ActionKind.Probe,
];

const yn = (b: boolean): string => (b ? 'yes' : 'no');

export function summarizeConfig(config: Config, describeFilter: FilterDescriber = defaultFilterDescriber): string {
  const c = config.cache;
  const out: string[] = [];
  const v4 = config.interfaces.reduce((n, i) => n + i.rules.filter((r) => r.target.family === Family.V4).length, 0);
  const v6 = config.interfaces.reduce((n, i) => n + i.rules.filter((r) => r.target.family === Family.V6).length, 0);
  out.push(`${config.file}: valid: ${config.interfaces.length} interface(s), ${v4 + v6} rule(s) (IPv4 ${v4}, IPv6 ${v6})`);
  out.push(
    `cache${c.explicit ? '' : ' (defaults)'}: timeout ${c.timeout} s${c.timeout === 0 ? ' (learning off)' : ''}, tablesize ${c.tablesize} entries (${formatBytes(cacheBytes(c.tablesize))}), ` +
      `refresh ${c.refresh.count}*${c.refresh.interval} (${c.refresh.count} unicast probes ${c.refresh.interval} s apart), ` +
      (c.delay.count > 0 ? `delay ${c.delay.count}*${c.delay.window} (answer request ${c.delay.count} within ${c.delay.window} s)` : 'delay unset'),
  );
  out.push(`workers    ${describeWorkers(config)}`);
  for (const ifc of config.interfaces) {
    out.push(`interface ${ifc.name} (line ${ifc.pos.line})`);
    const r4 = ifc.rules.filter((r) => r.target.family === Family.V4).length;
    out.push(`  rules      ${ifc.rules.length} (IPv4 ${r4}, IPv6 ${ifc.rules.length - r4})`);
    const counts = ACTION_ORDER.map((k) => [k, ifc.rules.filter((r) => r.action.kind === k).length] as const)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`);
    out.push(`  actions    ${counts.length ? counts.join(', ') : 'none'}`);
    const flagged = (f: 'delay' | 'verbose' | 'probes'): number => ifc.rules.filter((r) => r[f]).length;
    out.push(`  flags      delay ${flagged('delay')}, verbose ${flagged('verbose')}, probes ${flagged('probes')}`);
    const ann = ifc.statics.filter((s) => s.announce).length;
    out.push(`  statics    ${ifc.statics.length}${ann ? ` (${ann} announced)` : ''}`);
    out.push(
      `  link       hold timeout ${ifc.timeout} s, vlan ${formatVlans(ifc.vlans)}, promisc ${yn(ifc.promisc)}, allmulti ${yn(ifc.allmulti)}, ` +
        `mac ${ifc.mac === null ? "the interface's own" : formatMac(ifc.mac)}`,
    );
    const hasV6 = ifc.rules.length - r4 > 0 || ifc.statics.some((s) => s.address.family === Family.V6);
    if (hasV6) {
      const nd = ifc.nd;
      const SHOWN = 8; // a file may list 100 000 uplinks: name a few and count them
      const ups = nd.uplinks.length === 0 ? 'any'
        : nd.uplinks.slice(0, SHOWN).map(formatIp6).join(' ') + (nd.uplinks.length > SHOWN ? ` ... (${nd.uplinks.length} in all)` : '');
      out.push(
        `  nd-proxy   uplinks ${ups}; exceptions ${nd.exceptions.length}; router ${yn(nd.router)}, override ${yn(nd.override)}, ` +
          `dad ${nd.dadDefend ? 'defend' : 'ignore'}, na-source ${nd.naSource}`,
      );
      out.push(`  mld        ${describeJoins(ifc)}`);
    } else {
      out.push('  nd-proxy   off (no IPv6 rules or statics)');
    }
    if (ifc.ha) out.push(`  ha         ${describeHa(ifc)}`);
    if (ifc.routeTable !== undefined || ifc.routeVrf !== undefined) {
      out.push(`  route      lookups in ${ifc.routeVrf !== undefined ? `VRF ${ifc.routeVrf}` : `table ${ifc.routeTable}`}`);
    }
    out.push(`  ring       ${describeRing(ifc.ring)}`);
    out.push(`  ring pace  ${describePace(ifc.ring)}`);
    out.push(`  filter     ${describeFilter(ifc, config)}`);
  }
  return out.join('\n') + '\n';
}

/**
 * What `workers` costs: every worker maps every interface's rings, the cache is shared out
 * (each key has one owner). Host-independent: the CPU count is read at start.
 */
function describeWorkers(config: Config): string {
  const rings = formatBytes(config.interfaces.reduce((n, i) => n + ringBytes(i.ring), 0));
  const cache = `the cache (${formatBytes(cacheBytes(config.cache.tablesize))}) is shared out, tablesize / workers each`;
  const w = config.workers;
  const autowire = config.interfaces.some((i) => i.rules.some((r) => r.action.kind === ActionKind.Probe && r.action.probe.autowire));
  if (w === 1 || (w === undefined && autowire)) return `1${w === undefined ? " (the default with 'probe ... autowire', which one worker runs)" : ''}: rings ${rings}`;
  const n = typeof w === 'number' ? `${w}` : `${w === undefined ? 'auto (the default)' : 'auto'}: one per online CPU, at most ${WORKERS_DEFAULT_CAP}`;
  return `${n}; each maps every ring: ${rings} per worker; ${cache}`;
}

/** The HA role source and what a takeover sends (none when answers carry a VRRP virtual MAC). */
function describeHa(ifc: InterfaceConfig): string {
  const ha = ifc.ha!;
  const role = ha.track ? `active while ${formatIp(ha.track)} is configured here` : `${ha.role ?? 'active'} (ctl role changes it)`;
  const vmac = ifc.mac !== null && Math.floor(ifc.mac / 256) >= 0x5e0001 && Math.floor(ifc.mac / 256) <= 0x5e0002;
  const burst = vmac
    ? `no takeover burst for answers with mac ${formatMac(ifc.mac!)}: a VRRP virtual MAC is the same on both routers and moves with the master, so clients' entries stay right`
    : `takeover: 3 gratuitous ARP / unsolicited NA 1 s apart for statics and targets answered within the cache timeout (at most ${HA_ANSWERED_TARGETS})`;
  return `${role}; ${burst}; refresh ${ha.refresh > 0 ? `every ${ha.refresh} s` : 'off'}`;
}

/** The groups joined for an interface, and the prefix rules joins cannot cover (behind MLD snooping). */
function describeJoins(ifc: InterfaceConfig): string {
  const n = desiredGroups(ifc).size;
  const joins = `joins ${Math.min(n, MLD_MAX_GROUPS)} solicited-node group(s) (at most ${MLD_MAX_GROUPS}${n > MLD_MAX_GROUPS ? `: ${n - MLD_MAX_GROUPS} left out` : ''}), ` +
    `plus the groups of targets answered or learned while running, up to ${MLD_MAX_GROUPS} in all`;
  const lines = uncoveredPrefixRules({ interfaces: [ifc] }).map((r) => r.line);
  return lines.length === 0 ? joins
    : `${joins}; prefix rule(s) on line ${lines.join(', ')} not covered by joins: behind an MLD-snooping switch this port must get all multicast (mrouter port, or snooping off); allmulti here cannot help`;
}
