// ndppd.conf's lexical grammar, as ndppd 0.2.5's conf.cc reads it (the version Debian
// ships), reduced to tokens for src/config/ndppd.ts:
//  - blanks separate; a newline ends a value (`static` alone on a line has none);
//  - `#` and `//` start a comment to the end of the line, `/* ... */` one that may span
//    lines (an unclosed one runs to the end of the file, as in ndppd);
//  - a key is letters, digits, `_` and `-`, optionally followed by `=`: `ttl = 30000`;
//  - a value is one quoted string ('...' or "...", up to the closing quote or the end of
//    the line) or a run of visible characters other than braces;
//  - `{` and `}` open and close a block after a value.

export interface NdppdToken {
  /** The word, the text between quotes, '{' or '}'. */
  text: string;
  /** A quoted value: never a brace, may be empty or contain blanks. */
  quoted: boolean;
  line: number;
  col: number;
}

const isBlank = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v';
const isWordChar = (c: string): boolean => c > ' ' && c !== '{' && c !== '}' && c !== '=' && c !== '\x7f';

export function scanNdppd(text: string): NdppdToken[] {
  const toks: NdppdToken[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const at = (n = 0): string => text[i + n] ?? '';
  const push = (t: string, quoted: boolean, start: number): void => {
    toks.push({ text: t, quoted, line, col: start - lineStart + 1 });
  };
  while (i < text.length) {
    const c = at();
    if (c === '\n') {
      i++;
      line++;
      lineStart = i;
    } else if (isBlank(c) || c === '=') {
      // '=' only ever sits between a key and its value; ndppd skips it there.
      i++;
    } else if (c === '#' || (c === '/' && at(1) === '/')) {
      while (i < text.length && at() !== '\n') i++;
    } else if (c === '/' && at(1) === '*') {
      for (i += 2; i < text.length && !(at() === '*' && at(1) === '/'); i++) {
        if (at() === '\n') {
          line++;
          lineStart = i + 1;
        }
      }
      i += 2;
    } else if (c === '{' || c === '}') {
      push(c, false, i);
      i++;
    } else if (c === '"' || c === "'") {
      const start = i++;
      let s = '';
      while (i < text.length && at() !== c && at() !== '\n') s += text[i++];
      if (at() === c) i++;
      push(s, true, start);
    } else {
      const start = i;
      while (i < text.length && isWordChar(at())) i++;
      if (i === start) i++; // a control character: ndppd stops there too; skip it
      else push(text.slice(start, i), false, start);
    }
  }
  return toks;
}
