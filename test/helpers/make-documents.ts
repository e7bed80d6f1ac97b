/**
 * Document fixtures generated in the tests: PDFs with pdf-lib, DOCX with the docx package, and
 * the zip-based office formats (XLSX, PPTX, ODT, EPUB) assembled from minimal XML with fflate.
 */
import { PDFDocument, PDFHexString, PDFName, StandardFonts, rgb } from 'pdf-lib';
import {
  Document,
  ExternalHyperlink,
  HeadingLevel,
  Packer,
  Paragraph,
  Table,
  TableCell,
  TableRow,
  TextRun,
} from 'docx';
import { strToU8, Zip, ZipDeflate, zipSync, type Zippable } from 'fflate';
import { convert, type ConvertOptions } from '../../src/engines/documents/index.js';

/** Converter limits for engine tests: generous, so each test narrows only the one it exercises. */
export const TEST_LIMITS: ConvertOptions['limits'] = {
  maxUncompressedBytes: 50_000_000,
  maxZipEntries: 1000,
  documentTimeoutMs: 60_000,
  maxCsvRows: 500,
  maxJsonChars: 200_000,
};

/** Convert bytes with TEST_LIMITS, overridable per call. */
export function convertForTest(bytes: Uint8Array | string, name: string, options: Partial<ConvertOptions> = {}) {
  return convert({ bytes: Buffer.from(bytes), name }, { ...options, limits: { ...TEST_LIMITS, ...(options.limits ?? {}) } });
}

export interface PdfFixtureOptions {
  pages?: number;
  /** Also draw a 3-column table on page 2. */
  table?: boolean;
}

export const PDF_HEADER = 'ACME Quarterly Report';
export const PDF_TABLE = [
  ['Region', 'Revenue', 'Growth'],
  ['North', '1200', '4%'],
  ['South', '950', '7%'],
  ['West', '1430', '2%'],
];

/**
 * A multi-page report: a running header and a numbered footer on every page, a 20pt heading per
 * page, body text in 11pt with a word hyphenated across a line break on page 1, and a column
 * layout (table) on page 2.
 */
export async function makeReportPdf(options: PdfFixtureOptions = {}): Promise<Uint8Array> {
  const pages = options.pages ?? 4;
  const doc = await PDFDocument.create();
  doc.setTitle('Quarterly Report Fixture');
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  for (let n = 1; n <= pages; n++) {
    const page = doc.addPage([595, 842]);
    page.drawText(PDF_HEADER, { x: 50, y: 800, size: 9, font });
    page.drawText(`Confidential - page ${n} of ${pages}`, { x: 50, y: 30, size: 9, font });
    page.drawText(`Section ${n} Overview`, { x: 50, y: 740, size: 20, font: bold });
    const body =
      n === 1
        ? [
            'The quarterly results show steady progress across all regions and a',
            'strong pipeline. Our engineers improved the docu-',
            'mentation of every service this quarter.',
          ]
        : [
            `Body text for section ${n} describes the work of the quarter in plain`,
            `words, with enough length to form a paragraph of its own on page ${n}.`,
          ];
    let y = 700;
    for (const line of body) {
      page.drawText(line, { x: 50, y, size: 11, font });
      y -= 14;
    }
    y -= 20;
    page.drawText(`Marker sentence for page ${n}.`, { x: 50, y, size: 11, font });
    if (options.table !== false && n === 2) {
      let ty = y - 40;
      for (const row of PDF_TABLE) {
        row.forEach((cell, i) => page.drawText(cell, { x: 50 + i * 150, y: ty, size: 11, font }));
        ty -= 16;
      }
    }
  }
  return doc.save();
}

/** A PDF whose pages hold only drawings (what a scan without OCR looks like to a text extractor). */
export async function makeScannedPdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  for (let i = 0; i < 2; i++) {
    const page = doc.addPage([595, 842]);
    page.drawRectangle({ x: 40, y: 40, width: 500, height: 700, color: rgb(0.9, 0.9, 0.85) });
    page.drawCircle({ x: 300, y: 400, size: 80, color: rgb(0.2, 0.2, 0.2) });
  }
  return doc.save();
}

