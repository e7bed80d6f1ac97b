import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { countTokens } from '../../src/engines/tokenizer.js';
import { PrechewError } from '../../src/errors.js';
import { summarizeExtractive, type ExtractiveSummary } from '../../src/text/extractive-summary.js';
import { splitSentences } from '../../src/text/sentences.js';

interface Doc {
  id: string;
  text: string;
  reference: string;
}
const set = JSON.parse(
  readFileSync(new URL('../../fixtures/summaries/set.json', import.meta.url), 'utf8'),
) as Doc[];
const doc = (id: string): string => (set.find((d) => d.id === id) as Doc).text;

function expectExactSpans(source: string, result: ExtractiveSummary): void {
  let prevEnd = -1;
  for (const s of result.sentences) {
    expect(source.slice(s.start, s.end)).toBe(s.text);
    expect(s.start).toBeGreaterThanOrEqual(prevEnd);
    expect(s.score).toBeGreaterThanOrEqual(0);
    expect(s.score).toBeLessThanOrEqual(1);
    prevEnd = s.end;
  }
}

describe('summarizeExtractive', () => {
  it('returns sentences in original order with exact offsets', () => {
    for (const d of set) {
      const result = summarizeExtractive(d.text, { maxSentences: 3 });
      expect(result.sentences).toHaveLength(3);
      expect(result.totalSentences).toBe(splitSentences(d.text).length);
      expectExactSpans(d.text, result);
      expect(result.summary).toBe(result.sentences.map((s) => s.text.replace(/\s*\n\s*/g, ' ')).join(' '));
    }
  });

  it('respects sentence and token budgets', () => {
    const text = doc('storm-outage');
    for (const n of [1, 2, 5])
      expect(summarizeExtractive(text, { maxSentences: n }).sentences).toHaveLength(n);
    for (const style of ['paragraph', 'bullets', 'key-points'] as const) {
      for (const budget of [8, 30, 60, 120, 250]) {
        const result = summarizeExtractive(text, { maxTokens: budget, style });
        expect(countTokens(result.summary)).toBeLessThanOrEqual(budget);
        expect(result.sentences.length).toBeGreaterThan(0);
        expectExactSpans(text, result);
      }
    }
    // Bigger budgets use more of the text; both limits together apply both.
    expect(summarizeExtractive(text, { maxTokens: 250 }).sentences.length).toBeGreaterThan(
      summarizeExtractive(text, { maxTokens: 60 }).sentences.length,
    );
    const both = summarizeExtractive(text, { maxTokens: 400, maxSentences: 2 });
    expect(both.sentences).toHaveLength(2);
    // A budget smaller than any sentence keeps the start of the best one, cut at a word.
    const tiny = summarizeExtractive(text, { maxTokens: 5 });
    expect(tiny.sentences).toHaveLength(1);
    expect(countTokens(tiny.summary)).toBeLessThanOrEqual(5);
    expect(text.slice(tiny.sentences[0]!.start, tiny.sentences[0]!.end)).toBe(tiny.sentences[0]!.text);
  });

  it('moves the selection toward a focus query', () => {
    const text = doc('storm-outage');
    const plain = summarizeExtractive(text, { maxSentences: 2 });
    const focused = summarizeExtractive(text, {
      maxSentences: 2,
      focus: 'carbon monoxide generators poisoning',
    });
    expect(plain.summary.toLowerCase()).not.toContain('carbon monoxide');
    expect(focused.summary.toLowerCase()).toContain('carbon monoxide');
    const schools = summarizeExtractive(doc('wildfire-evacuation'), {
      maxSentences: 1,
      focus: 'livestock animals fairgrounds',
    });
    expect(schools.summary).toMatch(/livestock|horses/i);
    // A focus with no matching words leaves the ranking to centrality.
    expect(summarizeExtractive(text, { maxSentences: 2, focus: 'zebra quantum' }).summary).toBe(
      plain.summary,
    );
  });

  it('renders bullets and key points', () => {
    const text = doc('tuition-freeze');
    const bullets = summarizeExtractive(text, { maxSentences: 3, style: 'bullets' });
    const lines = bullets.summary.split('\n');
    expect(lines).toHaveLength(3);
    lines.forEach((line, k) => expect(line).toBe(`- ${bullets.sentences[k]!.text}`));

    const points = summarizeExtractive(text, { maxSentences: 3, style: 'key-points' });
    const pointLines = points.summary.split('\n');
    expect(pointLines).toHaveLength(3);
    expectExactSpans(text, points);
    for (const line of pointLines) expect(line).toMatch(/^- \p{Lu}/u);
    // Key points are clauses: never longer than the sentences, shorter overall.
    const fullLength = bullets.sentences.reduce((n, s) => n + s.text.length, 0);
    const pointLength = points.sentences.reduce((n, s) => n + s.text.length, 0);
    expect(pointLength).toBeLessThan(fullLength);
    const sentences = splitSentences(text);
    for (const p of points.sentences)
      expect(sentences.some((s) => s.start <= p.start && p.end <= s.end)).toBe(true);
  });

  it('handles empty, tiny and heading-only input', () => {
    expect(summarizeExtractive('')).toEqual({ sentences: [], summary: '', totalSentences: 0 });
    expect(summarizeExtractive('   \n\n  ')).toEqual({ sentences: [], summary: '', totalSentences: 0 });
    const one = summarizeExtractive('Only one sentence here.');
    expect(one.summary).toBe('Only one sentence here.');
    expect(one.sentences).toEqual([{ text: 'Only one sentence here.', start: 0, end: 23, score: 1 }]);
    const headings = summarizeExtractive('Title\n\nSubtitle', { maxSentences: 5 });
    expect(headings.totalSentences).toBe(2);
    expect(headings.sentences.length).toBeGreaterThan(0);
    // Headlines and datelines are not picked when real sentences exist.
    const withHeadline = summarizeExtractive(`Storm Update\n\n${doc('storm-outage')}`, { maxSentences: 3 });
    expect(withHeadline.summary).not.toContain('Storm Update');
  });

  it('drops near-duplicate sentences', () => {
    const base = doc('bridge-closure');
    const first = splitSentences(base)[0]!.text;
    const result = summarizeExtractive(`${first}\n\n${base}`, { maxSentences: 4 });
    expect(result.sentences.filter((s) => s.text === first)).toHaveLength(1);
  });

  it('rejects bad options with INVALID_INPUT', () => {
    for (const options of [
      { maxSentences: 0 },
      { maxSentences: 1.5 },
      { maxTokens: -3 },
      { style: 'poem' as never },
    ]) {
      try {
        summarizeExtractive('Some text. More text.', options);
        expect.unreachable('should throw');
      } catch (error) {
        expect(error).toBeInstanceOf(PrechewError);
        expect((error as PrechewError).code).toBe('INVALID_INPUT');
      }
    }
  });

  it('summarizes a 100k-word input within budget', () => {
    const parts: string[] = [];
    let words = 0;
    for (let i = 0; words < 100_000; i++) {
      const d = set[i % set.length] as Doc;
      parts.push(d.text);
      words += d.text.split(/\s+/).length;
    }
    parts.push(
      'The final paragraph announces that the zeppelin museum will reopen in April with a new hangar.',
    );
    const text = parts.join('\n\n');
    const result = summarizeExtractive(text, { maxTokens: 300, focus: 'zeppelin hangar museum reopen' });
    expect(countTokens(result.summary)).toBeLessThanOrEqual(300);
    expect(result.summary).toContain('zeppelin');
    expectExactSpans(text, result);
    const plain = summarizeExtractive(text);
    expect(plain.sentences.length).toBe(10);
    // Repeated articles: MMR must not pick the same sentence twice.
    expect(new Set(plain.sentences.map((s) => s.text)).size).toBe(plain.sentences.length);
  });
});

