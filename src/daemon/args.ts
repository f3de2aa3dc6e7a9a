// `neighproxy run` options: parsed and validated here, so the daemon gets plain values
// and every mistake is reported before anything is opened.
import { isIP } from 'node:net';
import type { LevelWithSilent } from 'pino';
import { parseCommandArgs, type ArgSpec } from '../cli/args';
import { EXIT_CODES_TEXT } from './exitcodes';
import { resolveLogLevel } from './levels';

export const DEFAULT_CONFIG = '/etc/neighproxy/neighproxy.conf';
export const DEFAULT_CONTROL = '/run/neighproxy/ctl.sock';
export const DEFAULT_METRICS_PORT = 9469;
export const DEFAULT_USER = 'nobody';

export interface ListenAddress {
  host: string;
  port: number;
  /** True for 127.0.0.0/8 and ::1: anything else exposes counters to the network. */
  loopback: boolean;
}

export interface RunOptions {
  config: string;
  logLevel: LevelWithSilent;
  /** Prometheus endpoint; null = off (the default). */
  metrics: ListenAddress | null;
  /** Control socket path; null = no control socket. */
  control: string | null;
  /** User to switch to after the rings are open (only when started as root); null = keep. */
  user: string | null;
  /** Group for `user`; null = the user's primary group. */
  group: string | null;
  /** Policy timer period in milliseconds. */
  tickMs: number;
  /** Interface presence poll period in milliseconds. */
  linkPollMs: number;
  /** Parse the configuration, print warnings and exit. */
  check: boolean;
  /** Join solicited-node groups (hidden `--no-mld-joins` turns it off, for tests and comparisons). */
  mldJoins: boolean;
}

export const RUN_USAGE = `usage: neighproxy run [--config FILE] [options]

Runs the responder in the foreground (systemd style): one capture ring per configured
interface, logs on stdout. SIGHUP reloads the configuration, SIGTERM/SIGINT stop.

options:
  -c, --config FILE      configuration file (default ${DEFAULT_CONFIG})
      --check            parse the configuration, print warnings, exit 0 if valid
      --log-level LEVEL  fatal, error, warn, info (default), debug, trace, silent;
                         also NEIGHPROXY_LOG_LEVEL. JSON lines unless stdout is a terminal.
      --metrics [HOST:]PORT
                         serve Prometheus metrics at http://HOST:PORT/metrics (off by
                         default; HOST defaults to 127.0.0.1; non-loopback hosts warn)
      --control PATH     control socket for 'neighproxy ctl' (default ${DEFAULT_CONTROL})
      --no-control       no control socket
      --user USER        when started as root: switch to USER once the rings are open
                         (default ${DEFAULT_USER}), keeping only CAP_NET_RAW and CAP_NET_ADMIN
                         so interfaces that appear later still get rings; see
                         'privileges' in docs/daemon.md
      --group GROUP      group to switch to (default: USER's primary group)
      --no-drop          stay root (same as --user root)
      --tick MS          policy timer period (default 100)
      --link-poll MS     interface presence poll period (default 1000)

Under systemd (NOTIFY_SOCKET set) it reports READY=1 once every ring is open,
RELOADING=1/READY=1 around a reload and STATUS= lines; with JOURNAL_STREAM set, log
lines carry journald priority prefixes (<3> error, <4> warn, <6> info, <7> debug).

${EXIT_CODES_TEXT}
`;

/** Parses `HOST:PORT`, `[V6]:PORT` or `PORT`. Throws a message saying what was expected. */
export function parseListenAddress(text: string): ListenAddress {
  let host = '127.0.0.1';
  let portText = text;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (v6) {
    host = v6[1]!;
    portText = v6[2]!;
  } else if (text.includes(':')) {
    const i = text.lastIndexOf(':');
    host = text.slice(0, i);
    portText = text.slice(i + 1);
    if (host.includes(':')) throw new Error(`--metrics '${text}': write an IPv6 address as [ADDRESS]:PORT`);
  }
  if (host === 'localhost') host = '127.0.0.1';
  if (isIP(host) === 0) throw new Error(`--metrics '${text}': expected an IP address before the port, found '${host}'`);
  const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new Error(`--metrics '${text}': expected a port between 1 and 65535, found '${portText}'`);
  }
  const loopback = host === '::1' || /^127\./.test(host);
  return { host, port, loopback };
}

function positiveInt(name: string, text: string | undefined, def: number, min: number, max: number): number {
  if (text === undefined) return def;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) throw new Error(`${name} '${text}': expected an integer between ${min} and ${max}`);
  return n;
}

export const RUN_ARGS: ArgSpec = {
  command: 'run',
  options: {
    config: { type: 'string', short: 'c', value: 'FILE' },
    check: { type: 'boolean' },
    'log-level': { type: 'string', value: 'LEVEL' },
    metrics: { type: 'string', value: '[HOST:]PORT' },
    control: { type: 'string', value: 'PATH' },
    'no-control': { type: 'boolean' },
    user: { type: 'string', value: 'USER' },
    group: { type: 'string', value: 'GROUP' },
    'no-drop': { type: 'boolean' },
    tick: { type: 'string', value: 'NUMBER of milliseconds' },
    'link-poll': { type: 'string', value: 'NUMBER of milliseconds' },
    'no-mld-joins': { type: 'boolean' },
  },
};

/** Throws Error with an operator-readable message on any invalid option. */
export function parseRunArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): RunOptions {
  const { values } = parseCommandArgs(RUN_ARGS, argv);
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const user = str('user');
  const control = str('control');
  const metrics = str('metrics');
  if (values['no-drop'] && user !== undefined && user !== 'root') {
    throw new Error('--no-drop and --user contradict each other');
  }
  if (values['no-control'] && control !== undefined) {
    throw new Error('--no-control and --control contradict each other');
  }
  return {
    config: str('config') ?? DEFAULT_CONFIG,
    check: values.check === true,
    logLevel: resolveLogLevel(str('log-level'), env),
    metrics: metrics === undefined ? null : parseListenAddress(metrics),
    control: values['no-control'] ? null : (control ?? DEFAULT_CONTROL),
    user: values['no-drop'] || user === 'root' ? null : (user ?? DEFAULT_USER),
    group: str('group') ?? null,
    tickMs: positiveInt('--tick', str('tick'), 100, 10, 1000),
    linkPollMs: positiveInt('--link-poll', str('link-poll'), 1000, 50, 60000),
    mldJoins: values['no-mld-joins'] !== true,
  };
}
