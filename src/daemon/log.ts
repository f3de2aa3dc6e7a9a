// Daemon logging: one pino logger, JSON lines for journald/collectors by default,
// pino-pretty when a person watches a terminal.
import pino, { type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function isLogLevel(s: string): s is LevelWithSilent {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

export interface LogOptions {
  level: LevelWithSilent;
  /** Human-readable output (pino-pretty). Default: stdout is a terminal. */
  pretty?: boolean;
  /** Where lines go; default stdout (fd 1). */
  fd?: number;
}

/**
 * Synchronous writes: a daemon that logs a decision and then crashes or exits on
 * SIGTERM must not lose the line. Verbose per-decision logs are opt-in per rule.
 */
export function createLogger(opts: LogOptions): Logger {
  const fd = opts.fd ?? 1;
  const usePretty = opts.pretty ?? (fd === 1 && process.stdout.isTTY === true);
  const base = { level: opts.level, base: { pid: process.pid }, name: 'neighproxy' };
  if (usePretty) {
    return pino(base, pretty({ colorize: true, sync: true, destination: fd, ignore: 'pid,hostname,name' }));
  }
  return pino(base, pino.destination({ dest: fd, sync: true }));
}

/** Level from `--log-level`, then NEIGHPROXY_LOG_LEVEL, then `info`; throws a message naming the source when invalid. */
export function resolveLogLevel(cli: string | undefined, env: NodeJS.ProcessEnv): LevelWithSilent {
  const raw = cli ?? env.NEIGHPROXY_LOG_LEVEL ?? 'info';
  if (isLogLevel(raw)) return raw;
  const from = cli !== undefined ? '--log-level' : 'NEIGHPROXY_LOG_LEVEL';
  throw new Error(`invalid ${from} '${raw}': expected one of ${LOG_LEVELS.join(', ')}`);
}
