/**
 * How alike two input names are: used to suggest "did you mean …?" for unknown inputs and to guess
 * renames between two versions of a flow's schema.
 */

function normalise(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Levenshtein distance (insertions, deletions, substitutions). */
export function editDistance(a: string, b: string): number {
  if (a === b) {
    return 0;
  }
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * Similarity of two names in [0, 1]: 1 when they differ only in case or separators (`invoice_id` vs
 * `InvoiceId`), otherwise 1 − edit distance / length of the longer normalised name.
 */
export function nameSimilarity(a: string, b: string): number {
  const na = normalise(a);
  const nb = normalise(b);
  if (na === nb) {
    return 1;
  }
  const longer = Math.max(na.length, nb.length);
  return longer === 0 ? 0 : 1 - editDistance(na, nb) / longer;
}

/** Similarity from which a name counts as a likely typo of another. */
export const likelySimilarity = 0.6;

/** The candidate most like `name`, when one is likely meant. */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = likelySimilarity;
  for (const candidate of candidates) {
    const score = nameSimilarity(name, candidate);
    if (score > bestScore || (score === bestScore && best === undefined)) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}
