// The configuration parser under fuzz: files made of valid lines of every kind, then
// mutated (words dropped, swapped, duplicated, characters changed, numbers pushed to
// their limits, UTF-8, NUL and control characters, cut lines). Every outcome must be a
// configuration the policy can run, or a ConfigError whose every message is
// FILE:LINE:COL; nothing else may be thrown. Deterministic from a seed.
import { ConfigError, formatConfig, parseConfig, type Config } from '../../src/config';
import { IFNAME_MAX_BYTES, MAX_TABLESIZE } from '../../src/config/limits';
import { Policy } from '../../src/policy';
import type { PolicyEnvironment } from '../../src/policy/types';
import { rng } from './wire-fuzz';

// Each pool: [usual values, hostile ones]; a hostile one is drawn 4 % of the time.
type Pool = readonly [readonly string[], readonly string[]];
const NAMES: Pool = [['eth0', 'em0', 'br-lan', 'vlan.100', 'kunde-müller-0', 'tap_peer7', 'x'.repeat(15)],
  ['kunde-müller-01', 'città', 'a\u0000b', 'x'.repeat(16), '..', 'a/b', 'eth0:1', '"eth0"']];
const V4: Pool = [['198.51.100.0/24', '192.0.2.0/25', '0.0.0.0/0', '203.0.113.7', '198.51.100.128/25'],
  ['198.51.100.1/24', '198.51.100.300', '198.51.100.0/33', '1.2.3', '198.51.100.0/-1']];
const V6: Pool = [['2001:db8::/32', '::/0', '2001:db8::1', 'fe80::1', '2001:db8:1::/48', '::ffff:192.0.2.1'],
  ['2001:db8:::/64', '2001:db8::/129', '2001:db8::1::2', '12345::', 'fe80::1%eth0']];
const MACS: Pool = [['02:00:5e:00:53:01', '02:00:5e:00:53:02', '00:00:5e:00:53:03'],
  ['ff:ff:ff:ff:ff:ff', '33:33:00:00:00:01', '00:00:00:00:00:00', '02:00:5e:00:53', '02:00:5e:00:53:01:02']];
const NUMBERS: Pool = [['1', '3', '30', '300', '1024', '65536', String(MAX_TABLESIZE), '3*5', '0*5', '4*3', '1.011'],
  ['0', '1000000000', String(MAX_TABLESIZE + 1), '-1', '1e9', 'NaN', '0x10', '99999999999999999999', '*', '3*']];
const ACTIONS: Pool = [['tell', 'ignore', 'self', 'route', '198.51.100.1', '2001:db8::1', '02:00:5e:00:53:09', 'template 02:00:5e:00:00:00/8'],
  ['template fe:fd:fd:fd:fd:00/8', 'slef', 'template 02:00:5e:00:00:01/8', 'verbose']];
const JUNK = ['\u0000', '\t', '#', 'é', '\u00a0', '\u2028', 'end', 'interface', 'cache', '\r', '"', "'", '\\', 'ü', '\u{1F600}'];

