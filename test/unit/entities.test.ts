import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { PrechewError } from '../../src/errors.js';
import {
  ENTITY_TYPES,
  extractEntities,
  type EntitiesResult,
  type Entity,
  type EntityType,
  type ExtractOptions,
} from '../../src/text/entities.js';

function list(result: EntitiesResult, type: EntityType): Entity[] {
  return result.entities[type] ?? [];
}

function values(result: EntitiesResult, type: EntityType): string[] {
  return list(result, type).map((e) => e.value);
}

function find(result: EntitiesResult, type: EntityType, value: string): Entity | undefined {
  return list(result, type).find((e) => e.value === value);
}

/** Every occurrence must point at text that reads as the entity; the first one at its exact surface. */
function expectExactOffsets(text: string, result: EntitiesResult): void {
  for (const type of ENTITY_TYPES) {
    for (const entity of list(result, type)) {
      expect(entity.count).toBe(entity.occurrences.length);
      const first = entity.occurrences[0];
      expect(first).toBeDefined();
      if (first) expect(text.slice(first.start, first.end)).toBe(entity.text);
      for (const o of entity.occurrences) {
        expect(o.start).toBeGreaterThanOrEqual(0);
        expect(o.end).toBeLessThanOrEqual(text.length);
        expect(o.end).toBeGreaterThan(o.start);
      }
    }
  }
  // Unmerged, every single occurrence is its own entity: slice === surface, always.
  const unmerged = extractEntities(text, { merge: false });
  for (const type of ENTITY_TYPES) {
    for (const entity of list(unmerged, type)) {
      expect(entity.occurrences).toHaveLength(1);
      const [o] = entity.occurrences;
      if (o) expect(text.slice(o.start, o.end)).toBe(entity.text);
    }
  }
}

const NEWS =
  "Dr. Jane Smith met Sen. Elizabeth Warren's aide at Acme Corp. in New York on March 5, 2024. " +
  'Apple Inc. and Bank of America said revenue rose 12% to $2.5 million. ' +
  'The University of Oxford and the Bill & Melinda Gates Foundation announced a partnership in Paris, France. ' +
  "Mr. John O'Neil works for Goldman Sachs Group Inc. and lives in Chicago. Jane Smith declined to comment.";

