/**
 * Query-aware condensing of many sources into a context that fits a token budget. Pure and
 * model-free (the optional local-LLM step lives in jobs/condense.ts):
 *
 *   normalize (de-hyphenate, unwrap lines, strip page markers/timestamps into citation anchors,
 *   drop repeated header/footer lines) → chunk (sentences packed into ~PASSAGE_TOKENS passages on
 *   paragraph boundaries) → dedupe (exact sentences, near-duplicate passages with MinHash) →
 *   rank (BM25 of each sentence and of its passage against the query; without a query, centrality
 *   to the corpus) → select (greedy by score, redundant sentences skipped, costs counted with the
 *   real tokenizer) → assemble (cited groups, document order within a source, whole sentences).
 *
 * The split into `prepareCorpus` (query-independent, the expensive part) and `condensePrepared`
 * lets callers ask many questions of one corpus cheaply.
 */
import { countTokens } from '../engines/tokenizer.js';
import { PrechewError, throwIfCancelled } from '../errors.js';
import { Bm25Index, tokenize } from './bm25.js';
import { dedupeItems } from './dedupe.js';
import { tokenizeWords } from './normalize.js';
import { splitSentences } from './sentences.js';
import { splitParagraphs } from './split.js';

/** Page markers written by convert: a line `<!-- page 3 -->`. */
export const PAGE_MARKER = /^[ \t]*<!--\s*page\s+(\d+)\s*-->[ \t]*$/gim;
/** Transcript segments written by transcribe: a line starting `[00:12:05]` (or `[00:12:05.120 --> 00:12:09.000]`). */
export const TIMESTAMP_PREFIX =
  /^\[(\d{1,2}:\d{2}(?::\d{2})?)(?:[.,]\d+)?(?:\s*(?:-->|→|–|-)\s*[\d:.,]+)?\]\s*/;

export const MIN_BUDGET_TOKENS = 50;
/** Target passage size for dedupe and passage-level ranking. */
export const PASSAGE_TOKENS = 120;
/** A "sentence" longer than this (tables, run-ons) is cut at clause boundaries so it can be selected. */
const MAX_SENTENCE_CHARS = 700;
/** A line repeated at least this many times (short, e.g. running headers) is boilerplate. */
const BOILERPLATE_MIN_REPEATS = 3;
const BOILERPLATE_MAX_CHARS = 200;
/** Selected sentences whose word sets overlap more than this with one already selected are skipped. */
const REDUNDANCY_JACCARD = 0.7;
/** Inside a near-duplicate passage, a sentence this close to one in the kept passage is a copy. */
const NEAR_SENTENCE_JACCARD = 0.8;
/** Weight of the passage's relevance added to the sentence's own relevance. */
const PASSAGE_WEIGHT = 0.5;
/** Weight of centrality added under a query, so leftover budget goes to central sentences. */
const CENTRALITY_UNDER_QUERY = 0.05;
const ENTITY_APPENDIX_SHARE = 0.15;
const ELLIPSIS = ' … ';

export interface CondenseSource {
  name: string;
  text: string;
}

export interface StepReport {
  name: string;
  tokensAfter: number;
  ms: number;
}

interface Anchor {
  offset: number;
  page?: number;
  time?: string;
}

export interface NormalizedSource {
  name: string;
  text: string;
  anchors: Anchor[];
}

interface Sentence {
  source: number;
  /** Index of the paragraph (global) and passage (global) it belongs to. */
  paragraph: number;
  passage: number;
  /** Position within the source, for document order. */
  order: number;
  start: number;
  end: number;
  text: string;
  tokens: number;
  terms: string[];
  locator: string | undefined;
  /** Kind of locator, which decides how lines are grouped. */
  locatorKind: 'page' | 'time' | 'none';
}

export interface PreparedCorpus {
  sources: Array<{ name: string; tokensIn: number }>;
  normalized: NormalizedSource[];
  sentences: Sentence[];
  /** Sentence indexes of each kept passage. */
  passages: number[][];
  steps: StepReport[];
  tokensIn: number;
  sentenceIndex: Bm25Index;
  passageIndex: Bm25Index;
  centrality: Float64Array;
}

