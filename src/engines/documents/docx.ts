/** DOCX via mammoth (semantic HTML: headings, lists, tables, links) and then our Turndown service. */
import mammoth from 'mammoth';
import { parseHTML } from 'linkedom';
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

const REF_OPEN = '\uE000';
const REF_CLOSE = '\uE001';

interface FnNode {
  nodeName: string;
  parentNode: FnNode | null;
  textContent: string | null;
  innerHTML: string;
  children: ArrayLike<FnNode>;
  getAttribute(name: string): string | null;
  remove(): void;
  replaceWith(node: unknown): void;
  before(node: unknown): void;
}

/**
 * mammoth renders footnotes/endnotes as links to anchors ("[1]" → "#footnote-1") plus "↑"
 * back-links; anchors mean nothing in Markdown, so they become GFM footnotes: "[^1]" in the text
 * and "[^1]: …" paragraphs at the end. Markers are placeholders here (Turndown would escape the
 * brackets) and are restored by restoreNoteRefs.
 */
export function docxNotesToFootnotes(html: string): string {
  if (!/href="#(?:foot|end)note-/.test(html)) return html;
  const { document } = parseHTML(`<!doctype html><html><body>${html}</body></html>`);
  const doc = document as unknown as {
    body: FnNode;
    querySelectorAll(sel: string): ArrayLike<FnNode>;
    getElementById(id: string): FnNode | null;
    createTextNode(text: string): unknown;
    createElement(tag: string): FnNode;
  };
  const labels = new Map<string, string>();
  const used = new Set<string>();
  for (const a of Array.from(doc.querySelectorAll('a[href^="#footnote-"], a[href^="#endnote-"]'))) {
    const id = (a.getAttribute('href') ?? '').slice(1);
    if (/-ref-/.test(id)) {
      a.remove();
      continue;
    }
    let label = (a.textContent ?? '').replace(/[^\p{L}\p{N}]/gu, '') || id;
    if (used.has(label) && !labels.has(id)) label = `${id.startsWith('endnote') ? 'e' : 'f'}${label}`;
    used.add(label);
    labels.set(id, label);
    const target = a.parentNode?.nodeName === 'SUP' ? a.parentNode : a;
    target.replaceWith(doc.createTextNode(`${REF_OPEN}${label}${REF_CLOSE}`));
  }
  for (const [id, label] of labels) {
    const li = doc.getElementById(id);
    if (!li || li.nodeName !== 'LI') continue;
    const list = li.parentNode;
    const p = doc.createElement('p');
    p.innerHTML = `${REF_OPEN}${label}${REF_CLOSE}: ${li.innerHTML.replace(/<\/?p\b[^>]*>/g, ' ').trim()}`;
    (list ?? li).before(p);
    li.remove();
    if (list && list.children.length === 0) list.remove();
  }
  return doc.body.innerHTML;
}

export function restoreNoteRefs(markdown: string): string {
  return markdown.replace(new RegExp(`${REF_OPEN}([^${REF_CLOSE}]*)${REF_CLOSE}`, 'g'), '[^$1]');
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
  const markdown = restoreNoteRefs(htmlToMarkdown(docxNotesToFootnotes(result.value)));
  const heading = /^#{1,2}\s+(.+)$/m.exec(markdown);
  return { markdown, title: coreTitle(zip) ?? heading?.[1]?.trim(), engine: 'mammoth+turndown', warnings };
}
