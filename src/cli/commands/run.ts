// `neighproxy run`: options are parsed here; the daemon (pino, prom-client, node:http)
// is loaded only when it is about to run, so listing or explaining commands stays light.
import { UsageError, type Command } from '../command';
import { parseRunArgs, RUN_USAGE, type RunOptions } from '../../daemon/args';

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
    const { checkOnly, runDaemon, StartError } = await import('../../daemon/main');
    if (opts.check) return checkOnly(opts);
    try {
      return await runDaemon(opts);
    } catch (err) {
      if (err instanceof StartError) throw new UsageError(err.message, err.exitCode);
      throw err;
    }
  },
};