/** The ranking terms of a text: bm25.ts's stop-word-free, stemmed terms (exported so baselines rank alike). */
export function rankingTerms(text: string): string[] {
  return tokenize(text);
}

// ---------------------------------------------------------------------------------------------
// Normalize

function isStructuralLine(line: string): boolean {
  return /^\s*(?:[-*+•]\s|\d{1,3}[.)]\s|#{1,6}\s|\||>|```)/.test(line);
}

/** Clean one source: returns the text plus anchors (page numbers, timestamps) by offset. */
export function normalizeSource(name: string, raw: string): NormalizedSource {
  let text = raw.replace(/\r\n?/g, '\n').replace(/\u00ad/g, '');
  // Words hyphenated across a line break: "condens-\ning" → "condensing".
  text = text.replace(/(\p{L})-\n[ \t]*(\p{Ll})/gu, '$1$2');
  const lines = text.split('\n');

  // Repeated short lines (running headers/footers, "Page 3 of 40") are boilerplate.
  const keyOf = (line: string): string => line.trim().toLowerCase().replace(/\d+/g, '#').replace(/\s+/g, ' ');
  // Only lines that start a block (after a blank line, a page marker or a finished sentence, and
  // starting with a capital or digit) can be boilerplate: a wrapped fragment of repeated prose can not.
  const isMarker = (t: string): boolean => {
    PAGE_MARKER.lastIndex = 0;
    const m = PAGE_MARKER.test(t);
    PAGE_MARKER.lastIndex = 0;
    return m;
  };
  const candidate = lines.map((line, i) => {
    const t = line.trim();
    if (!t || t.length > BOILERPLATE_MAX_CHARS || isMarker(t) || TIMESTAMP_PREFIX.test(t)) return false;
    const prev = (lines[i - 1] ?? '').trim();
    const next = (lines[i + 1] ?? '').trim();
    const startsBlock = !prev || isMarker(prev) || (/[.!?:;,|]$/.test(prev) && /^[\p{Lu}\p{N}]/u.test(t));
    const continues = /^\p{Ll}/u.test(next) && !/[.!?:]$/.test(t);
    return startsBlock && !continues;
  });
  // Near a page marker (running headers and footers), numbers are folded so "Page 3 of 40" repeats;
  // elsewhere only exact repeats count (signatures, disclaimers), so "Revenue was $4M." and
  // "Revenue was $5M." stay content.
  const nearMarker = lines.map(() => false);
  const markerLines = lines.map((l) => isMarker(l.trim()));
  if (markerLines.some(Boolean)) {
    // The first non-blank line after each marker (header) and the last before the next marker or the end (footer).
    const edge = (from: number, step: number): void => {
      for (let k = from; k >= 0 && k < lines.length && !markerLines[k]; k += step) {
        if ((lines[k] ?? '').trim()) {
          nearMarker[k] = true;
          return;
        }
      }
    };
    markerLines.forEach((m, i) => {
      if (!m) return;
      edge(i + 1, 1);
      edge(i - 1, -1);
    });
    edge(lines.length - 1, -1);
  }
  const keys = lines.map((line, i) =>
    candidate[i] ? (nearMarker[i] ? `#${keyOf(line)}` : `=${line.trim().replace(/\s+/g, ' ')}`) : '',
  );
  const counts = new Map<string, number>();
  for (const k of keys) if (k) counts.set(k, (counts.get(k) ?? 0) + 1);
  const seenBoilerplate = new Set<string>();

  const anchors: Anchor[] = [];
  let out = '';
  let pendingBreak: '' | ' ' | '\n' | '\n\n' = '';
  let previousStructural = false;
  for (let li = 0; li < lines.length; li++) {
    const rawLine = lines[li] as string;
    let line = rawLine.replace(/[ \t\f\v\u00a0]+/g, ' ').trim();
    PAGE_MARKER.lastIndex = 0;
    const page = PAGE_MARKER.exec(line);
    PAGE_MARKER.lastIndex = 0;
    if (page) {
      anchors.push({
        offset: out.length + (pendingBreak && out ? pendingBreak.length : 0),
        page: Number(page[1]),
      });
      continue;
    }
    if (!line) {
      if (out) pendingBreak = '\n\n';
      continue;
    }
    let time: string | undefined;
    const ts = TIMESTAMP_PREFIX.exec(line);
    if (ts) {
      time = normalizeTime(ts[1] ?? '');
      line = line.slice(ts[0].length);
      if (!line) continue;
    } else if (candidate[li] && (counts.get(keys[li] as string) ?? 0) >= BOILERPLATE_MIN_REPEATS) {
      const k = keys[li] as string;
      // Headers/footers go entirely; other repeated blocks keep their first occurrence.
      if (k.startsWith('#') || seenBoilerplate.has(k)) continue;
      seenBoilerplate.add(k);
    }
    const structural = isStructuralLine(line);
    if (out && pendingBreak === '') pendingBreak = structural || previousStructural ? '\n' : ' ';
    out += out ? pendingBreak : '';
    if (time !== undefined) anchors.push({ offset: out.length, time });
    out += line;
    pendingBreak = '';
    previousStructural = structural;
  }
  return { name, text: out, anchors };
}

