/**
 * Sentence segmentation with exact source offsets: `text.slice(start, end) === sentence.text`.
 *
 * ICU's sentence rules (Intl.Segmenter) do the heavy lifting: decimals ("3.14"), lower-case
 * continuations ("U.S. officials", "e.g. this"), quotes and closing brackets. On top of that we
 * repair the cases ICU gets wrong in English prose: titles and other abbreviations followed by a
 * capitalised word ("Mr. Smith", "Dr. Jones", "No. 5", "Jan. 5", "J. R. R. Tolkien", "the U.S.
 * Senate"), hard-wrapped lines (a single newline inside a sentence), and runaway "sentences"
 * with no punctuation at all, which are cut at clause or word boundaries.
 *
 * Paragraph breaks (a blank line) always end a sentence. ICU's break iterator is quadratic in
 * the length of the string it is given (1 MB in one call takes minutes), so the text is fed to
 * it in paragraph-sized windows and the result is linear.
 */
import type { TextPiece } from './split.js';

export type Sentence = TextPiece;

/** Longest sentence we keep whole; longer runs (tables, lists without punctuation) are cut. */
export const MAX_SENTENCE_CHARS = 1500;
/** Window handed to ICU at a time (see the module comment). */
const WINDOW_CHARS = 4000;

/** Abbreviations that never end a sentence: the next word belongs to the same sentence. */
// prettier-ignore
const NON_TERMINAL = new Set(
  [
    'mr', 'mrs', 'ms', 'mx', 'dr', 'prof', 'sr', 'jr', 'st', 'mt', 'ft', 'no', 'nos', 'vs', 'v', 'cf', 'e.g', 'i.e',
    'gen', 'col', 'lt', 'capt', 'cpt', 'maj', 'sgt', 'cmdr', 'adm', 'gov', 'sen', 'rep', 'rev', 'hon', 'pres', 'supt',
    'fig', 'figs', 'eq', 'vol', 'ch', 'sec', 'art', 'approx', 'dept', 'est', 'op', 'pp', 'p',
    'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec',
  ],
);

/**
 * Abbreviations that may end a sentence ("... works at Acme Inc. The company ..."). We keep the
 * sentence going unless the next word is a typical sentence opener.
 */
// prettier-ignore
const AMBIGUOUS = new Set([
  'inc', 'corp', 'co', 'ltd', 'llc', 'plc', 'bros', 'etc', 'al', 'a.m', 'p.m', 'u.s', 'u.k', 'u.n', 'e.u', 'd.c',
  'u.s.a', 'ph.d', 'b.a', 'm.a', 'b.sc', 'm.sc', 'a.d', 'b.c', 'approx', 'min', 'max', 'govt',
]);

/** Words that usually start a new sentence; after an ambiguous abbreviation they mean "break here". */
// prettier-ignore
const SENTENCE_OPENERS = new Set([
  'the', 'a', 'an', 'it', 'its', 'he', 'she', 'they', 'we', 'i', 'you', 'this', 'that', 'these', 'those', 'there',
  'but', 'and', 'or', 'so', 'yet', 'however', 'in', 'on', 'at', 'for', 'as', 'after', 'before', 'when', 'while',
  'if', 'his', 'her', 'their', 'our', 'my', 'some', 'many', 'most', 'one', 'two', 'no', 'not', 'what', 'why',
  'how', 'who', 'meanwhile', 'still', 'also', 'then', 'since', 'although', 'officials', 'analysts',
]);