/**
 * A PDF that declares the standard security handler with a user password: the /Encrypt dictionary
 * in the trailer carries O/U entries that the empty password does not match, so readers must ask
 * for a password (pdf-lib cannot encrypt, so the dictionary is written by hand).
 */
export async function makeEncryptedPdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.addPage([300, 300]).drawText('secret text', { x: 20, y: 200, size: 12, font });
  const ctx = doc.context;
  const hex = (seed: number) =>
    PDFHexString.of(
      Array.from({ length: 32 }, (_, i) => ((seed * 31 + i * 17) & 0xff).toString(16).padStart(2, '0')).join(
        '',
      ),
    );
  const encrypt = ctx.obj({
    Filter: PDFName.of('Standard'),
    V: 2,
    R: 3,
    Length: 128,
    P: -3904,
    O: hex(7),
    U: hex(11),
  });
  ctx.trailerInfo.Encrypt = ctx.register(encrypt);
  ctx.trailerInfo.ID = ctx.obj([hex(3), hex(3)]);
  return doc.save({ useObjectStreams: false });
}

export async function makeDocx(): Promise<Buffer> {
  const doc = new Document({
    creator: 'prechew tests',
    title: 'Project Handbook',
    sections: [
      {
        children: [
          new Paragraph({ text: 'Project Handbook', heading: HeadingLevel.HEADING_1 }),
          new Paragraph({
            children: [
              new TextRun('This handbook explains how the team works. Read the '),
              new ExternalHyperlink({
                link: 'https://example.org/guide',
                children: [new TextRun({ text: 'online guide', style: 'Hyperlink' })],
              }),
              new TextRun(' for details.'),
            ],
          }),
          new Paragraph({ text: 'Daily Routine', heading: HeadingLevel.HEADING_2 }),
          new Paragraph({ text: 'Check the incident queue', bullet: { level: 0 } }),
          new Paragraph({ text: 'Review open pull requests', bullet: { level: 0 } }),
          new Paragraph({ text: 'Update the status board', bullet: { level: 0 } }),
          new Paragraph({ text: 'Contacts', heading: HeadingLevel.HEADING_2 }),
          new Table({
            rows: [
              ['Name', 'Role', 'Phone'],
              ['Alice Martin', 'Lead', '555-0101'],
              ['Bob Chen', 'On-call', '555-0102'],
            ].map(
              (row) =>
                new TableRow({
                  children: row.map((text) => new TableCell({ children: [new Paragraph(text)] })),
                }),
            ),
          }),
        ],
      },
    ],
  });
  return Packer.toBuffer(doc);
}

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

function zip(files: Record<string, string | Uint8Array>, level: 0 | 6 = 6): Uint8Array {
  const z: Zippable = {};
  for (const [name, content] of Object.entries(files))
    z[name] = [typeof content === 'string' ? strToU8(content) : content, { level }];
  return zipSync(z);
}

export function makeXlsx(dataRows = 3): Uint8Array {
  const shared = ['Product', 'Price', 'In stock', 'Widget, large', 'Gadget'];
  const rows: string[] = [
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>',
    '<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2"><v>19.99</v></c><c r="C2" t="b"><v>1</v></c></row>',
    '<row r="3"><c r="A3" t="s"><v>4</v></c><c r="B3"><v>5</v></c><c r="C3" t="b"><v>0</v></c></row>',
    '<row r="4"><c r="A4" t="inlineStr"><is><t>Gizmo | mini</t></is></c><c r="C4" t="str"><v>maybe</v></c></row>',
  ];
  for (let i = 4; i < dataRows + 1; i++)
    rows.push(
      `<row r="${i + 1}"><c r="A${i + 1}" t="inlineStr"><is><t>Item ${i}</t></is></c><c r="B${i + 1}"><v>${i}</v></c></row>`,
    );
  const sheet = (body: string) =>
    `${XML_HEAD}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${body}</sheetData></worksheet>`;
  return zip({
    '[Content_Types].xml': `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
    'xl/workbook.xml': `${XML_HEAD}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Inventory" sheetId="1" r:id="rId1"/><sheet name="Notes" sheetId="2" r:id="rId2"/></sheets></workbook>`,
    'xl/_rels/workbook.xml.rels': `${XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/sheet2.xml"/></Relationships>`,
    'xl/sharedStrings.xml': `${XML_HEAD}<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">${shared.map((s) => `<si><t>${s}</t></si>`).join('')}</sst>`,
    'xl/worksheets/sheet1.xml': sheet(rows.slice(0, dataRows + 1).join('')),
    'xl/worksheets/sheet2.xml': sheet(
      '<row r="2"><c r="B2" t="inlineStr"><is><r><t>Restock </t></r><r><t>on Friday</t></r></is></c></row>',
    ),
  });
}

