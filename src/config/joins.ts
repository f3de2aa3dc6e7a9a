// Which solicited-node groups a configuration asks the daemon to join (src/daemon/mld.ts),
// and which IPv6 rules no join can cover: `check` names those.
import { Family, formatIp6, newIp6, solicitedNode6, type Ip6 } from '../net/addr';
import { ActionKind, type Config, type InterfaceConfig, type StaticEntry } from './types';

/** Solicited-node group of a target, as text ("ff02::1:ff00:33"). */
export function solicitedNodeGroup(target: Ip6): string {
  return formatIp6(solicitedNode6(target, newIp6()));
}

/**
 * The groups one interface should join: every IPv6 static entry (file and `ctl add`)
 * and every /128 target of a rule that answers. Prefix rules cannot be covered.
 */
export function desiredGroups(cfg: InterfaceConfig, extraStatics: readonly StaticEntry[] = []): Set<string> {
  const out = new Set<string>();
  for (const s of [...cfg.statics, ...extraStatics]) {
    if (s.address.family === Family.V6) out.add(solicitedNodeGroup(s.address.v6));
  }
  for (const r of cfg.rules) {
    if (r.target.family === Family.V6 && r.target.bits === 128 && r.action.kind !== ActionKind.Ignore) {
      out.add(solicitedNodeGroup(r.target.v6));
    }
  }
  return out;
}

/** IPv6 rules whose targets are prefixes (not /128) and answer: joins cannot cover them. */
export function uncoveredPrefixRules(config: Pick<Config, 'interfaces'>): { iface: string; line: number; target: string }[] {
  const out: { iface: string; line: number; target: string }[] = [];
  for (const i of config.interfaces) {
    for (const r of i.rules) {
      if (r.target.family !== Family.V6 || r.target.bits === 128 || r.action.kind === ActionKind.Ignore) continue;
      out.push({ iface: i.name, line: r.pos.line, target: `${formatIp6(r.target.v6)}/${r.target.bits}` });
    }
  }
  return out;
}

