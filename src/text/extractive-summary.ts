/**
 * Model-free extractive summarization: picks the sentences that best represent a text and
 * returns them in their original order, with exact source offsets.
 *
 * Scoring, per sentence:
 * - centrality: cosine similarity of the sentence's TF-IDF vector to the document centroid (the
 *   MEAD centroid method). Continuous LexRank over the sentence-similarity graph was tried too
 *   and scored lower against the reference set in fixtures/summaries (and is quadratic), so the
 *   centroid stays: it is linear in the input, which keeps 100k-word inputs fast.
 * - position prior: a decaying lead bonus (news puts the gist first) plus a small bonus for the
 *   first sentence of each paragraph. It is a multiplier on centrality, not a lead-k rule.
 * - length normalisation: very short sentences (datelines, fragments) and very long ones are
 *   damped, so the budget goes to informative sentences.
 * - quotation: sentences that are mostly direct quotes are damped (news quotes add colour,
 *   rarely the facts a summary needs).
 * - focus: with a focus query, BM25 relevance of each sentence to the query dominates and the
 *   lead bonus is weakened.
 * Selection is greedy MMR (relevance minus redundancy with what is already picked), within a
 * sentence count and/or a token budget counted with the shared o200k tokenizer.
 */
import { countTokens } from '../engines/tokenizer.js';
import { PrechewError } from '../errors.js';
import { Bm25Index, termsOf, tokenize } from './bm25.js';
import { splitSentences, type Sentence } from './sentences.js';

export type SummaryStyle = 'paragraph' | 'bullets' | 'key-points';

export interface ExtractiveOptions {
  /** At most this many sentences (or key points). */
  maxSentences?: number;
  /** The rendered summary has at most this many tokens (o200k). */
  maxTokens?: number;
  /** A query the summary should serve: sentences relevant to it are preferred. */
  focus?: string;
  /** paragraph (default): sentences joined; bullets: "- " lines; key-points: the key clause of each sentence as "- " lines. */
  style?: SummaryStyle;
}

export interface ExtractedSentence {
  /** The selected text, exactly `source.slice(start, end)` (for key-points, the chosen clause). */
  text: string;
  start: number;
  end: number;
  /** Relative importance in [0, 1] (1 = the best sentence of this text). */
  score: number;
}

export interface ExtractiveSummary {
  /** The selected sentences in original order. */
  sentences: ExtractedSentence[];
  /** The rendered summary in the requested style. */
  summary: string;
  /** Sentences found in the input. */
  totalSentences: number;
}

/** A candidate this similar to an already selected sentence is a near-duplicate and skipped. */
const DUPLICATE_SIMILARITY = 0.7;
/** MMR trade-off: weight of relevance against redundancy with the sentences already picked. */
const MMR_LAMBDA = 0.5;
/** Lead bonus: 1 + LEAD_WEIGHT * exp(-rank / LEAD_DECAY) over eligible sentences in order. */
const LEAD_WEIGHT = 1.5;
const LEAD_DECAY = 2.5;
/** The lead bonus is mostly dropped when a focus query says what matters. */
const FOCUS_LEAD_SHARE = 0.25;
const PARAGRAPH_START_BONUS = 0.15;
/** A sentence that is entirely quotation keeps this share of its score (quotes colour, they rarely inform). */
const QUOTE_SHARE = 0.6;
const SHORT_WORDS = 10;
const LONG_WORDS = 45;
/** With a focus query: share of the final score that is BM25 relevance to it. */
const FOCUS_SHARE = 0.65;
/** Candidates considered by the MMR loop; beyond the best few thousand nothing can be reached. */
const MAX_CANDIDATES = 1500;
/** Under a token budget, value per token^COST_EXPONENT (budgeted greedy, Lin & Bilmes 2010). */
const COST_EXPONENT = 0.3;
/** A dependent sentence whose predecessor is not picked keeps this share of its value. */
const DEPENDENT_SHARE = 0.5;
/** Key-points look for the key clause among at most this many clauses of a sentence. */
const MAX_CLAUSES = 24;
const STYLES: readonly SummaryStyle[] = ['paragraph', 'bullets', 'key-points'];

