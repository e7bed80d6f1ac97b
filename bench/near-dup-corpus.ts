/**
 * Deterministic corpus with known near-duplicates, for dedupe quality tests and benchmarks.
 *
 * Base passages (~1 KB each) come in three kinds, mixed round-robin:
 * - prose: varied narrative sentences from templates and word lists;
 * - docs: reference sections for made-up configuration options, written from a small set of
 *   templates, so different sections repeat whole phrases ("defaults to", "See the … section");
 * - logs: timestamped log lines from a dozen message templates, so different passages share most
 *   of their words and differ in timestamps, ids, hosts and durations.
 * Some bases also reuse one or two sentences of an earlier base of the same kind (boilerplate),
 * which makes distinct passages overlap the way sections of one real document do.
 *
 * Each base gets `copiesPerBase` copies with word edits (substitution, typo, adjacent swap,
 * insertion, deletion) at one of `editRates`, optionally a dropped or moved sentence, and
 * optionally case / whitespace / punctuation changes. Every item carries the ground-truth group
 * (its base's index); a copy with rate 0 and only formatting changes is an exact duplicate after
 * normalization. Items are shuffled so a copy can come before its base.
 */

export type PassageKind = 'prose' | 'docs' | 'logs';
export type StructuralChange = 'none' | 'drop-sentence' | 'move-sentence' | 'drop-and-move';
export type FormatChange = 'none' | 'case' | 'whitespace' | 'punctuation' | 'all';

export interface NearDupCorpusOptions {
  seed?: number;
  /** Number of distinct base passages (default 200). */
  bases?: number;
  /** Edited copies per base (default 3). */
  copiesPerBase?: number;
  /** Fractions of words edited in a copy, one picked per copy (default [0, 0.02, 0.05, 0.1]). */
  editRates?: number[];
  /** Approximate length of a base passage in characters (default 1000). */
  targetChars?: number;
  /** Kinds of passage, used round-robin (default all three). */
  kinds?: PassageKind[];
  /** Share of bases that reuse 1–2 sentences of an earlier base of the same kind (default 0.3). */
  sharedSentenceRate?: number;
  /** Shuffle item order (default true). */
  shuffle?: boolean;
}

export interface NearDupCorpusItem {
  id: string;
  text: string;
  /** Ground truth: items with the same group are copies of one base passage. */
  group: number;
  kind: PassageKind;
  /** null for a base passage. */
  variant: { editRate: number; edits: number; structural: StructuralChange; format: FormatChange } | null;
}

export interface NearDupCorpus {
  items: NearDupCorpusItem[];
}

/** mulberry32: small, fast, good enough for test data, identical on every platform. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;

function pick<T>(rng: Rng, list: readonly T[]): T {
  return list[Math.floor(rng() * list.length)] as T;
}

function int(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

const words = (s: string): string[] => s.trim().split(/\s+/);
const phrases = (s: string): string[] => s.trim().split(/\s*,\s*/);

// ---------------------------------------------------------------------------------------------
// Prose

const PEOPLE =
  phrases(`the committee, the engineer, our neighbour, the old captain, a young teacher, the mayor,
  my grandmother, the research team, the librarian, a farmer, the council, the new manager, the pilot,
  a travelling musician, the nurse, the students, the baker, the journalist, the volunteers, the gardener`);
const PLACES = words(`harbour library village market station valley bridge museum factory orchard
  hospital river lighthouse school square garden warehouse chapel bakery island forest`);
const PAST_VERBS = words(`reviewed repaired painted described discovered measured delivered organised
  questioned remembered rebuilt explored photographed counted restored visited examined replanted
  mapped catalogued`);
const THINGS = words(`budget roof letters harvest schedule engine recipe fence archive lantern map
  report garden path ledger boat mural clock orchard records bicycle telescope`);
const ADJECTIVES = words(`quiet careful narrow ancient bright heavy patient crowded forgotten gentle
  stubborn generous muddy elegant fragile curious restless weathered hidden ordinary`);
const TIMES = phrases(`before dawn, after the storm, on Tuesday, during the winter, in early spring, at noon,
  last autumn, by evening, after the festival, over the weekend`);
const ADVERBS = words(`slowly carefully eventually suddenly quietly gladly rarely patiently briefly
  proudly reluctantly happily`);
