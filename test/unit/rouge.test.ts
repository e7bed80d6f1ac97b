import { describe, expect, it } from 'vitest';
import { lcsLength, lead3, rouge, rougeL, rougeN, rougeTokens } from '../../src/text/rouge.js';

describe('rouge', () => {
  const candidate = 'The cat sat on the mat.';
  const reference = 'The cat is on the mat.';

  it('computes ROUGE-1 with clipped counts', () => {
    // Unigram overlap: the x2, cat, on, mat = 5 of 6 on both sides.
    const r1 = rougeN(candidate, reference, 1);
    expect(r1.precision).toBeCloseTo(5 / 6, 10);
    expect(r1.recall).toBeCloseTo(5 / 6, 10);
    expect(r1.f1).toBeCloseTo(5 / 6, 10);
    // A repeated word only matches as often as the reference has it.
    const clipped = rougeN('the the the the', 'the cat', 1);
    expect(clipped.precision).toBeCloseTo(1 / 4, 10);
    expect(clipped.recall).toBeCloseTo(1 / 2, 10);
    expect(clipped.f1).toBeCloseTo((2 * 0.25 * 0.5) / 0.75, 10);
  });

  it('computes ROUGE-2 and ROUGE-L', () => {
    // Bigrams: "the cat", "on the", "the mat" shared, 3 of 5.
    expect(rougeN(candidate, reference, 2).f1).toBeCloseTo(0.6, 10);
    // LCS: the cat on the mat = 5.
    expect(lcsLength(rougeTokens(candidate), rougeTokens(reference))).toBe(5);
    expect(rougeL(candidate, reference).f1).toBeCloseTo(5 / 6, 10);
    // Asymmetric lengths: candidate 3 tokens all in a 6-token reference.
    const l = rougeL('cat on mat', reference);
    expect(l.precision).toBe(1);
    expect(l.recall).toBeCloseTo(0.5, 10);
    expect(l.f1).toBeCloseTo(2 / 3, 10);
    const all = rouge(candidate, reference);
    expect(all.rouge1.f1).toBeCloseTo(5 / 6, 10);
    expect(all.rouge2.f1).toBeCloseTo(0.6, 10);
  });

  it('handles empty and disjoint inputs and optional stemming', () => {
    expect(rougeN('', reference, 1)).toEqual({ precision: 0, recall: 0, f1: 0 });
    expect(rougeL('dogs bark', 'cats meow').f1).toBe(0);
    expect(rougeN('Votes counted', 'vote counting', 1).f1).toBe(0);
    expect(rougeN('Votes counted', 'vote counting', 1, { stem: true }).f1).toBe(1);
    expect(rougeTokens("Don't STOP—it's 3.5 km")).toEqual(['dont', 'stop', 'its', '3', '5', 'km']);
    expect(() => rougeN('a', 'a', 0)).toThrow(RangeError);
  });

  it('lead3 returns the first three sentences', () => {
    const text =
      'Mr. Smith arrived. He sat down.\n\nThe talk began at 3.30 p.m. sharp. Nobody left. It ended.';
    expect(lead3(text)).toBe('Mr. Smith arrived. He sat down. The talk began at 3.30 p.m. sharp.');
    expect(lead3('Only one.')).toBe('Only one.');
    expect(lead3('')).toBe('');
  });
});
