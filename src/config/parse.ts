// Parser for the neighproxy configuration language: parpd's (`cache` block,
// `interface NAME` blocks of `rule SOURCE TARGET [flags] ACTION` lines, `#` comments,
// `end`) extended in the same one-directive-per-line style for IPv6 and ND proxying.
// Every problem is collected (not just the first) so an operator fixes a file in one go.
import { readFileSync } from 'node:fs';
import {
  Family,
  formatPrefix,
  isMulticastMac,
  mask4,
  parseIp,
  parseIp6,
  parseMac,
  parsePrefix,
  inPrefix6,
  ip6Equal,
  isLinkLocal6,
  type IpAddress,
  type Ip6,
  type Mac,
  type Prefix,
} from '../net/addr';
import { ConfigError, type ConfigErrorCode, type ConfigWarning, type ConfigWarningCode } from './errors';
import {
  ActionKind,
  NaSource,
  type CacheConfig,
  type Config,
  type InterfaceConfig,
  type MacTemplate,
  type Rule,
  type RuleAction,
  type SourcePos,
  type StaticEntry,
} from './types';

/** Values used when the file does not say. Documented in README.md (section Configuration). */
export const DEFAULT_CACHE: Readonly<Omit<CacheConfig, 'explicit'>> = Object.freeze({
  timeout: 300,
  tablesize: 65536,
  refresh: Object.freeze({ count: 3, interval: 5 }),
  // count 0 = unset: `delay` rules answer at once (and a warning says so).
  delay: Object.freeze({ count: 0, window: 0 }),
});
/** Interface `timeout`: seconds an answer waiting for a redirect target's MAC is held. */
export const DEFAULT_HOLD_TIMEOUT = 1;

export const CACHE_KEYWORDS = ['timeout', 'tablesize', 'refresh', 'delay', 'end'] as const;
export const INTERFACE_KEYWORDS = [
  'timeout', 'rule', 'static', 'mac', 'vlan', 'promisc', 'allmulti',
  'uplink', 'exception', 'router', 'override', 'dad', 'na-source', 'end',
] as const;
export const RULE_FLAGS = ['delay', 'verbose', 'probes'] as const;
export const SIMPLE_ACTIONS = ['ignore', 'tell', 'self', 'route'] as const;

const ACTION_EXPECTED =
  "an action: ignore, tell, self, route, an IP address (redirect), a MAC address, or template MAC/BITS";

interface Tok {
  text: string;
  col: number;
}

/** Splits one line into tokens with 1-based columns; `#` starts a comment. */
function tokenize(line: string): { toks: Tok[]; eol: number } {
  const hash = line.indexOf('#');
  const body = hash < 0 ? line : line.slice(0, hash);
  const toks: Tok[] = [];
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body)) !== null) toks.push({ text: m[0], col: m.index + 1 });
  const last = toks[toks.length - 1];
  return { toks, eol: last ? last.col + last.text.length : 1 };
}

function quote(t: string): string {
  return `'${t}'`;
}

const IFNAME_RE = /^[^\s/:]{1,15}$/;

/** Mutable state of an interface block while it is being read. */
interface IfaceDraft {
  cfg: InterfaceConfig;
  seen: Map<string, number>; // single-use keyword -> line
  allmultiSet: boolean;
  ruleLines: number[];
  ndLine: number; // first line of an ND-only setting, 0 if none
  uplinkLine: number; // first 'uplink' line, 0 if none
}

class Parser {
  readonly errors: ConfigError[] = [];
  readonly warnings: ConfigWarning[] = [];
  private line = 0;
  private eol = 1;
  private cache: CacheConfig = {
    timeout: DEFAULT_CACHE.timeout,
    tablesize: DEFAULT_CACHE.tablesize,
    refresh: { ...DEFAULT_CACHE.refresh },
    delay: { ...DEFAULT_CACHE.delay },
    explicit: false,
  };
  private cacheLine = 0;
  private cacheSeen = new Map<string, number>();
  private readonly interfaces: InterfaceConfig[] = [];
  private readonly ifaceLines = new Map<string, number>();
  private block: { kind: 'cache'; line: number } | { kind: 'interface'; line: number; d: IfaceDraft } | null = null;

