/**
 * Model-free deduplication: exact (normalized-text hash) and near (MinHash + LSH over word
 * shingles, every candidate verified exactly). Pure and deterministic for a given seed.
 *
 * How it works
 * - Exact: a text's key is its normalized word sequence (NFKC, lower case, punctuation and
 *   whitespace folded; see normalize.ts), or for texts without words the case- and
 *   whitespace-folded text. Keys are hashed to 53 bits and compared in full on a hash hit, so
 *   a collision can never merge two different texts.
 * - Near (the default; it includes exact): each exact-unique item becomes a set of hashed word
 *   3-shingles (fewer words than that: one whole-text shingle, i.e. exact matching). 128 MinHash
 *   values are cut into 42 LSH bands of 3 rows; items sharing a band are candidates, and every
 *   candidate pair is verified on the exact shingle sets (sorted arrays, a linear merge that stops
 *   early): Jaccard ≥ threshold, or containment |A∩B|/min(|A|,|B|) ≥ max(0.8, threshold) when the
 *   smaller item has ≥ 12 shingles (a trimmed copy). Union-find joins verified pairs; each group
 *   keeps its lowest index. A dropped item's similarity is measured against the kept item, so an
 *   item joined through a chain (A~B, B~C) can report less than the threshold.
 * - Scale: LSH buckets of ≤ 12 items compare all pairs; bigger buckets (boilerplate-heavy text
 *   puts many unrelated items in one) compare each item with its 4 predecessors and the bucket's
 *   first item, so the work stays linear in the number of items.
 *
 * Defaults, tuned on bench/near-dup-corpus.ts (prose, documentation and log passages; copies with
 * 0–10% of words edited, sentences dropped or moved, case/whitespace/punctuation changed; distinct
 * passages that share boilerplate sentences):
 * - shingleSize 3: separates the classes best. Lowest Jaccard of a same-passage pair (10% edits
 *   plus a dropped and a moved sentence) vs highest of two distinct passages, 1,200 items:
 *   words (k=1) 0.77 vs 0.67 (0.69 on another seed), k=2 0.57 vs 0.40, k=3 0.46 vs 0.27,
 *   k=4 0.37 vs 0.20, k=5 0.30 vs 0.17. k=3 has the widest gap in absolute terms, which is what
 *   the LSH and a single threshold need.
 * - threshold 0.4: the middle of the safe range. On 40,000 items, 0.35–0.45 give pairwise
 *   precision 1.000 and recall ≥ 0.999; 0.3 lets distinct documentation sections chain together
 *   (precision 0.990); 0.5 misses 10%-edited copies that also lost a sentence (recall 0.989).
 * - numHashes 128 → 42 bands × 3 rows (chooseBands: most rows with ≥ 0.9 candidate probability
 *   at the threshold): a pair becomes a candidate with probability 0.94 at J=0.4, 0.996 at 0.5,
 *   0.29 at 0.2 and 0.04 at 0.1. 64 hashes would force 2-row bands and flood the verifier.
 * - containment 0.8 with ≥ 12 shingles (about a sentence): distinct passages reached at most 0.52
 *   containment on the corpus, trimmed copies 1.0; small sets are excluded because one shared
 *   boilerplate sentence would contain them entirely.
 */
import { PrechewError, throwIfCancelled } from '../errors.js';
import { foldCase, foldWhitespace, tokenizeWords } from './normalize.js';
import {
  bandKeys,
  chooseBands,
  createMinHasher,
  hashString32,
  hashUint32Run,
  intersectionSize,
  shingleSetFromWordHashes,
  hashWords,
} from './minhash.js';

