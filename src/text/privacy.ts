/**
 * Private-data detection and pseudonymization with restore. Pure: detectors are regular
 * expressions with checksums (Luhn for cards, mod-97 for IBANs), libphonenumber-js for phone
 * numbers and the rule-based entity extractor for person names. Each detected value is replaced
 * by a typed placeholder from a Vault (`⟦EMAIL_2⟧`), and `restorePlaceholders` puts the originals
 * back, tolerating the ways models echo placeholders (brackets lost, other brackets, casing).
 */
import { findPhoneNumbersInText, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { throwIfCancelled } from '../errors.js';
import { extractEntities } from './entities.js';
import { PLACEHOLDER_CLOSE, PLACEHOLDER_OPEN, PRIVATE_TYPES, type PrivateType, type Vault } from './vault.js';

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
  /** Country used for phone numbers written without a +country prefix (default US). */
  defaultCountry?: string;
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
  /(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-])/g;
const CARD_CANDIDATE = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])/g;
const IBAN_CANDIDATE = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])/g;
const PHONE_CANDIDATE = /\+?\(?\d[\d \t().\-\u00a0/]{5,22}\d(?:\s*(?:ext\.?|x|#)\s*\d{1,6})?/g;
const IPV4 =
  /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d]|\.\d)/g;
const IPV6_CANDIDATE =
  /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])/g;
const STREET_WORDS =
  'Street|St\\.?|Avenue|Ave\\.?|Road|Rd\\.?|Boulevard|Blvd\\.?|Lane|Ln\\.?|Drive|Dr\\.?|Court|Ct\\.?|Way|Place|Pl\\.?|Terrace|Parkway|Pkwy\\.?|Square|Sq\\.?|Highway|Hwy\\.?|Circle|Close|Crescent';
/** "221B Baker Street", "1600 Pennsylvania Avenue NW, Suite 400". */
const ADDRESS_NUMBER_FIRST = new RegExp(
  `(?<![\\w.])\\d{1,6}[A-Za-z]?\\s+(?:[A-Z][\\p{L}'-]+\\s+){1,4}(?:${STREET_WORDS})(?![\\p{L}])(?:\\s+(?:NW|NE|SW|SE|N|S|E|W)\\b)?(?:,?\\s+(?:Apt|Apartment|Suite|Unit|Floor)\\.?\\s*#?[\\w-]+)?`,
  'gu',
);
/** "Hauptstraße 12", "Kirchweg 3a", "Rue de Rivoli 45" style: street name then number. */
const ADDRESS_NAME_FIRST =
  /(?<![\p{L}])[A-ZÄÖÜ][\p{L}-]*(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|laan|straat|gata|vej|gade)\s+\d{1,5}[a-z]?(?![\w])/gu;

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
  if (wanted.has('EMAIL')) for (const m of matches(EMAIL, text)) add('EMAIL', m.index, m.index + m[0].length);
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
    const country = (options.defaultCountry ?? 'US').toUpperCase() as CountryCode;
    // libphonenumber's scan is slow over long prose: hand it only the digit runs that could be numbers.
    // its per-call cost is high, so candidates are parsed directly and only ambiguous ones scanned.
    for (const m of matches(PHONE_CANDIDATE, text)) {
      const candidate = m[0].replace(/[\s(.\-/]+$/, '');
      const digits = candidate.replace(/\D/g, '').length;
      if (digits < 7 || digits > 15) continue;
      const parsed = parsePhoneNumberFromString(candidate, country);
      if (parsed?.isValid()) {
        add('PHONE', m.index, m.index + candidate.length);
        continue;
      }
      if (digits < 10 || digits > 12) continue;
      const from = Math.max(0, m.index - 2);
      const window = text.slice(from, m.index + m[0].length + 2);
      for (const p of findPhoneNumbersInText(window, country))
        add('PHONE', from + p.startsAt, from + p.endsAt);
    }
  }
  if (wanted.has('ADDRESS')) {
    for (const m of matches(ADDRESS_NUMBER_FIRST, text)) add('ADDRESS', m.index, m.index + m[0].length);
    for (const m of matches(ADDRESS_NAME_FIRST, text)) add('ADDRESS', m.index, m.index + m[0].length);
  }
  if (wanted.has('PERSON')) {
    const people = extractEntities(text, { types: ['person'], merge: true }).entities.person ?? [];
    for (const person of people) {
      for (const o of person.occurrences) {
        const surface = text.slice(o.start, o.end);
        // Guard against tagger noise: a name has an upper-case letter and no digits.
        if (/\p{Lu}/u.test(surface) && !/\d/.test(surface) && surface.trim().length >= 2)
          add('PERSON', o.start, o.end);
      }
    }
  }

  const rank = (t: PrivateType): number => PRIORITY.indexOf(t);
  found.sort(
    (a, b) => rank(a.type) - rank(b.type) || b.end - b.start - (a.end - a.start) || a.start - b.start,
  );
  const accepted: PrivateSpan[] = [];
  const taken: Array<[number, number]> = [];
  const overlaps = (s: PrivateSpan): boolean => {
    // taken is kept sorted by start; binary search for the first interval ending after s.start.
    let lo = 0;
    let hi = taken.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((taken[mid] as [number, number])[1] <= s.start) lo = mid + 1;
      else hi = mid;
    }
    const next = taken[lo];
    return next !== undefined && next[0] < s.end;
  };
  for (const span of found) {
    if (overlaps(span)) continue;
    accepted.push(span);
    let i = taken.length;
    while (i > 0 && (taken[i - 1] as [number, number])[0] > span.start) i--;
    taken.splice(i, 0, [span.start, span.end]);
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
  const spans = detectPrivateData(text, options);
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
