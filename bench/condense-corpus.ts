/**
 * Generated corpora for the condense quality test and benchmark, deterministic for a seed.
 *
 * `buildCondenseCorpus` writes several long, real-looking sources (a paged report with running
 * headers and footers, a meeting transcript with timestamps, an email export with signatures and
 * disclaimers, a wiki page), with near-duplicate passages, and plants unique facts in them. Each
 * fact comes with a question phrased the way a user would ask it (different words from the
 * sentence that holds the answer) and the exact answer span. Distractor sentences mention the
 * same subject without the answer.
 *
 * `buildPrivacyCorpus` writes text with known private values (names, emails, phones, cards,
 * IBANs, IPs, street addresses, custom terms) for the redaction round trip.
 */

export interface PlantedFact {
  id: number;
  source: string;
  question: string;
  answer: string;
  sentence: string;
}

export interface CondenseCorpus {
  sources: Array<{ name: string; text: string }>;
  facts: PlantedFact[];
}


const FIRST = [
  'Amara',
  'Tobias',
  'Ingrid',
  'Rafael',
  'Yuki',
  'Leonie',
  'Kwame',
  'Ines',
  'Mateo',
  'Sanna',
  'Dmitri',
  'Halima',
  'Oskar',
  'Priyanka',
  'Elif',
  'Joaquin',
  'Marit',
  'Tendai',
  'Noor',
  'Callum',
];
const SYLLABLES = [
  'bran',
  'dle',
  'moor',
  'vos',
  'trik',
  'quel',
  'lan',
  'mer',
  'ow',
  'tal',
  'bex',
  'ford',
  'kes',
  'tro',
  'vin',
  'dal',
  'gar',
  'ric',
  'sol',
  'ven',
  'thar',
  'pel',
  'nix',
  'or',
  'ul',
  'zan',
  'cor',
  'ith',
  'ash',
  'lor',
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

const TEAMS = [
  'finance',
  'logistics',
  'customer support',
  'platform',
  'procurement',
  'facilities',
  'security',
  'marketing',
  'data',
  'legal',
];
const THINGS = [
  'warehouse',
  'office',
  'contract',
  'pilot',
  'service',
  'budget',
  'audit',
  'lease',
  'migration',
  'rollout',
  'vendor review',
  'training program',
  'dashboard',
  'supplier',
  'footbridge',
  'depot',
];
const METRICS = [
  'response time',
  'ticket backlog',
  'headcount',
  'churn',
  'on-time delivery rate',
  'energy use',
  'error rate',
  'storage cost',
  'customer satisfaction',
  'inventory turnover',
];
const VERBS = [
  'reviewed',
  'discussed',
  'flagged',
  'summarized',
  'revisited',
  'approved',
  'questioned',
  'postponed',
  'tracked',
  'documented',
];
const ADJ = [
  'quarterly',
  'regional',
  'internal',
  'preliminary',
  'revised',
  'annual',
  'interim',
  'updated',
  'draft',
  'final',
];
const PEOPLE_ROLES = [
  'the operations lead',
  'the finance director',
  'a project manager',
  'the facilities coordinator',
  'the head of procurement',
  'an analyst from the data team',
  'the regional manager',
  'our legal counsel',
];

const FILLER_TEMPLATES: Array<(r: Slots) => string> = [
  (r) =>
    `The ${r.adj} report on ${r.metric} was ${r.verb} by ${r.role}, who asked for clearer targets before the next review.`,
  (r) =>
    `${cap(r.role)} noted that the ${r.thing} schedule depends on the ${r.team} team finishing its current work first.`,
  (r) =>
    `Several people ${r.verb} the ${r.thing} plan, and the consensus was to keep the scope unchanged for now.`,
  (r) =>
    `The ${r.team} team expects ${r.metric} to improve by ${r.n2} percent once the new process is in place.`,
  (r) => `A ${r.adj} summary of the ${r.thing} will be shared with everyone before the end of the month.`,
  (r) => `There was a short discussion about ${r.metric}, but no decision was made and the item stays open.`,
  (r) =>
    `${cap(r.role)} reminded the group that every ${r.thing} change needs sign-off from the ${r.team} team.`,
  (r) =>
    `Compared with last year, ${r.metric} is slightly better, although the ${r.team} team warned that the numbers are noisy.`,
  (r) =>
    `The ${r.thing} budget was ${r.verb} again, and the ${r.team} team will present options at the next meeting.`,
  (r) =>
    `Most of the delays came from waiting on approvals, which the ${r.team} team hopes to simplify this quarter.`,
  (r) =>
    `We agreed that the ${adjNoun(r)} should be reviewed by ${r.role} before it goes out to the wider company.`,
  (r) =>
    `The ${r.team} team ${r.verb} the vendor shortlist and removed two suppliers that missed their deadlines.`,
  (r) =>
    `Feedback on the ${r.thing} has been mostly positive, with a few concerns about training and documentation.`,
  (r) => `${cap(r.role)} said the ${r.metric} figures for the last ${r.n1} weeks are in the shared folder.`,
  (r) =>
    `It is still unclear whether the ${r.thing} will need extra staff, so hiring is on hold until the review.`,
  (r) =>
    `The ${adjNoun(r)} includes a section on risks, mostly around timelines and the availability of the ${r.team} team.`,
  (r) =>
    `Action item: ${r.role} will follow up with the ${r.team} team about the ${r.thing} and report back.`,
  (r) => `Nobody objected to moving the ${r.thing} review to the following week, given the holiday schedule.`,
  (r) =>
    `The latest numbers show ${r.metric} holding steady, which ${r.role} described as acceptable but not great.`,
  (r) =>
    `Costs for the ${r.thing} came in close to the estimate, and the ${r.team} team does not expect surprises.`,
];

interface Slots {
  adj: string;
  metric: string;
  verb: string;
  role: string;
  thing: string;
  team: string;
  n1: number;
  n2: number;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
function adjNoun(r: Slots): string {
  return `${r.adj} ${r.thing} plan`;
}

interface FactTemplate {
  sentence: (k: FactSlots) => string;
  question: (k: FactSlots) => string;
  answer: (k: FactSlots) => string;
  distractors: Array<(k: FactSlots) => string>;
}

interface FactSlots {
  key: string;
  person: string;
  person2: string;
  date: string;
  n: number;
  amount: string;
  code: string;
}

const FACTS: FactTemplate[] = [
  {
    sentence: (k) =>
      `The audit of the ${k.key} warehouse was led by ${k.person}, who filed the final report a week early.`,
    question: (k) => `Who was in charge of auditing the ${k.key} warehouse?`,
    answer: (k) => k.person,
    distractors: [
      (k) => `The ${k.key} warehouse also hosted the spring volunteer day this year.`,
      (k) => `Parking near the ${k.key} warehouse remains a problem for visitors.`,
    ],
  },
  {
    sentence: (k) =>
      `Repairs to the ${k.key} footbridge came to ${k.amount}, paid from the county reserve fund.`,
    question: (k) => `How much did it cost to fix the ${k.key} footbridge?`,
    answer: (k) => k.amount,
    distractors: [
      (k) => `The ${k.key} footbridge is popular with joggers in the early morning.`,
      (k) => `Photos of the ${k.key} footbridge were added to the wiki.`,
    ],
  },
  {
    sentence: (k) =>
      `Our supplier ${k.key} Industries agreed to ship the first batch of sensors on ${k.date}.`,
    question: (k) => `When will ${k.key} Industries deliver the first sensors?`,
    answer: (k) => k.date,
    distractors: [
      (k) => `${k.key} Industries sent a new price list that nobody has read yet.`,
      (k) => `A sales rep from ${k.key} Industries asked for a call next month.`,
    ],
  },
  {
    sentence: (k) =>
      `By the end of its second quarter the ${k.key} pilot had ${k.n.toLocaleString('en-US')} active users.`,
    question: (k) => `How many people were using the ${k.key} pilot?`,
    answer: (k) => k.n.toLocaleString('en-US'),
    distractors: [
      (k) => `The ${k.key} pilot got a new logo after the design review.`,
      (k) => `Some testers found the ${k.key} pilot onboarding confusing.`,
    ],
  },
  {
    sentence: (k) => `${k.person} picked the codename ${k.code} for the ${k.key} data migration.`,
    question: (k) => `What is the code name of the ${k.key} migration project?`,
    answer: (k) => k.code,
    distractors: [
      (k) => `The ${k.key} data migration is behind schedule by two weeks.`,
      (k) => `Testing of the ${k.key} data migration scripts starts soon.`,
    ],
  },
  {
    sentence: (k) =>
      `The lease on the ${k.key} office expires on ${k.date}, and renewal talks have not started.`,
    question: (k) => `When does the rental agreement for the ${k.key} office run out?`,
    answer: (k) => k.date,
    distractors: [
      (k) => `The ${k.key} office kitchen was renovated over the summer.`,
      (k) => `Two desks at the ${k.key} office are still unassigned.`,
    ],
  },
  {
    sentence: (k) =>
      `After the cache rollout, the ${k.key} service answered requests in ${k.n % 900} milliseconds on average.`,
    question: (k) => `How fast does the ${k.key} service respond now?`,
    answer: (k) => `${k.n % 900} milliseconds`,
    distractors: [
      (k) => `The ${k.key} service had a short outage during the weekend maintenance window.`,
      (k) => `Logs from the ${k.key} service are kept for thirty days.`,
    ],
  },
  {
    sentence: (k) => `The board approved ${k.amount} to expand the ${k.key} program into two more regions.`,
    question: (k) => `What budget did the board sign off for growing the ${k.key} program?`,
    answer: (k) => k.amount,
    distractors: [
      (k) => `The ${k.key} program newsletter goes out every other Friday.`,
      (k) => `Volunteers for the ${k.key} program asked for better training material.`,
    ],
  },
  {
    sentence: (k) => `${k.person} will replace ${k.person2} as head of the ${k.key} team starting ${k.date}.`,
    question: (k) => `Who is taking over leadership of the ${k.key} team?`,
    answer: (k) => k.person,
    distractors: [
      (k) => `The ${k.key} team moved its standup to ten in the morning.`,
      (k) => `A farewell lunch for the ${k.key} team is being planned.`,
    ],
  },
  {
    sentence: (k) =>
      `The ${k.key} contract charges a penalty of ${(k.n % 17) + 2} percent when deliveries arrive late.`,
    question: (k) => `What is the late-delivery fine in the ${k.key} contract?`,
    answer: (k) => `${(k.n % 17) + 2} percent`,
    distractors: [
      (k) => `Legal is still reviewing the termination clause of the ${k.key} contract.`,
      (k) => `The ${k.key} contract was signed in two copies.`,
    ],
  },
];

function makeNameFactory(rnd: () => number): () => string {
  const used = new Set<string>();
  return () => {
    for (;;) {
      const parts = 2 + Math.floor(rnd() * 2);
      let name = '';
      for (let i = 0; i < parts; i++) name += SYLLABLES[Math.floor(rnd() * SYLLABLES.length)];
      name = cap(name);
      if (name.length >= 6 && !used.has(name)) {
        used.add(name);
        return name;
      }
    }
  };
}

export interface CorpusOptions {
  seed?: number;
  /** Approximate size of all sources together, in characters (about 4.3 characters per token). */
  targetChars?: number;
  facts?: number;
}

/** About 120k tokens and 40 facts by default. */
export function buildCondenseCorpus(options: CorpusOptions = {}): CondenseCorpus {
  const rnd = makeRandom(options.seed ?? 7);
  const targetChars = options.targetChars ?? 520_000;
  const factCount = options.facts ?? 40;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const newName = makeNameFactory(rnd);

  const filler = (): string => {
    const slots: Slots = {
      adj: pick(ADJ),
      metric: pick(METRICS),
      verb: pick(VERBS),
      role: pick(PEOPLE_ROLES),
      thing: pick(THINGS),
      team: pick(TEAMS),
      n1: int(2, 12),
      n2: int(3, 40),
    };
    return pick(FILLER_TEMPLATES)(slots);
  };
  const paragraph = (sentences: number): string[] => Array.from({ length: sentences }, filler);

  // Facts and their distractors, spread over the sources.
  const sourceNames = ['operations-review.pdf', 'all-hands-2024-06.m4a', 'inbox-export.txt', 'team-wiki.md'];
  const facts: PlantedFact[] = [];
  const planted: Array<{ source: number; sentence: string; distractors: string[] }> = [];
  for (let i = 0; i < factCount; i++) {
    const template = FACTS[i % FACTS.length] as FactTemplate;
    const slots: FactSlots = {
      key: newName(),
      person: `${pick(FIRST)} ${newName()}`,
      person2: `${pick(FIRST)} ${newName()}`,
      date: `${int(1, 28)} ${pick(MONTHS)} ${int(2019, 2026)}`,
      n: int(1200, 98_000),
      amount: rnd() < 0.5 ? `$${int(11, 99) / 10} million` : `€${int(120, 990)},000`,
      code: `${newName()}-${int(2, 9)}`,
    };
    const source = i % sourceNames.length;
    const sentence = template.sentence(slots);
    facts.push({
      id: i,
      source: sourceNames[source] as string,
      question: template.question(slots),
      answer: template.answer(slots),
      sentence,
    });
    planted.push({ source, sentence, distractors: template.distractors.map((d) => d(slots)) });
  }

  // Paragraph lists per source, then facts and distractors inserted at random paragraphs.
  const perSource = targetChars / sourceNames.length;
  const paragraphs: string[][][] = sourceNames.map(() => []);
  for (let s = 0; s < sourceNames.length; s++) {
    let chars = 0;
    const list = paragraphs[s] as string[][];
    while (chars < perSource) {
      const p = paragraph(int(3, 7));
      chars += p.join(' ').length;
      list.push(p);
    }
    // Near-duplicate passages: about 8% of paragraphs re-appear later with one sentence changed.
    const copies = Math.floor(list.length * 0.08);
    for (let c = 0; c < copies; c++) {
      const original = pick(list);
      const copy = [...original];
      copy[Math.floor(rnd() * copy.length)] = filler();
      list.splice(int(0, list.length), 0, copy);
    }
  }
  for (const p of planted) {
    const list = paragraphs[p.source] as string[][];
    const insert = (sentence: string): void => {
      const para = list[int(0, list.length - 1)] as string[];
      para.splice(int(0, para.length), 0, sentence);
    };
    insert(p.sentence);
    for (const d of p.distractors) insert(d);
    // Distractors also appear in other sources.
    const otherList = paragraphs[(p.source + 1) % sourceNames.length] as string[][];
    const para = otherList[int(0, otherList.length - 1)] as string[];
    para.splice(int(0, para.length), 0, p.distractors[0] as string);
  }

  const sources: Array<{ name: string; text: string }> = [];
  // 1. A paged report: page markers, running header and footer, hyphenated line wraps.
  {
    const list = paragraphs[0] as string[][];
    const out: string[] = [];
    const pages = Math.ceil(list.length / 6);
    for (let page = 1; page <= pages; page++) {
      out.push(`<!-- page ${page} -->`, 'Northwind Holdings — Operations Review 2024 — Internal', '');
      for (const p of list.slice((page - 1) * 6, page * 6)) out.push(wrapLines(p.join(' '), 90), '');
      out.push(`Page ${page} of ${pages}`, '');
    }
    sources.push({ name: sourceNames[0] as string, text: out.join('\n') });
  }
  // 2. A transcript: one timestamped line per sentence.
  {
    const out: string[] = [];
    let seconds = 0;
    for (const p of paragraphs[1] as string[][]) {
      for (const sentence of p) {
        out.push(`[${clock(seconds)}] ${sentence}`);
        seconds += int(4, 12);
      }
    }
    sources.push({ name: sourceNames[1] as string, text: out.join('\n') });
  }
  // 3. Emails with headers, signatures and a legal disclaimer.
  {
    const out: string[] = [];
    for (const p of paragraphs[2] as string[][]) {
      out.push(
        `From: ${pick(FIRST).toLowerCase()}@northwind.example`,
        `Subject: Re: ${pick(THINGS)} update`,
        '',
        `Hi all,`,
        '',
        p.join(' '),
        '',
        'Best regards,',
        'Northwind Holdings | 400 Harbor Road | Springfield',
        '',
        'This message may contain confidential information. If you received it in error, please delete it and notify the sender.',
        '',
      );
    }
    sources.push({ name: sourceNames[2] as string, text: out.join('\n') });
  }
  // 4. A wiki page in markdown.
  {
    const out: string[] = ['# Team wiki', ''];
    (paragraphs[3] as string[][]).forEach((p, i) => {
      if (i % 5 === 0) out.push(`## Notes ${i / 5 + 1}`, '');
      out.push(p.join(' '), '');
    });
    sources.push({ name: sourceNames[3] as string, text: out.join('\n') });
  }
  return { sources, facts };
}

function clock(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return [h, m, s].map((x) => String(x).padStart(2, '0')).join(':');
}

/** Wrap text at about width characters, hyphenating one long word in ten as PDFs do. */
function wrapLines(text: string, width: number): string {
  const words = text.split(' ');
  const lines: string[] = [];
  let line = '';
  let count = 0;
  for (const word of words) {
    if (line && line.length + 1 + word.length > width) {
      // Hyphenate lower-case words only, so de-hyphenation restores them exactly.
      if (++count % 10 === 0 && /^[a-z]{8,}$/.test(word)) {
        const cut = Math.floor(word.length / 2);
        lines.push(`${line} ${word.slice(0, cut)}-`);
        line = word.slice(cut);
        continue;
      }
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Privacy corpus

export interface PrivacyCorpus {
  text: string;
  /** Every planted private value with its expected type. */
  values: Array<{ type: string; value: string }>;
  terms: string[];
}

const PRIVACY_FIRST = [
  'Maria',
  'James',
  'Robert',
  'Linda',
  'Michael',
  'Sarah',
  'David',
  'Jennifer',
  'Thomas',
  'Susan',
  'Daniel',
  'Karen',
];
const PRIVACY_LAST = [
  'Garcia',
  'Thompson',
  'Johnson',
  'Miller',
  'Anderson',
  'Martinez',
  'Robinson',
  'Clark',
  'Lewis',
  'Walker',
  'Harris',
  'Young',
];
const STREETS = ['Baker Street', 'Maple Avenue', 'Harbor Road', 'Elm Street', 'Sunset Boulevard', 'Oak Lane'];
const AREA = ['212', '415', '312', '617', '206', '503'];

function luhnDigit(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

function mod97(digits: string): number {
  let rem = 0;
  for (const ch of digits) rem = (rem * 10 + (ch.charCodeAt(0) - 48)) % 97;
  return rem;
}

export function buildPrivacyCorpus(options: { seed?: number; records?: number } = {}): PrivacyCorpus {
  const rnd = makeRandom(options.seed ?? 11);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const digits = (n: number): string =>
    Array.from({ length: n }, () => String(Math.floor(rnd() * 10))).join('');
  const values: Array<{ type: string; value: string }> = [];
  const terms = ['Project Bluebird', 'Contoso Health'];
  const parts: string[] = [];
  const records = options.records ?? 60;
  for (let i = 0; i < records; i++) {
    const first = pick(PRIVACY_FIRST);
    const last = pick(PRIVACY_LAST);
    const person = `${first} ${last}`;
    const email = `${first.toLowerCase()}.${last.toLowerCase()}${i}@example.org`;
    const phone = `(${pick(AREA)}) ${String(200 + Math.floor(rnd() * 700))}-${digits(4)}`;
    const cardBody = `4${digits(14)}`;
    const card = `${cardBody}${luhnDigit(cardBody)}`.replace(/(\d{4})(?=\d)/g, '$1 ');
    const bban = digits(18);
    const check = String(98 - mod97(`${bban}131400`)).padStart(2, '0');
    const iban = `DE${check}${bban}`.replace(/(.{4})(?=.)/g, '$1 ');
    const ip = `10.${Math.floor(rnd() * 255)}.${Math.floor(rnd() * 255)}.${1 + Math.floor(rnd() * 250)}`;
    const address = `${1 + Math.floor(rnd() * 980)} ${pick(STREETS)}`;
    const term = pick(terms);
    values.push(
      { type: 'PERSON', value: person },
      { type: 'EMAIL', value: email },
      { type: 'PHONE', value: phone },
      { type: 'CARD', value: card },
      { type: 'IBAN', value: iban },
      { type: 'IP', value: ip },
      { type: 'ADDRESS', value: address },
      { type: 'TERM', value: term },
    );
    parts.push(
      `Ticket ${1000 + i}: ${person} wrote in about ${term} from ${email} and asked us to call back on ${phone}. ` +
        `The refund goes to card ${card}, or by transfer to ${iban} if the card fails. ` +
        `Requests came from ${ip}. Please mail the documents to ${address}, Springfield. ` +
        `The agent confirmed the details and closed the ticket after ${2 + (i % 5)} days.`,
    );
  }
  return { text: parts.join('\n\n'), values, terms };
}

// ---------------------------------------------------------------------------------------------
// Baseline: plain BM25 over fixed-size chunks of the raw text, top chunks until the budget is full.

import { countTokens } from '../src/engines/tokenizer.js';
import { rankingTerms } from '../src/text/condense.js';
import { splitChunks } from '../src/text/split.js';
import { mulberry32 as makeRandom } from '../test/helpers/random.js';
export { makeRandom };

export const BASELINE_CHUNK_CHARS = 800;

export class Bm25ChunkBaseline {
  private readonly chunks: Array<{ text: string; tokens: number; tf: Map<string, number>; length: number }> =
    [];
  private readonly df = new Map<string, number>();
  private readonly avgLength: number;

  constructor(sources: Array<{ name: string; text: string }>, chunkChars = BASELINE_CHUNK_CHARS) {
    let total = 0;
    for (const s of sources) {
      for (const c of splitChunks(s.text, chunkChars)) {
        const terms = rankingTerms(c.text);
        const tf = new Map<string, number>();
        for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
        for (const t of tf.keys()) this.df.set(t, (this.df.get(t) ?? 0) + 1);
        this.chunks.push({ text: c.text, tokens: countTokens(c.text), tf, length: terms.length });
        total += terms.length;
      }
    }
    this.avgLength = this.chunks.length ? total / this.chunks.length : 1;
  }

  /** The top chunks that fit in budget tokens (joined by blank lines), best first. */
  select(query: string, budgetTokens: number): string {
    const q = [...new Set(rankingTerms(query))];
    const n = this.chunks.length;
    const scored = this.chunks.map((c, i) => {
      let score = 0;
      for (const term of q) {
        const tf = c.tf.get(term);
        if (!tf) continue;
        const d = this.df.get(term) ?? 0;
        const idf = Math.log(1 + (n - d + 0.5) / (d + 0.5));
        score += (idf * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * c.length) / this.avgLength));
      }
      return { i, score };
    });
    scored.sort((a, b) => b.score - a.score || a.i - b.i);
    const out: string[] = [];
    let used = 0;
    for (const { i } of scored) {
      const c = this.chunks[i] as (typeof this.chunks)[number];
      const cost = c.tokens + (out.length ? 2 : 0);
      if (used + cost > budgetTokens) continue;
      out.push(c.text);
      used += cost;
      if (budgetTokens - used < 20) break;
    }
    return out.join('\n\n');
  }
}