describe('extractEntities: people, organizations, places', () => {
  const result = extractEntities(NEWS);

  it('keeps honorifics out of the name span, as a title attribute, and drops possessives', () => {
    const jane = find(result, 'person', 'Jane Smith');
    expect(jane?.text).toBe('Jane Smith');
    expect(jane?.title).toBe('Dr.');
    expect(jane?.count).toBe(2);
    expect(find(result, 'person', 'Elizabeth Warren')?.text).toBe('Elizabeth Warren');
    expect(find(result, 'person', 'Elizabeth Warren')?.title).toBe('Sen.');
    expect(find(result, 'person', "John O'Neil")?.text).toBe("John O'Neil");
  });

  it('does not take a sentence-opening verb into the name ("Call Maria Garcia")', () => {
    const text = 'Call Maria Garcia at maria@example.com. Email John Smith today. Ask Peter Jones. Then Aiko Tanaka left.';
    const people = extractEntities(text, { types: ['person'] }).entities.person?.map((e) => e.text);
    expect(people).toEqual(expect.arrayContaining(['Maria Garcia', 'John Smith', 'Peter Jones', 'Aiko Tanaka']));
    expect(people?.some((p) => /^(Call|Email|Ask|Then) /.test(p))).toBe(false);
  });

  it('finds multi-word organizations with legal or institutional words, and "X of Y" names', () => {
    const orgs = values(result, 'organization');
    for (const name of [
      'Acme Corp',
      'Apple Inc',
      'Bank of America',
      'University of Oxford',
      'Bill & Melinda Gates Foundation',
      'Goldman Sachs Group Inc',
    ]) {
      expect(orgs).toContain(name);
    }
    expect(find(result, 'organization', 'Acme Corp')?.text).toBe('Acme Corp.');
  });

  it('does not report a person or place that is part of an organization name', () => {
    const people = values(result, 'person');
    const places = values(result, 'place');
    expect(people).not.toContain('Melinda Gates');
    expect(places).not.toContain('America');
    expect(places).not.toContain('Oxford');
  });

  it('finds places', () => {
    const places = values(result, 'place');
    expect(places).toContain('New York');
    expect(places).toContain('Chicago');
    expect(places.some((p) => p.startsWith('Paris'))).toBe(true);
  });

  it('gives names a canonical casing', () => {
    const r = extractEntities('JOHN SMITH arrived late, and the meeting started without him.');
    expect(values(r, 'person')).toEqual(['John Smith']);
    expect(list(r, 'person')[0]?.text).toBe('JOHN SMITH');
  });

  it('finds honorific names the tagger does not know', () => {
    const r = extractEntities('We spoke with Prof. Xandrel Quimby and Ms. Okonkwo-Baptiste about the grant.');
    expect(values(r, 'person')).toEqual(expect.arrayContaining(['Xandrel Quimby', 'Okonkwo-Baptiste']));
    expect(find(r, 'person', 'Xandrel Quimby')?.text).toBe('Xandrel Quimby');
    expect(find(r, 'person', 'Xandrel Quimby')?.title).toBe('Prof.');
  });

  it('merges "Apple, Inc." with "Apple Inc." and keeps names from running across a dateline', () => {
    const r = extractEntities(
      'WASHINGTON (Reuters) - The Federal Reserve held rates. Apple, Inc. and Apple Inc. both rose.',
    );
    expect(find(r, 'organization', 'Federal Reserve')?.text).toBe('Federal Reserve');
    expect(values(r, 'organization').some((v) => /[()-]/.test(v))).toBe(false);
    expect(find(r, 'organization', 'Apple Inc')?.count).toBe(2);
    expect(find(r, 'organization', 'Apple Inc')?.text).toBe('Apple, Inc.');
  });

  it('runs only the requested name types', () => {
    const r = extractEntities(NEWS, { types: ['person'] });
    expect(Object.keys(r.entities)).toEqual(['person']);
    expect(values(r, 'person')).toEqual(expect.arrayContaining(['Jane Smith', 'Elizabeth Warren']));
  });

  it('has exact offsets', () => {
    expectExactOffsets(NEWS, result);
  });
});

describe('extractEntities: emails, URLs, mentions, hashtags', () => {
  const text =
    'Email Jane.Smith@Acme.com or press@microsoft.com, visit www.Example.org/about. or example.com/path?q=1, ' +
    'read https://en.wikipedia.org/wiki/Bank_(disambiguation)). Follow @acme_news and #Earnings2024 #AI! ' +
    'Not a tag: #1 or &#39; and not a mention: jane@acme.com.';
  const result = extractEntities(text);

  it('normalizes emails to lowercase, and a domain is neither an organization nor a mention', () => {
    expect(values(result, 'email')).toEqual(['jane.smith@acme.com', 'press@microsoft.com', 'jane@acme.com']);
    expect(values(result, 'organization')).not.toContain('Acme');
    expect(values(result, 'organization')).not.toContain('Microsoft');
    expect(values(result, 'mention')).toEqual(['@acme_news']);
  });

  it('normalizes URLs with a scheme and lowercase host, without trailing punctuation', () => {
    expect(values(result, 'url')).toEqual([
      // No scheme in the text, none in the value.
      'www.example.org/about',
      'example.com/path?q=1',
      'https://en.wikipedia.org/wiki/Bank_(disambiguation)',
    ]);
    expect(find(result, 'url', 'www.example.org/about')?.text).toBe('www.Example.org/about');
  });

  it('does not read file names, abbreviations or missing spaces as URLs', () => {
    const r = extractEntities('See report.pdf and Node.js, e.g. the U.S. rules. It ended.So we left.');
    expect(values(r, 'url')).toEqual([]);
  });

  it('lowercases hashtags and ignores numbers and entities', () => {
    expect(values(result, 'hashtag')).toEqual(['#earnings2024', '#ai']);
  });

  it('has exact offsets', () => {
    expectExactOffsets(text, result);
  });
});

