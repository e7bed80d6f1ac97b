/**
 * Person-name rules that do not depend on the tagger: names after credit verbs ("Thanks to X and
 * Y", "Reported by X"), in copyright lines ("Copyright (C) 1999-2003 Guy Maor"), before an email
 * ("Name <email>"), in signatures ("-- Name", "Regards,\nName"), in author lists ("Authors: A, B
 * and C"), and after a common given name. Also the checks every name span must pass (no runs of
 * whitespace, never starting or ending inside a word).
 *
 * Every scan is a single pass with bounded look-around, so the cost is linear in the text.
 * Pure: no I/O.
 */
import { COMMON_WORD_NAMES, GIVEN_NAMES, NAME_PARTICLES, NAME_STOPS, PLACE_PREFIXES, PLACE_SUFFIXES, TITLE_WORDS } from './names-data.js';

export interface NameSpan {
  start: number;
  end: number;
  /** Number of name words (initials included, particles not). */
  words: number;
}

export interface ReadNameOptions {
  /** Allow one line break (with indentation) between two words of the name: wrapped prose. */
  wrap?: boolean;
  /** At most this many name words (default 5). */
  max?: number;
}

// Initials first: "A." must be read with its full stop, not as the word "A".
const WORD_AT_RE = /\p{Lu}\.(?:-?\p{Lu}\.)*|\p{Lu}[\p{L}\p{M}'’]*(?:-\p{L}[\p{L}\p{M}'’]*)*|\p{Ll}+/uy;
const LOWER_RE = /\p{Ll}/u;
const LETTER_OR_DIGIT_RE = /[\p{L}\p{M}\p{N}]/u;

type WordKind = 'name' | 'initial' | 'particle' | 'stop';

