// `npm run bench`: the packets-per-second bench (bench/pps). Same as `neighproxy bench`.
import { BenchUsageError, USAGE, parseBenchArgs, runBench } from './pps/main';

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let opts;
  try {
    opts = parseBenchArgs(argv);
  } catch (err) {
    if (err instanceof BenchUsageError) {
      process.stderr.write(`bench: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  return runBench(opts, (s) => process.stdout.write(s), (s) => process.stderr.write(`bench: ${s}\n`));
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: Error) => {
      process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
      process.exitCode = 1;
    },
  );
}