function normalizeTime(t: string): string {
  const parts = t.split(':').map((p) => p.padStart(2, '0'));
  while (parts.length < 3) parts.unshift('00');
  return parts.join(':');
}

// ---------------------------------------------------------------------------------------------
// Sentences

/** Sentences of text[start, end) (sentences.ts), with run-ons cut at clause boundaries so they can be selected. */
function sentencesIn(text: string, start: number, end: number): Array<{ start: number; end: number }> {
  const merged = splitSentences(text.slice(start, end)).map((p) => ({
    start: p.start + start,
    end: p.end + start,
  }));
  const out: Array<{ start: number; end: number }> = [];
  for (const s of merged) {
    let from = s.start;
    while (s.end - from > MAX_SENTENCE_CHARS) {
      const window = text.slice(from, from + MAX_SENTENCE_CHARS);
      let cut = Math.max(window.lastIndexOf('; '), window.lastIndexOf(', '));
      if (cut < MAX_SENTENCE_CHARS / 3) cut = window.lastIndexOf(' ');
      if (cut < MAX_SENTENCE_CHARS / 3) cut = MAX_SENTENCE_CHARS - 1;
      out.push({ start: from, end: from + cut + 1 });
      from += cut + 1;
      while (from < s.end && /\s/.test(text.charAt(from))) from++;
    }
    if (s.end > from) out.push({ start: from, end: s.end });
  }
  return out;
}

function locatorAt(
  anchors: Anchor[],
  offset: number,
): { locator: string | undefined; kind: Sentence['locatorKind'] } {
  let page: number | undefined;
  let time: string | undefined;
  for (const a of anchors) {
    if (a.offset > offset) break;
    if (a.page !== undefined) page = a.page;
    if (a.time !== undefined) time = a.time;
  }
  if (time !== undefined) return { locator: time, kind: 'time' };
  if (page !== undefined) return { locator: `p.${page}`, kind: 'page' };
  return { locator: undefined, kind: 'none' };
}

// ---------------------------------------------------------------------------------------------
// Prepare

export interface PrepareOptions {
  signal?: AbortSignal;
  /** Skip near-duplicate removal (exact sentence duplicates are always removed). */
  nearDedupe?: boolean;
}

const now = (): number => performance.now();

