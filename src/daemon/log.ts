// Daemon logging: one pino logger, JSON lines for journald/collectors by default,
// pino-pretty when a person watches a terminal.
import pino, { type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export { isLogLevel, LOG_LEVELS, resolveLogLevel } from './levels';

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