function classify(word: string): WordKind {
  if (/^\p{Lu}\.(?:-?\p{Lu}\.)*$/u.test(word)) return 'initial';
  if (/^\p{Ll}/u.test(word)) return NAME_PARTICLES.has(word) ? 'particle' : 'stop';
  if (NAME_STOPS.has(word.toLowerCase()) || TITLE_WORDS.has(word.toLowerCase())) return 'stop';
  if (word.length === 1) return 'initial'; // "P Chan", "Justin B Rye"
  // All capitals ("SMITH") only count next to a word with lower case; checked by the caller.
  // Hyphenated parts need two letters each: "C-l" and "M-t" are key chords, not names.
  if (word.split('-').some((part) => part.replace(/['’]/g, '').length < 2)) return 'stop';
  return 'name';
}

/** Length of the separator at `pos` allowed between two words of a name, or 0. */
function separatorAt(text: string, pos: number, wrap: boolean): number {
  const ch = text[pos];
  if (ch === ' ' || ch === '\u00a0') {
    const next = text[pos + 1];
    if (next !== ' ' && next !== '\t' && next !== '\n' && next !== '\r') return 1;
    if (!wrap) return 0;
  }
  if (!wrap) return 0;
  // A single line break, indentation around it allowed: "Heitor David\n    Pinto".
  let i = pos;
  while (text[i] === ' ' || text[i] === '\t') i++;
  if (text[i] === '\r') i++;
  if (text[i] !== '\n') return 0;
  i++;
  while (text[i] === ' ' || text[i] === '\t') i++;
  return i - pos;
}

/**
 * Reads a person name starting exactly at `pos`: capitalized words, initials, and particles
 * between them, separated by single spaces. Returns null when no name word starts there.
 */
export function readName(text: string, pos: number, options: ReadNameOptions = {}): NameSpan | null {
  if (pos > 0 && isWordChar(text[pos - 1])) return null;
  const max = options.max ?? 5;
  let cursor = pos;
  let end = -1;
  let words = 0;
  let lastEndWords = 0;
  let cased = false;
  let pendingParticles = 0;
  while (words < max) {
    WORD_AT_RE.lastIndex = cursor;
    const m = WORD_AT_RE.exec(text);
    if (!m) break;
    const word = m[0];
    const after = cursor + word.length;
    // A word glued to digits or other letters ("C3PO", "Foo_bar") is not a name word.
    if (isWordChar(text[after]) || text[after] === '_') break;
    const kind = classify(word);
    // "French Finance Minister …": capitalized words running into a title qualify the title.
    if (kind === 'stop' && TITLE_WORDS.has(word.toLowerCase()) && /^\p{Lu}/u.test(word)) return null;
    if (kind === 'stop') break;
    if (kind === 'particle') {
      // At most two in a row: "von der Leyen", "van de Wiel".
      if (words === 0 || pendingParticles === 2) break;
      pendingParticles += 1;
    } else {
      if (kind === 'name' && LOWER_RE.test(word)) cased = true;
      words += 1;
      pendingParticles = 0;
      // A name ends on a name word; a trailing initial is kept only with its full stop ("John Q.").
      if (kind === 'name' || word.endsWith('.')) {
        end = after;
        lastEndWords = words;
      }
    }
    const sep = separatorAt(text, after, options.wrap === true);
    if (sep === 0) break;
    cursor = after + sep;
  }
  if (end === -1 || !cased) return null;
  // "Acme Corp." or "… Foundation" after the words: an organization, not a person.
  if (/^,?[ \t]*(?:Inc|Corp|Corporation|LLC|LLP|Ltd|Limited|GmbH|PLC|Plc|AG|SA|Co|Foundation|Project)\b/.test(text.slice(end, end + 16)))
    return null;
  return { start: pos, end, words: lastEndWords };
}

function isWordChar(ch: string | undefined): boolean {
  return ch !== undefined && (LETTER_OR_DIGIT_RE.test(ch) || ch === '-' || ch === '\'' || ch === '’');
}

/** Does this span look like a person's name rather than a street or a place? */
export function isPlaceLike(surface: string): boolean {
  const parts = surface.split(/\s+/);
  const first = (parts[0] ?? '').replace(/\.$/, '');
  const last = (parts[parts.length - 1] ?? '').replace(/\.$/, '');
  return parts.length > 1 && (PLACE_PREFIXES.has(first) || PLACE_SUFFIXES.has(last));
}

/**
 * The checks every person, organization and place span must pass: it starts and ends on a word
 * boundary and crosses no run of whitespace (a tab, two spaces, a blank line): "x     Mark" and
 * "mable Completion" are layout, not names.
 */
export function isCleanNameSpan(text: string, start: number, end: number): boolean {
  if (end <= start) return false;
  if (start > 0 && isWordChar(text[start - 1])) return false;
  if (isWordChar(text[end]) && text[end] !== '\'' && text[end] !== '’' && text[end] !== '-') return false;
  if (text[end] === '-' && /\p{L}/u.test(text[end + 1] ?? '')) return false;
  const surface = text.slice(start, end);
  if (/\t| {2}|\n[ \t]*\n|\r/.test(surface)) return false;
  if (!/^\p{Lu}/u.test(surface) && !/^\p{N}/u.test(surface)) return false;
  // Key chords ("C-l", "M-t") and similar one-letter compounds are not names.
  if (/(?:^|[\s-])\p{L}-|-\p{L}(?:$|[\s-])/u.test(surface)) return false;
  return true;
}

const CREDIT_RE =
  /(?<![\p{L}\p{N}])(?:(?:thanks|thank[ \t]+you|thanked|kudos|credits?|grateful)[ \t\r\n]+(?:go(?:es)?[ \t\r\n]+)?to|\p{L}{2,20}(?:ed|en)[ \t\r\n]+by|(?:patch(?:es)?|fix(?:es)?|translations?|contributions?|suggestions?|ideas?|help|work|code|review)[ \t]+(?:from|by))[ \t\r\n]+/giu;
const LIST_HEADER_RE =
  /(?<![^\n])[ \t]*(?:Authors?|Maintainers?|Contributors?|Credits|Translators?|Uploaders?|Developers?|Written[ \t]+by|Thanks(?:[ \t]+to)?)[ \t]*:[ \t\r\n]*/giu;
const COPYRIGHT_RE =
  /(?<![\p{L}\p{N}])Copyright[ \t]*:?[ \t]*(?:(?:\([Cc]\)|©)[ \t]*)?(?:(?:\d{4}(?:[ \t]*[-–,][ \t]*\d{2,4}){0,30}),?[ \t]+)?(?:by[ \t]+)?(?=\p{Lu})/gu;
/** Continuation lines of a Debian copyright field: "           1995 Ian Murdock <…>". */
const YEAR_LINE_RE = /(?<![^\n])[ \t]+(?:(?:\([Cc]\)|©)[ \t]*)?\d{4}(?:[ \t]*[-–,][ \t]*\d{2,4}){0,30},?[ \t]+(?=\p{Lu})/gu;
const SIGNATURE_RE =
  /(?<![^\n])[ \t]*(?:--[ \t]?|(?:(?:best|kind|warm|warmest)[ \t]+)?(?:regards|wishes)|cheers|sincerely(?:[ \t]+yours)?|yours(?:[ \t]+(?:truly|sincerely))?|thanks|thank[ \t]+you|best|cordially)[ \t]*,?[ \t]*(?:\r?\n[ \t]*)?/giu;
// The keyword patterns above are case-insensitive, and under /iu even \p{Lu} matches lower case:
// readName itself insists on a capital.
const LIST_GAP_RE = /^(?:[ \t]*,[ \t\r\n]*(?:and[ \t\r\n]+)?|[ \t\r\n]+and[ \t\r\n]+|[ \t]*&[ \t]*|[ \t]*\r?\n[ \t]*)/;
/** "Sundar Pichai, chief executive of …": a role right after a name and a comma. */
const APPOSITIVE_RE =
  /(?<=[\p{L}.]),[ \t]+(?:(?:the|a|an|its|their)[ \t]+)?(?:(?:former|deputy|senior|acting|interim|vice|chief|managing|executive)[ \t]+)?(?:chief[ \t]+executive|chief[ \t]+financial[ \t]+officer|president|chairman|chairwoman|chair|spokesman|spokeswoman|spokesperson|founder|co-founder|director|minister|governor|secretary|head|leader|professor|economist|analyst|researcher|editor|lawyer|senator|mayor|ceo|cfo|cto)(?![\p{L}])/gu;
const CAPITAL_START_RE = /(?<![\p{L}\p{M}\p{N}'’.-])\p{Lu}\p{Ll}+(?=[ \u00a0]\p{Lu})/gu;

/**
 * Person names found by the rules above, in text order (overlaps allowed; the caller resolves
 * them). `emails` are the spans of the emails in the text, for "Name <email>".
 */
export function findRulePeople(text: string, emails: ReadonlyArray<{ start: number; end: number }>): NameSpan[] {
  const out: NameSpan[] = [];
  const push = (span: NameSpan | null, minWords: number): NameSpan | null => {
    if (!span || span.words < minWords) return null;
    const surface = text.slice(span.start, span.end);
    if (isPlaceLike(surface) || !isCleanNameSpan(text, span.start, span.end)) return null;
    out.push(span);
    return span;
  };
  /** A name, then more names joined by commas, "and", "&" (or line breaks in a list). */
  const readList = (pos: number, lines: boolean): void => {
    for (let n = 0; n < 40; n++) {
      const span = push(readName(text, pos, { wrap: !lines }), 2);
      if (!span) return;
      // Skip the "<email>" or "(email)" after a listed name.
      const bracket = /^[ \t]*[<(][^\s<>()]{1,80}[>)]/.exec(text.slice(span.end, span.end + 110));
      const at = span.end + (bracket ? bracket[0].length : 0);
      const gap = LIST_GAP_RE.exec(text.slice(at, at + 24));
      if (!gap || (!lines && /\n/.test(gap[0]) && !/,|and|&/.test(gap[0]))) return;
      pos = at + gap[0].length;
    }
  };
  for (const m of text.matchAll(CREDIT_RE)) readList(m.index + m[0].length, false);
  for (const m of text.matchAll(LIST_HEADER_RE)) readList(m.index + m[0].length, true);
  for (const m of text.matchAll(COPYRIGHT_RE)) readList(m.index + m[0].length, false);
  for (const m of text.matchAll(YEAR_LINE_RE)) push(readName(text, m.index + m[0].length), 2);
  for (const m of text.matchAll(SIGNATURE_RE)) {
    const span = readName(text, m.index + m[0].length);
    // "Regards,\nMaria" alone on its line is a name too.
    const lineEnds = span !== null && /^[ \t]*(?:\r?\n|$)/.test(text.slice(span.end, span.end + 4));
    const signOff = !m[0].trimStart().startsWith('--');
    push(span, signOff && lineEnds && /\n/.test(m[0]) ? 1 : 2);
  }
  for (const email of emails) {
    const open = text.slice(Math.max(0, email.start - 2), email.start);
    if (!/[<(]$/.test(open)) continue;
    const span = nameBefore(text, email.start - 1);
    push(span, 2);
  }
  for (const m of text.matchAll(APPOSITIVE_RE)) push(nameBefore(text, m.index), 2);
  for (const m of text.matchAll(CAPITAL_START_RE)) {
    if (!GIVEN_NAMES.has(m[0])) continue;
    // "Even Microsoft agreed", "Mark Settings as read": given names that are also common words
    // only start a name inside a sentence.
    if (COMMON_WORD_NAMES.has(m[0]) && atSentenceStart(text, m.index)) continue;
    push(readName(text, m.index), 2);
  }
  return out;
}

function atSentenceStart(text: string, pos: number): boolean {
  let i = pos - 1;
  while (i >= 0 && ' \t()"“”\''.includes(text[i] ?? '')) i--;
  return i < 0 || /[.!?:\n]/.test(text[i] ?? '');
}

/** The name that ends right before `pos` (spaces allowed before `pos`), read backwards over at most five words. */
function nameBefore(text: string, pos: number): NameSpan | null {
  let end = pos;
  while (end > 0 && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
  // Look back at most 120 characters: searching the whole text for the line start would make a
  // text of many emails on one line quadratic.
  const from = Math.max(0, end - 120);
  const window = text.slice(from, end);
  const lineStart = from + window.lastIndexOf('\n') + 1;
  const line = text.slice(lineStart, end);
  // Candidate starts: each word start on the line, nearest first; keep the longest that ends at `end`.
  let best: NameSpan | null = null;
  const starts: number[] = [];
  for (const w of line.matchAll(/(?<![\p{L}\p{M}\p{N}'’.-])[\p{L}]/gu)) starts.push(lineStart + w.index);
  for (let i = starts.length - 1; i >= 0 && i >= starts.length - 7; i--) {
    const span = readName(text, starts[i]!);
    if (span && span.end === end) best = span;
  }
  return best;
}

const AND_NAME_RE = /^(?:,[ \t]*(?:and[ \t]+)?|[ \t]+and[ \t]+|[ \t]*&[ \t]*)/;

/** "Fatima Al-Mansouri and Kwame Mensah": the full name joined to a person by "and" or a comma. */
export function nameAfterList(text: string, end: number): NameSpan | null {
  const gap = AND_NAME_RE.exec(text.slice(end, end + 12));
  if (!gap) return null;
  const span = readName(text, end + gap[0].length);
  if (!span || span.words < 2) return null;
  // "Smith and Acme Corp": the rule for organizations would have stopped it; places too.
  return isPlaceLike(text.slice(span.start, span.end)) || !isCleanNameSpan(text, span.start, span.end) ? null : span;
}

/**
 * Extends a name span found elsewhere (by the tagger) over the name words right after it:
 * "Roland" → "Roland Bauerschmidt", "Ian" → "Ian A. Murdock", "Lula" → "Lula da Silva".
 */
export function extendName(text: string, start: number, end: number): number {
  const span = readName(text, start);
  return span && span.end > end ? span.end : end;
}

/**
 * Extends a name span backwards over at most two name words right before it, on the same line:
 * "Aiko Tanaka" when the tagger found only "Tanaka".
 */
export function extendNameBack(text: string, start: number): number {
  let best = start;
  for (let n = 0; n < 2; n++) {
    if (text[best - 1] !== ' ' || best < 2 || /\s/.test(text[best - 2] ?? ' ')) break;
    let wordStart = best - 1;
    while (wordStart > 0 && /[\p{L}\p{M}'’.-]/u.test(text[wordStart - 1] ?? '')) wordStart--;
    if (best - 1 - wordStart > 40) break;
    const word = text.slice(wordStart, best - 1);
    if (classify(word) !== 'name' || !LOWER_RE.test(word) || /\.$/.test(word)) break;
    if (wordStart > 0 && isWordChar(text[wordStart - 1])) break;
    // A capitalised word opening a sentence is capitalised for that reason alone ("Call Maria
    // Garcia"): only a known given name is taken there.
    if (atSentenceStart(text, wordStart) && !GIVEN_NAMES.has(word)) break;
    best = wordStart;
  }
  return best;
}

/** Street names by their first word: "Rue de Rivoli", "Via Roma", "Avenida Paulista". */
const STREET_RE =
  /(?<![\p{L}\p{N}])(?:Rue|Via|Viale|Corso|Largo|Piazza|Strada|Rua|Avenida|Calle|Camino|Paseo|Plaza|Praça|Boulevard|Chemin|Allee|Allée)[ ](?=\p{Lu}|(?:de|del|della|do|da|des|du|la|le)[ ]\p{Lu})/gu;

export function findStreetNames(text: string): NameSpan[] {
  const out: NameSpan[] = [];
  for (const m of text.matchAll(STREET_RE)) {
    const rest = readName(text, m.index + m[0].length) ?? readParticleName(text, m.index + m[0].length);
    if (rest && isCleanNameSpan(text, m.index, rest.end)) out.push({ start: m.index, end: rest.end, words: rest.words + 1 });
  }
  return out;
}

/** "de Rivoli": a name that starts with a particle (only after a street word). */
function readParticleName(text: string, pos: number): NameSpan | null {
  const particle = /^(?:de|del|della|do|da|des|du|la|le)[ ]/.exec(text.slice(pos, pos + 8));
  if (!particle) return null;
  const span = readName(text, pos + particle[0].length);
  return span && { start: pos, end: span.end, words: span.words };
}

/**
 * Camel-case company names ("OpenAI", "PayPal", "DeepMind"): a capital, two or more lower-case
 * letters, then another capital. Prefixes of surnames (McDonald, MacArthur, DeAndre, LaToya,
 * O'Neil) are not companies.
 */
const CAMEL_RE = /(?<![\p{L}\p{N}_$./-])\p{Lu}\p{Ll}{2,}(?:\p{Lu}+\p{Ll}*)+(?![\p{L}\p{N}_(/-]|\.\p{L})/gu;
const SURNAME_PREFIX_RE = /^(?:Mc|Mac|De|Da|Di|Du|La|Le|Van|Von|Fitz)\p{Lu}/u;

export function findCamelCaseNames(text: string): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  for (const m of text.matchAll(CAMEL_RE)) {
    if (SURNAME_PREFIX_RE.test(m[0]) || m[0].length > 24) continue;
    out.push({ start: m.index, end: m.index + m[0].length });
  }
  return out;
}
