// Translation of an ndppd.conf (ndppd.conf(5)) into neighproxy's language, for
// operators replacing ndppd. What has no equivalent is said, never silently dropped.
//
// ndppd's grammar: `route-ttl MS`, `address-ttl MS`, and `proxy IFACE { ... }` blocks
// with `router yes|no`, `timeout MS`, `ttl MS`, `deadtime MS`, `autowire yes|no`,
// `keepalive yes|no`, `retries N`, `promiscuous yes|no` and `rule PREFIX { METHOD }`
// where METHOD is `static`, `auto` or `iface IF` (plus `autovia yes|no`); 0.2.5 (what
// Debian ships) knows route-ttl, router, timeout, ttl and the three methods, the rest
// came later. Lexical rules (comments, quotes, `key = value`) are in ndppd-scan.ts.
// Like ndppd, an unknown key is ignored (and noted here), the first of a repeated key
// counts, and a yes/no value other than yes/true (any case) means no.
import { formatPrefix } from '../net/addr';
import { ConfigError } from './errors';
import { NdppdReader } from './ndppd-read';
import { scanNdppd } from './ndppd-scan';

/** Seconds from milliseconds, without float noise (500 -> 0.5). */
const seconds = (ms: number): number => Math.round(ms) / 1000;

/**
 * Translates ndppd.conf text. Returns the neighproxy configuration text (with `#`
 * comments where the translation is approximate) and the notes about what has no
 * equivalent. Throws a ConfigError (all problems in `.errors`) for invalid input.
 */
export function importNdppd(text: string, file: string): { text: string; notes: string[] } {
  const lines = text.split(/\r?\n/);
  const reader = new NdppdReader(scanNdppd(text), file, lines.length);
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