/** The query-independent work: normalize, chunk, dedupe, index. */
export async function prepareCorpus(
  sources: CondenseSource[],
  options: PrepareOptions = {},
): Promise<PreparedCorpus> {
  const { signal } = options;
  if (sources.length === 0) throw new PrechewError('INVALID_INPUT', 'Give at least one source to condense.');
  const steps: StepReport[] = [];
  let t = now();

  const sourceInfo = sources.map((s) => ({ name: s.name, tokensIn: countTokens(s.text) }));
  const tokensIn = sourceInfo.reduce((a, s) => a + s.tokensIn, 0);
  const normalized = sources.map((s) => normalizeSource(s.name, s.text));
  // tokensAfter is filled in after chunking, from the per-sentence counts (one tokenizer pass).
  const normalizeStep: StepReport = { name: 'normalize', tokensAfter: 0, ms: now() - t };
  steps.push(normalizeStep);
  throwIfCancelled(signal);

  // Chunk: sentences, packed into passages of about PASSAGE_TOKENS on paragraph boundaries.
  t = now();
  const sentences: Sentence[] = [];
  const passages: number[][] = [];
  let paragraphIndex = 0;
  for (let si = 0; si < normalized.length; si++) {
    const src = normalized[si] as NormalizedSource;
    let order = 0;
    for (const para of splitParagraphs(src.text)) {
      let passage: number[] = [];
      let passageTokens = 0;
      for (const span of sentencesIn(src.text, para.start, para.end)) {
        const text = src.text.slice(span.start, span.end);
        const tokens = countTokens(text);
        if (passage.length > 0 && passageTokens + tokens > PASSAGE_TOKENS) {
          passages.push(passage);
          passage = [];
          passageTokens = 0;
        }
        const { locator, kind } = locatorAt(src.anchors, span.start);
        passage.push(sentences.length);
        passageTokens += tokens;
        sentences.push({
          source: si,
          paragraph: paragraphIndex,
          passage: passages.length,
          order: order++,
          start: span.start,
          end: span.end,
          text,
          tokens,
          terms: rankingTerms(text),
          locator,
          locatorKind: kind,
        });
      }
      if (passage.length) passages.push(passage);
      paragraphIndex++;
    }
  }
  const normalizedTokens = sentences.reduce((a, s) => a + s.tokens, 0);
  normalizeStep.tokensAfter = normalizedTokens;
  steps.push({ name: 'chunk', tokensAfter: normalizedTokens, ms: now() - t });
  throwIfCancelled(signal);

  // Dedupe: exact sentences (case/space/punctuation folded), then near-duplicate passages.
  t = now();
  const dropped = new Uint8Array(sentences.length);
  const seen = new Set<string>();
  for (let i = 0; i < sentences.length; i++) {
    const s = sentences[i] as Sentence;
    const key = tokenizeWords(s.text).join(' ');
    if (!key) continue;
    if (seen.has(key)) dropped[i] = 1;
    else seen.add(key);
  }
  const keptPassages: number[][] = [];
  if (options.nearDedupe !== false && passages.length > 1) {
    const items = passages.map((p, i) => ({
      id: String(i),
      text: p.map((x) => (sentences[x] as Sentence).text).join(' '),
    }));
    const result = await dedupeItems(items, { mode: 'near', ...(signal ? { signal } : {}) });
    // A near-duplicate passage often differs by exactly the sentence that matters (a new date, a
    // changed figure): drop only its sentences that closely match one in the passage kept.
    for (const group of result.groups) {
      const keptSets = (passages[group.keptIndex] ?? []).map(
        (x) => new Set((sentences[x] as Sentence).terms),
      );
      for (const d of group.dropped) {
        for (const x of passages[d.index] ?? []) {
          const set = new Set((sentences[x] as Sentence).terms);
          if (set.size === 0 || keptSets.some((k) => jaccard(set, k) >= NEAR_SENTENCE_JACCARD))
            dropped[x] = 1;
        }
      }
    }
  }
  const remap = new Int32Array(sentences.length).fill(-1);
  const keptSentences: Sentence[] = [];
  for (let i = 0; i < sentences.length; i++) {
    if (dropped[i]) continue;
    remap[i] = keptSentences.length;
    keptSentences.push(sentences[i] as Sentence);
  }
  for (const p of passages) {
    const kept = p.map((x) => remap[x] as number).filter((x) => x >= 0);
    if (kept.length) {
      for (const x of kept) (keptSentences[x] as Sentence).passage = keptPassages.length;
      keptPassages.push(kept);
    }
  }
  const dedupedTokens = keptSentences.reduce((a, s) => a + s.tokens, 0);
  steps.push({ name: 'dedupe', tokensAfter: dedupedTokens, ms: now() - t });
  throwIfCancelled(signal);

  // Index: document frequencies and centrality (used without a query, and as a tie-breaker).
  t = now();
  const sentenceIndex = new Bm25Index(keptSentences.map((s) => s.terms));
  const passageIndex = new Bm25Index(
    keptPassages.map((p) => p.flatMap((x) => (keptSentences[x] as Sentence).terms)),
  );
  const n = keptSentences.length;
  const centrality = new Float64Array(n);
  // Centroid weight of a term: how widespread it is (log df) times how specific (idf); terms in
  // almost every sentence or in only one carry little.
  const weight = (term: string): number => {
    const df = sentenceIndex.documentFrequency(term);
    if (df < 2) return 0;
    return Math.log(1 + df) * Math.log(n / df);
  };
  for (let i = 0; i < n; i++) {
    const s = keptSentences[i] as Sentence;
    const unique = new Set(s.terms);
    let sum = 0;
    for (const term of unique) sum += weight(term);
    centrality[i] = unique.size ? sum / Math.sqrt(Math.max(8, s.terms.length)) : 0;
  }
  steps.push({ name: 'index', tokensAfter: dedupedTokens, ms: now() - t });

  return {
    sources: sourceInfo,
    normalized,
    sentences: keptSentences,
    passages: keptPassages,
    steps,
    tokensIn,
    sentenceIndex,
    passageIndex,
    centrality,
  };
}

