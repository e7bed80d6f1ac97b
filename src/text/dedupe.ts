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
 *   smaller item has ≥ 12 shingles (a trimmed copy). Items with fewer than 8 shingles (about ten
 *   words) only match exactly.
 * - Grouping without chains: in index order, an item is dropped only when it passes that check
 *   against an item already kept, the group's representative, and dedupe-distinct.ts finds no
 *   differing content (a field's value, a path, a name; differing words weigh more in short
 *   items). So A~B and B~C never drop C for A unless C~A holds too, and every dropped item's
 *   reported similarity — to its kept item — is at or above the threshold.
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
import { isDistinctContent, type ContentProfile } from './dedupe-distinct.js';
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
  sortUnique,
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
  /**
   * Computes the LSH band keys of the items that take part in near matching (the costly MinHash
   * step) somewhere else — units on worker threads or peers. It must return exactly
   * signatureBandKeys(texts, params): participantCount × bands keys, item after item.
   */
  computeBandKeys?: ((texts: string[], params: SignatureParams) => Promise<Uint32Array>) | undefined;
}
/** What a signature batch needs to compute band keys identical to this node's. */
export interface SignatureParams {
  shingleSize: number;
  numHashes: number;
  seed: number;
  bands: number;
  rows: number;
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
/**
 * A near match needs at least this many shingles in each item (about ten words); shorter items
 * match exactly or not at all. A short line built from a template ("Files: doc/adduser.8",
 * "Press Delete to remove the selected file.") shares most of its few shingles with its siblings
 * while saying something different.
 */
export const MIN_NEAR_SHINGLES = 8;
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

/** Verified near pairs as linked lists at their higher index: typed arrays, no per-pair objects. */
class EdgeLists {
  private readonly head: Int32Array;
  private lowers = new Int32Array(1024);
  private highs = new Int32Array(1024);
  private nexts = new Int32Array(1024);
  private count = 0;

  constructor(items: number) {
    this.head = new Int32Array(items).fill(-1);
  }

  add(low: number, high: number): void {
    if (this.count === this.lowers.length) {
      const lowers = new Int32Array(this.count * 2);
      lowers.set(this.lowers);
      this.lowers = lowers;
      const highs = new Int32Array(this.count * 2);
      highs.set(this.highs);
      this.highs = highs;
      const nexts = new Int32Array(this.count * 2);
      nexts.set(this.nexts);
      this.nexts = nexts;
    }
    this.lowers[this.count] = low;
    this.highs[this.count] = high;
    this.nexts[this.count] = this.head[high] as number;
    this.head[high] = this.count++;
  }

  has(low: number, high: number): boolean {
    for (let e = this.head[high] as number; e >= 0; e = this.nexts[e] as number) if (this.lowers[e] === low) return true;
    return false;
  }

  get size(): number {
    return this.count;
  }

