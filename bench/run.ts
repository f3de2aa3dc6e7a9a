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
  const generators = opts.generators ?? [opts.generator];
  let code = 0;
  for (const generator of generators) {
    // One whole bench per generator, the kernel measured again in each: ratios stay within a run.
    const json = opts.json && generators.length > 1 ? opts.json.replace(/(\.json)?$/, `-${generator}.json`) : opts.json;
    const chart = opts.chart && generators.length > 1 ? opts.chart.replace(/(\.svg)?$/, `-${generator}.svg`) : opts.chart;
    const rc = await runBench({ ...opts, generator, json, chart }, (s) => process.stdout.write(s), (s) => process.stderr.write(`bench: ${s}\n`));
    code = Math.max(code, rc);
  }
  return code;
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