// ---------------------------------------------------------------------------------------------
// Rank, select, assemble

export interface SelectOptions {
  query?: string | undefined;
  budgetTokens: number;
  /** Applied to every piece of text that goes into the context (pseudonymization). */
  rewrite?: ((text: string) => string) | undefined;
  /** Entities appendix text (already built by the caller); it gets up to ENTITY_APPENDIX_SHARE of the budget. */
  appendix?: ((maxTokens: number) => string) | undefined;
}

export interface SelectedSentence {
  source: number;
  /** Offsets in the normalized source text. */
  start: number;
  end: number;
  text: string;
  score: number;
  citation: string;
}

export interface CondenseResult {
  context: string;
  tokensIn: number;
  tokensOut: number;
  ratio: number;
  steps: StepReport[];
  sources: Array<{ name: string; tokensIn: number; tokensKept: number }>;
  selected: SelectedSentence[];
}

/** Relevance of every kept sentence: to the query when there is one, else centrality. */
export function scoreSentences(corpus: PreparedCorpus, query: string | undefined): Float64Array {
  const n = corpus.sentences.length;
  const scores = new Float64Array(n);
  let maxCentrality = 0;
  for (const c of corpus.centrality) if (c > maxCentrality) maxCentrality = c;
  const centralityNorm = (i: number): number =>
    maxCentrality > 0 ? (corpus.centrality[i] as number) / maxCentrality : 0;
  const q = [...new Set(query ? rankingTerms(query) : [])];
  if (q.length === 0) {
    for (let i = 0; i < n; i++) scores[i] = centralityNorm(i);
    return scores;
  }
  const passageScores = corpus.passageIndex.scores(q);
  const sentenceScores = corpus.sentenceIndex.scores(q);
  let maxP = 1e-9;
  for (const v of passageScores) if (v > maxP) maxP = v;
  let maxS = 1e-9;
  for (const v of sentenceScores) if (v > maxS) maxS = v;
  for (let i = 0; i < n; i++) {
    const s = corpus.sentences[i] as Sentence;
    scores[i] =
      (sentenceScores[i] as number) / maxS +
      (PASSAGE_WEIGHT * (passageScores[s.passage] as number)) / maxP +
      CENTRALITY_UNDER_QUERY * centralityNorm(i);
  }
  return scores;
}

function jaccard(a: Set<string>, b: Set<string>): number {
  let common = 0;
  for (const x of a) if (b.has(x)) common++;
  const union = a.size + b.size - common;
  return union === 0 ? 1 : common / union;
}

