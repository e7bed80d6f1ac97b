/**
 * Model-free entity extraction: people, organizations and places through compromise's tagger
 * (plus cheap rules for honorifics and organization names), everything else through linear-time
 * patterns: emails, URLs, phone numbers (E.164 via libphonenumber-js), dates (ISO 8601, relative
 * dates resolved against a reference date), money, percentages, hashtags and mentions.
 *
 * Pure: no I/O, no native code. Offsets are UTF-16 indexes into the input, so
 * `text.slice(start, end)` is always the surface of an occurrence.
 */
import type { CountryCode } from 'libphonenumber-js';
import { PrechewError } from '../errors.js';
import { nlp, phones } from './lazy-deps.js';
import { COMMON_WORD_NAMES, GIVEN_NAMES, TECHNICAL_CAPS, TITLE_WORDS } from './names-data.js';
import {
  extendName,
  extendNameBack,
  findCamelCaseNames,
  findRulePeople,
  findStreetNames,
  isCleanNameSpan,
  isPlaceLike,
  nameAfterList,
} from './names.js';

export const ENTITY_TYPES = [
  'person',
  'organization',
  'place',
  'email',
  'url',
  'phone',
  'date',
  'money',
  'percent',
  'hashtag',
  'mention',
] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

/** UTF-16 offsets into the input: `text.slice(start, end)` is the surface. */
export interface EntityOccurrence {
  start: number;
  end: number;
}

export interface Entity {
  type: EntityType;
  /** Surface of the first occurrence. */
  text: string;
  /** Normalized value; occurrences with equal values (case-insensitive) are merged. */
  value: string;
  count: number;
  occurrences: EntityOccurrence[];
  /** money only: ISO 4217 code. */
  currency?: string;
  /** money only: the amount with its scale applied ("$2.5 million" → 2500000). */
  amount?: number;
  /** person only: the title written before the name, kept out of the span ("Governor", "Dr."). */
  title?: string;
}

export interface ExtractOptions {
  /** Only these types (undefined or empty: all types). */
  types?: EntityType[];
  /** Merge occurrences with the same normalized value into one entity (default true). */
  merge?: boolean;
  /** ISO date (YYYY-MM-DD, a longer ISO timestamp is cut to its date) used to resolve relative dates. */
  referenceDate?: string;
  /** ISO 3166 alpha-2 country used to read phone numbers written without a + prefix. */
  defaultCountry?: string;
}

export interface EntitiesResult {
  /** One list per requested type (present even when empty), most frequent first when merged, else in text order. */
  entities: Partial<Record<EntityType, Entity[]>>;
  /** Number of entities listed per requested type. */
  counts: Partial<Record<EntityType, number>>;
  /** Sum of counts. */
  total: number;
}

/** Lower wins when two spans overlap: a URL beats the org in its host, an org beats the person in its name. */
const PRIORITY: Record<EntityType, number> = {
  email: 0,
  url: 1,
  mention: 2,
  hashtag: 3,
  money: 4,
  percent: 5,
  date: 6,
  phone: 7,
  organization: 8,
  person: 9,
  place: 10,
};
const NER_TYPES: ReadonlySet<EntityType> = new Set(['person', 'organization', 'place']);

interface Candidate {
  type: EntityType;
  start: number;
  end: number;
  value: string;
  currency?: string;
  amount?: number;
  title?: string;
}

interface Context {
  text: string;
  reference: RefDate | null;
  country: CountryCode | undefined;
}

interface RefDate {
  y: number;
  m: number;
  d: number;
}

// ---------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------

export function extractEntities(text: string, options: ExtractOptions = {}): EntitiesResult {
  if (typeof text !== 'string') throw new PrechewError('INVALID_INPUT', 'text must be a string');
  const wanted = resolveTypes(options.types);
  const ctx: Context = {
    text,
    reference: options.referenceDate === undefined ? null : parseReferenceDate(options.referenceDate),
    country: resolveCountry(options.defaultCountry),
  };

  // Every pattern detector runs whatever was asked for, so that a date is never re-read as a
  // phone number just because dates were filtered out. The tagger only runs when needed.
  const candidates: Candidate[] = [];
  findEmails(ctx, candidates);
  findUrls(ctx, candidates);
  findMentions(ctx, candidates);
  findHashtags(ctx, candidates);
  findMoney(ctx, candidates);
  findPercents(ctx, candidates);
  findDates(ctx, candidates);
  findPhones(ctx, candidates);
  if ([...wanted].some((t) => NER_TYPES.has(t))) findNamedEntities(ctx, candidates);

  const kept = resolveOverlaps(text.length, candidates).filter((c) => wanted.has(c.type));
  return groupEntities(text, kept, wanted, options.merge !== false);
}

function resolveTypes(types: EntityType[] | undefined): Set<EntityType> {
  if (types === undefined || types.length === 0) return new Set(ENTITY_TYPES);
  if (!Array.isArray(types))
    throw new PrechewError('INVALID_INPUT', 'types must be an array of entity types');
  const known = new Set<string>(ENTITY_TYPES);
  for (const t of types) {
    if (!known.has(t)) {
      throw new PrechewError(
        'INVALID_INPUT',
        `Unknown entity type "${String(t)}"; expected one of: ${ENTITY_TYPES.join(', ')}`,
      );
    }
  }
  return new Set(types);
}

function resolveCountry(country: string | undefined): CountryCode | undefined {
  if (country === undefined || country === '') return undefined;
  const upper = country.toUpperCase();
  if (!phones().isSupportedCountry(upper)) {
    throw new PrechewError(
      'INVALID_INPUT',
      `defaultCountry "${country}" is not a supported ISO 3166 alpha-2 country code`,
    );
  }
  return upper;
}

function parseReferenceDate(value: string): RefDate {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/.exec(value);
  const ref = m ? { y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) } : null;
  if (!ref || !isValidDate(ref.y, ref.m, ref.d)) {
    throw new PrechewError('INVALID_INPUT', `referenceDate "${value}" is not an ISO date (YYYY-MM-DD)`);
  }
  return ref;
}

// ---------------------------------------------------------------------------------------------
// Overlaps and grouping
// ---------------------------------------------------------------------------------------------

function resolveOverlaps(length: number, candidates: Candidate[]): Candidate[] {
  candidates.sort(
    (a, b) => PRIORITY[a.type] - PRIORITY[b.type] || b.end - b.start - (a.end - a.start) || a.start - b.start,
  );
  // One byte per character: checking a span costs its length, so the whole pass stays linear.
  const taken = new Uint8Array(length);
  const kept: Candidate[] = [];
  for (const c of candidates) {
    let free = c.end > c.start;
    for (let i = c.start; i < c.end && free; i++) if (taken[i]) free = false;
    if (!free) continue;
    taken.fill(1, c.start, c.end);
    kept.push(c);
  }
  return kept.sort((a, b) => a.start - b.start);
}

function groupEntities(
  text: string,
  kept: Candidate[],
  wanted: Set<EntityType>,
  merge: boolean,
): EntitiesResult {
  const byType = new Map<EntityType, Entity[]>();
  for (const t of ENTITY_TYPES) if (wanted.has(t)) byType.set(t, []);
  const index = new Map<string, Entity>();
  for (const c of kept) {
    const list = byType.get(c.type);
    if (!list) continue;
    const occurrence = { start: c.start, end: c.end };
    const key = c.type + '\u0000' + c.value.toLowerCase();
    const existing = merge ? index.get(key) : undefined;
    if (existing) {
      existing.occurrences.push(occurrence);
      existing.count += 1;
      if (existing.title === undefined && c.title !== undefined) existing.title = c.title;
      continue;
    }
    const entity: Entity = {
      type: c.type,
      text: text.slice(c.start, c.end),
      value: c.value,
      count: 1,
      occurrences: [occurrence],
    };
    if (c.currency !== undefined) entity.currency = c.currency;
    if (c.amount !== undefined) entity.amount = c.amount;
    if (c.title !== undefined) entity.title = c.title;
    list.push(entity);
    if (merge) index.set(key, entity);
  }
  const entities: Partial<Record<EntityType, Entity[]>> = {};
  const counts: Partial<Record<EntityType, number>> = {};
  let total = 0;
  for (const [type, list] of byType) {
    if (merge) list.sort((a, b) => b.count - a.count || firstStart(a) - firstStart(b));
    entities[type] = list;
    counts[type] = list.length;
    total += list.length;
  }
  return { entities, counts, total };
}

function firstStart(e: Entity): number {
  return e.occurrences[0]?.start ?? 0;
}

// ---------------------------------------------------------------------------------------------
// Emails, URLs, mentions, hashtags. Every quantifier is bounded so a hostile input (a megabyte
// without spaces) costs a constant amount of work per starting position.
// ---------------------------------------------------------------------------------------------

const EMAIL_RE =
  /(?<![\p{L}\p{N}._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9-])/gu;

function findEmails(ctx: Context, out: Candidate[]): void {
  for (const m of ctx.text.matchAll(EMAIL_RE)) {
    out.push({ type: 'email', start: m.index, end: m.index + m[0].length, value: m[0].toLowerCase() });
  }
}

