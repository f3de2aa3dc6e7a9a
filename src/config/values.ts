// Value words: numbers, yes/no, prefixes, addresses, MACs, MAC templates and VLAN
// lists. Each returns the value, or undefined after reporting the word.
import { Family, isMulticastMac, parseIp, parseIp6, parseMac, parsePrefix, type Ip6, type Mac, type Prefix } from '../net/addr';
import { explainIp, explainIp6, explainPrefix, macByteCount } from './diagnose';
import type { Tok } from './lexer';
import type { Reporter } from './report';
import { didYouMean } from './suggest';
import type { MacTemplate } from './types';

export function uint(r: Reporter, t: Tok, min: number, what: string): number | undefined {
  if (/^\d+$/.test(t.text)) {
    const n = Number(t.text);
    if (n >= min && Number.isSafeInteger(n)) return n;
  }
  r.failTok('E_CONFIG_VALUE', t, `${what} (a whole number${min > 0 ? ` of at least ${min}` : ''})`);
  return undefined;
}

export function positive(r: Reporter, t: Tok, what: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(t.text)) {
    const n = Number(t.text);
    if (n > 0 && Number.isFinite(n)) return n;
  }
  r.failTok('E_CONFIG_VALUE', t, `${what} (a number greater than 0, like 1.5)`);
  return undefined;
}

/** `A*B` with A a whole number >= minCount and B seconds > 0. */
export function product(r: Reporter, t: Tok, minCount: number, shape: string): { a: number; b: number } | undefined {
  const m = /^(\d+)\*(\d+(?:\.\d+)?)$/.exec(t.text);
  if (!m) {
    r.failTok('E_CONFIG_SYNTAX', t, `${shape}`);
    return undefined;
  }
  const a = Number(m[1]);
  const b = Number(m[2]);
  if (a < minCount || b <= 0) {
    const count = shape.slice(0, shape.indexOf('*'));
    r.failTok('E_CONFIG_VALUE', t, `${shape.split(',')[0]} with ${count} >= ${minCount} and SECONDS > 0`);
    return undefined;
  }
  return { a, b };
}

/** One of a few fixed words; `expected` lists them as the message says. */
export function choice<T extends string>(r: Reporter, t: Tok, words: readonly T[], expected: string): T | undefined {
  if ((words as readonly string[]).includes(t.text)) return t.text as T;
  r.failTok('E_CONFIG_SYNTAX', t, `${expected}${didYouMean(t.text, words)}`);
  return undefined;
}

export function yesNo(r: Reporter, t: Tok): boolean | undefined {
  const w = choice(r, t, ['yes', 'no'], "'yes' or 'no'");
  return w === undefined ? undefined : w === 'yes';
}

export function prefix(r: Reporter, t: Tok, role: string): Prefix | undefined {
  const p = parsePrefix(t.text);
  if (typeof p !== 'string') return p;
  const host = /the network is (\S+)\)/.exec(p);
  if (host) {
    r.failTok('E_CONFIG_VALUE', t, `a ${role} prefix without host bits (did you mean ${host[1]}?)`);
  } else {
    r.failTok('E_CONFIG_VALUE', t, explainPrefix(t.text, role) ?? `a ${role} prefix: an IPv4 or IPv6 address, optionally with /LENGTH`);
  }
  return undefined;
}

export function unicastMac(r: Reporter, t: Tok): Mac | undefined {
  const mac = parseMac(t.text);
  if (mac === undefined || !/^[0-9a-fA-F:-]+$/.test(t.text)) {
    const n = macByteCount(t.text);
    r.failTok('E_CONFIG_VALUE', t, n === undefined
      ? 'a MAC address like 02:00:5e:00:53:01'
      : `a MAC address of 6 bytes like 02:00:5e:00:53:01 (this has ${n})`);
    return undefined;
  }
  if (mac === 0 || isMulticastMac(mac)) {
    r.failTok('E_CONFIG_VALUE', t, 'a unicast MAC address (not zero, group bit clear)');
    return undefined;
  }
  return mac;
}

