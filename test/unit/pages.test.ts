import { describe, expect, it } from 'vitest';
import { countTokens } from '../../src/engines/tokenizer.js';
import { parsePageRanges } from '../../src/engines/documents/pages.js';
import { PageStore, paginate, storePages } from '../../src/tools/pages.js';

type Out = { title: string; items: string[] };
const render = (o: Out) => [o.title, ...o.items].join('\n');

describe('pagination', () => {
  it('returns one page when the output fits', () => {
    const pages = paginate({ title: 't', items: ['a', 'b'] }, render, 'items', 1000);
    expect(pages).toHaveLength(1);
  });

  it('splits a bulk array into valid pages within budget, losing nothing', () => {
    const items = Array.from({ length: 400 }, (_, i) => `item number ${i} with some words to count`);
    const pages = paginate({ title: 'Result', items }, render, 'items', 300);
    expect(pages.length).toBeGreaterThan(3);
    const store = new PageStore();
    const stored = storePages(store, 'tool-x', pages);
    const collected: string[] = [];
    for (const p of stored) {
      expect(countTokens(p.text)).toBeLessThanOrEqual(300);
      collected.push(...(p.structured.items as string[]));
    }
    expect(collected).toEqual(items);
    const next = (stored[0]!.structured.page as { nextCursor: string }).nextCursor;
    expect(store.get('tool-x', next).text).toBe(stored[1]!.text);
    expect(stored[0]!.text).toMatch(/page 1 of \d+/);
    expect(() => store.get('tool-y', next)).toThrow(/Unknown or expired cursor/);
    expect(() => store.get('tool-x', 'garbage')).toThrow(/Unknown or expired cursor/);
  });

  it('splits a long string field at line boundaries', () => {
    const body = Array.from({ length: 500 }, (_, i) => `Line ${i}: lorem ipsum dolor sit amet.`).join('\n');
    const r = (o: { body: string }) => o.body;
    const pages = paginate({ body }, r, 'body', 500);
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.map((p) => p.structured.body).join('')).toBe(body);
    for (const p of pages) expect(countTokens(p.text)).toBeLessThanOrEqual(500);
  });
});

describe('page selections', () => {
  it('selects pages and open ranges within the document', () => {
    expect(parsePageRanges('1-3,7', 111, 'manual.pdf')).toEqual([1, 2, 3, 7]);
    expect(parsePageRanges('109-', 111, 'manual.pdf')).toEqual([109, 110, 111]);
    expect(parsePageRanges('-2', 111, 'manual.pdf')).toEqual([1, 2]);
    expect(parsePageRanges('100-200', 111, 'manual.pdf')).toHaveLength(12);
    expect(parsePageRanges(undefined, 3, 'x.pdf')).toEqual([1, 2, 3]);
  });

  it('says how many pages the document has when a range starts past its end', () => {
    for (const spec of ['200-', '200', '150-160', '5,200-']) {
      let message = '';
      try {
        parsePageRanges(spec, 111, 'manual.pdf');
      } catch (error) {
        expect(error).toMatchObject({ code: 'INVALID_INPUT' });
        message = (error as Error).message;
      }
      expect(message, spec).toContain('manual.pdf has 111 pages');
      expect(message, spec).toContain('valid pages are 1-111');
      expect(message, spec).not.toContain('low to high');
    }
    expect(() => parsePageRanges('2', 1, 'one.pdf')).toThrow(/one\.pdf has 1 page: valid pages are 1-1/);
  });

  it('still explains malformed and backwards ranges', () => {
    expect(() => parsePageRanges('9-3', 111, 'manual.pdf')).toThrow(/runs low to high/);
    expect(() => parsePageRanges('abc', 111, 'manual.pdf')).toThrow(/use page numbers and ranges/);
    expect(() => parsePageRanges('0', 111, 'manual.pdf')).toThrow(/pages start at 1/);
  });
});
