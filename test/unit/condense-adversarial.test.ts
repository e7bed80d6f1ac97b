/**
 * Issue #14 item 3 for text splitting, term matching, condense and extractive summary: every
 * pattern must stay linear on adversarial input (200 KB of one character, or of a short unit
 * that never ends a sentence) and nothing may recurse per token. A quadratic pattern takes
 * minutes on these inputs (one did: 20 KB of '.' took 5 s in split.ts before its fix), so the
 * per-test timeout is the guard; the assertions check the results are still well formed.
 */
import { describe, expect, test } from 'vitest';
import { countTokens } from '../../src/engines/tokenizer.js';
import { symbolTerms, tokenize } from '../../src/text/bm25.js';
import { condenseTexts, countTokensInPieces, normalizeSource } from '../../src/text/condense.js';
import { summarizeExtractive } from '../../src/text/extractive-summary.js';
import { MAX_SENTENCE_CHARS, splitSentences } from '../../src/text/sentences.js';
import { splitChunks, splitParagraphs, splitSentences as splitLines } from '../../src/text/split.js';

const SIZE = 200_000;
const repeat = (unit: string): string => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);
const INPUTS: Record<string, string> = {
  dots: repeat('.'),
  spaces: repeat(' '),
  ats: repeat('@'),
  dashes: repeat('-'),
  digits: repeat('7'),
  brackets: repeat('(['),
  'dots and spaces': repeat('. '),
  'mixed punctuation': repeat('. @-1 '),
  'option-like': repeat('-a'),
  'special parameters': repeat('$?'),
  'blank lines': repeat('\n \n'),
  abbreviations: repeat('Mr. '),
  clauses: repeat('a b, '),
  'indented items': repeat('       -x\n              y\n'),
};

/** Pieces in order, each exactly its span of the source, none longer than maxChars (one expect: 100k pieces). */
function expectPieces(
  text: string,
  pieces: Array<{ text: string; start: number; end: number }>,
  maxChars = Infinity,
): void {
  let last = -1;
  const bad = pieces.find((p) => {
    const ok = p.start > last && p.text.length <= maxChars && text.slice(p.start, p.end) === p.text;
    last = p.start;
    return !ok;
  });
  expect(bad).toBeUndefined();
}

describe.each(Object.entries(INPUTS))('200 KB of %s', (_name, text) => {
  test('sentences, lines, paragraphs and chunks: linear, offsets exact, bounded pieces', () => {
    expectPieces(text, splitSentences(text), MAX_SENTENCE_CHARS);
    expectPieces(text, splitLines(text));
    expectPieces(text, splitParagraphs(text));
    expectPieces(text, splitChunks(text, 2000), 2000);
  }, 30_000);

  test('terms, normalize and token counting: linear', () => {
    const terms = tokenize(text);
    expect(terms.length).toBeLessThanOrEqual(text.length);
    expect(symbolTerms(text).length).toBeLessThanOrEqual(text.length / 2);
    const normalized = normalizeSource('x', text);
    expect(normalized.text.length).toBeLessThanOrEqual(text.length);
    // The tokenizer is quadratic in one unbroken run, so sources are counted in pieces.
    expect(countTokensInPieces(text)).toBeGreaterThanOrEqual(text.trim() ? 1 : 0);
  }, 30_000);

  test('condense and extractive summary finish within budget', async () => {
    const result = await condenseTexts([{ name: 'x', text }], {
      query: 'What does -e or $? mean?',
      budgetTokens: 300,
    });
    expect(result.tokensOut).toBeLessThanOrEqual(300);
    expect(countTokens(result.context)).toBe(result.tokensOut);
    for (const style of ['paragraph', 'key-points'] as const) {
      const summary = summarizeExtractive(text, { maxTokens: 200, style });
      expect(countTokens(summary.summary)).toBeLessThanOrEqual(200);
    }
  }, 60_000);
});

test('counting a source in pieces is exact on ordinary text', () => {
  const prose = Array.from(
    { length: 400 },
    (_, i) => `Line ${i}: the   quick brown fox, said "Dr. Smith", jumps over ${i * 7} lazy dogs.\n`,
  ).join('');
  expect(countTokensInPieces(prose)).toBe(countTokens(prose));
});
