// `neighproxy check --config FILE`: validate a configuration without touching any
// interface; print a summary (stdout) or the errors (stderr, compiler style).
import { UsageError, type Command } from '../command';
import { ConfigError } from '../../config/errors';
import { loadConfig } from '../../config/parse';
import { defaultFilterDescriber, summarizeConfig, type FilterDescriber } from '../../config/summary';
import type { CacheConfig, InterfaceConfig } from '../../config/types';

const USAGE = `usage: neighproxy check --config FILE

Reads FILE (see 'neighproxy help config'), reports every error as
FILE:LINE:COLUMN: found 'X', expected Y (one per line, on stderr) and warnings
the same way, and on success prints a summary: interfaces, rules per family,
actions, statics, cache limits and memory, ND-proxy settings, ring memory and
the kernel filter each interface would get. No interface is opened. What 'run'
could not hold is an error here too (E_CONFIG_LIMIT): interface names over 15
bytes, tablesize over 16777216, more than 65536 statics, rings over 1 GiB.

options:
  -c, --config FILE   the configuration file (required)

exit status: 0 valid (warnings allowed), 1 invalid or unreadable, 2 usage error.`;

export interface CheckIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: CheckIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

function parseArgs(argv: string[]): string {
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config' || a === '-c') {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a FILE`);
      file = v;
    } else if (a.startsWith('--config=')) {
      file = a.slice('--config='.length);
    } else {
      throw new UsageError(`unexpected argument '${a}'\n${USAGE}`);
    }
  }
  if (!file) throw new UsageError(`--config FILE is required\n${USAGE}`);
  return file;
}

/** What check needs of src/bpf/compile.ts (written in parallel; loaded only if present). */
interface FilterCompiler {
  compileFilter(iface: InterfaceConfig, cache: CacheConfig): { program: readonly unknown[]; fallback: boolean; reason?: string };
}

/**
 * The describer backed by the BPF compiler when src/bpf/compile is built alongside,
 * undefined otherwise; lets 'check' show real filters as soon as the compiler lands.
 */
export function compiledFilterDescriber(): FilterDescriber | undefined {
  let mod: Partial<FilterCompiler>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require('../../bpf/compile') as Partial<FilterCompiler>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    throw err;
  }
  const compile = mod.compileFilter;
  if (typeof compile !== 'function') return undefined;
  return (ifc, config) => {
    const f = compile(ifc, config.cache);
    return f.fallback
      ? `default ARP+NS filter (${f.reason ?? 'the policy program does not fit'})`
      : `policy filter, ${f.program.length} instructions`;
  };
}

/** The command with its outputs and the filter describer injectable (tests, the BPF compiler). */
export async function runCheck(argv: string[], io: CheckIo = processIo, describeFilter: FilterDescriber = defaultFilterDescriber): Promise<number> {
  let file: string;
  try {
    file = parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`neighproxy check: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
  try {
    const { config, warnings } = loadConfig(file);
    for (const w of warnings) io.stderr(`${w.message}\n`);
    io.stdout(summarizeConfig(config, describeFilter));
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr(`${err.message}\n`);
    const n = err.total;
    io.stderr(`${file}: ${n} error${n === 1 ? '' : 's'}; configuration not valid\n`);
    return 1;
  }
}

export const command: Command = {
  summary: 'validate a configuration file and summarise it',
  usage: USAGE,
  run: (argv) => runCheck(argv, processIo, compiledFilterDescriber() ?? defaultFilterDescriber),
};
