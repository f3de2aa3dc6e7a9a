// Where the parser is and what it found: every error and warning of a file, each
// formatted `FILE:LINE:COLUMN: found X, expected Y` at the moment it is found.
import { ConfigError, type ConfigErrorCode, type ConfigWarning, type ConfigWarningCode } from './errors';
import { quote, type Tok } from './lexer';
import type { SourcePos } from './types';

export class Reporter {
  readonly errors: ConfigError[] = [];
  readonly warnings: ConfigWarning[] = [];
  /** The line being read (1-based) and the column just past its last word. */
  line = 0;
  eol = 1;

  constructor(readonly file: string) {}

  fail(code: ConfigErrorCode, col: number, found: string, expected: string, line = this.line): void {
    this.errors.push(new ConfigError(code, this.file, line, col, `${this.file}:${line}:${col}: found ${found}, expected ${expected}`));
  }

  failTok(code: ConfigErrorCode, t: Tok, expected: string): void {
    this.fail(code, t.col, quote(t.text), expected);
  }

  /** An error about an item read earlier (whole-file checks), at its position. */
  failAt(code: ConfigErrorCode, pos: SourcePos, found: string, expected: string): void {
    this.fail(code, pos.column, found, expected, pos.line);
  }

  failEol(expected: string): void {
    this.fail('E_CONFIG_SYNTAX', this.eol, 'end of line', expected);
  }

  warn(code: ConfigWarningCode, line: number, col: number, text: string): void {
    this.warnings.push({ code, file: this.file, line, column: col, message: `${this.file}:${line}:${col}: warning: ${text}` });
  }

  pos(col: number): SourcePos {
    return { file: this.file, line: this.line, column: col };
  }

  /** Reports tokens after the last one a directive takes. Returns true when there were none. */
  noMore(toks: Tok[], from: number, what = 'end of line'): boolean {
    const t = toks[from];
    if (t) {
      this.failTok('E_CONFIG_SYNTAX', t, what);
      return false;
    }
    return true;
  }

  /** The single argument of `KEYWORD VALUE`; undefined (reported) when missing or followed by more. */
  oneArg(toks: Tok[], expected: string): Tok | undefined {
    const v = toks[1];
    if (!v) {
      this.failEol(expected);
      return undefined;
    }
    if (!this.noMore(toks, 2)) return undefined;
    return v;
  }

  /** Keywords that may appear once per block. Returns false (reported) for a repeat. */
  once(seen: Map<string, number>, kw: Tok, where: string): boolean {
    const first = seen.get(kw.text);
    if (first !== undefined) {
      this.failTok('E_CONFIG_DUPLICATE', kw, `each setting once per ${where} (first '${kw.text}' at line ${first})`);
      return false;
    }
    seen.set(kw.text, this.line);
    return true;
  }
}