const SCHEME_URL_RE = /(?<![\p{L}\p{N}])(?:https?|ftp):\/\/[^\s<>"'`]{1,2048}/giu;
// Bare hosts only count with a TLD from this list: short TLDs that are also English words
// ("it", "in", "so", "me", "to", "us") would turn every missing space after a full stop into a URL.
const BARE_TLDS =
  'com|org|net|edu|gov|mil|int|io|co|ai|dev|app|info|biz|xyz|tech|cloud|online|site|news|blog|shop|store|ly|gg|tv|fm|ca|uk|de|fr|es|nl|se|ch|jp|cn|au|ru|br|pl|eu|nz|ie|dk|fi|pt|gr|cz|at|be|kr|mx|ar|za|ke|ng|sg|hk|tw|il|tr|ua|ro|hu';
const BARE_URL_RE = new RegExp(
  String.raw`(?<![\p{L}\p{N}@._%+/:-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,6}(?:${BARE_TLDS})(?![\p{L}\p{N}-]|\.[\p{L}\p{N}])(?::\d{2,5})?(?:[/?#][^\s<>"'\x60]{0,2048})?`,
  'giu',
);
const BARE_AMBIGUOUS_TLDS = new Set(['at', 'be']);

function findUrls(ctx: Context, out: Candidate[]): void {
  for (const m of ctx.text.matchAll(SCHEME_URL_RE)) {
    const surface = trimUrlEnd(m[0]);
    let end = m.index + surface.length;
    const schemeEnd = surface.indexOf('://');
    if (surface.length <= schemeEnd + 3) continue;
    const scheme = surface.slice(0, schemeEnd).toLowerCase();
    let rest = surface.slice(schemeEnd + 3);
    // A URL hyphenated across a line break by a formatter ("http://git.savan‐\n   nah.gnu.org/…"):
    // the span runs over the break, the value joins the two halves.
    const wrap = URL_WRAP_RE.exec(ctx.text.slice(end - 1, end + 80));
    if (wrap && /[‐\u00ad-]$/.test(surface)) {
      const tail = trimUrlEnd(wrap[2] ?? '');
      rest = (wrap[1] === '-' ? rest : rest.slice(0, -1)) + tail;
      end = end - 1 + (wrap[0].length - (wrap[2] ?? '').length) + tail.length;
    }
    out.push({ type: 'url', start: m.index, end, value: normalizeUrl(scheme, rest) });
  }
  for (const m of ctx.text.matchAll(BARE_URL_RE)) {
    const surface = trimUrlEnd(m[0]);
    const host = /^[^/?#:]+/.exec(surface)?.[0] ?? surface;
    const tld = host.slice(host.lastIndexOf('.') + 1).toLowerCase();
    // "Hello.At" and "team.Be" are typos, not hosts: ambiguous TLDs need www. or a path.
    if (BARE_AMBIGUOUS_TLDS.has(tld) && !/^www\./i.test(host) && host.length === surface.length) continue;
    // The text gave no scheme, so the value has none: lower-case host, the rest as written.
    out.push({
      type: 'url',
      start: m.index,
      end: m.index + surface.length,
      value: normalizeUrl(null, surface),
    });
  }
}

/** Drops sentence punctuation after a URL, keeping a closing bracket that closes one inside it. */
function trimUrlEnd(url: string): string {
  let end = url.length;
  for (;;) {
    const ch = url[end - 1];
    if (ch === undefined) break;
    if ('.,;:!?\'"”’'.includes(ch)) {
      end -= 1;
      continue;
    }
    const open = ch === ')' ? '(' : ch === ']' ? '[' : ch === '}' ? '{' : null;
    if (open !== null) {
      const body = url.slice(0, end);
      if (body.split(open).length - 1 < body.split(ch).length - 1) {
        end -= 1;
        continue;
      }
    }
    break;
  }
  return url.slice(0, end);
}

function normalizeUrl(scheme: string | null, rest: string): string {
  const hostEnd = rest.search(/[/?#]/);
  const host = (hostEnd === -1 ? rest : rest.slice(0, hostEnd)).toLowerCase();
  let tail = hostEnd === -1 ? '' : rest.slice(hostEnd);
  if (tail === '/') tail = '';
  return scheme === null ? `${host}${tail}` : `${scheme}://${host}${tail}`;
}

/** The hyphen ending a line inside a URL, the line break with its indentation, and the rest of the URL. */
const URL_WRAP_RE = /^([‐\u00ad-])[ \t]*\r?\n[ \t]*([A-Za-z0-9][^\s<>"'`]{0,2048})/;

const MENTION_RE =
  /(?<![\p{L}\p{N}_.@/+-])@(?=[0-9_]{0,29}[A-Za-z])[A-Za-z0-9_]{1,30}(?![A-Za-z0-9_@]|\.[A-Za-z0-9])/gu;

function findMentions(ctx: Context, out: Candidate[]): void {
  for (const m of ctx.text.matchAll(MENTION_RE)) {
    out.push({ type: 'mention', start: m.index, end: m.index + m[0].length, value: m[0].toLowerCase() });
  }
}

const HASHTAG_RE =
  /(?<![\p{L}\p{N}_&#/{$])#(?=[\p{N}_]{0,99}\p{L})[\p{L}\p{M}\p{N}_]{1,100}(?![\p{L}\p{M}\p{N}_])/gu;

function findHashtags(ctx: Context, out: Candidate[]): void {
  for (const m of ctx.text.matchAll(HASHTAG_RE)) {
    out.push({ type: 'hashtag', start: m.index, end: m.index + m[0].length, value: m[0].toLowerCase() });
  }
}

// ---------------------------------------------------------------------------------------------
// Money and percentages
// ---------------------------------------------------------------------------------------------

const NUM = String.raw`\d{1,3}(?:,\d{3}){1,6}(?:\.\d{1,6})?|\d{1,15}(?:\.\d{1,6})?|\.\d{1,6}`;
const SCALE = String.raw`(?:[ \t]?(?:thousand|million|billion|trillion)\b|[ \t]?(?:mn|bn|tn|mln|bln)\b|(?:k|m|b|K|M|B)\b)`;
const SYMBOLS: Record<string, string> = {
  $: 'USD',
  US$: 'USD',
  C$: 'CAD',
  CA$: 'CAD',
  A$: 'AUD',
  AU$: 'AUD',
  NZ$: 'NZD',
  HK$: 'HKD',
  S$: 'SGD',
  R$: 'BRL',
  '€': 'EUR',
  '£': 'GBP',
  '¥': 'JPY',
  '₹': 'INR',
  '₩': 'KRW',
  '₽': 'RUB',
  '₺': 'TRY',
  '₪': 'ILS',
  '₦': 'NGN',
};
const SYMBOL_ALT = Object.keys(SYMBOLS)
  .sort((a, b) => b.length - a.length)
  .map((s) => s.replace(/\$/g, '\\$'))
  .join('|');
const CODES =
  'USD|EUR|GBP|JPY|CNY|RMB|CHF|CAD|AUD|NZD|HKD|SGD|INR|KRW|RUB|BRL|MXN|ZAR|SEK|NOK|DKK|PLN|CZK|HUF|TRY|ILS|NGN|KES|AED|SAR|THB|IDR|MYR|PHP|VND|ARS|CLP|COP|EGP|PKR|BDT|UAH';
const WORD_CURRENCIES: Array<[RegExp, string]> = [
  [/^(?:us|u\.s\.|american)\s+dollars?$/i, 'USD'],
  [/^canadian\s+dollars?$/i, 'CAD'],
  [/^australian\s+dollars?$/i, 'AUD'],
  [/^new\s+zealand\s+dollars?$/i, 'NZD'],
  [/^hong\s+kong\s+dollars?$/i, 'HKD'],
  [/^singapore\s+dollars?$/i, 'SGD'],
  [/^dollars?$/i, 'USD'],
  [/^euros?$/i, 'EUR'],
  [/^(?:pounds?\s+sterling|sterling|pounds?)$/i, 'GBP'],
  [/^yen$/i, 'JPY'],
  [/^(?:yuan|renminbi)$/i, 'CNY'],
  [/^rupees?$/i, 'INR'],
  [/^swiss\s+francs?$/i, 'CHF'],
  [/^cents?$/i, 'USD'],
];
const WORD_ALT = String.raw`(?:(?:US|U\.S\.|American|Canadian|Australian|New[ \t]+Zealand|Hong[ \t]+Kong|Singapore)[ \t]+dollars?|dollars?|euros?|pounds?[ \t]+sterling|sterling|pounds?|yen|yuan|renminbi|rupees?|Swiss[ \t]+francs?|cents?)`;

const MONEY_PREFIX_RE = new RegExp(
  String.raw`(?<![\p{L}\p{N}])(?<cur>${SYMBOL_ALT}|(?:${CODES})(?![A-Za-z]))[ \t]?(?<num>${NUM})(?![\d])(?<scale>${SCALE})?`,
  'gu',
);
const MONEY_SUFFIX_RE = new RegExp(
  String.raw`(?<![\p{L}\p{N}.,$€£¥])(?<num>${NUM})(?![\d])(?<scale>${SCALE})?[ \t]?(?:(?<cur>(?:${CODES}|${WORD_ALT})(?![\p{L}\p{N}]))|(?<sym>[€£¥₹]))`,
  'gu',
);
const SCALES: Record<string, number> = {
  thousand: 3,
  k: 3,
  million: 6,
  m: 6,
  mn: 6,
  mln: 6,
  billion: 9,
  b: 9,
  bn: 9,
  bln: 9,
  trillion: 12,
  tn: 12,
};

/** Shell and make syntax: "$@", "${var}", "$#", "$?", "$*" — where "$1" is a parameter, not a dollar. */
const SHELL_SYNTAX_RE = /\$[@#?*{!]|\$\(/;

/**
 * "$0", "$1" … "$9" without decimals or scale: a positional parameter in technical text. "$0" is
 * never money; another single digit only when the text shows no shell syntax and the sign is not
 * quoted or braced ("'$1'", "{$2}").
 */
function isShellParameter(text: string, start: number, surface: string, shellish: () => boolean): boolean {
  const m = /^\$(\d)$/.exec(surface);
  if (!m) return false;
  if (m[1] === '0') return true;
  const before = text[start - 1] ?? '';
  const after = text[start + surface.length] ?? '';
  const quotedBefore = before !== '' && '"\'`{=['.includes(before);
  const quotedAfter = after !== '' && '"\'`}]'.includes(after);
  return quotedBefore || quotedAfter || shellish();
}

function findMoney(ctx: Context, out: Candidate[]): void {
  let shell: boolean | undefined;
  const shellish = (): boolean => (shell ??= SHELL_SYNTAX_RE.test(ctx.text));
  for (const m of ctx.text.matchAll(MONEY_PREFIX_RE)) {
    const g = m.groups ?? {};
    const cur = g.cur ?? '';
    if (cur === '$' && isShellParameter(ctx.text, m.index, m[0], shellish)) continue;
    const currency = SYMBOLS[cur] ?? normalizeCode(cur);
    pushMoney(out, m.index, m[0].length, g.num ?? '', g.scale, currency, false);
  }
  for (const m of ctx.text.matchAll(MONEY_SUFFIX_RE)) {
    const g = m.groups ?? {};
    let currency: string | undefined;
    let cents = false;
    if (g.sym !== undefined) currency = SYMBOLS[g.sym];
    else if (g.cur !== undefined) {
      const word = g.cur.replace(/\s+/g, ' ');
      if (/^[A-Z]{3}$/.test(word)) currency = normalizeCode(word);
      else {
        currency = WORD_CURRENCIES.find(([re]) => re.test(word))?.[1];
        cents = /^cents?$/i.test(word);
      }
    }
    if (currency === undefined) continue;
    // "5 pounds of flour" is a weight; "2.1 million pounds" is money.
    if (g.scale === undefined && /^pounds?$/i.test(g.cur ?? '')) continue;
    pushMoney(out, m.index, m[0].length, g.num ?? '', g.scale, currency, cents);
  }
}

function normalizeCode(code: string): string {
  return code === 'RMB' ? 'CNY' : code;
}

function pushMoney(
  out: Candidate[],
  start: number,
  length: number,
  num: string,
  scale: string | undefined,
  currency: string,
  cents: boolean,
): void {
  let exponent = 0;
  if (scale !== undefined) exponent = SCALES[scale.trim().toLowerCase()] ?? 0;
  if (cents) exponent -= 2;
  const amountText = shiftDecimal(num.replace(/,/g, ''), exponent);
  const amount = Number(amountText);
  if (!Number.isFinite(amount)) return;
  out.push({
    type: 'money',
    start,
    end: start + length,
    value: `${amountText} ${currency}`,
    currency,
    amount,
  });
}

/** Moves the decimal point of a plain decimal string by `exponent` places, exactly (no float noise). */
function shiftDecimal(num: string, exponent: number): string {
  const dot = num.indexOf('.');
  let digits = dot === -1 ? num : num.slice(0, dot) + num.slice(dot + 1);
  let point = (dot === -1 ? num.length : dot) + exponent;
  if (point > digits.length) digits += '0'.repeat(point - digits.length);
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  const intPart = digits.slice(0, point).replace(/^0+(?=\d)/, '') || '0';
  const fracPart = digits.slice(point).replace(/0+$/, '');
  return fracPart ? `${intPart}.${fracPart}` : intPart;
}

const PERCENT_RE = new RegExp(
  String.raw`(?<![\p{L}\p{N}.,])(?<sign>[-+−])?(?<num>${NUM})(?![\d])[ \t]?(?:%|percent\b|per[ \t]?cent\b|pct\b)`,
  'gu',
);

function findPercents(ctx: Context, out: Candidate[]): void {
  for (const m of ctx.text.matchAll(PERCENT_RE)) {
    const g = m.groups ?? {};
    const sign = g.sign === '-' || g.sign === '−' ? '-' : '';
    const value = `${sign}${shiftDecimal((g.num ?? '').replace(/,/g, ''), 0)}%`;
    out.push({ type: 'percent', start: m.index, end: m.index + m[0].length, value });
  }
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

const MONTH_ALT =
  'Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?';
const MONTH = String.raw`(?<mon>${MONTH_ALT})(?:\.|(?![\p{L}]))`;
const WEEKDAY_FULL = 'Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday';
const WEEKDAY_PREFIX = String.raw`(?:(?:${WEEKDAY_FULL}|(?:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)\.?),?[ \t]+)?`;
const DAY = String.raw`(?<day>[0-3]?\d)(?:st|nd|rd|th)?(?![\p{L}\p{N}])`;
const YEAR = String.raw`(?<year>[12]\d{3})(?![\p{L}\p{N}])`;

const MONTH_DAY_RE = new RegExp(
  String.raw`(?<![\p{L}\p{N}])${WEEKDAY_PREFIX}${MONTH}[ \t]+${DAY}(?![:.,]\d)(?:,?[ \t]+${YEAR})?`,
  'gu',
);
const DAY_MONTH_RE = new RegExp(
  String.raw`(?<![\p{L}\p{N}.,$€£/-])${WEEKDAY_PREFIX}(?<day>[0-3]?\d)(?:st|nd|rd|th)?[ \t]+(?:of[ \t]+)?${MONTH}(?:,?[ \t]+${YEAR})?`,
  'gu',
);
const YEAR_MONTH_DAY_RE = new RegExp(
  String.raw`(?<![\p{L}\p{N}.,/-])${YEAR}[ \t]+${MONTH}[ \t]+(?<day>[0-3]?\d)(?![\p{L}\p{N}]|[:.,]\d)`,
  'gu',
);
const MONTH_YEAR_RE = new RegExp(String.raw`(?<![\p{L}\p{N}])${MONTH}(?:[ \t]+of)?,?[ \t]+${YEAR}`, 'gu');
const ISO_DATE_RE =
  /(?<![\p{L}\p{N}./-])(?<year>[12]\d{3})(?<sep>[-/])(?<mon>\d{2})\k<sep>(?<day>\d{2})(?![\p{N}]|[/-]\d)/gu;
const NUMERIC_DATE_RE =
  /(?<![\p{L}\p{N}.,/-])(?<a>\d{1,2})(?<sep>[/.-])(?<b>\d{1,2})\k<sep>(?<year>\d{4}|\d{2})(?![\p{N}]|[/.-]\d|,\d)/gu;
const WEEKDAY_RE = new RegExp(
  String.raw`(?<![\p{L}\p{N}])(?:(?<mod>next|last|this|coming|past)[ \t]+)?(?<wd>${WEEKDAY_FULL})(?![\p{L}])`,
  'giu',
);
const RELATIVE_DAY_RE =
  /(?<![\p{L}\p{N}])(?:the[ \t]+day[ \t]+(?<dd>before[ \t]+yesterday|after[ \t]+tomorrow)|(?<word>yesterday|today|tonight|tomorrow))(?![\p{L}])/giu;
const RELATIVE_PERIOD_RE =
  /(?<![\p{L}\p{N}])(?<mod>next|last|this|past|coming)[ \t]+(?<unit>week|month|year)(?![\p{L}])/giu;
const NUMBER_WORDS = 'a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve';
const IN_N_RE = new RegExp(
  String.raw`(?<![\p{L}\p{N}])in[ \t]+(?<n>\d{1,3}|${NUMBER_WORDS})[ \t]+(?<unit>day|week|month|year)s?(?![\p{L}])`,
  'giu',
);
const N_AGO_RE = new RegExp(
  String.raw`(?<![\p{L}\p{N}])(?<n>\d{1,3}|${NUMBER_WORDS})[ \t]+(?<unit>day|week|month|year)s?[ \t]+(?<dir>ago|from[ \t]+now)(?![\p{L}])`,
  'giu',
);
const WORD_NUMBERS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
};
const WEEKDAY_INDEX: Record<string, number> = {
  sunday: 0,
  monday: 1,
  tuesday: 2,
  wednesday: 3,
  thursday: 4,
  friday: 5,
  saturday: 6,
};

function monthNumber(name: string): number {
  return (
    ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].indexOf(
      name.slice(0, 3).toLowerCase(),
    ) + 1
  );
}

function findDates(ctx: Context, out: Candidate[]): void {
  const { text, reference } = ctx;
  const push = (start: number, surface: string, value: string): void => {
    out.push({ type: 'date', start, end: start + surface.length, value });
  };
  const calendar = (
    start: number,
    surface: string,
    y: number | undefined,
    m: number,
    d: number | undefined,
  ): void => {
    if (d === undefined) {
      if (y !== undefined && m >= 1 && m <= 12) push(start, surface, `${pad(y, 4)}-${pad(m, 2)}`);
      return;
    }
    const year = y ?? reference?.y;
    if (year === undefined) {
      // No year and nothing to take it from: ISO 8601's --MM-DD form.
      if (isValidDate(2000, m, d)) push(start, surface, `--${pad(m, 2)}-${pad(d, 2)}`);
      return;
    }
    if (isValidDate(year, m, d)) push(start, surface, formatDate(year, m, d));
  };

  for (const m of text.matchAll(MONTH_DAY_RE)) {
    const g = m.groups ?? {};
    calendar(m.index, m[0], optionalNumber(g.year), monthNumber(g.mon ?? ''), Number(g.day));
  }
  for (const m of text.matchAll(DAY_MONTH_RE)) {
    const g = m.groups ?? {};
    calendar(m.index, m[0], optionalNumber(g.year), monthNumber(g.mon ?? ''), Number(g.day));
  }
  for (const m of text.matchAll(YEAR_MONTH_DAY_RE)) {
    const g = m.groups ?? {};
    calendar(m.index, m[0], Number(g.year), monthNumber(g.mon ?? ''), Number(g.day));
  }
  for (const m of text.matchAll(MONTH_YEAR_RE)) {
    const g = m.groups ?? {};
    calendar(m.index, m[0], Number(g.year), monthNumber(g.mon ?? ''), undefined);
  }
  for (const m of text.matchAll(ISO_DATE_RE)) {
    const g = m.groups ?? {};
    calendar(m.index, m[0], Number(g.year), Number(g.mon), Number(g.day));
  }
  for (const m of text.matchAll(NUMERIC_DATE_RE)) {
    const g = m.groups ?? {};
    const a = Number(g.a);
    const b = Number(g.b);
    let year = Number(g.year);
    if ((g.year ?? '').length === 2) {
      // "1.2.24" is a version and "3-5-10" a score far more often than a date; "3/5/24" is a date.
      if (g.sep !== '/') continue;
      year += year < 70 ? 2000 : 1900;
    }
    // Slashes and dashes read as US month/day unless that is impossible; dots as day.month.
    const dayFirst = g.sep === '.' ? b <= 12 : a > 12 && b <= 12;
    calendar(m.index, m[0], year, dayFirst ? b : a, dayFirst ? a : b);
  }

  const relative = (start: number, surface: string, resolve: (ref: RefDate) => string | null): void => {
    if (!reference) {
      push(start, surface, surface.toLowerCase().replace(/\s+/g, ' '));
      return;
    }
    const value = resolve(reference);
    if (value !== null) push(start, surface, value);
  };
  for (const m of text.matchAll(WEEKDAY_RE)) {
    const g = m.groups ?? {};
    const target = WEEKDAY_INDEX[(g.wd ?? '').toLowerCase()] ?? 0;
    const mod = g.mod?.toLowerCase();
    relative(m.index, m[0], (ref) => {
      const current = weekday(ref);
      let delta: number;
      if (mod === 'next') delta = (target - current + 7) % 7 || 7;
      else if (mod === 'last' || mod === 'past') delta = -((current - target + 7) % 7 || 7);
      else if (mod === 'this' || mod === 'coming') delta = (target - current + 7) % 7;
      else {
        // A bare weekday is the nearest one: "said on Monday" on a Wednesday is two days ago.
        delta = (target - current + 7) % 7;
        if (delta > 3) delta -= 7;
      }
      return formatRef(addDays(ref, delta));
    });
  }
  for (const m of text.matchAll(RELATIVE_DAY_RE)) {
    const g = m.groups ?? {};
    const word = (g.word ?? g.dd ?? '').toLowerCase().replace(/\s+/g, ' ');
    const delta =
      word === 'yesterday'
        ? -1
        : word === 'tomorrow'
          ? 1
          : word === 'before yesterday'
            ? -2
            : word === 'after tomorrow'
              ? 2
              : 0;
    relative(m.index, m[0], (ref) => formatRef(addDays(ref, delta)));
  }
  for (const m of text.matchAll(RELATIVE_PERIOD_RE)) {
    const g = m.groups ?? {};
    const mod = (g.mod ?? '').toLowerCase();
    const sign = mod === 'next' || mod === 'coming' ? 1 : mod === 'this' ? 0 : -1;
    const unit = (g.unit ?? '').toLowerCase();
    relative(m.index, m[0], (ref) => {
      if (unit === 'week') return isoWeek(addDays(ref, 7 * sign));
      if (unit === 'month') {
        const r = addMonths(ref, sign);
        return `${pad(r.y, 4)}-${pad(r.m, 2)}`;
      }
      return pad(ref.y + sign, 4);
    });
  }
  const shifted = (start: number, surface: string, n: number, unit: string): void => {
    relative(start, surface, (ref) => {
      if (unit === 'day') return formatRef(addDays(ref, n));
      if (unit === 'week') return formatRef(addDays(ref, 7 * n));
      if (unit === 'month') return formatRef(addMonths(ref, n));
      return formatRef(addMonths(ref, 12 * n));
    });
  };
  for (const m of text.matchAll(IN_N_RE)) {
    const g = m.groups ?? {};
    shifted(m.index, m[0], parseCount(g.n ?? ''), (g.unit ?? '').toLowerCase());
  }
  for (const m of text.matchAll(N_AGO_RE)) {
    const g = m.groups ?? {};
    const n = parseCount(g.n ?? '');
    shifted(m.index, m[0], (g.dir ?? '').toLowerCase() === 'ago' ? -n : n, (g.unit ?? '').toLowerCase());
  }
}

function optionalNumber(s: string | undefined): number | undefined {
  return s === undefined ? undefined : Number(s);
}

function parseCount(s: string): number {
  return WORD_NUMBERS[s.toLowerCase()] ?? Number(s);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function isValidDate(y: number, m: number, d: number): boolean {
  return m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
}

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

function formatDate(y: number, m: number, d: number): string {
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

function formatRef(r: RefDate): string {
  return formatDate(r.y, r.m, r.d);
}

function toRef(date: Date): RefDate {
  return { y: date.getUTCFullYear(), m: date.getUTCMonth() + 1, d: date.getUTCDate() };
}

function addDays(r: RefDate, n: number): RefDate {
  return toRef(new Date(Date.UTC(r.y, r.m - 1, r.d + n)));
}

function addMonths(r: RefDate, n: number): RefDate {
  const total = r.y * 12 + (r.m - 1) + n;
  const y = Math.floor(total / 12);
  const m = total - y * 12 + 1;
  return { y, m, d: Math.min(r.d, daysInMonth(y, m)) };
}

function weekday(r: RefDate): number {
  return new Date(Date.UTC(r.y, r.m - 1, r.d)).getUTCDay();
}

/** ISO 8601 week ("2024-W10") of a date. */
function isoWeek(r: RefDate): string {
  const date = new Date(Date.UTC(r.y, r.m - 1, r.d));
  const day = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - day); // the Thursday of this week decides its year
  const year = date.getUTCFullYear();
  const week = Math.ceil(((date.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7);
  return `${pad(year, 4)}-W${pad(week, 2)}`;
}

// ---------------------------------------------------------------------------------------------
// Phones
// ---------------------------------------------------------------------------------------------

const PHONE_RE = /(?<![\p{L}\p{N}+$€£¥_/.,:-])(?:\+|00)?\(?\d[\d \t().-]{5,22}\d(?![\p{N}%]|[.,]\d|[/-]\d)/gu;

function findPhones(ctx: Context, out: Candidate[]): void {
  for (const m of ctx.text.matchAll(PHONE_RE)) {
    let surface = m[0];
    // An unbalanced bracket at either end belongs to the sentence, not the number.
    if (surface.endsWith(')') && !surface.includes('(')) surface = surface.slice(0, -1).trimEnd();
    const value = readPhone(surface, ctx.country);
    if (value !== null) out.push({ type: 'phone', start: m.index, end: m.index + surface.length, value });
  }
}

function readPhone(surface: string, country: CountryCode | undefined): string | null {
  const digits = surface.replace(/\D/g, '');
  if (digits.length < 7 || digits.length > 15) return null;
  // Lists of years or amounts ("2019 2020 2021") are not phone numbers.
  if (/^(?:(?:1[89]|20)\d{2}[ \t,.-]+){1,}(?:1[89]|20)\d{2}$/.test(surface)) return null;
  const groups = surface.split(/[ \t().-]+/).filter(Boolean);
  if (groups.length > 6) return null;
  // Decimals ("0.12345678"), versions ("10.2.3.4567") and US SSN-shaped ids are not phones.
  if (/^[\d.]+$/.test(surface) && (groups.length < 3 || groups.some((g) => g.length < 2))) return null;
  if (/^\d{3}-\d{2}-\d{4}$/.test(surface)) return null;
  const international = surface.startsWith('+') || surface.startsWith('00');
  if (international) {
    const parsed = phones().parsePhoneNumberFromString('+' + surface.replace(/^(?:\+|00)/, ''));
    return parsed?.isPossible() ? parsed.number : null;
  }
  // A bare run of digits is an order number or an id far more often than a phone number.
  if (groups.length === 1 && digits.length < 10) return null;
  if (country) {
    const parsed = phones().parsePhoneNumberFromString(surface, country);
    if (parsed?.isValid()) return parsed.number;
  }
  // No country to read it with: keep plainly phone-shaped numbers, digits only.
  if (digits.length >= 10 && groups.length >= 2) return digits;
  if (/^\d{3}[ .-]\d{4}$/.test(surface)) return digits;
  return null;
}

// ---------------------------------------------------------------------------------------------
// People, organizations, places
// ---------------------------------------------------------------------------------------------

/** compromise's cost grows with input; paragraph-sized pieces keep it linear and memory flat. */
const PIECE_CHARS = 16_000;
/** Longest run of text handed to the tagger as one span; see taggerPieces. */
const MAX_SENTENCE_CHARS = 2_000;

const HONORIFIC_ABBREV = 'Dr|Mr|Mrs|Ms|Mx|Prof|Messrs|Mme|Mlle';
const HONORIFIC_DOTTED =
  'Sen|Rep|Gov|Gen|Col|Capt|Cpt|Lt|Sgt|Cpl|Adm|Maj|Rev|Hon|Pres|Supt|Insp|Det|Amb|Atty|Fr';
const HONORIFIC_WORDS = words(`
  Sir Dame Lord Lady Professor Senator President Governor Mayor Judge Justice Rabbi Imam Pastor Bishop
  Chancellor Chair Chairman Chairwoman Commissioner Congressman Congresswoman Councilman Councilwoman Ambassador
  CEO CFO CTO COO Founder Co-founder Cofounder Minister Secretary Spokesperson Spokesman Spokeswoman
  founder co-founder cofounder spokesperson spokesman spokeswoman governor president senator minister
  chancellor mayor judge secretary commissioner ambassador chairman chairwoman director professor chief
  Prince Princess King Queen Sheikh Emir Premier Executive Officer Pope Cardinal Archbishop`).join(
  '|',
);
/** Words that make a longer title of the next one: "Prime Minister", "Crown Prince", "Chief Executive". */
const TITLE_QUALIFIERS = 'Prime|Foreign|Finance|Defense|Defence|Interior|Deputy|Vice|Crown|Chief|Prime|Supreme|Grand';
const HONORIFIC = String.raw`(?:(?:${TITLE_QUALIFIERS})[ \t]+)?(?:(?:${HONORIFIC_ABBREV})\.?|(?:${HONORIFIC_DOTTED})\.|(?:${HONORIFIC_WORDS}))`;
const HONORIFIC_WORD_SET: ReadonlySet<string> = new Set(HONORIFIC_WORDS.split('|'));
const HONORIFIC_RE = new RegExp(String.raw`(?<![\p{L}\p{N}.])${HONORIFIC}(?=[ \t]+\p{Lu})`, 'gu');
const TITLE_PREFIX = String.raw`(?:(?:${TITLE_QUALIFIERS}|Financial|Operating|Technology|Technical|Commercial|Executive|Marketing|Information|Investment|Economic|Economy)[ \t]+){0,2}`;
const TITLE_PREFIX_BEFORE_RE = new RegExp(String.raw`(?<![\p{L}\p{N}.])${TITLE_PREFIX.replace('{0,2}', '{1,2}')}$`, 'u');
const HONORIFIC_BEFORE_RE = new RegExp(String.raw`(?<![\p{L}\p{N}.])${TITLE_PREFIX}${HONORIFIC}[ \t]+$`, 'u');
const HONORIFIC_LEADING_RE = new RegExp(String.raw`^(?:${HONORIFIC}[ \t]+)+`, 'u');
/** "French Finance Minister Bruno Le Maire": up to two capitalized words before the title belong to it. */
const QUALIFIED_TITLE_RE = new RegExp(String.raw`^(?:\p{Lu}\p{Ll}+[ \t]+){1,2}(?:${HONORIFIC}[ \t]+)+`, 'u');

const ORG_SUFFIXES = words(`
  Inc Incorporated Corp Corporation LLC LLP Ltd Limited GmbH PLC Plc AG Co Company Group Holdings Foundation
  University Institute Association Bank Trust Partners Industries Enterprises Technologies Labs Laboratories
  Agency Authority Council Commission Committee Society Federation Ministry Department College Academy Museum
  Hospital Airlines Motors Bros Fund Capital Ventures Systems Pharmaceuticals Project Programme Organisation
  SE SA NV AB ASA Oyj SpA BV`);
const ORG_ABBREV = new Set(['Inc', 'Corp', 'Ltd', 'Co', 'Bros', 'Plc']);
/** Heads that take "of X" after them: "University of Oxford", "Bank of America". */
const ORG_OF_HEADS = new Set(
  words(`
  University Bank Institute Association College Academy Museum Ministry Department Society Federation Council
  Commission Committee Agency Authority Foundation Church School Board Office Bureau Chamber League Union Court`),
);
/** Suffixes that may follow "Name," ("Apple, Inc."). */
const ORG_COMMA_SUFFIXES = new Set(words('Inc Incorporated LLC LLP Ltd Limited GmbH PLC Plc'));
const ORG_KEYWORD_RE = new RegExp(
  String.raw`(?<=[ \t,])(?:${[...new Set([...ORG_SUFFIXES, ...ORG_OF_HEADS])].join('|')})(?![\p{L}\p{N}&'’-])`,
  'gu',
);
const ORG_OF_RE = new RegExp(
  String.raw`(?<![\p{L}\p{N}])(?:${[...ORG_OF_HEADS].join('|')})[ \t]+of[ \t]+`,
  'gu',
);
const LONE_WORDS = new Set([
  ...ORG_SUFFIXES,
  ...ORG_OF_HEADS,
  ...`${HONORIFIC_ABBREV}|${HONORIFIC_DOTTED}|${HONORIFIC_WORDS}`.split('|'),
]);
const NAME_TOKEN_RE = /^(?:\p{Lu}[\p{L}\p{M}\p{N}'’&.-]*|\p{N}+\p{L}[\p{L}\p{N}]*)$/u;
const PARTICLES = new Set(
  words('of and & for the de du des la le van von der den da di dos del al el bin y'),
);

/**
 * Capitalized words that start sentences or name times rather than things; they never begin or
 * end a name the rules build, and a sentence whose only capital is one of them skips the tagger.
 */
const STOPWORDS = new Set(
  words(`
  the a an this that these those it its we our they their them he his she her i you your my me us in on at
  for to of from by with about into over after before during since until as and but or nor so yet if when
  while where why how what who whom which whose there here then now also however therefore meanwhile
  moreover furthermore still thus instead otherwise indeed some many most all any each every both few
  several no not yes please thanks thank hi hello dear best regards sincerely cheers according despite
  although though because unless whether once last next yesterday today tomorrow tonight earlier later
  recently finally first second third one two three four five six seven eight nine ten more less such
  other another only even just monday tuesday wednesday thursday friday saturday sunday january february
  march april may june july august september october november december shares revenue sales analysts
  officials critics investors experts`),
);

function words(list: string): string[] {
  return list.trim().split(/\s+/);
}

function findNamedEntities(ctx: Context, out: Candidate[]): void {
  const masked = maskPatternSpans(ctx.text, out);
  const emails = out.filter((c) => c.type === 'email');
  const firstName = out.length;
  findRuleOrganizations(masked, out);
  findRoleOrganizations(masked, out);
  findHonorificPeople(masked, out);
  for (const span of findCamelCaseNames(masked)) {
    const candidate = nameCandidate(masked, 'organization', span.start, span.end);
    if (candidate) out.push(candidate);
  }
  for (const span of findStreetNames(masked)) {
    const candidate = nameCandidate(masked, 'place', span.start, span.end);
    if (candidate) out.push(candidate);
  }
  for (const span of findRulePeople(masked, emails)) {
    const candidate = nameCandidate(masked, 'person', span.start, span.end);
    if (candidate) out.push(candidate);
  }
  const tagged: Candidate[] = [];
  for (const piece of taggerPieces(masked)) tagPiece(masked, piece, tagged);
  const variables = shellVariables(masked);
  // A single word the tagger reads both as a person and as a place ("Santa Monica, California") is a place.
  const parts = tagged.flatMap((c) => splitPlaceList(masked, c));
  const places = new Set(parts.filter((c) => c.type === 'place').map((c) => `${c.start}:${c.end}`));
  const placeEnds = new Set(
    parts.filter((c) => c.type === 'place' || (c.type === 'person' && isPlaceLike(masked.slice(c.start, c.end)))).map((c) => c.end),
  );
  for (const part of parts) {
    if (part.type === 'person' && places.has(`${part.start}:${part.end}`)) continue;
    const refined = refineTagged(masked, part, variables, placeEnds);
    if (refined) out.push(refined);
  }
  // "Fatima Al-Mansouri and Kwame Mensah": a full name listed with a person is a person.
  const people = out.filter((c) => c.type === 'person');
  for (const person of people) {
    let end = person.end;
    for (let n = 0; n < 20; n++) {
      const next = nameAfterList(masked, end);
      const candidate = next && nameCandidate(masked, 'person', next.start, next.end);
      if (!next || !candidate) break;
      out.push(candidate);
      end = next.end;
    }
  }
  // Whichever rule built it, a name never crosses layout whitespace or starts inside a word.
  const names = out.splice(firstName).filter((c) => isCleanNameSpan(masked, c.start, c.end));
  for (const c of names) out.push(c);
}

/** "Mexico, Mongolia" or "Vancouver, Canada": one place per name. */
function splitPlaceList(text: string, c: Candidate): Candidate[] {
  if (c.type !== 'place') return [c];
  const surface = text.slice(c.start, c.end);
  if (!surface.includes(',')) return [c];
  const parts: Candidate[] = [];
  for (const m of surface.matchAll(/[^,]+/g)) {
    const lead = /^\s*/.exec(m[0])?.[0].length ?? 0;
    const start = c.start + m.index + lead;
    const end = c.start + m.index + m[0].trimEnd().length;
    const part = end > start ? nameCandidate(text, 'place', start, end) : null;
    if (part) parts.push(part);
  }
  return parts;
}

/** Words written as `$WORD` or `${WORD}` somewhere in the text: variables, never names. */
function shellVariables(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/\$\{?#?([A-Za-z_][A-Za-z0-9_]{0,63})/g)) names.add(m[1] ?? '');
  return names;
}

/**
 * The tagger's people, organizations and places, checked and repaired: a span must not cross
 * layout whitespace or start inside a word ("Rolls-Royce" holds no person "Royce"); an all-caps
 * technical word (PATH, IFS, $LANG) is nothing; a person's name runs on over the name words after
 * it ("Ian" → "Ian A. Murdock"); a street ("Rue de Rivoli") is a place.
 */
function refineTagged(text: string, c: Candidate, variables: Set<string>, placeEnds: Set<number>): Candidate | null {
  if (!isCleanNameSpan(text, c.start, c.end)) return null;
  let surface = text.slice(c.start, c.end);
  const single = !/\s/.test(surface);
  if (single && /^[\p{Lu}\p{N}_]+$/u.test(surface.replace(/\.$/, ''))) {
    const word = surface.replace(/\.$/, '');
    if (c.type === 'person' || TECHNICAL_CAPS.has(word) || variables.has(word) || /[\d_]/.test(word)) return null;
  }
  if (c.type !== 'person') {
    // "On Debian systems": the tagger's name ends on its last capitalized word.
    const trimmed = /(?:[ ]\p{Ll}[\p{L}'’-]*)+$/u.exec(surface);
    if (trimmed) {
      const candidate = nameCandidate(text, c.type, c.start, c.end - trimmed[0].length);
      return candidate && isCleanNameSpan(text, candidate.start, candidate.end) ? candidate : null;
    }
    // "Chief Financial" before "Officer …": part of a title, not a name.
    const next = /^ (\p{Lu}\p{Ll}+)/u.exec(text.slice(c.end, c.end + 24))?.[1];
    if (next !== undefined && TITLE_WORDS.has(next.toLowerCase())) return null;
    // A place cut off before the next capitalized word ("The Internal Field Separator") is a fragment.
    if (c.type === 'place' && /^ \p{Lu}\p{Ll}/u.test(text.slice(c.end, c.end + 3)) && !startsSentence(text, c.end + 1)) return null;
    return c;
  }
  // "Santa Monica, California": one word right after a place and a comma is a place too.
  if (!/\s/.test(surface) && text.slice(c.start - 2, c.start) === ', ' && placeEnds.has(c.start - 2)) {
    return { type: 'place', start: c.start, end: c.end, value: normalizeName('place', surface) };
  }
  const tagged = surface;
  const end = extendName(text, c.start, c.end);
  const start = c.title === undefined ? extendNameBack(text, c.start) : c.start;
  if (end !== c.end || start !== c.start) {
    const extended = nameCandidate(text, 'person', start, end);
    if (extended) c = { ...extended, ...(c.title !== undefined && extended.title === undefined ? { title: c.title } : {}) };
    surface = text.slice(c.start, c.end);
  }
  if (isPlaceLike(surface)) return { type: 'place', start: c.start, end: c.end, value: normalizeName('place', surface) };
  if (startsSentence(text, c.start) && c.title === undefined) {
    // A lone capitalized word opening a sentence ("Model this as…") is a name only if it is a
    // given name; "Mark" or "Even" there is an ordinary word, whatever follows it.
    if (COMMON_WORD_NAMES.has(tagged)) return null;
    if (!/\s/.test(surface) && !GIVEN_NAMES.has(surface)) return null;
  }
  return c;
}

/** Is `pos` the first word of a sentence or a line ("Model this as a change…")? */
function startsSentence(text: string, pos: number): boolean {
  let i = pos - 1;
  while (i >= 0 && ' \t()"“”\''.includes(text[i] ?? '')) i--;
  return i < 0 || /[.!?:\n]/.test(text[i] ?? '');
}

/**
 * Blanks emails, URLs, mentions and hashtags (same length, so offsets hold) before the tagger
 * and the name rules see the text: "jane@acme.com" must not yield an organization "acme".
 */
function maskPatternSpans(text: string, candidates: Candidate[]): string {
  const spans = candidates
    .filter((c) => c.type === 'email' || c.type === 'url' || c.type === 'mention' || c.type === 'hashtag')
    .sort((a, b) => a.start - b.start);
  if (spans.length === 0) return text;
  const parts: string[] = [];
  let cursor = 0;
  for (const s of spans) {
    if (s.end <= cursor) continue;
    const start = Math.max(s.start, cursor);
    parts.push(text.slice(cursor, start), ' '.repeat(s.end - start));
    cursor = s.end;
  }
  parts.push(text.slice(cursor));
  return parts.join('');
}

interface Span {
  start: number;
  end: number;
}

// Each branch may only start at the beginning of its run (the lookbehinds), so a megabyte of dots
// or spaces is scanned once, not once per position: without them the pattern is quadratic.
const SENTENCE_END_RE = /(?<![.!?])[.!?]+["'”’)\]]*[ \t]+|(?<![ \t])[ \t]*\n\s*|\n\s*/g;
const CAPITAL_WORD_RE = /(?<![\p{L}\p{N}'’])\p{Lu}[\p{L}\p{M}'’.-]*/gu;

/**
 * Packs the sentences that may hold a name into pieces of at most PIECE_CHARS, each piece a list
 * of text spans (runs of adjacent sentences). A sentence whose only capitalized word is a common
 * opener ("The market fell.") cannot hold a name and is not tagged; in mostly uncased text every
 * sentence is. Runs are packed together rather than tagged one by one because the tagger's cost
 * per call is high for small inputs.
 */
function taggerPieces(text: string): Span[][] {
  const sentences: Array<{ start: number; end: number; named: boolean }> = [];
  let cursor = 0;
  let casedStarts = 0;
  const addSentence = (start: number, end: number): void => {
    const sentence = text.slice(start, end);
    if (!/\p{L}/u.test(sentence)) return;
    const { named, casedStart } = sentenceMayName(sentence);
    if (casedStart) casedStarts += 1;
    // Every name span must start with a capital (isCleanNameSpan), so a sentence without one
    // cannot yield a name: not tagging it keeps a megabyte of lower-case noise cheap.
    if (!/\p{Lu}/u.test(sentence)) return;
    sentences.push({ start, end, named });
  };
  for (const m of text.matchAll(SENTENCE_END_RE)) {
    const end = m.index + m[0].length;
    addSentence(cursor, end);
    cursor = end;
  }
  if (cursor < text.length) addSentence(cursor, text.length);
  const uncased = casedStarts < sentences.length / 2;

  const pieces: Span[][] = [];
  let piece: Span[] = [];
  let size = 0;
  for (const s of sentences) {
    if (!s.named && !uncased) continue;
    for (let start = s.start; start < s.end;) {
      // The tagger's cost grows faster than linearly with the length of one sentence, so a long
      // one (a list, a table, a run without punctuation) is cut at a space, searched for only
      // within the chunk so that a text without spaces stays linear.
      let end = s.end;
      if (end - start > MAX_SENTENCE_CHARS) {
        const space = text.slice(start, start + MAX_SENTENCE_CHARS + 1).lastIndexOf(' ');
        end = space > 0 ? start + space + 1 : start + MAX_SENTENCE_CHARS;
      }
      if (size + (end - start) > PIECE_CHARS && piece.length > 0) {
        pieces.push(piece);
        piece = [];
        size = 0;
      }
      const last = piece[piece.length - 1];
      if (last && last.end === start && start === s.start && end - start + (last.end - last.start) <= MAX_SENTENCE_CHARS) last.end = end;
      else piece.push({ start, end });
      size += end - start + PIECE_SEPARATOR.length;
      start = end;
    }
  }
  if (piece.length > 0) pieces.push(piece);
  return pieces;
}

function sentenceMayName(sentence: string): { named: boolean; casedStart: boolean } {
  let first = true;
  let casedStart = false;
  const firstLetter = /\p{L}/u.exec(sentence);
  if (firstLetter && /\p{Lu}/u.test(firstLetter[0])) casedStart = true;
  for (const m of sentence.matchAll(CAPITAL_WORD_RE)) {
    const word = m[0];
    const isFirst = first && !/\p{L}/u.test(sentence.slice(0, m.index));
    first = false;
    if (word.length < 2 && !isFirst) continue; // "I"
    if (isFirst && STOPWORDS.has(word.replace(/[.'’-]+$/, '').toLowerCase())) continue;
    if (word.length < 2) continue;
    return { named: true, casedStart };
  }
  return { named: false, casedStart };
}

interface TaggedTerm {
  text: string;
  pre: string;
  post: string;
}

/** Joins the spans of a piece; a blank line keeps the tagger from reading across a gap. */
const PIECE_SEPARATOR = '\n\n';

function tagPiece(text: string, spans: Span[], out: Candidate[]): void {
  const parts: string[] = [];
  const offsets: number[] = []; // where each span starts in the piece
  let length = 0;
  for (const span of spans) {
    if (parts.length > 0) {
      parts.push(PIECE_SEPARATOR);
      length += PIECE_SEPARATOR.length;
    }
    offsets.push(length);
    parts.push(text.slice(span.start, span.end));
    length += span.end - span.start;
  }
  const piece = parts.join('');
  /** Maps a piece range back to the text, or null when it is not inside one span. */
  const toText = (start: number, end: number): Span | null => {
    let lo = 0;
    let hi = offsets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((offsets[mid] ?? 0) <= start) lo = mid;
      else hi = mid - 1;
    }
    const span = spans[lo];
    const base = offsets[lo];
    if (!span || base === undefined || end - base > span.end - span.start) return null;
    return { start: span.start + start - base, end: span.start + end - base };
  };

  const doc = nlp()(piece);
  const termStarts = alignTerms(piece, doc.document as unknown as TaggedTerm[][]);
  const views: Array<[EntityType, TaggedTerm[][]]> = [
    ['person', doc.people().docs as unknown as TaggedTerm[][]],
    ['organization', doc.organizations().docs as unknown as TaggedTerm[][]],
    ['place', doc.places().docs as unknown as TaggedTerm[][]],
  ];
  for (const [type, matches] of views) {
    for (const terms of matches) {
      for (const segment of splitAtBreaks(terms)) {
        const first = segment[0];
        const last = segment[segment.length - 1];
        if (!first || !last) continue;
        const start = termStarts.get(first);
        const lastStart = termStarts.get(last);
        if (start === undefined || lastStart === undefined) continue;
        let end = lastStart + last.text.length;
        // Keep the full stop of "Acme Corp." and "Jr.", not the one that ends the sentence.
        if (last.post.startsWith('.') && ORG_ABBREV_OR_SUFFIX.test(last.text)) end += 1;
        const range = toText(start, end);
        const candidate = range && nameCandidate(text, type, range.start, range.end);
        if (candidate) out.push(candidate);
      }
    }
  }
}

const TERM_BREAK_RE = /[()[\]{}:;|/"“”–—\n]|\s-\s/;

/** The tagger can run a name across a dateline or brackets ("WASHINGTON (Reuters) - The Fed"): split there. */
function splitAtBreaks(terms: TaggedTerm[]): TaggedTerm[][] {
  const segments: TaggedTerm[][] = [];
  let current: TaggedTerm[] = [];
  for (const term of terms) {
    if (current.length > 0 && TERM_BREAK_RE.test(term.pre)) {
      segments.push(current);
      current = [];
    }
    current.push(term);
    if (TERM_BREAK_RE.test(term.post)) {
      segments.push(current);
      current = [];
    }
  }
  if (current.length > 0) segments.push(current);
  return segments;
}

const ORG_ABBREV_OR_SUFFIX = /^(?:Inc|Corp|Ltd|Co|Bros|Plc|Jr|Sr|St|Mt|Ft)$/i;

/** Finds where each term's text starts in the piece (compromise keeps pre + text + post verbatim). */
function alignTerms(piece: string, document: TaggedTerm[][]): Map<TaggedTerm, number> {
  const offsets = new Map<TaggedTerm, number>();
  let cursor = 0;
  for (const sentence of document) {
    for (const term of sentence) {
      const expected = cursor + term.pre.length;
      if (term.text === '') {
        cursor = expected + term.post.length;
        continue;
      }
      let at = piece.startsWith(term.text, expected) ? expected : -1;
      if (at === -1) {
        // Defensive: if compromise ever normalizes a character, find the word close by instead.
        const near = piece.indexOf(term.text, Math.max(0, cursor));
        if (near !== -1 && near - cursor <= 64) at = near;
      }
      if (at === -1) continue;
      offsets.set(term, at);
      cursor = at + term.text.length + term.post.length;
    }
  }
  return offsets;
}

/** Trims a raw name span (quotes, "the", possessive 's, honorific for people) and normalizes it. */
function nameCandidate(text: string, type: EntityType, start: number, end: number): Candidate | null {
  let surface = text.slice(start, end);
  // Leading and trailing punctuation the tagger sometimes includes.
  const lead = /^[^\p{L}\p{N}]+/u.exec(surface)?.[0].length ?? 0;
  start += lead;
  surface = surface.slice(lead);
  const trail = /[^\p{L}\p{N}.]+$/u.exec(surface)?.[0].length ?? 0;
  end -= trail;
  surface = surface.slice(0, surface.length - trail);
  // A full stop ends the sentence unless it belongs to an initial or an abbreviation ("Acme Corp.").
  if (
    surface.endsWith('.') &&
    !/(?:^|[\s.])(?:\p{Lu}|Inc|Corp|Ltd|Co|Bros|Plc|Jr|Sr|St|Mt|Ft)\.$/u.test(surface)
  ) {
    end -= 1;
    surface = surface.slice(0, -1);
  }
  const possessive = /['’]s?$/u.exec(surface);
  if (possessive && surface.length > possessive[0].length + 1) {
    end -= possessive[0].length;
    surface = surface.slice(0, -possessive[0].length);
  }
  if (type !== 'person') {
    const article = /^(?:the|The|THE)[ \t]+/.exec(surface);
    if (article) {
      start += article[0].length;
      surface = surface.slice(article[0].length);
    }
  }
  let title: string | undefined;
  if (type === 'person') {
    // A title is not part of the name: the span leaves it out and the entity keeps it as `title`.
    const lead = HONORIFIC_LEADING_RE.exec(surface) ?? QUALIFIED_TITLE_RE.exec(surface);
    if (lead && lead[0].length < surface.length) {
      // "Chief Financial" before the span's "Officer" belongs to the title too.
      const prefix = TITLE_PREFIX_BEFORE_RE.exec(text.slice(Math.max(0, start - 40), start))?.[0] ?? '';
      title = (prefix + lead[0]).trim().replace(/\s+/g, ' ');
      start += lead[0].length;
      surface = surface.slice(lead[0].length);
    } else {
      const before = HONORIFIC_BEFORE_RE.exec(text.slice(Math.max(0, start - 64), start));
      if (before) title = before[0].trim().replace(/\s+/g, ' ');
    }
  }
  if (!/\p{Lu}/u.test(surface) || surface.length < 2) return null;
  const value = normalizeName(type, surface);
  // A bare "Inc." left over when the name itself was a URL ("Amazon.com Inc."), or a lone title.
  if (value.length < 2 || STOPWORDS.has(value.toLowerCase()) || LONE_WORDS.has(value)) return null;
  return title === undefined ? { type, start, end, value } : { type, start, end, value, title };
}

function normalizeName(type: EntityType, surface: string): string {
  let s = surface.replace(/\s+/g, ' ');
  if (type === 'person') s = s.replace(HONORIFIC_LEADING_RE, '');
  s = s.replace(/['’]s?$/u, '');
  if (type === 'organization') {
    s = s.replace(/\.$/, '').replace(/,[ ](?=(?:Inc|Incorporated|LLC|LLP|Ltd|Limited|GmbH|PLC|Plc)\b)/, ' ');
  }
  return s
    .split(' ')
    .map((word, i) => canonicalWord(type, word, i))
    .join(' ');
}

/** Title-cases words written all in one case; keeps mixed case (McDonald) and org acronyms (IBM). */
function canonicalWord(type: EntityType, word: string, index: number): string {
  const letters = word.replace(/[^\p{L}]/gu, '');
  if (letters === '') return word;
  const lower = word.toLowerCase();
  if (index > 0 && PARTICLES.has(lower)) return lower;
  if (
    word === lower ||
    (word === word.toUpperCase() && letters.length > 1 && (type !== 'organization' || letters.length > 5))
  ) {
    return lower.replace(/(^|[-'’.])(\p{L})/gu, (m: string, sep: string, ch: string, offset: number) =>
      sep === "'" || sep === '’' ? (offset === 1 ? sep + ch.toUpperCase() : m) : sep + ch.toUpperCase(),
    );
  }
  return word;
}

interface Token {
  start: number;
  end: number;
  word: string;
}

/** The whitespace-separated token ending right before `pos` (same line), or null. */
function tokenBefore(text: string, pos: number): Token | null {
  let end = pos;
  while (end > 0 && (text[end - 1] === ' ' || text[end - 1] === '\t')) end -= 1;
  if (end === pos || end === 0) return null;
  let start = end;
  while (start > 0 && end - start < 48 && !/\s/.test(text[start - 1] ?? ' ')) start -= 1;
  return { start, end, word: text.slice(start, end) };
}

/** The whitespace-separated token starting after the spaces at `pos` (same line), or null. */
function tokenAfter(text: string, pos: number): Token | null {
  let start = pos;
  while (start < text.length && (text[start] === ' ' || text[start] === '\t')) start += 1;
  if (start === pos) return null;
  let end = start;
  while (end < text.length && end - start < 48 && !/\s/.test(text[end] ?? ' ')) end += 1;
  if (end === start) return null;
  return { start, end, word: text.slice(start, end) };
}

function isNameWord(word: string): boolean {
  return NAME_TOKEN_RE.test(word) && !STOPWORDS.has(word.toLowerCase().replace(/[.'’]+$/, ''));
}

/**
 * "Acme Corp.", "Goldman Sachs Group Inc.", "Bill & Melinda Gates Foundation", "Bank of America",
 * "University of Oxford": capitalized words before a company-type word, or "Head of Name".
 */
function findRuleOrganizations(text: string, out: Candidate[]): void {
  for (const m of text.matchAll(ORG_KEYWORD_RE)) {
    const keyword = m[0];
    let start = m.index;
    let end = m.index + keyword.length;
    if (ORG_ABBREV.has(keyword) && text[end] === '.') end += 1;
    // Walk back over capitalized words (and "&"), at most five, without crossing punctuation.
    const before: Token[] = [];
    let pos = start;
    let commaAllowed = ORG_COMMA_SUFFIXES.has(keyword) && text[pos - 1] === ' ' && text[pos - 2] === ',';
    while (before.length < 6) {
      const tok = tokenBefore(text, pos);
      if (!tok) break;
      if (commaAllowed && tok.word.endsWith(',')) tok.word = tok.word.slice(0, -1);
      commaAllowed = false;
      // Sentence openers and function words ("The", "Yesterday", "To") end the name.
      if (tok.word !== '&' && (!isNameWord(tok.word) || /[.,;:!?'’]$/.test(tok.word))) break;
      before.unshift(tok);
      pos = tok.start;
    }
    while (before[0]?.word === '&') before.shift();
    if (before[0]) start = before[0].start;
    const hasOf = ORG_OF_HEADS.has(keyword) && /^[ \t]+of[ \t]+/.test(text.slice(end, end + 12));
    if (hasOf) end = extendOfClause(text, end) ?? end;
    if (start === m.index && !hasOf) continue; // a lone "Bank" or "University" is not a name
    end = extendSuffixes(text, end);
    const candidate = nameCandidate(text, 'organization', start, end);
    if (candidate) out.push(candidate);
  }
  // "University of Oxford" at the start of a sentence or line: the keyword pass needs a space before it.
  for (const m of text.matchAll(ORG_OF_RE)) {
    if (m.index > 0 && /[ \t,]/.test(text[m.index - 1] ?? '')) continue;
    const headEnd = m.index + m[0].replace(/[ \t]+of[ \t]+$/, '').length;
    const end = extendOfClause(text, headEnd);
    if (end === null) continue;
    const candidate = nameCandidate(text, 'organization', m.index, extendSuffixes(text, end));
    if (candidate) out.push(candidate);
  }
}

/** Role words after a company name: "Microsoft CEO Satya Nadella", "Tesla founder Elon Musk". */
const EXEC_ROLE_RE =
  /(?<=[ \t])(?:CEO|CFO|CTO|COO|chief executive|chief financial officer|chief technology officer|founder|co-founder|cofounder|chairman|chairwoman|spokesperson|spokesman|spokeswoman)(?=[ \t]+\p{Lu})/gu;
/** Capitalized words that start such a phrase without naming a company. */
const ROLE_QUALIFIERS = new Set(
  words('Former Then Interim Acting Deputy Incoming Outgoing New Its Their His Her Our The A An Company Group Firm Startup Co'),
);

/** "Microsoft CEO …": up to three capitalized words right before an executive role name a company. */
function findRoleOrganizations(text: string, out: Candidate[]): void {
  for (const m of text.matchAll(EXEC_ROLE_RE)) {
    const before: Token[] = [];
    let pos = m.index;
    while (before.length < 3) {
      const tok = tokenBefore(text, pos);
      if (!tok || !isNameWord(tok.word) || /[.,;:!?'’]$/.test(tok.word) || ROLE_QUALIFIERS.has(tok.word)) break;
      before.unshift(tok);
      pos = tok.start;
    }
    if (before.length === 0) continue;
    const candidate = nameCandidate(text, 'organization', before[0]!.start, before[before.length - 1]!.end);
    if (candidate) out.push(candidate);
  }
}

/** After "University": " of (the) Name Name…" → end of the last name word, or null. */
function extendOfClause(text: string, headEnd: number): number | null {
  const of = /^[ \t]+of[ \t]+(?:the[ \t]+)?/.exec(text.slice(headEnd, headEnd + 16));
  if (!of) return null;
  let pos = headEnd + of[0].length - 1;
  let end: number | null = null;
  let words = 0;
  while (words < 5) {
    const tok = tokenAfter(text, pos);
    if (!tok) break;
    const word = tok.word.replace(/(?:['’]s|[.,;:!?'’")\]]+)$/u, '');
    const trimmed = word.length !== tok.word.length;
    if (end !== null && PARTICLES.has(word.toLowerCase()) && !trimmed && word !== 'the') {
      const after = tokenAfter(text, tok.end);
      if (after && isNameWord(after.word.replace(/[.,;:!?'’")\]]+$/u, ''))) {
        pos = tok.end;
        continue;
      }
      break;
    }
    // "Bank of England Governor Andrew Bailey": a title ends the organization's name.
    if (!isNameWord(word) || HONORIFIC_WORD_SET.has(word)) break;
    end = tok.start + word.length;
    words += 1;
    if (trimmed) break;
    pos = tok.end;
  }
  return end;
}

/** "… Group" + " Inc." / ", Inc.": trailing legal suffixes belong to the name. */
function extendSuffixes(text: string, end: number): number {
  for (let i = 0; i < 2; i++) {
    const m =
      /^(,?[ \t]+)(Inc|Corp|Corporation|LLC|LLP|Ltd|Limited|GmbH|PLC|Plc|AG|Co|Group|Holdings)(?![\p{L}\p{N}])(\.)?/u.exec(
        text.slice(end, end + 20),
      );
    if (!m) break;
    const [, gap = '', suffix = '', dot] = m;
    end += gap.length + suffix.length + (dot && ORG_ABBREV.has(suffix) ? 1 : 0);
  }
  return end;
}

/** "Dr. Jane Smith", "Sen. Elizabeth Warren", "Prof. Alan M. Turing": honorific + capitalized words. */
function findHonorificPeople(text: string, out: Candidate[]): void {
  for (const m of text.matchAll(HONORIFIC_RE)) {
    let pos = m.index + m[0].length;
    let end: number | null = null;
    for (let words = 0; words < 4; words++) {
      const tok = tokenAfter(text, pos);
      if (!tok) break;
      const isInitial = /^\p{Lu}\.$/u.test(tok.word);
      const word = isInitial ? tok.word : tok.word.replace(/(?:['’]s|[.,;:!?'’")\]]+)$/u, '');
      const trimmed = word.length !== tok.word.length;
      if (!isNameWord(word) && !isInitial) break;
      end = tok.start + word.length;
      if (trimmed) break;
      pos = tok.end;
    }
    if (end === null) continue;
    const candidate = nameCandidate(text, 'person', m.index, end);
    if (candidate) out.push(candidate);
  }
}