export function makePptx(): Uint8Array {
  const slide = (title: string, bullets: string[]) =>
    `${XML_HEAD}<p:sld xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld><p:spTree>` +
    `<p:sp><p:nvSpPr><p:cNvPr id="2" name="Title"/><p:cNvSpPr/><p:nvPr><p:ph type="title"/></p:nvPr></p:nvSpPr><p:txBody><a:p><a:r><a:t>${title}</a:t></a:r></a:p></p:txBody></p:sp>` +
    `<p:sp><p:nvSpPr><p:cNvPr id="3" name="Body"/><p:cNvSpPr/><p:nvPr><p:ph idx="1"/></p:nvPr></p:nvSpPr><p:txBody>${bullets.map((b) => `<a:p><a:r><a:rPr lang="en-US"/><a:t>${b}</a:t></a:r></a:p>`).join('')}</p:txBody></p:sp>` +
    `</p:spTree></p:cSld></p:sld>`;
  return zip({
    'ppt/presentation.xml': `${XML_HEAD}<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><p:sldIdLst><p:sldId id="256" r:id="rId7"/><p:sldId id="257" r:id="rId3"/></p:sldIdLst></p:presentation>`,
    'ppt/_rels/presentation.xml.rels': `${XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide" Target="slides/slide1.xml"/><Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide" Target="slides/slide2.xml"/></Relationships>`,
    // slide2.xml is listed first in sldIdLst, so it is slide 1 of the presentation.
    'ppt/slides/slide2.xml': slide('Roadmap &amp; Goals', ['Ship version 2', 'Grow the community']),
    'ppt/slides/slide1.xml': slide('Budget', ['Hire two engineers', 'Cut cloud costs']),
    'ppt/slides/_rels/slide1.xml.rels': `${XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/notesSlide" Target="../notesSlides/notesSlide1.xml"/></Relationships>`,
    'ppt/notesSlides/notesSlide1.xml': `${XML_HEAD}<p:notes xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld><p:spTree><p:sp><p:nvSpPr><p:nvPr><p:ph type="body" idx="1"/></p:nvPr></p:nvSpPr><p:txBody><a:p><a:r><a:t>Mention the hiring freeze.</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:notes>`,
  });
}

export function makeOdt(): Uint8Array {
  const ns =
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:xlink="http://www.w3.org/1999/xlink"';
  return zip(
    {
      mimetype: 'application/vnd.oasis.opendocument.text',
      'content.xml':
        `${XML_HEAD}<office:document-content ${ns}><office:body><office:text>` +
        '<text:h text:outline-level="1">Meeting Minutes</text:h>' +
        '<text:p>Attendees met on Monday.<text:s text:c="2"/>See <text:a xlink:href="https://example.org/agenda">the agenda</text:a>.</text:p>' +
        '<text:h text:outline-level="2">Decisions</text:h>' +
        '<text:list><text:list-item><text:p>Adopt the new release process</text:p></text:list-item><text:list-item><text:p>Move standup to 10:00</text:p></text:list-item></text:list>' +
        '<table:table table:name="T1"><table:table-row><table:table-cell><text:p>Owner</text:p></table:table-cell><table:table-cell><text:p>Task</text:p></table:table-cell></table:table-row>' +
        '<table:table-row><table:table-cell><text:p>Dana</text:p></table:table-cell><table:table-cell><text:p>Draft the plan</text:p></table:table-cell></table:table-row></table:table>' +
        '</office:text></office:body></office:document-content>',
      'meta.xml': `${XML_HEAD}<office:document-meta ${ns} xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta><dc:title>Minutes</dc:title></office:meta></office:document-meta>`,
    },
    0,
  );
}