/** The label inside a citation: `name p.3`, `name 00:12:05` or `name`. */
function citationLabel(name: string, s: Sentence): string {
  return s.locator ? `${name} ${s.locator}` : name;
}

interface Picked {
  index: number;
  text: string;
  tokens: number;
  score: number;
}

/**
 * Lines: a header `[name p.3]` per group (a source; its page; or for transcripts a contiguous run
 * starting at a timestamp), then the group's sentences in document order: adjacent sentences
 * joined by a space, gaps marked with " … ", a new line where the paragraph changes.
 */
function assemble(
  corpus: PreparedCorpus,
  picked: Picked[],
  rewrite: (t: string) => string,
): { text: string; citations: Map<number, string> } {
  const ordered = [...picked].sort((a, b) => a.index - b.index);
  const lines: string[] = [];
  const citations = new Map<number, string>();
  let groupKey = '';
  let groupLabel = '';
  let current = '';
  let previous: Sentence | undefined;
  const flush = (): void => {
    if (current) lines.push(current);
    current = '';
  };
  for (const p of ordered) {
    const s = corpus.sentences[p.index] as Sentence;
    const name = (corpus.sources[s.source] as { name: string }).name;
    const contiguous =
      previous !== undefined && previous.source === s.source && previous.order + 1 === s.order;
    const key =
      s.locatorKind === 'time'
        ? contiguous && groupKey.startsWith(`${s.source}\u0000`)
          ? groupKey
          : `${s.source}\u0000${s.locator ?? ''}\u0000${s.order}`
        : `${s.source}\u0000${s.locator ?? ''}`;
    const label = rewrite(citationLabel(name, s));
    if (key !== groupKey) {
      flush();
      if (lines.length) lines.push('');
      lines.push(`[${label}]`);
      groupKey = key;
      groupLabel = label;
      previous = undefined;
    }
    citations.set(p.index, groupLabel);
    if (previous && previous.paragraph !== s.paragraph) {
      flush();
      current = p.text;
    } else if (previous && previous.order + 1 !== s.order) current += ELLIPSIS.trimEnd() + ' ' + p.text;
    else current += (current ? ' ' : '') + p.text;
    previous = s;
  }
  flush();
  return { text: lines.join('\n'), citations };
}

