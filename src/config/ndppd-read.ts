// Reads an ndppd.conf into proxies and rules, as ndppd does (its conf.cc and the
// load_config/configure of ndppd.cc, 0.2.5 and later). Like ndppd: an unknown key is
// ignored, the first of a repeated key counts, a yes/no value other than yes/true (any
// case) means no, a rule without a method is static. Each of these is noted, so the
// operator sees what ndppd silently did. What ndppd refused is an error here too.
import { Family, parsePrefix, type Prefix } from '../net/addr';
import { ConfigError, type ConfigErrorCode } from './errors';
import type { NdppdToken as Tok } from './ndppd-scan';

export interface NdppdRule {
  tok: Tok;
  prefix: Prefix;
  method: 'static' | 'auto' | 'iface' | 'none';
  iface: string;
}

export interface NdppdProxy {
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

const PROXY_OPTIONS = ['router', 'timeout', 'ttl', 'deadtime', 'autowire', 'keepalive', 'retries', 'promiscuous'];

const isBrace = (t: Tok | undefined, b: '{' | '}'): boolean => !!t && !t.quoted && t.text === b;

export class NdppdReader {
  readonly errors: ConfigError[] = [];
  readonly notes: string[] = [];
  private i = 0;

  constructor(private readonly toks: Tok[], private readonly file: string, private readonly lastLine: number) {}

  private fail(code: ConfigErrorCode, t: Tok | undefined, expected: string, found?: string): void {
    const line = t ? t.line : this.lastLine;
    const col = t ? t.col : 1;
    const what = found ?? (t ? `'${t.text}'` : 'end of file');
    this.errors.push(new ConfigError(code, this.file, line, col, `${this.file}:${line}:${col}: found ${what}, expected ${expected}`));
  }

  private peek(): Tok | undefined {
    return this.toks[this.i];
  }

  /** The value of `key`: the next token when it is on the key's line and not a brace (ndppd values never span lines). */
  private value(key: Tok): Tok | undefined {
    const t = this.peek();
    if (!t || t.line !== key.line || isBrace(t, '{') || isBrace(t, '}')) return undefined;
    this.i++;
    return t;
  }

  private required(key: Tok, expected: string): Tok | undefined {
    const v = this.value(key);
    if (!v || v.text === '') this.fail('E_CONFIG_SYNTAX', v ?? key, `${expected} after '${key.text}'`, v ? "''" : 'nothing');
    return v && v.text !== '' ? v : undefined;
  }

  /** Consumes a `{ ... }` after a value, if there is one; true when there was. */
  private block(): boolean {
    if (!isBrace(this.peek(), '{')) return false;
    this.i++;
    return true;
  }

  /** Skips to just past the '}' matching an already consumed '{'. */
  private skipBlock(): void {
    for (let depth = 1; depth > 0 && this.i < this.toks.length; this.i++) {
      const t = this.toks[this.i];
      if (isBrace(t, '{')) depth++;
      else if (isBrace(t, '}')) depth--;
    }
  }

  /** The rest of an option ndppd reads no further: its value and any block. */
  private ignore(key: Tok, why: string): void {
    this.value(key);
    const hadBlock = this.block();
    if (hadBlock) this.skipBlock();
    this.notes.push(`'${key.text}' (line ${key.line}) ${why}; ignored, as ndppd does${hadBlock ? ' (with its block)' : ''}`);
  }

  private ms(key: Tok, expected = 'milliseconds'): number | undefined {
    const t = this.required(key, expected);
    if (!t) return undefined;
    // ndppd uses atoi(): leading digits count, the rest is dropped.
    const m = /^\s*\+?(\d+)/.exec(t.text);
    if (!m) {
      this.fail('E_CONFIG_VALUE', t, `${expected} (a whole number)`);
      return undefined;
    }
    if (m[0].length !== t.text.length) this.notes.push(`'${key.text} ${t.text}' (line ${t.line}) read as ${m[1]}, as ndppd's atoi() does`);
    return Number(m[1]);
  }

  private bool(key: Tok): boolean {
    const t = this.value(key);
    const v = (t?.text ?? '').toLowerCase();
    if (v === 'yes' || v === 'true') return true;
    if (v !== 'no' && v !== 'false') this.notes.push(`'${key.text} ${t?.text ?? ''}' (line ${key.line}): ndppd reads anything but yes/true as no`);
    return false;
  }

  read(): NdppdProxy[] {
    const proxies: NdppdProxy[] = [];
    const seen = new Map<string, number>();
    while (this.i < this.toks.length) {
      const t = this.toks[this.i++]!;
      if (isBrace(t, '}')) {
        this.notes.push(`a '}' with no open block at line ${t.line} ends ndppd's reading: everything after it is ignored`);
        break;
      }
      if (isBrace(t, '{')) {
        this.fail('E_CONFIG_SYNTAX', t, "'proxy', 'route-ttl' or 'address-ttl'");
        this.skipBlock();
      } else if (t.text === 'route-ttl' || t.text === 'address-ttl') {
        const v = this.ms(t);
        if (v !== undefined) {
          this.notes.push(
            `'${t.text} ${v}' (line ${t.line}) has no equivalent: neighproxy asks the kernel on each ` +
              `'route' decision and keeps no copy of ${t.text === 'route-ttl' ? 'the routing table' : 'the address list'} to reload`,
          );
        }
      } else if (t.text === 'proxy') {
        const name = this.required(t, 'an interface name');
        const hasBlock = this.block();
        if (!name) {
          if (hasBlock) this.skipBlock();
          continue;
        }
        const first = seen.get(name.text);
        if (first !== undefined) {
          this.fail('E_CONFIG_DUPLICATE', name, `each proxy interface once (first at line ${first})`);
          if (hasBlock) this.skipBlock();
          continue;
        }
        seen.set(name.text, name.line);
        const p: NdppdProxy = { name: name.text, ...NDPPD_DEFAULTS, rules: [], comments: [] };
        if (hasBlock) this.proxy(p);
        proxies.push(p);
      } else {
        this.ignore(t, 'is not an ndppd setting');
      }
    }
    return proxies;
  }

