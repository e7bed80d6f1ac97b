import { describe, expect, it } from 'vitest';
import {
  bandKeys,
  chooseBands,
  containment,
  createMinHasher,
  estimateJaccard,
  fmix32,
  hashString32,
  hashWords,
  intersectionSize,
  jaccard,
  lshCandidateProbability,
  shingleSet,
  shingleSetFromWordHashes,
  sortUnique,
} from '../../src/text/minhash.js';
import { createRng } from '../../bench/near-dup-corpus.js';

/** Two random sets of distinct hashes with exactly `common` shared elements. */
function setPair(seed: number, common: number, onlyA: number, onlyB: number): [Uint32Array, Uint32Array] {
  const rng = createRng(seed);
  const seen = new Set<number>();
  const fresh = (): number => {
    for (;;) {
      const v = Math.floor(rng() * 4294967296);
      if (!seen.has(v)) {
        seen.add(v);
        return v;
      }
    }
  };
  const shared = Array.from({ length: common }, fresh);
  const a = sortUnique(Uint32Array.from([...shared, ...Array.from({ length: onlyA }, fresh)]));
  const b = sortUnique(Uint32Array.from([...shared, ...Array.from({ length: onlyB }, fresh)]));
  return [a, b];
}

describe('hashing', () => {
  it('is deterministic and stable across versions for a seed', () => {
    // Pinned values: peers must agree on hashes, so a change here is a protocol change.
    expect(hashString32('hello', 0)).toBe(hashString32('hello', 0));
    expect(hashString32('hello', 0)).toBe(3214601309);
    expect(hashString32('hello', 1)).not.toBe(hashString32('hello', 0));
    expect(hashString32('', 0)).toBe(fmix32(0x811c9dc5));
  });

  it('spreads similar inputs across the 32-bit range', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => hashString32(`word${i}`, 7));
    expect(new Set(values).size).toBeGreaterThan(9_990);
    const highBitSet = values.filter((v) => v >= 2 ** 31).length;
    expect(highBitSet).toBeGreaterThan(4_700);
    expect(highBitSet).toBeLessThan(5_300);
    for (const v of values) expect(v).toBe(v >>> 0);
  });
});

describe('shingle sets', () => {
  const words = 'the quick brown fox jumps over the lazy dog'.split(' ');

  it('are sorted unique word k-gram hashes', () => {
    const set = shingleSet(words, 3, 1);
    expect(set.length).toBe(7);
    for (let i = 1; i < set.length; i++) expect(set[i - 1]! < set[i]!).toBe(true);
    expect(shingleSet([...words, ...words], 3, 1).length).toBe(9); // 7 + "lazy dog the" + "dog the quick"
  });

  it('depend on word order and on every word', () => {
    const a = shingleSet(words, 3, 1);
    const swapped = shingleSet(['quick', 'the', ...words.slice(2)], 3, 1);
    expect(jaccard(a, swapped)).toBeLessThan(1);
    expect(intersectionSize(a, swapped)).toBe(5);
  });

  it('fall back to one whole-text shingle when there are fewer words than k', () => {
    expect(shingleSet(['ok'], 3, 1).length).toBe(1);
    expect(shingleSet(['build', 'failed'], 3, 1).length).toBe(1);
    expect(shingleSet(['build', 'failed'], 3, 1)).toEqual(shingleSet(['build', 'failed'], 3, 1));
    expect(shingleSet(['build', 'failed'], 3, 1)).not.toEqual(shingleSet(['build', 'passed'], 3, 1));
    expect(shingleSet([], 3, 1).length).toBe(0);
    // The short-text fallback shingle (a 2-gram) never collides with the 3-grams of longer texts.
    expect(intersectionSize(shingleSet(['a', 'b'], 3, 1), shingleSet(['a', 'b', 'c'], 3, 1))).toBe(0);
  });

  it('reuse a scratch buffer without changing the result', () => {
    const scratch = new Uint32Array(64);
    const viaScratch = shingleSetFromWordHashes(hashWords(words, 5), 2, 5, scratch);
    expect(Array.from(viaScratch)).toEqual(Array.from(shingleSet(words, 2, 5)));
  });
});

describe('exact set similarity', () => {
  it('computes intersection, Jaccard and containment by merge', () => {
    const a = Uint32Array.from([1, 3, 5, 7, 9]);
    const b = Uint32Array.from([3, 4, 5, 9, 10, 11]);
    expect(intersectionSize(a, b)).toBe(3);
    expect(jaccard(a, b)).toBeCloseTo(3 / 8);
    expect(containment(a, b)).toBeCloseTo(3 / 5);
    expect(containment(Uint32Array.from([3, 5]), b)).toBe(1);
    expect(jaccard(new Uint32Array(0), new Uint32Array(0))).toBe(1);
    expect(jaccard(a, new Uint32Array(0))).toBe(0);
  });
});

