/**
 * Entity extraction benchmark: ~1 MB of generated news/business/email-like English, timed through
 * prechew's `extractEntities` and through compromise alone (people/organizations/places on the same
 * text, same process) so the figures show what prechew adds on top of the tagger. Prints nothing,
 * asserts nothing: the caller prints the returned figures.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { invokeTool } from '../src/tools/invoke.js';
import { extractEntitiesTool } from '../src/tools/extract-entities.js';
import nlp from 'compromise';
import { ENTITY_TYPES, extractEntities, type EntityType } from '../src/text/entities.js';
import { mulberry32 as makeRandom } from '../test/helpers/random.js';

const FIRST = [
  'Maria',
  'James',
  'Aisha',
  'Chen',
  'Olivia',
  'David',
  'Priya',
  'Lucas',
  'Fatima',
  'Robert',
  'Emma',
  'Hiroshi',
  'Sofia',
  'Michael',
  'Grace',
  'Daniel',
];
const LAST = [
  'Garcia',
  'Thompson',
  'Okafor',
  'Wei',
  'Martin',
  'Kowalski',
  'Patel',
  'Silva',
  'Haddad',
  'Johnson',
  'Schmidt',
  'Tanaka',
  'Rossi',
  'Brown',
  'Nguyen',
  'Miller',
];
const TITLES = ['Dr.', 'Mr.', 'Ms.', 'Prof.', 'Sen.', 'Gov.', ''];
const ORGS = [
  'Acme Corp.',
  'Northwind Traders Inc.',
  'Globex Corporation',
  'Initech LLC',
  'Umbrella Group',
  'Stark Industries',
  'Wayne Enterprises',
  'Contoso Ltd.',
  'Siemens AG',
  'Deutsche Bank',
  'the Gates Foundation',
  'Harvard University',
  'the University of Michigan',
  'the Red Cross',
  'Microsoft',
  'Google',
  'the World Health Organization',
  'Bluefin Analytics GmbH',
];
const PLACES = [
  'New York',
  'London',
  'Paris',
  'Berlin',
  'Tokyo',
  'Chicago',
  'San Francisco',
  'Nairobi',
  'São Paulo',
  'Toronto',
  'Texas',
  'California',
  'Germany',
  'India',
  'Brazil',
  'Australia',
];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'];
const VERBS = ['announced', 'reported', 'confirmed', 'denied', 'disclosed', 'highlighted'];
const TOPICS = [
  'a new supply agreement',
  'quarterly earnings',
  'a data breach',
  'plans to expand',
  'a restructuring program',
  'record demand',
  'a delayed product launch',
  'new hiring targets',
];
const FILLER = [
  'The move surprised analysts, who had expected a more cautious approach after a difficult year.',
  'Shares were little changed in early trading as investors weighed the outlook for interest rates.',
  'The report did not say how many employees would be affected by the changes.',
  'Officials said the details were still being finalized and would be shared with staff next week.',
  'Critics argued that the plan did little to address the underlying problems with the project.',
  'It was not immediately clear whether the deal would need approval from regulators.',
  'Thanks for the quick reply, I will review the numbers and get back to you before the meeting.',
  'Please find the updated draft attached and let me know if anything needs to change.',
];


/** Builds about `targetChars` characters of varied English text with every entity type in it. */
export function buildBenchText(targetChars = 1_000_000, seed = 42): string {
  const rnd = makeRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const person = (): string => {
    const title = pick(TITLES);
    return `${title ? title + ' ' : ''}${pick(FIRST)} ${pick(LAST)}`;
  };
  const handle = (): string => `${pick(FIRST).toLowerCase()}${pick(LAST).toLowerCase().slice(0, 3)}`;
  const domain = (): string =>
    `${pick(['acme', 'globex', 'initech', 'northwind', 'contoso'])}.${pick(['com', 'org', 'io', 'co.uk'])}`;
  const templates: Array<() => string> = [
    () =>
      `${person()}, chief executive of ${pick(ORGS)}, ${pick(VERBS)} ${pick(TOPICS)} in ${pick(PLACES)} on ${pick(MONTHS)} ${int(1, 28)}, ${int(2019, 2025)}.`,
    () =>
      `Revenue at ${pick(ORGS)} rose ${int(1, 30)}.${int(0, 9)}% to $${int(1, 900)}.${int(1, 9)} million, while costs fell ${int(2, 15)} percent.`,
    () =>
      `${pick(ORGS)} agreed to buy a stake in a ${pick(PLACES)} startup for €${int(1, 9)}bn, according to ${person()}.`,
    () =>
      `"We are confident about the second half," ${person()} told reporters in ${pick(PLACES)} last ${pick(DAYS)}.`,
    () =>
      `For questions, email ${handle()}@${domain()} or call +1 ${int(200, 989)}-${int(200, 989)}-${int(1000, 9999)} before ${int(1, 12)}/${int(1, 28)}/${int(2020, 2025)}.`,
    () => `Details are posted at https://www.${domain()}/news/${int(100, 999)} and on ${domain()}/press.`,
    () =>
      `Follow @${handle()} for updates using #${pick(['earnings', 'climate', 'AI', 'launch', 'hiring'])} and #${pick(['markets', 'tech', 'policy'])}.`,
    () =>
      `The ${pick(PLACES)} office of ${pick(ORGS)} will host ${person()} and ${person()} on ${int(1, 28)} ${pick(MONTHS)} ${int(2020, 2025)}.`,
    () =>
      `The fine of £${int(1, 9)},${int(100, 999)}.${int(10, 99)} was paid ${int(2, 5)} weeks ago, and a further ${int(50, 500)} USD is due tomorrow.`,
    () =>
      `According to the filing dated ${int(2019, 2025)}-0${int(1, 9)}-1${int(0, 9)}, ${pick(ORGS)} spent ${int(10, 90)} dollars per unit in ${pick(PLACES)}.`,
    () => `${pick(FILLER)}`,
    () => `${pick(FILLER)} ${pick(FILLER)}`,
    () =>
      `Hi ${pick(FIRST)}, ${pick(FILLER)} Best regards, ${pick(FIRST)} ${pick(LAST)} (${pick(['+44 20', '+49 30', '+33 1'])} ${int(1000, 9999)} ${int(1000, 9999)})`,
  ];
  const parts: string[] = [];
  let size = 0;
  while (size < targetChars) {
    const sentences: string[] = [];
    const n = int(3, 7);
    for (let i = 0; i < n; i++) sentences.push(pick(templates)());
    const paragraph = sentences.join(' ');
    parts.push(paragraph);
    size += paragraph.length + 2;
  }
  return parts.join('\n\n');
}

