import { describe, expect, it } from 'vitest';
import { findPdftotext } from '../../src/engines/documents/index.js';
import { PrechewError } from '../../src/errors.js';
import * as fx from '../helpers/make-documents.js';

const limits = fx.TEST_LIMITS;
const run = fx.convertForTest;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PrechewError);
    return (error as PrechewError).code;
  }
  return 'NO_ERROR';
}

async function errorOf(promise: Promise<unknown>): Promise<PrechewError> {
  try {
    await promise;
  } catch (error) {
    return error as PrechewError;
  }
  throw new Error('expected an error');
}

describe('PDF (pdfjs)', () => {
  it('recovers headings, page markers, de-hyphenation, tables and drops running headers/footers', async () => {
    const r = await run(await fx.makeReportPdf(), 'report.pdf', { pdfEngine: 'pdfjs' });
    expect(r.metadata).toMatchObject({ format: 'pdf', pages: 4, pagesConverted: 4 });
    expect(r.metadata.engine).toMatch(/^pdfjs /);
    expect(r.title).toBe('Quarterly Report Fixture');
    for (const n of [1, 2, 3, 4]) {
      expect(r.markdown).toContain(`<!-- page ${n} -->`);
      expect(r.markdown).toMatch(new RegExp(`^# Section ${n} Overview$`, 'm'));
      expect(r.markdown).toContain(`Marker sentence for page ${n}.`);
    }
    expect(r.markdown.indexOf('<!-- page 1 -->')).toBeLessThan(r.markdown.indexOf('<!-- page 2 -->'));
    expect(r.markdown).toContain('improved the documentation of every service');
    expect(r.markdown).not.toContain('docu-');
    expect(r.markdown).not.toContain(fx.PDF_HEADER);
    expect(r.markdown).not.toContain('Confidential');
    expect(r.markdown).toContain('| Region | Revenue | Growth |');
    expect(r.markdown).toContain('| North | 1200 | 4% |');
    expect(r.markdown).toContain('| West | 1430 | 2% |');
    expect(r.warnings.join(' ')).toMatch(/header\/footer/);
  });

  it('converts only the selected pages and still removes the running header', async () => {
    const r = await run(await fx.makeReportPdf({ pages: 6 }), 'report.pdf', {
      pages: '2-3,6',
      pdfEngine: 'pdfjs',
    });
    expect(r.metadata).toMatchObject({ pages: 6, pagesConverted: 3 });
    expect(r.markdown).toContain('<!-- page 2 -->');
    expect(r.markdown).toContain('<!-- page 6 -->');
    expect(r.markdown).not.toContain('<!-- page 1 -->');
    expect(r.markdown).not.toContain('Marker sentence for page 4.');
    expect(r.markdown).toContain('Marker sentence for page 6.');
    expect(r.markdown).not.toContain(fx.PDF_HEADER);
  });

  it('rejects page selections that are malformed or outside the document', async () => {
    const pdf = await fx.makeReportPdf({ pages: 2 });
    expect(await codeOf(run(pdf, 'a.pdf', { pages: '3-1' }))).toBe('INVALID_INPUT');
    expect(await codeOf(run(pdf, 'a.pdf', { pages: 'abc' }))).toBe('INVALID_INPUT');
    const outside = await errorOf(run(pdf, 'a.pdf', { pages: '9' }));
    expect(outside.code).toBe('INVALID_INPUT');
    expect(outside.message).toContain('2 pages');
  });

  it('renders plain text with text page markers and tab-separated tables', async () => {
    const r = await run(await fx.makeReportPdf(), 'report.pdf', { format: 'text', pdfEngine: 'pdfjs' });
    expect(r.markdown).toContain('--- page 2 ---');
    expect(r.markdown).not.toMatch(/^#/m);
    expect(r.markdown).toContain('North\t1200\t4%');
    expect(r.markdown).toMatch(/^Section 1 Overview$/m);
  });

  it('fails with NEEDS_OCR for a PDF without a text layer', async () => {
    const e = await errorOf(run(await fx.makeScannedPdf(), 'scan.pdf'));
    expect(e.code).toBe('NEEDS_OCR');
    expect(e.message).toContain('scan.pdf');
    expect(e.message).toMatch(/OCR/);
  });

  it('reports encrypted, truncated and fake PDFs with specific errors naming the file', async () => {
    const enc = await errorOf(run(await fx.makeEncryptedPdf(), 'locked.pdf', { pdfEngine: 'pdfjs' }));
    expect(enc.code).toBe('ENCRYPTED_FILE');
    expect(enc.message).toContain('locked.pdf');
    const pdf = await fx.makeReportPdf();
    const truncated = await errorOf(run(pdf.subarray(0, Math.floor(pdf.length / 2)), 'half.pdf'));
    expect(truncated.code).toBe('CORRUPT_FILE');
    expect(truncated.message).toContain('half.pdf');
    const random = Buffer.alloc(4096);
    for (let i = 0; i < random.length; i++) random[i] = ((i * 2654435761) >>> 13) & 0xff;
    const fake = await errorOf(run(random, 'random.pdf'));
    expect(fake.code).toBe('CORRUPT_FILE');
    expect(fake.message).toContain('random.pdf');
    expect(await codeOf(run(Buffer.alloc(0), 'empty.pdf'))).toBe('INVALID_INPUT');
    // The converter is still healthy afterwards.
    expect((await run(pdf, 'again.pdf')).markdown).toContain('Marker sentence for page 1.');
  });

  it('stops at the time limit with TIMEOUT and honours cancellation', async () => {
    const pdf = await fx.makeReportPdf({ pages: 30 });
    expect(
      await codeOf(run(pdf, 'slow.pdf', { pdfEngine: 'pdfjs', limits: { ...limits, documentTimeoutMs: 1 } })),
    ).toBe('TIMEOUT');
    const controller = new AbortController();
    controller.abort();
    expect(await codeOf(run(pdf, 'x.pdf', { signal: controller.signal }))).toBe('CANCELLED');
    expect((await run(pdf, 'ok.pdf', { pages: '1' })).markdown).toContain('Marker sentence for page 1.');
  });
});

describe.skipIf(!findPdftotext())('PDF (pdftotext engine; needs poppler-utils)', () => {
  it('converts with page markers, de-hyphenation, header removal and the aligned table', async () => {
    const r = await run(await fx.makeReportPdf(), 'report.pdf', { pdfEngine: 'pdftotext' });
    expect(r.metadata.engine).toBe('pdftotext');
    expect(r.markdown).toContain('<!-- page 3 -->');
    expect(r.markdown).toContain('improved the documentation of every service');
    expect(r.markdown).not.toContain(fx.PDF_HEADER);
    expect(r.markdown).not.toContain('Confidential');
    expect(r.markdown).toContain('Section 2 Overview');
    expect(r.markdown).toContain('| North | 1200 | 4% |');
    const some = await run(await fx.makeReportPdf({ pages: 6 }), 'report.pdf', {
      pdfEngine: 'pdftotext',
      pages: '2,4-5',
    });
    expect(some.markdown).toContain('<!-- page 5 -->');
    expect(some.markdown).not.toContain('<!-- page 3 -->');
    expect(some.markdown).toContain('Marker sentence for page 4.');
    expect(await codeOf(run(await fx.makeEncryptedPdf(), 'locked.pdf', { pdfEngine: 'pdftotext' }))).toBe(
      'ENCRYPTED_FILE',
    );
  });
});

describe('office and e-book formats', () => {
  it('DOCX keeps headings, list items, table cells and links', async () => {
    const r = await run(await fx.makeDocx(), 'handbook.docx');
    expect(r.metadata).toMatchObject({ format: 'docx' });
    expect(r.title).toBe('Project Handbook');
    expect(r.markdown).toMatch(/^# Project Handbook$/m);
    expect(r.markdown).toMatch(/^## Daily Routine$/m);
    expect(r.markdown).toMatch(/^-\s+Review open pull requests$/m);
    expect(r.markdown).toContain('| Name | Role | Phone |');
    expect(r.markdown).toContain('| Bob Chen | On-call | 555-0102 |');
    expect(r.markdown).toContain('[online guide](https://example.org/guide)');
  });

  it('XLSX gives one table per sheet with shared, inline, boolean and numeric cells, capped', async () => {
    const r = await run(fx.makeXlsx(6), 'stock.xlsx', { limits: { ...limits, maxCsvRows: 4 } });
    expect(r.metadata).toMatchObject({ format: 'xlsx', pages: 2 });
    expect(r.markdown).toContain('## Sheet: Inventory');
    expect(r.markdown).toContain('| Product | Price | In stock |');
    expect(r.markdown).toContain('| Widget, large | 19.99 | TRUE |');
    expect(r.markdown).toContain('| Gizmo \\| mini |  | maybe |');
    expect(r.markdown).toContain('… 2 more rows');
    expect(r.markdown).not.toContain('Item 5');
    expect(r.markdown).toContain('## Sheet: Notes');
    expect(r.markdown).toContain('Restock on Friday');
  });

  it('PPTX follows presentation order, keeps notes and honours a slide range', async () => {
    const r = await run(fx.makePptx(), 'deck.pptx');
    expect(r.markdown).toMatch(/^## Slide 1: Roadmap & Goals$/m);
    expect(r.markdown).toMatch(/^## Slide 2: Budget$/m);
    expect(r.markdown.indexOf('Ship version 2')).toBeLessThan(r.markdown.indexOf('Hire two engineers'));
    expect(r.markdown).toContain('- Cut cloud costs');
    expect(r.markdown).toContain('> Notes: Mention the hiring freeze.');
    const second = await run(fx.makePptx(), 'deck.pptx', { pages: '2' });
    expect(second.markdown).not.toContain('Roadmap');
    expect(second.metadata).toMatchObject({ pages: 2, pagesConverted: 1 });
  });

  it('ODT keeps headings, links, lists and tables', async () => {
    const r = await run(fx.makeOdt(), 'minutes.odt');
    expect(r.title).toBe('Minutes');
    expect(r.markdown).toMatch(/^# Meeting Minutes$/m);
    expect(r.markdown).toMatch(/^## Decisions$/m);
    expect(r.markdown).toContain('- Adopt the new release process\n- Move standup to 10:00');
    expect(r.markdown).toContain('[the agenda](https://example.org/agenda)');
    expect(r.markdown).toContain('| Dana | Draft the plan |');
  });

  it('EPUB reads chapters in spine order', async () => {
    const r = await run(fx.makeEpub(), 'book.epub');
    expect(r.title).toBe('The Small Book');
    expect(r.metadata).toMatchObject({ format: 'epub', pages: 2 });
    expect(r.markdown.indexOf('## Chapter One')).toBeGreaterThan(-1);
    expect(r.markdown.indexOf('## Chapter One')).toBeLessThan(r.markdown.indexOf('## Chapter Two'));
    expect(r.markdown).toMatch(/^-\s+second point$/m);
    expect(r.markdown).not.toContain('margin');
  });

  it('RTF drops control groups and decodes escapes', async () => {
    const r = await run(fx.RTF_SAMPLE, 'letter.rtf');
    expect(r.metadata.format).toBe('rtf');
    expect(r.markdown).toContain('Hello bold world.');
    expect(r.markdown).toContain('Café crème and € euro.');
    expect(r.markdown).toContain('Last line with {braces}.');
    for (const hidden of ['Helvetica', 'Secret Title', 'Writer', 'Normal', '89504e47'])
      expect(r.markdown).not.toContain(hidden);
  });
});

describe('web and text formats', () => {
  it('HTML keeps the article and drops navigation, banners and footers', async () => {
    const r = await run(fx.HTML_PAGE, 'page.html');
    expect(r.title).toBe('Garden Guide');
    expect(r.markdown).toMatch(/^#+ Growing Tomatoes$/m);
    expect(r.markdown).toMatch(/^## Soil$/m);
    expect(r.markdown).toMatch(/^-\s+Mulch after planting$/m);
    expect(r.markdown).toContain('| Cherry | 65 |');
    expect(r.markdown).toContain('[tomato handbook](https://example.org/tomatoes)');
    for (const boiler of ['Login', 'newsletter', 'Copyright', 'Privacy policy'])
      expect(r.markdown).not.toContain(boiler);
  });

  it('HTML without an article falls back to the cleaned body', async () => {
    const r = await run(
      '<html><body><nav><a href="/">Home</a></nav><div><p>Short note.</p></div><footer>Footer text</footer></body></html>',
      'tiny.htm',
    );
    expect(r.markdown).toContain('Short note.');
    expect(r.markdown).not.toContain('Home');
    expect(r.markdown).not.toContain('Footer text');
  });

  it('CSV parses quoted fields and caps rows with a count of the rest; TSV too', async () => {
    const csv =
      'name,comment,score\n"Smith, Jane","said ""hi""\nthen left",10\nLee,plain,7\nKim,x,1\nPak,y,2\n';
    const r = await run(csv, 'people.csv', { limits: { ...limits, maxCsvRows: 2 } });
    expect(r.markdown).toContain('| name | comment | score |');
    expect(r.markdown).toContain('| Smith, Jane | said "hi" then left | 10 |');
    expect(r.markdown).toContain('| Lee | plain | 7 |');
    expect(r.markdown).not.toContain('Kim');
    expect(r.markdown).toContain('… 2 more rows');
    expect(r.metadata).toMatchObject({ format: 'csv', rows: 4 });
    const tsv = await run('a\tb\n1\t2, 3\n', 'x.tsv');
    expect(tsv.markdown).toContain('| 1 | 2, 3 |');
  });

  it('JSON is pretty-printed and capped with a note', async () => {
    const r = await run(JSON.stringify({ name: 'prechew', tags: ['a', 'b'] }), 'data.json');
    expect(r.markdown).toContain('"name": "prechew"');
    expect(r.markdown.startsWith('```json')).toBe(true);
    const big = await run(JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ i }))), 'big.json', {
      limits: { ...limits, maxJsonChars: 300 },
    });
    expect(big.markdown).toContain('JSON truncated');
    expect(big.markdown.length).toBeLessThan(600);
  });

  it('passes Markdown and text through, decoding UTF-16 with a BOM', async () => {
    const md = await run('# Notes\r\n\r\n- one\r\n', 'notes.md');
    expect(md.markdown).toBe('# Notes\n\n- one\n');
    expect(md.title).toBe('Notes');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Grüße aus Köln', 'utf16le')]);
    const t = await run(utf16, 'greeting.txt');
    expect(t.markdown).toBe('Grüße aus Köln');
    expect(t.metadata.format).toBe('text');
  });
});

describe('format sniffing', () => {
  it('trusts content over a wrong extension', async () => {
    const docxAsPdf = await run(await fx.makeDocx(), 'handbook.pdf');
    expect(docxAsPdf.metadata.format).toBe('docx');
    expect(docxAsPdf.markdown).toContain('## Daily Routine');
    expect(docxAsPdf.warnings.join(' ')).toMatch(/named like a PDF/);
    const pdfAsTxt = await run(await fx.makeReportPdf(), 'report.txt');
    expect(pdfAsTxt.metadata.format).toBe('pdf');
    const htmlAsTxt = await run(fx.HTML_PAGE, 'page.txt');
    expect(htmlAsTxt.metadata.format).toBe('html');
    const noName = await run(fx.makeEpub(), 'upload');
    expect(noName.metadata.format).toBe('epub');
    const textAsPdf = await run('just some words', 'notes.pdf');
    expect(textAsPdf.metadata.format).toBe('text');
  });

  it('refuses other binaries with UNSUPPORTED_FORMAT', async () => {
    expect(
      await codeOf(run(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), 'image.png')),
    ).toBe('UNSUPPORTED_FORMAT');
    expect(
      await codeOf(run(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]), 'old.doc')),
    ).toBe('UNSUPPORTED_FORMAT');
  });
});

describe('zip safety', () => {
  it('refuses a zip whose directory declares more than the uncompressed limit', async () => {
    const e = await errorOf(
      run(fx.makeZipBomb(5_000_000), 'bomb.docx', { limits: { ...limits, maxUncompressedBytes: 1_000_000 } }),
    );
    expect(e.code).toBe('INPUT_TOO_LARGE');
    expect(e.message).toMatch(/bomb\.docx.*zip bomb/);
    expect(await codeOf(run(fx.makeLyingZip(), 'liar.docx'))).toBe('INPUT_TOO_LARGE');
  });

  it('stops inflating when an entry is bigger than its directory says', async () => {
    const e = await errorOf(
      run(fx.makeUnderstatedZip(5_000_000), 'sneaky.docx', {
        limits: { ...limits, maxUncompressedBytes: 1_000_000 },
      }),
    );
    expect(e.code).toBe('INPUT_TOO_LARGE');
    expect(e.message).toMatch(/unpacks to over/);
  });

  it('caps the number of entries and recovers for the next file', async () => {
    expect(await codeOf(run(fx.makeXlsx(), 'many.xlsx', { limits: { ...limits, maxZipEntries: 3 } }))).toBe(
      'INPUT_TOO_LARGE',
    );
    expect((await run(fx.makeXlsx(), 'fine.xlsx')).markdown).toContain('## Sheet: Inventory');
  });
});