  constructor(private readonly file: string) {}

  // ------------------------------------------------------------ reporting

  private fail(code: ConfigErrorCode, col: number, found: string, expected: string): void {
    this.errors.push(
      new ConfigError(code, this.file, this.line, col, `${this.file}:${this.line}:${col}: found ${found}, expected ${expected}`),
    );
  }

  private failTok(code: ConfigErrorCode, t: Tok, expected: string): void {
    this.fail(code, t.col, quote(t.text), expected);
  }

  private failEol(expected: string): void {
    this.fail('E_CONFIG_SYNTAX', this.eol, 'end of line', expected);
  }

  private warn(code: ConfigWarningCode, line: number, col: number, text: string): void {
    this.warnings.push({ code, file: this.file, line, column: col, message: `${this.file}:${line}:${col}: warning: ${text}` });
  }

  private pos(col: number): SourcePos {
    return { file: this.file, line: this.line, column: col };
  }

  /** Reports tokens after the last one a directive takes. Returns true when there were none. */
  private noMore(toks: Tok[], from: number, what = 'end of line'): boolean {
    const t = toks[from];
    if (t) {
      this.failTok('E_CONFIG_SYNTAX', t, what);
      return false;
    }
    return true;
  }

  /** The single argument of `KEYWORD VALUE`; undefined (reported) when missing or followed by more. */
  private oneArg(toks: Tok[], expected: string): Tok | undefined {
    const v = toks[1];
    if (!v) {
      this.failEol(expected);
      return undefined;
    }
    if (!this.noMore(toks, 2)) return undefined;
    return v;
  }

  /** Keywords that may appear once per block. Returns false (reported) for a repeat. */
  private once(seen: Map<string, number>, kw: Tok, where: string): boolean {
    const first = seen.get(kw.text);
    if (first !== undefined) {
      this.failTok('E_CONFIG_DUPLICATE', kw, `each setting once per ${where} (first '${kw.text}' at line ${first})`);
      return false;
    }
    seen.set(kw.text, this.line);
    return true;
  }

  // ------------------------------------------------------------ values

  private uint(t: Tok, min: number, what: string): number | undefined {
    if (/^\d+$/.test(t.text)) {
      const n = Number(t.text);
      if (n >= min && Number.isSafeInteger(n)) return n;
    }
    this.failTok('E_CONFIG_VALUE', t, `${what} (a whole number${min > 0 ? ` of at least ${min}` : ''})`);
    return undefined;
  }

  private positive(t: Tok, what: string): number | undefined {
    if (/^\d+(\.\d+)?$/.test(t.text)) {
      const n = Number(t.text);
      if (n > 0 && Number.isFinite(n)) return n;
    }
    this.failTok('E_CONFIG_VALUE', t, `${what} (a number greater than 0, like 1.5)`);
    return undefined;
  }

  /** `A*B` with A a whole number >= minCount and B seconds > 0. */
  private product(t: Tok, minCount: number, shape: string): { a: number; b: number } | undefined {
    const m = /^(\d+)\*(\d+(?:\.\d+)?)$/.exec(t.text);
    if (!m) {
      this.failTok('E_CONFIG_SYNTAX', t, `${shape}`);
      return undefined;
    }
    const a = Number(m[1]);
    const b = Number(m[2]);
    if (a < minCount || b <= 0) {
      const count = shape.slice(0, shape.indexOf('*'));
      this.failTok('E_CONFIG_VALUE', t, `${shape.split(',')[0]} with ${count} >= ${minCount} and SECONDS > 0`);
      return undefined;
    }
    return { a, b };
  }

