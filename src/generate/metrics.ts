/**
 * Repetition measures for generated text, over token (or word) sequences:
 * - distinctN (Li et al. 2016): unique n-grams / all n-grams, pooled over a set of
 *   sequences; 1 = no n-gram repeats anywhere, low = repetitive or generic output.
 * - repetitionRate (Welleck et al. 2019, seq-rep-n): 1 - unique/all n-grams within
 *   one sequence; 0 = no repeated n-gram, e.g. "I think I think" has 2-gram rate 1/3.
 * - tokenRepetition (Welleck et al., rep/l): the fraction of positions whose token
 *   already occurred within the previous `window` tokens.
 * Sequences shorter than n contribute no n-grams; a set with no n-gram at all gives
 * NaN rather than a misleading 0 or 1.
 */
import { ArgumentError } from '../core/errors.ts';

export type Sym = number | string;

function checkN(op: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new ArgumentError(op, `n must be an integer >= 1, got ${n}`);
}

/** The n-grams of a sequence as keys (symbols joined by U+0001, which never occurs in ids or words). */
export function ngrams(seq: readonly Sym[], n: number): string[] {
  checkN('ngrams', n);
  const out: string[] = [];
  for (let i = 0; i + n <= seq.length; i++) out.push(seq.slice(i, i + n).join('\u0001'));
  return out;
}

export function distinctN(seqs: readonly (readonly Sym[])[], n: number): number {
  checkN('distinctN', n);
  const seen = new Set<string>();
  let total = 0;
  for (const s of seqs) {
    for (const g of ngrams(s, n)) {
      seen.add(g);
      total++;
    }
  }
  return total === 0 ? NaN : seen.size / total;
}

export function repetitionRate(seq: readonly Sym[], n: number): number {
  const grams = ngrams(seq, n);
  return grams.length === 0 ? NaN : 1 - new Set(grams).size / grams.length;
}

/** Mean repetitionRate over the sequences that have at least one n-gram. */
export function meanRepetitionRate(seqs: readonly (readonly Sym[])[], n: number): number {
  const rates = seqs.map((s) => repetitionRate(s, n)).filter((r) => !Number.isNaN(r));
  return rates.length === 0 ? NaN : rates.reduce((a, b) => a + b, 0) / rates.length;
}

export function tokenRepetition(seq: readonly Sym[], window: number): number {
  if (!Number.isInteger(window) || window < 1)
    throw new ArgumentError('tokenRepetition', `window must be an integer >= 1, got ${window}`);
  if (seq.length < 2) return NaN;
  let hits = 0;
  for (let i = 1; i < seq.length; i++) {
    const from = Math.max(0, i - window);
    for (let j = from; j < i; j++) {
      if (seq[j] === seq[i]) {
        hits++;
        break;
      }
    }
  }
  return hits / (seq.length - 1);
}
