// `neighproxy import-parpd FILE [--interface IF]...`: print the neighproxy configuration
// equivalent to a parpd.conf of Roy Marples' parpd; what has no equivalent is written as
// `# note:` comments and listed on stderr.
import { readFileSync } from 'node:fs';
import type { Command } from '../command';
import { ConfigError } from '../../config/errors';
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
comments and are listed on stderr.

exit status: 0 translated, 1 invalid or unreadable input, 2 usage error.`;

interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

function parseArgs(argv: string[]): { file: string; interfaces: string[] } | string {
  const interfaces: string[] = [];
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--interface' || a === '-i') {
      const v = argv[++i];
      if (!v) return `${a} needs an interface name`;
      interfaces.push(v);
    } else if (a.startsWith('--interface=')) {
      interfaces.push(a.slice(12));
    } else if (a.startsWith('-') || file !== undefined) {
      return `unexpected argument '${a}'`;
    } else {
      file = a;
    }
  }
  return file === undefined ? 'FILE is required' : { file, interfaces };
}

export async function runImportParpd(argv: string[], io: Io = processIo): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    io.stderr(`neighproxy import-parpd: ${args}\n${USAGE}\n`);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(args.file, 'utf8');
  } catch (err) {
    io.stderr(`${args.file}: cannot read parpd configuration: ${(err as NodeJS.ErrnoException).code ?? 'EIO'}\n`);
    return 1;
  }
  try {
    const r = importParpd(text, args.file, args.interfaces);
    io.stdout(r.text);
    if (r.notes.length) {
      io.stderr(`neighproxy import-parpd: ${r.notes.length} thing(s) without an exact equivalent:\n`);
      for (const n of r.notes) io.stderr(`  ${n}\n`);
    }
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr(`${err.message}\n`);
    return 1;
  }
}

export const command: Command = {
  summary: "translate a parpd.conf of Roy Marples' parpd into a neighproxy configuration",
  usage: USAGE,
  run: (argv) => runImportParpd(argv),
};
