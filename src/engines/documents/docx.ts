/** DOCX via mammoth (semantic HTML: headings, lists, tables, links) and then our Turndown service. */
import mammoth from 'mammoth';
import { parseHTML } from 'linkedom';
import { zipSync, type Zippable } from 'fflate';
import { PrechewError } from '../../errors.js';
import { htmlToMarkdown } from './html.js';
import { titleOnce } from './markdown.js';
import { ommlParagraphToLatex, ommlToLatex } from './omml.js';
import { chartToMarkdown } from './office.js';
import { findAll, findFirst, parseXml, textOf } from './xml.js';
import { decodeText, resolvePart, type SafeZip } from './zip.js';
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

/**
 * mammoth reads the whole of word/*.xml into an element tree (a few hundred bytes of heap per
 * element, tens of bytes per character): a 16 MB document.xml of short paragraphs needs over
 * 300 MB of heap, and the 200 MB that fits under the zip limits exhausts it. These caps (about
 * 10,000 pages of text) keep a document's conversion within a bounded heap.
 */
export const MAX_DOCX_XML_BYTES = 32 * 1024 * 1024;
export const MAX_DOCX_XML_ELEMENTS = 500_000;

function docxTooLarge(name: string, what: string): PrechewError {
  return new PrechewError(
    'INPUT_TOO_LARGE',
    `${name} is too large to convert: its Word XML ${what}. Split the document (or save it as PDF) and convert the parts.`,
    { maxXmlBytes: MAX_DOCX_XML_BYTES, maxXmlElements: MAX_DOCX_XML_ELEMENTS },
  );
}

/** Start tags in XML bytes ("<" followed by a name), counted without decoding. */
function countElements(data: Uint8Array): number {
  let count = 0;
  for (let i = data.indexOf(0x3c); i !== -1 && i + 1 < data.length; i = data.indexOf(0x3c, i + 1)) {
    const next = data[i + 1]!;
    if (next !== 0x2f && next !== 0x3f && next !== 0x21) count++;
  }
  return count;
}

const MATH_OPEN = '\uE010';
const MATH_CLOSE = '\uE011';
const MATH_PARA_RE = /<([\w-]+:)?oMathPara\b[^>]*>[\s\S]*?<\/\1oMathPara>/g;
const MATH_RE = /<([\w-]+:)?oMath\b[^>]*>[\s\S]*?<\/\1oMath>/g;

/**
 * Replace each equation with a text run holding a placeholder (Turndown would escape LaTeX's
 * backslashes and underscores); `restoreMath` puts the LaTeX back into the Markdown.
 */
export function replaceMath(documentXml: string, maths: string[]): string {
  const run = (latex: string) => {
    maths.push(latex);
    return `<w:r><w:t xml:space="preserve">${MATH_OPEN}${maths.length - 1}${MATH_CLOSE}</w:t></w:r>`;
  };
  return documentXml
    .replace(MATH_PARA_RE, (xml) => {
      const equations = ommlParagraphToLatex(parseXml(xml));
      return equations.length ? run(equations.map((l) => `$$${l}$$`).join(' ')) : '';
    })
    .replace(MATH_RE, (xml) => {
      const root = findFirst(parseXml(xml), 'oMath');
      const latex = root ? ommlToLatex(root) : '';
      return latex ? run(`$${latex}$`) : '';
    });
}

const CHART_DRAWING_RE = /<([\w-]+:)?drawing\b[^>]*>[\s\S]*?<\/\1drawing>/g;

/**
 * mammoth drops embedded charts too: each drawing that holds a chart (c:chart r:id → the chart
 * part, through word/_rels/document.xml.rels) becomes its title and a table of its cached data,
 * placed like an equation (a placeholder run restored after Turndown).
 */
