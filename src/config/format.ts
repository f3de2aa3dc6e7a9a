// Canonical text of a Config: every setting spelled out, one per line, in a fixed
// order. Parsing the output gives back an equal model (positions aside), which is what
// import-ndppd and the round-trip tests rely on.
import { formatIp, formatIp6, formatMac, formatPrefix } from '../net/addr';
import { ActionKind, type Config, type InterfaceConfig, type RingConfig, type Rule, type RuleAction } from './types';

export function formatAction(a: RuleAction): string {
  switch (a.kind) {
    case ActionKind.Redirect:
      return formatIp(a.via);
    case ActionKind.Mac:
      return formatMac(a.mac);
    case ActionKind.Template:
      return `template ${a.template.text}`; // as written, so the model round-trips
    case ActionKind.Probe: {
      const p = a.probe;
      return [`probe ${p.iface}`, p.autowire && 'autowire', `alive ${p.alive}`, `absent ${p.absent}`].filter(Boolean).join(' ');
    }
    default:
      return a.kind;
  }
}

export function formatRule(r: Rule): string {
  const flags = [r.delay && 'delay', r.verbose && 'verbose', r.probes && 'probes'].filter(Boolean);
  return ['rule', formatPrefix(r.source).padEnd(18), formatPrefix(r.target).padEnd(18), ...flags, formatAction(r.action)].join(' ');
}

/** `vlan` argument: `any`, or ids and ranges with 0 written as `untagged`. */
export function formatVlans(v: number[] | null): string {
  if (v === null) return 'any';
  const parts: string[] = [];
  for (let i = 0; i < v.length; ) {
    if (v[i] === 0) {
      parts.push('untagged');
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < v.length && v[j + 1] === v[j]! + 1) j++;
    parts.push(j > i ? `${v[i]}-${v[j]}` : `${v[i]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** `ring` arguments: the parts that are set, in a fixed order. */
export function formatRing(r: RingConfig): string {
  const parts: string[] = [];
  if (r.rxFrames !== undefined) parts.push(`rx ${r.rxFrames}`);
  if (r.txFrames !== undefined) parts.push(`tx ${r.txFrames}`);
  if (r.frameSize !== undefined) parts.push(`framesize ${r.frameSize}`);
  if (r.pace !== undefined) parts.push(`pace ${r.pace === 0 ? 'off' : r.pace}`);
  return parts.join(' ');
}

const yn = (b: boolean): string => (b ? 'yes' : 'no');

export function formatInterface(ifc: InterfaceConfig): string[] {
  const out = [`interface ${ifc.name}`];
  const put = (k: string, v: string): void => {
    out.push(` ${k.padEnd(10)} ${v}`);
  };
  put('timeout', String(ifc.timeout));
  put('vlan', formatVlans(ifc.vlans));
  put('promisc', yn(ifc.promisc));
  put('allmulti', yn(ifc.allmulti));
  if (ifc.mac !== null) put('mac', formatMac(ifc.mac));
  put('router', yn(ifc.nd.router));
  put('override', yn(ifc.nd.override));
  put('dad', ifc.nd.dadDefend ? 'defend' : 'ignore');
  put('na-source', ifc.nd.naSource);
  if (ifc.ring) put('ring', formatRing(ifc.ring));
  for (const u of ifc.nd.uplinks) put('uplink', formatIp6(u));
  for (const x of ifc.nd.exceptions) put('exception', formatIp6(x));
  for (const p of ifc.pins ?? []) put('pin', formatIp(p));
  for (const s of ifc.statics) put('static', `${formatIp(s.address)} ${formatMac(s.mac)}${s.announce ? ' announce' : ''}`);
  for (const r of ifc.rules) out.push(` ${formatRule(r)}`.trimEnd());
  out.push('end');
  return out;
}

/** The canonical text of `config`; parseConfig(formatConfig(c)) yields an equal model. */
export function formatConfig(config: Config): string {
  const out: string[] = [];
  const c = config.cache;
  if (c.explicit) {
    out.push('cache');
    out.push(` timeout    ${c.timeout}`);
    out.push(` tablesize  ${c.tablesize}`);
    out.push(` refresh    ${c.refresh.count}*${c.refresh.interval}`);
    if (c.delay.count > 0) out.push(` delay      ${c.delay.count}*${c.delay.window}`);
    if (c.stateFile !== undefined) out.push(` state-file ${c.stateFile ?? 'none'}`);
    if (c.probe?.aliveSize !== undefined) out.push(` probe-alive-size ${c.probe.aliveSize}`);
    if (c.probe?.absentSize !== undefined) out.push(` probe-absent-size ${c.probe.absentSize}`);
    if (c.probe?.rate !== undefined) out.push(` probe-rate ${c.probe.rate}`);
    if (c.probe?.burst !== undefined) out.push(` probe-burst ${c.probe.burst}`);
    out.push('end');
  }
  for (const ifc of config.interfaces) {
    if (out.length) out.push('');
    out.push(...formatInterface(ifc));
  }
  return out.join('\n') + '\n';
}
