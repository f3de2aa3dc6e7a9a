// The settings of the `cache` block.
import { CACHE_KEYWORDS } from './keywords';
import type { Tok } from './lexer';
import { MAX_TABLESIZE, cacheBytes, formatBytes } from './limits';
import type { Reporter } from './report';
import { didYouMean } from './suggest';
import type { CacheConfig } from './types';
import { product, uint } from './values';

const WHERE = "'cache' block";

/** Reads one line of the cache block (not `end`). */
export function cacheLine(r: Reporter, toks: Tok[], c: CacheConfig, seen: Map<string, number>): void {
  const kw = toks[0]!;
  switch (kw.text) {
    case 'timeout': {
      const v = r.oneArg(toks, 'the entry lifetime in seconds');
      if (!v || !r.once(seen, kw, WHERE)) return;
      const n = uint(r, v, 0, 'the entry lifetime in seconds');
      if (n !== undefined) c.timeout = n;
      return;
    }
    case 'tablesize': {
      const v = r.oneArg(toks, 'the maximum number of entries');
      if (!v || !r.once(seen, kw, WHERE)) return;
      const n = uint(r, v, 1, 'the maximum number of entries');
      if (n === undefined) return;
      if (n > MAX_TABLESIZE) {
        const perEntry = Math.round(cacheBytes(MAX_TABLESIZE) / MAX_TABLESIZE);
        r.failTok('E_CONFIG_LIMIT', v, `the maximum number of entries, at most ${MAX_TABLESIZE} (about ${perEntry} bytes each: ` +
          `this would need ${formatBytes(cacheBytes(n))}, the most ${formatBytes(cacheBytes(MAX_TABLESIZE))})`);
        return;
      }
      c.tablesize = n;
      return;
    }
    case 'refresh': {
      const v = r.oneArg(toks, 'RETRIES*SECONDS, like 3*5');
      if (!v || !r.once(seen, kw, WHERE)) return;
      const p = product(r, v, 0, 'RETRIES*SECONDS, like 3*5');
      if (p) c.refresh = { count: p.a, interval: p.b };
      return;
    }
    case 'delay': {
      const v = r.oneArg(toks, 'COUNT*SECONDS, like 4*3');
      if (!v || !r.once(seen, kw, WHERE)) return;
      const p = product(r, v, 1, 'COUNT*SECONDS, like 4*3');
      if (p) c.delay = { count: p.a, window: p.b };
      return;
    }
    case 'state-file': {
      const v = r.oneArg(toks, "a file path for the saved cache, or 'none'");
      if (!v || !r.once(seen, kw, WHERE)) return;
      if (v.text === 'none') c.stateFile = null;
      else if (v.text.startsWith('/')) c.stateFile = v.text;
      else r.failTok('E_CONFIG_VALUE', v, "an absolute file path for the saved cache (like /var/lib/neighproxy/cache.state), or 'none'");
      return;
    }
    case 'probe-alive-size':
    case 'probe-absent-size':
    case 'probe-rate':
    case 'probe-burst':
      probeLine(r, toks, c, seen);
      return;
    default:
      r.failTok('E_CONFIG_SYNTAX', kw, `a cache setting: ${CACHE_KEYWORDS.join(', ')}${didYouMean(kw.text, CACHE_KEYWORDS)}`);
  }
}

/** The most probes per second (and burst) per interface: beyond it a probe rule is a flood. */
export const MAX_PROBE_RATE = 100_000;
const PROBE_SETTINGS = {
  'probe-alive-size': { key: 'aliveSize', what: 'the most entries of the probe alive table', min: 4, max: MAX_TABLESIZE },
  'probe-absent-size': { key: 'absentSize', what: 'the most entries of the probe absent table', min: 4, max: MAX_TABLESIZE },
  'probe-rate': { key: 'rate', what: 'probes per second per probed interface', min: 1, max: MAX_PROBE_RATE },
  'probe-burst': { key: 'burst', what: 'probes sent at once per probed interface before the rate applies', min: 1, max: MAX_PROBE_RATE },
} as const;

function probeLine(r: Reporter, toks: Tok[], c: CacheConfig, seen: Map<string, number>): void {
  const kw = toks[0]!;
  const s = PROBE_SETTINGS[kw.text as keyof typeof PROBE_SETTINGS];
  const v = r.oneArg(toks, s.what);
  if (!v || !r.once(seen, kw, WHERE)) return;
  const n = uint(r, v, s.min, s.what);
  if (n === undefined) return;
  if (n > s.max) {
    r.failTok('E_CONFIG_LIMIT', v, `${s.what}, at most ${s.max}`);
    return;
  }
  c.probe = { ...c.probe, [s.key]: n };
}