const FEELINGS = words(`relieved puzzled delighted worried surprised tired hopeful grateful uneasy
  amused`);

function proseSentence(rng: Rng): string {
  const person = (): string => pick(rng, PEOPLE);
  const templates: Array<() => string> = [
    () =>
      `${person()} ${pick(rng, ADVERBS)} ${pick(rng, PAST_VERBS)} the ${pick(rng, ADJECTIVES)} ${pick(rng, THINGS)} near the ${pick(rng, PLACES)}.`,
    () =>
      `${pick(rng, TIMES)}, ${person()} ${pick(rng, PAST_VERBS)} the ${pick(rng, THINGS)} and felt ${pick(rng, FEELINGS)}.`,
    () =>
      `Nobody expected the ${pick(rng, THINGS)} at the ${pick(rng, PLACES)} to be so ${pick(rng, ADJECTIVES)}.`,
    () =>
      `When ${person()} reached the ${pick(rng, PLACES)}, the ${pick(rng, THINGS)} had already been ${pick(rng, PAST_VERBS)}.`,
    () =>
      `It took ${int(rng, 2, 40)} ${pick(rng, ['days', 'weeks', 'hours', 'months'])} before ${person()} ${pick(rng, PAST_VERBS)} the ${pick(rng, THINGS)}.`,
    () =>
      `The ${pick(rng, ADJECTIVES)} ${pick(rng, PLACES)} was ${pick(rng, ['busier', 'quieter', 'colder', 'smaller', 'older'])} than ${person()} remembered.`,
    () =>
      `"We should ${pick(rng, ['check', 'fix', 'move', 'sell', 'keep', 'paint'])} the ${pick(rng, THINGS)} ${pick(rng, TIMES)}," said ${person()}.`,
    () =>
      `Some of the ${pick(rng, THINGS)}s were ${pick(rng, ADJECTIVES)}, but most were ${pick(rng, ADJECTIVES)} and ${pick(rng, ADJECTIVES)}.`,
    () =>
      `${person()} ${pick(rng, PAST_VERBS)} ${int(rng, 3, 90)} ${pick(rng, THINGS)}s, which left the ${pick(rng, PLACES)} ${pick(rng, ADJECTIVES)}.`,
    () =>
      `According to ${person()}, the ${pick(rng, THINGS)} by the ${pick(rng, PLACES)} had not been ${pick(rng, PAST_VERBS)} since ${int(rng, 1890, 2020)}.`,
  ];
  const s = pick(rng, templates)();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// ---------------------------------------------------------------------------------------------
// Documentation

const OPTION_WORDS = words(`cache retry request pool socket buffer upload index queue session token
  worker batch stream timeout proxy log shard replica snapshot backoff compression trace limit`);
const OPTION_SUFFIXES = words(`Size Limit Timeout Count Interval Dir Mode Level Policy Enabled Path
  Threshold Ttl Window Depth`);
const COMPONENTS = words(`server scheduler client worker gateway indexer uploader cache layer proxy
  storage engine`);
const SECTIONS = words(`Configuration Networking Storage Security Logging Performance Deployment
  Troubleshooting Upgrading Monitoring`);
const UNITS = words(`seconds milliseconds bytes megabytes entries requests connections`);
const DOC_NOUNS = phrases(`idle connections, pending uploads, cached pages, retry attempts, open files,
  queued messages, index segments, session tokens, worker threads, compressed blocks, trace spans,
  replica acknowledgements, snapshot files, DNS lookups, TLS handshakes, partial results, batch jobs,
  search shards, log records, webhook deliveries`);
const DOC_ACTIONS = phrases(`closes the oldest one, drops the request, retries with a longer delay,
  flushes the buffer to disk, switches to the standby node, returns a 503 error to the caller,
  pauses the queue until memory is freed, rebuilds the index in the background, sends an alert to the
  operator, splits the batch in two, falls back to uncompressed transfers, skips the remaining items,
  rotates the file and starts a new one, marks the node as unhealthy`);
const DOC_CONDITIONS = phrases(`the network is slow, a peer stops responding, the disk is almost full,
  two requests race for the same key, the process receives SIGTERM, a client sends a malformed
  header, the clock jumps backwards, the cache is cold after a restart, a replica falls behind,
  a batch contains duplicate ids, the upstream service rate-limits us, memory pressure is high`);
const DOC_GOALS = phrases(`reduce tail latency, keep memory bounded on small machines, survive short
  network outages, make restarts faster, avoid overloading the database, debug a stuck deployment,
  save bandwidth on metered links, spread load across replicas, keep audit logs complete`);
const DOC_PURPOSES: Array<(rng: Rng, d: DocSubject) => string> = [
  (rng, d) =>
    `sets how long the ${d.component} waits for ${pick(rng, DOC_NOUNS)} before it ${pick(rng, DOC_ACTIONS)}`,
  (rng, d) => `limits the number of ${pick(rng, DOC_NOUNS)} that the ${d.component} keeps at once`,
  (rng, d) => `decides which ${pick(rng, DOC_NOUNS)} the ${d.component} keeps when it runs out of ${d.unit}`,
  (rng, d) => `tells the ${d.component} how often to check ${pick(rng, DOC_NOUNS)}, in ${d.unit}`,
  (rng, d) => `caps the ${d.unit} spent on ${pick(rng, DOC_NOUNS)} per cycle`,
];

interface DocSubject {
  option: string;
  component: string;
  unit: string;
  value: number;
  purpose: string;
}

/** Every docs passage documents its own option, as the sections of one reference would. */
function uniqueOption(rng: Rng, used: Set<string>): string {
  for (;;) {
    const name = pick(rng, OPTION_WORDS) + pick(rng, OPTION_SUFFIXES);
    const option = used.has(name) ? `${name}${int(rng, 2, 999)}` : name;
    if (!used.has(option)) {
      used.add(option);
      return option;
    }
  }
}

function docSubject(rng: Rng, used: Set<string>): DocSubject {
  const partial = {
    option: uniqueOption(rng, used),
    component: pick(rng, COMPONENTS),
    unit: pick(rng, UNITS),
    value: pick(rng, [1, 4, 8, 16, 30, 60, 100, 256, 1000, 4096]),
  };
  return { ...partial, purpose: pick(rng, DOC_PURPOSES)(rng, { ...partial, purpose: '' }) };
}

/** The opening sentence of a section; the rest mixes option-specific sentences and boilerplate. */
function docIntro(d: DocSubject): string {
  return `The \`${d.option}\` option ${d.purpose}.`;
}

function docSentence(rng: Rng, d: DocSubject): string {
  const templates: Array<() => string> = [
    // Option-specific: what happens, why you would change it.
    () => `When ${pick(rng, DOC_CONDITIONS)}, the ${d.component} ${pick(rng, DOC_ACTIONS)}.`,
    () =>
      `If more than ${d.value} ${pick(rng, DOC_NOUNS)} pile up, the ${d.component} ${pick(rng, DOC_ACTIONS)}.`,
    () => `Raise \`${d.option}\` to ${pick(rng, DOC_GOALS)}; lower it to ${pick(rng, DOC_GOALS)}.`,
    () => `For example, set \`${d.option}: ${d.value * int(rng, 2, 8)}\` to ${pick(rng, DOC_GOALS)}.`,
    () =>
      `Operators who need to ${pick(rng, DOC_GOALS)} usually leave \`${d.option}\` between ${Math.max(1, Math.floor(d.value / 4))} and ${d.value * 4}.`,
    () => `Note that ${pick(rng, DOC_NOUNS)} are counted separately, so \`${d.option}\` does not cover them.`,
    () =>
      `Setting it to 0 turns the limit off, which is only safe when ${pick(rng, DOC_CONDITIONS)} never happens.`,
    () =>
      `The ${d.component} logs a warning when ${pick(rng, DOC_CONDITIONS)} and \`${d.option}\` is too low.`,
    // Boilerplate shared by every section.
    () => `It accepts a positive integer and defaults to ${d.value}.`,
    () => `See the ${pick(rng, SECTIONS)} section for details.`,
    () => `This setting was added in version ${int(rng, 1, 4)}.${int(rng, 0, 20)}.`,
    () => `Changing \`${d.option}\` requires a restart of the ${d.component}.`,
    () => `Use \`prechew config get ${d.option}\` to print the current value.`,
    () => `The environment variable \`APP_${d.option.toUpperCase()}\` overrides the configuration file.`,
  ];
  return pick(rng, templates)();
}

// ---------------------------------------------------------------------------------------------
// Logs

const LEVELS = ['INFO', 'INFO', 'INFO', 'DEBUG', 'WARN', 'ERROR'];
const METHODS = ['GET', 'GET', 'POST', 'PUT', 'DELETE'];
const PATH_PARTS = words(`users orders items invoices sessions files reports search health metrics`);
const TABLES = words(`users orders events payments audit_log inventory`);
const HOSTS = words(`db-primary db-replica cache-1 cache-2 queue-0 auth-svc search-2 blob-store`);

function hex(rng: Rng, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += '0123456789abcdef'.charAt(int(rng, 0, 15));
  return s;
}

function logLine(rng: Rng, clock: { t: number }, component: string): string {
  clock.t += int(rng, 5, 4000);
  const d = new Date(Date.UTC(2024, 4, 1) + clock.t);
  const ts = d.toISOString();
  const messages: Array<() => string> = [
    () =>
      `request ${pick(rng, METHODS)} /api/v1/${pick(rng, PATH_PARTS)}/${int(rng, 1, 99999)} completed with status ${pick(rng, [200, 200, 201, 204, 304, 404, 500])} in ${int(rng, 1, 900)} ms`,
    () =>
      `connection to ${pick(rng, HOSTS)}:${pick(rng, [5432, 6379, 9200, 443, 8080])} established after ${int(rng, 1, 300)} ms`,
    () =>
      `retrying ${pick(rng, ['fetch', 'publish', 'commit', 'upload'])} after ${int(rng, 50, 5000)} ms (attempt ${int(rng, 1, 5)} of 5)`,
    () => `cache miss for key session:${hex(rng, 12)}`,
    () =>
      `user ${int(rng, 1000, 99999)} signed in from 10.${int(rng, 0, 255)}.${int(rng, 0, 255)}.${int(rng, 1, 254)}`,
    () => `job ${hex(rng, 8)} finished: ${int(rng, 1, 20000)} items processed, ${int(rng, 0, 40)} skipped`,
    () => `slow query on table ${pick(rng, TABLES)} took ${int(rng, 500, 12000)} ms`,
    () => `health check ok (heap ${int(rng, 80, 2048)} MB, ${int(rng, 1, 64)} open connections)`,
    () => `rate limit exceeded for client ${hex(rng, 6)}, rejecting request`,
    () => `scheduled task ${pick(rng, ['cleanup', 'reindex', 'rotate-logs', 'backup', 'sync'])} started`,
    () =>
      `worker ${int(rng, 0, 31)} picked up ${int(rng, 1, 500)} messages from queue ${pick(rng, ['emails', 'events', 'thumbnails', 'webhooks'])}`,
    () => `config reloaded, ${int(rng, 1, 30)} keys changed`,
  ];
  return `${ts} ${pick(rng, LEVELS)} [${component}] ${pick(rng, messages)()}`;
}

// ---------------------------------------------------------------------------------------------
// Passages

interface Passage {
  kind: PassageKind;
  sentences: string[];
}

function joinPassage(p: Passage): string {
  return p.sentences.join(p.kind === 'logs' ? '\n' : ' ');
}

function generateBase(rng: Rng, kind: PassageKind, targetChars: number, usedOptions: Set<string>): Passage {
  const sentences: string[] = [];
  let length = 0;
  const add = (s: string): void => {
    sentences.push(s);
    length += s.length + 1;
  };
  if (kind === 'prose') {
    while (length < targetChars) add(proseSentence(rng));
  } else if (kind === 'docs') {
    const subject = docSubject(rng, usedOptions);
    add(docIntro(subject));
    const used = new Set<string>();
    let guard = 0;
    while (length < targetChars && guard++ < 200) {
      const s = docSentence(rng, subject);
      if (!used.has(s)) {
        used.add(s);
        add(s);
      }
    }
  } else {
    const clock = { t: int(rng, 0, 30 * 24 * 3600 * 1000) };
    const component = `${pick(rng, ['api', 'worker', 'scheduler', 'gateway', 'billing', 'search'])}-${int(rng, 1, 9)}`;
    while (length < targetChars) add(logLine(rng, clock, component));
  }
  return { kind, sentences };
}

// ---------------------------------------------------------------------------------------------
// Edits

const INSERT_WORDS = [...ADJECTIVES, ...ADVERBS, ...THINGS, 'very', 'also', 'then', 'only', 'still', 'again'];

function typo(rng: Rng, word: string): string {
  if (word.length < 2) return word + pick(rng, ['s', 'e', 'x']);
  const i = int(rng, 0, word.length - 2);
  switch (int(rng, 0, 3)) {
    case 0: // swap two adjacent characters
      return word.slice(0, i) + word.charAt(i + 1) + word.charAt(i) + word.slice(i + 2);
    case 1: // drop a character
      return word.slice(0, i) + word.slice(i + 1);
    case 2: // double a character
      return word.slice(0, i + 1) + word.charAt(i) + word.slice(i + 1);
    default: // replace a character
      return word.slice(0, i) + 'abcdefghijklmnopqrstuvwxyz'.charAt(int(rng, 0, 25)) + word.slice(i + 1);
  }
}

/** Applies `count` word-level edits spread over the passage; returns how many were applied. */
function editWords(rng: Rng, sentences: string[][], count: number): number {
  let applied = 0;
  for (let e = 0; e < count; e++) {
    const si = int(rng, 0, sentences.length - 1);
    const s = sentences[si];
    if (!s || s.length === 0) continue;
    const wi = int(rng, 0, s.length - 1);
    const word = s[wi] ?? '';
    switch (int(rng, 0, 4)) {
      case 0:
        s[wi] = pick(rng, INSERT_WORDS);
        break;
      case 1:
        s[wi] = typo(rng, word);
        break;
      case 2:
        if (wi + 1 < s.length) {
          s[wi] = s[wi + 1] ?? '';
          s[wi + 1] = word;
        } else s[wi] = typo(rng, word);
        break;
      case 3:
        s.splice(wi, 0, pick(rng, INSERT_WORDS));
        break;
      default:
        if (s.length > 1) s.splice(wi, 1);
        else s[wi] = typo(rng, word);
    }
    applied++;
  }
  return applied;
}

function applyStructural(rng: Rng, sentences: string[][], change: StructuralChange): void {
  if (change === 'none' || sentences.length < 4) return;
  if (change === 'drop-sentence' || change === 'drop-and-move') {
    sentences.splice(int(rng, 0, sentences.length - 1), 1);
  }
  if (change === 'move-sentence' || change === 'drop-and-move') {
    const from = int(rng, 0, sentences.length - 1);
    const [moved] = sentences.splice(from, 1);
    let to = int(rng, 0, sentences.length);
    if (to === from) to = (to + 1) % (sentences.length + 1);
    if (moved) sentences.splice(to, 0, moved);
  }
}

function applyFormat(rng: Rng, text: string, change: FormatChange): string {
  let out = text;
  const doCase = change === 'case' || change === 'all';
  const doSpace = change === 'whitespace' || change === 'all';
  const doPunct = change === 'punctuation' || change === 'all';
  if (doCase) {
    const style = int(rng, 0, 2);
    if (style === 0) out = out.toLowerCase();
    else if (style === 1) out = out.toUpperCase();
    else out = out.replace(/\b\p{L}/gu, (c) => c.toUpperCase());
  }
  if (doPunct) {
    const style = int(rng, 0, 2);
    // Sentence-level punctuation only: "10.0.3.7" or "12:00:01.123Z" keep their inner dots.
    if (style === 0) out = out.replace(/[.,;:!?"`]+(?=\s|$)/g, '').replace(/[`"]/g, '');
    else if (style === 1) out = out.replace(/\. /g, '; ').replace(/, /g, ' - ');
    else out = out.replace(/\.(?=\s|$)/g, '!').replace(/`/g, "'");
  }
  if (doSpace) {
    out = out.replace(/ /g, () => (rng() < 0.1 ? '  ' : rng() < 0.05 ? '\n' : ' '));
    out = `  ${out}\t\n`;
  }
  return out;
}

const STRUCTURAL: StructuralChange[] = ['none', 'none', 'drop-sentence', 'move-sentence', 'drop-and-move'];
const FORMATS: FormatChange[] = ['none', 'none', 'case', 'whitespace', 'punctuation', 'all'];

function makeCopy(
  rng: Rng,
  base: Passage,
  editRate: number,
): { text: string; variant: NonNullable<NearDupCorpusItem['variant']> } {
  const sentences = base.sentences.map((s) => s.split(' '));
  const structural = pick(rng, STRUCTURAL);
  const format = pick(rng, FORMATS);
  applyStructural(rng, sentences, structural);
  const totalWords = sentences.reduce((n, s) => n + s.length, 0);
  const edits = editRate > 0 ? editWords(rng, sentences, Math.max(1, Math.round(editRate * totalWords))) : 0;
  const text = joinPassage({ kind: base.kind, sentences: sentences.map((s) => s.join(' ')) });
  return { text: applyFormat(rng, text, format), variant: { editRate, edits, structural, format } };
}

export function generateNearDupCorpus(options: NearDupCorpusOptions = {}): NearDupCorpus {
  const seed = options.seed ?? 1;
  const baseCount = options.bases ?? 200;
  const copiesPerBase = options.copiesPerBase ?? 3;
  const editRates = options.editRates ?? [0, 0.02, 0.05, 0.1];
  const targetChars = options.targetChars ?? 1000;
  const kinds = options.kinds ?? ['prose', 'docs', 'logs'];
  const sharedRate = options.sharedSentenceRate ?? 0.3;
  const rng = createRng(seed);
  const usedOptions = new Set<string>();

  const bases: Passage[] = [];
  const byKind = new Map<PassageKind, Passage[]>();
  const items: NearDupCorpusItem[] = [];
  for (let b = 0; b < baseCount; b++) {
    const kind = kinds[b % kinds.length] ?? 'prose';
    const base = generateBase(rng, kind, targetChars, usedOptions);
    const earlier = byKind.get(kind) ?? [];
    if (earlier.length > 0 && rng() < sharedRate) {
      // Boilerplate shared with an earlier, distinct passage of the same kind.
      const donor = pick(rng, earlier);
      const shared = int(rng, 1, 2);
      for (let s = 0; s < shared; s++) {
        base.sentences.splice(int(rng, 0, base.sentences.length), 0, pick(rng, donor.sentences));
      }
    }
    earlier.push(base);
    byKind.set(kind, earlier.length > 64 ? earlier.slice(-32) : earlier);
    bases.push(base);
    const id = `p${String(b).padStart(6, '0')}`;
    items.push({ id, text: joinPassage(base), group: b, kind, variant: null });
    for (let c = 0; c < copiesPerBase; c++) {
      const rate = editRates[(b + c) % editRates.length] ?? 0;
      const copy = makeCopy(rng, base, rate);
      items.push({ id: `${id}.${c + 1}`, text: copy.text, group: b, kind, variant: copy.variant });
    }
  }
  if (options.shuffle ?? true) {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      const tmp = items[i] as NearDupCorpusItem;
      items[i] = items[j] as NearDupCorpusItem;
      items[j] = tmp;
    }
  }
  return { items };
}

/**
 * Pairwise precision / recall / F1 of a predicted clustering against ground-truth groups.
 * A pair counts as predicted when both items land in the same predicted cluster.
 */
export function pairwiseScores(
  truth: readonly number[],
  predicted: readonly number[],
): { precision: number; recall: number; f1: number; truePairs: number; predictedPairs: number } {
  const pairs = (n: number): number => (n * (n - 1)) / 2;
  const cell = new Map<string, number>();
  const truthSize = new Map<number, number>();
  const predSize = new Map<number, number>();
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i] as number;
    const p = predicted[i] as number;
    truthSize.set(t, (truthSize.get(t) ?? 0) + 1);
    predSize.set(p, (predSize.get(p) ?? 0) + 1);
    const key = `${t}:${p}`;
    cell.set(key, (cell.get(key) ?? 0) + 1);
  }
  let both = 0;
  for (const n of cell.values()) both += pairs(n);
  let truePairs = 0;
  for (const n of truthSize.values()) truePairs += pairs(n);
  let predictedPairs = 0;
  for (const n of predSize.values()) predictedPairs += pairs(n);
  const precision = predictedPairs === 0 ? 1 : both / predictedPairs;
  const recall = truePairs === 0 ? 1 : both / truePairs;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, truePairs, predictedPairs };
}
