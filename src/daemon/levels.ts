// Log level names and the `--log-level` / NEIGHPROXY_LOG_LEVEL rule, apart from the
// logger itself so that parsing `run` options (and `neighproxy help`) loads no pino.
import type { LevelWithSilent } from 'pino';

export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function isLogLevel(s: string): s is LevelWithSilent {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

/** Level from `--log-level`, then NEIGHPROXY_LOG_LEVEL, then `info`; throws a message naming the source when invalid. */
export function resolveLogLevel(cli: string | undefined, env: NodeJS.ProcessEnv): LevelWithSilent {
  const raw = cli ?? env.NEIGHPROXY_LOG_LEVEL ?? 'info';
  if (isLogLevel(raw)) return raw;
  const from = cli !== undefined ? '--log-level' : 'NEIGHPROXY_LOG_LEVEL';
  throw new Error(`invalid ${from} '${raw}': expected one of ${LOG_LEVELS.join(', ')}`);
}
