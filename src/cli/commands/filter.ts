// `neighproxy filter`: the kernel filter each interface gets, as tcpdump prints it.
import { readFileSync } from 'node:fs';
import { parseCommandArgs, type ArgSpec } from '../args';
import { UsageError, type Command } from '../command';
import { loadConfigArg } from '../input';
import { ConfigError } from '../../config/errors';
import type { Config, InterfaceConfig } from '../../config/types';
import type { BpfInsn } from '../../engine/types';
import { compileFilter, type CompiledFilter } from '../../bpf/compile';
import { PLAIN_FILTER_NAME } from '../../bpf/plain';
import { disassemble } from '../../bpf/disasm';
import { BpfProgramError, formatDdd, parseDdd } from '../../bpf/program';

/** Loads the configuration; warnings go to stderr, errors become the CLI's message (with file:line:column). */
export function loadConfigFile(path: string): Config {
  try {
    const { config, warnings } = loadConfigArg(path);
    for (const w of warnings) process.stderr.write(`${w.message}\n`);
    return config;
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message, 1);
    throw err;
  }
}

/** Reads an operator's `tcpdump -ddd` program; errors name the file and line. */
export function loadBytecodeFile(path: string): BpfInsn[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${path}: ${(err as Error).message}`, 1);
  }
  try {
    return parseDdd(text);
  } catch (err) {
    if (err instanceof BpfProgramError) throw new UsageError(`${path}: ${err.message}`, 1);
    throw err;
  }
}

export function pickInterfaces(config: Config, name: string | undefined): InterfaceConfig[] {
  if (!name) return config.interfaces;
  const found = config.interfaces.filter((i) => i.name === name);
  if (found.length === 0) {
    throw new UsageError(`interface '${name}' is not in ${config.file} (it has: ${config.interfaces.map((i) => i.name).join(', ') || 'none'})`, 1);
  }
  return found;
}

/** What `filter` prints for one interface's compiled program. */
export function renderCompiled(iface: InterfaceConfig, f: CompiledFilter): string {
  const head = f.fallback
    ? `; interface ${iface.name}: ${PLAIN_FILTER_NAME}, ${f.program.length} instructions (${f.reason})`
    : `; interface ${iface.name}: ${f.program.length} instructions compiled from ${iface.rules.length} rules and ${iface.statics.length} statics`;
  const expr = f.expression
    ? `; the same on a capture (tags in band): tcpdump '${f.expression}'\n`
    : '; no tcpdump equivalent: the VLAN list is tested on the tag the kernel strips (ancillary data)\n';
  return `${head}\n${expr}${disassemble(f.program, f.comments)}; tcpdump -ddd form (for --bytecode, iptables -m bpf, SO_ATTACH_FILTER)\n${formatDdd(f.program)}`;
}

export const FILTER_ARGS: ArgSpec = {
  command: 'filter',
  options: {
    config: { type: 'string', short: 'c', value: 'FILE' },
    interface: { type: 'string', short: 'i', value: 'IF' },
    bytecode: { type: 'string', value: 'FILE' },
  },
};

export const command: Command = {
  summary: 'show the kernel BPF filter compiled from the configuration',
  usage: [
    'usage: neighproxy filter -c FILE [-i IF]',
    '       neighproxy filter --bytecode FILE',
    '',
    'Prints, per interface, the classic BPF program the daemon attaches to its packet',
    "socket, in 'tcpdump -d' style with a comment on what each block tests, then the",
    "same program in 'tcpdump -ddd' form. The kernel drops every frame the program",
    'refuses before it is copied to user space.',
    '',
    "  -c, --config FILE     the neighproxy configuration ('-': standard input)",
    '  -i, --interface IF    only this interface',
    "      --bytecode FILE   check and show an operator's own program ('tcpdump -ddd EXPR > FILE')",
    '                        instead: validated like the kernel (1..4096 instructions, known',
    '                        opcodes, jumps inside the program, ends in ret)',
  ].join('\n'),
  async run(argv: string[]): Promise<number> {
    const { values } = parseCommandArgs(FILTER_ARGS, argv);
    const bytecode = values.bytecode as string | undefined;
    if (bytecode) {
      const prog = loadBytecodeFile(bytecode);
      process.stdout.write(`; ${bytecode}: ${prog.length} instructions, valid for SO_ATTACH_FILTER\n${disassemble(prog)}${formatDdd(prog)}`);
      return 0;
    }
    const file = values.config as string | undefined;
    if (!file) throw new UsageError('--config FILE is required (or --bytecode FILE)');
    const config = loadConfigFile(file);
    const parts = pickInterfaces(config, values.interface as string | undefined).map((iface) => {
      const f = compileFilter(iface, config.cache, {
        log: { warn: (_o, msg) => process.stderr.write(`neighproxy filter: ${msg}\n`) },
      });
      return renderCompiled(iface, f);
    });
    process.stdout.write(parts.join('\n'));
    return 0;
  },
};