type R = () => number;
const pick = <T>(r: R, a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
const draw = (r: R, p: Pool): string => pick(r, p[r() < 0.04 ? 1 : 0]);
const addr = (r: R, p: Pool): string => draw(r, p).replace(/\/\d+$/, '');

function interfaceLine(r: R): string {
  const v6 = r() < 0.4;
  const pfx = (): string => draw(r, v6 ? V6 : V4);
  switch (Math.floor(r() * (r() < 0.7 ? 5 : 12))) {
    case 0: case 1: case 2:
      return `rule ${pfx()} ${pfx()} ${r() < 0.2 ? pick(r, ['delay ', 'verbose ', 'probes ']) : ''}${draw(r, ACTIONS)}`;
    case 3: return `static ${addr(r, v6 ? V6 : V4)} ${draw(r, MACS)}${r() < 0.3 ? ' announce' : ''}`;
    case 4: return `pin ${addr(r, v6 ? V6 : V4)}`;
    case 5: return `vlan ${draw(r, [['any', 'untagged', '100', '100,200-210', 'untagged,7'], ['0', '4095', '4096', '10-5', '1,,2']])}`;
    case 6: return `mac ${draw(r, MACS)}`;
    case 7: return `${pick(r, ['promisc', 'allmulti', 'router', 'override'])} ${draw(r, [['yes', 'no'], ['ys', '1']])}`;
    case 8: return `${pick(r, ['uplink', 'exception'])} ${addr(r, V6)}`;
    case 9: return `ring ${pick(r, ['rx', 'tx', 'framesize'])} ${draw(r, NUMBERS)}`;
    case 10: return `timeout ${draw(r, NUMBERS)}`;
    default: return r() < 0.5 ? `dad ${draw(r, [['defend', 'ignore'], ['target']])}` : `na-source ${draw(r, [['link-local', 'target'], ['defend']])}`;
  }
}

/** A file of a cache block and interface blocks, valid more often than not. */
export function makeConfig(r: R): string {
  const lines: string[] = [];
  if (r() < 0.5) {
    lines.push('cache');
    for (let i = Math.floor(r() * 4); i > 0; i--) lines.push(` ${pick(r, ['timeout', 'tablesize', 'refresh', 'delay'])} ${draw(r, NUMBERS)}`);
    lines.push('end');
  }
  for (let b = 1 + Math.floor(r() * 2); b > 0; b--) {
    lines.push(`interface ${draw(r, NAMES)}`);
    for (let i = 1 + Math.floor(r() * 6); i > 0; i--) lines.push(` ${interfaceLine(r)}`);
    lines.push('end');
  }
  return mutate(r, lines).join('\n') + (r() < 0.9 ? '\n' : '');
}

function mutate(r: R, lines: string[]): string[] {
  const edits = r() < 0.5 ? 0 : 1 + Math.floor(r() * 3);
  for (let e = 0; e < edits && lines.length > 0; e++) {
    const i = Math.floor(r() * lines.length);
    const words = lines[i]!.split(' ');
    const w = Math.floor(r() * words.length);
    switch (Math.floor(r() * 6)) {
      case 0: words.splice(w, 1); break;
      case 1: words.splice(w, 0, words[w]!); break;
      case 2: words[w] = pick(r, [...NUMBERS[1], ...JUNK]); break;
      case 3: {
        const s = words[w]!;
        const at = Math.floor(r() * (s.length + 1));
        words[w] = s.slice(0, at) + pick(r, JUNK) + s.slice(at + (r() < 0.5 ? 1 : 0));
        break;
      }
      case 4: lines.splice(i, 1); continue;
      default: lines.splice(i, 0, lines[Math.floor(r() * lines.length)]!); continue;
    }
    lines[i] = words.join(' ');
  }
  return lines;
}

class NullEnv implements PolicyEnvironment {
  interfaceMac(): number { return 0x02005e0053fe; }
  isOwnIp4(): boolean { return false; }
  isOwnIp6(): boolean { return false; }
  sourceIp4(): number { return 0; }
  sourceIp6(): boolean { return false; }
  routeInterface(): string | undefined { return undefined; }
}
const nullOutput = new Proxy({}, { get: () => () => undefined }) as never;

export class ConfigFuzzFailure extends Error {
  constructor(readonly seed: number, readonly caseNo: number, readonly input: string, why: string) {
    super(`config fuzz seed ${seed}, case ${caseNo}: ${why}\n  input: ${JSON.stringify(input)}`);
  }
}

const WHERE = /^fuzz\.conf:\d+:\d+: /;

/** What `run` would trip on in a configuration `check` accepted; null when none. */
function runnable(config: Config): string | null {
  for (const i of config.interfaces) {
    if (Buffer.byteLength(i.name) > IFNAME_MAX_BYTES) return `interface name ${JSON.stringify(i.name)} over ${IFNAME_MAX_BYTES} bytes`;
    if (/[\u0000-\u001f\u007f\s/:]/.test(i.name)) return `interface name ${JSON.stringify(i.name)} the kernel refuses`;
  }
  const { tablesize } = config.cache;
  if (!(Number.isInteger(tablesize) && tablesize >= 0 && tablesize <= MAX_TABLESIZE)) return `tablesize ${tablesize} accepted`;
  try {
    // The cache's size is checked above; building a 1.5 GiB table per case would only cost time.
    const small = { ...config, cache: { ...config.cache, tablesize: Math.min(tablesize, 256) } };
    new Policy({ config: small, env: new NullEnv(), output: nullOutput, options: { delayTableSize: 256 } });
    parseConfig(formatConfig(config), 'fuzz.conf');
  } catch (err) {
    return `accepted, but ${(err as Error).message}`;
  }
  return null;
}

export interface ConfigFuzzResult { cases: number; valid: number; errors: number }

/** Parses `cases` fuzzed files from `seed`; throws ConfigFuzzFailure on the first fault. */
export function fuzzConfig(seed: number, cases: number): ConfigFuzzResult {
  const r = rng(seed);
  let valid = 0;
  let errors = 0;
  for (let n = 0; n < cases; n++) {
    const text = makeConfig(r);
    const fail = (why: string): ConfigFuzzFailure => new ConfigFuzzFailure(seed, n, text, why);
    let parsed: ReturnType<typeof parseConfig>;
    try {
      parsed = parseConfig(text, 'fuzz.conf');
    } catch (err) {
      if (!(err instanceof ConfigError)) throw fail(`threw ${(err as Error).stack ?? err}`);
      const bad = err.errors.find((e) => !WHERE.test(e.message));
      if (bad || err.errors.length === 0) throw fail(`an error without FILE:LINE:COL: ${JSON.stringify(bad?.message ?? err.message)}`);
      errors++;
      continue;
    }
    const badWarning = parsed.warnings.find((w) => !WHERE.test(w.message));
    if (badWarning) throw fail(`a warning without FILE:LINE:COL: ${JSON.stringify(badWarning.message)}`);
    const why = runnable(parsed.config);
    if (why) throw fail(why);
    valid++;
  }
  return { cases, valid, errors };
}
