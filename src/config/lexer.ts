// Lines to tokens: words separated by blanks (any Unicode white space, so parpd's
// no-break-space indentation works), `#` to the end of the line is a comment.

/** One word of a line and its 1-based column. */
export interface Tok {
  text: string;
  col: number;
}

const WORD_RE = /\S+/g;

/** Splits one line into tokens with 1-based columns; `eol` is the column just past the last one. */
export function tokenize(line: string): { toks: Tok[]; eol: number } {
  const hash = line.indexOf('#');
  const body = hash < 0 ? line : line.slice(0, hash);
  const toks: Tok[] = [];
  WORD_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = WORD_RE.exec(body)) !== null) toks.push({ text: m[0], col: m.index + 1 });
  const last = toks[toks.length - 1];
  return { toks, eol: last ? last.col + last.text.length : 1 };
}

/** `'WORD'`, with control characters written as \xNN so a message never carries them raw. */
export function quote(t: string): string {
  // eslint-disable-next-line no-control-regex
  const safe = t.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `'${safe}'`;
}
