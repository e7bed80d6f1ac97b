/**
 * ROUGE (Lin, 2004) for evaluating summaries against a reference: ROUGE-N from clipped n-gram
 * overlap and ROUGE-L from the longest common subsequence. Tokenization is simple and documented:
 * lower-case runs of letters and digits (apostrophes dropped), no stopword removal, optional
 * light stemming — close to the reference `rouge-score` package without its Porter stemmer.
 */
import { stem as lightStem } from './bm25.js';
import { splitSentences } from './sentences.js';

export interface RougeScore {
  precision: number;
  recall: number;
  f1: number;
}

export interface RougeResult {
  rouge1: RougeScore;
  rouge2: RougeScore;
  rougeL: RougeScore;
}

export interface RougeOptions {
  /** Apply the light stemmer from bm25.ts to both sides (default false). */
  stem?: boolean;
}

/** The tokens ROUGE compares. */
export function rougeTokens(text: string, options: RougeOptions = {}): string[] {
  const words =
    text
      .toLowerCase()
      .replace(/['\u2019]/g, '')
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  return options.stem ? words.map(lightStem) : words;
}

function score(overlap: number, candidateCount: number, referenceCount: number): RougeScore {
  const precision = candidateCount > 0 ? overlap / candidateCount : 0;
  const recall = referenceCount > 0 ? overlap / referenceCount : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1 };
}

function ngramCounts(tokens: string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join('\u0001');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** ROUGE-N over token arrays: overlap counts each n-gram at most as often as the reference has it. */
export function rougeNTokens(candidate: string[], reference: string[], n: number): RougeScore {
  if (!Number.isInteger(n) || n < 1) throw new RangeError('n must be a whole number of at least 1');
  const cand = ngramCounts(candidate, n);
  const ref = ngramCounts(reference, n);
  let overlap = 0;
  for (const [gram, count] of cand) overlap += Math.min(count, ref.get(gram) ?? 0);
  return score(overlap, Math.max(0, candidate.length - n + 1), Math.max(0, reference.length - n + 1));
}

/** Length of the longest common subsequence (two-row dynamic programming). */
export function lcsLength(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  let prev = new Uint32Array(b.length + 1);
  let curr = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    const ai = a[i - 1];
    for (let j = 1; j <= b.length; j++) {
      curr[j] =
        ai === b[j - 1] ? (prev[j - 1] as number) + 1 : Math.max(prev[j] as number, curr[j - 1] as number);
    }
    [prev, curr] = [curr, prev];
  }
  return prev[b.length] as number;
}

/** ROUGE-L over token arrays (summary-level LCS treated as one sequence, F with beta = 1). */
export function rougeLTokens(candidate: string[], reference: string[]): RougeScore {
  return score(lcsLength(candidate, reference), candidate.length, reference.length);
}

export function rougeN(
  candidate: string,
  reference: string,
  n: number,
  options: RougeOptions = {},
): RougeScore {
  return rougeNTokens(rougeTokens(candidate, options), rougeTokens(reference, options), n);
}

export function rougeL(candidate: string, reference: string, options: RougeOptions = {}): RougeScore {
  return rougeLTokens(rougeTokens(candidate, options), rougeTokens(reference, options));
}

/** ROUGE-1, ROUGE-2 and ROUGE-L of a candidate summary against one reference. */
export function rouge(candidate: string, reference: string, options: RougeOptions = {}): RougeResult {
  const c = rougeTokens(candidate, options);
  const r = rougeTokens(reference, options);
  return { rouge1: rougeNTokens(c, r, 1), rouge2: rougeNTokens(c, r, 2), rougeL: rougeLTokens(c, r) };
}

/** The lead-k baseline (default 3): the first k sentences of the text, joined by a space. */
export function lead3(text: string, k = 3): string {
  return splitSentences(text)
    .slice(0, k)
    .map((s) => s.text)
    .join(' ');
}