export async function benchEntities(): Promise<Record<string, number | string>> {
  const text = buildBenchText(1_000_000);
  const words = text.split(/\s+/).filter(Boolean).length;

  // Warm both paths on a small slice so JIT warm-up does not land in either timing.
  const warm = text.slice(0, 20_000);
  extractEntities(warm);
  nlp(warm).people().out('array');

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = extractEntities(text);
  const prechewMs = performance.now() - t0;
  const prechewCpu = process.cpuUsage(cpu0);

  // compromise alone, on the same paragraph-sized pieces prechew feeds it (one 1 MB call is
  // much slower and heavier, which would flatter prechew's figures).
  const cpu1 = process.cpuUsage();
  const t1 = performance.now();
  let compromiseFound = 0;
  for (const piece of splitIntoPieces(text, 16_000)) {
    const doc = nlp(piece);
    compromiseFound +=
      doc.people().out('array').length +
      doc.organizations().out('array').length +
      doc.places().out('array').length;
  }
  const compromiseMs = performance.now() - t1;
  const compromiseCpu = process.cpuUsage(cpu1);

  // The extract-entities tool itself: large texts are split into units on worker threads.
  const app = createApp(parseConfig({ data: { cache: false, dir: mkdtempSync(path.join(os.tmpdir(), 'prechew-bench-')) } }));
  const ctx = { app, signal: new AbortController().signal, progress: () => undefined, clientRoots: async () => [] };
  const t2 = performance.now();
  const tool = await invokeTool(extractEntitiesTool, { text }, ctx, { pageStore: app.pageStore, maxOutputTokens: Infinity });
  const toolMs = performance.now() - t2;
  const units = (tool.structured as { units?: number } | undefined)?.units ?? 0;
  // A long-running server keeps its worker threads warm between calls.
  const t3 = performance.now();
  await invokeTool(extractEntitiesTool, { text }, ctx, { pageStore: app.pageStore, maxOutputTokens: Infinity });
  const warmToolMs = performance.now() - t3;
  await app.dispose();

  return {
    chars: text.length,
    words,
    entities: result.total,
    compromiseEntities: compromiseFound,
    prechewMs: Math.round(prechewMs),
    compromiseMs: Math.round(compromiseMs),
    // CPU time (user + system) is steadier than wall time on a shared machine.
    prechewCpuMs: Math.round((prechewCpu.user + prechewCpu.system) / 1000),
    compromiseCpuMs: Math.round((compromiseCpu.user + compromiseCpu.system) / 1000),
    prechewWordsPerSec: Math.round(words / (prechewMs / 1000)),
    compromiseWordsPerSec: Math.round(words / (compromiseMs / 1000)),
    overheadRatio: Number((prechewMs / compromiseMs).toFixed(2)),
    toolUnits: units,
    toolMs: Math.round(toolMs),
    toolWordsPerSec: Math.round(words / (toolMs / 1000)),
    toolSpeedupVsCompromise: Number((compromiseMs / toolMs).toFixed(2)),
    toolWarmMs: Math.round(warmToolMs),
    toolWarmWordsPerSec: Math.round(words / (warmToolMs / 1000)),
    toolWarmSpeedupVsCompromise: Number((compromiseMs / warmToolMs).toFixed(2)),
  };
}

