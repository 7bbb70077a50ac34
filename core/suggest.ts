// "Did you mean …?": the closest of the names a plan does define, for a name that is not one of them.

/** Edits (insert, delete, substitute, swap two neighbours) between two short names. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The candidate a typo most likely meant: close enough for its length, and unambiguous; case does not count. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  let tie = false;
  for (const c of candidates) {
    const distance = editDistance(lower, c.toLowerCase());
    if (distance < bestDistance) [best, bestDistance, tie] = [c, distance, false];
    else if (distance === bestDistance && c !== best) tie = true;
  }
  const allowed = Math.max(1, Math.floor(Math.min(name.length, best?.length ?? 0) / 3));
  return best !== undefined && !tie && bestDistance > 0 && bestDistance <= allowed
    ? best
    : best !== undefined && bestDistance === 0 && best !== name
      ? best
      : undefined;
}

/** " (did you mean "x"?)", or "" when nothing is close. */
export function didYouMean(name: string, candidates: Iterable<string>, quote = (s: string) => `"${s}"`): string {
  const c = closest(name, candidates);
  return c === undefined ? '' : ` (did you mean ${quote(c)}?)`;
}
