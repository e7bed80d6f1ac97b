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
import { Bm25Index, STOPWORDS, tokenize } from './bm25.js';
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
/** Weight of defining a query term (idf-weighted share of the query the sentence defines). */
const DEFINITION_WEIGHT = 1;
/** Share of a picked sentence's score that the next sentence of its paragraph inherits. */
const CONTINUATION_SHARE = 0.6;
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

/** A definition-list item (a man-page option or variable): where its text starts and what it defines. */
export interface Definition {
  offset: number;
  /** The defined term as written ("-x file", "HISTSIZE", "?"). */
  term: string;
  /** Terms of the items it is nested in, outermost first ("set [-abef…]", "-o option-name"). */
  parents: string[];
}

export interface NormalizedSource {
  name: string;
  text: string;
  anchors: Anchor[];
  definitions: Definition[];
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
  /** Terms of the text (dedupe, redundancy, centrality). */
  terms: string[];
  /** Terms it is ranked by: its own, plus the defined term and the enclosing items' names. */
  rankTerms: string[];
  /** Terms this sentence defines (a definition item's first sentence, or "X is/means …"). */
  defines: string[];
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

/** Longest term written on its own line above its indented description ("-x file", "HISTSIZE"). */
const MAX_OWN_LINE_TERM = 80;
/** Longest term followed on the same line by its description ("-e      Exit immediately…"). */
const MAX_INLINE_TERM = 24;

/** A bullet or a number is a list item's marker, not a defined term. */
const LIST_MARKER_TERM = /^(?:[•◦▪‣·*+-]|\d{1,3}[.)])$/;

function indentOf(line: string): number {
  let k = 0;
  while (k < line.length && (line.charCodeAt(k) === 32 || line.charCodeAt(k) === 9)) k++;
  return k;
}

/** Column where the description starts after a one-token term and 2+ spaces ("#      Expands…" → 7 + 7), or -1. */
function siblingColumn(line: string, indent: number): number {
  let k = indent;
  while (k < line.length && line.charCodeAt(k) !== 32 && line.charCodeAt(k) !== 9) k++;
  if (k - indent > 12) return -1;
  const gapStart = k;
  while (k < line.length && (line.charCodeAt(k) === 32 || line.charCodeAt(k) === 9)) k++;
  return k - gapStart >= 2 && k < line.length ? k : -1;
}

/** A wrapped line's tail ("of a", "the") or a lead-in ("The full set of … is"), not a term: plain words. */
function isProseFragment(term: string): boolean {
  const words = term.toLowerCase().split(/\s+/);
  return (
    words.every((w) => STOPWORDS.has(w)) ||
    /^[A-Za-z]+(?: [a-z]+)+$/.test(term) ||
    /^[A-Za-z]+(?: [A-Za-z]+){3,}$/.test(term)
  );
}

/**
 * A definition-list item in fixed-width text (man pages, --help output): an indented term, then
 * its description indented deeper, starting either on the next line or on the same line at the
 * column where the following lines continue (or, for one-line items, where the sibling items'
 * descriptions start). Returns the term, the description on this line and the body column.
 */
function definitionStart(
  line: string,
  prev: string | undefined,
  next: string | undefined,
): { term: string; rest: string; bodyIndent: number } | undefined {
  const indent = indentOf(line);
  if (indent < 2 || indent >= line.length) return undefined;
  const nextIndent = next === undefined || next.trim() === '' ? -1 : indentOf(next);
  let bodyIndent = -1;
  if (nextIndent >= indent + 2) bodyIndent = nextIndent;
  else {
    // A one-line item among siblings that share the term column and the description column.
    const column = siblingColumn(line, indent);
    const sibling = (other: string | undefined): boolean =>
      other !== undefined && indentOf(other) === indent && siblingColumn(other, indent) === column;
    // Justified prose ("Bash  is  an…" over "Bash  also…") can line up too: a plain word is no term.
    const word = /^[A-Z]?[a-z]+[.,;:]?$/.test(line.slice(indent, column).trim());
    if (column > 0 && !word && (sibling(next) || sibling(prev))) bodyIndent = column;
  }
  if (bodyIndent < 0) return undefined;
  const text = line.trimEnd();
  if (bodyIndent < text.length) {
    // Same-line description: it starts exactly at the body column, after whitespace.
    const space = line.charCodeAt(bodyIndent - 1);
    if ((space === 32 || space === 9) && line.charCodeAt(bodyIndent) !== 32) {
      const term = line.slice(indent, bodyIndent).trim();
      // "*" and "-" with a wide gap are shell special parameters ("*      Expands to…"), not bullets.
      const parameter = /^[*-]$/.test(term) && bodyIndent - indent >= 5;
      if (
        (!LIST_MARKER_TERM.test(term) || parameter) &&
        term.length > 0 &&
        term.length <= MAX_INLINE_TERM &&
        !/\s\S+\s\S+\s/.test(term) &&
        !isStructuralLine(term)
      )
        return { term, rest: line.slice(bodyIndent).trim(), bodyIndent };
    }
  }
  // Own-line term: the whole line is the term, the description starts on the next line.
  const term = text.trim();
  if (
    nextIndent === bodyIndent &&
    !isProseFragment(term) &&
    !LIST_MARKER_TERM.test(term) &&
    term.length <= MAX_OWN_LINE_TERM &&
    !/[.:;,!?]$/.test(term) &&
    !isStructuralLine(term)
  )
    return { term, rest: '', bodyIndent };
  return undefined;
}

