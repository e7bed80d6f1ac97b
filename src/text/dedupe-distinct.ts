/**
 * The content check behind every near-duplicate drop: two items whose word shingles overlap
 * enough can still say different things. Structured text is built from templates — DEP-5
 * copyright paragraphs, man page option lists, config references — so two entries share most of
 * their words and differ exactly where the information is: a field's value, a path, a name. Such
 * a pair is distinct, however high its Jaccard similarity.
 *
 * Rules, applied to a pair that already passed the shingle verification:
 * - Fields: both items are records of at least two `Key: value` lines (column 0, key of 1–3
 *   words, value possibly continued on indented lines) and have a key with different values.
 * - Short items (the smaller has fewer than SHORT_ITEM_WORDS words): each differing word weighs
 *   a lot, so the word sets must agree at SHORT_WORD_SIMILARITY or more, no differing word may
 *   be an identifier (path, e-mail, URL, dotted name, command-line option, code identifier,
 *   acronym, proper name), and a word may be misspelt but not replaced by another word.
 * - Longer items: distinct when a few words (up to MAX_IDENTIFIER_SUBSTITUTIONS a side) differ on
 *   both sides and every one is an identifier ("the same paragraph about another file"),
 *   misspellings aside; an edited copy also
 *   differs in ordinary words, and a copy with a sentence added or dropped differs on one side
 *   only, so both match.
 *
 * Every scan here is a single pass over the text or its whitespace-separated tokens, with
 * regular expressions applied to one token or one line start at a time, so adversarial input
 * (200 KB of punctuation, one giant token) costs linear time.
 */
import { hashString32, hashWords, sortUnique } from './minhash.js';
import { tokenizeWords } from './normalize.js';

/** Below this many words (in the smaller item), differing words are weighed one by one. */
export const SHORT_ITEM_WORDS = 40;
/** Word-set Jaccard a short pair needs on top of the shingle threshold. */
export const SHORT_WORD_SIMILARITY = 0.8;
/** Longer items differing in more words than this (on a side) are edited copies, whatever the words. */
export const MAX_IDENTIFIER_SUBSTITUTIONS = 8;

/** `Key: value` at a line start: a key of one to three words, then a colon and a blank or the line end. */
const FIELD_START = /([A-Za-z][\w-]*(?:[ \t]+[\w-]+){0,2})[ \t]*:(?=[ \t]|\r?\n|$)/y;
const LEADING_PUNCTUATION = new Set('("\'`<[{');
const TRAILING_PUNCTUATION = new Set(')"\'`>]},;:!?.');
const PATH_OR_ADDRESS = /[/\\@]/;
const DOTTED = /[\p{L}\p{N}]\.[\p{L}\p{N}]/u;
const OPTION = /^--?[A-Za-z]/;
const CODE_IDENTIFIER = /[a-z][A-Z]|[\p{L}\p{N}]_[\p{L}\p{N}]/u;
const CAPITALIZED = /^\p{Lu}/u;
/** Cheap first test: a token can only be an identifier if it has one of these. */
const IDENTIFIER_HINT = /[/\\@_.]|^-|[a-z][A-Z]|^\p{Lu}/u;
const ALL_CAPS = /^\p{Lu}[\p{Lu}\p{N}_-]+$/u;
const SENTENCE_END = /[.!?:]["')\]]*$/;

/**
 * Field values by lower-cased key, values as normalized words. A key that repeats keeps all its
 * values, joined. Undefined unless the text is a record: it starts with a field line, or has at
 * least two (a single "word: …" line inside a text is as likely a hard-wrapped sentence).
 */
export function parseFields(text: string): Map<string, string> | undefined {
  let fields: Map<string, string> | undefined;
  let fieldLines = 0;
  let startsWithField = false;
  let lineStart = 0;
  while (lineStart < text.length && /\s/.test(text.charAt(lineStart))) lineStart++;
  const firstLine = lineStart;
  const length = text.length;
  while (lineStart < length) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = length;
    FIELD_START.lastIndex = lineStart;
    const match = FIELD_START.exec(text);
    if (match && match.index === lineStart && FIELD_START.lastIndex <= lineEnd) {
      const key = (match[1] ?? '').toLowerCase().replace(/[ \t]+/g, ' ');
      // The value: the rest of the line, then every following indented (continuation) line.
      let valueEnd = lineEnd;
      while (valueEnd < length) {
        const next = text.charCodeAt(valueEnd + 1);
        if (next !== 32 && next !== 9) break;
        const nextEnd = text.indexOf('\n', valueEnd + 1);
        valueEnd = nextEnd < 0 ? length : nextEnd;
      }
      const value = tokenizeWords(text.slice(FIELD_START.lastIndex, valueEnd)).join(' ');
      fieldLines++;
      if (lineStart === firstLine) startsWithField = true;
      fields ??= new Map();
      const before = fields.get(key);
      fields.set(key, before === undefined ? value : `${before}\n${value}`);
      lineEnd = valueEnd;
    }
    lineStart = lineEnd + 1;
  }
  return startsWithField || fieldLines >= 2 ? fields : undefined;
}