export function makeEpub(): Uint8Array {
  const chapter = (title: string, body: string) =>
    `${XML_HEAD}<html xmlns="http://www.w3.org/1999/xhtml"><head><title>${title}</title></head><body><h2>${title}</h2>${body}</body></html>`;
  return zip({
    mimetype: 'application/epub+zip',
    'META-INF/container.xml': `${XML_HEAD}<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>`,
    'OEBPS/content.opf':
      `${XML_HEAD}<package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>The Small Book</dc:title></metadata>` +
      '<manifest><item id="c2" href="text/ch2.xhtml" media-type="application/xhtml+xml"/><item id="c1" href="text/ch1.xhtml" media-type="application/xhtml+xml"/><item id="css" href="style.css" media-type="text/css"/></manifest>' +
      '<spine><itemref idref="c1"/><itemref idref="c2"/></spine></package>',
    'OEBPS/text/ch1.xhtml': chapter(
      'Chapter One',
      '<p>It was a bright cold day in April.</p><ul><li>first point</li><li>second point</li></ul>',
    ),
    'OEBPS/text/ch2.xhtml': chapter('Chapter Two', '<p>The story continues here.</p>'),
    'OEBPS/style.css': 'p { margin: 0 }',
  });
}

export const RTF_SAMPLE =
  '{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fswiss Helvetica;}{\\f1 Times;}}{\\colortbl;\\red255\\green0\\blue0;}' +
  '{\\stylesheet{\\s0 Normal;}}{\\info{\\title Secret Title}{\\author Someone}}{\\*\\generator Writer 1.0;}' +
  "\\f0\\fs24 Hello \\b bold\\b0  world.\\par Caf\\'e9 cr\\u232\\'65me and \\u8364? euro.\\par" +
  '{\\pict\\pngblip 89504e470d0a1a0a}Last line with \\{braces\\}.\\par}';

export const HTML_PAGE = `<!doctype html><html><head><title>Garden Guide</title></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/shop">Shop</a></li><li><a href="/login">Login</a></li></ul></nav>
<header><p>Site banner: subscribe to our newsletter!</p></header>
<main><article>
<h1>Growing Tomatoes</h1>
<p>Tomatoes need at least six hours of direct sunlight every day. Plant them after the last frost, when the soil has warmed, and water deeply once or twice a week rather than a little every day.</p>
<h2>Soil</h2>
<p>Use rich, well-drained soil with plenty of compost. A slightly acidic pH between 6.2 and 6.8 is ideal for most varieties, and mulching keeps moisture even through the summer.</p>
<ul><li>Add compost in spring</li><li>Mulch after planting</li></ul>
<table><tr><td>Variety</td><td>Days</td></tr><tr><td>Cherry</td><td>65</td></tr><tr><td>Beefsteak</td><td>85</td></tr></table>
<p>Read more in the <a href="https://example.org/tomatoes">tomato handbook</a>.</p>
</article></main>
<footer><p>Copyright 2024 Garden Co. All rights reserved. Privacy policy.</p></footer>
</body></html>`;

/** A DOCX-looking zip with one highly compressible entry of `bytes` zeros. */
export function makeZipBomb(bytes: number): Uint8Array {
  return zip({ '[Content_Types].xml': '<Types/>', 'word/document.xml': new Uint8Array(bytes) });
}

/** A small valid zip whose central directory claims an entry of ~3.9 GB uncompressed. */
export function makeLyingZip(): Uint8Array {
  const data = zip({ '[Content_Types].xml': '<Types/>', 'word/document.xml': '<w:document/>' });
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i + 46 <= data.length; i++) {
    if (view.getUint32(i, true) === 0x02014b50) view.setUint32(i + 24, 0xfffffff0 - 1, true);
  }
  return data;
}

/** A zip whose central directory understates an entry's size: only the inflation guard can catch it. */
export function makeUnderstatedZip(bytes: number): Uint8Array {
  const data = makeZipBomb(bytes);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i + 46 <= data.length; i++) {
    if (view.getUint32(i, true) === 0x02014b50) view.setUint32(i + 24, 100, true);
  }
  return data;
}

const W_NS =
  'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"';