export interface DedupeItem {
  id: string;
  text: string;
}
export type DedupeMode = 'exact' | 'near';
export interface DedupeOptions {
  /** 'near' (default) also removes exact duplicates. */
  mode?: DedupeMode;
  /** Jaccard similarity (0..1] of word-shingle sets at which two items count as the same passage. */
  threshold?: number;
  /** Words per shingle. */
  shingleSize?: number;
  /** MinHash signature length (bands × rows ≤ numHashes). */
  numHashes?: number;
  seed?: number;
  signal?: AbortSignal;
  /**
   * Called as work advances. `done` and `total` count work steps: one per item, plus one per LSH
   * band in near mode. `done` only grows and ends equal to `total`.
   */
  onProgress?: (done: number, total: number) => void;
}
export interface DroppedItem {
  index: number;
  id: string;
  /** Similarity to the kept item: 1 for exact; Jaccard for near; |A∩B|/min(|A|,|B|) for containment. */
  similarity: number;
  reason: 'exact' | 'near' | 'containment';
}
export interface DuplicateGroup {
  keptIndex: number;
  keptId: string;
  dropped: DroppedItem[];
}
export interface DedupeResult {
  /** Ascending original order. */
  keptIndices: number[];
  /** One per group with at least one dropped item, ordered by keptIndex; dropped ordered by index. */
  groups: DuplicateGroup[];
  params: {
    mode: DedupeMode;
    threshold: number;
    shingleSize: number;
    numHashes: number;
    bands: number;
    rows: number;
  };
}

export const DEFAULT_DEDUPE_MODE: DedupeMode = 'near';
export const DEFAULT_DEDUPE_THRESHOLD = 0.4;
export const DEFAULT_SHINGLE_SIZE = 3;
export const DEFAULT_NUM_HASHES = 128;
export const DEFAULT_DEDUPE_SEED = 0x5eed;
/** Containment needs this much overlap of the smaller set (or the Jaccard threshold, if higher). */
export const CONTAINMENT_THRESHOLD = 0.8;
/** Containment is only trusted when the smaller item has this many shingles (about a sentence). */
export const MIN_CONTAINMENT_SHINGLES = 12;
/** LSH buckets up to this size compare every pair. */
const FULL_BUCKET = 12;
/** In larger buckets each item is compared with this many predecessors (plus the bucket's first). */
const BUCKET_WINDOW = 4;
const YIELD_EVERY_ITEMS = 2000;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function invalid(message: string): PrechewError {
  return new PrechewError('INVALID_INPUT', message);
}

function resolveOptions(options: DedupeOptions): {
  mode: DedupeMode;
  threshold: number;
  shingleSize: number;
  numHashes: number;
  seed: number;
} {
  const mode = options.mode ?? DEFAULT_DEDUPE_MODE;
  if (mode !== 'exact' && mode !== 'near')
    throw invalid(`mode must be "exact" or "near", got "${String(mode)}".`);
  const threshold = options.threshold ?? DEFAULT_DEDUPE_THRESHOLD;
  if (!(typeof threshold === 'number' && threshold > 0 && threshold <= 1)) {
    throw invalid('threshold must be a number greater than 0 and at most 1 (e.g. 0.5).');
  }
  const shingleSize = options.shingleSize ?? DEFAULT_SHINGLE_SIZE;
  if (!Number.isInteger(shingleSize) || shingleSize < 1 || shingleSize > 16) {
    throw invalid('shingleSize must be a whole number of words from 1 to 16.');
  }
  const numHashes = options.numHashes ?? DEFAULT_NUM_HASHES;
  if (!Number.isInteger(numHashes) || numHashes < 8 || numHashes > 1024) {
    throw invalid('numHashes must be a whole number from 8 to 1024.');
  }
  const seed = options.seed ?? DEFAULT_DEDUPE_SEED;
  if (!Number.isFinite(seed)) throw invalid('seed must be a finite number.');
  return { mode, threshold, shingleSize, numHashes, seed: seed >>> 0 };
}

/** The exact-duplicate key: normalized words; texts with no words fall back to folded case and whitespace. */
function exactKey(text: string, words: readonly string[]): string {
  return words.length > 0 ? words.join(' ') : foldWhitespace(foldCase(text));
}

/** Growable pool of shingle sets, so 100k sets are a few large typed arrays, not 100k small ones. */
class ShinglePool {
  data = new Uint32Array(1 << 16);
  private used = 0;
  readonly start: Int32Array;
  readonly length: Int32Array;