describe('extractEntities: phones', () => {
  it('normalizes international numbers to E.164', () => {
    const text = 'Call +1 (415) 555-2671 or +44 20 7946 0958, or our Berlin desk at 0049 30 1234 5678.';
    const r = extractEntities(text);
    expect(values(r, 'phone')).toEqual(['+14155552671', '+442079460958', '+493012345678']);
    expect(list(r, 'phone')[0]?.text).toBe('+1 (415) 555-2671');
    expectExactOffsets(text, r);
  });

  it('reads national numbers with defaultCountry', () => {
    const r = extractEntities('Ring 020 7946 0958 or (0)20 7946 0959 today.', { defaultCountry: 'GB' });
    expect(values(r, 'phone')).toContain('+442079460958');
    const us = extractEntities('Call (212) 555-0199 after lunch.', { defaultCountry: 'us' });
    expect(values(us, 'phone')).toEqual(['+12125550199']);
  });

  it('keeps digits only when no country is known', () => {
    const r = extractEntities('Call (212) 555-0199 or 555-1234.');
    expect(values(r, 'phone')).toEqual(['2125550199', '5551234']);
  });

  it('does not read dates, years, amounts, ids or versions as phones', () => {
    const text =
      'On 2024-03-05 and 03/05/2024, in 2019 2020 2021, we paid $1,234,567.89 for 12,345,678 units; ' +
      'SSN-like 123-45-6789, version 10.2.3.4567, ratio 0.12345678.';
    for (const defaultCountry of [undefined, 'US', 'DE']) {
      const options: ExtractOptions = defaultCountry ? { defaultCountry } : {};
      expect(values(extractEntities(text, options), 'phone')).toEqual([]);
      expect(values(extractEntities(text, { ...options, types: ['phone'] }), 'phone')).toEqual([]);
    }
  });
});

describe('extractEntities: dates', () => {
  it('normalizes absolute dates to ISO 8601', () => {
    const text =
      'Filed March 5, 2024, reviewed on 6 March 2024, signed 2024-03-07 and 03/08/2024, ' +
      'closed Monday, March 11, 2024, audited 25/12/2023, launched in May 2023 and on the 1st of June 2022.';
    const r = extractEntities(text);
    expect(values(r, 'date')).toEqual([
      '2024-03-05',
      '2024-03-06',
      '2024-03-07',
      '2024-03-08',
      '2024-03-11',
      '2023-12-25',
      '2023-05',
      '2022-06-01',
    ]);
    expect(find(r, 'date', '2024-03-11')?.text).toBe('Monday, March 11, 2024');
    expectExactOffsets(text, r);
  });

  it('takes the year of a year-less date from referenceDate, else writes --MM-DD', () => {
    expect(values(extractEntities('Due Mar. 5th.', { referenceDate: '2024-01-10' }), 'date')).toEqual([
      '2024-03-05',
    ]);
    expect(values(extractEntities('Due Mar. 5th.'), 'date')).toEqual(['--03-05']);
  });

  it('drops impossible dates', () => {
    expect(values(extractEntities('February 30, 2024 and 13/13/2024.'), 'date')).toEqual([]);
  });

  it('resolves relative dates against referenceDate (a Wednesday)', () => {
    const text =
      'We met yesterday, meet again tomorrow, then next Monday; the audit was last Friday. ' +
      'Results come in 3 days, the order shipped 2 weeks ago, and the review is in two months. ' +
      'Today is busy. On Monday we start, and on Friday we finish. Budget for next month and last year.';
    const r = extractEntities(text, { referenceDate: '2024-03-06' });
    const byText = Object.fromEntries(
      extractEntities(text, { referenceDate: '2024-03-06', merge: false }).entities.date?.map((e) => [
        e.text,
        e.value,
      ]) ?? [],
    );
    expect(byText).toEqual({
      yesterday: '2024-03-05',
      tomorrow: '2024-03-07',
      'next Monday': '2024-03-11',
      'last Friday': '2024-03-01',
      'in 3 days': '2024-03-09',
      '2 weeks ago': '2024-02-21',
      'in two months': '2024-05-06',
      Today: '2024-03-06',
      Monday: '2024-03-04',
      Friday: '2024-03-08',
      'next month': '2024-04',
      'last year': '2023',
    });
    expectExactOffsets(text, r);
  });

  it('keeps relative dates as lowercase surface without referenceDate', () => {
    const r = extractEntities('See you Next  Monday, not yesterday.');
    expect(values(r, 'date')).toEqual(['next monday', 'yesterday']);
  });
});

