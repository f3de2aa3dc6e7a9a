// `neighproxy bench`: the packets-per-second bench (bench/pps), same as `npm run bench`.
// Loaded lazily: the bench lives outside src/ and is not in the published package.
import { join } from 'node:path';
import { UsageError, type Command } from '../command';

const BENCH = join(__dirname, '..', '..', '..', 'bench', 'run');

export const command: Command = {
  summary: 'measure replies per second, latency and CPU against the kernel, ndppd and npd6',
  usage:
    'usage: neighproxy bench [--quick] [--responders LIST] [--duration S] [--rates LIST]\n' +
    '                        [--rounds N] [--json FILE] [--chart FILE] [--install]\n\n' +
    "Runs the packets-per-second bench on network namespaces it builds. 'neighproxy bench --help'\n" +
    'from a source checkout prints every option; see docs/bench.md.',
  async run(argv: string[]): Promise<number> {
    let bench: { main(argv: string[]): Promise<number> };
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      bench = require(BENCH) as typeof bench;
    } catch {
      throw new UsageError('the bench is part of the source checkout (bench/), not of the installed package', 1);
    }
    return bench.main(argv);
  },
};
