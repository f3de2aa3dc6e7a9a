// Translation of an ndppd.conf (ndppd.conf(5)) into neighproxy's language, for
// operators replacing ndppd. What has no equivalent is said, never silently dropped.
//
// ndppd's grammar: `route-ttl MS`, `address-ttl MS`, and `proxy IFACE { ... }` blocks
// with `router yes|no`, `timeout MS`, `ttl MS`, `deadtime MS`, `autowire yes|no`,
// `keepalive yes|no`, `retries N`, `promiscuous yes|no` and `rule PREFIX { METHOD }`
// where METHOD is `static`, `auto` or `iface IF` (plus `autovia yes|no`).
import { Family, formatPrefix, parsePrefix, type Prefix } from '../net/addr';
import { ConfigError, type ConfigErrorCode } from './errors';

interface Tok {
  text: string;
  line: number;
  col: number;
}

function tokenize(text: string): Tok[] {
  const toks: Tok[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const hash = raw.indexOf('#');
    const body = hash < 0 ? raw : raw.slice(0, hash);
    const re = /[{}]|[^\s{}]+/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(body)) !== null) toks.push({ text: m[0], line: i + 1, col: m.index + 1 });
  });
  return toks;
}

interface NdppdRule {
  tok: Tok;
  prefix: Prefix;
  method: 'static' | 'auto' | 'iface' | 'none';
  iface: string;
}

interface NdppdProxy {
  name: string;
  router: boolean;
  timeoutMs: number;
  ttlMs: number;
  keepalive: boolean;
  retries: number;
  promiscuous: boolean;
  rules: NdppdRule[];
  comments: string[];
}

/** ndppd's defaults (ndppd.conf(5) and ndppd.conf-dist). */
const NDPPD_DEFAULTS = { router: true, timeoutMs: 500, ttlMs: 30000, keepalive: true, retries: 3, promiscuous: false };

class NdppdReader {
  readonly errors: ConfigError[] = [];
  readonly notes: string[] = [];
  private i = 0;
  private readonly lastLine: number;

  constructor(private readonly toks: Tok[], private readonly file: string, lineCount: number) {
    this.lastLine = lineCount;
  }

  private fail(code: ConfigErrorCode, t: Tok | undefined, expected: string): void {
    const line = t ? t.line : this.lastLine;
    const col = t ? t.col : 1;
    const found = t ? `'${t.text}'` : 'end of file';
    this.errors.push(new ConfigError(code, this.file, line, col, `${this.file}:${line}:${col}: found ${found}, expected ${expected}`));
  }

  private next(): Tok | undefined {
    return this.toks[this.i++];
  }

  private peek(): Tok | undefined {
    return this.toks[this.i];
  }

  /** A value word (not a brace); reports and returns undefined otherwise. */
  private value(expected: string): Tok | undefined {
    const t = this.peek();
    if (!t || t.text === '{' || t.text === '}') {
      this.fail('E_CONFIG_SYNTAX', t, expected);
      return undefined;
    }
    this.i++;
    return t;
  }

  private ms(expected = 'milliseconds'): number | undefined {
    const t = this.value(expected);
    if (!t) return undefined;
    if (!/^\d+$/.test(t.text)) {
      this.fail('E_CONFIG_VALUE', t, `${expected} (a whole number)`);
      return undefined;
    }
    return Number(t.text);
  }

  private bool(): boolean | undefined {
    const t = this.value("'yes' or 'no'");
    if (!t) return undefined;
    if (['yes', 'true', 'on'].includes(t.text)) return true;
    if (['no', 'false', 'off'].includes(t.text)) return false;
    this.fail('E_CONFIG_VALUE', t, "'yes' or 'no'");
    return undefined;
  }

  private open(): boolean {
    const t = this.next();
    if (t?.text === '{') return true;
    this.fail('E_CONFIG_SYNTAX', t, "'{'");
    return false;
  }

  /** Skips to just past the '}' matching an already consumed '{' (error recovery). */
  private skipBlock(): void {
    for (let depth = 1; depth > 0; ) {
      const t = this.next();
      if (!t) return;
      if (t.text === '{') depth++;
      else if (t.text === '}') depth--;
    }
  }

  read(): NdppdProxy[] {
    const proxies: NdppdProxy[] = [];
    const seen = new Map<string, number>();
    for (let t = this.next(); t; t = this.next()) {
      switch (t.text) {
        case 'route-ttl':
        case 'address-ttl': {
          const v = this.ms();
          if (v !== undefined) {
            this.notes.push(
              `'${t.text} ${v}' (line ${t.line}) has no equivalent: neighproxy asks the kernel on each ` +
                `'route' decision and keeps no copy of ${t.text === 'route-ttl' ? 'the routing table' : 'the address list'} to reload`,
            );
          }
          break;
        }
        case 'proxy': {
          const name = this.value('an interface name');
          if (!name || !this.open()) break;
          const first = seen.get(name.text);
          if (first !== undefined) {
            this.fail('E_CONFIG_DUPLICATE', name, `each proxy interface once (first at line ${first})`);
            this.skipBlock();
            break;
          }
          seen.set(name.text, name.line);
          proxies.push(this.proxy(name.text));
          break;
        }
        default:
          this.fail('E_CONFIG_SYNTAX', t, "'proxy', 'route-ttl' or 'address-ttl'");
      }
    }
    return proxies;
  }