describe('extractEntities: money and percentages', () => {
  const text =
    'Revenue hit $2.5 million, up from US$900k; the EU deal was €3bn. A fine of £1,200.50 was paid, ' +
    'plus 80 dollars, 150 USD, EUR 20, ¥300, 5 cents and 1.5 billion dollars. ' +
    'Costs fell 12%, margins rose 3.5 per cent, churn was 12 percent and -2.5% year on year.';
  const r = extractEntities(text);

  it('reads amounts with scale and ISO currency', () => {
    const money = list(r, 'money').map((e) => [e.text, e.value, e.amount, e.currency]);
    expect(money).toEqual([
      ['$2.5 million', '2500000 USD', 2_500_000, 'USD'],
      ['US$900k', '900000 USD', 900_000, 'USD'],
      ['€3bn', '3000000000 EUR', 3_000_000_000, 'EUR'],
      ['£1,200.50', '1200.5 GBP', 1200.5, 'GBP'],
      ['80 dollars', '80 USD', 80, 'USD'],
      ['150 USD', '150 USD', 150, 'USD'],
      ['EUR 20', '20 EUR', 20, 'EUR'],
      ['¥300', '300 JPY', 300, 'JPY'],
      ['5 cents', '0.05 USD', 0.05, 'USD'],
      ['1.5 billion dollars', '1500000000 USD', 1_500_000_000, 'USD'],
    ]);
  });

  it('normalizes percentages', () => {
    const percents = list(r, 'percent').map((e) => [e.text, e.value, e.count]);
    expect(percents).toEqual([
      ['12%', '12%', 2],
      ['3.5 per cent', '3.5%', 1],
      ['-2.5%', '-2.5%', 1],
    ]);
  });

  it('has exact offsets', () => {
    expectExactOffsets(text, r);
  });
});

describe('extractEntities: options and result shape', () => {
  const text = 'Email a@b.com or A@B.com, then #Launch and #launch with @Bob, @bob and @BOB.';

  it('merges by normalized value by default, most frequent first', () => {
    const r = extractEntities(text);
    expect(list(r, 'mention')).toHaveLength(1);
    const bob = list(r, 'mention')[0];
    expect(bob?.value).toBe('@bob');
    expect(bob?.text).toBe('@Bob');
    expect(bob?.count).toBe(3);
    expect(bob?.occurrences.map((o) => text.slice(o.start, o.end))).toEqual(['@Bob', '@bob', '@BOB']);
    expect(r.counts.email).toBe(1);
    expect(r.counts.hashtag).toBe(1);
  });

  it('keeps one entity per occurrence with merge: false', () => {
    const r = extractEntities(text, { merge: false });
    expect(list(r, 'mention').map((e) => e.text)).toEqual(['@Bob', '@bob', '@BOB']);
    expect(list(r, 'mention').every((e) => e.count === 1 && e.value === '@bob')).toBe(true);
    expect(r.counts.mention).toBe(3);
  });

  it('filters by types, listing every requested type, and sums counts into total', () => {
    const r = extractEntities(text, { types: ['email', 'mention', 'url'] });
    expect(Object.keys(r.entities).sort()).toEqual(['email', 'mention', 'url']);
    expect(r.counts).toEqual({ email: 1, mention: 1, url: 0 });
    expect(r.total).toBe(2);
    const all = extractEntities(text);
    expect(Object.keys(all.counts).sort()).toEqual([...ENTITY_TYPES].sort());
    expect(all.total).toBe(Object.values(all.counts).reduce((a, b) => a + b, 0));
  });

  it('returns empty lists for empty or blank text', () => {
    for (const blank of ['', '   \n\n\t ']) {
      const r = extractEntities(blank);
      expect(r.total).toBe(0);
      for (const type of ENTITY_TYPES) expect(list(r, type)).toEqual([]);
    }
  });

  it('rejects invalid options with INVALID_INPUT', () => {
    const bad: Array<() => unknown> = [
      () => extractEntities('x', { types: ['people' as EntityType] }),
      () => extractEntities('x', { referenceDate: 'next week' }),
      () => extractEntities('x', { referenceDate: '2024-02-30' }),
      () => extractEntities('x', { defaultCountry: 'XX' }),
      () => extractEntities(42 as unknown as string),
    ];
    for (const call of bad) {
      try {
        call();
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(PrechewError);
        expect((err as PrechewError).code).toBe('INVALID_INPUT');
      }
    }
  });

  it('keeps offsets exact around astral characters and CRLF line endings', () => {
    const t = '😀 Dr. Jane Smith 🎉 emailed jane@acme.com\r\non March 5, 2024 👍 about €3bn. 😀 #done';
    const r = extractEntities(t);
    expect(values(r, 'email')).toEqual(['jane@acme.com']);
    expect(values(r, 'date')).toEqual(['2024-03-05']);
    expect(values(r, 'money')).toEqual(['3000000000 EUR']);
    expect(values(r, 'person')).toContain('Jane Smith');
    expectExactOffsets(t, r);
  });
});

