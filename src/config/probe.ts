// The `probe IFACE [autowire] [alive SECONDS] [absent SECONDS]` action, and the whole-file
// step that links each probe rule to the interface it asks on: that interface must be an
// `interface` block of the same file (its ring sends the probes and hears the replies), and
// it learns which target prefixes are asked for on it (its filter passes their replies). A
// probe interface without a block is a link without link layer (tun, WireGuard, PPP): there
// a target counts as alive when the kernel routes it through that link.
import { explainIfName } from './ifname';
import { DEFAULT_PROBE_ABSENT, DEFAULT_PROBE_ALIVE, PROBE_OPTIONS, isOneOf } from './keywords';
import type { Tok } from './lexer';
import type { Reporter } from './report';
import { ActionKind, type Config, type RuleAction } from './types';
import { positive } from './values';

/** `probe` at toks[i]: the interface name, then options in any order, each once. */
export function parseProbe(r: Reporter, toks: Tok[], i: number): RuleAction | undefined {
  const name = toks[i + 1];
  if (!name) return void r.failEol('the interface to probe on, like eth1 (probe IFACE)');
  const bad = explainIfName(name.text);
  if (bad) return void r.failTok('E_CONFIG_VALUE', name, bad);
  const probe = { iface: name.text, autowire: false, alive: DEFAULT_PROBE_ALIVE, absent: DEFAULT_PROBE_ABSENT };
  const seen = new Set<string>();
  for (let j = i + 2; j < toks.length; j++) {
    const t = toks[j]!;
    if (!isOneOf(PROBE_OPTIONS, t.text)) {
      return void r.failTok('E_CONFIG_SYNTAX', t, `end of line or a probe option: ${PROBE_OPTIONS.map((o) => `'${o}'`).join(', ')}`);
    }
    if (seen.has(t.text)) return void r.failTok('E_CONFIG_DUPLICATE', t, 'each probe option once');
    seen.add(t.text);
    if (t.text === 'autowire') {
      probe.autowire = true;
      continue;
    }
    const v = toks[++j];
    if (!v) return void r.failEol(`seconds after '${t.text}'`);
    const n = positive(r, v, `seconds a target found ${t.text} is remembered`);
    if (n === undefined) return undefined;
    probe[t.text as 'alive' | 'absent'] = n;
  }
  return { kind: ActionKind.Probe, probe };
}

/** Checks every probe rule's interface and fills in `probed` of the interfaces asked on. */
export function linkProbes(r: Reporter, config: Config): void {
  const byName = new Map(config.interfaces.map((c) => [c.name, c]));
  for (const ifc of config.interfaces) {
    for (const rule of ifc.rules) {
      if (rule.action.kind !== ActionKind.Probe) continue;
      const name = rule.action.probe.iface;
      const down = byName.get(name);
      if (name === ifc.name) {
        r.failAt('E_CONFIG_VALUE', rule.pos, `'probe ${name}'`, `another interface than the one the rule is in (the request came on ${name})`);
      } else if (!down && rule.action.probe.autowire) {
        r.failAt('E_CONFIG_VALUE', rule.pos, `'probe ${name} autowire'`, `an interface with its own 'interface ${name}' block (its ring sends the probes and hears the answers; without one, on a tun/WireGuard/PPP link, the target must be routed there already)`);
      } else if (!down) {
        // No block: a link without link layer (no ARP/ND to probe with): the kernel's route
        // through it says the host is there. `check` refuses an existing link that has one.
        rule.action.probe.viaRoute = true;
      } else {
        (down.probed ??= []).push(rule.target);
        // An empty block is what a probed interface needs: its "never answers" warning is noise.
        const w = r.warnings.findIndex((x) => x.code === 'W_NO_RULES' && x.line === down.pos.line);
        if (w >= 0) r.warnings.splice(w, 1);
      }
    }
  }
}
