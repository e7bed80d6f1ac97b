/** DOCX via mammoth (semantic HTML: headings, lists, tables, links) and then our Turndown service. */
import mammoth from 'mammoth';
import { PrechewError } from '../../errors.js';
import { htmlToMarkdown } from './html.js';
import { findFirst, parseXml, textOf } from './xml.js';
import type { SafeZip } from './zip.js';
import type { FormatResult } from './types.js';

/** dc:title from docProps/core.xml (OOXML) when the author set one. */
export function coreTitle(zip: SafeZip): string | undefined {
  const core = zip.readText('docProps/core.xml');
  if (!core) return undefined;
  const el = findFirst(parseXml(core), 'title');
  const title = el ? textOf(el).trim() : '';
  return title || undefined;
}

export async function convertDocx(bytes: Buffer, zip: SafeZip, name: string): Promise<FormatResult> {
  // Inflate every part once through the guarded reader so the real unpacked size is checked
  // before mammoth (which trusts the container) touches it.
  for (const entry of zip.names()) zip.read(entry);
  if (!zip.has('word/document.xml')) {
    throw new PrechewError(
      'CORRUPT_FILE',
      `${name} is a zip file but has no word/document.xml, so it is not a Word document.`,
    );
  }
  const result = await mammoth.convertToHtml(
    { buffer: bytes },
    {
      externalFileAccess: false,
      // Images would come back as base64 data URIs; keep only their alt text.
      convertImage: mammoth.images.imgElement(() => Promise.resolve({ src: '' })),
    },
  );
  const warnings: string[] = [];
  const unknownStyles = result.messages.filter((m) => m.type === 'warning').length;
  if (unknownStyles > 0)
    warnings.push(
      `mammoth reported ${unknownStyles} formatting warning(s) (usually unknown styles, mapped to plain paragraphs).`,
    );
  const markdown = htmlToMarkdown(result.value);
  const heading = /^#{1,2}\s+(.+)$/m.exec(markdown);
  return { markdown, title: coreTitle(zip) ?? heading?.[1]?.trim(), engine: 'mammoth+turndown', warnings };
}