  /** Both directions in compressed rows: item i's neighbours are neighbours[offsets[i] .. offsets[i+1]), ascending. */
  adjacency(): { offsets: Int32Array; neighbours: Int32Array } {
    const n = this.head.length;
    const offsets = new Int32Array(n + 1);
    for (let e = 0; e < this.count; e++) {
      const low = (this.lowers[e] as number) + 1;
      const high = (this.highs[e] as number) + 1;
      offsets[low] = (offsets[low] as number) + 1;
      offsets[high] = (offsets[high] as number) + 1;
    }
    for (let i = 0; i < n; i++) offsets[i + 1] = (offsets[i + 1] as number) + (offsets[i] as number);
    const fill = offsets.slice(0, n);
    const neighbours = new Int32Array(this.count * 2);
    for (let e = 0; e < this.count; e++) {
      const low = this.lowers[e] as number;
      const high = this.highs[e] as number;
      const atLow = fill[low] as number;
      const atHigh = fill[high] as number;
      neighbours[atLow] = high;
      neighbours[atHigh] = low;
      fill[low] = atLow + 1;
      fill[high] = atHigh + 1;
    }
    for (let i = 0; i < n; i++) neighbours.subarray(offsets[i] as number, offsets[i + 1] as number).sort();
    return { offsets, neighbours };
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
 * Removes exact and near-duplicate items, keeping one representative of each group: for exact
 * copies the first; for near duplicates the best-connected item (on ties the first), to which
 * every dropped item is itself similar. Throws PrechewError INVALID_INPUT for bad options and CANCELLED when the signal fires.
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
  // Sorted unique word hashes of near-match participants, for the content check of phase 3.
  const wordPool = new ShinglePool(near ? n : 0);
  const wordCounts = new Int32Array(near ? n : 0);
  const participants = new Int32Array(near ? n : 0);
  let participantCount = 0;
  const keys = new Uint32Array(near ? n * bands : 0);
  const minHasher = near ? createMinHasher(numHashes, seed) : undefined;
  const signature = new Uint32Array(numHashes);
  let wordHashes = new Uint32Array(1024);
  let shingleScratch = new Uint32Array(1024);
  let wordScratch = new Uint32Array(1024);

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
      wordScratch = new Uint32Array(wordCount * 2);
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
      // Too few shingles for a near match (see MIN_NEAR_SHINGLES): exact matching only.
      if (set.length < MIN_NEAR_SHINGLES) continue;
      wordCounts[i] = wordCount;
      const uniqueWords = wordScratch.subarray(0, wordCount);
      uniqueWords.set(wordHashes.subarray(0, wordCount));
      wordPool.add(i, sortUnique(uniqueWords));
      if (!options.computeBandKeys) {
        minHasher.signature(set, signature);
        bandKeys(signature, bands, rows, keys, participantCount * bands);
      }
      participants[participantCount++] = i;
    }
  }
  repKeyCache.clear();
  if (near && options.computeBandKeys && participantCount > 1) {
    // The MinHash signatures of every participant, computed as signature batches elsewhere.
    const texts: string[] = new Array<string>(participantCount);
    for (let r = 0; r < participantCount; r++) texts[r] = items[participants[r] as number]?.text ?? '';
    const computed = await options.computeBandKeys(texts, { shingleSize, numHashes, seed, bands, rows });
    throwIfCancelled(signal);
    if (computed.length !== participantCount * bands)
      throw new PrechewError('INTERNAL', `Signature batches returned ${computed.length} band keys, not ${participantCount * bands}.`);
    keys.set(computed);
  }
  done = n;
  report();

  // Phase 2: LSH. Per band, sort (key, rank) packed into a double and walk runs of equal keys.
  // Runs up to FULL_BUCKET items compare all pairs; larger runs (boilerplate-heavy text puts many
  // unrelated items in one bucket) compare each item with its BUCKET_WINDOW predecessors and the
  // run's first item (its lowest index, the likeliest item to keep), which keeps the work linear.
  // Verified pairs become edges stored at their higher index; a pair seen again in a later band
  // is found on that short list instead of being verified again.
  const edges = new EdgeLists(near ? n : 0);
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
      const low = a < b ? a : b;
      const high = a < b ? b : a;
      if (edges.has(low, high)) return;
      const { data, start, length } = pool;
      const sa = start[a] as number;
      const sb = start[b] as number;
      const na = length[a] as number;
      const nb = length[b] as number;
      if (passesVerificationIn(data, sa, na, data, sb, nb, threshold, containmentThreshold)) edges.add(low, high);
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