  constructor(items: number) {
    this.start = new Int32Array(items).fill(-1);
    this.length = new Int32Array(items);
  }

  add(item: number, set: Uint32Array): void {
    if (this.used + set.length > this.data.length) {
      let size = this.data.length * 2;
      while (size < this.used + set.length) size *= 2;
      const grown = new Uint32Array(size);
      grown.set(this.data.subarray(0, this.used));
      this.data = grown;
    }
    this.data.set(set, this.used);
    this.start[item] = this.used;
    this.length[item] = set.length;
    this.used += set.length;
  }

  has(item: number): boolean {
    return (this.start[item] ?? -1) >= 0;
  }

  get(item: number): Uint32Array {
    const start = this.start[item] ?? -1;
    if (start < 0) return new Uint32Array(0);
    return this.data.subarray(start, start + (this.length[item] ?? 0));
  }
}

interface PairVerdict {
  jaccard: number;
  containment: number;
  smaller: number;
}

function compareSets(a: Uint32Array, b: Uint32Array): PairVerdict {
  const common = intersectionSize(a, b);
  const union = a.length + b.length - common;
  const smaller = Math.min(a.length, b.length);
  return {
    jaccard: union === 0 ? 1 : common / union,
    containment: smaller === 0 ? 0 : common / smaller,
    smaller,
  };
}

/**
 * The exact check behind every near-duplicate: Jaccard ≥ threshold, or containment ≥
 * containmentThreshold when the smaller set is big enough to trust. The merge stops as soon as
 * the remaining elements cannot reach either bar, so the many spurious LSH candidates of
 * boilerplate-heavy text cost a fraction of a full merge.
 */
export function passesVerification(
  a: Uint32Array,
  b: Uint32Array,
  threshold: number,
  containmentThreshold: number,
): boolean {
  return passesVerificationIn(a, 0, a.length, b, 0, b.length, threshold, containmentThreshold);
}

/** passesVerification on two slices given by offset and length, so the hot loop allocates nothing. */
function passesVerificationIn(
  dataA: Uint32Array,
  startA: number,
  na: number,
  dataB: Uint32Array,
  startB: number,
  nb: number,
  threshold: number,
  containmentThreshold: number,
): boolean {
  const smaller = Math.min(na, nb);
  if (smaller === 0) return false;
  // Smallest intersection that passes: c/(na+nb-c) ≥ t  ⇔  c ≥ t(na+nb)/(1+t).
  const needJaccard = Math.ceil((threshold * (na + nb)) / (1 + threshold) - 1e-9);
  const needContainment =
    smaller >= MIN_CONTAINMENT_SHINGLES ? Math.ceil(containmentThreshold * smaller - 1e-9) : Infinity;
  const need = Math.min(needJaccard, needContainment);
  if (need > smaller) return false;
  const endA = startA + na;
  const endB = startB + nb;
  let i = startA;
  let j = startB;
  let common = 0;
  // Branch-free merge in blocks of up to 32 steps (a mispredicted branch per element cost 2.4x),
  // checking between blocks whether the bar is met or out of reach.
  while (i < endA && j < endB) {
    const steps = Math.min(32, endA - i, endB - j); // each step advances i or j, so both stay in range
    for (let s = 0; s < steps; s++) {
      const x = dataA[i] as number;
      const y = dataB[j] as number;
      // Booleans as 0/1 without a branch (a ternary here compiles to a branch).
      const le = ((x <= y) as unknown as number) | 0;
      const ge = ((x >= y) as unknown as number) | 0;
      common += le & ge;
      i += le;
      j += ge;
    }
    if (common >= need) return true;
    if (common + Math.min(endA - i, endB - j) < need) return false;
  }
  return common >= need;
}

const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;

/**
 * Removes exact and near-duplicate items, keeping the first (lowest index) item of each group.
 * Throws PrechewError INVALID_INPUT for bad options and CANCELLED when the signal fires.
 */