/** Digits with date and time punctuation only, with a colon or a date's dashes: 2024-05-03T04:53:02.341Z, 12:00:01. */
function isTimestamp(token: string): boolean {
  let digits = 0;
  let separators = 0;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 58 || c === 45) separators++; // : -
    else if (!(c === 46 || c === 43 || c === 84 || c === 90 || c === 116 || c === 122)) return false; // . + T Z t z
  }
  return digits >= 4 && separators >= 2;
}

/** Strips quotes, brackets and sentence punctuation from both ends of a token (two index scans). */
function trimPunctuation(token: string): string {
  let start = 0;
  let end = token.length;
  while (start < end && LEADING_PUNCTUATION.has(token.charAt(start))) start++;
  while (end > start && TRAILING_PUNCTUATION.has(token.charAt(end - 1))) end--;
  return start === 0 && end === token.length ? token : token.slice(start, end);
}

/**
 * Hashes (hashString32 with `seed`, as dedupe hashes words) of the normalized words that occur
 * inside identifier-like tokens: paths, e-mail and web addresses, dotted names (adduser.conf.5,
 * v1.2), options (-b, --root), code identifiers (cacheSize, max_items), acronyms and proper
 * names. Capitalization only marks a name in text that is not mostly capitalized (a title-cased
 * or shouted copy would make every word a "name"), and a sentence's first word only when the
 * next word is capitalized too (Justin B Rye).
 */
export function identifierWordHashes(text: string, seed = 0): Set<number> {
  const ids = new Set<number>();
  const tokens = text.split(/\s+/);
  const cleaned: string[] = [];
  let alphabetic = 0;
  let capitalized = 0;
  for (const raw of tokens) {
    const token = trimPunctuation(raw);
    cleaned.push(token);
    const first = token.charAt(0);
    if (first !== '' && first.toLowerCase() !== first.toUpperCase()) {
      alphabetic++;
      if (first !== first.toLowerCase()) capitalized++;
    }
  }
  const namesCount = alphabetic > 0 && capitalized / alphabetic <= 0.5;
  for (let i = 0; i < cleaned.length; i++) {
    const token = cleaned[i] ?? '';
    if (token === '') continue;
    // Dates and times (2024-05-03T04:53:02.341Z, 12:00:01) say when, not what: left to the
    // ordinary rules, so two log excerpts that differ in a timestamp are not told apart by it.
    if (!IDENTIFIER_HINT.test(token) || isTimestamp(token)) continue;
    let identifier =
      PATH_OR_ADDRESS.test(token) || DOTTED.test(token) || OPTION.test(token) || CODE_IDENTIFIER.test(token);
    if (!identifier && namesCount && CAPITALIZED.test(token)) {
      const previous = tokens[i - 1];
      const sentenceStart = previous === undefined || previous === '' || SENTENCE_END.test(previous);
      const nextCapitalized = CAPITALIZED.test(cleaned[i + 1] ?? '');
      identifier = ALL_CAPS.test(token) || !sentenceStart || nextCapitalized;
    }
    if (!identifier) continue;
    for (const word of tokenizeWords(token)) ids.add(hashString32(word, seed));
  }
  return ids;
}

