/**
 * DOCX specifics: equations (Office Math, OMML) as LaTeX, the title said once, image alt text,
 * and a document.xml too large for mammoth's in-memory tree refused before it is parsed.
 */
import { Document, HeadingLevel, ImageRun, Packer, Paragraph } from 'docx';
import { beforeAll, describe, expect, it } from 'vitest';
import { PrechewError } from '../../src/errors.js';
import {
  convertForTest as run,
  EQUATION_LATEX,
  makeHugeDocx,
  makeMathDocx,
  makeRawDocx,
  TEST_LIMITS,
} from '../helpers/make-documents.js';

describe('DOCX equations', () => {
  it('turns inline and display OMML into LaTeX', async () => {
    const r = await run(makeMathDocx(), 'equations.docx');
    expect(r.markdown).toContain(`For ${EQUATION_LATEX.inlineFraction}, the ratio holds.`);
    expect(r.markdown).toContain(`The angle is ${EQUATION_LATEX.inlineAngle}.`);
    for (const key of ['quadratic', 'sum', 'integral', 'matrix', 'functions'] as const)
      expect(r.markdown.split('\n')).toContain(EQUATION_LATEX[key]);
  });
});

describe('DOCX titles and images', () => {
  it('says the title once when the Title paragraph, the first heading and the metadata agree', async () => {
    const p = (style: string, text: string) =>
      `<w:p><w:pPr><w:pStyle w:val="${style}"/></w:pPr><w:r><w:t>${text}</w:t></w:r></w:p>`;
    const styles = `<?xml version="1.0"?><w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/></w:style><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style></w:styles>`;
    const docx = makeRawDocx(
      p('Title', 'Annual Report 2025') + p('Heading1', 'Annual Report 2025') + '<w:p><w:r><w:t>Revenue grew.</w:t></w:r></w:p>',
      {
        title: 'Annual Report 2025',
        extra: {
          'word/styles.xml': styles,
          'word/_rels/document.xml.rels':
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>',
        },
      },
    );
    const r = await run(docx, 'report.docx');
    expect(r.title).toBe('Annual Report 2025');
    expect(r.markdown).toBe('# Annual Report 2025\n\nRevenue grew.');
  });

  it('keeps image alt text', async () => {
    // A 1×1 PNG.
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
      'base64',
    );
    const doc = new Document({
      sections: [
        {
          children: [
            new Paragraph({ text: 'Figures', heading: HeadingLevel.HEADING_1 }),
            new Paragraph({
              children: [
                new ImageRun({
                  type: 'png',
                  data: png,
                  transformation: { width: 10, height: 10 },
                  altText: { name: 'chart', title: 'Sales chart', description: 'Bar chart of sales by region' },
                }),
              ],
            }),
          ],
        },
      ],
    });
    const r = await run(await Packer.toBuffer(doc), 'figures.docx');
    expect(r.markdown).toContain('[image: Bar chart of sales by region]');
  });
});

describe('DOCX size bounds', () => {
  // Generated once (deflating 200 MB takes seconds); each test works on its own copy.
  let huge: Uint8Array;
  beforeAll(() => {
    huge = makeHugeDocx(200);
  });

  it('refuses a document.xml that unpacks to 200 MB with INPUT_TOO_LARGE, without running out of memory', async () => {
    const bytes = huge.slice();
    expect(bytes.length).toBeLessThan(5 * 1024 * 1024);
    const error = await run(bytes, 'huge.docx', { limits: { ...TEST_LIMITS, maxUncompressedBytes: 300 * 1024 * 1024 } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PrechewError);
    expect((error as PrechewError).code).toBe('INPUT_TOO_LARGE');
    expect((error as PrechewError).message).toMatch(/huge\.docx is too large to convert: its Word XML/);
  });

  it('stops inflating at the cap when the zip directory understates the XML size', async () => {
    const bytes = huge.slice();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i + 46 <= bytes.length; i++)
      if (view.getUint32(i, true) === 0x02014b50) view.setUint32(i + 24, 100, true);
    const error = await run(bytes, 'sneaky.docx', {
      limits: { ...TEST_LIMITS, maxUncompressedBytes: 300 * 1024 * 1024 },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as PrechewError).code).toBe('INPUT_TOO_LARGE');
    expect((error as PrechewError).message).toMatch(/sneaky\.docx is too large to convert: its Word XML unpacks to over 32 MB/);
  });

  it('refuses a document.xml of many small elements under the byte cap', async () => {
    const bytes = makeHugeDocx(12);
    const error = await run(bytes, 'dense.docx').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as PrechewError).code).toBe('INPUT_TOO_LARGE');
    expect((error as PrechewError).message).toMatch(/holds over 500,000 elements/);
  });
});
