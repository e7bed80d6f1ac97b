/**
 * MinHash over word shingles, with LSH banding. Everything is 32-bit integer arithmetic on
 * Math.imul so it runs fast in plain JS and gives identical results on every peer for a seed.
 *
 * - A word is hashed once (FNV-1a over UTF-16 code units, then a murmur3 finalizer); a shingle
 *   hash combines the hashes of its k words with murmur3's block mixing, so no shingle strings
 *   are ever built. The shingle size is mixed into the hash, so shingles of different sizes
 *   (the short-item fallback) live in separate hash domains.
 * - The k "permutations" are h_i(x) = (x XOR salt_i) * odd_i mod 2^32: both steps are
 *   bijections of 32-bit words, and x is already a fully mixed shingle hash, so each h_i acts as
 *   an independent random permutation (measured: estimate error matches the ideal
 *   sqrt(J(1-J)/k); an extra xor-shift or full murmur finalizer per step changed nothing but
 *   cost 25–40% more time). The unit tests check the estimate against exact Jaccard.
 * - A shingle set is a sorted Uint32Array of unique hashes, so exact Jaccard/containment is a
 *   linear merge with no allocation.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** murmur3's 32-bit finalizer: a bijection with full avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Seeded 32-bit hash of a string (FNV-1a over UTF-16 code units, murmur3-finalized). */
export function hashString32(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h ^ text.length);
}

