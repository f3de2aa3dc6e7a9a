// `neighproxy ctl show` output for people: aligned columns with a header, one row per
// entry, `-` for "none" (untagged, no MAC yet), the way `ip neigh` and `ss` print.
// `--json` prints the daemon's answer instead, for scripts.

/** Left-aligned columns two spaces apart; the last column is not padded. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

const text = (v: unknown): string => (v === null || v === undefined || v === '' ? '-' : String(v));
/** The daemon says -1 for an untagged entry. */
const vlan = (v: unknown): string => (typeof v === 'number' && v >= 0 ? String(v) : '-');

interface CacheRow { interface?: unknown; vlan?: unknown; family?: unknown; address?: unknown; mac?: unknown; state?: unknown }

export function renderCache(res: { entries?: unknown }): string {
  const entries = (Array.isArray(res.entries) ? res.entries : []) as CacheRow[];
  if (entries.length === 0) return 'no learned entries\n';
  const rows = entries.map((e) => [text(e.address), text(e.interface), vlan(e.vlan), text(e.mac), text(e.state)]);
  return formatTable(['ADDRESS', 'INTERFACE', 'VLAN', 'MAC', 'STATE'], rows);
}

interface RulesIface {
  name: string;
  rules?: { line?: unknown; source?: unknown; target?: unknown; flags?: unknown; action?: unknown }[];
  statics?: { line?: unknown; address?: unknown; mac?: unknown; announce?: unknown }[];
}

export function renderRules(res: { file?: unknown; interfaces?: unknown }): string {
  const ifaces = (Array.isArray(res.interfaces) ? res.interfaces : []) as RulesIface[];
  const out: string[] = [`configuration ${text(res.file)}`];
  for (const i of ifaces) {
    out.push('', `interface ${i.name}`);
    const rules = i.rules ?? [];
    out.push(rules.length === 0 ? 'no rules' : formatTable(['LINE', 'SOURCE', 'TARGET', 'FLAGS', 'ACTION'], rules.map((r) => [
      text(r.line), text(r.source), text(r.target), Array.isArray(r.flags) && r.flags.length > 0 ? r.flags.join(',') : '-', text(r.action),
    ])).trimEnd());
    const statics = i.statics ?? [];
    if (statics.length > 0) {
      out.push(formatTable(['LINE', 'STATIC', 'MAC', 'ANNOUNCE'], statics.map((s) => [
        s.line === 0 || s.line === undefined ? 'ctl' : text(s.line), text(s.address), text(s.mac), s.announce ? 'yes' : 'no',
      ])).trimEnd());
    }
  }
  return out.join('\n') + '\n';
}

interface StatsIface {
  name: string;
  open?: unknown;
  ifindex?: unknown;
  requests?: { ipv4?: number; ipv6?: number };
  replies?: Record<string, Record<string, number>>;
  unanswered?: { ipv4?: number; ipv6?: number };
  delayedAnswered?: { ipv4?: number; ipv6?: number };
  ring?: { framesReceived?: number; kernelDrops?: number; txRingFull?: number };
}

const sum = (o: Record<string, number> | undefined): number => Object.values(o ?? {}).reduce((a, b) => a + b, 0);
const pair = (o: { ipv4?: number; ipv6?: number } | undefined): string => `${o?.ipv4 ?? 0}/${o?.ipv6 ?? 0}`;

export function renderStats(res: { interfaces?: unknown; reloads?: unknown; ha?: unknown }): string {
  const ifaces = (Array.isArray(res.interfaces) ? res.interfaces : []) as StatsIface[];
  const rows = ifaces.map((i) => [
    i.name, i.open ? 'open' : 'closed', text(i.ifindex), pair(i.requests),
    `${sum(i.replies?.ipv4)}/${sum(i.replies?.ipv6)}`, pair(i.unanswered), pair(i.delayedAnswered),
    String(i.ring?.framesReceived ?? 0), String(i.ring?.kernelDrops ?? 0), String(i.ring?.txRingFull ?? 0),
  ]);
  const table = formatTable(['INTERFACE', 'RING', 'IFINDEX', 'REQUESTS', 'REPLIES', 'UNANSWERED', 'DELAYED', 'FRAMES', 'KDROPS', 'TXFULL'], rows);
  const r = (res.reloads ?? {}) as { ok?: number; failed?: number };
  return `${table}(REQUESTS, REPLIES, UNANSWERED, DELAYED: IPv4/IPv6)\nreloads: ${r.ok ?? 0} ok, ${r.failed ?? 0} failed\n${renderHa(res.ha)}`;
}

interface HaRow { interface: string; role: string; source: string; since: string; transitions?: { toActive?: number; toStandby?: number }; takeovers?: number; announcements?: number; vmacSkipped?: number }

/** The HA roles of `show stats` (only interfaces with a role other than the default). */
function renderHa(ha: unknown): string {
  const list = (Array.isArray(ha) ? ha : []) as HaRow[];
  const shown = list.filter((h) => h.source !== 'default' || h.role !== 'active');
  if (shown.length === 0) return '';
  const rows = shown.map((h) => [h.interface, h.role, h.source, h.since, `${h.transitions?.toActive ?? 0}/${h.transitions?.toStandby ?? 0}`,
    String(h.takeovers ?? 0), String(h.announcements ?? 0), String(h.vmacSkipped ?? 0)]);
  return formatTable(['INTERFACE', 'ROLE', 'BY', 'SINCE', 'TO ACTIVE/STANDBY', 'TAKEOVERS', 'ANNOUNCED', 'VMAC'], rows);
}