interface SentenceInfo {
  sentence: Sentence;
  index: number;
  words: number;
  terms: string[];
  paragraphStart: boolean;
  eligible: boolean;
  /** Starts with an anaphor or connective: reads well only after the sentence before it. */
  dependent: boolean;
}

/** A unit-length sparse TF-IDF vector, term ids ascending. */
interface SparseVector {
  ids: Int32Array;
  weights: Float64Array;
}

function validate(options: ExtractiveOptions): void {
  const { maxSentences, maxTokens, style } = options;
  if (maxSentences !== undefined && (!Number.isInteger(maxSentences) || maxSentences < 1)) {
    throw new PrechewError(
      'INVALID_INPUT',
      `maxSentences must be a whole number of at least 1 (got ${String(maxSentences)}).`,
    );
  }
  if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || maxTokens < 1)) {
    throw new PrechewError(
      'INVALID_INPUT',
      `maxTokens must be a whole number of at least 1 (got ${String(maxTokens)}).`,
    );
  }
  if (style !== undefined && !STYLES.includes(style)) {
    throw new PrechewError(
      'INVALID_INPUT',
      `style must be one of ${STYLES.join(', ')} (got ${String(style)}).`,
    );
  }
}

/** What a run of lines is: only prose and list items hold summary sentences. */
type UnitKind = 'prose' | 'item' | 'heading' | 'code' | 'table' | 'markup';

interface Unit {
  kind: UnitKind;
  start: number;
  end: number;
}