/** Clean one source: returns the text plus anchors (page numbers, timestamps) by offset. */
export function normalizeSource(name: string, raw: string): NormalizedSource {
  let text = raw.replace(/\r\n?/g, '\n').replace(/\u00ad/g, '');
  // Words hyphenated across a line break: "condens-\ning" → "condensing" (man pages hyphenate with U+2010).
  text = text.replace(/(\p{L})[-\u2010]\n[ \t]*(\p{Ll})/gu, '$1$2');
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
  const definitions: Definition[] = [];
  // Open definition items: a line indented less than an item's body closes it.
  const openItems: Array<{ bodyIndent: number; term: string }> = [];
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
    const rawIndent = indentOf(rawLine);
    const item = time === undefined ? definitionStart(rawLine, lines[li - 1], lines[li + 1]) : undefined;
    let closed = false;
    while (openItems.length > 0) {
      const top = openItems[openItems.length - 1] as { bodyIndent: number };
      if (rawIndent >= top.bodyIndent) break;
      openItems.pop();
      closed = true;
    }
    if (item) {
      // Each item is its own paragraph, "term: description", so it is ranked and cited on its own.
      if (out) pendingBreak = '\n\n';
      definitions.push({
        offset: out ? out.length + 2 : 0,
        term: item.term.replace(/\s+/g, ' '),
        parents: openItems.map((o) => o.term),
      });
      openItems.push({ bodyIndent: item.bodyIndent, term: item.term.replace(/\s+/g, ' ') });
      line = `${item.term.replace(/\s+/g, ' ')}:${item.rest ? ` ${item.rest.replace(/\s+/g, ' ')}` : ''}`;
    } else if (closed && out) pendingBreak = '\n\n';
    const structural = isStructuralLine(line);
    if (out && pendingBreak === '') pendingBreak = structural || previousStructural ? '\n' : ' ';
    out += out ? pendingBreak : '';
    if (time !== undefined) anchors.push({ offset: out.length, time });
    out += line;
    pendingBreak = '';
    previousStructural = structural;
  }
  return { name, text: out, anchors, definitions };
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
// Definitions

/** Shell special parameters written alone as a list item ("?      Expands to…" defines `$?`). */
const SPECIAL_PARAMETER = /^[?#!$@*_0-]$/;
/** "X is …", "X means …", "X expands to …" at the start of a sentence: X is defined there. */
const PROSE_DEFINITION =
  /^(?:The\s+|An?\s+)?(\S{1,40}?(?:\s+\S{1,30}?)?)\s+(?:is|are|means|expands\s+to|refers\s+to|stands\s+for|specifies|controls|holds|contains|denotes)\s/;

/** Ranking terms a definition item's term defines ("-x file" → -x, file; "?" → $?, "HISTSIZE" → histsize). */
function definedTerms(term: string): string[] {
  if (SPECIAL_PARAMETER.test(term)) return [`$${term}`];
  return rankingTerms(term);
}

/** The name of an enclosing item: its first word ("set [-abef…]" → set, "-o option-name" → -o). */
function parentTerms(term: string): string[] {
  const first = term.split(/\s+/, 1)[0] ?? '';
  return rankingTerms(first);
}

function proseDefinedTerms(text: string): string[] {
  const m = PROSE_DEFINITION.exec(text);
  const subject = m?.[1];
  // "This setting is …", "It is …" refer back: they define nothing by name.
  if (!subject || STOPWORDS.has((subject.split(/\s/, 1)[0] ?? '').toLowerCase())) return [];
  return rankingTerms(subject);
}

// ---------------------------------------------------------------------------------------------
// Prepare

/** Longest piece handed to the BPE counter at once (it is quadratic in one unbroken run). */
const COUNT_PIECE_CHARS = 2000;

/**
 * countTokens of a whole source, fed in pieces cut just before a space that starts a word
 * ("… end| next"), where the tokenizer splits anyway, so the total is exact on ordinary text.
 * A run with no such place (200 KB of '.' or spaces) is cut every COUNT_PIECE_CHARS: the count
 * may then differ by a token per cut, and it stays linear.
 */
export function countTokensInPieces(text: string): number {
  let total = 0;
  let from = 0;
  while (text.length - from > COUNT_PIECE_CHARS) {
    let cut = from + COUNT_PIECE_CHARS;
    for (let k = cut; k > from + COUNT_PIECE_CHARS / 2; k--) {
      if (
        text.charCodeAt(k) === 32 &&
        !isAsciiSpace(text.charCodeAt(k - 1)) &&
        !isAsciiSpace(text.charCodeAt(k + 1))
      ) {
        cut = k;
        break;
      }
    }
    total += countTokens(text.slice(from, cut));
    from = cut;
  }
  return total + countTokens(text.slice(from));
}

function isAsciiSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || Number.isNaN(code);
}