function splitIntoPieces(text: string, size: number): string[] {
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    if (end < text.length) {
      const cut = text.lastIndexOf('\n\n', end);
      if (cut > start) end = cut + 2;
    }
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

// ---------------------------------------------------------------------------------------------
// Quality on real, hand-labelled text: fixtures/real/entities/labelled.json holds news-style
// sentences and real technical files (Debian copyright files, tzdata NEWS, a bash man page
// excerpt). A label names a type and a surface; every whole-word occurrence of that surface in
// the document is a gold span (a label inside a longer label of the same type counts once).
// ---------------------------------------------------------------------------------------------

interface LabelledDoc {
  id: string;
  kind: 'news' | 'technical';
  text?: string;
  file?: string;
  /** Types labelled exhaustively in this document (default: all). */
  types?: EntityType[];
  entities: Array<{ type: EntityType; text: string }>;
}

interface Span {
  type: EntityType;
  start: number;
  end: number;
}

/** fixtures/ from bench/ (sources) or dist/bench/ (compiled). */
function fixturePath(rel: string): URL {
  for (const up of ['../fixtures/', '../../fixtures/']) {
    const url = new URL(up + rel, import.meta.url);
    if (existsSync(url)) return url;
  }
  throw new Error(`fixtures/${rel} not found`);
}

export function loadLabelled(): Array<LabelledDoc & { text: string }> {
  const docs = JSON.parse(readFileSync(fixturePath('real/entities/labelled.json'), 'utf8')) as LabelledDoc[];
  return docs.map((d) => ({ ...d, text: d.text ?? readFileSync(fixturePath(`real/entities/${d.file ?? ''}`), 'utf8') }));
}

function goldSpans(doc: LabelledDoc & { text: string }): Span[] {
  const spans: Span[] = [];
  for (const label of doc.entities) {
    for (let at = doc.text.indexOf(label.text); at !== -1; at = doc.text.indexOf(label.text, at + 1)) {
      const end = at + label.text.length;
      if (/[\p{L}\p{N}]/u.test(doc.text[at - 1] ?? '') || /[\p{L}\p{N}]/u.test(doc.text[end] ?? '')) continue;
      spans.push({ type: label.type, start: at, end });
    }
  }
  return spans.filter((s) => !spans.some((o) => o !== s && o.type === s.type && o.start <= s.start && o.end >= s.end && o.end - o.start > s.end - s.start));
}

function predictedSpans(text: string, types: readonly EntityType[]): Span[] {
  const result = extractEntities(text, { merge: false, types: [...types] });
  const spans: Span[] = [];
  for (const type of types) for (const e of result.entities[type] ?? []) for (const o of e.occurrences) spans.push({ type, ...o });
  return spans;
}

interface Tally {
  gold: number;
  predicted: number;
  exact: number;
  overlapGold: number;
  overlapPredicted: number;
}

function f1(precision: number, recall: number): number {
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}

/** Entity F1 per type and per kind of text, exact span and overlap; false entities per 10k words on the man page. */
export function scoreLabelled(): Record<string, number | string> {
  const tallies = new Map<string, Tally>();
  const tally = (key: string): Tally => {
    let t = tallies.get(key);
    if (!t) tallies.set(key, (t = { gold: 0, predicted: 0, exact: 0, overlapGold: 0, overlapPredicted: 0 }));
    return t;
  };
  let manFalse = 0;
  let manWords = 0;
  for (const doc of loadLabelled()) {
    const types = doc.types ?? [...ENTITY_TYPES];
    const gold = goldSpans(doc);
    const predicted = predictedSpans(doc.text, types);
    for (const type of types) {
      const g = gold.filter((s) => s.type === type);
      const p = predicted.filter((s) => s.type === type);
      const overlaps = (a: Span, b: Span): boolean => a.start < b.end && b.start < a.end;
      const exact = p.filter((s) => g.some((o) => o.start === s.start && o.end === s.end)).length;
      const overlapPredicted = p.filter((s) => g.some((o) => overlaps(s, o))).length;
      const overlapGold = g.filter((s) => p.some((o) => overlaps(s, o))).length;
      for (const key of [`${doc.kind}:${type}`, `all:${type}`]) {
        const t = tally(key);
        t.gold += g.length;
        t.predicted += p.length;
        t.exact += exact;
        t.overlapGold += overlapGold;
        t.overlapPredicted += overlapPredicted;
      }
      if (doc.id === 'bash-man-page') manFalse += p.length - overlapPredicted;
    }
    if (doc.id === 'bash-man-page') manWords = doc.text.split(/\s+/).filter(Boolean).length;
  }
  const figures: Record<string, number | string> = {};
  for (const [key, t] of [...tallies].sort(([a], [b]) => a.localeCompare(b))) {
    if (t.gold === 0 && t.predicted === 0) continue;
    const exactF1 = f1(t.predicted ? t.exact / t.predicted : 0, t.gold ? t.exact / t.gold : 0);
    const overlapF1 = f1(t.predicted ? t.overlapPredicted / t.predicted : 0, t.gold ? t.overlapGold / t.gold : 0);
    figures[`F1 ${key} (exact / overlap, gold ${t.gold}, found ${t.predicted})`] = `${exactF1.toFixed(2)} / ${overlapF1.toFixed(2)}`;
  }
  figures['false entities per 10k words, bash man page'] = Number(((manFalse / Math.max(1, manWords)) * 10_000).toFixed(1));
  return figures;
}

export async function benchEntityQuality(): Promise<Record<string, number | string>> {
  return Promise.resolve(scoreLabelled());
}
