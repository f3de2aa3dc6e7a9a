// The daemon as a process: logger, real dependencies, start-up, SIGHUP reloads and a
// bounded stop on SIGTERM/SIGINT. `neighproxy run` loads this module only when it runs,
// so the other commands (and `neighproxy help`) never load pino, prom-client or node:http.
import { Daemon } from './daemon';
import type { RunOptions } from './args';
import { createLogger } from './log';
import { realDeps } from './real';

/** Longest a stop may take before the process exits anyway (systemd's patience is ours too). */
const STOP_DEADLINE_MS = 900;

/** An error to print as `neighproxy run: MESSAGE` and exit with `exitCode`. */
export class StartError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

/** `run --check`: loads and checks the configuration only. Returns the exit code. */
export function checkOnly(opts: RunOptions): number {
  const deps = realDeps(createLogger({ level: opts.logLevel }));
  try {
    const { warnings } = deps.loadConfig(opts.config);
    for (const w of warnings) process.stderr.write(`${w.message}\n`);
    process.stdout.write(`${opts.config}: ok\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
}

/** Runs the daemon until SIGTERM/SIGINT; resolves to the exit code. Throws StartError when it cannot start. */
export async function runDaemon(opts: RunOptions): Promise<number> {
  const log = createLogger({ level: opts.logLevel });
  const deps = realDeps(log);
  const daemon = new Daemon(opts, deps, log);
  daemon.dropName = deps.dropName;
  // SIGHUP's default action kills: one arriving during start-up is kept for afterwards.
  let earlyHup = false;
  const onEarlyHup = (): void => { earlyHup = true; };
  process.on('SIGHUP', onEarlyHup);
  try {
    await daemon.start();
  } catch (err) {
    const e = err as Error & { code?: string };
    log.fatal({ event: 'start_failed', code: e.code }, e.message);
    throw new StartError(e.message, 1);
  } finally {
    process.off('SIGHUP', onEarlyHup);
  }
  return new Promise<number>((resolve) => {
    const onHup = (): void => {
      log.info({ event: 'sighup' }, 'SIGHUP: reloading the configuration');
      daemon.reload();
    };
    const onStop = (signal: NodeJS.Signals): void => {
      process.off('SIGHUP', onHup);
      log.info({ event: 'stopping', signal }, `${signal}: stopping`);
      const t0 = Date.now();
      const deadline = setTimeout(() => {
        log.error({ event: 'stop_timeout' }, `not stopped after ${STOP_DEADLINE_MS} ms: exiting anyway`);
        process.exit(1);
      }, STOP_DEADLINE_MS);
      deadline.unref();
      void daemon.stop().then(() => {
        clearTimeout(deadline);
        log.info({ event: 'stopped', ms: Date.now() - t0 }, 'stopped');
        // Whatever a library left behind must not keep a stopped daemon alive.
        setTimeout(() => process.exit(0), 100).unref();
        resolve(0);
      });
    };
    process.on('SIGHUP', onHup);
    if (earlyHup) onHup();
    process.once('SIGTERM', onStop);
    process.once('SIGINT', onStop);
  });
}
