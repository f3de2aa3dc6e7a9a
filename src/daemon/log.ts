// Daemon logging: one pino logger, JSON lines for journald/collectors by default,
// pino-pretty when a person watches a terminal.
import { fstatSync } from 'node:fs';
import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export { isLogLevel, LOG_LEVELS, resolveLogLevel } from './levels';

export interface LogOptions {
  level: LevelWithSilent;
  /** Human-readable output (pino-pretty). Default: stdout is a terminal. */
  pretty?: boolean;
  /** Where lines go; default stdout (fd 1). */
  fd?: number;
  /** Prefix lines with journald's `<N>` priority. Default: JOURNAL_STREAM names this fd. */
  journal?: boolean;
}

/**
 * syslog priority of a pino level, for journald's `<N>` line prefix (sd-daemon(3)):
 * fatal 2 (crit), error 3 (err), warn 4 (warning), info 6, debug and trace 7.
 */
export function syslogPriority(level: number): number {
  if (level >= 60) return 2;
  if (level >= 50) return 3;
  if (level >= 40) return 4;
  if (level >= 30) return 6;
  return 7;
}

/**
 * True when `fd` is the stream systemd connected to the journal: JOURNAL_STREAM is
 * "DEVICE:INODE" of it (systemd.exec(5)); a child whose stdout was redirected elsewhere
 * inherits the variable, so the device and inode are compared, not just the variable's presence.
 */
export function isJournalStream(fd: number, env: NodeJS.ProcessEnv = process.env): boolean {
  const m = /^(\d+):(\d+)$/.exec(env.JOURNAL_STREAM ?? '');
  if (!m) return false;
  try {
    const st = fstatSync(fd, { bigint: true });
    return st.dev === BigInt(m[1]!) && st.ino === BigInt(m[2]!);
  } catch {
    return false;
  }
}

/** A pino destination writing each JSON line with its `<N>` prefix, synchronously. */
export function journalDestination(write: (line: string) => void): DestinationStream {
  return {
    write(line: string): void {
      const m = /"level":(\d+)/.exec(line);
      write(`<${syslogPriority(m ? Number(m[1]) : 30)}>${line}`);
    },
  };
}

/**
 * Synchronous writes: a daemon that logs a decision and then crashes or exits on
 * SIGTERM must not lose the line. Verbose per-decision logs are opt-in per rule.
 */
export function createLogger(opts: LogOptions): Logger {
  const fd = opts.fd ?? 1;
  const usePretty = opts.pretty ?? (fd === 1 && process.stdout.isTTY === true);
  const base = { level: opts.level, base: { pid: process.pid }, name: 'neighproxy' };
  if (opts.journal ?? isJournalStream(fd)) {
    const out = pino.destination({ dest: fd, sync: true });
    return pino(base, journalDestination((line) => { out.write(line); }));
  }
  if (usePretty) {
    return pino(base, pretty({ colorize: true, sync: true, destination: fd, ignore: 'pid,hostname,name' }));
  }
  return pino(base, pino.destination({ dest: fd, sync: true }));
}
