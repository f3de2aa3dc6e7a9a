// `neighproxy check --config FILE`: validate a configuration without touching any
// interface; print a summary (stdout) or the errors (stderr, compiler style).
import { ArgError, helpHint, parseCommandArgs, type ArgSpec } from '../args';
import type { Command } from '../command';
import { loadConfigArg, STDIN_NAME } from '../input';
import { ConfigError } from '../../config/errors';
import { defaultFilterDescriber, summarizeConfig, type FilterDescriber } from '../../config/summary';
import type { CacheConfig, Config, InterfaceConfig } from '../../config/types';
import { hostWarnings, type HostWarning } from '../../daemon/warnings';
import { linkTypeErrors } from '../../daemon/linktype';

const USAGE = `usage: neighproxy check [-q] FILE
       neighproxy check [-q] --config FILE

Reads FILE (see 'neighproxy help config'), reports every error as
FILE:LINE:COLUMN: found 'X', expected Y (one per line, on stderr) and warnings
the same way, then warnings about this host's kernel settings for the
interfaces it has (proxy_arp/proxy_ndp on, forwarding off), and on success
prints a summary: interfaces, rules per family, actions, statics, cache limits
and memory, ND-proxy settings, ring memory and the kernel filter each interface
would get. No interface is opened. What 'run' could not hold is an error here
too (E_CONFIG_LIMIT): interface names over 15 bytes, tablesize over 16777216,
more than 65536 statics, rings over 1 GiB.

FILE '-' reads standard input.

options:
  -c, --config FILE   the configuration file (the same as FILE)
  -q, --quiet         no summary: errors and warnings only (for ExecReload=)

exit status: 0 valid (warnings allowed), 1 invalid or unreadable, 2 usage error.`;

export interface CheckIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: CheckIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

export const CHECK_ARGS: ArgSpec = {
  command: 'check',
  options: { config: { type: 'string', short: 'c', value: 'FILE' }, quiet: { type: 'boolean', short: 'q' } },
  positionals: ['FILE'],
};

/** The file to check and whether to print the summary; `check FILE` and `check -c FILE` are the same. */
export function parseCheckArgs(argv: string[]): { file: string; quiet: boolean } {
  const { values, positionals } = parseCommandArgs(CHECK_ARGS, argv);
  const opt = values.config as string | undefined;
  if (opt !== undefined && positionals.length > 0) {
    throw new ArgError(`the file is given twice ('${opt}' and '${positionals[0]}'): use FILE or --config FILE`);
  }
  const file = opt ?? positionals[0];
  if (file === undefined) throw new ArgError('which file? expected FILE, --config FILE, or - for standard input');
  return { file, quiet: values.quiet === true };
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
export async function runCheck(argv: string[], io: CheckIo = processIo, describeFilter: FilterDescriber = defaultFilterDescriber,
  host: ((config: Config) => HostWarning[]) | null = null): Promise<number> {
  let file: string;
  let quiet: boolean;
  try {
    ({ file, quiet } = parseCheckArgs(argv));
  } catch (err) {
    if (err instanceof ArgError) {
      io.stderr(`neighproxy check: ${err.message}\n${helpHint('check')}\n`);
      return 2;
    }
    throw err;
  }
  try {
    const { config, warnings } = loadConfigArg(file);
    for (const w of warnings) io.stderr(`${w.message}\n`);
    // This host's sysctls, for the interfaces it has (a file checked for another host says nothing).
    for (const w of host?.(config) ?? []) io.stderr(`neighproxy check: warning: ${w.message}\n`);
    // Interfaces that exist here and have no link layer (tun, WireGuard, PPP): 'run' could not capture on them.
    const linkErrors = host ? linkTypeErrors(config) : [];
    for (const e of linkErrors) io.stderr(`${e.message}\n`);
    if (linkErrors.length > 0) {
      const n = linkErrors.length;
      io.stderr(`${file === '-' ? STDIN_NAME : file}: ${n} error${n === 1 ? '' : 's'}; configuration not valid on this host\n`);
      return 1;
    }
    if (!quiet) io.stdout(summarizeConfig(config, describeFilter));
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr(`${err.message}\n`);
    const n = err.total;
    io.stderr(`${file === '-' ? STDIN_NAME : file}: ${n} error${n === 1 ? '' : 's'}; configuration not valid\n`);
    return 1;
  }
}

export const command: Command = {
  summary: 'validate a configuration file and summarise it',
  usage: USAGE,
  run: (argv) => runCheck(argv, processIo, compiledFilterDescriber() ?? defaultFilterDescriber, (c) => hostWarnings(c)),
};