const FENCE = /^\s{0,3}(?:```|~~~)/;
const ATX_HEADING = /^\s{0,3}#{1,6}(?:\s|$)/;
const SETEXT_UNDERLINE = /^\s{0,3}(?:=+|-+)\s*$/;
const TABLE_ROW = /^\s*\|.*\|\s*$|^\s*\|?\s*:?-{3,}:?\s*\|/;
/** HTML lines, link reference definitions ("[badge]: https://…"), badge rows, rules. */
const MARKUP = /^\s*(?:<\/?[A-Za-z][^>]*>|\[[^\]]+\]:\s*\S|\[!\[)/;

/** A thematic break ("---", "* * *"): checked by a loop, since a repeated group in a regex recurses per character. */
function isThematicBreak(line: string): boolean {
  let marks = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 45 || c === 42 || c === 95) marks++;
    else if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return marks >= 3;
}
/** One or more list markers ("- ", "* ", "• ", "1. ", and doubled ones like "- • "). */
const LIST_MARKERS = /^[ \t]*(?:(?:[-*+\u2022\u25e6\u25aa\u2023\u00b7]|\d{1,3}[.)])[ \t]+)+/;

function lineKind(line: string): UnitKind | 'item-start' | 'blank' | 'prose' {
  if (line.trim() === '') return 'blank';
  if (ATX_HEADING.test(line)) return 'heading';
  if (TABLE_ROW.test(line)) return 'table';
  if (MARKUP.test(line) || isThematicBreak(line)) return 'markup';
  if (LIST_MARKERS.test(line)) return 'item-start';
  return 'prose';
}

/**
 * Markdown and plain-text structure, found before sentence splitting so a heading is never glued
 * to the prose after it and a bullet glyph never starts a sentence: headings (ATX and underlined),
 * fenced code, table rows and markup lines are units of their own; a list item is a unit that
 * starts after its marker(s) and runs over its continuation lines; prose runs to a blank line.
 */
function structuralUnits(text: string): Unit[] {
  const units: Unit[] = [];
  let open: Unit | undefined;
  let inFence = false;
  const close = (): void => {
    if (open && open.end > open.start) units.push(open);
    open = undefined;
  };
  let lineStart = 0;
  while (lineStart <= text.length) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = text.length;
    const line = text.slice(lineStart, lineEnd);
    if (FENCE.test(line)) {
      close();
      units.push({ kind: 'code', start: lineStart, end: lineEnd });
      inFence = !inFence;
    } else if (inFence) {
      units.push({ kind: 'code', start: lineStart, end: lineEnd });
    } else if (
      SETEXT_UNDERLINE.test(line) &&
      open?.kind === 'prose' &&
      !text.slice(open.start, open.end).includes('\n')
    ) {
      // "Title\n=====": the single prose line above was a heading.
      open.kind = 'heading';
      close();
      units.push({ kind: 'markup', start: lineStart, end: lineEnd });
    } else {
      const kind = lineKind(line);
      if (kind === 'blank') close();
      else if (kind === 'item-start') {
        close();
        const marker = LIST_MARKERS.exec(line)?.[0].length ?? 0;
        open = { kind: 'item', start: lineStart + marker, end: lineEnd };
      } else if (kind === 'prose') {
        if (open && (open.kind === 'prose' || open.kind === 'item')) open.end = lineEnd;
        else {
          close();
          open = { kind: 'prose', start: lineStart, end: lineEnd };
        }
      } else {
        close();
        units.push({ kind, start: lineStart, end: lineEnd });
      }
    }
    if (lineEnd >= text.length) break;
    lineStart = lineEnd + 1;
  }
  close();
  return units;
}

/** Sentences of the prose and list-item units, with offsets in text; other units are left out. */
function summarySentences(text: string): Sentence[] {
  const out: Sentence[] = [];
  for (const unit of structuralUnits(text)) {
    if (unit.kind !== 'prose' && unit.kind !== 'item') continue;
    for (const s of splitSentences(text.slice(unit.start, unit.end)))
      out.push({ text: s.text, start: s.start + unit.start, end: s.end + unit.start });
  }
  return out;
}

/**
 * Sentences that lean on the one before: a pronoun or demonstrative subject ("This user …",
 * "They …"), a connective ("However, …", "Also …"), or "In this mode …". Alone they read as
 * orphans, so they are only worth picking together with their predecessor.
 */
const DEPENDENT_START =
  /^["'\u201c\u2018(]*(?:this|these|those|that|it|its|they|them|their|he|she|his|her|such|however|also|moreover|furthermore|additionally|besides|but|and|or|so|thus|hence|therefore|then|instead|otherwise|likewise|similarly|still|yet|nevertheless|nonetheless|(?:in|at|for|with|by|from|on|under|after|during|unlike)\s+(?:this|that|these|those|such|it|them)|as\s+such|as\s+a\s+result|in\s+addition|on\s+the\s+other\s+hand)\b/i;
/** Credit lines: "(Thanks to … for pointing this out.)", "Thanks to …", "Patch by …". */
const CREDIT =
  /^\(?\s*(?:thanks|thank\s+you|many\s+thanks|credits?\s+(?:to|go)|(?:patch|reported|suggested|contributed|fixed)\s+by)\b/i;
const PARENTHETICAL = /^\([^()]*\)[.!?]?$/;

const WORD_RE = /[\p{L}\p{N}]+(?:['\u2019-][\p{L}\p{N}]+)*/gu;
function wordCount(text: string): number {
  const m = text.match(WORD_RE);
  return m ? m.length : 0;
}

function describe(text: string, sentences: Sentence[]): SentenceInfo[] {
  const infos: SentenceInfo[] = [];
  let prevEnd = 0;
  for (let i = 0; i < sentences.length; i++) {
    const sentence = sentences[i] as Sentence;
    const gap = text.slice(prevEnd, sentence.start);
    const paragraphStart = i === 0 || /\n[^\S\n]*\n/.test(gap);
    const allWords = tokenize(sentence.text, { stopwords: false, stem: false });
    const words = allWords.length;
    const terms = termsOf(allWords);
    // Headings, datelines and bylines: short lines without terminal punctuation.
    const looksLikeHeading = words < 12 && !/[.!?\u2026]["'\u201d\u2019)\]]*$/.test(sentence.text);
    // A whole-parenthesis sentence is an aside; credit lines ("(Thanks to …)") carry no content.
    // A lower-case start is a fragment of a sentence cut by layout; a trailing colon leads into
    // a list or code that is not part of the summary.
    const aside =
      PARENTHETICAL.test(sentence.text) ||
      CREDIT.test(sentence.text) ||
      /^(?:\p{Ll}|[=_|&;,.)\]}])/u.test(sentence.text) ||
      /:$/.test(sentence.text);
    infos.push({
      sentence,
      index: i,
      words,
      terms,
      paragraphStart,
      eligible: !looksLikeHeading && !aside && words >= 4 && terms.length >= 2,
      dependent: DEPENDENT_START.test(sentence.text),
    });
    prevEnd = sentence.end;
  }
  if (!infos.some((s) => s.eligible)) for (const s of infos) s.eligible = s.terms.length > 0 || s.words > 0;
  return infos;
}

/** TF-IDF unit vectors (sublinear tf, smoothed idf over sentences) and the document centroid. */
function vectorize(infos: SentenceInfo[]): {
  vectors: SparseVector[];
  centroid: Map<number, number>;
  idf: Map<string, number>;
} {
  const termIds = new Map<string, number>();
  const df: number[] = [];
  for (const info of infos) {
    const seen = new Set<string>();
    for (const term of info.terms) {
      let id = termIds.get(term);
      if (id === undefined) {
        id = df.length;
        termIds.set(term, id);
        df.push(0);
      }
      if (!seen.has(term)) {
        seen.add(term);
        df[id] = (df[id] as number) + 1;
      }
    }
  }
  const n = infos.length;
  const idfById = df.map((d) => Math.log(1 + n / d));
  const idf = new Map<string, number>();
  for (const [term, id] of termIds) idf.set(term, idfById[id] as number);

  const centroid = new Map<number, number>();
  const vectors: SparseVector[] = infos.map((info) => {
    const tf = new Map<number, number>();
    for (const term of info.terms) {
      const id = termIds.get(term) as number;
      tf.set(id, (tf.get(id) ?? 0) + 1);
    }
    const ids = Int32Array.from([...tf.keys()].sort((a, b) => a - b));
    const weights = new Float64Array(ids.length);
    let norm = 0;
    ids.forEach((id, k) => {
      const w = (1 + Math.log(tf.get(id) as number)) * (idfById[id] as number);
      weights[k] = w;
      norm += w * w;
    });
    norm = Math.sqrt(norm) || 1;
    for (let k = 0; k < weights.length; k++) {
      const w = (weights[k] as number) / norm;
      weights[k] = w;
      if (info.eligible) centroid.set(ids[k] as number, (centroid.get(ids[k] as number) ?? 0) + w);
    }
    return { ids, weights };
  });
  let cnorm = 0;
  for (const w of centroid.values()) cnorm += w * w;
  cnorm = Math.sqrt(cnorm) || 1;
  for (const [id, w] of centroid) centroid.set(id, w / cnorm);
  return { vectors, centroid, idf };
}

function cosine(a: SparseVector, b: SparseVector): number {
  let i = 0;
  let j = 0;
  let dot = 0;
  while (i < a.ids.length && j < b.ids.length) {
    const x = a.ids[i] as number;
    const y = b.ids[j] as number;
    if (x === y) {
      dot += (a.weights[i] as number) * (b.weights[j] as number);
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return dot;
}

function lengthFactor(words: number): number {
  if (words < SHORT_WORDS) return Math.pow(Math.max(words, 1) / SHORT_WORDS, 0.7);
  if (words > LONG_WORDS) return Math.pow(LONG_WORDS / words, 0.5);
  return 1;
}

const QUOTED_SPAN = /["\u201c][^"\u201c\u201d]*["\u201d]/g;

/** Damps sentences made mostly of direct quotation, in proportion to the quoted share (full damping at half). */
function quoteFactor(text: string): number {
  let inside = 0;
  for (const q of text.match(QUOTED_SPAN) ?? []) inside += q.length;
  if (inside === 0) return 1;
  return 1 - (1 - QUOTE_SHARE) * Math.min(1, inside / text.length / 0.5);
}

function normalizeMax(values: Float64Array): Float64Array {
  let max = 0;
  for (const v of values) max = Math.max(max, v);
  if (max > 0) for (let i = 0; i < values.length; i++) values[i] = (values[i] as number) / max;
  return values;
}

/** Importance of every sentence (0 for ineligible ones), max 1. Linear in the input. */
function scoreSentences(
  infos: SentenceInfo[],
  vectors: SparseVector[],
  centroid: Map<number, number>,
  focus: string | undefined,
): Float64Array {
  const n = infos.length;
  const eligible = infos.filter((s) => s.eligible).map((s) => s.index);
  // Lead position counts eligible sentences only, so a headline or dateline does not use it up.
  const leadWeight = focus ? LEAD_WEIGHT * FOCUS_LEAD_SHARE : LEAD_WEIGHT;
  const scores = new Float64Array(n);
  eligible.forEach((i, rank) => {
    const info = infos[i] as SentenceInfo;
    const v = vectors[i] as SparseVector;
    let centrality = 0;
    for (let t = 0; t < v.ids.length; t++)
      centrality += (v.weights[t] as number) * (centroid.get(v.ids[t] as number) ?? 0);
    const prior =
      1 + leadWeight * Math.exp(-rank / LEAD_DECAY) + (info.paragraphStart ? PARAGRAPH_START_BONUS : 0);
    scores[i] = centrality * prior * lengthFactor(info.words) * quoteFactor(info.sentence.text);
  });
  normalizeMax(scores);

  const queryTerms = focus ? tokenize(focus) : [];
  if (queryTerms.length > 0) {
    const relevance = normalizeMax(new Bm25Index(infos.map((s) => s.terms)).scores(queryTerms));
    for (const i of eligible) {
      const words = (infos[i] as SentenceInfo).words;
      scores[i] =
        (1 - FOCUS_SHARE) * (scores[i] as number) +
        FOCUS_SHARE * (relevance[i] as number) * lengthFactor(words);
    }
    normalizeMax(scores);
  }
  return scores;
}

/** The selectable span of a sentence: the whole sentence, or its key clause for key-points. */
interface Span {
  start: number;
  end: number;
}

const CLAUSE_BOUNDARY =
  /\s*(?:;|:|\s[\u2014\u2013-]\s|\u2014|,\s+(?=(?:but|while|although|though|whereas|which|who|because|after|before|when|as|and|so|according)\b)|,)\s*/giu;
const RELATIVE_START = /^(?:\p{L}+\s+of\s+)?(?:whom|which|who|whose|where)\b/iu;
const LEADING_CONNECTIVE = /^(?:and|but|while|although|though|whereas|which|who|because|so|also)\s+/iu;

/**
 * The shortest run of clauses that carries most of a sentence's information (idf mass): a key
 * point reads as a fact, without attributions ("officials said") or side remarks.
 */
function keyClause(source: string, sentence: Sentence, idf: Map<string, number>): Span {
  const text = sentence.text;
  const cuts: Array<[number, number]> = [];
  let from = 0;
  CLAUSE_BOUNDARY.lastIndex = 0;
  for (let m = CLAUSE_BOUNDARY.exec(text); m !== null; m = CLAUSE_BOUNDARY.exec(text)) {
    if (m[0].length === 0) {
      CLAUSE_BOUNDARY.lastIndex++;
      continue;
    }
    if (m.index > from) cuts.push([from, m.index]);
    from = m.index + m[0].length;
  }
  if (from < text.length) cuts.push([from, text.length]);
  // Runs of clauses are compared pairwise: beyond a few dozen (a list of commas, not prose) the
  // whole sentence is the key point, and the work stays bounded.
  if (cuts.length <= 1 || cuts.length > MAX_CLAUSES) return { start: sentence.start, end: sentence.end };
  const info = (a: number, b: number): number =>
    tokenize(text.slice(a, b)).reduce((sum, t) => sum + (idf.get(t) ?? 0), 0);
  const total = info(0, text.length);
  let best: Span = { start: sentence.start, end: sentence.end };
  let bestLength = text.length;
  for (let i = 0; i < cuts.length; i++) {
    for (let j = i; j < cuts.length; j++) {
      const a = (cuts[i] as [number, number])[0];
      const b = (cuts[j] as [number, number])[1];
      if (b - a >= bestLength) break;
      if (wordCount(text.slice(a, b)) < 5) continue;
      // A relative clause ("many of whom ...", "which ...") does not stand alone.
      if (a > 0 && RELATIVE_START.test(text.slice(a, b))) continue;
      if (info(a, b) >= 0.6 * total) {
        best = { start: sentence.start + a, end: sentence.start + b };
        bestLength = b - a;
      }
    }
  }
  // Trim a leading connective and trailing punctuation so the clause stands alone.
  let start = best.start;
  let end = best.end;
  const lead = LEADING_CONNECTIVE.exec(source.slice(start, end));
  if (lead && lead[0].length < end - start) start += lead[0].length;
  while (end > start && /[,;:\s\u2014\u2013-]/u.test(source.charAt(end - 1))) end--;
  return { start, end };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function render(spans: ExtractedSentence[], style: SummaryStyle): string {
  // Hard wraps and justified spacing ("Bash  is  an") are layout, not content.
  const oneLine = (s: string): string =>
    s.replace(/(\p{L})\u2010\s*\n\s*(?=\p{L})/gu, '$1').replace(/\s+/g, ' ');
  if (style === 'paragraph') return spans.map((s) => oneLine(s.text)).join(' ');
  if (style === 'bullets') return spans.map((s) => `- ${oneLine(s.text)}`).join('\n');
  return spans.map((s) => `- ${capitalize(oneLine(s.text))}`).join('\n');
}

function defaultSentenceCount(eligible: number): number {
  return Math.min(10, Math.max(3, Math.round(Math.sqrt(eligible) * 0.75)));
}

/** Longest prefix of a span, cut at a word boundary, whose rendering fits maxTokens. */
function truncateSpan(
  source: string,
  span: ExtractedSentence,
  style: SummaryStyle,
  maxTokens: number,
): ExtractedSentence | undefined {
  const text = span.text;
  const boundaries: number[] = [];
  for (const m of text.matchAll(/\S+/g)) boundaries.push((m.index ?? 0) + m[0].length);
  let lo = 0;
  let hi = boundaries.length - 1;
  let best: ExtractedSentence | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const end = span.start + (boundaries[mid] as number);
    const candidate = { ...span, text: source.slice(span.start, end), end };
    if (countTokens(render([candidate], style)) <= maxTokens) {
      best = candidate;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

/**
 * Summarizes text by extraction. Budget: `maxSentences` and/or `maxTokens`; with neither, a few
 * sentences scaled to the text's length. Throws INVALID_INPUT for a bad option.
 */
export function summarizeExtractive(text: string, options: ExtractiveOptions = {}): ExtractiveSummary {
  validate(options);
  const style = options.style ?? 'paragraph';
  const all = summarySentences(text);
  if (all.length === 0) return { sentences: [], summary: '', totalSentences: 0 };

  const infos = describe(text, all);
  const { vectors, centroid, idf } = vectorize(infos);
  const focus = options.focus?.trim() || undefined;
  const scores = scoreSentences(infos, vectors, centroid, focus);

  const eligibleCount = infos.filter((s) => s.eligible).length;
  const maxSentences =
    options.maxSentences ??
    (options.maxTokens !== undefined ? Infinity : defaultSentenceCount(eligibleCount));
  const maxTokens = options.maxTokens ?? Infinity;
  const separatorTokens = style === 'paragraph' ? 1 : 2;

  const order = infos
    .filter((s) => s.eligible)
    .map((s) => s.index)
    .sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b)
    .slice(0, MAX_CANDIDATES);
  const spans = new Map<number, ExtractedSentence>();
  const spanOf = (i: number): ExtractedSentence => {
    let span = spans.get(i);
    if (!span) {
      const sentence = all[i] as Sentence;
      const s =
        style === 'key-points'
          ? keyClause(text, sentence, idf)
          : { start: sentence.start, end: sentence.end };
      span = {
        text: text.slice(s.start, s.end),
        start: s.start,
        end: s.end,
        score: Math.round((scores[i] as number) * 1e4) / 1e4,
      };
      spans.set(i, span);
    }
    return span;
  };
  const tokenCache = new Map<number, number>();
  const tokensOf = (i: number): number => {
    let t = tokenCache.get(i);
    if (t === undefined) {
      t = countTokens(render([spanOf(i)], style));
      tokenCache.set(i, t);
    }
    return t;
  };

  const budgeted = Number.isFinite(maxTokens);
  const selected: number[] = [];
  const picked = new Set<number>();
  const redundancy = new Float64Array(infos.length);
  const remaining = new Set(order);
  let usedTokens = 0;
  while (selected.length < maxSentences && remaining.size > 0) {
    let best = -1;
    let bestValue = -Infinity;
    const sep = selected.length > 0 ? separatorTokens : 0;
    for (const i of remaining) {
      let value = MMR_LAMBDA * (scores[i] as number) - (1 - MMR_LAMBDA) * (redundancy[i] as number);
      if (value > 0 && (infos[i] as SentenceInfo).dependent && !picked.has(i - 1)) value *= DEPENDENT_SHARE;
      if (budgeted) {
        const cost = tokensOf(i);
        // The budget only shrinks: a sentence that does not fit now never will.
        if (usedTokens + cost + sep > maxTokens) {
          remaining.delete(i);
          continue;
        }
        if (value > 0) value /= Math.pow(cost, COST_EXPONENT);
      }
      if (value > bestValue) {
        bestValue = value;
        best = i;
      }
    }
    if (best < 0) break;
    remaining.delete(best);
    selected.push(best);
    picked.add(best);
    usedTokens += tokensOf(best) + sep;
    const v = vectors[best] as SparseVector;
    for (const i of remaining) {
      const r = Math.max(redundancy[i] as number, cosine(v, vectors[i] as SparseVector));
      // Near-duplicates of a picked sentence are never worth picking.
      if (r >= DUPLICATE_SIMILARITY) remaining.delete(i);
      else redundancy[i] = r;
    }
  }

  // An orphan (a dependent sentence without the one before it) gets its predecessor when that
  // fits the count and the budget; otherwise it is dropped: a summary line must stand alone.
  for (const i of [...selected].sort((a, b) => a - b)) {
    if (!(infos[i] as SentenceInfo).dependent || picked.has(i - 1)) continue;
    const before = i - 1;
    const fits =
      before >= 0 &&
      !(infos[before] as SentenceInfo).dependent &&
      selected.length < maxSentences &&
      (!budgeted || usedTokens + tokensOf(before) + separatorTokens <= maxTokens);
    if (fits) {
      selected.push(before);
      picked.add(before);
      usedTokens += tokensOf(before) + separatorTokens;
    } else if (selected.length > 1) {
      selected.splice(selected.indexOf(i), 1);
      picked.delete(i);
      usedTokens -= tokensOf(i) + separatorTokens;
    }
  }
  let chosen = selected.sort((a, b) => a - b).map(spanOf);
  let summary = render(chosen, style);
  // Token counts of joined text can differ from the sum of parts by a token at a seam.
  while (Number.isFinite(maxTokens) && chosen.length > 1 && countTokens(summary) > maxTokens) {
    const weakest = chosen.reduce((w, s, k) => (s.score < (chosen[w] as ExtractedSentence).score ? k : w), 0);
    chosen = chosen.filter((_, k) => k !== weakest);
    summary = render(chosen, style);
  }
  if (chosen.length === 0 && order.length > 0 && Number.isFinite(maxTokens)) {
    // Every sentence is over budget: keep the start of the best one.
    const cut = truncateSpan(text, spanOf(order[0] as number), style, maxTokens);
    if (cut) chosen = [cut];
    summary = render(chosen, style);
  }
  return { sentences: chosen, summary, totalSentences: all.length };
}