function mixBlock(h: number, block: number): number {
  let k = Math.imul(block, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** murmur3-style hash of a run of 32-bit values: values[start .. start+count). */
export function hashUint32Run(values: ArrayLike<number>, start: number, count: number, seed = 0): number {
  let h = seed | 0;
  for (let i = 0; i < count; i++) h = mixBlock(h, values[start + i] ?? 0);
  return fmix32(h ^ count);
}

/** Hash each word once (seeded), so shingles can be hashed without building strings. */
export function hashWords(
  words: readonly string[],
  seed = 0,
  out = new Uint32Array(words.length),
): Uint32Array {
  for (let i = 0; i < words.length; i++) out[i] = hashString32(words[i] ?? '', seed);
  return out.length === words.length ? out : out.subarray(0, words.length);
}

/**
 * Sorted, unique hashes of the word k-grams of `words`. With fewer words than k, the whole text
 * is one shingle (of its own, shorter size), so very short items still compare — effectively by
 * exact match. An empty word list gives an empty set.
 */
export function shingleSet(words: readonly string[], shingleSize: number, seed = 0): Uint32Array {
  return shingleSetFromWordHashes(hashWords(words, seed), shingleSize, seed);
}

/**
 * shingleSet from precomputed word hashes. Pass `out` (at least wordHashes.length long) to reuse
 * a scratch buffer; the result is then a view into it.
 */
export function shingleSetFromWordHashes(
  wordHashes: Uint32Array,
  shingleSize: number,
  seed = 0,
  out?: Uint32Array,
): Uint32Array {
  const n = wordHashes.length;
  if (n === 0) return new Uint32Array(0);
  const k = Math.max(1, Math.min(shingleSize, n));
  const count = n - k + 1;
  const target = out ? out.subarray(0, count) : new Uint32Array(count);
  const shingleSeed = (seed ^ Math.imul(k, 0x9e3779b1)) | 0;
  for (let i = 0; i < count; i++) {
    let h = shingleSeed;
    for (let w = 0; w < k; w++) h = mixBlock(h, wordHashes[i + w] as number);
    target[i] = fmix32(h ^ k);
  }
  return sortUnique(target);
}

/** Sort in place and drop repeats; returns a (possibly shorter) view of the same buffer. */
export function sortUnique(values: Uint32Array): Uint32Array {
  values.sort();
  let w = 0;
  for (let r = 0; r < values.length; r++) {
    const v = values[r] as number;
    if (w === 0 || values[w - 1] !== v) values[w++] = v;
  }
  return w === values.length ? values : values.subarray(0, w);
}

/** |A ∩ B| of two sorted unique arrays by linear merge. */
export function intersectionSize(a: Uint32Array, b: Uint32Array): number {
  let i = 0;
  let j = 0;
  let common = 0;
  const na = a.length;
  const nb = b.length;
  while (i < na && j < nb) {
    const x = a[i] as number;
    const y = b[j] as number;
    if (x === y) {
      common++;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return common;
}

/** Exact Jaccard similarity of two sorted unique sets (two empty sets count as identical). */
export function jaccard(a: Uint32Array, b: Uint32Array): number {
  if (a.length === 0 && b.length === 0) return 1;
  const common = intersectionSize(a, b);
  return common / (a.length + b.length - common);
}

/** |A ∩ B| / min(|A|, |B|): 1 when the smaller set is entirely inside the larger one. */
export function containment(a: Uint32Array, b: Uint32Array): number {
  const smaller = Math.min(a.length, b.length);
  if (smaller === 0) return a.length === b.length ? 1 : 0;
  return intersectionSize(a, b) / smaller;
}

/** splitmix32: expands the seed into the permutation constants. */
function seededStream(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
}

export interface MinHasher {
  readonly numHashes: number;
  readonly seed: number;
  /** Signature of a shingle set; an empty set gets all 0xffffffff. Writes into `out` when given. */
  signature(shingles: Uint32Array, out?: Uint32Array): Uint32Array;
}

export function createMinHasher(numHashes: number, seed = 0): MinHasher {
  if (!Number.isInteger(numHashes) || numHashes < 1)
    throw new RangeError('numHashes must be a positive integer');
  const next = seededStream(seed ^ 0x5bd1e995);
  const salts = new Uint32Array(numHashes);
  const multipliers = new Uint32Array(numHashes);
  for (let i = 0; i < numHashes; i++) {
    salts[i] = next();
    multipliers[i] = (next() | 1) >>> 0;
  }
  return {
    numHashes,
    seed,
    signature(shingles: Uint32Array, out = new Uint32Array(numHashes)): Uint32Array {
      const n = shingles.length;
      let p = 0;
      // Four permutations per pass over the shingles: one load feeds four independent
      // multiply-min chains, which measured ~1.5x faster than one permutation per pass.
      for (; p + 4 <= numHashes; p += 4) {
        const s0 = salts[p] as number;
        const s1 = salts[p + 1] as number;
        const s2 = salts[p + 2] as number;
        const s3 = salts[p + 3] as number;
        const m0 = multipliers[p] as number;
        const m1 = multipliers[p + 1] as number;
        const m2 = multipliers[p + 2] as number;
        const m3 = multipliers[p + 3] as number;
        let min0 = 0xffffffff;
        let min1 = 0xffffffff;
        let min2 = 0xffffffff;
        let min3 = 0xffffffff;
        for (let i = 0; i < n; i++) {
          const x = shingles[i] as number;
          const h0 = Math.imul(x ^ s0, m0) >>> 0;
          if (h0 < min0) min0 = h0;
          const h1 = Math.imul(x ^ s1, m1) >>> 0;
          if (h1 < min1) min1 = h1;
          const h2 = Math.imul(x ^ s2, m2) >>> 0;
          if (h2 < min2) min2 = h2;
          const h3 = Math.imul(x ^ s3, m3) >>> 0;
          if (h3 < min3) min3 = h3;
        }
        out[p] = min0;
        out[p + 1] = min1;
        out[p + 2] = min2;
        out[p + 3] = min3;
      }
      for (; p < numHashes; p++) {
        const salt = salts[p] as number;
        const mul = multipliers[p] as number;
        let min = 0xffffffff;
        for (let i = 0; i < n; i++) {
          const h = Math.imul((shingles[i] as number) ^ salt, mul) >>> 0;
          if (h < min) min = h;
        }
        out[p] = min;
      }
      return out;
    },
  };
}

/** Fraction of signature positions that agree: an unbiased estimate of Jaccard similarity. */
export function estimateJaccard(a: Uint32Array, b: Uint32Array): number {
  const n = Math.min(a.length, b.length);
  if (n === 0) return 0;
  let same = 0;
  for (let i = 0; i < n; i++) if (a[i] === b[i]) same++;
  return same / n;
}

/** Probability that a pair with Jaccard `similarity` shares at least one of `bands` bands of `rows` rows. */
export function lshCandidateProbability(similarity: number, bands: number, rows: number): number {
  return 1 - Math.pow(1 - Math.pow(similarity, rows), bands);
}

/**
 * LSH shape for a threshold: the most rows per band (fewest spurious candidates) such that a
 * pair right at the threshold still becomes a candidate with probability ≥ `recallAtThreshold`.
 */
export function chooseBands(
  numHashes: number,
  threshold: number,
  recallAtThreshold = 0.9,
): { bands: number; rows: number } {
  for (let rows = Math.min(numHashes, 16); rows > 1; rows--) {
    const bands = Math.floor(numHashes / rows);
    if (lshCandidateProbability(threshold, bands, rows) >= recallAtThreshold) return { bands, rows };
  }
  return { bands: numHashes, rows: 1 };
}

/**
 * One hash per band of the signature: items sharing a band key agree on all `rows` rows of it.
 * Written to out[offset .. offset+bands).
 */
export function bandKeys(
  signature: Uint32Array,
  bands: number,
  rows: number,
  out = new Uint32Array(bands),
  offset = 0,
): Uint32Array {
  for (let b = 0; b < bands; b++) {
    out[offset + b] = hashUint32Run(signature, b * rows, rows, Math.imul(b + 1, 0x27d4eb2f));
  }
  return out;
}
