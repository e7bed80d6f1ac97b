/**
 * Long PDFs keep their structure in `auto` mode: page ranges are parsed by pdfjs on several
 * sandbox workers (no switch to pdftotext and its heading-less text), the result does not depend
 * on how the pages were split, and progress is reported per page. The long document is built at
 * test time from the real bzip2 manual (fixtures/real/pdf) repeated to 152 pages.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSandbox, findPdftotext } from '../../src/engines/documents/index.js';
import { convertForTest, TEST_LIMITS } from '../helpers/make-documents.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const manual = readFileSync(path.join(here, '..', '..', 'fixtures', 'real', 'pdf', 'bzip2-manual.pdf'));
const headings = (md: string) => (md.match(/^#{1,6} /gm) ?? []).length;

let long: Uint8Array;
beforeAll(async () => {
  const source = await PDFDocument.load(manual);
  const doc = await PDFDocument.create();
  for (let copy = 0; copy < 4; copy++)
    for (const page of await doc.copyPages(source, source.getPageIndices())) doc.addPage(page);
  long = await doc.save();
});
afterAll(() => closeSandbox());

describe('long PDFs', () => {
  it('keeps headings on 152 pages in auto mode, split over two workers, with per-page progress', async () => {
    const progress: Array<[number, number]> = [];
    const limits = { ...TEST_LIMITS, documentTimeoutMs: 300_000 };
    const two = await convertForTest(long, 'long.pdf', {
      limits: { ...limits, documentWorkers: 2 },
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(two.metadata).toMatchObject({ pages: 152, pagesConverted: 152 });
    expect(two.metadata.engine).toMatch(/^pdfjs /);
    const single = await convertForTest(manual, 'bzip2-manual.pdf', { pdfEngine: 'pdfjs' });
    expect(headings(two.markdown)).toBeGreaterThanOrEqual(4 * headings(single.markdown) - 4);
    expect(headings(two.markdown)).toBeGreaterThan(200);
    expect(two.markdown).toContain('<!-- page 152 -->');
    // Per page, from both workers, up to every page.
    expect(progress.length).toBeGreaterThanOrEqual(152);
    expect(progress[progress.length - 1]).toEqual([152, 152]);
    expect(progress.some(([, total]) => total < 152)).toBe(true);

    // The split is invisible in the result.
    const one = await convertForTest(long, 'long.pdf', { limits: { ...limits, documentWorkers: 1 } });
    expect(one.markdown).toBe(two.markdown);
  }, 400_000);

  it.skipIf(!findPdftotext())('uses pdftotext only when asked (or when pdfjs fails), which keeps no headings', async () => {
    const r = await convertForTest(long, 'long.pdf', { pdfEngine: 'pdftotext', limits: { ...TEST_LIMITS, documentTimeoutMs: 300_000 } });
    expect(r.metadata.engine).toBe('pdftotext');
    expect(headings(r.markdown)).toBe(0);
  }, 400_000);

  it('applies a page selection across workers', async () => {
    const r = await convertForTest(long, 'long.pdf', { pages: '40-41,150-', limits: { ...TEST_LIMITS, documentWorkers: 2 } });
    expect(r.metadata).toMatchObject({ pages: 152, pagesConverted: 5 });
    expect([...r.markdown.matchAll(/<!-- page (\d+) -->/g)].map((m) => Number(m[1]))).toEqual([40, 41, 150, 151, 152]);
  }, 200_000);
});
