// The settings of an `interface NAME` block, one handler per keyword.
import { Family, isLinkLocal6, type IpAddress, type Ip6 } from '../net/addr';
import { haLine, routeTableLine } from './ha';
import { INTERFACE_KEYWORDS } from './keywords';
import type { Tok } from './lexer';
import { MAX_STATICS } from './limits';
import type { Reporter } from './report';
import { limitLine } from './limit';
import { parseRing } from './ring';
import { parseRule } from './rule';
import { didYouMean } from './suggest';
import { NaSource, type InterfaceConfig } from './types';
import { address, choice, ip6, positive, unicastMac, vlans, yesNo } from './values';

/** Mutable state of an interface block while it is being read. */
export interface IfaceDraft {
  cfg: InterfaceConfig;
  seen: Map<string, number>; // single-use keyword -> line
  allmultiSet: boolean;
  ndLine: number; // first line of an ND-only setting, 0 if none
  uplinkLine: number; // first 'uplink' line, 0 if none
  staticLines: Map<string, number>; // address key -> line of its static
  listed: { uplink: Set<string>; exception: Set<string>; pin: Set<string> };
  /** False for a repeated interface: its block is checked but not kept (nor counted). */
  kept: boolean;
  /** Shared by every block of the file: statics kept so far (the static table is one for all). */
  totals: { statics: number };
}

export function newDraft(cfg: InterfaceConfig, totals: { statics: number }): IfaceDraft {
  return {
    cfg, seen: new Map(), allmultiSet: false, ndLine: 0, uplinkLine: 0,
    staticLines: new Map(), listed: { uplink: new Set(), exception: new Set(), pin: new Set() }, kept: true, totals,
  };
}

/** Settles what depends on the whole block (allmulti's default) and warns about what has no effect. */
export function finishInterface(r: Reporter, d: IfaceDraft): void {
  const cfg = d.cfg;
  const v6 = cfg.rules.some((x) => x.target.family === Family.V6) || cfg.statics.some((s) => s.address.family === Family.V6);
  // Solicited-node groups of proxied targets are never joined, so IPv6 needs all-multicast.
  if (!d.allmultiSet) cfg.allmulti = v6;
  if (!v6 && d.ndLine) {
    r.warn('W_ND_UNUSED', d.ndLine, 2, `ND-proxy settings on 'interface ${cfg.name}' have no effect: it has no IPv6 rules or statics`);
  }
  if (v6 && cfg.nd.uplinks.length && !cfg.nd.uplinks.some(isLinkLocal6)) {
    // RFC 4861 routers solicit from their link-local address; ndproxy(4) says list it.
    r.warn('W_UPLINK_NO_LINK_LOCAL', d.uplinkLine, 2, `no link-local 'uplink' on 'interface ${cfg.name}': routers usually solicit from fe80::/10, so most solicitations will be ignored`);
  }
  if (cfg.rules.length === 0 && cfg.statics.length === 0) {
    r.warn('W_NO_RULES', cfg.pos.line, cfg.pos.column, `'interface ${cfg.name}' has no rules and no statics: it never answers`);
  }
}

/** A hashable key for an address: duplicates are found in one lookup, not a scan. */
export function ip6Key(a: Ip6): string {
  return `${a[0]},${a[1]},${a[2]},${a[3]}`;
}
function ipKey(a: IpAddress): string {
  return a.family === Family.V4 ? String(a.v4) : ip6Key(a.v6);
}

const WHERE = 'interface';
const YES_NO = new Set(['promisc', 'allmulti', 'router', 'override']);
const WORD_SETTINGS: Record<string, { words: readonly string[]; expected: string }> = {
  dad: { words: ['defend', 'ignore'], expected: "'defend' or 'ignore'" },
  'na-source': { words: ['link-local', 'target'], expected: "'link-local' or 'target'" },
};

/** Reads one line of an interface block (not `end`). */
export function interfaceLine(r: Reporter, toks: Tok[], d: IfaceDraft): void {
  const kw = toks[0]!;
  const cfg = d.cfg;
  if (YES_NO.has(kw.text)) return yesNoSetting(r, toks, d);
  if (kw.text in WORD_SETTINGS) return wordSetting(r, toks, d);
  switch (kw.text) {
    case 'rule': {
      const rule = parseRule(r, toks);
      if (rule) cfg.rules.push(rule);
      return;
    }
    case 'static':
      return staticEntry(r, toks, d);
    case 'ha':
      return haLine(r, toks, cfg, d.seen);
    case 'table':
    case 'vrf':
      return routeTableLine(r, toks, cfg, d.seen);
    case 'pin':
      return pinList(r, toks, d);
    case 'uplink':
    case 'exception':
      return addressList(r, toks, d, kw.text);
    case 'timeout': {
      const v = r.oneArg(toks, 'seconds to hold an answer waiting for a MAC');
      if (!v || !r.once(d.seen, kw, WHERE)) return;
      const n = positive(r, v, 'seconds to hold an answer waiting for a MAC');
      if (n !== undefined) cfg.timeout = n;
      return;
    }
    case 'mac': {
      const v = r.oneArg(toks, 'a MAC address');
      if (!v || !r.once(d.seen, kw, WHERE)) return;
      const mac = unicastMac(r, v);
      if (mac !== undefined) cfg.mac = mac;
      return;
    }
    case 'vlan': {
      if (!toks[1]) return r.failEol('VLAN ids like 100,200-210, or any, or untagged');
      if (!r.once(d.seen, kw, WHERE)) return;
      const v = vlans(r, toks.slice(1));
      if (v !== undefined) cfg.vlans = v;
      return;
    }
    case 'limit':
      return limitLine(r, toks, (cfg.limits ??= {}), d.seen, false);
    case 'ring': {
      if (toks[1] && !r.once(d.seen, kw, WHERE)) return;
      const ring = parseRing(r, toks);
      if (ring) cfg.ring = ring;
      return;
    }
    default:
      unknownSetting(r, kw);
  }
}

