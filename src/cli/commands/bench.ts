// `neighproxy bench`: the packets-per-second bench (bench/pps), same as `npm run bench`.
// Loaded lazily: the bench lives outside src/ and is not in the published package, so an
// installed copy says where to get it instead of offering what it cannot run.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError, type Command } from '../command';

const BENCH = join(__dirname, '..', '..', '..', 'bench', 'run');

/** Only a source checkout has the bench; man.ts leaves such commands out of the man page. */
export const SOURCE_CHECKOUT_ONLY = true;

const HOW = "the bench is part of the source checkout, not of the installed package: clone the repository, then 'npm install && sudo npm run bench' (docs/bench.md)";

const haveBench = (): boolean => existsSync(`${BENCH}.js`);

export const command: Command = {
  get summary(): string {
    return haveBench()
      ? 'measure replies per second, latency and CPU against the kernel, ndppd and npd6'
      : 'not in this installed copy: needs a source checkout (see its --help)';
  },
  get usage(): string {
    return haveBench()
      ? 'usage: neighproxy bench [--quick] [--responders LIST] [--duration S] [--rates LIST]\n' +
          '                        [--rounds N] [--json FILE] [--chart FILE] [--install]\n\n' +
          "Runs the packets-per-second bench on network namespaces it builds. 'neighproxy bench --help'\n" +
          'from a source checkout prints every option; see docs/bench.md.'
      : `usage: neighproxy bench ...\n\nNot available here: ${HOW}.`;
  },
  async run(argv: string[]): Promise<number> {
    let bench: { main(argv: string[]): Promise<number> };
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      bench = require(BENCH) as typeof bench;
    } catch {
      throw new UsageError(HOW, 1);
    }
    return bench.main(argv);
  },
};