export async function dedupeItems(items: DedupeItem[], options: DedupeOptions = {}): Promise<DedupeResult> {
  const { mode, threshold, shingleSize, numHashes, seed } = resolveOptions(options);
  const { signal, onProgress } = options;
  const near = mode === 'near';
  const { bands, rows } = chooseBands(numHashes, threshold);
  const containmentThreshold = Math.max(threshold, CONTAINMENT_THRESHOLD);
  throwIfCancelled(signal);

  const n = items.length;
  const total = n + (near ? bands : 0);
  let done = 0;
  const report = (): void => onProgress?.(done, total);

  // Union-find whose root is always the lowest index of its group: the item we keep.
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (x: number): number => {
    while (parent[x] !== x) {
      const up = parent[parent[x] as number] as number;
      parent[x] = up;
      x = up;
    }
    return x;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra < rb) parent[rb] = ra;
    else if (rb < ra) parent[ra] = rb;
  };

  // Phase 1: exact keys; for near mode, shingle sets, signatures and band keys of exact-unique items.
  const exactRep = new Int32Array(n);
  const repsByHash = new Map<number, number | number[]>();
  const repKeyCache = new Map<number, string>();
  const repKey = (rep: number): string => {
    let key = repKeyCache.get(rep);
    if (key === undefined) {
      const text = items[rep]?.text ?? '';
      key = exactKey(text, tokenizeWords(text));
      repKeyCache.set(rep, key);
    }
    return key;
  };

  const pool = new ShinglePool(near ? n : 0);
  const participants = new Int32Array(near ? n : 0);
  let participantCount = 0;
  const keys = new Uint32Array(near ? n * bands : 0);
  const minHasher = near ? createMinHasher(numHashes, seed) : undefined;
  const signature = new Uint32Array(numHashes);
  let wordHashes = new Uint32Array(1024);
  let shingleScratch = new Uint32Array(1024);

  for (let i = 0; i < n; i++) {
    if (i > 0 && i % YIELD_EVERY_ITEMS === 0) {
      done = i;
      report();
      await yieldToEventLoop();
      throwIfCancelled(signal);
    }
    const item = items[i];
    if (!item || typeof item.text !== 'string')
      throw invalid(`Item ${i} has no text; every item needs a "text" string.`);
    const words = tokenizeWords(item.text);
    const wordCount = words.length;
    if (wordHashes.length < wordCount) {
      wordHashes = new Uint32Array(wordCount * 2);
      shingleScratch = new Uint32Array(wordCount * 2);
    }
    // 53-bit exact key from the word hashes (or, for texts without words, the folded raw text);
    // real equality is checked on a hit, so a hash collision can never merge different texts.
    let hashKey: number;
    if (wordCount > 0) {
      hashWords(words, seed, wordHashes);
      hashKey =
        hashUint32Run(wordHashes, 0, wordCount, 0x9747b28c) +
        (hashUint32Run(wordHashes, 0, wordCount, 0x1b873593) & 0x1fffff) * 0x100000000;
    } else {
      const raw = exactKey(item.text, words);
      hashKey = hashString32(raw, 0x9747b28c) + (hashString32(raw, 0x1b873593) & 0x1fffff) * 0x100000000;
    }
    const reps = repsByHash.get(hashKey);
    let rep = -1;
    if (reps !== undefined) {
      const key = exactKey(item.text, words);
      for (const r of typeof reps === 'number' ? [reps] : reps) {
        if (repKey(r) === key) {
          rep = r;
          break;
        }
      }
    }
    if (rep >= 0) {
      exactRep[i] = rep;
      union(rep, i);
      continue;
    }
    exactRep[i] = i;
    if (reps === undefined) repsByHash.set(hashKey, i);
    else if (typeof reps === 'number') repsByHash.set(hashKey, [reps, i]);
    else reps.push(i);

    if (minHasher && wordCount > 0) {
      const set = shingleSetFromWordHashes(
        wordHashes.subarray(0, wordCount),
        shingleSize,
        seed,
        shingleScratch,
      );
      pool.add(i, set);
      minHasher.signature(set, signature);
      bandKeys(signature, bands, rows, keys, participantCount * bands);
      participants[participantCount++] = i;
    }
  }
  repKeyCache.clear();
  done = n;
  report();

  // Phase 2: LSH. Per band, sort (key, rank) packed into a double and walk runs of equal keys.
  // Runs up to FULL_BUCKET items compare all pairs; larger runs (boilerplate-heavy text puts many
  // unrelated items in one bucket) compare each item with its BUCKET_WINDOW predecessors and the
  // run's first item, which keeps the work linear and still chains big groups of copies together.
  if (near && participantCount > 1) {
    const m = participantCount;
    const rankBits = Math.max(1, Math.ceil(Math.log2(m)));
    const rankScale = 2 ** rankBits;
    const keyBits = Math.min(32, 53 - rankBits);
    const keyDrop = 32 - keyBits;
    const packed = new Float64Array(m);
    const tryPair = (rankA: number, rankB: number): void => {
      const a = participants[rankA] as number;
      const b = participants[rankB] as number;
      if (find(a) === find(b)) return;
      const { data, start, length } = pool;
      const sa = start[a] as number;
      const sb = start[b] as number;
      const na = length[a] as number;
      const nb = length[b] as number;
      if (passesVerificationIn(data, sa, na, data, sb, nb, threshold, containmentThreshold)) union(a, b);
    };
    for (let band = 0; band < bands; band++) {
      for (let r = 0; r < m; r++)
        packed[r] = ((keys[r * bands + band] as number) >>> keyDrop) * rankScale + r;
      packed.sort();
      let runStart = 0;
      while (runStart < m) {
        const runKey = Math.floor((packed[runStart] as number) / rankScale);
        let runEnd = runStart + 1;
        while (runEnd < m && Math.floor((packed[runEnd] as number) / rankScale) === runKey) runEnd++;
        const runLength = runEnd - runStart;
        if (runLength > 1) {
          const base = runKey * rankScale;
          const window = runLength <= FULL_BUCKET ? runLength : BUCKET_WINDOW;
          const firstRank = (packed[runStart] as number) - base;
          for (let p = runStart + 1; p < runEnd; p++) {
            const rankP = (packed[p] as number) - base;
            const from = Math.max(runStart, p - window);
            for (let q = p - 1; q >= from; q--) tryPair((packed[q] as number) - base, rankP);
            if (from > runStart) tryPair(firstRank, rankP);
          }
        }
        runStart = runEnd;
      }
      done = n + band + 1;
      report();
      await yieldToEventLoop();
      throwIfCancelled(signal);
    }
  }

  if (done < total) {
    done = total;
    report();
  }

  // Phase 3: groups, with each dropped item's similarity measured against the item kept.
  const keptIndices: number[] = [];
  const groupByRoot = new Map<number, DuplicateGroup>();
  const groups: DuplicateGroup[] = [];
  for (let i = 0; i < n; i++) {
    const root = find(i);
    if (root === i) {
      keptIndices.push(i);
      continue;
    }
    let group = groupByRoot.get(root);
    if (!group) {
      group = { keptIndex: root, keptId: items[root]?.id ?? '', dropped: [] };
      groupByRoot.set(root, group);
      groups.push(group);
    }
    const id = items[i]?.id ?? '';
    const rep = exactRep[i] as number;
    if (rep === root) {
      group.dropped.push({ index: i, id, similarity: 1, reason: 'exact' });
      continue;
    }
    const v = compareSets(pool.get(rep), pool.get(root));
    const contained =
      v.jaccard < threshold && v.containment >= containmentThreshold && v.smaller >= MIN_CONTAINMENT_SHINGLES;
    group.dropped.push(
      contained
        ? { index: i, id, similarity: round4(v.containment), reason: 'containment' }
        : { index: i, id, similarity: round4(v.jaccard), reason: 'near' },
    );
  }
  groups.sort((a, b) => a.keptIndex - b.keptIndex);

  return {
    keptIndices,
    groups,
    params: near
      ? { mode, threshold, shingleSize, numHashes, bands, rows }
      : { mode, threshold: 1, shingleSize, numHashes, bands, rows },
  };
}