  private proxy(p: NdppdProxy): void {
    const given = new Map<string, number>();
    for (;;) {
      const t = this.toks[this.i++];
      if (!t) {
        this.fail('E_CONFIG_SYNTAX', t, `'}' closing 'proxy ${p.name}'`);
        return;
      }
      if (isBrace(t, '}')) return;
      if (t.text === 'rule') {
        const r = this.rule(t, p.name);
        if (r) p.rules.push(r);
        continue;
      }
      if (!PROXY_OPTIONS.includes(t.text) || isBrace(t, '{')) {
        if (isBrace(t, '{')) {
          this.fail('E_CONFIG_SYNTAX', t, `a proxy option: ${PROXY_OPTIONS.join(', ')}, rule or '}'`);
          this.skipBlock();
        } else {
          this.ignore(t, `is not an option of 'proxy' (those are ${PROXY_OPTIONS.join(', ')} and rule)`);
        }
        continue;
      }
      const first = given.get(t.text);
      if (first !== undefined) {
        this.ignore(t, `repeats line ${first}: ndppd uses the first`);
        continue;
      }
      given.set(t.text, t.line);
      this.option(p, t);
      if (this.block()) {
        this.skipBlock();
        this.notes.push(`the block after '${t.text}' (line ${t.line}) means nothing to ndppd; ignored`);
      }
    }
  }

  private option(p: NdppdProxy, t: Tok): void {
    switch (t.text) {
      case 'router':
        p.router = this.bool(t);
        break;
      case 'promiscuous':
        p.promiscuous = this.bool(t);
        break;
      case 'keepalive':
        p.keepalive = this.bool(t);
        break;
      case 'autowire':
        if (this.bool(t)) {
          p.comments.push(`ndppd 'autowire yes' (line ${t.line}) has no equivalent: neighproxy never adds routes; route the proxied prefix yourself`);
          this.notes.push(`'autowire yes' in 'proxy ${p.name}' has no equivalent`);
        }
        break;
      case 'deadtime': {
        const v = this.ms(t);
        if (v !== undefined) {
          p.comments.push(`ndppd 'deadtime ${v}' (line ${t.line}) has no equivalent: unanswered lookups are dropped after 'timeout'`);
          this.notes.push(`'deadtime' in 'proxy ${p.name}' has no equivalent`);
        }
        break;
      }
      default: {
        const v = this.ms(t, t.text === 'retries' ? 'a number of retries' : 'milliseconds');
        if (v === undefined) break;
        if (t.text === 'timeout') p.timeoutMs = v;
        else if (t.text === 'ttl') p.ttlMs = v;
        else p.retries = v;
      }
    }
  }

  private prefix(at: Tok): Prefix | undefined {
    const p = parsePrefix(at.text);
    if (typeof p !== 'string') {
      if (p.family === Family.V6) return p;
      this.fail('E_CONFIG_VALUE', at, 'an IPv6 address or prefix (ndppd proxies IPv6 only)');
      return undefined;
    }
    const host = /the network is (\S+)\/(\d+)\)/.exec(p);
    if (!host) {
      this.fail('E_CONFIG_VALUE', at, 'an IPv6 address or prefix');
      return undefined;
    }
    // ndppd matches the prefix and ignores host bits; keep its meaning, and say so.
    this.notes.push(`rule ${at.text} (line ${at.line}) has host bits set; imported as ${host[1]}/${host[2]}`);
    const masked = parsePrefix(`${host[1]}/${host[2]}`);
    return typeof masked === 'string' ? undefined : masked;
  }

  private rule(key: Tok, proxy: string): NdppdRule | undefined {
    const at = this.required(key, 'an IPv6 address or prefix');
    const prefix = at ? this.prefix(at) : undefined;
    const r: NdppdRule = { tok: at ?? key, prefix: prefix!, method: 'none', iface: '' };
    if (this.block()) this.ruleBody(r, proxy);
    return prefix ? r : undefined;
  }

  private ruleBody(r: NdppdRule, proxy: string): void {
    const one = "one method per rule: 'static', 'auto' or 'iface IF'";
    for (;;) {
      const t = this.toks[this.i++];
      if (!t) {
        this.fail('E_CONFIG_SYNTAX', t, `'}' closing 'rule ${r.tok.text}'`);
        return;
      }
      if (isBrace(t, '}')) return;
      if (t.text === 'static' || t.text === 'auto' || t.text === 'iface') {
        const v = t.text === 'iface' ? this.required(t, 'an interface name') : (this.value(t), undefined);
        if (t.text === 'iface' && !v) continue;
        if (r.method !== 'none') this.fail('E_CONFIG_DUPLICATE', t, one);
        else {
          r.method = t.text;
          r.iface = v?.text ?? '';
        }
        if (this.block()) this.skipBlock();
      } else if (t.text === 'autovia') {
        if (this.bool(t)) this.notes.push(`'autovia yes' in rule ${r.tok.text} (proxy ${proxy}) has no equivalent`);
      } else if (isBrace(t, '{')) {
        this.fail('E_CONFIG_SYNTAX', t, "'static', 'auto', 'iface IF', 'autovia' or '}'");
        this.skipBlock();
      } else {
        this.ignore(t, `is not an option of 'rule' (static, auto, iface IF, autovia)`);
      }
    }
  }
}
