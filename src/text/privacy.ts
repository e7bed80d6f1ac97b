/**
 * Private-data detection and pseudonymization with restore. Pure: detectors are regular
 * expressions with checksums (Luhn for cards, mod-97 for IBANs), libphonenumber-js for phone
 * numbers and the rule-based entity extractor for person names. Each detected value is replaced
 * by a typed placeholder from a Vault (`⟦EMAIL_2⟧`), and `restorePlaceholders` puts the originals
 * back, tolerating the ways models echo placeholders (brackets lost, other brackets, casing).
 *
 * Names are redacted whole and everywhere:
 * - a detected name is extended over the capitalised name tokens next to it on the same line
 *   ("Ian A. Murdock", not "⟦PERSON_1⟧ A. Murdock"); names right before an email address
 *   (`Name <mail>`) and after the years of a copyright line are names too;
 * - every value already in the vault is replaced wherever it appears again, and so is every part
 *   of a known person's name (surname, given name, "Murdock's"), with the same placeholder.
 *   A part is only replaced where it is capitalised. A part that is also a common word ("Even",
 *   "Will", "May", or any word this text also uses in lower case) is replaced only where it is
 *   plausibly the name: next to another part of the same name, or capitalised mid-sentence.
 *
 * Every pattern here runs in linear time: quantifiers are bounded or cannot overlap, long texts
 * reach the entity tagger in bounded pieces, and runs of punctuation or spaces are skipped.
 */
import type { CountryCode } from 'libphonenumber-js';
import { throwIfCancelled } from '../errors.js';
import { phones } from './lazy-deps.js';
import { extractEntities } from './entities.js';
import {
  PLACEHOLDER_CLOSE,
  PLACEHOLDER_OPEN,
  PRIVATE_TYPES,
  personNameParts,
  type PrivateType,
  type Vault,
} from './vault.js';

export { PRIVATE_TYPES, type PrivateType } from './vault.js';

export interface PrivateSpan {
  type: PrivateType;
  start: number;
  end: number;
  /** Exact surface text, `text.slice(start, end)`. */
  value: string;
}

export interface DetectOptions {
  /** Extra values always treated as private (matched case-insensitively on word boundaries). */
  terms?: readonly string[];
  /** Only these types (default: all). */
  types?: readonly PrivateType[];
  /** Country tried first for phone numbers written without a +country prefix (default US). */
  defaultCountry?: string;
  /** Values already in this vault (and parts of its people's names) are found wherever they appear. */
  vault?: Vault;
}

/** When spans overlap, the earlier type in this list wins (then the longer span). */
const PRIORITY: readonly PrivateType[] = [
  'TERM',
  'EMAIL',
  'IBAN',
  'CARD',
  'IP',
  'PHONE',
  'ADDRESS',
  'PERSON',
];

const EMAIL =
  /(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?){0,10}\.[A-Za-z]{2,24}(?![\w-])/g;
const CARD_CANDIDATE = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])/g;
const IBAN_CANDIDATE = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])/g;
const PHONE_CANDIDATE = /\+?\(?\d[\d \t().\-\u00a0/]{5,22}\d(?:\s{0,3}(?:ext\.?|x|#)\s{0,3}\d{1,6})?/g;
const IPV4 =
  /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d]|\.\d)/g;
const IPV6_CANDIDATE =
  /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])/g;
const STREET_WORDS =
  'Street|St\\.?|Avenue|Ave\\.?|Road|Rd\\.?|Boulevard|Blvd\\.?|Lane|Ln\\.?|Drive|Dr\\.?|Court|Ct\\.?|Way|Place|Pl\\.?|Terrace|Parkway|Pkwy\\.?|Square|Sq\\.?|Highway|Hwy\\.?|Circle|Close|Crescent|Loop|Row|Alley|Trail|Plaza|Mews|Walk';
/** "221B Baker Street", "1600 Pennsylvania Avenue NW, Suite 400". */
const ADDRESS_NUMBER_FIRST = new RegExp(
  `(?<![\\w.])\\d{1,6}[A-Za-z]?\\s{1,3}(?:[A-Z][\\p{L}'-]{1,30}\\s{1,3}){1,4}(?:${STREET_WORDS})(?![\\p{L}])(?:\\s{1,3}(?:NW|NE|SW|SE|N|S|E|W)\\b)?(?:,?\\s{1,3}(?:Apt|Apartment|Suite|Unit|Floor)\\.?\\s{0,3}#?[\\w-]{1,12})?`,
  'gu',
);
/** "Hauptstraße 12", "Kirchweg 3a", "Rue de Rivoli 45" style: street name then number. */
const ADDRESS_NAME_FIRST =
  /(?<![\p{L}])[A-ZÄÖÜ][\p{L}-]{0,40}(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|laan|straat|gata|vej|gade)\s{1,3}\d{1,5}[a-z]?(?![\w])/gu;
/** "Via Roma 15", "Rue de Rivoli 10", "Calle Mayor 5", "Piazza San Marco 1": street word first, then the number. */
const ADDRESS_STREET_WORD_FIRST =
  /(?<![\p{L}])(?:Via|Viale|Piazza|Piazzale|Corso|Largo|Vicolo|Rue|Avenue|Boulevard|Quai|Chemin|Allée|Impasse|Calle|Avenida|Paseo|Plaza|Carrer|Rua|Travessa|Praça|Ulica)[ \t]{1,3}(?:(?:de|del|della|dei|degli|di|da|des|du|la|le|les|dos|das|do)[ \t]{1,3}|[ld]['’])?(?:\p{Lu}[\p{L}'’-]{0,30}[ \t]{1,3}){1,4}\d{1,5}[a-zA-Z]?(?![\p{L}\p{N}])/gu;