export function ip6(r: Reporter, t: Tok, role: string): Ip6 | undefined {
  const v6 = parseIp6(t.text);
  if (v6) return v6;
  const any = parseIp(t.text);
  const bad = any || t.text.includes('/') ? undefined : explainIp6(t.text);
  const why = any ? ` (${role} is an IPv6 setting)` : t.text.includes('/') ? ' (a single address, not a prefix)' : bad ? ` for ${role} (${bad})` : ` for ${role}`;
  r.failTok('E_CONFIG_VALUE', t, `an IPv6 address${why}`);
  return undefined;
}

/** An address of either family (statics). */
export function address(r: Reporter, t: Tok): ReturnType<typeof parseIp> {
  const a = parseIp(t.text);
  if (a) return a;
  const why = explainIp(t.text);
  r.failTok('E_CONFIG_VALUE', t, `an IPv4 or IPv6 address${why ? ` (${why})` : ''}`);
  return undefined;
}

/** `BASE/BITS`: the low BITS of the MAC come from the low BITS of the target address. */
export function template(r: Reporter, t: Tok, family: Family): MacTemplate | undefined {
  const shape = 'a MAC template BASE/BITS like fe:fd:fd:fd:fd:00/8 (BITS 8, 16, 24, 32 or 40)';
  const m = /^([^/]+)\/(\d+)$/.exec(t.text);
  const base = m ? parseMac(m[1]!) : undefined;
  if (!m || base === undefined) {
    r.failTok('E_CONFIG_SYNTAX', t, shape);
    return undefined;
  }
  const bits = Number(m[2]);
  const bad = (expected: string): undefined => {
    r.failTok('E_CONFIG_VALUE', t, expected);
    return undefined;
  };
  if (bits % 8 !== 0 || bits < 8 || bits > 40) return bad(shape);
  if (family === Family.V4 && bits > 32) return bad('a template taking at most 32 bits from an IPv4 address');
  if (base % 2 ** bits !== 0) return bad(`a template whose low ${bits} bits are zero (they come from the address)`);
  if (isMulticastMac(base)) return bad('a template with a unicast base (group bit clear)');
  return { base, addressBytes: bits / 8, text: t.text };
}

/** One item of a VLAN list: adds its ids to `out`; false when reported. */
function vlanItem(r: Reporter, itok: Tok, out: Set<number>): boolean {
  const item = itok.text;
  if (item === 'untagged') {
    out.add(0);
    return true;
  }
  if (item === 'any') {
    r.failTok('E_CONFIG_VALUE', itok, "'any' alone (it already includes every VLAN)");
    return false;
  }
  const m = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(item);
  if (!m) {
    r.failTok('E_CONFIG_SYNTAX', itok, 'a VLAN id 1-4094, a range LOW-HIGH, or untagged');
    return false;
  }
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo < 1 || hi > 4094 || lo > hi) {
    r.failTok('E_CONFIG_VALUE', itok, m[2] === undefined ? 'a VLAN id from 1 to 4094' : 'a VLAN range LOW-HIGH with 1 <= LOW <= HIGH <= 4094');
    return false;
  }
  for (let v = lo; v <= hi; v++) out.add(v);
  return true;
}

/** `vlan any` | `vlan untagged,100,200-210` (0 in the model stands for untagged). */
export function vlans(r: Reporter, toks: Tok[]): number[] | null | undefined {
  if (toks.length === 1 && toks[0]!.text === 'any') return null;
  const out = new Set<number>();
  let ok = true;
  for (const t of toks) {
    let col = t.col;
    for (const item of t.text.split(',')) {
      const itok = { text: item, col };
      col += item.length + 1;
      if (item === '') continue; // `100, 200` splits into two tokens with a trailing comma
      if (!vlanItem(r, itok, out)) ok = false;
    }
  }
  if (!ok) return undefined;
  return [...out].sort((a, b) => a - b);
}