const PARAGRAPH_BREAK = /\n[ \t\f\v\u00a0\r]*\n/;
const PARAGRAPH_BREAK_G = /\r?\n[ \t\f\v\u00a0]*(?:\r?\n[ \t\f\v\u00a0]*)+/g;
const TERMINAL_END = /[.!?\u2026]["'\u201d\u2019)\]]*$/;

let segmenter: Intl.Segmenter | undefined;
function getSegmenter(): Intl.Segmenter {
  segmenter ??= new Intl.Segmenter('en', { granularity: 'sentence' });
  return segmenter;
}

function isSpace(code: number): boolean {
  return (
    code === 32 ||
    (code >= 9 && code <= 13) ||
    code === 0xa0 ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0xfeff
  );
}

/** Appends the trimmed span [start, end) as a raw span (text filled in at the end). */
function pushTrimmed(source: string, start: number, end: number, out: Array<[number, number]>): void {
  while (start < end && isSpace(source.charCodeAt(start))) start++;
  while (end > start && isSpace(source.charCodeAt(end - 1))) end--;
  if (end > start) out.push([start, end]);
}

/** ICU segments of one paragraph, fed in windows so ICU never sees a huge string. */
function segmentParagraph(source: string, start: number, end: number, out: Array<[number, number]>): void {
  const seg = getSegmenter();
  let from = start;
  while (from < end) {
    let windowEnd = Math.min(end, from + WINDOW_CHARS);
    if (windowEnd < end) {
      // Never hand ICU half a word: end the window at the last whitespace in its second half.
      // Searched within the window only: lastIndexOf would scan back to the start of a text with
      // no spaces, once per window (quadratic on one long run).
      const floor = from + WINDOW_CHARS / 2;
      let ws = windowEnd;
      while (ws > floor && source.charCodeAt(ws) !== 32) ws--;
      if (ws > floor) windowEnd = ws + 1;
    }
    const slice = source.slice(from, windowEnd);
    const local: Array<[number, number]> = [];
    for (const s of seg.segment(slice)) local.push([from + s.index, from + s.index + s.segment.length]);
    if (windowEnd === end || local.length <= 1) {
      // Last window, or one segment filling the window (no break inside): keep it as is.
      for (const [a, b] of local) pushTrimmed(source, a, b, out);
      from = windowEnd;
      continue;
    }
    // The final segment may be cut by the window edge: re-segment from its start.
    for (let i = 0; i < local.length - 1; i++) {
      const span = local[i] as [number, number];
      pushTrimmed(source, span[0], span[1], out);
    }
    from = (local[local.length - 1] as [number, number])[0];
  }
}

/** The last "word." of a span, lower-cased without its final dot ("Mr." → "mr", "U.S." → "u.s"). */
function trailingAbbreviation(text: string): string | undefined {
  const m = /(?:^|[\s("'\u201c\u2018[])((?:[A-Za-z]{1,6}\.)*[A-Za-z]{1,6})\.$/.exec(text);
  return m?.[1]?.toLowerCase();
}

function firstWord(text: string): string {
  const m = /^["'\u201c\u2018(]*([\p{L}\p{N}]+)/u.exec(text);
  return m?.[1] ?? '';
}

function startsLower(text: string): boolean {
  // A code span that starts with no capital ("`--disable-cache`") continues the sentence too.
  return /^["'`\u201c\u2018(]*[\p{Ll}]|^`[^`\p{Lu}]/u.test(text);
}

/** Should span b continue the sentence of span a (ICU put a break between them)? */
function shouldJoin(source: string, a: [number, number], b: [number, number]): boolean {
  const gap = source.slice(a[1], b[0]);
  if (PARAGRAPH_BREAK.test(gap)) return false;
  const aText = source.slice(Math.max(a[0], a[1] - 40), a[1]);
  const bHead = source.slice(b[0], Math.min(b[1], b[0] + 40));
  if (gap.includes('\n')) {
    // A word hyphenated across the line break ("READ-\nLINE_POINT", man pages use U+2010).
    if (/\p{L}[-\u2010]$/u.test(aText)) return true;
    // Hard-wrapped prose: a line that does not end a sentence, followed by a lower-case line.
    return !TERMINAL_END.test(aText) && startsLower(bHead);
  }
  if (!aText.endsWith('.')) return false;
  const abbr = trailingAbbreviation(aText);
  if (abbr === undefined) return false;
  if (NON_TERMINAL.has(abbr)) return true;
  const next = firstWord(bHead);
  // A single capital initial followed by a capitalised word: "J. R. R. Tolkien", "George W. Bush".
  if (/^[a-z]$/.test(abbr) && /^\p{Lu}/u.test(next)) return true;
  if (AMBIGUOUS.has(abbr) || /^(?:[a-z]\.)+[a-z]$/.test(abbr)) {
    return next !== '' && !SENTENCE_OPENERS.has(next.toLowerCase());
  }
  return false;
}

/** Cuts an over-long span at "; " / ", " / whitespace so no sentence exceeds maxChars. */
function cutLong(
  source: string,
  start: number,
  end: number,
  maxChars: number,
  out: Array<[number, number]>,
): void {
  let from = start;
  while (end - from > maxChars) {
    const limit = from + maxChars;
    const window = source.slice(from, limit);
    let cut = -1;
    for (const sep of ['; ', ': ', ', ', ' ']) {
      const at = window.lastIndexOf(sep);
      if (at > maxChars / 3) {
        cut = from + at + sep.length - 1;
        break;
      }
    }
    if (cut <= from) {
      cut = limit;
      const code = source.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut--;
    }
    pushTrimmed(source, from, cut, out);
    from = cut;
  }
  pushTrimmed(source, from, end, out);
}

/**
 * Splits text into sentences with UTF-16 offsets. Pure and linear in the input length.
 * Paragraph breaks always end a sentence; whitespace around sentences is not part of them.
 */
export function splitSentences(text: string): Sentence[] {
  if (text.length === 0) return [];
  const raw: Array<[number, number]> = [];
  PARAGRAPH_BREAK_G.lastIndex = 0;
  let from = 0;
  for (let m = PARAGRAPH_BREAK_G.exec(text); m !== null; m = PARAGRAPH_BREAK_G.exec(text)) {
    if (m.index > from) segmentParagraph(text, from, m.index, raw);
    from = m.index + m[0].length;
  }
  if (from < text.length) segmentParagraph(text, from, text.length, raw);

  const joined: Array<[number, number]> = [];
  for (const span of raw) {
    const prev = joined[joined.length - 1];
    if (prev && prev[1] - prev[0] < MAX_SENTENCE_CHARS && shouldJoin(text, prev, span)) prev[1] = span[1];
    else joined.push([span[0], span[1]]);
  }

  const out: Sentence[] = [];
  const pieces: Array<[number, number]> = [];
  for (const [start, end] of joined) {
    if (end - start <= MAX_SENTENCE_CHARS) {
      out.push({ text: text.slice(start, end), start, end });
      continue;
    }
    pieces.length = 0;
    cutLong(text, start, end, MAX_SENTENCE_CHARS, pieces);
    for (const [a, b] of pieces) out.push({ text: text.slice(a, b), start: a, end: b });
  }
  return out;
}