/** True when the two items' `Key: value` fields disagree on some key both have. */
export function fieldsDisagree(a: Map<string, string> | undefined, b: Map<string, string> | undefined): boolean {
  if (!a || !b) return false;
  for (const [key, value] of a) {
    const other = b.get(key);
    if (other !== undefined && other !== value) return true;
  }
  return false;
}

/** What the content check needs of one item. Fields and identifiers are computed on first use. */
export interface ContentProfile {
  text: string;
  wordCount: number;
  /** Sorted unique hashes of the normalized words (hashString32 with `seed`). */
  wordHashes: Uint32Array;
  seed: number;
  fields?: Map<string, string> | null;
  identifiers?: Set<number>;
  words?: Set<string>;
  numbers?: number;
}

/** A profile from text alone; dedupe builds its own from the word hashes it already has. */
export function contentProfile(text: string, seed = 0): ContentProfile {
  const words = tokenizeWords(text);
  return { text, wordCount: words.length, wordHashes: sortUnique(hashWords(words, seed)), seed };
}

function fieldsOf(profile: ContentProfile): Map<string, string> | undefined {
  if (profile.fields === undefined) profile.fields = parseFields(profile.text) ?? null;
  return profile.fields ?? undefined;
}

function wordsOf(profile: ContentProfile): Set<string> {
  if (!profile.words) {
    const words = tokenizeWords(profile.text);
    profile.words = new Set(words);
    profile.numbers = words.filter((w) => NUMBER.test(w)).length;
  }
  return profile.words;
}

/** How many number tokens the text has, repeats included. */
function numbersIn(profile: ContentProfile): number {
  wordsOf(profile);
  return profile.numbers ?? 0;
}

function identifiersOf(profile: ContentProfile): Set<number> {
  profile.identifiers ??= identifierWordHashes(profile.text, profile.seed);
  return profile.identifiers;
}

/** Words of each sorted hash list missing from the other, by one linear merge. */
function wordDifference(a: Uint32Array, b: Uint32Array): { onlyA: number[]; onlyB: number[] } {
  const onlyA: number[] = [];
  const onlyB: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as number;
    const y = b[j] as number;
    if (x === y) {
      i++;
      j++;
    } else if (x < y) {
      onlyA.push(x);
      i++;
    } else {
      onlyB.push(y);
      j++;
    }
  }
  while (i < a.length) onlyA.push(a[i++] as number);
  while (j < b.length) onlyB.push(b[j++] as number);
  return { onlyA, onlyB };
}

/** Words only in `a`, as strings. */
function wordsMissingFrom(a: Set<string>, b: Set<string>): string[] {
  const out: string[] = [];
  for (const w of a) if (!b.has(w)) out.push(w);
  return out;
}

const NUMBER = /^\p{N}+$/u;

/** Distinct words that are not pure numbers. */
function countWords(words: Set<string>): number {
  let count = 0;
  for (const w of words) if (!NUMBER.test(w)) count++;
  return count;
}

/**
 * Whether `a` is a typo of `b`: Levenshtein distance at most 1 (words up to 5 characters) or 2.
 * Words over 40 characters are never typos of each other, which also bounds the quadratic table.
 */
export function isTypo(a: string, b: string): boolean {
  if (a.length > 40 || b.length > 40) return false;
  const limit = Math.min(a.length, b.length) <= 5 ? 1 : 2;
  if (Math.abs(a.length - b.length) > limit) return false;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      const value = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
      current.push(value);
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > limit) return false;
    previous = current;
  }
  return (previous[b.length] as number) <= limit;
}

/**
 * Short items: every differing word weighs. They differ when their word sets agree less than
 * SHORT_WORD_SIMILARITY, when a differing word is an identifier, or when a word was replaced by
 * another word rather than misspelt ("block special file" vs "character special file"). Words
 * added on one side only, typos and numbers replaced by other numbers (counters, times) keep them
 * near-duplicates.
 */
