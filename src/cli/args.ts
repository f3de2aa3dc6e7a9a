// The one argument parser of every `neighproxy` command: node:util parseArgs reads the
// words (long and short options, `--name=value`, `--`, `-` as a word), and this module
// turns every mistake into a message an operator reads once: the option, what it needs,
// and the nearest known option when the name is misspelt.
import { parseArgs } from 'node:util';
import { closest } from './suggest';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder in messages for a string option's value: `--config needs a FILE`. */
  value?: string;
  /** A string option that may be given again; its value is then the list, in order. */
  multiple?: boolean;
}

export interface ArgSpec {
  /** Command name for the hint line (`try 'neighproxy NAME --help'`). */
  command: string;
  options: Record<string, OptionSpec>;
  /** Names of the positional words, in order, for messages; more words than this are refused. */
  positionals?: string[];
  /** Last positional may repeat (ctl's `add ADDRESS MAC`). */
  restPositionals?: boolean;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** A mistake on the command line; main.ts prints `neighproxy COMMAND: MESSAGE` and exits 2. */
export class ArgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArgError';
  }
}

function unknown(spec: ArgSpec, raw: string): ArgError {
  const names = Object.keys(spec.options).map((n) => `--${n}`);
  const bare = raw.replace(/=.*$/, '');
  const guess = bare.startsWith('--') ? closest(bare, names) : undefined;
  const hint = guess ? ` (did you mean ${guess}?)` : names.length === 0 ? ` ('${spec.command}' takes no options)` : '';
  return new ArgError(`unknown option '${bare}'${hint}`);
}

/**
 * Parses `argv` against `spec`. Throws ArgError for an unknown option, a string option
 * without its value (or followed by another option), a value given to a switch, a repeated
 * option (unless `multiple`), or too many positional words.
 */
export function parseCommandArgs(spec: ArgSpec, argv: readonly string[]): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, o] of Object.entries(spec.options)) options[name] = o.short ? { type: o.type, short: o.short } : { type: o.type };
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const values: ParsedArgs['values'] = {};
  const positionals: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'positional') {
      positionals.push(t.value);
      continue;
    }
    if (t.kind === 'option-terminator') continue;
    const o = spec.options[t.name];
    if (!o) throw unknown(spec, t.rawName);
    const shown = t.rawName.startsWith('--') ? `--${t.name}` : t.rawName;
    if (values[t.name] !== undefined && !o.multiple) throw new ArgError(`${shown} given twice`);
    if (o.type === 'boolean') {
      if (t.value !== undefined) throw new ArgError(`${shown} takes no value (found '${shown}=${t.value}')`);
      values[t.name] = true;
      continue;
    }
    const need = `${shown} needs ${/^[AEIOU]/.test(o.value ?? 'VALUE') ? 'an' : 'a'} ${o.value ?? 'VALUE'}`;
    if (t.value === undefined) throw new ArgError(need);
    // parseArgs (not strict) takes the next word whatever it is: `--config --check` is a mistake.
    if (!t.inlineValue && t.value.startsWith('-') && t.value !== '-') throw new ArgError(`${need}, found the option '${t.value}'`);
    values[t.name] = o.multiple ? [...((values[t.name] as string[] | undefined) ?? []), t.value] : t.value;
  }
  const names = spec.positionals ?? [];
  if (positionals.length > names.length && !spec.restPositionals) {
    const extra = positionals[names.length]!;
    const what = names.length === 0 ? 'no arguments' : `at most ${names.join(' ')}`;
    throw new ArgError(`unexpected argument '${extra}' (${spec.command} takes ${what})`);
  }
  return { values, positionals };
}

/** `try 'neighproxy COMMAND --help'`, appended to usage errors by main.ts. */
export function helpHint(command: string): string {
  return `try 'neighproxy ${command} --help'`;
}