function unknownSetting(r: Reporter, kw: Tok): void {
  const hint = didYouMean(kw.text, INTERFACE_KEYWORDS);
  // A rule written without its keyword (`0.0.0.0/0 198.51.100.0/24 tell`) is common after parpd.
  const known = hint || !/^[\d.:a-fA-F]+(\/\d+)?$/.test(kw.text) ? hint : " (a rule starts with 'rule')";
  r.failTok('E_CONFIG_SYNTAX', kw, `an interface setting: ${INTERFACE_KEYWORDS.join(', ')}${known}`);
}

function yesNoSetting(r: Reporter, toks: Tok[], d: IfaceDraft): void {
  const kw = toks[0]!;
  const v = r.oneArg(toks, "'yes' or 'no'");
  if (!v || !r.once(d.seen, kw, WHERE)) return;
  const b = yesNo(r, v);
  if (b === undefined) return;
  const cfg = d.cfg;
  if (kw.text === 'promisc') cfg.promisc = b;
  else if (kw.text === 'allmulti') {
    cfg.allmulti = b;
    d.allmultiSet = true;
  } else {
    if (kw.text === 'router') cfg.nd.router = b;
    else cfg.nd.override = b;
    if (!d.ndLine) d.ndLine = r.line;
  }
}

function wordSetting(r: Reporter, toks: Tok[], d: IfaceDraft): void {
  const kw = toks[0]!;
  const spec = WORD_SETTINGS[kw.text]!;
  const v = r.oneArg(toks, spec.expected);
  if (!v || !r.once(d.seen, kw, WHERE)) return;
  if (!d.ndLine) d.ndLine = r.line;
  const w = choice(r, v, spec.words, spec.expected);
  if (w === undefined) return;
  if (kw.text === 'dad') d.cfg.nd.dadDefend = w === 'defend';
  else d.cfg.nd.naSource = w === 'target' ? NaSource.Target : NaSource.LinkLocal;
}

function addressList(r: Reporter, toks: Tok[], d: IfaceDraft, kind: 'uplink' | 'exception'): void {
  const list = kind === 'uplink' ? d.cfg.nd.uplinks : d.cfg.nd.exceptions;
  const keys = d.listed[kind];
  if (!toks[1]) return r.failEol(`one or more IPv6 addresses`);
  if (!d.ndLine) d.ndLine = r.line;
  if (kind === 'uplink' && !d.uplinkLine) d.uplinkLine = r.line;
  for (let i = 1; i < toks.length; i++) {
    const t = toks[i]!;
    const a = ip6(r, t, kind);
    if (!a) continue;
    const key = ip6Key(a);
    if (keys.has(key)) {
      r.warn('W_DUPLICATE_ADDRESS', r.line, t.col, `${kind} ${t.text} is listed twice`);
      continue;
    }
    keys.add(key);
    list.push(a);
  }
}

/** `pin ADDRESS...`: IPv4 or IPv6, repeatable; a repeated address is a warning. */
function pinList(r: Reporter, toks: Tok[], d: IfaceDraft): void {
  if (!toks[1]) return r.failEol('one or more IP addresses to pin');
  const pins = (d.cfg.pins ??= []);
  for (let i = 1; i < toks.length; i++) {
    const t = toks[i]!;
    const a = address(r, t);
    if (!a) continue;
    const key = `pin ${ipKey(a)}`;
    if (d.listed.pin.has(key)) {
      r.warn('W_DUPLICATE_ADDRESS', r.line, t.col, `pin ${t.text} is listed twice`);
      continue;
    }
    d.listed.pin.add(key);
    pins.push(a);
  }
}

function staticEntry(r: Reporter, toks: Tok[], d: IfaceDraft): void {
  const [, at, mt, flag] = toks;
  if (!at) return r.failEol('an IP address');
  const addr = address(r, at);
  if (!addr) return;
  if (!mt) return r.failEol('a MAC address');
  const mac = unicastMac(r, mt);
  if (mac === undefined) return;
  let announce = false;
  if (flag) {
    if (flag.text !== 'announce') return r.failTok('E_CONFIG_SYNTAX', flag, "'announce' or end of line");
    announce = true;
    if (!r.noMore(toks, 4)) return;
  }
  const key = ipKey(addr);
  const first = d.staticLines.get(key);
  if (first !== undefined) {
    return r.failTok('E_CONFIG_DUPLICATE', at, `each static address once per interface (first at line ${first})`);
  }
  d.staticLines.set(key, r.line);
  if (d.kept && ++d.totals.statics === MAX_STATICS + 1) {
    r.failTok('E_CONFIG_LIMIT', toks[0]!, `at most ${MAX_STATICS} static entries in the file, all interfaces together (the size of the static table; this is entry ${MAX_STATICS + 1})`);
  }
  d.cfg.statics.push({ pos: r.pos(toks[0]!.col), address: addr, mac, announce });
}
