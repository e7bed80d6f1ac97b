/**
 * Quality of the default near-duplicate settings on a generated corpus with ground truth
 * (bench/near-dup-corpus.ts): prose, documentation and log passages, each with copies edited at
 * 0/2/5/10% of words, some with a sentence dropped or moved and case/whitespace/punctuation
 * changed, plus distinct passages that share boilerplate sentences.
 *
 * Measured with the defaults (threshold 0.4, 3-word shingles, 128 hashes) on seeds 1–11,
 * 1,200–100,000 items: pairwise precision 1.000, recall 0.9992–1.000. Thresholds 0.3 (precision
 * 0.99: distinct docs sections chain together) and 0.5 (recall 0.989: 10%-edited copies with a
 * dropped sentence slip through) bracket the default. The floors below leave margin for other
 * seeds without letting a real regression (a broken hash, LSH or verifier) through.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_DEDUPE_THRESHOLD, dedupeItems, type DedupeResult } from '../../src/text/dedupe.js';
import { containment, jaccard, shingleSet } from '../../src/text/minhash.js';
import { tokenizeWords } from '../../src/text/normalize.js';
import {
  generateNearDupCorpus,
  pairwiseScores,
  type NearDupCorpusItem,
} from '../../bench/near-dup-corpus.js';

function predictedClusters(n: number, result: DedupeResult): number[] {
  const cluster = Array.from({ length: n }, (_, i) => i);
  for (const g of result.groups) for (const d of g.dropped) cluster[d.index] = g.keptIndex;
  return cluster;
}

async function score(corpus: NearDupCorpusItem[], mode: 'exact' | 'near' = 'near') {
  const result = await dedupeItems(
    corpus.map(({ id, text }) => ({ id, text })),
    { mode },
  );
  const predicted = predictedClusters(corpus.length, result);
  return {
    result,
    predicted,
    ...pairwiseScores(
      corpus.map((c) => c.group),
      predicted,
    ),
  };
}

describe('dedupe quality on the near-duplicate corpus', () => {
  for (const seed of [1, 2]) {
    it(`near mode clears the precision and recall floors (seed ${seed})`, async () => {
      const { items: corpus } = generateNearDupCorpus({ seed, bases: 600, copiesPerBase: 3 });
      const { precision, recall, f1, predicted } = await score(corpus);
      expect(precision).toBeGreaterThanOrEqual(0.99);
      expect(recall).toBeGreaterThanOrEqual(0.98);
      expect(f1).toBeGreaterThanOrEqual(0.985);

      // Item level: every copy with at most 5% of words edited is merged with its base…
      const baseIndex = new Map<number, number>();
      corpus.forEach((c, i) => c.variant === null && baseIndex.set(c.group, i));
      const sameAsBase = (i: number): boolean => predicted[i] === predicted[baseIndex.get(corpus[i]!.group)!];
      const light = corpus
        .map((c, i) => [c, i] as const)
        .filter(([c]) => c.variant && c.variant.editRate <= 0.05);
      const lightMissed = light.filter(([, i]) => !sameAsBase(i)).length;
      expect(lightMissed / light.length).toBeLessThanOrEqual(0.002);
      // …and 10%-edited copies (with dropped/moved sentences and formatting changes) nearly always.
      const heavy = corpus.map((c, i) => [c, i] as const).filter(([c]) => c.variant?.editRate === 0.1);
      const heavyMissed = heavy.filter(([, i]) => !sameAsBase(i)).length;
      expect(heavyMissed / heavy.length).toBeLessThanOrEqual(0.02);
    });
  }

  it('measures every dropped item against the item kept for it, never through a chain', async () => {
    const { items: corpus } = generateNearDupCorpus({ seed: 6, bases: 400, copiesPerBase: 3 });
    const { result } = await score(corpus);
    const sets = corpus.map((c) => shingleSet(tokenizeWords(c.text), 3));
    let near = 0;
    for (const g of result.groups) {
      for (const d of g.dropped) {
        expect(d.similarity).toBeGreaterThanOrEqual(DEFAULT_DEDUPE_THRESHOLD);
        if (d.reason === 'exact') continue;
        near++;
        const a = sets[g.keptIndex]!;
        const b = sets[d.index]!;
        expect(d.reason === 'near' ? jaccard(a, b) : containment(a, b)).toBeCloseTo(d.similarity, 3);
      }
    }
    expect(near).toBeGreaterThan(500);
  });

  it('exact mode merges only formatting-only copies, and all of them', async () => {
    const { items: corpus } = generateNearDupCorpus({ seed: 3, bases: 400, copiesPerBase: 3 });
    const { precision, result } = await score(corpus, 'exact');
    expect(precision).toBe(1);
    const dropped = new Set(result.groups.flatMap((g) => g.dropped.map((d) => d.index)));
    corpus.forEach((c, i) => {
      const formattingOnly = c.variant !== null && c.variant.edits === 0 && c.variant.structural === 'none';
      if (formattingOnly || c.variant === null) return;
      expect(dropped.has(i)).toBe(false);
    });
    const formattingOnly = corpus
      .map((c, i) => [c, i] as const)
      .filter(([c]) => c.variant !== null && c.variant.edits === 0 && c.variant.structural === 'none');
    expect(formattingOnly.length).toBeGreaterThan(20);
    // Each is either dropped or kept as the first of its exact group (when it precedes the base).
    for (const [c, i] of formattingOnly) {
      const group = result.groups.find((g) => g.keptIndex === i || g.dropped.some((d) => d.index === i));
      expect(group, `copy ${c.id} should be in an exact group`).toBeDefined();
      expect(group!.dropped.every((d) => d.reason === 'exact')).toBe(true);
    }
  });

  it('keeps distinct passages that share boilerplate apart', async () => {
    const { items: corpus } = generateNearDupCorpus({
      seed: 4,
      bases: 1500,
      copiesPerBase: 0,
      sharedSentenceRate: 0.5,
    });
    const { result } = await score(corpus);
    const wrongDrops = result.groups.reduce((n, g) => n + g.dropped.length, 0);
    expect(wrongDrops / corpus.length).toBeLessThanOrEqual(0.002);
  });
});