export function replaceCharts(
  documentXml: string,
  readPart: (path: string) => string | undefined,
  inserts: string[],
): string {
  if (!/drawingml\/2006\/chart/.test(documentXml)) return documentXml;
  const rels = new Map<string, string>();
  const relsXml = readPart('word/_rels/document.xml.rels');
  for (const rel of relsXml ? findAll(parseXml(relsXml), 'Relationship') : [])
    if (rel.attrs.Id && rel.attrs.Target && rel.attrs.TargetMode !== 'External')
      rels.set(rel.attrs.Id, resolvePart('word/document.xml', rel.attrs.Target));
  return documentXml.replace(CHART_DRAWING_RE, (xml) => {
    if (!/drawingml\/2006\/chart/.test(xml)) return xml;
    const id = /<(?:[\w-]+:)?chart\b[^>]*?\b(?:[\w-]+:)?id="([^"]+)"/.exec(xml)?.[1];
    const part = id ? rels.get(id) : undefined;
    const chartXml = part ? readPart(part) : undefined;
    const markdown = chartXml ? chartToMarkdown(chartXml) : '';
    if (!markdown) return xml;
    inserts.push(`\n\n${markdown}\n\n`);
    return `<w:t xml:space="preserve">${MATH_OPEN}${inserts.length - 1}${MATH_CLOSE}</w:t>`;
  });
}

function restoreMath(markdown: string, maths: string[]): string {
  if (maths.length === 0) return markdown;
  return markdown.replace(
    new RegExp(`${MATH_OPEN}(\\d+)${MATH_CLOSE}`, 'g'),
    (_m, i: string) => maths[Number(i)] ?? '',
  );
}

export async function convertDocx(bytes: Buffer, zip: SafeZip, name: string): Promise<FormatResult> {
  if (!zip.has('word/document.xml')) {
    throw new PrechewError(
      'CORRUPT_FILE',
      `${name} is a zip file but has no word/document.xml, so it is not a Word document.`,
    );
  }
  // Inflate every part once through the guarded reader so the real unpacked size is checked
  // before mammoth (which trusts the container) touches it; the XML mammoth parses is capped
  // on its own, before any of it is decoded or parsed.
  const parts = new Map<string, Uint8Array>();
  let xmlBytes = 0;
  let xmlElements = 0;
  const names = zip.names();
  for (const part of names.filter((n) => /^word\/[^/]+\.xml$/.test(n))) {
    const data = zip.read(part, MAX_DOCX_XML_BYTES - xmlBytes, () =>
      docxTooLarge(name, `unpacks to over ${MAX_DOCX_XML_BYTES / (1024 * 1024)} MB`),
    )!;
    xmlBytes += data.length;
    xmlElements += countElements(data);
    if (xmlElements > MAX_DOCX_XML_ELEMENTS)
      throw docxTooLarge(name, `holds over ${MAX_DOCX_XML_ELEMENTS.toLocaleString('en-US')} elements`);
    parts.set(part, data);
  }
  for (const entry of names) if (!parts.has(entry)) parts.set(entry, zip.read(entry)!);

  // mammoth drops Office Math and charts; they become LaTeX and tables in a text run first.
  const maths: string[] = [];
  let input = bytes;
  const documentXml = decodeText(parts.get('word/document.xml')!);
  const readPart = (path: string) => {
    const data = parts.get(path);
    return data ? decodeText(data) : undefined;
  };
  const rewritten = replaceCharts(
    /<([\w-]+:)?oMath\b/.test(documentXml) ? replaceMath(documentXml, maths) : documentXml,
    readPart,
    maths,
  );
  if (maths.length > 0) {
    const files: Zippable = {};
    for (const [entry, data] of parts) files[entry] = [data, { level: 0 }];
    files['word/document.xml'] = [Buffer.from(rewritten, 'utf8'), { level: 0 }];
    input = Buffer.from(zipSync(files));
  }
  parts.clear();

  const result = await mammoth.convertToHtml(
    { buffer: input },
    {
      externalFileAccess: false,
      styleMap: ["p[style-name='Title'] => h1:fresh"],
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
  const title = coreTitle(zip);
  const converted = restoreMath(restoreNoteRefs(htmlToMarkdown(docxNotesToFootnotes(result.value))), maths);
  const markdown = titleOnce(converted, title ?? /^#{1,2}\s+(.+)$/m.exec(converted)?.[1]);
  const heading = /^#{1,2}\s+(.+)$/m.exec(markdown);
  return { markdown, title: title ?? heading?.[1]?.trim(), engine: 'mammoth+turndown', warnings };
}
