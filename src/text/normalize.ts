/**
 * Text normalization shared by dedupe and condense. Two texts that a reader would call "the same
 * words" must normalize to the same token list: Unicode compatibility forms (NFKC: full-width
 * letters, ligatures, non-breaking spaces), letter case, whitespace and punctuation are folded.
 *
 * tokenizeWords is the hot path (it runs over every byte of a dedupe request), so it is a single
 * hand-written scan with an ASCII fast path rather than a chain of Unicode regex replacements,
 * which measured 2–3x slower on 1 KB passages.
 */

// ASCII classes: 1 = word character (a-z, 0-9 after lower-casing), 0 = separator.
const ASCII_WORD = new Uint8Array(128);
for (let c = 48; c <= 57; c++) ASCII_WORD[c] = 1;
for (let c = 97; c <= 122; c++) ASCII_WORD[c] = 1;
for (let c = 65; c <= 90; c++) ASCII_WORD[c] = 1;

// eslint-disable-next-line no-control-regex -- the full ASCII range is the point
const ONLY_ASCII = /^[\x00-\x7f]*$/;
const WORD_CHAR = /^[\p{L}\p{N}\p{M}]$/u;
/**
 * Scripts written without spaces between words. Each character becomes its own token, so word
 * shingles over Chinese or Japanese text are character n-grams instead of one giant "word".
 */
const UNSPACED_SCRIPT_CHAR =
  /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]$/u;
const APOSTROPHES = /['\u2019\u02bc]/g;
const PUNCTUATION_OR_SYMBOL_RUN = /[\p{P}\p{S}]+/gu;
const WHITESPACE_RUN = /\s+/gu;

/** Unicode compatibility folding (NFKC). ASCII-only text is returned as is, without an ICU call. */
export function foldUnicode(text: string): string {
  return ONLY_ASCII.test(text) ? text : text.normalize('NFKC');
}

/** NFKC then lower case, so "ＡＢＣ", "ABC" and "abc" compare equal. */
export function foldCase(text: string): string {
  return foldUnicode(text).toLowerCase();
}

/** Every run of whitespace (spaces, tabs, newlines, NBSP…) becomes one space; ends are trimmed. */
export function foldWhitespace(text: string): string {
  return text.replace(WHITESPACE_RUN, ' ').trim();
}

/**
 * Punctuation and symbols become word separators. Apostrophes inside a word are dropped instead
 * ("don't" → "dont"), so a curly and a straight apostrophe fold to the same word.
 */
export function foldPunctuation(text: string): string {
  return foldWhitespace(
    text
      .replace(/(?<=[\p{L}\p{N}])['\u2019\u02bc](?=[\p{L}\p{N}])/gu, '')
      .replace(PUNCTUATION_OR_SYMBOL_RUN, ' '),
  );
}

// Character classes for the tokenizer scan.
const SEPARATOR = 0;
const WORD = 1;
const SOLO = 2;
const APOSTROPHE = 3;
type CharClass = typeof SEPARATOR | typeof WORD | typeof SOLO | typeof APOSTROPHE;

/** Memo of classes for the Basic Multilingual Plane (class + 1; 0 = not yet classified). */
const BMP_CLASSES = new Uint8Array(0x10000);

function classifyUncached(cp: number): CharClass {
  if (cp < 128) {
    if (ASCII_WORD[cp] === 1) return WORD;
    return cp === 39 ? APOSTROPHE : SEPARATOR;
  }
  if (cp === 0x2019 || cp === 0x02bc) return APOSTROPHE;
  const ch = String.fromCodePoint(cp);
  if (!WORD_CHAR.test(ch)) return SEPARATOR;
  return UNSPACED_SCRIPT_CHAR.test(ch) ? SOLO : WORD;
}

/** Unicode property regexes cost ~100 ns a call, so non-ASCII text would crawl without the memo. */
function classifyCodePoint(cp: number): CharClass {
  if (cp > 0xffff) return classifyUncached(cp);
  const known = BMP_CLASSES[cp] as number;
  if (known !== 0) return (known - 1) as CharClass;
  const cls = classifyUncached(cp);
  BMP_CLASSES[cp] = cls + 1;
  return cls;
}

function isWordCodePoint(cp: number): boolean {
  if (cp < 128) return ASCII_WORD[cp] === 1;
  return classifyCodePoint(cp) === WORD;
}

/**
 * Words of the normalized text: NFKC, lower case, split on anything that is not a letter, digit
 * or combining mark; apostrophes inside words dropped; characters of unspaced scripts (Han, kana,
 * Thai…) one token each. "Hello,  WORLD!" → ["hello", "world"].
 */
export function tokenizeWords(text: string): string[] {
  const folded = foldCase(text);
  const words: string[] = [];
  const length = folded.length;
  let start = -1;
  let hasApostrophe = false;
  for (let i = 0; i < length; i++) {
    let cp = folded.charCodeAt(i);
    // ASCII fast path: no function calls, no allocation until a word ends.
    if (cp < 128 && ASCII_WORD[cp] === 1) {
      if (start < 0) start = i;
      continue;
    }
    let width = 1;
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < length) {
      cp = folded.codePointAt(i) ?? cp;
      width = cp > 0xffff ? 2 : 1;
    }
    const cls = classifyCodePoint(cp);
    if (cls === WORD) {
      if (start < 0) start = i;
    } else if (
      cls === APOSTROPHE &&
      start >= 0 &&
      i + 1 < length &&
      isWordCodePoint(folded.codePointAt(i + 1) ?? 0)
    ) {
      // Kept only between two word characters ("don't"); otherwise it separates like a quote.
      hasApostrophe = true;
    } else {
      if (start >= 0) {
        const word = folded.slice(start, i);
        words.push(hasApostrophe ? word.replace(APOSTROPHES, '') : word);
        start = -1;
        hasApostrophe = false;
      }
      if (cls === SOLO) words.push(folded.slice(i, i + width));
    }
    i += width - 1;
  }
  if (start >= 0) {
    const word = folded.slice(start);
    words.push(hasApostrophe ? word.replace(APOSTROPHES, '') : word);
  }
  return words;
}

/** The canonical comparable form: normalized words joined by single spaces. */
export function normalizeText(text: string): string {
  return tokenizeWords(text).join(' ');
}