/** Select and assemble within the budget. Never returns a context over budgetTokens. */
export function condensePrepared(corpus: PreparedCorpus, options: SelectOptions): CondenseResult {
  const budget = options.budgetTokens;
  if (!Number.isInteger(budget) || budget < MIN_BUDGET_TOKENS) {
    throw new PrechewError(
      'INVALID_INPUT',
      `budgetTokens must be a whole number of at least ${MIN_BUDGET_TOKENS} (got ${String(budget)}).`,
    );
  }
  const rewrite = options.rewrite ?? ((t: string) => t);
  const steps: StepReport[] = corpus.steps.map((s) => ({ ...s }));
  let t = now();

  // Appendix first: it has a reserved share, sentences get the rest.
  let appendix = '';
  let appendixTokens = 0;
  if (options.appendix) {
    appendix = rewrite(options.appendix(Math.floor(budget * ENTITY_APPENDIX_SHARE)));
    appendixTokens = appendix ? countTokens(appendix) + 2 : 0;
    if (appendixTokens > budget * ENTITY_APPENDIX_SHARE) {
      appendix = '';
      appendixTokens = 0;
    }
  }
  const sentenceBudget = budget - appendixTokens;

  const scores = scoreSentences(corpus, options.query);
  steps.push({
    name: 'rank',
    tokensAfter: corpus.sentences.reduce((a, s) => a + s.tokens, 0),
    ms: now() - t,
  });
  t = now();

  const orderByScore = Array.from(scores.keys()).sort(
    (a, b) => (scores[b] as number) - (scores[a] as number) || a - b,
  );
  const picked: Picked[] = [];
  const pickedSets: Array<Set<string>> = [];
  const groupsOpen = new Set<string>();
  let estimate = 0;
  let misses = 0;
  for (const i of orderByScore) {
    if (misses > 200) break;
    if (sentenceBudget - estimate < 6) break;
    const s = corpus.sentences[i] as Sentence;
    // Cheap checks first (placeholders are rarely shorter than what they replace): skip what
    // cannot fit or repeats a picked sentence before paying for the rewrite.
    if (estimate + s.tokens + 2 > sentenceBudget) {
      misses++;
      continue;
    }
    const set = new Set(s.terms);
    if (set.size > 0 && pickedSets.some((other) => jaccard(set, other) >= REDUNDANCY_JACCARD)) continue;
    const text = rewrite(s.text);
    const tokens = text === s.text ? s.tokens : countTokens(text);
    const groupKey = `${s.source}\u0000${s.locator ?? ''}`;
    const header = groupsOpen.has(groupKey)
      ? 0
      : countTokens(`[${rewrite(citationLabel((corpus.sources[s.source] as { name: string }).name, s))}]`) +
        3;
    const cost = tokens + 2 + header;
    if (estimate + cost > sentenceBudget) {
      misses++;
      continue;
    }
    picked.push({ index: i, text, tokens, score: scores[i] as number });
    pickedSets.push(set);
    groupsOpen.add(groupKey);
    estimate += cost;
  }
  steps.push({ name: 'select', tokensAfter: picked.reduce((a, p) => a + p.tokens, 0), ms: now() - t });
  t = now();

  // Assemble, then verify with the real counter; drop the weakest sentence until it fits.
  const finish = (text: string): string => (appendix ? (text ? `${text}\n\n${appendix}` : appendix) : text);
  let assembled = assemble(corpus, picked, rewrite);
  let context = finish(assembled.text);
  let tokensOut = countTokens(context);
  while (tokensOut > budget && picked.length > 0) {
    let weakest = 0;
    for (let k = 1; k < picked.length; k++)
      if ((picked[k] as Picked).score < (picked[weakest] as Picked).score) weakest = k;
    picked.splice(weakest, 1);
    assembled = assemble(corpus, picked, rewrite);
    context = finish(assembled.text);
    tokensOut = countTokens(context);
  }
  if (tokensOut > budget) {
    context = '';
    tokensOut = 0;
  }
  steps.push({ name: 'assemble', tokensAfter: tokensOut, ms: now() - t });

  const kept = new Map<number, number>();
  for (const p of picked) {
    const s = corpus.sentences[p.index] as Sentence;
    kept.set(s.source, (kept.get(s.source) ?? 0) + p.tokens);
  }
  const selected = [...picked]
    .sort((a, b) => a.index - b.index)
    .map((p) => {
      const s = corpus.sentences[p.index] as Sentence;
      return {
        source: s.source,
        start: s.start,
        end: s.end,
        text: p.text,
        score: p.score,
        citation: assembled.citations.get(p.index) ?? '',
      };
    });
  return {
    context,
    tokensIn: corpus.tokensIn,
    tokensOut,
    ratio: tokensOut > 0 ? Math.round((corpus.tokensIn / tokensOut) * 10) / 10 : 0,
    steps: steps.map((s) => ({ ...s, ms: Math.round(s.ms * 10) / 10 })),
    sources: corpus.sources.map((s, i) => ({
      name: s.name,
      tokensIn: s.tokensIn,
      tokensKept: kept.get(i) ?? 0,
    })),
    selected,
  };
}

/** One call: prepare then select. */
export async function condenseTexts(
  sources: CondenseSource[],
  options: SelectOptions & PrepareOptions,
): Promise<CondenseResult> {
  if (!Number.isInteger(options.budgetTokens) || options.budgetTokens < MIN_BUDGET_TOKENS) {
    throw new PrechewError(
      'INVALID_INPUT',
      `budgetTokens must be a whole number of at least ${MIN_BUDGET_TOKENS} (got ${String(options.budgetTokens)}).`,
    );
  }
  const corpus = await prepareCorpus(sources, options);
  return condensePrepared(corpus, options);
}