  private yesNo(t: Tok): boolean | undefined {
    if (t.text === 'yes') return true;
    if (t.text === 'no') return false;
    this.failTok('E_CONFIG_SYNTAX', t, "'yes' or 'no'");
    return undefined;
  }

  private prefix(t: Tok, role: string): Prefix | undefined {
    const p = parsePrefix(t.text);
    if (typeof p !== 'string') return p;
    const host = /the network is (\S+)\)/.exec(p);
    if (host) {
      this.failTok('E_CONFIG_VALUE', t, `a ${role} prefix without host bits (did you mean ${host[1]}?)`);
    } else {
      this.failTok('E_CONFIG_VALUE', t, `a ${role} prefix: an IPv4 or IPv6 address, optionally with /LENGTH`);
    }
    return undefined;
  }

  private unicastMac(t: Tok): Mac | undefined {
    const mac = parseMac(t.text);
    if (mac === undefined || !/^[0-9a-fA-F:-]+$/.test(t.text)) {
      this.failTok('E_CONFIG_VALUE', t, 'a MAC address like 02:00:5e:00:53:01');
      return undefined;
    }
    if (mac === 0 || isMulticastMac(mac)) {
      this.failTok('E_CONFIG_VALUE', t, 'a unicast MAC address (not zero, group bit clear)');
      return undefined;
    }
    return mac;
  }

  private ip6(t: Tok, role: string): Ip6 | undefined {
    const v6 = parseIp6(t.text);
    if (v6) return v6;
    const any = parseIp(t.text);
    const why = any ? ` (${role} is an IPv6 setting)` : t.text.includes('/') ? ' (a single address, not a prefix)' : ` for ${role}`;
    this.failTok('E_CONFIG_VALUE', t, `an IPv6 address${why}`);
    return undefined;
  }

  /** `BASE/BITS`: the low BITS of the MAC come from the low BITS of the target address. */
  private template(t: Tok, family: Family): MacTemplate | undefined {
    const shape = 'a MAC template BASE/BITS like fe:fd:fd:fd:fd:00/8 (BITS 8, 16, 24, 32 or 40)';
    const m = /^([^/]+)\/(\d+)$/.exec(t.text);
    const base = m ? parseMac(m[1]!) : undefined;
    if (!m || base === undefined) {
      this.failTok('E_CONFIG_SYNTAX', t, shape);
      return undefined;
    }
    const bits = Number(m[2]);
    if (bits % 8 !== 0 || bits < 8 || bits > 40) {
      this.failTok('E_CONFIG_VALUE', t, shape);
      return undefined;
    }
    if (family === Family.V4 && bits > 32) {
      this.failTok('E_CONFIG_VALUE', t, 'a template taking at most 32 bits from an IPv4 address');
      return undefined;
    }
    const span = 2 ** bits;
    if (base % span !== 0) {
      this.failTok('E_CONFIG_VALUE', t, `a template whose low ${bits} bits are zero (they come from the address)`);
      return undefined;
    }
    if (isMulticastMac(base)) {
      this.failTok('E_CONFIG_VALUE', t, 'a template with a unicast base (group bit clear)');
      return undefined;
    }
    return { base, addressBytes: bits / 8, text: t.text };
  }

  // ------------------------------------------------------------ driver

  parse(text: string): Config {
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      this.line = i + 1;
      const { toks, eol } = tokenize(lines[i]!);
      this.eol = eol;
      if (toks.length === 0) continue;
      if (this.block === null) this.topLevel(toks);
      else if (this.block.kind === 'cache') this.cacheLine_(toks);
      else this.interfaceLine(toks, this.block.d);
    }
    if (this.block !== null) {
      // Point just past the last line, where the `end` is missing.
      this.line = lines.length;
      this.eol = (lines[lines.length - 1] ?? '').length + 1;
      this.fail('E_CONFIG_SYNTAX', this.eol, 'end of file', `'end' closing ${this.blockName()} at line ${this.block.line}`);
      this.closeBlock();
    }
    const config: Config = { file: this.file, cache: this.cache, interfaces: this.interfaces };
    this.crossChecks(config);
    return config;
  }

  private blockName(): string {
    const b = this.block!;
    return b.kind === 'cache' ? "'cache'" : `'interface ${b.d.cfg.name}'`;
  }

  private topLevel(toks: Tok[]): void {
    const kw = toks[0]!;
    if (kw.text === 'cache') {
      if (this.cacheLine) {
        this.failTok('E_CONFIG_DUPLICATE', kw, `one 'cache' block (first at line ${this.cacheLine})`);
      } else {
        this.cacheLine = this.line;
        this.cache.explicit = true;
      }
      this.noMore(toks, 1);
      this.block = { kind: 'cache', line: this.line };
      return;
    }
    if (kw.text === 'interface') {
      this.openInterface(toks);
      return;
    }
    if (kw.text === 'end') {
      this.failTok('E_CONFIG_SYNTAX', kw, "'cache' or 'interface' ('end' closes a block, and none is open)");
      return;
    }
    const inside = (INTERFACE_KEYWORDS as readonly string[]).includes(kw.text)
      ? ` ('${kw.text}' belongs inside an 'interface NAME' block)`
      : '';
    this.failTok('E_CONFIG_SYNTAX', kw, `'cache' or 'interface'${inside}`);
  }

  private openInterface(toks: Tok[]): void {
    const kw = toks[0]!;
    const name = toks[1];
    const cfg: InterfaceConfig = {
      pos: this.pos(kw.col),
      name: name?.text ?? '',
      timeout: DEFAULT_HOLD_TIMEOUT,
      vlans: null,
      promisc: false,
      allmulti: false,
      mac: null,
      rules: [],
      statics: [],
      nd: {
        uplinks: [],
        exceptions: [],
        router: false,
        override: false,
        dadDefend: false,
        naSource: NaSource.LinkLocal,
      },
    };
    const d: IfaceDraft = { cfg, seen: new Map(), allmultiSet: false, ruleLines: [], ndLine: 0, uplinkLine: 0 };
    this.block = { kind: 'interface', line: this.line, d };
    if (!name) {
      this.failEol('an interface name');
      return;
    }
    if (!IFNAME_RE.test(name.text) || name.text === '.' || name.text === '..') {
      this.failTok('E_CONFIG_VALUE', name, 'an interface name (1 to 15 characters, no space, / or :)');
      return;
    }
    this.noMore(toks, 2);
    const first = this.ifaceLines.get(name.text);
    if (first !== undefined) {
      this.failTok('E_CONFIG_DUPLICATE', name, `each interface once (first 'interface ${name.text}' at line ${first})`);
      return; // the block is read (and checked) but not kept
    }
    this.ifaceLines.set(name.text, this.line);
    this.interfaces.push(cfg);
  }

  /** Handles `end`, and a block keyword where `end` was forgotten. Returns true when consumed. */
  private blockEnd(toks: Tok[]): boolean {
    const kw = toks[0]!;
    if (kw.text === 'end') {
      this.noMore(toks, 1);
      this.closeBlock();
      return true;
    }
    if (kw.text === 'interface' || kw.text === 'cache') {
      this.failTok('E_CONFIG_SYNTAX', kw, `'end' closing ${this.blockName()} at line ${this.block!.line}`);
      this.closeBlock();
      this.topLevel(toks);
      return true;
    }
    return false;
  }

  private closeBlock(): void {
    const b = this.block;
    this.block = null;
    if (b?.kind !== 'interface') return;
    const cfg = b.d.cfg;
    const v6 = cfg.rules.some((r) => r.target.family === Family.V6) || cfg.statics.some((s) => s.address.family === Family.V6);
    // Solicited-node groups of proxied targets are never joined, so IPv6 needs all-multicast.
    if (!b.d.allmultiSet) cfg.allmulti = v6;
    if (!v6 && b.d.ndLine) {
      this.warn('W_ND_UNUSED', b.d.ndLine, 2, `ND-proxy settings on 'interface ${cfg.name}' have no effect: it has no IPv6 rules or statics`);
    }
    if (v6 && cfg.nd.uplinks.length && !cfg.nd.uplinks.some(isLinkLocal6)) {
      // RFC 4861 routers solicit from their link-local address; ndproxy(4) says list it.
      this.warn('W_UPLINK_NO_LINK_LOCAL', b.d.uplinkLine, 2, `no link-local 'uplink' on 'interface ${cfg.name}': routers usually solicit from fe80::/10, so most solicitations will be ignored`);
    }
    if (cfg.rules.length === 0 && cfg.statics.length === 0) {
      this.warn('W_NO_RULES', cfg.pos.line, cfg.pos.column, `'interface ${cfg.name}' has no rules and no statics: it never answers`);
    }
  }

  // ------------------------------------------------------------ cache block

  private cacheLine_(toks: Tok[]): void {
    if (this.blockEnd(toks)) return;
    const kw = toks[0]!;
    const c = this.cache;
    switch (kw.text) {
      case 'timeout': {
        const v = this.oneArg(toks, 'the entry lifetime in seconds');
        if (!v || !this.once(this.cacheSeen, kw, "'cache' block")) return;
        const n = this.uint(v, 0, 'the entry lifetime in seconds');
        if (n !== undefined) c.timeout = n;
        return;
      }
      case 'tablesize': {
        const v = this.oneArg(toks, 'the maximum number of entries');
        if (!v || !this.once(this.cacheSeen, kw, "'cache' block")) return;
        const n = this.uint(v, 1, 'the maximum number of entries');
        if (n !== undefined) c.tablesize = n;
        return;
      }
      case 'refresh': {
        const v = this.oneArg(toks, 'RETRIES*SECONDS, like 3*5');
        if (!v || !this.once(this.cacheSeen, kw, "'cache' block")) return;
        const p = this.product(v, 0, 'RETRIES*SECONDS, like 3*5');
        if (p) c.refresh = { count: p.a, interval: p.b };
        return;
      }
      case 'delay': {
        const v = this.oneArg(toks, 'COUNT*SECONDS, like 4*3');
        if (!v || !this.once(this.cacheSeen, kw, "'cache' block")) return;
        const p = this.product(v, 1, 'COUNT*SECONDS, like 4*3');
        if (p) c.delay = { count: p.a, window: p.b };
        return;
      }
      default:
        this.failTok('E_CONFIG_SYNTAX', kw, `a cache setting: ${CACHE_KEYWORDS.join(', ')}`);
    }
  }

  // ------------------------------------------------------------ interface block

  private interfaceLine(toks: Tok[], d: IfaceDraft): void {
    if (this.blockEnd(toks)) return;
    const kw = toks[0]!;
    const cfg = d.cfg;
    const where = "interface";
    const markNd = (): void => {
      if (!d.ndLine) d.ndLine = this.line;
    };
    switch (kw.text) {
      case 'rule':
        this.rule(toks, d);
        return;
      case 'static':
        this.staticEntry(toks, cfg);
        return;
      case 'timeout': {
        const v = this.oneArg(toks, 'seconds to hold an answer waiting for a MAC');
        if (!v || !this.once(d.seen, kw, where)) return;
        const n = this.positive(v, 'seconds to hold an answer waiting for a MAC');
        if (n !== undefined) cfg.timeout = n;
        return;
      }
      case 'mac': {
        const v = this.oneArg(toks, 'a MAC address');
        if (!v || !this.once(d.seen, kw, where)) return;
        const mac = this.unicastMac(v);
        if (mac !== undefined) cfg.mac = mac;
        return;
      }
      case 'vlan': {
        if (!toks[1]) return this.failEol('VLAN ids like 100,200-210, or any, or untagged');
        if (!this.once(d.seen, kw, where)) return;
        const v = this.vlans(toks.slice(1));
        if (v !== undefined) cfg.vlans = v;
        return;
      }
      case 'promisc':
      case 'allmulti':
      case 'router':
      case 'override': {
        const v = this.oneArg(toks, "'yes' or 'no'");
        if (!v || !this.once(d.seen, kw, where)) return;
        const b = this.yesNo(v);
        if (b === undefined) return;
        if (kw.text === 'promisc') cfg.promisc = b;
        else if (kw.text === 'allmulti') {
          cfg.allmulti = b;
          d.allmultiSet = true;
        } else if (kw.text === 'router') {
          cfg.nd.router = b;
          markNd();
        } else {
          cfg.nd.override = b;
          markNd();
        }
        return;
      }
      case 'dad': {
        const v = this.oneArg(toks, "'defend' or 'ignore'");
        if (!v || !this.once(d.seen, kw, where)) return;
        markNd();
        if (v.text === 'defend') cfg.nd.dadDefend = true;
        else if (v.text === 'ignore') cfg.nd.dadDefend = false;
        else this.failTok('E_CONFIG_SYNTAX', v, "'defend' or 'ignore'");
        return;
      }
      case 'na-source': {
        const v = this.oneArg(toks, "'link-local' or 'target'");
        if (!v || !this.once(d.seen, kw, where)) return;
        markNd();
        if (v.text === 'link-local') cfg.nd.naSource = NaSource.LinkLocal;
        else if (v.text === 'target') cfg.nd.naSource = NaSource.Target;
        else this.failTok('E_CONFIG_SYNTAX', v, "'link-local' or 'target'");
        return;
      }
      case 'uplink':
      case 'exception': {
        const list = kw.text === 'uplink' ? cfg.nd.uplinks : cfg.nd.exceptions;
        if (!toks[1]) return this.failEol(`one or more IPv6 addresses`);
        markNd();
        if (kw.text === 'uplink' && !d.uplinkLine) d.uplinkLine = this.line;
        for (const t of toks.slice(1)) {
          const a = this.ip6(t, kw.text);
          if (!a) continue;
          if (list.some((x) => ip6Equal(x, a))) {
            this.warn('W_DUPLICATE_ADDRESS', this.line, t.col, `${kw.text} ${t.text} is listed twice`);
            continue;
          }
          list.push(a);
        }
        return;
      }
      default:
        this.failTok('E_CONFIG_SYNTAX', kw, `an interface setting: ${INTERFACE_KEYWORDS.join(', ')}`);
    }
  }

  /** `vlan any` | `vlan untagged,100,200-210` (0 in the model stands for untagged). */
  private vlans(toks: Tok[]): number[] | null | undefined {
    if (toks.length === 1 && toks[0]!.text === 'any') return null;
    const out = new Set<number>();
    let ok = true;
    for (const t of toks) {
      let col = t.col;
      for (const item of t.text.split(',')) {
        const itok = { text: item, col };
        col += item.length + 1;
        if (item === '') continue; // `100, 200` splits into two tokens with a trailing comma
        if (item === 'untagged') {
          out.add(0);
          continue;
        }
        if (item === 'any') {
          this.failTok('E_CONFIG_VALUE', itok, "'any' alone (it already includes every VLAN)");
          ok = false;
          continue;
        }
        const m = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(item);
        if (!m) {
          this.failTok('E_CONFIG_SYNTAX', itok, 'a VLAN id 1-4094, a range LOW-HIGH, or untagged');
          ok = false;
          continue;
        }
        const lo = Number(m[1]);
        const hi = m[2] === undefined ? lo : Number(m[2]);
        if (lo < 1 || hi > 4094 || lo > hi) {
          this.failTok('E_CONFIG_VALUE', itok, m[2] === undefined ? 'a VLAN id from 1 to 4094' : 'a VLAN range LOW-HIGH with 1 <= LOW <= HIGH <= 4094');
          ok = false;
          continue;
        }
        for (let v = lo; v <= hi; v++) out.add(v);
      }
    }
    if (!ok) return undefined;
    return [...out].sort((a, b) => a - b);
  }

  private staticEntry(toks: Tok[], cfg: InterfaceConfig): void {
    const [, at, mt, flag] = toks;
    if (!at) return this.failEol('an IP address');
    const address = parseIp(at.text);
    if (!address) return this.failTok('E_CONFIG_VALUE', at, 'an IPv4 or IPv6 address');
    if (!mt) return this.failEol('a MAC address');
    const mac = this.unicastMac(mt);
    if (mac === undefined) return;
    let announce = false;
    if (flag) {
      if (flag.text !== 'announce') return this.failTok('E_CONFIG_SYNTAX', flag, "'announce' or end of line");
      announce = true;
      if (!this.noMore(toks, 4)) return;
    }
    const dup = cfg.statics.find((s) => sameIp(s.address, address));
    if (dup) {
      return this.failTok('E_CONFIG_DUPLICATE', at, `each static address once per interface (first at line ${dup.pos.line})`);
    }
    const e: StaticEntry = { pos: this.pos(toks[0]!.col), address, mac, announce };
    cfg.statics.push(e);
  }

  private rule(toks: Tok[], d: IfaceDraft): void {
    const [kw, st, tt] = toks as [Tok, Tok | undefined, Tok | undefined];
    if (!st) return this.failEol('a source prefix');
    const source = this.prefix(st, 'source');
    if (!tt) return this.failEol('a target prefix');
    const target = this.prefix(tt, 'target');
    if (!source || !target) return;
    if (source.family !== target.family) {
      const fam = source.family === Family.V4 ? 'IPv4' : 'IPv6';
      return this.failTok('E_CONFIG_VALUE', tt, `an ${fam} target like the source '${st.text}' (a rule is IPv4 or IPv6, not both)`);
    }
    const flags = { delay: false, verbose: false, probes: false };
    let i = 3;
    for (; i < toks.length && (RULE_FLAGS as readonly string[]).includes(toks[i]!.text); i++) {
      const f = toks[i]!.text as keyof typeof flags;
      if (flags[f]) return this.failTok('E_CONFIG_DUPLICATE', toks[i]!, `each flag once`);
      flags[f] = true;
    }
    const at = toks[i];
    if (!at) return this.failEol(ACTION_EXPECTED);
    const action = this.action(toks, i, target.family);
    if (!action) return;
    const rule: Rule = { pos: this.pos(kw.col), source, target, ...flags, action };
    d.cfg.rules.push(rule);
  }

  private action(toks: Tok[], i: number, family: Family): RuleAction | undefined {
    const at = toks[i]!;
    const afterFlags = RULE_FLAGS.map((f) => `'${f}'`).join(', ');
    const end = (n: number): boolean =>
      this.noMore(toks, n, (RULE_FLAGS as readonly string[]).includes(toks[n]?.text ?? '')
        ? `end of line (flags ${afterFlags} go before the action)`
        : 'end of line');
    switch (at.text) {
      case 'ignore':
        return end(i + 1) ? { kind: ActionKind.Ignore } : undefined;
      case 'tell':
        return end(i + 1) ? { kind: ActionKind.Tell } : undefined;
      case 'self':
        return end(i + 1) ? { kind: ActionKind.Self } : undefined;
      case 'route':
        return end(i + 1) ? { kind: ActionKind.Route } : undefined;
      case 'template': {
        const t = toks[i + 1];
        if (!t) {
          this.failEol('a MAC template BASE/BITS like fe:fd:fd:fd:fd:00/8');
          return undefined;
        }
        const template = this.template(t, family);
        return template && end(i + 2) ? { kind: ActionKind.Template, template } : undefined;
      }
    }
    const via = parseIp(at.text);
    if (via) {
      if (via.family !== family) {
        this.failTok('E_CONFIG_VALUE', at, `an ${family === Family.V4 ? 'IPv4' : 'IPv6'} address to redirect to (the rule's family)`);
        return undefined;
      }
      return end(i + 1) ? { kind: ActionKind.Redirect, via } : undefined;
    }
    if (/^[^:-]+([:-][^:-]+){5}$/.test(at.text)) {
      // Six groups: meant as a MAC (an IPv6 address without '::' has eight).
      const mac = this.unicastMac(at);
      return mac !== undefined && end(i + 1) ? { kind: ActionKind.Mac, mac } : undefined;
    }
    this.failTok(/^[\d.:a-fA-F/-]+$/.test(at.text) ? 'E_CONFIG_VALUE' : 'E_CONFIG_SYNTAX', at, ACTION_EXPECTED);
    return undefined;
  }

  // ------------------------------------------------------------ whole-file checks

  private crossChecks(config: Config): void {
    const usesDelay: Rule[] = [];
    for (const ifc of config.interfaces) {
      const rules = ifc.rules;
      for (let j = 0; j < rules.length; j++) {
        const r = rules[j]!;
        if (r.delay) usesDelay.push(r);
        for (let i = 0; i < j; i++) {
          const e = rules[i]!;
          if (prefixCovers(e.source, r.source) && prefixCovers(e.target, r.target)) {
            this.warn(
              'W_RULE_SHADOWED', r.pos.line, r.pos.column,
              `rule never matches: the rule at line ${e.pos.line} (${formatPrefix(e.source)} ${formatPrefix(e.target)}) matches every request it would`,
            );
            break;
          }
        }
        if (config.cache.timeout === 0 && (r.action.kind === ActionKind.Tell || r.action.kind === ActionKind.Redirect)) {
          this.warn('W_LEARNING_OFF', r.pos.line, r.pos.column, `'${r.action.kind}' needs learned MACs, but 'cache timeout 0' turns learning off`);
        }
      }
    }
    if (config.cache.delay.count === 0) {
      for (const r of usesDelay) {
        this.warn('W_DELAY_UNSET', r.pos.line, r.pos.column, "'delay' rule, but the cache block sets no 'delay COUNT*SECONDS': it answers at once");
      }
    }
  }
}