describe('extractEntities: large and hostile inputs', () => {
  it('processes ~200 KB of mixed text with exact offsets', () => {
    const paragraph =
      'Dr. Maria Garcia of Globex Corporation met investors in Berlin on June 3, 2024. ' +
      'Revenue rose 4.5% to €1.2bn, she wrote to ir@globex.com; details at globex.com/ir and +49 30 1234 5678. ' +
      'The move surprised analysts, who expected a more cautious approach. Follow @globex #results.\n\n';
    const text = paragraph.repeat(Math.ceil(200_000 / paragraph.length));
    const r = extractEntities(text);
    const repeats = Math.ceil(200_000 / paragraph.length);
    expect(find(r, 'email', 'ir@globex.com')?.count).toBe(repeats);
    expect(find(r, 'money', '1200000000 EUR')?.count).toBe(repeats);
    expect(find(r, 'phone', '+493012345678')?.count).toBe(repeats);
    expect(find(r, 'organization', 'Globex Corporation')?.count).toBe(repeats);
    expect(find(r, 'person', 'Maria Garcia')?.count).toBe(repeats);
    for (const type of ENTITY_TYPES) {
      for (const e of list(r, type)) {
        for (const o of e.occurrences) expect(text.slice(o.start, o.end).length).toBe(o.end - o.start);
      }
    }
    const first = list(r, 'person')[0]?.occurrences ?? [];
    for (const o of first) expect(text.slice(o.start, o.end)).toBe('Maria Garcia');
  });

  it('finishes on long runs without spaces or separators', () => {
    const hostile = [
      'a'.repeat(100_000),
      '1'.repeat(100_000),
      'a.'.repeat(5_000),
      '@a'.repeat(50_000),
      'x@'.repeat(50_000),
      '1 '.repeat(50_000),
      '$1,'.repeat(30_000),
      '#'.repeat(100_000),
      'Aa '.repeat(2_000),
      'Bank of '.repeat(1_000),
      'Dr. '.repeat(2_000),
      'http://' + 'a'.repeat(100_000),
    ];
    for (const text of hostile) {
      const r = extractEntities(text);
      expect(r.total).toBeGreaterThanOrEqual(0);
    }
  });

  it('keeps the pattern detectors linear on 200 KB of near-misses', () => {
    const patternTypes = ENTITY_TYPES.filter((t) => !['person', 'organization', 'place'].includes(t));
    const nearMisses = [
      'a.'.repeat(100_000),
      'a-'.repeat(100_000),
      '1.'.repeat(100_000),
      '1-'.repeat(100_000),
      '1/'.repeat(100_000),
      '(1) '.repeat(50_000),
      '+1 '.repeat(66_000),
      'a@a.'.repeat(50_000),
      'www.'.repeat(50_000),
      'March '.repeat(33_000),
      '5 March '.repeat(25_000),
      'in 3 '.repeat(40_000),
      '$1.'.repeat(66_000),
      '1,000,'.repeat(33_000),
    ];
    for (const text of nearMisses) {
      const r = extractEntities(text, { types: patternTypes, defaultCountry: 'US' });
      expect(r.total).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('role titles', () => {
  const text =
    'Microsoft CEO Satya Nadella met Tesla founder Elon Musk. Former CEO Jack Dorsey spoke, and the company spokesman Tom Reyes declined to comment.';
  const r = extractEntities(text, { types: ['person', 'organization'] });
  const people = (r.entities.person ?? []).map((e) => e.value);
  const orgs = (r.entities.organization ?? []).map((e) => e.value);

  it('joins executive and spokesperson titles to the name and strips them from the value', () => {
    expect(people).toEqual(expect.arrayContaining(['Satya Nadella', 'Elon Musk', 'Jack Dorsey', 'Tom Reyes']));
  });

  it('reads the capitalized words before an executive role as the company', () => {
    expect(orgs).toEqual(expect.arrayContaining(['Microsoft', 'Tesla']));
    expect(orgs).not.toContain('Former');
  });
});

// ---------------------------------------------------------------------------------------------
// Real material: Debian copyright files, tzdata's NEWS, the bash manual page (fixtures/real/entities,
// see SOURCES.md), and news-style sentences, labelled by hand in labelled.json.
// ---------------------------------------------------------------------------------------------

interface Labelled {
  id: string;
  kind: string;
  text?: string;
  file?: string;
  entities: Array<{ type: EntityType; text: string }>;
}

const REAL = new URL('../../fixtures/real/entities/', import.meta.url);
const readReal = (name: string): string => readFileSync(new URL(name, REAL), 'utf8');
const LABELLED = JSON.parse(readReal('labelled.json')) as Labelled[];

/** Every whole-word occurrence of `surface` in `text`. */
function occurrencesOf(text: string, surface: string): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  for (let at = text.indexOf(surface); at !== -1; at = text.indexOf(surface, at + 1)) {
    const end = at + surface.length;
    if (/[\p{L}\p{N}]/u.test(text[at - 1] ?? '') || /[\p{L}\p{N}]/u.test(text[end] ?? '')) continue;
    out.push({ start: at, end });
  }
  return out;
}

function spansOf(result: EntitiesResult, type: EntityType): Set<string> {
  return new Set(list(result, type).flatMap((e) => e.occurrences.map((o) => `${o.start}:${o.end}`)));
}

describe('extractEntities on Debian copyright files and NEWS credit lines', () => {
  for (const doc of LABELLED.filter((d) => d.file && d.entities.some((e) => e.type === 'person'))) {
    it(`finds every listed person in ${doc.file} with a whole-name span`, () => {
      const text = readReal(doc.file!);
      const r = extractEntities(text, { types: ['person'], merge: true });
      const found = spansOf(r, 'person');
      const missed: string[] = [];
      for (const label of doc.entities.filter((e) => e.type === 'person')) {
        for (const o of occurrencesOf(text, label.text)) {
          // A shorter label inside a longer one ("Ian Murdock" in "Ian A. Murdock" does not occur) is checked as written.
          if (!found.has(`${o.start}:${o.end}`)) missed.push(`${label.text}@${o.start}`);
        }
      }
      expect(missed).toEqual([]);
      // No partial names: every person found is one of the labelled names.
      const labelled = new Set(doc.entities.filter((e) => e.type === 'person').map((e) => e.text));
      expect(list(r, 'person').map((e) => e.text).filter((t) => !labelled.has(t))).toEqual([]);
    });
  }

  it('reads the names of the issue: credit lines, copyright lines, Name <email>, signatures, lists', () => {
    const cases: Array<[string, string[]]> = [
      ['Thanks to Heitor David Pinto and Even Scharning.', ['Heitor David Pinto', 'Even Scharning']],
      ['(Thanks to Heitor David Pinto and Even Scharning.)', ['Heitor David Pinto', 'Even Scharning']],
      ['Problem reported by Evgeniy Gorbanev.', ['Evgeniy Gorbanev']],
      ['Reported by Roozbeh Pournader', ['Roozbeh Pournader']],
      ['Copyright (C) 1999-2003 Guy Maor', ['Guy Maor']],
      ['Copyright: 2005 Joerg Hoh <jh@example.org>', ['Joerg Hoh']],
      ['Files: *\nCopyright: 2016 Afif Elghraoui <afif@example.org>\n           2005 Derick Rethans', ['Afif Elghraoui', 'Derick Rethans']],
      ['Send patches to Lars Wirzenius <liw@example.org> please.', ['Lars Wirzenius']],
      ['That is all for now.\n\n-- Evgeniy Gorbanev', ['Evgeniy Gorbanev']],
      ['I will send it tomorrow.\n\nRegards,\nAfif Elghraoui', ['Afif Elghraoui']],
      ['Authors: Roozbeh Pournader, Derick Rethans and Ian A. Murdock', ['Roozbeh Pournader', 'Derick Rethans', 'Ian A. Murdock']],
    ];
    for (const [text, names] of cases) {
      const r = extractEntities(text, { types: ['person'] });
      expect(list(r, 'person').map((e) => e.text).sort(), text).toEqual([...names].sort());
      expectExactOffsets(text, r);
    }
  });

  it('credits all 13 people thanked in tzdata NEWS and reads no sentence opener as a person', () => {
    const r = extractEntities(readReal('tzdata-NEWS.txt'), { types: ['person'] });
    expect(values(r, 'person')).not.toContain('Model');
    expect(values(r, 'person')).toHaveLength(13);
  });
});

describe('extractEntities on technical text (bash manual page)', () => {
  const text = readReal('bash.1.txt');
  const r = extractEntities(text);

  it('reads no shell parameter as money and no shell variable, key chord or layout as a name', () => {
    expect(list(r, 'money')).toEqual([]);
    const names = [...list(r, 'person'), ...list(r, 'organization'), ...list(r, 'place')].map((e) => e.text);
    for (const word of ['PATH', 'IFS', 'LANG', 'C-l', 'M-t', 'POSIX']) expect(names).not.toContain(word);
    expect(names.some((n) => /Mark|mable/.test(n))).toBe(false);
    for (const type of ['person', 'organization', 'place'] as const) {
      for (const e of list(r, type)) {
        for (const o of e.occurrences) {
          const surface = text.slice(o.start, o.end);
          expect(surface, surface).not.toMatch(/\t| {2}/);
          expect(/[\p{L}\p{N}]/u.test(text[o.start - 1] ?? ''), surface).toBe(false);
        }
      }
    }
    expect(values(r, 'person').sort()).toEqual(['Brian Fox', 'Chet Ramey']);
  });

  it('joins a URL hyphenated across a line break and never invents a scheme', () => {
    const urls = values(r, 'url');
    expect(urls).toContain('http://git.savannah.gnu.org/cgit/bash.git/snapshot/bash-master.tar.gz');
    expect(urls.some((u) => u.startsWith('https://nah.'))).toBe(false);
    for (const e of list(r, 'url')) {
      const scheme = /^[a-z]+:\/\//.exec(e.value)?.[0];
      if (scheme) expect(e.text.toLowerCase().startsWith(scheme)).toBe(true);
    }
    const bare = extractEntities('see example.org/docs or www.Example.com.');
    expect(values(bare, 'url')).toEqual(['example.org/docs', 'www.example.com']);
  });

  it('reads "2022 September 19" as a date, and neither bare years nor bare months', () => {
    expect(values(r, 'date')).toEqual(['2022-09-19']);
    const d = extractEntities('In 2022, prices rose in early February; by February 2023 and on 3 February 2024 they fell.');
    expect(values(d, 'date')).toEqual(['2023-02', '2024-02-03']);
  });

  it('keeps "$5" as money in prose but not "$1" in shell text', () => {
    expect(values(extractEntities('The ticket costs $5 at the door.'), 'money')).toEqual(['5 USD']);
    expect(values(extractEntities('Use "$1" and $2 inside ${name} and "$@".'), 'money')).toEqual([]);
    expect(values(extractEntities('$0 is the name of the script.'), 'money')).toEqual([]);
    expect(values(extractEntities('It cost $0.50 and then $1,200.'), 'money')).toEqual(['0.5 USD', '1200 USD']);
  });
});

describe('extractEntities on news-style sentences', () => {
  const byId = (id: string): string => LABELLED.find((d) => d.id === id)?.text ?? '';

  it('keeps titles out of the span and as an attribute', () => {
    const r = extractEntities(byId('news-01'));
    const bailey = find(r, 'person', 'Andrew Bailey');
    expect(bailey?.text).toBe('Andrew Bailey');
    expect(bailey?.title).toBe('Governor');
    expect(values(r, 'organization')).toContain('Bank of England');
    const modi = find(extractEntities(byId('news-06')), 'person', 'Narendra Modi');
    expect(modi?.title).toBe('Prime Minister');
  });

  it('joins particles and reads names the lexicon does not know', () => {
    expect(values(extractEntities(byId('news-02')), 'person')).toContain('Luiz Inacio Lula da Silva');
    expect(values(extractEntities(byId('news-12')), 'person')).toContain('Ursula von der Leyen');
    expect(values(extractEntities(byId('news-11')), 'person')).toEqual(expect.arrayContaining(['Mohammed bin Salman', 'Sameh Shoukry']));
    expect(values(extractEntities(byId('news-17')), 'person')).toEqual(expect.arrayContaining(['Fatima Al-Mansouri', 'Kwame Mensah']));
  });

  it('finds Elon Musk and OpenAI, and no person in Rolls-Royce or in "Model and actress"', () => {
    const musk = extractEntities(byId('news-04'));
    expect(values(musk, 'person')).toEqual(expect.arrayContaining(['Elon Musk', 'Sam Altman']));
    expect(values(musk, 'organization')).toContain('OpenAI');
    expect(values(extractEntities(byId('news-03')), 'person')).toEqual(['Tufan Erginbilgic']);
    expect(values(extractEntities(byId('news-05')), 'person')).toEqual(['Naomi Campbell']);
  });

  it('reads streets and towns as places, never as people', () => {
    for (const id of ['news-07', 'news-08']) {
      const r = extractEntities(byId(id));
      expect(values(r, 'person')).toEqual([]);
    }
    expect(values(extractEntities(byId('news-07')), 'place')).toEqual(expect.arrayContaining(['Rue de Rivoli', 'Via Roma']));
    expect(values(extractEntities(byId('news-08')), 'place')).toEqual(expect.arrayContaining(['Santa Monica', 'California']));
  });

  it('finds every labelled person of the news set with its exact span', () => {
    for (const doc of LABELLED.filter((d) => d.kind === 'news')) {
      const text = doc.text ?? '';
      const found = spansOf(extractEntities(text, { types: ['person'] }), 'person');
      for (const label of doc.entities.filter((e) => e.type === 'person')) {
        for (const o of occurrencesOf(text, label.text)) expect(found.has(`${o.start}:${o.end}`), `${doc.id}: ${label.text}`).toBe(true);
      }
    }
  });
});

describe('extractEntities stays linear on 1 MB adversarial inputs', () => {
  // Sized so that a quadratic pattern (160 KB of dots once took 37 s) would blow the test timeout.
  const MB = 1_000_000;
  const cases: Array<[string, (r: EntitiesResult) => void]> = [
    ['.', (r) => expect(r.total).toBe(0)],
    [' ', (r) => expect(r.total).toBe(0)],
    ['@', (r) => expect(r.total).toBe(0)],
    ['-', (r) => expect(r.total).toBe(0)],
    ['7', (r) => expect(r.total).toBe(0)],
    ['a', (r) => expect(r.total).toBe(0)],
    ['\n', (r) => expect(r.total).toBe(0)],
    ['\t', (r) => expect(r.total).toBe(0)],
    ['a.', (r) => expect(r.total).toBe(0)],
    ['a ', (r) => expect(r.total).toBe(0)],
    ['1 ', (r) => expect(list(r, 'money')).toEqual([])],
    ['1,', (r) => expect(list(r, 'money')).toEqual([])],
    ['a@', (r) => expect(list(r, 'email')).toEqual([])],
    ['.-', (r) => expect(r.total).toBe(0)],
    ['thanks to ', (r) => expect(list(r, 'person')).toEqual([])],
    ['\n 1995 ', (r) => expect(list(r, 'person')).toEqual([])],
    ['<a@b.co> ', (r) => expect(find(r, 'email', 'a@b.co')?.count).toBe(Math.ceil(MB / 9))],
    ['A.', (r) => expect(list(r, 'person')).toEqual([])],
  ];
  for (const [unit, check] of cases) {
    it(`${JSON.stringify(unit)} × ${Math.ceil(MB / unit.length)}`, () => {
      const text = unit.repeat(Math.ceil(MB / unit.length));
      check(extractEntities(text));
    });
  }
});
