/**
 * Regressions found by converting real files from this machine (Debian docs, npm package docs,
 * docutils-made ODTs, mammoth's sample DOCX files). Each input here is a small synthesized copy of
 * the shape that broke.
 */
import { Document, FootnoteReferenceRun, Packer, Paragraph, TextRun } from 'docx';
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { convertForTest } from '../helpers/make-documents.js';
import { decodeText } from '../../src/engines/documents/zip.js';

const run = convertForTest;

describe('legacy 8-bit encodings (libxslt docs are ISO-8859-1)', () => {
  it('honours <meta charset> on HTML that is not UTF-8', async () => {
    const html = Buffer.from(
      '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"><title>Caf\xe9</title></head>' +
        '<body><p>St\xe9phane Bidoul maintains the Windows port; Jan Pokorn\xfd fixed typos.</p></body></html>',
      'latin1',
    );
    const r = await run(html, 'python.html');
    expect(r.markdown).toContain('Stéphane Bidoul');
    expect(r.markdown).toContain('Jan Pokorný');
    expect(r.markdown).not.toContain('\uFFFD');
  });

  it('falls back to Windows-1252 for undeclared non-UTF-8 text, keeps UTF-8 as UTF-8', async () => {
    const legacy = Buffer.from('Le caf\xe9 de Ren\xe9 co\xfbte 5 \x80 \x96 ouvert.\n', 'latin1');
    expect((await run(legacy, 'notes.txt')).markdown.trim()).toBe('Le café de René coûte 5 € – ouvert.');
    expect(decodeText(Buffer.from('Le café de René, naïve 日本語', 'utf8'))).toBe(
      'Le café de René, naïve 日本語',
    );
    // A mostly-UTF-8 file with one stray byte stays UTF-8 (only that byte is lost).
    const mixed = Buffer.concat([
      Buffer.from('Zoë, Chloé and Renée ', 'utf8'),
      Buffer.from([0xe9, 0x20, 0x61]),
    ]);
    expect(decodeText(mixed)).toMatch(/^Zoë, Chloé and Renée /);
  });

  it('honours the XML declaration of an EPUB chapter', async () => {
    const chapter = Buffer.from(
      '<?xml version="1.0" encoding="iso-8859-1"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>Un</title></head><body><h1>Chapitre un</h1><p>No\xebl \xe0 la for\xeat.</p></body></html>',
      'latin1',
    );
    const epub = zipSync({
      mimetype: strToU8('application/epub+zip'),
      'META-INF/container.xml': strToU8(
        '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>',
      ),
      'content.opf': strToU8(
        '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Livre</dc:title></metadata><manifest><item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="c1"/></spine></package>',
      ),
      'c1.xhtml': chapter,
    });
    const r = await run(epub, 'livre.epub');
    expect(r.markdown).toContain('Noël à la forêt.');
  });
});

describe('DOCX', () => {
  it('turns footnote anchors and back-links into GFM footnotes', async () => {
    const doc = new Document({
      footnotes: { 1: { children: [new Paragraph('A tachyon walks into a bar.')] } },
      sections: [
        {
          children: [
            new Paragraph({ children: [new TextRun('Ouch'), new FootnoteReferenceRun(1), new TextRun('.')] }),
          ],
        },
      ],
    });
    const r = await run(await Packer.toBuffer(doc), 'notes.docx');
    expect(r.markdown).toMatch(/^Ouch\[\^1\]\.$/m);
    expect(r.markdown).toMatch(/^\[\^1\]: A tachyon walks into a bar\.$/m);
    expect(r.markdown).not.toContain('#footnote');
    expect(r.markdown).not.toContain('↑');
  });

  it('warns instead of silently returning nothing for a document without text', async () => {
    const doc = new Document({ sections: [{ children: [new Paragraph('')] }] });
    const r = await run(await Packer.toBuffer(doc), 'blank.docx');
    expect(r.markdown).toBe('');
    expect(r.warnings.join(' ')).toMatch(/No text was found in blank\.docx/);
  });
});

describe('ODT (docutils rst2odt and LibreOffice styles)', () => {
  const ns =
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"';
  const odt = (content: string, styles = '') =>
    zipSync({
      mimetype: strToU8('application/vnd.oasis.opendocument.text'),
      'content.xml': strToU8(
        `<?xml version="1.0" encoding="UTF-8"?><office:document-content ${ns}><office:automatic-styles><style:style style:name="P1" style:family="paragraph" style:parent-style-name="Preformatted_20_Text"/></office:automatic-styles><office:body><office:text>${content}</office:text></office:body></office:document-content>`,
      ),
      'styles.xml': strToU8(
        `<?xml version="1.0" encoding="UTF-8"?><office:document-styles ${ns}><office:styles>${styles}</office:styles></office:document-styles>`,
      ),
    });

  it('fences preformatted paragraphs, keeping line breaks and indentation', async () => {
    const r = await run(
      odt(
        '<text:p text:style-name="Text_20_body">Run:</text:p>' +
          '<text:p text:style-name="rststyle-codeblock">aws ec2 create-volume \\<text:line-break/><text:s text:c="4"/>--size 80</text:p>' +
          '<text:p>Then:</text:p>' +
          '<text:p text:style-name="P1">first line</text:p><text:p text:style-name="P1"><text:s text:c="2"/>second line</text:p>' +
          '<text:p>After.</text:p>',
      ),
      'volume.odt',
    );
    expect(r.markdown).toBe(
      'Run:\n\n```\naws ec2 create-volume \\\n    --size 80\n```\n\nThen:\n\n```\nfirst line\n  second line\n```\n\nAfter.',
    );
  });

  it('renders the Title style as a heading and drops TOC page numbers', async () => {
    const r = await run(
      odt(
        '<text:p text:style-name="Title">A guide to masked arrays</text:p>' +
          '<text:table-of-content><text:index-body><text:p>History<text:tab/>9999</text:p><text:p>Main differences<text:tab/>12</text:p></text:index-body></text:table-of-content>' +
          '<text:h text:outline-level="1">History</text:h><text:p>As a regular user…</text:p>',
      ),
      'guide.odt',
    );
    expect(r.markdown).toMatch(/^# A guide to masked arrays\n\nHistory\n\nMain differences\n\n# History\n/);
    expect(r.markdown).not.toContain('9999');
  });
});
