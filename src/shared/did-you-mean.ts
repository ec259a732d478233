import { distance } from 'fastest-levenshtein';

/**
 * The known word closest to a misspelt one, when it is close enough to be a typo (2 edits, so a
 * swapped pair counts; a third of its letters for longer words, at most 3); undefined otherwise.
 */
export function closestWord(word: string, known: readonly string[]): string | undefined {
  const limit = Math.min(3, Math.max(2, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = distance(word.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** ` (did you mean "x"?)` when a known word is close to `word`, else an empty string. */
export function didYouMean(word: string, known: readonly string[]): string {
  const hit = closestWord(word, known);
  return hit !== undefined ? ` (did you mean "${hit}"?)` : '';
}
