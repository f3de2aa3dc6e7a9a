import { UsageError, type Command } from '../command';
import { parseRunArgs, RUN_USAGE, type RunOptions } from '../../daemon/args';
import { Daemon } from '../../daemon/daemon';
import { createLogger } from '../../daemon/log';
import { realDeps } from '../../daemon/real';

/** Longest a stop may take before the process exits anyway (systemd's patience is ours too). */
const STOP_DEADLINE_MS = 900;

export const command: Command = {
  summary: 'run the responder in the foreground (SIGHUP reloads, SIGTERM stops)',
  usage: RUN_USAGE,
  async run(argv: string[]): Promise<number> {
    let opts: RunOptions;
    try {
      opts = parseRunArgs(argv);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const log = createLogger({ level: opts.logLevel });
    const deps = realDeps(log);
    if (opts.check) {
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
      throw new UsageError(e.message, 1);
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
  },
};
