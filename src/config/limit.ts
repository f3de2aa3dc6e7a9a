// `limit` lines (issue 12), at top level (every interface) or in an interface block:
//   limit [source|interface] requests RATE/s [burst N]   requests answered
//   limit [source|interface] sends RATE/s [burst N]      frames sent besides answers
//   limit [source|interface] guard RATE/s [burst N]      takeover probes (to one owner | of the interface)
//   limit interface mld RATE/s [burst N]                solicited-node joins + leaves of learned groups
//   limit entries N                                      cache entries per MAC (top level)
// `source` (the default) is per requester MAC and per requester IP; `interface` is all
// requesters of the interface together. RATE `off` (or 0/s) lifts the limit; the burst
// defaults to one second's worth.
import type { Tok } from './lexer';
import type { Reporter } from './report';
import type { LimitSettings, RateLimit } from './types';
import { uint } from './values';

export const LIMIT_WORDS = ['source', 'interface', 'requests', 'sends', 'guard', 'mld', 'entries', 'burst'] as const;
const SHAPE = "'requests', 'sends', 'guard' or 'entries' (limit [source|interface] requests RATE/s [burst N])";
type RateKey = 'sourceRequests' | 'sourceSends' | 'sourceGuard' | 'interfaceRequests' | 'interfaceSends' | 'interfaceGuard' | 'interfaceMld';
const RATE_KEYS: Record<string, RateKey> = {
  'source requests': 'sourceRequests',
  'source sends': 'sourceSends',
  'source guard': 'sourceGuard',
  'interface requests': 'interfaceRequests',
  'interface sends': 'interfaceSends',
  'interface guard': 'interfaceGuard',
  'interface mld': 'interfaceMld',
};

/** Reads one `limit` line into `out`; `seen` refuses a setting given twice in the same place. */
export function limitLine(r: Reporter, toks: Tok[], out: Partial<LimitSettings>, seen: Map<string, number>, topLevel: boolean): void {
  let i = 1;
  let scope: 'source' | 'interface' = 'source';
  const first = toks[i];
  if (first && (first.text === 'source' || first.text === 'interface')) {
    scope = first.text;
    i++;
  }
  const what = toks[i];
  if (!what) return r.failEol(SHAPE);
  if (what.text === 'entries') {
    if (i !== 1) return r.failTok('E_CONFIG_SYNTAX', what, "'requests', 'sends' or 'guard' ('entries' is per MAC: limit entries N)");
    if (!topLevel) return r.failTok('E_CONFIG_SYNTAX', what, "'requests', 'sends' or 'guard' ('limit entries' is a top-level setting: the cache is one for all interfaces)");
    const v = toks[i + 1];
    if (!v) return r.failEol('the most cache entries one MAC may hold (a whole number)');
    if (!r.once(seen, what, 'the file')) return;
    const n = uint(r, v, 1, 'the most cache entries one MAC may hold');
    if (n !== undefined) out.entriesPerMac = n;
    r.noMore(toks, i + 2);
    return;
  }
  const key = `${scope} ${what.text}`;
  const field = Object.hasOwn(RATE_KEYS, key) ? RATE_KEYS[key] : undefined;
  if (key === 'source mld') return r.failTok('E_CONFIG_SYNTAX', what, "'requests', 'sends' or 'guard' (the joins' budget is the interface's: limit interface mld RATE/s)");
  if (field === undefined) return r.failTok('E_CONFIG_SYNTAX', what, SHAPE);
  const rate = rateOf(r, toks, i + 1);
  if (!rate) return;
  if (!r.once(seen, { ...what, text: `limit ${key}` }, topLevel ? 'the file' : 'interface')) return;
  out[field] = rate;
}

/** `RATE/s [burst N]` or `off` from token `i`. */
function rateOf(r: Reporter, toks: Tok[], i: number): RateLimit | undefined {
  const t = toks[i];
  if (!t) {
    r.failEol("a rate like 100/s, or 'off'");
    return undefined;
  }
  if (t.text === 'off') {
    r.noMore(toks, i + 1);
    return { rate: 0, burst: 0 };
  }
  const m = /^(\d+(?:\.\d+)?)\/s$/.exec(t.text);
  if (!m || !Number.isFinite(Number(m[1]))) {
    r.failTok('E_CONFIG_VALUE', t, "a rate like 100/s (per second), or 'off'");
    return undefined;
  }
  const rate = Number(m[1]);
  let burst = Math.max(1, Math.ceil(rate));
  const b = toks[i + 1];
  if (b) {
    if (b.text !== 'burst') {
      r.failTok('E_CONFIG_SYNTAX', b, "'burst N' or end of line");
      return undefined;
    }
    const v = toks[i + 2];
    if (!v) {
      r.failEol('the burst: how many may go at once (a whole number of at least 1)');
      return undefined;
    }
    const n = uint(r, v, 1, 'the burst: how many may go at once');
    if (n === undefined) return undefined;
    burst = n;
    if (!r.noMore(toks, i + 3)) return undefined;
  }
  return { rate, burst: rate > 0 ? burst : 0 };
}
