// The daemon as a process: logger, real dependencies, start-up, service-manager
// notifications, SIGHUP reloads and a bounded stop on SIGTERM/SIGINT. `neighproxy run`
// loads this module only when it runs, so the other commands (and `neighproxy help`)
// never load pino, prom-client or node:http.
import { Daemon } from './daemon';
import type { RunOptions } from './args';
import { EXIT_OK, EXIT_RUNTIME, startFailureExit } from './exitcodes';
import { createLogger, type Logger } from './log';
import { daemonExtraSources, registerExtraMetrics } from './metrics-extra';
import { lookupUser } from './privileges';
import { realDeps } from './real';
import { withWorkers } from './workers/managed';
import { SdNotifier } from './sdnotify';
import { ServiceState } from './service';
import { hostWarnings, unreadableAfterDrop } from './warnings';

/** Longest a stop may take before the process exits anyway (systemd's patience is ours too). */
const STOP_DEADLINE_MS = 900;

/** An error to print as `neighproxy run: MESSAGE` and exit with `exitCode`. */
export class StartError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

/**
 * Started as root with a user to drop to: the file must stay readable after the drop,
 * or every SIGHUP would fail with EACCES. Throws E_CONFIG_UNREADABLE_AFTER_DROP.
 */
export function checkReadableAfterDrop(opts: Pick<RunOptions, 'config' | 'user'>, isRoot = process.getuid?.() === 0): void {
  if (!isRoot || opts.user === null) return;
  let why: string | null;
  try {
    const u = lookupUser(opts.user);
    why = unreadableAfterDrop(opts.config, opts.user, u.uid, u.gid);
  } catch {
    return; // an unknown user or a missing file: the start-up reports those itself
  }
  if (why === null) return;
  throw Object.assign(new Error(`${opts.config} will not be readable after the switch to user ${opts.user}: ${why}; every reload (SIGHUP) would fail with EACCES. Make it readable (e.g. chgrp ${opts.user}'s group and chmod 0640), or choose --user`),
    { code: 'E_CONFIG_UNREADABLE_AFTER_DROP' });
}

/** `run --check`: loads and checks the configuration only. Returns the exit code. */
export function checkOnly(opts: RunOptions): number {
  const deps = realDeps(createLogger({ level: opts.logLevel }));
  try {
    const { warnings } = deps.loadConfig(opts.config);
    for (const w of warnings) process.stderr.write(`${w.message}\n`);
    process.stdout.write(`${opts.config}: ok\n`);
    return EXIT_OK;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return EXIT_RUNTIME;
  }
}

async function start(daemon: Daemon, opts: RunOptions, log: Logger): Promise<void> {
  try {
    checkReadableAfterDrop(opts);
    await daemon.start();
  } catch (err) {
    const e = err as Error & { code?: string };
    log.fatal({ event: 'start_failed', code: e.code }, e.message);
    throw new StartError(e.message, startFailureExit(e));
  }
  for (const w of hostWarnings(daemon.config!)) log.warn({ event: 'host_warning', code: w.code, interface: w.interface }, w.message);
}

/** Runs the daemon until SIGTERM/SIGINT; resolves to the exit code. Throws StartError when it cannot start. */
export async function runDaemon(opts: RunOptions): Promise<number> {
  const log = createLogger({ level: opts.logLevel });
  const deps = withWorkers(realDeps(log), { config: opts.config, logLevel: opts.logLevel, tickMs: opts.tickMs, linkPollMs: opts.linkPollMs }, log);
  const notifier = new SdNotifier(process.env.NOTIFY_SOCKET ?? null, undefined,
    (err) => log.warn({ event: 'notify_failed', socket: process.env.NOTIFY_SOCKET }, `cannot notify the service manager: ${err.message}`));
  const service = new ServiceState(notifier);
  const daemon = new Daemon(opts, deps, log);
  daemon.dropName = deps.dropName;
  deps.attachHa?.(daemon.ha);
  daemon.extendMetrics = (registry) => registerExtraMetrics(registry, daemonExtraSources(daemon, service));
  // SIGHUP's default action kills: one arriving during start-up is kept for afterwards.
  let earlyHup = false;
  const onEarlyHup = (): void => { earlyHup = true; };
  process.on('SIGHUP', onEarlyHup);
  try {
    await start(daemon, opts, log);
  } catch (err) {
    process.off('SIGHUP', onEarlyHup);
    throw err;
  }
  service.started(daemon);
  return new Promise<number>((resolve) => {
    const onHup = (): void => {
      log.info({ event: 'sighup' }, 'SIGHUP: reloading the configuration');
      // NEIGHPROXY_RELOAD_INLINE=1: the old in-line reload, kept to measure what the prepared one saves.
      if (process.env.NEIGHPROXY_RELOAD_INLINE === '1') service.reload(daemon);
      else void service.reloadPrepared(daemon);
    };
    const onStop = (signal: NodeJS.Signals): void => {
      process.off('SIGHUP', onHup);
      service.stopping(signal);
      log.info({ event: 'stopping', signal }, `${signal}: stopping`);
      const t0 = Date.now();
      const deadline = setTimeout(() => {
        log.error({ event: 'stop_timeout' }, `not stopped after ${STOP_DEADLINE_MS} ms: exiting anyway`);
        process.exit(EXIT_RUNTIME);
      }, STOP_DEADLINE_MS);
      deadline.unref();
      void daemon.stop().then(() => {
        clearTimeout(deadline);
        log.info({ event: 'stopped', ms: Date.now() - t0 }, 'stopped');
        // Whatever a library left behind must not keep a stopped daemon alive.
        setTimeout(() => process.exit(EXIT_OK), 100).unref();
        resolve(EXIT_OK);
      });
    };
    // The running handler before the early one goes: with no SIGHUP listener for a moment,
    // a SIGHUP sent right after READY (a manager's reload) would kill the process.
    process.on('SIGHUP', onHup);
    process.off('SIGHUP', onEarlyHup);
    if (earlyHup) onHup();
    process.once('SIGTERM', onStop);
    process.once('SIGINT', onStop);
  });
}