/** A DOCX assembled from raw WordprocessingML body XML (for markup the docx package cannot write). */
export function makeRawDocx(bodyXml: string, options: { title?: string; extra?: Record<string, string | Uint8Array> } = {}): Uint8Array {
  const files: Record<string, string | Uint8Array> = {
    '[Content_Types].xml': `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
    '_rels/.rels': `${XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>`,
    'word/document.xml': `${XML_HEAD}<w:document ${W_NS}><w:body>${bodyXml}</w:body></w:document>`,
    ...(options.extra ?? {}),
  };
  if (options.title)
    files['docProps/core.xml'] = `${XML_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>${options.title}</dc:title></cp:coreProperties>`;
  return zip(files);
}

const mr = (text: string) => `<m:r><w:rPr><w:rFonts w:ascii="Cambria Math" w:hAnsi="Cambria Math"/></w:rPr><m:t>${text}</m:t></m:r>`;
const me = (inner: string) => `<m:e>${inner}</m:e>`;
const wp = (inner: string) => `<w:p>${inner}</w:p>`;
const wr = (text: string) => `<w:r><w:t xml:space="preserve">${text}</w:t></w:r>`;

/**
 * Equations as Word's equation editor writes them (OMML): inline ones inside a sentence and
 * display ones in m:oMathPara, covering fractions, scripts, radicals, n-ary operators, delimiters,
 * matrices, functions, accents, bars and limits. EQUATION_LATEX lists what each must become.
 */
export function makeMathDocx(): Uint8Array {
  const inlineFraction = `<m:oMath><m:f><m:num>${mr('a')}</m:num><m:den>${mr('b')}</m:den></m:f></m:oMath>`;
  const inlineAngle = `<m:oMath>${mr('θ=')}<m:sSup><m:e>${mr('45')}</m:e><m:sup>${mr('°')}</m:sup></m:sSup></m:oMath>`;
  const quadratic =
    `<m:oMathPara><m:oMath>${mr('x=')}<m:f><m:num>${mr('−b±')}<m:rad><m:radPr><m:degHide m:val="1"/></m:radPr><m:deg/><m:e><m:sSup><m:e>${mr('b')}</m:e><m:sup>${mr('2')}</m:sup></m:sSup>${mr('−4ac')}</m:e></m:rad></m:num><m:den>${mr('2a')}</m:den></m:f></m:oMath></m:oMathPara>`;
  const sum = `<m:oMathPara><m:oMath><m:nary><m:naryPr><m:chr m:val="∑"/><m:limLoc m:val="undOvr"/></m:naryPr><m:sub>${mr('i=1')}</m:sub><m:sup>${mr('n')}</m:sup>${me(`<m:sSub><m:e>${mr('x')}</m:e><m:sub>${mr('i')}</m:sub></m:sSub>`)}</m:nary></m:oMath></m:oMathPara>`;
  const integral = `<m:oMathPara><m:oMath><m:nary><m:naryPr><m:limLoc m:val="subSup"/></m:naryPr><m:sub>${mr('0')}</m:sub><m:sup>${mr('∞')}</m:sup>${me(`<m:sSup><m:e>${mr('e')}</m:e><m:sup>${mr('−x')}</m:sup></m:sSup>${mr('dx')}`)}</m:nary>${mr('=1')}</m:oMath></m:oMathPara>`;
  const matrix = `<m:oMathPara><m:oMath>${mr('A=')}<m:d><m:dPr><m:begChr m:val="["/><m:endChr m:val="]"/></m:dPr>${me(`<m:m><m:mr>${me(mr('1'))}${me(mr('0'))}</m:mr><m:mr>${me(mr('0'))}${me(mr('1'))}</m:mr></m:m>`)}</m:d></m:oMath></m:oMathPara>`;
  const functions = `<m:oMathPara><m:oMath><m:func><m:fName>${mr('sin')}</m:fName>${me(mr('x'))}</m:func>${mr('+')}<m:acc><m:accPr><m:chr m:val="̂"/></m:accPr>${me(mr('y'))}</m:acc>${mr('+')}<m:bar><m:barPr><m:pos m:val="top"/></m:barPr>${me(mr('z'))}</m:bar>${mr('+')}<m:func><m:fName><m:limLow>${me(mr('lim'))}<m:lim>${mr('n→∞')}</m:lim></m:limLow></m:fName>${me(`<m:d>${me(`<m:f><m:num>${mr('1')}</m:num><m:den>${mr('n')}</m:den></m:f>`)}</m:d>`)}</m:func></m:oMath></m:oMathPara>`;
  return makeRawDocx(
    [
      wp(`${wr('For ')}${inlineFraction}${wr(', the ratio holds.')}`),
      wp(`${wr('The angle is ')}${inlineAngle}${wr('.')}`),
      wp(wr('The quadratic formula:')),
      wp(quadratic),
      wp(sum),
      wp(integral),
      wp(matrix),
      wp(functions),
    ].join(''),
  );
}

export const EQUATION_LATEX = {
  inlineFraction: '$\\frac{a}{b}$',
  inlineAngle: '$\\theta =45^{\\circ}$',
  quadratic: '$$x=\\frac{-b\\pm \\sqrt{b^2-4ac}}{2a}$$',
  sum: '$$\\sum_{i=1}^n x_i$$',
  integral: '$$\\int_0^\\infty e^{-x}dx=1$$',
  matrix: '$$A=\\left[ \\begin{matrix} 1 & 0 \\\\ 0 & 1 \\end{matrix} \\right]$$',
  functions: '$$\\sin x+\\hat{y}+\\overline{z}+\\lim_{n\\rightarrow \\infty} \\left( \\frac{1}{n} \\right)$$',
};

/**
 * A DOCX whose word/document.xml unpacks to `megabytes` MB of short paragraphs, deflated in
 * streamed chunks (the file itself stays small; nothing of that size is ever held in memory).
 */
export function makeHugeDocx(megabytes: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  const archive = new Zip((error, data) => {
    if (error) throw error;
    chunks.push(data);
  });
  const add = (name: string, text: string) => {
    const file = new ZipDeflate(name, { level: 1 });
    archive.add(file);
    file.push(strToU8(text), true);
  };
  add('[Content_Types].xml', `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`);
  add('_rels/.rels', `${XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`);
  const doc = new ZipDeflate('word/document.xml', { level: 1 });
  archive.add(doc);
  doc.push(strToU8(`${XML_HEAD}<w:document ${W_NS}><w:body>`));
  const block = strToU8('<w:p><w:r><w:t>A short paragraph of the huge test document.</w:t></w:r></w:p>'.repeat(16_000));
  const repeats = Math.ceil((megabytes * 1024 * 1024) / block.length);
  for (let i = 0; i < repeats; i++) doc.push(block);
  doc.push(strToU8('</w:body></w:document>'), true);
  archive.end();
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const PML_NS =
  'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"';

function chartSeries(index: number, name: string, categories: string[], values: number[]): string {
  const strCache = (items: string[]) =>
    `<c:strCache><c:ptCount val="${items.length}"/>${items.map((v, i) => `<c:pt idx="${i}"><c:v>${v}</c:v></c:pt>`).join('')}</c:strCache>`;
  return (
    `<c:ser><c:idx val="${index}"/><c:order val="${index}"/><c:tx><c:strRef><c:f>Sheet1!$${String.fromCharCode(66 + index)}$1</c:f>${strCache([name])}</c:strRef></c:tx>` +
    `<c:cat><c:strRef><c:f>Sheet1!$A$2:$A$${categories.length + 1}</c:f>${strCache(categories)}</c:strRef></c:cat>` +
    `<c:val><c:numRef><c:f>Sheet1!$${String.fromCharCode(66 + index)}$2:$${String.fromCharCode(66 + index)}$${values.length + 1}</c:f><c:numCache><c:formatCode>General</c:formatCode><c:ptCount val="${values.length}"/>${values.map((v, i) => `<c:pt idx="${i}"><c:v>${v}</c:v></c:pt>`).join('')}</c:numCache></c:numRef></c:val></c:ser>`
  );
}

/** A chart part (chartN.xml) as Office writes it: a titled clustered bar chart with cached data. */
export function makeChartXml(): string {
  return (
    `${XML_HEAD}<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><c:chart>` +
    '<c:title><c:tx><c:rich><a:bodyPr/><a:p><a:r><a:t>Revenue by region</a:t></a:r></a:p></c:rich></c:tx><c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/>' +
    '<c:plotArea><c:layout/><c:barChart><c:barDir val="col"/><c:grouping val="clustered"/>' +
    chartSeries(0, '2023', ['North', 'South', 'West'], [120, 95, 143]) +
    chartSeries(1, '2024', ['North', 'South', 'West'], [150, 101.5, 160]) +
    '<c:axId val="1"/><c:axId val="2"/></c:barChart><c:catAx><c:axId val="1"/></c:catAx><c:valAx><c:axId val="2"/></c:valAx></c:plotArea></c:chart>' +
    '<c:externalData r:id="rId1"/></c:chartSpace>'
  );
}

/**
 * A one-slide deck as PowerPoint writes a chart slide: a title, a clustered bar chart (graphic
 * frame → ppt/charts/chart1.xml through the slide's relationships, with the data cached in
 * c:strCache / c:numCache) and a picture with alt text.
 */
export function makeChartPptx(): Uint8Array {
  const chart = makeChartXml();
  const slide =
    `${XML_HEAD}<p:sld ${PML_NS}><p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/>` +
    '<p:sp><p:nvSpPr><p:cNvPr id="2" name="Title 1"/><p:cNvSpPr/><p:nvPr><p:ph type="title"/></p:nvPr></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/><a:p><a:r><a:t>Results</a:t></a:r></a:p></p:txBody></p:sp>' +
    '<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="4" name="Chart 3" descr="Column chart of revenue"/><p:cNvGraphicFramePr/><p:nvPr/></p:nvGraphicFramePr><p:xfrm><a:off x="0" y="0"/><a:ext cx="100" cy="100"/></p:xfrm>' +
    '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart"><c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" r:id="rId2"/></a:graphicData></a:graphic></p:graphicFrame>' +
    '<p:pic><p:nvPicPr><p:cNvPr id="5" name="Picture 4" descr="Team photo at the 2024 offsite" title="Team"/><p:cNvPicPr/><p:nvPr/></p:nvPicPr><p:blipFill><a:blip r:embed="rId3"/></p:blipFill><p:spPr/></p:pic>' +
    '</p:spTree></p:cSld></p:sld>';
  return zip({
    'ppt/presentation.xml': `${XML_HEAD}<p:presentation ${PML_NS}><p:sldIdLst><p:sldId id="256" r:id="rId1"/></p:sldIdLst></p:presentation>`,
    'ppt/_rels/presentation.xml.rels': `${XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide" Target="slides/slide1.xml"/></Relationships>`,
    'ppt/slides/slide1.xml': slide,
    'ppt/slides/_rels/slide1.xml.rels': `${XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/chart" Target="../charts/chart1.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="../media/image1.png"/></Relationships>`,
    'ppt/charts/chart1.xml': chart,
    'ppt/charts/_rels/chart1.xml.rels': `${XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/package" Target="../embeddings/Microsoft_Excel_Worksheet.xlsx"/></Relationships>`,
    'ppt/media/image1.png': new Uint8Array([0x89, 0x50, 0x4e, 0x47]),
  });
}

/** A DOCX with a paragraph, an embedded chart (word/charts/chart1.xml) and a picture with alt text. */
export function makeChartDocx(): Uint8Array {
  const drawing = (inner: string, id: number, descr: string) =>
    `<w:r><w:drawing><wp:inline><wp:extent cx="100" cy="100"/><wp:docPr id="${id}" name="Object ${id}" descr="${descr}"/><a:graphic>${inner}</a:graphic></wp:inline></w:drawing></w:r>`;
  const chart = drawing(
    '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart"><c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" r:id="rId7"/></a:graphicData>',
    1,
    'Revenue chart',
  );
  return makeRawDocx(
    `<w:p>${wr('Revenue grew in every region.')}</w:p><w:p>${chart}</w:p><w:p>${wr('Details follow.')}</w:p>`,
    {
      extra: {
        'word/_rels/document.xml.rels': `${XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/chart" Target="charts/chart1.xml"/></Relationships>`,
        'word/charts/chart1.xml': makeChartXml(),
      },
    },
  );
}