/** "10 rue de Rivoli", "25, avenue des Champs-Élysées": number first, then a lower-case French or Spanish street word. */
const ADDRESS_NUMBER_FIRST_LATIN =
  /(?<![\p{L}\p{N}.])\d{1,5}(?:[ \t]?(?:bis|ter))?,?[ \t]{1,3}(?:rue|avenue|boulevard|bd|place|quai|chemin|allée|impasse|calle|avenida|via|viale|piazza|corso)[ \t]{1,3}(?:(?:de|del|della|di|des|du|la|le|les)[ \t]{1,3}|[ld]['’])?\p{Lu}[\p{L}'’-]{0,30}(?:[ \t]{1,3}\p{Lu}[\p{L}'’-]{0,30}){0,3}/gu;

function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97 = 1. */
export function ibanValid(iban: string): boolean {
  const s = iban.replace(/ /g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(s)) return false;
  const rearranged = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const v = code >= 65 ? String(code - 55) : ch;
    for (const digit of v) rem = (rem * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

export function cardNumberValid(text: string): boolean {
  const digits = text.replace(/[ -]/g, '');
  return digits.length >= 13 && digits.length <= 19 && !/^(\d)\1+$/.test(digits) && luhnValid(digits);
}

function ipv6Valid(s: string): boolean {
  if (s.split('::').length > 2) return false;
  let body = s;
  let v4Groups = 0;
  const v4 = /(?:\d{1,3}\.){3}\d{1,3}$/.exec(body);
  if (v4) {
    if (!v4[0].split('.').every((p) => Number(p) <= 255)) return false;
    body = body.slice(0, v4.index) + '0:0';
    v4Groups = 2;
  }
  const hasGap = body.includes('::');
  const groups = body
    .split(':')
    .filter((g, i, all) => !(g === '' && (hasGap || i === 0 || i === all.length - 1)));
  if (!groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  if (!/[0-9A-Fa-f]/.test(s) && v4Groups === 0) return false;
  return hasGap ? groups.length < 8 : groups.length === 8;
}

function* matches(re: RegExp, text: string): Generator<RegExpExecArray> {
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    yield m;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Pieces handed to the entity tagger: its cost grows faster than linearly with piece length on some inputs. */
const TAGGER_PIECE_CHARS = 4000;
/** A run of this many characters without a letter or digit separates pieces (and is never tagged). */
const JUNK_RUN = /[^\p{L}\p{N}]{16,}/gu;
const HAS_NAME_SHAPE = /\p{Lu}\p{Ll}/u;

/**
 * [start, end) pieces of text for the entity tagger: split at long runs of spaces or punctuation,
 * then cut to at most TAGGER_PIECE_CHARS at a line break or space. Pieces without a capitalised
 * word are left out: a name needs one.
 */
export function taggerPieces(text: string, maxChars = TAGGER_PIECE_CHARS): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const push = (from: number, to: number): void => {
    let at = from;
    while (at < to) {
      let end = Math.min(to, at + maxChars);
      if (end < to) {
        // Prefer a line break, then a space, in the last quarter of the piece.
        // (Scanned by hand down to the floor only: lastIndexOf would run on to the start of the text.)
        const floor = at + Math.floor(maxChars * 0.75);
        let newline = -1;
        let space = -1;
        for (let i = end - 1; i >= floor && newline < 0; i--) {
          const c = text.charCodeAt(i);
          if (c === 10) newline = i;
          else if (c === 32 && space < 0) space = i;
        }
        const cut = newline >= 0 ? newline : space;
        if (cut >= 0) end = cut + 1;
      }
      if (HAS_NAME_SHAPE.test(text.slice(at, end))) out.push([at, end]);
      at = end;
    }
  };
  let from = 0;
  for (const m of matches(JUNK_RUN, text)) {
    push(from, m.index);
    from = m.index + m[0].length;
  }
  push(from, text.length);
  return out;
}

/** Capitalised words that are not names, so never taken into a name by extension or context rules. */
const NOT_NAME_WORDS = new Set(
  (
    'The A An And Or Of In On At To For By With From Via Per Not No But If As Is It This That These Those ' +
    'Copyright Copyrights License Licensed Files File Upstream Contact Source Comment Format Debian Ubuntu GNU Linux ' +
    'Inc Ltd Llc Gmbh Corp Co Company Corporation Foundation Association Project Team Group University Institute ' +
    'Software Systems Technologies Technology Labs Laboratories Contributors Authors Developers Maintainers Others ' +
    'Free Public General Lesser Library Version Street Avenue Road Lane Drive Boulevard ' +
    'Mr Mrs Ms Miss Dr Prof Sir Dear Hi Hello Thanks Regards Best Sincerely Yours Cheers ' +
    'Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March July ' +
    'September October November December Written Originally Modified Maintained Packaged Portions Parts ' +
    'All Rights Reserved PD Public Domain See Also Note Notes Email Phone Tel Fax Mobile Address Question Context'
  )
    .toLowerCase()
    .split(/\s+/),
);
/** Particles that may sit between name tokens ("Ludwig van Beethoven", "Maria da Silva"). */
const NAME_PARTICLES = new Set(['da', 'de', 'del', 'della', 'der', 'di', 'dos', 'du', 'la', 'le', 'van', 'von', 'ter', 'ten']);
/**
 * Given names that are also common words: replaced alone only where plausibly the name (see the
 * module comment). Any word the text also uses in lower case is treated the same way.
 */
const COMMON_WORD_NAMES = new Set(
  (
    'even will may june april august mark bill grant hope faith joy rose guy art sky summer page long young ' +
    'brown white black green gran rich frank earl dean chance drew gene ray sue pat max miles grace buck ' +
    'bishop cook baker king hunter major lane ward wells ' +
    'case field hill park price rice stone wood'
  ).split(/\s+/),
);

/** "Murdock", "O'Brien", "Jean-Baka", "McDonald": capitalised, ends in a lower-case letter. */
function isNameToken(word: string): boolean {
  return /^\p{Lu}[\p{L}\p{M}'’-]{0,40}\p{Ll}$/u.test(word) && !NOT_NAME_WORDS.has(word.toLowerCase());
}
/** A surname in capitals ("Tomohiro KUBOTA"): only taken next to a proper name token. */
function isCapsSurname(word: string): boolean {
  return /^\p{Lu}{3,20}$/u.test(word) && !NOT_NAME_WORDS.has(word.toLowerCase());
}
function isInitial(word: string): boolean {
  return /^\p{Lu}\.$/u.test(word);
}

/** The word ending right before `pos` on the same line (one space or tab between), or undefined. */
function wordBefore(text: string, pos: number): { start: number; word: string } | undefined {
  let i = pos;
  let gap = 0;
  while (i > 0 && (text[i - 1] === ' ' || text[i - 1] === '\t') && gap < 2) {
    i--;
    gap++;
  }
  if (gap === 0 || gap > 1) return undefined;
  let start = i;
  while (start > 0 && start > i - 40 && /[\p{L}\p{M}'’.-]/u.test(text[start - 1] as string)) start--;
  if (start === i) return undefined;
  return { start, word: text.slice(start, i) };
}

/** The word starting right after `pos` on the same line (one space or tab between), or undefined. */
function wordAfter(text: string, pos: number): { end: number; word: string } | undefined {
  let i = pos;
  let gap = 0;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t') && gap < 2) {
    i++;
    gap++;
  }
  if (gap !== 1) return undefined;
  let end = i;
  while (end < text.length && end < i + 40 && /[\p{L}\p{M}'’-]/u.test(text[end] as string)) end++;
  // An initial keeps its dot ("A."); a sentence-ending dot after a word does not belong to the name.
  if (end === i + 1 && text[end] === '.') end++;
  // A possessive is not part of the name ("Murdock's").
  if (end - i > 3 && /['’]s$/.test(text.slice(end - 2, end))) end -= 2;
  if (end === i) return undefined;
  return { end, word: text.slice(i, end) };
}

/** Extend a name span over neighbouring name tokens on the same line ("Ian" + " A. Murdock"). */
function extendName(text: string, start: number, end: number): [number, number] {
  let e = end;
  for (let k = 0; k < 3; k++) {
    const next = wordAfter(text, e);
    if (!next) break;
    if (isNameToken(next.word) || isInitial(next.word)) {
      e = next.end;
      continue;
    }
    // A particle only counts with a name token after it.
    const after = NAME_PARTICLES.has(next.word) ? wordAfter(text, next.end) : undefined;
    if (after && isNameToken(after.word)) {
      e = after.end;
      k++;
      continue;
    }
    break;
  }
  let s = start;
  for (let k = 0; k < 2; k++) {
    const prev = wordBefore(text, s);
    if (!prev || !(isNameToken(prev.word) || isInitial(prev.word))) break;
    // The first word of a sentence is capitalised anyway: do not take it into the name.
    if (atSentenceStart(text, prev.start)) break;
    s = prev.start;
  }
  return [s, e];
}

/** True when the word at `pos` opens a sentence or a line (so its capital says nothing). */
function atSentenceStart(text: string, pos: number): boolean {
  let i = pos - 1;
  let steps = 0;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t' || text[i] === '"' || text[i] === '“' || text[i] === '(') && steps < 8) {
    i--;
    steps++;
  }
  if (i < 0) return true;
  const c = text[i] as string;
  return c === '\n' || c === '.' || c === '!' || c === '?' || c === ':' || c === '>' || c === '*' || c === '-';
}

/** Two to four name tokens read forward from `pos` on one line, or undefined. */
function nameForward(text: string, pos: number): [number, number] | undefined {
  let end = pos;
  while (end < text.length && end < pos + 40 && /[\p{L}\p{M}'’-]/u.test(text[end] as string)) end++;
  if (!isNameToken(text.slice(pos, end))) return undefined;
  let tokens = 1;
  while (tokens < 4) {
    const next = wordAfter(text, end);
    if (!next || !(isNameToken(next.word) || isCapsSurname(next.word) || isInitial(next.word) || NAME_PARTICLES.has(next.word)))
      break;
    if (NAME_PARTICLES.has(next.word)) {
      const after = wordAfter(text, next.end);
      if (!after || !isNameToken(after.word)) break;
      end = after.end;
    } else end = next.end;
    tokens++;
  }
  if (tokens < 2) return undefined;
  if (text[end - 1] === '.') end--;
  return [pos, end];
}

/** Two to four name tokens read backward, ending at `pos` (before "<mail>" or "(mail)"). */
function nameBackward(text: string, pos: number): [number, number] | undefined {
  let start = pos;
  let tokens = 0;
  let hadName = false;
  while (tokens < 4) {
    const prev = tokens === 0 ? wordEndingAt(text, start) : wordBefore(text, start);
    if (!prev) break;
    if (isNameToken(prev.word)) hadName = true;
    else if (!isInitial(prev.word) && !NAME_PARTICLES.has(prev.word) && !isCapsSurname(prev.word)) break;
    start = prev.start;
    tokens++;
  }
  // Skip a leading particle or initial-only run.
  if (tokens < 2 || !hadName) return undefined;
  while (start < pos && !/\p{Lu}/u.test(text[start] as string)) {
    const sp = text.indexOf(' ', start);
    if (sp < 0 || sp >= pos) return undefined;
    start = sp + 1;
  }
  return [start, pos];
}

function wordEndingAt(text: string, pos: number): { start: number; word: string } | undefined {
  let start = pos;
  while (start > 0 && start > pos - 40 && /[\p{L}\p{M}'’.-]/u.test(text[start - 1] as string)) start--;
  return start === pos ? undefined : { start, word: text.slice(start, pos) };
}

/** Copyright holders: "Copyright 2002, 2003 Colin Watson", DEP-5 continuation lines "  1995 Ian Murdock". */
const COPYRIGHT_YEARS =
  /(?:^|\n)[ \t]{0,40}(?:Copyright:?[ \t]{1,8})?(?:(?:Copyright|\([Cc]\)|©)[ \t]{1,8})?(?:\d{4}(?:[ \t]{0,3}[-–,][ \t]{0,3}\d{4}){0,30},?[ \t]{1,8})(?:by[ \t]{1,3})?/g;

/** Debian changelog section headers: "  [ Colin Watson ]". */
const CHANGELOG_HEADER = /(?:^|\n)[ \t]{0,8}\[[ \t]{1,3}(?=\p{Lu})/gu;
/** Credit phrases: "thanks, Helge Kreutzmann", "by request of Billy Olsen", "patch from Yue Tao". */
const CREDIT_PHRASE =
  /(?<![\p{L}])(?:thanks,?|thanks to|thank you,?|reported by|requested by|request of|suggested by|written by|contributed by|patch(?:es)? (?:by|from)|work by|signed-off-by:|reviewed-by:|co-authored-by:)[ \t]{1,3}(?=\p{Lu})/giu;

/** Names known from context rather than from the tagger: before an email address, after copyright years, in changelog headers and credits. */
function contextNames(text: string, emails: readonly PrivateSpan[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const e of emails) {
    let i = e.start;
    if (text[i - 1] === '<' || text[i - 1] === '(' || text[i - 1] === '[') i--;
    let j = i;
    while (j > 0 && i - j < 3 && (text[j - 1] === ' ' || text[j - 1] === '\t')) j--;
    if (j === i && i === e.start) continue;
    const name = nameBackward(text, j);
    if (name) out.push(name);
  }
  for (const re of [COPYRIGHT_YEARS, CHANGELOG_HEADER, CREDIT_PHRASE]) {
    for (const m of matches(re, text)) {
      const name = nameForward(text, m.index + m[0].length);
      if (name) out.push(name);
    }
  }
  return out;
}

const PLACEHOLDER_SPAN = new RegExp(`${PLACEHOLDER_OPEN}[A-Z]{2,8}_\\d{1,9}${PLACEHOLDER_CLOSE}`, 'g');

/** Countries to try for national phone numbers: the default, those the text hints at, then a small common set. */
const COMMON_PHONE_REGIONS: readonly CountryCode[] = ['US', 'GB', 'DE', 'FR', 'IN'];
const COUNTRY_WORDS: ReadonlyArray<[RegExp, CountryCode]> = [
  [/\b(?:United Kingdom|UK|England|Scotland|Wales|London|Manchester|Edinburgh|British)\b/, 'GB'],
  [/\b(?:Germany|Deutschland|Berlin|München|Munich|Hamburg|German)\b/, 'DE'],
  [/\b(?:France|Paris|Lyon|Marseille|French)\b/, 'FR'],
  [/\b(?:India|Mumbai|Delhi|Bangalore|Bengaluru|Chennai|Indian)\b/, 'IN'],
  [/\b(?:Italy|Italia|Roma|Rome|Milano|Milan|Italian)\b/, 'IT'],
  [/\b(?:Spain|España|Madrid|Barcelona|Spanish)\b/, 'ES'],
  [/\b(?:Netherlands|Nederland|Amsterdam|Rotterdam|Dutch)\b/, 'NL'],
  [/\b(?:Switzerland|Schweiz|Suisse|Zürich|Zurich|Geneva|Genève)\b/, 'CH'],
  [/\b(?:Austria|Österreich|Wien|Vienna)\b/, 'AT'],
  [/\b(?:Belgium|Belgique|België|Brussels|Bruxelles)\b/, 'BE'],
  [/\b(?:Ireland|Dublin|Irish)\b/, 'IE'],
  [/\b(?:Canada|Toronto|Montreal|Montréal|Vancouver)\b/, 'CA'],
  [/\b(?:Australia|Sydney|Melbourne)\b/, 'AU'],
  [/\b(?:Brazil|Brasil|São Paulo|Rio de Janeiro)\b/, 'BR'],
  [/\b(?:Japan|Tokyo|Osaka)\b/, 'JP'],
  [/\b(?:Sweden|Sverige|Stockholm)\b/, 'SE'],
  [/\b(?:Norway|Norge|Oslo)\b/, 'NO'],
  [/\b(?:Denmark|Danmark|Copenhagen|København)\b/, 'DK'],
  [/\b(?:Poland|Polska|Warsaw|Warszawa)\b/, 'PL'],
  [/\b(?:Portugal|Lisbon|Lisboa)\b/, 'PT'],
];
const CURRENCY_REGIONS: ReadonlyArray<[string, CountryCode[]]> = [
  ['£', ['GB']],
  ['€', ['DE', 'FR', 'IT', 'ES', 'NL']],
  ['₹', ['IN']],
  ['¥', ['JP']],
  ['R$', ['BR']],
];
const TLD = /[.@][a-z0-9-]{1,63}\.([a-z]{2})(?![\p{L}\p{N}])/gu;
const PLUS_CODE = /\+(\d{1,3})[\s(.-]/g;
let callingCodes: Map<string, CountryCode[]> | undefined;

function countriesForCallingCode(code: string): CountryCode[] {
  if (!callingCodes) {
    callingCodes = new Map();
    for (const c of phones().getCountries()) {
      const k = phones().getCountryCallingCode(c);
      const list = callingCodes.get(k) ?? [];
      list.push(c);
      callingCodes.set(k, list);
    }
  }
  // The first listed country of a shared code is its main one in libphonenumber's metadata (US for 1, GB for 44).
  const list = callingCodes.get(code) ?? [];
  const main: Record<string, CountryCode> = { '1': 'US', '44': 'GB', '7': 'RU', '39': 'IT', '33': 'FR', '61': 'AU' };
  const first = main[code];
  return first ? [first, ...list.filter((c) => c !== first)].slice(0, 2) : list.slice(0, 2);
}

/** The regions to try for national numbers in this text, most likely first. */
export function phoneRegionsFor(text: string, defaultCountry = 'US'): CountryCode[] {
  const votes = new Map<CountryCode, number>();
  const vote = (c: CountryCode, n = 1): void => {
    votes.set(c, (votes.get(c) ?? 0) + n);
  };
  // Hints are looked for in a bounded sample so long texts cost the same per byte.
  const sample = text.length > 200_000 ? text.slice(0, 100_000) + text.slice(-100_000) : text;
  for (const [re, c] of COUNTRY_WORDS) if (re.test(sample)) vote(c, 2);
  for (const [sign, cs] of CURRENCY_REGIONS) if (sample.includes(sign)) for (const c of cs) vote(c);
  const known = new Set<string>(phones().getCountries());
  for (const m of matches(TLD, sample.toLowerCase())) {
    const tld = (m[1] as string).toUpperCase();
    const c = tld === 'UK' ? 'GB' : tld;
    if (known.has(c)) vote(c as CountryCode, 2);
  }
  for (const m of matches(PLUS_CODE, sample)) for (const c of countriesForCallingCode(m[1] as string)) vote(c, 3);
  const inferred = [...votes.entries()].sort((a, b) => b[1] - a[1]).map(([c]) => c);
  const first = defaultCountry.toUpperCase() as CountryCode;
  return [...new Set<CountryCode>([first, ...inferred.slice(0, 6), ...COMMON_PHONE_REGIONS])];
}

function singleDigitGroups(s: string): number {
  let groups = 0;
  let run = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0;
    if (c >= 48 && c <= 57) run++;
    else {
      if (run === 1) groups++;
      run = 0;
    }
  }
  return groups;
}

/** North American 3-3-4 with separators ("555-867-5309", "(415) 555-0132") and 555 local numbers ("555-0132"). */
const NANP_SHAPE = /^(?:\(\d{3}\)[ \t]?|\d{3}[-.])\d{3}[-.]\d{4}$|^555[-.]\d{4}$/;

interface KnownValue {
  type: PrivateType;
  value: string;
  /** Offset of the first letter or digit inside value. */
  lead: number;
  /** A single-token part of a person's name: replaced under the name-part rule. */
  part?: { given: boolean; person: string };
}

const WORD = /[\p{L}\p{N}]+/gu;

/** Index of values to find by their first word: vault values and the parts of known people's names. */
function knownValueIndex(vault: Vault | undefined, people: readonly string[]): Map<string, KnownValue[]> {
  const index = new Map<string, KnownValue[]>();
  const seen = new Set<string>();
  const add = (k: KnownValue): void => {
    const key = `${k.type}\u0000${k.value}`;
    if (seen.has(key)) return;
    WORD.lastIndex = 0;
    const first = WORD.exec(k.value);
    if (!first) return;
    seen.add(key);
    const list = index.get(first[0]) ?? [];
    list.push({ ...k, lead: first.index });
    index.set(first[0], list);
  };
  const partOwner = new Map<string, string | null>();
  const notePerson = (name: string): void => {
    personNameParts(name).forEach((part, i) => {
      const owner = partOwner.get(part);
      if (owner === undefined) partOwner.set(part, i === 0 ? `given\u0000${name}` : `last\u0000${name}`);
      else if (owner !== null && owner.split('\u0000')[1] !== name) partOwner.set(part, null);
    });
  };
  for (const v of vault?.knownValues() ?? []) {
    if (v.value.trim().length < 2) continue;
    // A one-word name in the vault ("Will") is matched under the same rule as a given name.
    const oneWord = v.type === 'PERSON' && !/\s/.test(v.value.trim());
    add({ type: v.type, value: v.value, lead: 0, ...(oneWord ? { part: { given: true, person: v.value } } : {}) });
  }
  for (const name of people) {
    if (personNameParts(name).length >= 2) {
      add({ type: 'PERSON', value: name, lead: 0 });
      notePerson(name);
    }
  }
  for (const part of vault?.knownNameParts() ?? []) {
    const p = vault?.namePart(part);
    if (p && !partOwner.has(part)) partOwner.set(part, `${p.given ? 'given' : 'last'}\u0000${p.entry.value}`);
  }
  for (const [part, owner] of partOwner) {
    // A part two people share still gets redacted, under the stricter given-name rule.
    const [role, person] = owner === null ? ['given', ''] : (owner.split('\u0000') as [string, string]);
    add({ type: 'PERSON', value: part, lead: 0, part: { given: role === 'given', person } });
  }
  // Longest first, so "Ian A. Murdock" wins over "Ian".
  for (const list of index.values()) list.sort((a, b) => b.value.length - a.value.length);
  return index;
}

/** Every occurrence of a known value (vault values, known people and their name parts). */
function findKnownValues(text: string, index: Map<string, KnownValue[]>): PrivateSpan[] {
  if (index.size === 0) return [];
  const out: PrivateSpan[] = [];
  const pendingParts: Array<{ span: PrivateSpan; k: KnownValue }> = [];
  const lowerWords = new Set<string>();
  for (const m of matches(WORD, text)) {
    const word = m[0];
    // A lower-case word counts as prose only outside addresses and identifiers ("gorbanev@…", "x.org").
    if (word.charCodeAt(0) >= 97 && word.charCodeAt(0) <= 122 && isProseWord(text, m.index, m.index + word.length))
      lowerWords.add(word);
    const candidates = index.get(word);
    if (!candidates) continue;
    for (const k of candidates) {
      const start = m.index - k.lead;
      if (start < 0 || !text.startsWith(k.value, start)) continue;
      const end = start + k.value.length;
      const after = text.charCodeAt(end);
      if (end < text.length && /[\p{L}\p{N}]/u.test(String.fromCharCode(after))) continue;
      if (start > 0 && /[\p{L}\p{N}]/u.test(text[start - 1] as string) && k.lead === 0) continue;
      const span: PrivateSpan = { type: k.type, start, end, value: k.value };
      if (k.part) pendingParts.push({ span, k });
      else out.push(span);
      break;
    }
  }
  for (const { span, k } of pendingParts) {
    const lower = k.value.toLowerCase();
    const commonWord = COMMON_WORD_NAMES.has(lower) || lowerWords.has(lower);
    if (commonWord && !plausiblyTheName(text, span, k.part?.person ?? '')) continue;
    out.push(span);
  }
  return out;
}

function isProseWord(text: string, start: number, end: number): boolean {
  const before = start > 0 ? (text[start - 1] as string) : ' ';
  const after = end < text.length ? (text[end] as string) : ' ';
  return !'@._/-+:'.includes(before) && !'@._/-+'.includes(after);
}

/** A part that is also a common word: next to another part of the same name, or capitalised mid-sentence. */
function plausiblyTheName(text: string, span: PrivateSpan, person: string): boolean {
  const others = new Set(personNameParts(person).filter((p) => p !== span.value));
  const next = wordAfter(text, span.end);
  const prev = wordBefore(text, span.start);
  if ((next && others.has(next.word)) || (prev && others.has(prev.word))) return true;
  return !atSentenceStart(text, span.start);
}

/** Every private value found, overlaps resolved by type priority then length, in text order. */
export function detectPrivateData(text: string, options: DetectOptions = {}): PrivateSpan[] {
  const wanted = new Set<PrivateType>(options.types ?? PRIVATE_TYPES);
  const found: PrivateSpan[] = [];
  const add = (type: PrivateType, start: number, end: number): void => {
    if (end > start) found.push({ type, start, end, value: text.slice(start, end) });
  };

  if (wanted.has('TERM')) {
    for (const term of options.terms ?? []) {
      const t = term.trim();
      if (!t) continue;
      const re = new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRegExp(t)}(?![\\p{L}\\p{N}_])`, 'giu');
      for (const m of matches(re, text)) add('TERM', m.index, m.index + m[0].length);
    }
  }
  const emails: PrivateSpan[] = [];
  for (const m of matches(EMAIL, text)) emails.push({ type: 'EMAIL', start: m.index, end: m.index + m[0].length, value: m[0] });
  if (wanted.has('EMAIL')) found.push(...emails);
  if (wanted.has('IBAN')) {
    for (const m of matches(IBAN_CANDIDATE, text)) {
      // The candidate may have swallowed a following upper-case word; shrink until the checksum holds.
      let candidate = m[0];
      while (candidate.replace(/ /g, '').length >= 15 && !ibanValid(candidate))
        candidate = candidate.slice(0, -1).trimEnd();
      if (ibanValid(candidate)) add('IBAN', m.index, m.index + candidate.length);
    }
  }
  if (wanted.has('CARD')) {
    for (const m of matches(CARD_CANDIDATE, text))
      if (cardNumberValid(m[0])) add('CARD', m.index, m.index + m[0].length);
  }
  if (wanted.has('IP')) {
    for (const m of matches(IPV4, text)) add('IP', m.index, m.index + m[0].length);
    for (const m of matches(IPV6_CANDIDATE, text))
      if (ipv6Valid(m[0])) add('IP', m.index, m.index + m[0].length);
  }
  if (wanted.has('PHONE')) {
    let regions: CountryCode[] | undefined;
    const defaultRegion = (options.defaultCountry ?? 'US').toUpperCase() as CountryCode;
    // libphonenumber's scan is slow over long prose: hand it only the digit runs that could be numbers.
    // its per-call cost is high, so candidates are parsed directly and only ambiguous ones scanned.
    for (const m of matches(PHONE_CANDIDATE, text)) {
      const candidate = m[0].replace(/[\s(.\-/]{1,30}$/, '');
      const digits = candidate.replace(/\D/g, '').length;
      if (digits < 7 || digits > 15) continue;
      // Phone numbers group their digits; "1.2.3.4.5.6.7" or "1 2 3 4 5 6 7" is not one.
      if (singleDigitGroups(candidate) > 2) continue;
      if (NANP_SHAPE.test(candidate)) {
        add('PHONE', m.index, m.index + candidate.length);
        continue;
      }
      if (candidate.startsWith('+')) {
        if (phones().parsePhoneNumberFromString(candidate)?.isValid()) add('PHONE', m.index, m.index + candidate.length);
        continue;
      }
      regions ??= phoneRegionsFor(text, defaultRegion);
      // Other countries' national formats need a trunk 0 or a full-length number to count, and
      // group digits in twos or more (an ISBN's "978-3-16-…" is not a phone number).
      const national = (/^\(?0/.test(candidate) || digits >= 10) && !/(?:^|\D)\d(?!\d)/.test(candidate);
      const region = regions.find(
        (r, i) => (i === 0 || national) && phones().parsePhoneNumberFromString(candidate, r)?.isValid() === true,
      );
      if (region) {
        add('PHONE', m.index, m.index + candidate.length);
        continue;
      }
      if (digits < 10 || digits > 12) continue;
      const from = Math.max(0, m.index - 2);
      const window = text.slice(from, m.index + m[0].length + 2);
      for (const p of phones().findPhoneNumbersInText(window, defaultRegion))
        add('PHONE', from + p.startsAt, from + p.endsAt);
    }
  }
  if (wanted.has('ADDRESS')) {
    for (const re of [ADDRESS_NUMBER_FIRST, ADDRESS_NAME_FIRST, ADDRESS_STREET_WORD_FIRST, ADDRESS_NUMBER_FIRST_LATIN])
      for (const m of matches(re, text)) add('ADDRESS', m.index, m.index + m[0].length);
  }
  const people: string[] = [];
  if (wanted.has('PERSON')) {
    const spans: Array<[number, number]> = [];
    for (const [from, to] of taggerPieces(text)) {
      const piece = text.slice(from, to);
      const tagged = extractEntities(piece, { types: ['person'], merge: true }).entities.person ?? [];
      for (const person of tagged) {
        for (const o of person.occurrences) {
          const surface = piece.slice(o.start, o.end);
          // Guard against tagger noise: a name has an upper-case letter and no digits.
          if (/\p{Lu}/u.test(surface) && !/\d/.test(surface) && surface.trim().length >= 2)
            spans.push([from + o.start, from + o.end]);
        }
      }
    }
    spans.push(...contextNames(text, emails));
    for (const [s0, e0] of spans) {
      const [s, e] = extendName(text, s0, e0);
      add('PERSON', s, e);
      people.push(text.slice(s, e));
    }
  }
  // Values known from the vault, and every part of a name found here or in the vault, wherever they appear.
  const known = findKnownValues(
    text,
    knownValueIndex(options.vault, wanted.has('PERSON') ? people : []),
  );
  for (const k of known) if (wanted.has(k.type)) found.push(k);

  // Placeholders already in the text are never touched.
  const reserved: PrivateSpan[] = [];
  for (const m of matches(PLACEHOLDER_SPAN, text))
    reserved.push({ type: 'TERM', start: m.index, end: m.index + m[0].length, value: '' });

  const rank = (t: PrivateType): number => PRIORITY.indexOf(t);
  found.sort(
    (a, b) => rank(a.type) - rank(b.type) || b.end - b.start - (a.end - a.start) || a.start - b.start,
  );
  // One byte per character marks what is taken: linear in the text and the spans, whatever their order.
  const taken = new Uint8Array(text.length);
  for (const r of reserved) taken.fill(1, r.start, r.end);
  const accepted: PrivateSpan[] = [];
  for (const span of found) {
    let free = true;
    for (let i = span.start; i < span.end; i++)
      if (taken[i] === 1) {
        free = false;
        break;
      }
    if (!free) continue;
    accepted.push(span);
    taken.fill(1, span.start, span.end);
  }
  return accepted.sort((a, b) => a.start - b.start);
}

export interface PseudonymizeResult {
  text: string;
  /** Occurrences replaced, per type (never the values). */
  counts: Partial<Record<PrivateType, number>>;
  replaced: number;
}

export interface PseudonymizeOptions extends DetectOptions {
  signal?: AbortSignal;
}

/** Replace every private value with its vault placeholder. */
export function pseudonymize(
  text: string,
  vault: Vault,
  options: PseudonymizeOptions = {},
): PseudonymizeResult {
  throwIfCancelled(options.signal);
  const spans = detectPrivateData(text, { ...options, vault });
  // Full names first, so that a surname seen before its full name gets the person's placeholder.
  for (const s of spans) if (s.type === 'PERSON' && personNameParts(s.value).length >= 2) vault.placeholderFor(s.type, s.value);
  const parts: string[] = [];
  const counts: Partial<Record<PrivateType, number>> = {};
  let at = 0;
  for (const s of spans) {
    parts.push(text.slice(at, s.start), vault.placeholderFor(s.type, s.value));
    counts[s.type] = (counts[s.type] ?? 0) + 1;
    at = s.end;
  }
  parts.push(text.slice(at));
  return { text: parts.join(''), counts, replaced: spans.length };
}

export function addCounts(
  into: Partial<Record<PrivateType, number>>,
  more: Partial<Record<PrivateType, number>>,
): void {
  for (const [type, n] of Object.entries(more) as Array<[PrivateType, number]>)
    into[type] = (into[type] ?? 0) + n;
}

const TYPE_ALTERNATION = PRIVATE_TYPES.join('|');
/**
 * A placeholder as models echo it: `⟦PERSON_1⟧`, `PERSON_1`, `[PERSON_1]`, `[[person_1]]`,
 * `⟦ PERSON-1 ⟧`, `PERSON 1` inside brackets. Groups: 1 opening bracket, 2 type, 3 number, 4 closing bracket.
 */
const PLACEHOLDER_ECHO = new RegExp(
  `(${PLACEHOLDER_OPEN}\\s*|\\[\\[?\\s*)?(?<![\\p{L}\\p{N}_])(${TYPE_ALTERNATION})([_-]|\\s)(\\d+)(?!\\p{N})(\\s*${PLACEHOLDER_CLOSE}|\\s*\\]\\]?)?`,
  'giu',
);

export interface RestoreResult {
  text: string;
  /** Placeholders put back. */
  restored: number;
  /** Placeholder-looking tokens this vault does not know (left as they were). */
  unknown: string[];
}

/** Put the original values back wherever a placeholder of this vault appears. */
export function restorePlaceholders(text: string, vault: Vault): RestoreResult {
  let restored = 0;
  const unknown = new Set<string>();
  const out = text.replace(
    PLACEHOLDER_ECHO,
    (
      whole: string,
      open: string | undefined,
      type: string,
      sep: string,
      num: string,
      close: string | undefined,
    ) => {
      // "Person 1" in prose is not a placeholder; only inside brackets does a space stand for "_".
      if (/\s/.test(sep) && open === undefined) return whole;
      const value = vault.lookup(type, Number(num));
      if (value === undefined) {
        unknown.add(`${type.toUpperCase()}_${num}`);
        return whole;
      }
      restored++;
      const openFancy = open?.startsWith(PLACEHOLDER_OPEN) ?? false;
      const closeFancy = close?.trimStart().startsWith(PLACEHOLDER_CLOSE) ?? false;
      const openSquare = open !== undefined && !openFancy;
      const closeSquare = close !== undefined && !closeFancy;
      // ⟦ ⟧ are ours and always dropped; square brackets only when they wrap the placeholder on both sides.
      const keepOpen = openSquare && !closeSquare ? open : '';
      const keepClose = closeSquare && !openSquare ? close : '';
      return `${keepOpen}${value}${keepClose}`;
    },
  );
  return { text: out, restored, unknown: [...unknown] };
}

export interface OutgoingCheck {
  /** Detectors run over the outgoing text. */
  detectors: PrivateType[];
  /** Values (and name parts) from the vault looked for. */
  vaultValuesChecked: number;
  /** Private values still present, per type (never the values). */
  hits: Partial<Record<PrivateType, number>>;
  /** How many of those hits were values already in the vault. */
  vaultHits: number;
}

/**
 * The last look at a request before it leaves the machine: every detector once more, plus every
 * value the vault holds (and every part of its people's names). Placeholders are skipped.
 */
export function checkOutgoing(text: string, options: DetectOptions = {}): OutgoingCheck {
  const vault = options.vault;
  const known = new Set((vault?.knownValues() ?? []).map((v) => `${v.type}\u0000${v.value}`));
  const parts = new Set(vault?.knownNameParts() ?? []);
  const spans = detectPrivateData(text, options);
  const hits: Partial<Record<PrivateType, number>> = {};
  let vaultHits = 0;
  for (const s of spans) {
    hits[s.type] = (hits[s.type] ?? 0) + 1;
    if (known.has(`${s.type}\u0000${s.value}`) || (s.type === 'PERSON' && parts.has(s.value))) vaultHits++;
  }
  return {
    detectors: [...(options.types ?? PRIVATE_TYPES)],
    vaultValuesChecked: known.size + parts.size,
    hits,
    vaultHits,
  };
}

/** Placeholders per type in a text (what a request carries instead of the values). */
export function countPlaceholdersByType(text: string): Partial<Record<PrivateType, number>> {
  const counts: Partial<Record<PrivateType, number>> = {};
  for (const m of matches(PLACEHOLDER_SPAN, text)) {
    const type = m[0].slice(1, m[0].lastIndexOf('_')) as PrivateType;
    if ((PRIVATE_TYPES as readonly string[]).includes(type)) counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}