  // Phase 3: groups around representatives, without chains. Exact-unique items are visited by
  // how many verified neighbours they have (most first, then lowest index); an item not yet
  // grouped becomes a representative (kept) and takes each ungrouped neighbour that is itself
  // similar to it and says nothing it does not (dedupe-distinct.ts). A~B and B~C never drop C for
  // A unless C~A holds too, so every reported similarity — to the kept item — is at or above the
  // threshold. The best-connected item of a group is its most central version (on the corpus,
  // the original rather than one of its edited copies), which lets every copy match it directly.
  const keptFor = new Int32Array(n).fill(-1);
  const similarityOf = new Float64Array(n);
  const reasonOf = new Uint8Array(n); // 1 exact, 2 near, 3 containment
  if (near && edges.size > 0) {
    const { offsets, neighbours } = edges.adjacency();
    let maxDegree = 0;
    for (let i = 0; i < n; i++) maxDegree = Math.max(maxDegree, (offsets[i + 1] as number) - (offsets[i] as number));
    const order = new Float64Array(participantCount);
    for (let r = 0; r < participantCount; r++) {
      const i = participants[r] as number;
      order[r] = (maxDegree - ((offsets[i + 1] as number) - (offsets[i] as number))) * n + i;
    }
    order.sort();
    // One profile per item, built on first use: its words, fields and identifiers are worked out
    // once however many pairs it is checked in.
    const profiles = new Map<number, ContentProfile>();
    const profileOf = (i: number): ContentProfile => {
      let profile = profiles.get(i);
      if (!profile) {
        profile = { text: items[i]?.text ?? '', wordCount: wordCounts[i] as number, wordHashes: wordPool.get(i), seed };
        profiles.set(i, profile);
      }
      return profile;
    };
    let visited = 0;
    let checked = 0;
    for (const key of order) {
      const c = key % n;
      if (++visited % YIELD_EVERY_ITEMS === 0) {
        await yieldToEventLoop();
        throwIfCancelled(signal);
      }
      if (keptFor[c] !== -1) continue;
      keptFor[c] = c;
      const setC = pool.get(c);
      for (let k = offsets[c] as number; k < (offsets[c + 1] as number); k++) {
        const x = neighbours[k] as number;
        if (keptFor[x] !== -1) continue;
        // One item can have thousands of neighbours (a bucket of near-identical lines): stay responsive.
        if (++checked % YIELD_EVERY_ITEMS === 0) {
          await yieldToEventLoop();
          throwIfCancelled(signal);
        }
        const v = compareSets(setC, pool.get(x));
        let similarity: number;
        let reason: number;
        if (v.jaccard >= threshold) {
          similarity = v.jaccard;
          reason = 2;
        } else if (v.containment >= containmentThreshold && v.smaller >= MIN_CONTAINMENT_SHINGLES) {
          similarity = v.containment;
          reason = 3;
        } else continue;
        if (isDistinctContent(profileOf(c), profileOf(x))) continue;
        keptFor[x] = c;
        similarityOf[x] = similarity;
        reasonOf[x] = reason;
      }
    }
  }
  for (let i = 0; i < n; i++) {
    const rep = exactRep[i] as number;
    if (rep === i) {
      if (keptFor[i] === -1) keptFor[i] = i;
      continue;
    }
    // Same words as an earlier item: it goes where that item went.
    const keptForRep = keptFor[rep] as number;
    keptFor[i] = keptForRep;
    similarityOf[i] = keptForRep === rep ? 1 : (similarityOf[rep] as number);
    reasonOf[i] = keptForRep === rep ? 1 : (reasonOf[rep] as number);
  }

  const keptIndices: number[] = [];
  const groupByKept = new Map<number, DuplicateGroup>();
  const groups: DuplicateGroup[] = [];
  const reasons = ['exact', 'exact', 'near', 'containment'] as const;
  for (let i = 0; i < n; i++) {
    const kept = keptFor[i] as number;
    if (kept === i) {
      keptIndices.push(i);
      continue;
    }
    let group = groupByKept.get(kept);
    if (!group) {
      group = { keptIndex: kept, keptId: items[kept]?.id ?? '', dropped: [] };
      groupByKept.set(kept, group);
      groups.push(group);
    }
    const reason = reasons[reasonOf[i] as number] ?? 'exact';
    group.dropped.push({
      index: i,
      id: items[i]?.id ?? '',
      similarity: reason === 'exact' ? 1 : round4(similarityOf[i] as number),
      reason,
    });
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

/**
 * The band keys of each text's MinHash signature, item after item (bands keys each): the step
 * dedupeItems spends most of its time on in near mode, as a pure function a signature batch unit
 * runs. Same texts and params → the very keys dedupeItems computes in place.
 */
export function signatureBandKeys(texts: readonly string[], params: SignatureParams): Uint32Array {
  const { shingleSize, numHashes, bands, rows } = params;
  const seed = params.seed >>> 0;
  const minHasher = createMinHasher(numHashes, seed);
  const signature = new Uint32Array(numHashes);
  const out = new Uint32Array(texts.length * bands);
  for (let t = 0; t < texts.length; t++) {
    const words = tokenizeWords(texts[t] ?? '');
    const set = shingleSetFromWordHashes(hashWords(words, seed), shingleSize, seed);
    minHasher.signature(set, signature);
    bandKeys(signature, bands, rows, out, t * bands);
  }
  return out;
}
