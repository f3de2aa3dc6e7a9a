// `neighproxy import-parpd FILE [--interface IF]...`: print the neighproxy configuration
// equivalent to a parpd.conf of Roy Marples' parpd; what has no equivalent is written as
// `# note:` comments and listed on stderr.
import { ArgError, helpHint, parseCommandArgs, type ArgSpec } from '../args';
import type { Command } from '../command';
import { printTranslation, processIo, readInput, type ImportIo } from '../import-io';
import { STDIN_NAME } from '../input';
import { importParpd } from '../../config/parpd-import';

const USAGE = `usage: neighproxy import-parpd FILE [--interface IF]...

Reads a parpd.conf of Roy Marples' parpd (github.com/rsmarples/parpd) and prints
the equivalent neighproxy configuration on stdout. (Lutz Donnerhacke's parpd,
FreeBSD net/parpd, needs no import: neighproxy reads its parpd.conf as it is.)
  interface IF                 -> interface IF ... end
  proxy ADDR[/LEN|/MASK] [MAC] -> rule 0.0.0.0/0 ADDR/LEN probes self|MAC
  halfproxy (or half) ...      -> the same without 'probes' (no answer to 0.0.0.0)
  ignore ADDR[/LEN|/MASK]      -> rule 0.0.0.0/0 ADDR/LEN ignore
Entries before any 'interface' line apply to every interface: those named in
the file and those given with --interface (the interfaces parpd ran on).
Most specific entries come first; an interface's own entries before the global
ones, as parpd looks them up. 'attack' and lines parpd skips become '# note:'
comments and are listed on stderr. FILE '-' reads standard input.

exit status: 0 translated, 1 invalid or unreadable input, 2 usage error.`;

type Io = ImportIo;

export const IMPORT_PARPD_ARGS: ArgSpec = {
  command: 'import-parpd',
  options: { interface: { type: 'string', short: 'i', value: 'IF', multiple: true } },
  positionals: ['FILE'],
};

/** The file and the interfaces parpd ran on; ArgError for a usage mistake. */
export function parseImportParpdArgs(argv: string[]): { file: string; interfaces: string[] } {
  const { values, positionals } = parseCommandArgs(IMPORT_PARPD_ARGS, argv);
  const file = positionals[0];
  if (file === undefined) throw new ArgError('which file? expected FILE, or - for standard input');
  const interfaces = (values.interface as string[] | undefined) ?? [];
  if (interfaces.includes('')) throw new ArgError('--interface needs an IF, found an empty word');
  return { file, interfaces };
}

export async function runImportParpd(argv: string[], io: Io = processIo): Promise<number> {
  let args: { file: string; interfaces: string[] };
  try {
    args = parseImportParpdArgs(argv);
  } catch (err) {
    if (!(err instanceof ArgError)) throw err;
    io.stderr(`neighproxy import-parpd: ${err.message}\n${helpHint('import-parpd')}\n`);
    return 2;
  }
  const name = args.file === '-' ? STDIN_NAME : args.file;
  let text: string;
  try {
    text = (io.readFile ?? readInput)(args.file);
  } catch (err) {
    io.stderr(`${name}: cannot read parpd configuration: ${(err as NodeJS.ErrnoException).code ?? 'EIO'}\n`);
    return 1;
  }
  return printTranslation('import-parpd', io, () => importParpd(text, name, args.interfaces));
}

export const command: Command = {
  summary: "translate a parpd.conf of Roy Marples' parpd into a neighproxy configuration",
  usage: USAGE,
  run: (argv) => runImportParpd(argv),
};
