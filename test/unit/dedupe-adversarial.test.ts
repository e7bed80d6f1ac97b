/**
 * Issue #14: normalisation, shingling and the content check must stay linear on hostile input
 * and never recurse per token. Each input is 200 KB of one troublesome pattern; every item is
 * also paired with a near-copy so the content check (fields, identifiers, typos) runs on it too.
 * A quadratic pattern would take minutes here and a per-token recursion would overflow the stack.
 */
import { describe, expect, it } from 'vitest';
import { dedupeItems } from '../../src/text/dedupe.js';
import { contentProfile, isDistinctContent, parseFields, identifierWordHashes } from '../../src/text/dedupe-distinct.js';
import { tokenizeWords } from '../../src/text/normalize.js';
import { shingleSet } from '../../src/text/minhash.js';

const SIZE = 200_000;
const fill = (unit: string): string => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);

const PATTERNS: Record<string, string> = {
  dots: fill('.'),
  spaces: fill(' '),
  ats: fill('@'),
  dashes: fill('-'),
  digits: fill('0123456789'),
  'dots then a letter': fill('.') + 'a',
  'one giant word': fill('a'),
  'quotes and brackets': fill('("\'`<[{x}]>`\'")'),
  'dotted words': fill('a.'),
  'path segments': fill('a/'),
  addresses: fill('x@y.'),
  options: fill('-a '),
  'capitalized words': fill('Ab '),
  'field lines': fill('Key: value\n'),
  'field continuation': 'Files:\n' + fill(' a\n'),
  'key without colon': fill('a-b c-d e-f '),
  'apostrophes': fill("a'"),
  'sentence ends': fill('. A '),
  'digits and dashes': fill('1-'),
};

describe('dedupe on adversarial input', () => {
  for (const [name, text] of Object.entries(PATTERNS)) {
    it(`handles 200 KB of ${name} in linear time`, async () => {
      const copy = `${text} extra words at the end of this copy`;
      const items = [
        { id: 'a', text },
        { id: 'b', text: copy },
        { id: 'c', text: text.toUpperCase() },
        { id: 'd', text: 'an ordinary sentence about something else entirely, long enough to shingle' },
      ];
      for (const mode of ['exact', 'near'] as const) {
        const result = await dedupeItems(items, { mode });
        expect(result.keptIndices).toContain(0);
        expect(result.keptIndices).toContain(3);
      }
      // The content check directly, on the pattern against its copy.
      const a = contentProfile(text);
      const b = contentProfile(copy);
      expect(typeof isDistinctContent(a, b)).toBe('boolean');
      expect(identifierWordHashes(text).size).toBeGreaterThanOrEqual(0);
      expect(parseFields(text) === undefined || parseFields(text)!.size >= 1).toBe(true);
      expect(shingleSet(tokenizeWords(text), 3).length).toBeLessThanOrEqual(SIZE);
    }, 30_000);
  }
});