function sameIp(a: IpAddress, b: IpAddress): boolean {
  if (a.family === Family.V4) return b.family === Family.V4 && a.v4 === b.v4;
  return b.family === Family.V6 && ip6Equal(a.v6, b.v6);
}

/** True when every address in `inner` is also in `outer`. */
function prefixCovers(outer: Prefix, inner: Prefix): boolean {
  if (outer.family !== inner.family || outer.bits > inner.bits) return false;
  if (outer.family === Family.V4) return ((inner as { v4: number }).v4 & mask4(outer.bits)) >>> 0 === outer.v4;
  return inPrefix6((inner as { v6: Ip6 }).v6, outer.v6, outer.bits);
}

/**
 * Parses configuration text. `file` names it in messages. Throws one ConfigError
 * (with `.errors`, every problem) when anything is wrong; warnings never throw.
 */
export function parseConfig(text: string, file: string): { config: Config; warnings: ConfigWarning[] } {
  const p = new Parser(file);
  const config = p.parse(text);
  if (p.errors.length) throw ConfigError.aggregate(p.errors);
  p.warnings.sort((a, b) => a.line - b.line || a.column - b.column);
  return { config, warnings: p.warnings };
}

/** Reads and parses a file; an unreadable file is E_CONFIG_IO with `.osCode` = errno name. */
export function loadConfig(path: string): { config: Config; warnings: ConfigWarning[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const os = e.code ?? 'EIO';
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'is a directory' : e.message;
    throw new ConfigError('E_CONFIG_IO', path, 0, 0, `${path}: cannot read configuration: ${os} (${why})`, os);
  }
  return parseConfig(text, path);
}