/**
 * Real documents (fixtures/real/condense: e2fsprogs NEWS, man-db NEWS.md, zstd README.md, the bash
 * manual): every summary line must stand alone, never a heading, a list marker, table row,
 * markup, a credit line or a sentence that leans on one the summary left out.
 */
describe('summaries of real documents read well', () => {
  const real = (name: string): string =>
    readFileSync(new URL(`../../fixtures/real/condense/${name}`, import.meta.url), 'utf8');
  const DOCS = ['e2fsprogs-NEWS.txt', 'man-db-NEWS.md', 'zstd-README.md', 'bash.txt'];
  const DEPENDENT =
    /^["'(]*(?:this|these|those|that|it|its|they|them|their|however|also|but|and|so|thus|such)\b/i;

  it.each(DOCS)('%s: whole, standalone sentences in every style and budget', (name) => {
    const text = real(name);
    const runs = [
      summarizeExtractive(text),
      summarizeExtractive(text, { maxSentences: 12 }),
      summarizeExtractive(text, { maxTokens: 300, style: 'bullets' }),
      summarizeExtractive(text, { maxTokens: 500 }),
    ];
    for (const run of runs) {
      expect(run.sentences.length).toBeGreaterThan(2);
      for (const s of run.sentences) {
        expect(text.slice(s.start, s.end)).toBe(s.text);
        // No heading, glued or alone; no marker, table row, markup or code fence.
        expect(s.text, s.text).not.toMatch(/^(?:#|[-*+•]\s|\d+[.)]\s|\||<|\[[^\]]+\]:|```)/);
        expect(s.text, s.text).not.toMatch(/\n\s*(?:#{1,6}\s|[-*+•]\s|={3,}|-{3,}\s*$)/);
        expect(text.slice(s.end).match(/^[^\S\n]*\n\s{0,3}(?:=+|-{3,})\s*\n/), s.text).toBeNull();
        // No credit line or whole-parenthesis aside; no fragment cut by layout.
        expect(s.text, s.text).not.toMatch(/^\(|^thanks\b/i);
        expect(s.text, s.text).toMatch(/^[\p{Lu}\p{N}"'`_*[-]/u);
        // A sentence that leans on the one before comes with it.
        if (DEPENDENT.test(s.text)) {
          const before = run.sentences.some(
            (t) => t.end <= s.start && !/\p{L}/u.test(text.slice(t.end, s.start)),
          );
          expect(before, s.text).toBe(true);
        }
      }
      // Rendered lines: no double bullets, no justified spacing, no hard wraps.
      if (run.summary.startsWith('- ')) expect(run.summary).not.toMatch(/^- (?:[-*+•]\s)/m);
      expect(run.summary).not.toMatch(/ {2,}|\u2010 /);
    }
  });

  it('drops parenthetical credit lines that a plain ranking keeps', () => {
    const text = real('e2fsprogs-NEWS.txt');
    expect(text).toContain('(Thanks to Mikulas Patocka for pointing this\nout.)');
    const all = summarizeExtractive(text, { maxTokens: 3000 });
    expect(all.sentences.length).toBeGreaterThan(20);
    expect(all.summary).not.toContain('Thanks to');
  });

  it('never glues a Markdown heading to the sentence after it, and strips list markers', () => {
    const text = [
      '# bzip2 and libbzip2',
      'At decompression time, the block is read back in full and the checksum is verified before any output is written.',
      '',
      '## Files',
      '',
      '- • <MIME>/globs2 lists the glob patterns that map file names to MIME types, one per line.',
      '* The magic file holds byte patterns that identify a file type from its first bytes.',
      '1. Run update-mime-database after installing a new definition so the caches are rebuilt.',
      '',
      '| column | meaning |',
      '|--------|---------|',
      '| weight | the priority of a glob pattern over the others |',
      '',
      '```',
      'update-mime-database /usr/share/mime',
      '```',
    ].join('\n');
    const out = summarizeExtractive(text, { maxSentences: 10, style: 'bullets' });
    expect(out.sentences.map((s) => s.text)).toEqual([
      'At decompression time, the block is read back in full and the checksum is verified before any output is written.',
      '<MIME>/globs2 lists the glob patterns that map file names to MIME types, one per line.',
      'The magic file holds byte patterns that identify a file type from its first bytes.',
      'Run update-mime-database after installing a new definition so the caches are rebuilt.',
    ]);
    expect(out.summary).not.toMatch(/- [-*•]/);
  });

  it('keeps an anaphoric sentence only together with the one it refers to', () => {
    const text = [
      'The archive tool gained a streaming mode for very large backups last spring.',
      'Backups of mail servers often exceed the memory of small machines, so streaming matters.',
      'This user asked for the streaming mode to work over slow network links as well.',
      'Network backups over slow links now resume after a dropped connection.',
      'Compression levels for streaming backups can be set per archive.',
    ].join(' ');
    for (let n = 1; n <= 4; n++) {
      const out = summarizeExtractive(text, { maxSentences: n });
      const texts = out.sentences.map((s) => s.text);
      const k = texts.findIndex((t) => t.startsWith('This user'));
      if (k >= 0) expect(texts[k - 1], `maxSentences ${n}`).toMatch(/^Backups of mail servers/);
      expect(out.sentences.length).toBeLessThanOrEqual(n);
    }
  });
});

describe('summarizeExtractive on one huge line of markup characters', () => {
  it('reads a 4-million-character run of dashes or stars without overflowing the stack', () => {
    // A repeated group in a regular expression recursed once per character here ("Maximum call
    // stack size exceeded" at 4 MB of '-'); the thematic-break check is a loop now.
    for (const ch of ['-', '*', '_']) {
      const result = summarizeExtractive(ch.repeat(4_000_000));
      expect(Array.isArray(result.sentences)).toBe(true);
    }
    const mixed = summarizeExtractive(`${'- '.repeat(100)}\n\nThe parser handles long separator lines. It keeps prose.`);
    expect(mixed.sentences.map((s) => s.text).join(' ')).toContain('The parser handles long separator lines.');
  });
});