/** One sentence of a prepared source: its span in the normalized text and what ranking needs. */
export interface PreparedSentence {
  start: number;
  end: number;
  tokens: number;
  terms: string[];
  defines: string[];
  locator?: string | undefined;
  locatorKind: 'page' | 'time' | 'none';
}

/** A source normalized and split into paragraphs of sentences: condense's per-source preparation. */
export interface PreparedSource {
  tokensIn: number;
  normalized: NormalizedSource;
  /** Every paragraph of the normalized text, in order (one without sentences is an empty list). */
  paragraphs: PreparedSentence[][];
}

/**
 * Condense's per-source preparation: normalize the text, split it into paragraphs and sentences,
 * and count and stem each sentence. Pure and deterministic, and the costly part of preparing a
 * large corpus, so it is the unit a mesh can send to peers (one per source).
 */
export function prepareSource(source: CondenseSource): PreparedSource {
  const tokensIn = countTokensInPieces(source.text);
  const src = normalizeSource(source.name, source.text);
  const definitionsAt = new Map(src.definitions.map((d) => [d.offset, d]));
  const paragraphs: PreparedSentence[][] = [];
  for (const para of splitParagraphs(src.text)) {
    const list: PreparedSentence[] = [];
    for (const span of sentencesIn(src.text, para.start, para.end)) {
      const text = src.text.slice(span.start, span.end);
      const { locator, kind } = locatorAt(src.anchors, span.start);
      const terms = rankingTerms(text);
      const item = definitionsAt.get(span.start);
      const context = item ? item.parents.flatMap(parentTerms) : [];
      // A nested item defines its qualified name: "-e" under "set" defines `set -e`.
      const defines = item ? [...definedTerms(item.term), ...context] : proseDefinedTerms(text);
      list.push({
        start: span.start,
        end: span.end,
        tokens: countTokens(text),
        terms,
        defines,
        ...(locator !== undefined ? { locator } : {}),
        locatorKind: kind,
      });
    }
    paragraphs.push(list);
  }
  return { tokensIn, normalized: src, paragraphs };
}

export interface PrepareOptions {
  signal?: AbortSignal;
  /** Prepares the sources elsewhere (units on peers); must return what prepareSource returns, in order. */
  prepareSources?: ((sources: CondenseSource[]) => Promise<PreparedSource[]>) | undefined;
  /** Skip near-duplicate removal (exact sentence duplicates are always removed). */
  nearDedupe?: boolean;
  /** Called as each step (normalize, chunk, dedupe, index) finishes. */
  onStep?: (name: string) => void;
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

  // Per source: normalize, split into sentences, count and stem (see prepareSource). This is the
  // part that can run elsewhere (units on peers); the numbering across sources happens here.
  const prepared = options.prepareSources ? await options.prepareSources(sources) : sources.map(prepareSource);
  if (prepared.length !== sources.length)
    throw new PrechewError('INTERNAL', `Source preparation returned ${prepared.length} sources for ${sources.length}.`);
  const sourceInfo = sources.map((s, i) => ({ name: s.name, tokensIn: (prepared[i] as PreparedSource).tokensIn }));
  const tokensIn = sourceInfo.reduce((a, s) => a + s.tokensIn, 0);
  const normalized = prepared.map((p) => p.normalized);
  // tokensAfter is filled in after chunking, from the per-sentence counts (one tokenizer pass).
  const normalizeStep: StepReport = { name: 'normalize', tokensAfter: 0, ms: now() - t };
  steps.push(normalizeStep);
  options.onStep?.('normalize');
  throwIfCancelled(signal);