describe('MinHash signatures', () => {
  it('are deterministic for a seed and differ across seeds', () => {
    const [a] = setPair(1, 100, 50, 50);
    expect(Array.from(createMinHasher(64, 9).signature(a))).toEqual(
      Array.from(createMinHasher(64, 9).signature(a)),
    );
    expect(Array.from(createMinHasher(64, 9).signature(a))).not.toEqual(
      Array.from(createMinHasher(64, 10).signature(a)),
    );
  });

  it('give the same value per position whatever the signature length (unrolled and tail paths agree)', () => {
    const [a] = setPair(2, 150, 0, 0);
    const ten = createMinHasher(10, 3).signature(a);
    const twelve = createMinHasher(12, 3).signature(a);
    expect(Array.from(ten)).toEqual(Array.from(twelve.subarray(0, 10)));
    expect(Array.from(createMinHasher(8, 3).signature(new Uint32Array(0)))).toEqual(
      new Array(8).fill(0xffffffff),
    );
  });

  it('estimate Jaccard without bias and with the expected sqrt(J(1-J)/k) error', () => {
    const k = 128;
    const hasher = createMinHasher(k, 42);
    let sumError = 0;
    let sumSquared = 0;
    let trials = 0;
    for (let t = 0; t < 200; t++) {
      const common = 20 + (t % 9) * 20;
      const [a, b] = setPair(1000 + t, common, 40 + (t % 5) * 10, 30 + (t % 7) * 10);
      const exact = jaccard(a, b);
      const estimate = estimateJaccard(hasher.signature(a), hasher.signature(b));
      // No single estimate is further than ~5 standard deviations away.
      expect(Math.abs(estimate - exact)).toBeLessThan(5 * Math.sqrt((exact * (1 - exact)) / k) + 0.01);
      sumError += estimate - exact;
      sumSquared += (estimate - exact) ** 2;
      trials++;
    }
    expect(Math.abs(sumError / trials)).toBeLessThan(0.01);
    expect(Math.sqrt(sumSquared / trials)).toBeLessThan(0.05); // ideal ≈ 0.04 at J≈0.3–0.6
  });

  it('gives identical sets identical signatures and band keys', () => {
    const [a] = setPair(3, 80, 10, 10);
    const hasher = createMinHasher(128, 1);
    const sa = hasher.signature(a);
    const sb = hasher.signature(Uint32Array.from(a));
    expect(estimateJaccard(sa, sb)).toBe(1);
    expect(Array.from(bandKeys(sa, 42, 3))).toEqual(Array.from(bandKeys(sb, 42, 3)));
  });

  it('changes only the band whose rows changed', () => {
    const sig = Uint32Array.from({ length: 12 }, (_, i) => i * 1000);
    const other = Uint32Array.from(sig);
    other[4] = 999_999; // row 1 of band 1 (rows = 3)
    const ka = bandKeys(sig, 4, 3);
    const kb = bandKeys(other, 4, 3);
    expect([0, 1, 2, 3].map((b) => ka[b] === kb[b])).toEqual([true, false, true, true]);
    // Same rows in a different band position give a different key (bands are salted).
    expect(bandKeys(Uint32Array.from([1, 2, 3, 1, 2, 3]), 2, 3)[0]).not.toBe(
      bandKeys(Uint32Array.from([1, 2, 3, 1, 2, 3]), 2, 3)[1],
    );
    // Writing at an offset fills only that slice.
    const out = new Uint32Array(8);
    bandKeys(sig, 4, 3, out, 4);
    expect(Array.from(out.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(Array.from(out.subarray(4))).toEqual(Array.from(ka));
  });

  it('make near-duplicate sets LSH candidates and distinct ones not', () => {
    const hasher = createMinHasher(128, 7);
    const { bands, rows } = chooseBands(128, 0.4);
    const shareBand = (a: Uint32Array, b: Uint32Array): boolean => {
      const ka = bandKeys(hasher.signature(a), bands, rows);
      const kb = bandKeys(hasher.signature(b), bands, rows);
      return ka.some((k, i) => k === kb[i]);
    };
    let similarFound = 0;
    let distinctFound = 0;
    for (let t = 0; t < 100; t++) {
      const [a, b] = setPair(5000 + t, 120, 30, 30); // J = 0.67
      if (shareBand(a, b)) similarFound++;
      const [c, d] = setPair(9000 + t, 10, 120, 120); // J ≈ 0.04
      if (shareBand(c, d)) distinctFound++;
    }
    expect(similarFound).toBe(100);
    expect(distinctFound).toBeLessThan(5);
  });
});

describe('LSH shape', () => {
  it('keeps the candidate probability at the threshold high with as many rows as it can', () => {
    for (const threshold of [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]) {
      const { bands, rows } = chooseBands(128, threshold);
      expect(bands * rows).toBeLessThanOrEqual(128);
      expect(lshCandidateProbability(threshold, bands, rows)).toBeGreaterThanOrEqual(0.9);
      if (rows < 16) {
        const more = rows + 1;
        expect(lshCandidateProbability(threshold, Math.floor(128 / more), more)).toBeLessThan(0.9);
      }
    }
    expect(chooseBands(128, 0.4)).toEqual({ bands: 42, rows: 3 });
    expect(chooseBands(128, 0.8).rows).toBeGreaterThan(chooseBands(128, 0.5).rows);
  });

  it('has an S-shaped candidate curve', () => {
    const p = (s: number): number => lshCandidateProbability(s, 42, 3);
    expect(p(0.1)).toBeLessThan(0.05);
    expect(p(0.5)).toBeGreaterThan(0.99);
    expect(p(0.2)).toBeLessThan(p(0.3));
  });
});