  private proxy(name: string): NdppdProxy {
    const p: NdppdProxy = { name, ...NDPPD_DEFAULTS, rules: [], comments: [] };
    for (;;) {
      const t = this.next();
      if (!t) {
        this.fail('E_CONFIG_SYNTAX', t, `'}' closing 'proxy ${name}'`);
        return p;
      }
      switch (t.text) {
        case '}':
          return p;
        case 'router': {
          const b = this.bool();
          if (b !== undefined) p.router = b;
          break;
        }
        case 'promiscuous': {
          const b = this.bool();
          if (b !== undefined) p.promiscuous = b;
          break;
        }
        case 'keepalive': {
          const b = this.bool();
          if (b !== undefined) p.keepalive = b;
          break;
        }
        case 'autowire': {
          const b = this.bool();
          if (b) p.comments.push(`ndppd 'autowire yes' (line ${t.line}) has no equivalent: neighproxy never adds routes; route the proxied prefix yourself`);
          if (b) this.notes.push(`'autowire yes' in 'proxy ${name}' has no equivalent`);
          break;
        }
        case 'timeout': {
          const v = this.ms();
          if (v !== undefined) p.timeoutMs = v;
          break;
        }
        case 'ttl': {
          const v = this.ms();
          if (v !== undefined) p.ttlMs = v;
          break;
        }
        case 'deadtime': {
          const v = this.ms();
          if (v !== undefined) {
            p.comments.push(`ndppd 'deadtime ${v}' (line ${t.line}) has no equivalent: unanswered lookups are dropped after 'timeout'`);
            this.notes.push(`'deadtime' in 'proxy ${name}' has no equivalent`);
          }
          break;
        }
        case 'retries': {
          const v = this.ms('a number of retries');
          if (v !== undefined) p.retries = v;
          break;
        }
        case 'rule': {
          const r = this.rule(name);
          if (r) p.rules.push(r);
          break;
        }
        default:
          this.fail('E_CONFIG_SYNTAX', t, "a proxy option: router, timeout, ttl, deadtime, autowire, keepalive, retries, promiscuous, rule or '}'");
          // One error per unknown option: skip its arguments on the same line.
          while (this.peek() && this.peek()!.line === t.line && !'{}'.includes(this.peek()!.text)) this.i++;
      }
    }
  }

  private rule(proxy: string): NdppdRule | undefined {
    const at = this.value('an IPv6 address or prefix');
    if (!at) return undefined;
    let prefix: Prefix | undefined;
    const p = parsePrefix(at.text);
    if (typeof p === 'string') {
      const host = /the network is (\S+)\/(\d+)\)/.exec(p);
      if (host) {
        // ndppd matches the prefix and ignores host bits; keep its meaning, and say so.
        const masked = parsePrefix(`${host[1]}/${host[2]}`);
        if (typeof masked !== 'string') prefix = masked;
        this.notes.push(`rule ${at.text} (line ${at.line}) has host bits set; imported as ${host[1]}/${host[2]}`);
      } else {
        this.fail('E_CONFIG_VALUE', at, 'an IPv6 address or prefix');
      }
    } else if (p.family !== Family.V6) {
      this.fail('E_CONFIG_VALUE', at, 'an IPv6 address or prefix (ndppd proxies IPv6 only)');
    } else {
      prefix = p;
    }
    if (!this.open()) return undefined;
    const r: NdppdRule = { tok: at, prefix: prefix!, method: 'none', iface: '' };
    for (;;) {
      const t = this.next();
      if (!t) {
        this.fail('E_CONFIG_SYNTAX', t, `'}' closing 'rule ${at.text}'`);
        break;
      }
      if (t.text === '}') break;
      if (t.text === 'static' || t.text === 'auto') {
        if (r.method !== 'none') this.fail('E_CONFIG_DUPLICATE', t, "one method per rule: 'static', 'auto' or 'iface IF'");
        else r.method = t.text;
      } else if (t.text === 'iface') {
        const v = this.value('an interface name');
        if (!v) continue;
        if (r.method !== 'none') this.fail('E_CONFIG_DUPLICATE', t, "one method per rule: 'static', 'auto' or 'iface IF'");
        else {
          r.method = 'iface';
          r.iface = v.text;
        }
      } else if (t.text === 'autovia') {
        const b = this.bool();
        if (b) this.notes.push(`'autovia yes' in rule ${at.text} (proxy ${proxy}) has no equivalent`);
      } else {
        this.fail('E_CONFIG_SYNTAX', t, "'static', 'auto', 'iface IF', 'autovia' or '}'");
      }
    }
    return prefix ? r : undefined;
  }
}

