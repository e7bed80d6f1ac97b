/**
 * PDF layout on real documents (Debian's bzip2 and libtasn1 manuals, see
 * fixtures/real/pdf/SOURCES.md) and on generated pages that isolate one layout at a time: code
 * listings, tables of contents, running heads and table header rows.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSandbox, findPdftotext, type ConvertResult } from '../../src/engines/documents/index.js';
import { convertForTest } from '../helpers/make-documents.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => readFileSync(path.join(here, '..', '..', 'fixtures', 'real', 'pdf', name));

/** The text of every fenced code block. */
function codeBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```\n([\s\S]*?)\n```$/gm)].map((m) => m[1]!);
}

afterAll(() => closeSandbox());

describe('bzip2 manual (pdfTeX)', () => {
  let r: ConvertResult;
  beforeAll(async () => {
    r = await convertForTest(fixture('bzip2-manual.pdf'), 'bzip2-manual.pdf', { pdfEngine: 'pdfjs' });
  });

  it('renders the table of contents one entry per line without dot leaders', () => {
    expect(r.markdown).not.toMatch(/(\. ){4,}/);
    expect(r.markdown).toMatch(/^- 2\.1\. NAME … 2$/m);
    expect(r.markdown).toMatch(/^- 3\.3\.1\. BZ2_bzCompressInit … 11$/m);
    expect(r.markdown).toMatch(/^- 4\.5\. Further Reading … 34$/m);
  });

  it('removes the chapter running head and keeps the chapter headings', () => {
    expect(r.markdown).not.toMatch(/^How to use bzip2$/m);
    expect(r.markdown).not.toMatch(/^Programming with libbzip2$/m);
    expect(r.markdown).toMatch(/^# 2\. How to use bzip2$/m);
    expect(r.markdown).toMatch(/^## 2\.5\. MEMORY MANAGEMENT$/m);
    expect(r.markdown).toContain('How to use bzip2 [2] describes how to use bzip2');
  });

  it('keeps program listings as fenced code with their line breaks, never as tables', () => {
    const code = codeBlocks(r.markdown);
    const memory = code.find((c) => c.includes('Compression:'));
    expect(memory).toBeDefined();
    expect(memory).toMatch(/^Compression: +400k \+ \( 8 x block size \)$/m);
    expect(memory).toMatch(/^Decompression: 100k \+ \( 4 x block size \), or$/m);
    // The continuation line keeps its indentation under "Decompression:".
    expect(memory).toMatch(/^ {6,}100k \+ \( 2\.5 x block size \)$/m);
    const usage = code.find((c) => c.includes('Compress  Decompress'));
    expect(usage).toMatch(/^ -9 +7600k +3700k +2350k +828642$/m);
    const declarations = code.find((c) => /^int bzerror;$/m.test(c.replace(/ +/g, ' ')));
    expect(declarations).toBeDefined();
    expect(r.markdown).not.toMatch(/^\| int \|/m);
    expect(r.markdown).not.toMatch(/^\| -9 \| 7600k/m);
    // No escaping inside code.
    expect(code.join('\n')).not.toContain('\\_');
  });
});

describe('libtasn1 manual (Texinfo)', () => {
  let r: ConvertResult;
  beforeAll(async () => {
    r = await convertForTest(fixture('libtasn1.pdf'), 'libtasn1.pdf', { pdfEngine: 'pdfjs' });
  });

  it('removes running heads that carry the chapter and a changing page number', () => {
    expect(r.markdown).not.toMatch(/^Chapter \d+: .+ \d+$/m);
    expect(r.warnings.join(' ')).toMatch(/running header/);
    expect(r.markdown).toMatch(/^#+ 3\.1 Invoking asn1Parser$/m);
  });

  it('keeps ASN.1 listings as indented code instead of fake tables', () => {
    expect(r.markdown).not.toMatch(/\| x \| INTEGER, \|/);
    expect(r.markdown).not.toMatch(/^\| r \| INTEGER, \|/m);
    const listing = codeBlocks(r.markdown).find((c) => c.includes('Dss-Sig-Value ::= SEQUENCE {'));
    expect(listing).toBeDefined();
    expect(listing).toMatch(/^ +r +INTEGER,$/m);
    expect(listing).toMatch(/^ +y1 INTEGER,$/m);
    // Nested members sit deeper than their parent.
    const indent = (re: RegExp) => /^( *)/.exec(listing!.split('\n').find((l) => re.test(l)) ?? '')![1]!.length;
    expect(indent(/y1 INTEGER/)).toBeGreaterThan(indent(/^ *y +CHOICE/));
    const usage = codeBlocks(r.markdown).find((c) => c.includes('Usage: asn1Parser [OPTION] FILE'));
    expect(usage).toMatch(/^ +-c, --check +checks the syntax only$/m);
  });
});

describe('generated layouts', () => {
  it('removes running heads that alternate between odd and even pages', async () => {
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.TimesRoman);
    for (let n = 1; n <= 8; n++) {
      const page = doc.addPage([420, 595]);
      page.drawText(n % 2 === 0 ? 'A Field Guide to Ferns' : 'Spores and Fronds', { x: 40, y: 560, size: 9, font });
      page.drawText(`Paragraph on page ${n} about how ferns grow in the shade of old forests.`, {
        x: 40,
        y: 500,
        size: 11,
        font,
      });
      page.drawText(`It continues with a second sentence for page ${n}.`, { x: 40, y: 486, size: 11, font });
    }
    const r = await convertForTest(await doc.save(), 'ferns.pdf', { pdfEngine: 'pdfjs' });
    expect(r.markdown).not.toContain('A Field Guide to Ferns');
    expect(r.markdown).not.toContain('Spores and Fronds');
    expect(r.markdown).toContain('Paragraph on page 8 about how ferns grow');
  });

  it('keeps a table header row with its table instead of the paragraph above', async () => {
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.Helvetica);
    const bold = await doc.embedFont(StandardFonts.HelveticaBold);
    const page = doc.addPage([595, 842]);
    page.drawText('The measurements below were taken at three stations during the spring survey.', {
      x: 50,
      y: 760,
      size: 11,
      font,
    });
    // Header cells centred over their columns, so they do not start where the data does.
    ['Station', 'Depth', 'Temp'].forEach((t, i) => page.drawText(t, { x: 50 + i * 150 + 22, y: 744, size: 11, font: bold }));
    const rows = [
      ['Alder Creek', '12 m', '8.5 C'],
      ['Birch Pond', '4 m', '11.0 C'],
      ['Cedar Lake', '30 m', '6.2 C'],
    ];
    rows.forEach((row, r) => row.forEach((t, i) => page.drawText(t, { x: 50 + i * 150, y: 728 - r * 16, size: 11, font })));
    const r = await convertForTest(await doc.save(), 'survey.pdf', { pdfEngine: 'pdfjs' });
    expect(r.markdown).toContain('| Station | Depth | Temp |');
    expect(r.markdown).toContain('| Birch Pond | 4 m | 11.0 C |');
    expect(r.markdown).toMatch(/spring survey\.\n\n\| Station/);
  });

  it('renders a Courier listing as fenced code with indentation and no table', async () => {
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.Helvetica);
    const mono = await doc.embedFont(StandardFonts.Courier);
    const page = doc.addPage([595, 842]);
    page.drawText('The schema is declared as follows:', { x: 50, y: 760, size: 11, font });
    const listing = ['CREATE TABLE point (', '    x       INTEGER,', '    y       INTEGER', ');'];
    listing.forEach((l, i) => page.drawText(l, { x: 50, y: 740 - i * 12, size: 10, font: mono }));
    page.drawText('Both columns are required.', { x: 50, y: 680, size: 11, font });
    const r = await convertForTest(await doc.save(), 'schema.pdf', { pdfEngine: 'pdfjs' });
    expect(codeBlocks(r.markdown)).toContain(listing.join('\n'));
    expect(r.markdown).not.toContain('| x |');
  });
});

describe.skipIf(!findPdftotext())('pdftotext engine', () => {
  it('renders the table of contents without dot leaders too', async () => {
    const r = await convertForTest(fixture('bzip2-manual.pdf'), 'bzip2-manual.pdf', { pdfEngine: 'pdftotext', pages: '3' });
    expect(r.metadata.engine).toBe('pdftotext');
    expect(r.markdown).not.toMatch(/(\. ){4,}/);
    expect(r.markdown).toMatch(/^- 2\.1\. NAME … 2$/m);
  });
});
