// What the three import commands (ndppd, parpd, kernel) share: where they read and write,
// and how a translation is printed: the configuration on stdout, what has no equivalent
// as notes on stderr, a ConfigError as its FILE:LINE:COL message.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/errors';

export interface ImportIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** The file's text; '-' is standard input. */
  readFile?(path: string): string;
}

/** A file's text, '-' for standard input. */
export const readInput = (p: string): string => readFileSync(p === '-' ? 0 : p, 'utf8');

export const processIo: Required<ImportIo> = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readFile: readInput,
};

/** Runs `translate` and prints its result; returns the exit status (0, or 1 for an invalid input). */
export function printTranslation(command: string, io: ImportIo, translate: () => { text: string; notes: readonly string[] }): number {
  try {
    const r = translate();
    io.stdout(r.text);
    if (r.notes.length) {
      io.stderr(`neighproxy ${command}: ${r.notes.length} thing(s) without an exact equivalent:\n`);
      for (const n of r.notes) io.stderr(`  ${n}\n`);
    }
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr(`${err.message}\n`);
    return 1;
  }
}
