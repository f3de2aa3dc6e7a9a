// `rule SOURCE TARGET [delay] [verbose] [probes] ACTION` (`probe IFACE ...`: probe.ts).
import { Family, parseIp } from '../net/addr';
import { explainIp6, macByteCount } from './diagnose';
import { ACTION_EXPECTED, RULE_FLAGS, SIMPLE_ACTIONS, isOneOf } from './keywords';
import type { Tok } from './lexer';
import type { Reporter } from './report';
import { suggest } from './suggest';
import { parseProbe } from './probe';
import { ActionKind, type Rule, type RuleAction } from './types';
import { prefix, template, unicastMac } from './values';

/** Parses a rule line; returns the rule, or undefined when something was reported. */
export function parseRule(r: Reporter, toks: Tok[]): Rule | undefined {
  const [kw, st, tt] = toks as [Tok, Tok | undefined, Tok | undefined];
  if (!st) return void r.failEol('a source prefix');
  const source = prefix(r, st, 'source');
  if (!tt) return void r.failEol('a target prefix');
  const target = prefix(r, tt, 'target');
  if (!source || !target) return undefined;
  if (source.family !== target.family) {
    const fam = source.family === Family.V4 ? 'IPv4' : 'IPv6';
    return void r.failTok('E_CONFIG_VALUE', tt, `an ${fam} target like the source '${st.text}' (a rule is IPv4 or IPv6, not both)`);
  }
  const flags = { delay: false, verbose: false, probes: false };
  let i = 3;
  for (; i < toks.length && isOneOf(RULE_FLAGS, toks[i]!.text); i++) {
    const f = toks[i]!.text as keyof typeof flags;
    if (flags[f]) return void r.failTok('E_CONFIG_DUPLICATE', toks[i]!, `each flag once`);
    flags[f] = true;
  }
  if (!toks[i]) return void r.failEol(ACTION_EXPECTED);
  const action = parseAction(r, toks, i, target.family);
  if (!action) return undefined;
  return { pos: r.pos(kw.col), source, target, ...flags, action };
}

const AFTER_FLAGS = `end of line (flags ${RULE_FLAGS.map((f) => `'${f}'`).join(', ')} go before the action)`;

/** The action at toks[i] and nothing after it. */
function parseAction(r: Reporter, toks: Tok[], i: number, family: Family): RuleAction | undefined {
  const at = toks[i]!;
  const end = (n: number): boolean => r.noMore(toks, n, isOneOf(RULE_FLAGS, toks[n]?.text ?? '') ? AFTER_FLAGS : 'end of line');
  if (isOneOf(SIMPLE_ACTIONS, at.text)) {
    const kind = { ignore: ActionKind.Ignore, tell: ActionKind.Tell, self: ActionKind.Self, route: ActionKind.Route }[at.text];
    return end(i + 1) ? ({ kind } as RuleAction) : undefined;
  }
  if (at.text === 'probe') return parseProbe(r, toks, i);
  if (at.text === 'template') {
    const t = toks[i + 1];
    if (!t) return void r.failEol('a MAC template BASE/BITS like fe:fd:fd:fd:fd:00/8');
    const tpl = template(r, t, family);
    return tpl && end(i + 2) ? { kind: ActionKind.Template, template: tpl } : undefined;
  }
  const via = parseIp(at.text);
  if (via) {
    if (via.family !== family) {
      return void r.failTok('E_CONFIG_VALUE', at, `an ${family === Family.V4 ? 'IPv4' : 'IPv6'} address to redirect to (the rule's family)`);
    }
    return end(i + 1) ? { kind: ActionKind.Redirect, via } : undefined;
  }
  if (/^[^:-]+([:-][^:-]+){5}$/.test(at.text)) {
    // Six groups: meant as a MAC (an IPv6 address without '::' has eight).
    const mac = unicastMac(r, at);
    return mac !== undefined && end(i + 1) ? { kind: ActionKind.Mac, mac } : undefined;
  }
  reportBadAction(r, at);
  return undefined;
}

/** Says what the word in the action position was probably meant to be. */
function reportBadAction(r: Reporter, at: Tok): void {
  const bytes = macByteCount(at.text);
  if (bytes !== undefined) {
    return r.failTok('E_CONFIG_VALUE', at, `a MAC address of 6 bytes like 02:00:5e:00:53:01 (this has ${bytes})`);
  }
  const v6 = /^[\d:a-fA-F.]+$/.test(at.text) ? explainIp6(at.text) : undefined;
  if (v6) return r.failTok('E_CONFIG_VALUE', at, `an IPv6 address to redirect to (${v6})`);
  const word = suggest(at.text, [...SIMPLE_ACTIONS, 'template', 'probe', ...RULE_FLAGS]);
  if (word !== undefined) {
    const where = isOneOf(RULE_FLAGS, word) ? ` (did you mean the flag '${word}'? flags go before the action)` : ` (did you mean '${word}'?)`;
    return r.failTok('E_CONFIG_SYNTAX', at, `${ACTION_EXPECTED}${where}`);
  }
  r.failTok(/^[\d.:a-fA-F/-]+$/.test(at.text) ? 'E_CONFIG_VALUE' : 'E_CONFIG_SYNTAX', at, ACTION_EXPECTED);
}