/** Seconds from milliseconds, without float noise (500 -> 0.5). */
const seconds = (ms: number): number => Math.round(ms) / 1000;

/**
 * Translates ndppd.conf text. Returns the neighproxy configuration text (with `#`
 * comments where the translation is approximate) and the notes about what has no
 * equivalent. Throws a ConfigError (all problems in `.errors`) for invalid input.
 */
export function importNdppd(text: string, file: string): { text: string; notes: string[] } {
  const lines = text.split(/\r?\n/);
  const reader = new NdppdReader(tokenize(text), file, lines.length);
  const proxies = reader.read();
  if (reader.errors.length) throw ConfigError.aggregate(reader.errors);
  if (proxies.length === 0) {
    throw new ConfigError('E_CONFIG_SYNTAX', file, lines.length, 1, `${file}:${lines.length}:1: found end of file, expected at least one 'proxy IFACE { ... }'`);
  }
  const notes = reader.notes;
  const out: string[] = [`# Imported from ${file} by 'neighproxy import-ndppd'.`];

  // One cache serves every interface: take the longest ttl, and say when they differ.
  const ttl = Math.max(...proxies.map((p) => p.ttlMs));
  if (new Set(proxies.map((p) => p.ttlMs)).size > 1) notes.push(`proxies have different 'ttl'; the cache uses the longest, ${ttl} ms`);
  const timeoutS = Math.max(1, Math.ceil(ttl / 1000));
  if (timeoutS * 1000 !== ttl) notes.push(`'ttl ${ttl}' rounded to a cache timeout of ${timeoutS} s`);
  const ka = proxies.find((p) => p.keepalive);
  const probeEvery = seconds(Math.max(1, (ka ?? proxies[0]!).timeoutMs));
  const refresh = ka ? `${ka.retries}*${probeEvery}` : `0*${probeEvery}`;
  if (new Set(proxies.map((p) => `${p.keepalive}/${p.retries}/${p.timeoutMs}`)).size > 1) {
    notes.push("proxies differ in 'keepalive', 'retries' or 'timeout'; the cache refresh follows the first with keepalive");
  }
  out.push('');
  out.push('cache');
  out.push(` timeout    ${String(timeoutS).padEnd(10)} # ndppd ttl ${ttl} ms`);
  out.push(` refresh    ${refresh.padEnd(10)} # ndppd ${ka ? `keepalive, retries ${ka.retries}` : 'keepalive no'}, timeout ${(ka ?? proxies[0]!).timeoutMs} ms`);
  out.push('end');
  for (const p of proxies) {
    out.push('');
    out.push(`interface ${p.name}`);
    out.push(` timeout    ${seconds(Math.max(1, p.timeoutMs))}`);
    out.push(` promisc    ${p.promiscuous ? 'yes' : 'no'}`);
    out.push(` allmulti   yes`);
    out.push(` router     ${p.router ? 'yes' : 'no'}`);
    for (const c of p.comments) out.push(` # ${c}`);
    if (p.rules.length === 0) out.push(' # ndppd proxy without rules: answers nothing');
    for (const r of p.rules) {
      const pfx = formatPrefix(r.prefix);
      if (r.method === 'static' || r.method === 'none') {
        if (r.method === 'none') {
          out.push(' # ndppd rule without a method: imported as static');
          notes.push(`rule ${pfx} (line ${r.tok.line}) names no method; imported as 'static'`);
        }
        out.push(` rule ::/0 ${pfx} self`);
      } else if (r.method === 'auto') {
        out.push(` # ndppd 'auto': answered when the kernel routes the target out of another interface`);
        out.push(` rule ::/0 ${pfx} route`);
      } else {
        out.push(` # ndppd 'iface ${r.iface}' asked on ${r.iface} and answered once a neighbour replied there;`);
        out.push(` # neighproxy answers when the kernel routes the target out of another interface (no probe on ${r.iface})`);
        out.push(` rule ::/0 ${pfx} route`);
        notes.push(`rule ${pfx} 'iface ${r.iface}' (line ${r.tok.line}) imported as 'route': no solicitation is sent on ${r.iface}`);
      }
    }
    out.push('end');
  }
  // Notes go first, where a reader starts; they are complete only now.
  out.splice(1, 0, ...notes.map((n) => `# note: ${n}`));
  return { text: out.join('\n') + '\n', notes };
}