  // Chunk: sentences, packed into passages of about PASSAGE_TOKENS on paragraph boundaries.
  t = now();
  const sentences: Sentence[] = [];
  const passages: number[][] = [];
  let paragraphIndex = 0;
  for (let si = 0; si < prepared.length; si++) {
    const src = prepared[si] as PreparedSource;
    let order = 0;
    for (const para of src.paragraphs) {
      let passage: number[] = [];
      let passageTokens = 0;
      for (const p of para) {
        if (passage.length > 0 && passageTokens + p.tokens > PASSAGE_TOKENS) {
          passages.push(passage);
          passage = [];
          passageTokens = 0;
        }
        passage.push(sentences.length);
        passageTokens += p.tokens;
        sentences.push({
          source: si,
          paragraph: paragraphIndex,
          passage: passages.length,
          order: order++,
          start: p.start,
          end: p.end,
          text: src.normalized.text.slice(p.start, p.end),
          tokens: p.tokens,
          terms: p.terms,
          rankTerms: p.defines.length ? [...p.terms, ...p.defines] : p.terms,
          defines: p.defines,
          locator: p.locator ?? undefined,
          locatorKind: p.locatorKind,
        });
      }
      if (passage.length) passages.push(passage);
      paragraphIndex++;
    }
  }
  const normalizedTokens = sentences.reduce((a, s) => a + s.tokens, 0);
  normalizeStep.tokensAfter = normalizedTokens;
  steps.push({ name: 'chunk', tokensAfter: normalizedTokens, ms: now() - t });
  options.onStep?.('chunk');
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
  options.onStep?.('dedupe');
  throwIfCancelled(signal);

  // Index: document frequencies and centrality (used without a query, and as a tie-breaker).
  t = now();
  const sentenceIndex = new Bm25Index(keptSentences.map((s) => s.rankTerms));
  const passageIndex = new Bm25Index(
    keptPassages.map((p) => p.flatMap((x) => (keptSentences[x] as Sentence).rankTerms)),
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
  options.onStep?.('index');

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
  // A sentence that defines a query term ("-e: Exit immediately…", "HISTSIZE: The number…")
  // answers "what does X do/mean" better than the many that only mention X.
  const idf = new Map(q.map((term) => [term, corpus.sentenceIndex.idf(term)]));
  let queryMass = 0;
  for (const v of idf.values()) queryMass += v;
  for (let i = 0; i < n; i++) {
    const s = corpus.sentences[i] as Sentence;
    let defined = 0;
    if (s.defines.length > 0 && queryMass > 0) {
      for (const term of new Set(s.defines)) defined += idf.get(term) ?? 0;
      // Squared: defining the whole question ("set" and "-e") counts far more than a part of it.
      defined = (defined / queryMass) ** 2;
    }
    scores[i] =
      (sentenceScores[i] as number) / maxS +
      (PASSAGE_WEIGHT * (passageScores[s.passage] as number)) / maxP +
      DEFINITION_WEIGHT * defined +
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
  const seen = new Uint8Array(scores.length);
  // Sentences that continue a picked one, with the score they inherit (see CONTINUATION_SHARE).
  const continuations = new Map<number, number>();
  const hasQuery = rankingTerms(options.query ?? '').length > 0;
  let next = 0;
  let estimate = 0;
  let misses = 0;
  const nextCandidate = (): { index: number; score: number } | undefined => {
    while (next < orderByScore.length && seen[orderByScore[next] as number]) next++;
    const ranked = orderByScore[next];
    let best: { index: number; score: number } | undefined =
      ranked === undefined ? undefined : { index: ranked, score: scores[ranked] as number };
    for (const [index, score] of continuations) if (!best || score > best.score) best = { index, score };
    if (best) {
      seen[best.index] = 1;
      continuations.delete(best.index);
    }
    return best;
  };
  for (let candidate = nextCandidate(); candidate; candidate = nextCandidate()) {
    if (misses > 200) break;
    if (sentenceBudget - estimate < 6) break;
    const i = candidate.index;
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
    picked.push({ index: i, text, tokens, score: candidate.score });
    pickedSets.push(set);
    groupsOpen.add(groupKey);
    estimate += cost;
    // Read on rather than jump: the next sentence of the same paragraph (a definition's second
    // sentence, the rest of a step) is worth a share of this one's score, so the budget goes to
    // fewer, whole passages instead of scattered mentions.
    const following = corpus.sentences[i + 1];
    if (
      hasQuery &&
      following &&
      !seen[i + 1] &&
      following.source === s.source &&
      following.paragraph === s.paragraph &&
      following.order === s.order + 1
    ) {
      const inherited = candidate.score * CONTINUATION_SHARE;
      if (inherited > (scores[i + 1] as number)) continuations.set(i + 1, inherited);
    }
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
