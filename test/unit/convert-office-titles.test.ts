/** ODT and EPUB say their title once (metadata title, Title paragraph, first heading, chapter heads). */
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { convertForTest as run } from '../helpers/make-documents.js';

const XML = '<?xml version="1.0" encoding="UTF-8"?>';

describe('titles said once', () => {
  it('ODT: metadata title, a Title paragraph and an equal first heading give one heading', async () => {
    const ns =
      'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"';
    const odt = zipSync({
      mimetype: strToU8('application/vnd.oasis.opendocument.text'),
      'content.xml': strToU8(
        `${XML}<office:document-content ${ns}><office:body><office:text>` +
          '<text:p text:style-name="Title">Field Guide to Mosses</text:p>' +
          '<text:h text:outline-level="1">Field Guide to Mosses</text:h>' +
          '<text:p>Mosses grow on shaded stones.</text:p>' +
          '<text:h text:outline-level="1">Habitats</text:h><text:p>Woods and walls.</text:p>' +
          '</office:text></office:body></office:document-content>',
      ),
      'meta.xml': strToU8(
        `${XML}<office:document-meta ${ns}><office:meta><dc:title>Field Guide to Mosses</dc:title></office:meta></office:document-meta>`,
      ),
    });
    const r = await run(odt, 'mosses.odt');
    expect(r.title).toBe('Field Guide to Mosses');
    expect(r.markdown).toBe(
      '# Field Guide to Mosses\n\nMosses grow on shaded stones.\n\n# Habitats\n\nWoods and walls.',
    );
  });

  it('EPUB: the book title once, not again at the top of every chapter', async () => {
    const chapter = (body: string) =>
      strToU8(
        `${XML}<html xmlns="http://www.w3.org/1999/xhtml"><head><title>The Quiet Harbour</title></head><body>${body}</body></html>`,
      );
    const epub = zipSync({
      mimetype: strToU8('application/epub+zip'),
      'META-INF/container.xml': strToU8(
        `${XML}<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>`,
      ),
      'OEBPS/content.opf': strToU8(
        `${XML}<package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>The Quiet Harbour</dc:title></metadata>` +
          '<manifest><item id="t" href="title.xhtml" media-type="application/xhtml+xml"/><item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/><item id="c2" href="c2.xhtml" media-type="application/xhtml+xml"/></manifest>' +
          '<spine><itemref idref="t"/><itemref idref="c1"/><itemref idref="c2"/></spine></package>',
      ),
      'OEBPS/title.xhtml': chapter('<h1>The Quiet Harbour</h1><p>A novel by Ann Shore</p>'),
      'OEBPS/c1.xhtml': chapter('<p class="running-head">The Quiet Harbour</p><h2>Chapter One</h2><p>The boats came in at dawn.</p>'),
      'OEBPS/c2.xhtml': chapter('<h1>The Quiet Harbour</h1><h2>Chapter Two</h2><p>Fog settled on the pier.</p>'),
    });
    const r = await run(epub, 'harbour.epub');
    expect(r.title).toBe('The Quiet Harbour');
    expect(r.markdown).toBe(
      '# The Quiet Harbour\n\nA novel by Ann Shore\n\n## Chapter One\n\nThe boats came in at dawn.\n\n## Chapter Two\n\nFog settled on the pier.',
    );
  });
});