function shortItemsDiffer(a: ContentProfile, b: ContentProfile): boolean {
  const wordsA = wordsOf(a);
  const wordsB = wordsOf(b);
  const onlyA = wordsMissingFrom(wordsA, wordsB);
  const onlyB = wordsMissingFrom(wordsB, wordsA);
  // A number replaced by another number is a counter or a time: "Entry 17: …" and "Entry 18: …"
  // are the same message, so numbers stay out of the word-set similarity. Numbers on one side
  // only ("(c) 1989, 1990 The Regents…" vs "The Regents…") are information the other lacks.
  const wordsOnlyA = onlyA.filter((w) => !NUMBER.test(w));
  const wordsOnlyB = onlyB.filter((w) => !NUMBER.test(w));
  if (onlyA.length + onlyB.length > wordsOnlyA.length + wordsOnlyB.length && numbersIn(a) !== numbersIn(b)) return true;
  const sizeA = countWords(wordsA);
  const sizeB = countWords(wordsB);
  const common = sizeA - wordsOnlyA.length;
  const union = sizeA + sizeB - common;
  if (union > 0 && common / union < SHORT_WORD_SIMILARITY) return true;
  const idsA = identifiersOf(a);
  const idsB = identifiersOf(b);
  if (onlyA.some((w) => idsA.has(hashString32(w, a.seed)))) return true;
  if (onlyB.some((w) => idsB.has(hashString32(w, b.seed)))) return true;
  if (wordsOnlyA.length === 0 || wordsOnlyB.length === 0) return false;
  return (
    wordsOnlyA.some((w) => !wordsOnlyB.some((v) => isTypo(w, v))) ||
    wordsOnlyB.some((w) => !wordsOnlyA.some((v) => isTypo(w, v)))
  );
}

/** Whether two items that passed the shingle check still carry different content (see the module comment). */
export function isDistinctContent(a: ContentProfile, b: ContentProfile): boolean {
  if (fieldsDisagree(fieldsOf(a), fieldsOf(b))) return true;
  const { onlyA, onlyB } = wordDifference(a.wordHashes, b.wordHashes);
  if (onlyA.length === 0 && onlyB.length === 0) return false;
  if (Math.min(a.wordCount, b.wordCount) < SHORT_ITEM_WORDS) return shortItemsDiffer(a, b);
  // A longer item is "the same text about another thing" when words were substituted on both
  // sides and every one of them is an identifier. One side alone differing is a sentence added
  // or dropped: the usual near-duplicate (containment covers the trimmed copy).
  // More than a few differing words on a side is an edited copy, not a template filled in again.
  if (onlyA.length === 0 || onlyB.length === 0) return false;
  if (onlyA.length > MAX_IDENTIFIER_SUBSTITUTIONS || onlyB.length > MAX_IDENTIFIER_SUBSTITUTIONS) return false;
  const idsA = identifiersOf(a);
  if (!onlyA.every((w) => idsA.has(w))) return false;
  const idsB = identifiersOf(b);
  if (!onlyB.every((w) => idsB.has(w))) return false;
  // Only identifiers differ. A misspelt one (search → seauch) is an edit, not another thing; a
  // changed number (GPL-2 → GPL-3) or another name (adduser → deluser) is.
  const wordsA = wordsOf(a);
  const wordsB = wordsOf(b);
  const restA = wordsMissingFrom(wordsA, wordsB);
  const restB = wordsMissingFrom(wordsB, wordsA);
  for (let i = restA.length - 1; i >= 0; i--) {
    const w = restA[i] ?? '';
    const match = restB.findIndex((v) => !(NUMBER.test(w) && NUMBER.test(v)) && isTypo(w, v));
    if (match >= 0) {
      restA.splice(i, 1);
      restB.splice(match, 1);
    }
  }
  return restA.length > 0 && restB.length > 0;
}
