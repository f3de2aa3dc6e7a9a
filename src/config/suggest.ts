// "Did you mean" for misspelt words: the closest known word by edit distance, with
// an adjacent swap counting as one edit (`slef` -> `self`), as compilers suggest.

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions), capped at `max + 1`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur.push(d);
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The known word `word` was most likely meant to be, or undefined when none is close:
 * one edit for words of up to 4 letters, two for longer ones, and never the word itself.
 */
export function suggest(word: string, known: readonly string[]): string | undefined {
  const max = word.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestD = max + 1;
  for (const k of known) {
    if (k === word) continue;
    const d = editDistance(word.toLowerCase(), k, max);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best;
}

/** ` (did you mean 'X'?)`, or '' when nothing is close. */
export function didYouMean(word: string, known: readonly string[]): string {
  const s = suggest(word, known);
  return s === undefined ? '' : ` (did you mean '${s}'?)`;
}
