/**
 * PPTX, XLSX, ODT and EPUB read straight from their XML parts (no external parser): slide text
 * in presentation order, sheets as Markdown tables, ODF paragraphs/headings/lists/tables, and EPUB
 * chapters in spine order.
 */
import { PrechewError, throwIfCancelled } from '../../errors.js';
import { htmlToMarkdown } from './html.js';
import { markdownTable, startsWithTitle, tidyMarkdown, titleOnce, withoutRepeatedTitle } from './markdown.js';
import { parsePageRanges } from './pages.js';
import {
  attr,
  childElements,
  findAll,
  findFirst,
  isElement,
  parseXml,
  textOf,
  type XmlElement,
} from './xml.js';
import { resolvePart, type SafeZip } from './zip.js';
import type { FormatResult } from './types.js';

function relTarget(attrs: Record<string, string>): string | undefined {
  if (attrs['r:id']) return attrs['r:id'];
  for (const [k, v] of Object.entries(attrs)) if (k.endsWith(':id')) return v;
  return undefined;
}

/** Relationship id → part path, for an OOXML part's .rels file. */
function readRels(zip: SafeZip, part: string): Map<string, { target: string; type: string }> {
  const slash = part.lastIndexOf('/');
  const relsPath = `${part.slice(0, slash + 1)}_rels/${part.slice(slash + 1)}.rels`;
  const map = new Map<string, { target: string; type: string }>();
  const xml = zip.readText(relsPath);
  if (!xml) return map;
  for (const rel of findAll(parseXml(xml), 'Relationship')) {
    const id = rel.attrs.Id;
    const target = rel.attrs.Target;
    if (!id || !target || rel.attrs.TargetMode === 'External') continue;
    map.set(id, { target: resolvePart(part, target), type: rel.attrs.Type ?? '' });
  }
  return map;
}

function missingPart(name: string, kind: string, part: string): PrechewError {
  return new PrechewError(
    'CORRUPT_FILE',
    `${name} is a zip file but has no ${part}, so it is not a valid ${kind} file.`,
  );
}

// ---------- PPTX ----------

/** Text of a DrawingML paragraph: runs, fields and line breaks. */
function drawingParagraph(p: XmlElement): string {
  let out = '';
  const walk = (el: XmlElement) => {
    for (const c of el.children) {
      if (!isElement(c)) continue;
      if (c.local === 't') out += textOf(c);
      else if (c.local === 'br') out += '\n';
      else if (c.local !== 'pPr' && c.local !== 'rPr') walk(c);
    }
  };
  walk(p);
  return out.trim();
}

/** Where a slide's relationships (charts, images) resolve: absent for notes pages. */
interface SlideParts {
  zip: SafeZip;
  rels: Map<string, { target: string; type: string }>;
}

/** Cached point values of a chart series reference (c:strCache / c:numCache / multi-level). */
function cachedPoints(ref: XmlElement | undefined): string[] {
  const out: string[] = [];
  if (!ref) return out;
  const cache =
    findFirst(ref, 'strCache') ??
    findFirst(ref, 'numCache') ??
    findFirst(ref, 'multiLvlStrCache') ??
    findFirst(ref, 'strLit') ??
    findFirst(ref, 'numLit') ??
    ref;
  // Multi-level categories: the innermost level (the first c:lvl) names the points.
  const level = childElements(cache, 'lvl')[0] ?? cache;
  for (const pt of childElements(level, 'pt')) {
    const idx = Number(pt.attrs.idx ?? out.length);
    const v = findFirst(pt, 'v');
    if (Number.isInteger(idx) && idx >= 0 && idx < 100_000) out[idx] = v ? textOf(v).trim() : '';
  }
  return Array.from(out, (x) => x ?? '');
}

function richTextOf(el: XmlElement | undefined): string {
  if (!el) return '';
  return findAll(el, 'p')
    .map(drawingParagraph)
    .filter(Boolean)
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** One chart part (ppt/charts/chartN.xml) as a title line and a Markdown table of its cached data. */
export function chartToMarkdown(xml: string): string {
  const doc = parseXml(xml);
  const chart = findFirst(doc, 'chart');
  if (!chart) return '';
  const titleEl = childElements(chart, 'title')[0];
  const title = titleEl ? richTextOf(titleEl) || cachedPoints(findFirst(titleEl, 'strRef')).join(' ') : '';
  const plotArea = findFirst(chart, 'plotArea');
  const blocks: string[] = [];
  for (const plot of plotArea ? childElements(plotArea).filter((c) => c.local.endsWith('Chart')) : []) {
    const series = childElements(plot, 'ser').map((ser, i) => {
      const tx = childElements(ser, 'tx')[0];
      const name = tx ? cachedPoints(findFirst(tx, 'strRef')).join(' ') || textOf(tx).trim() : '';
      const cat = childElements(ser, 'cat')[0] ?? childElements(ser, 'xVal')[0];
      const val = childElements(ser, 'val')[0] ?? childElements(ser, 'yVal')[0];
      return { name: name || `Series ${i + 1}`, categories: cachedPoints(cat), values: cachedPoints(val) };
    });
    if (series.length === 0) continue;
    const categories = series.find((s) => s.categories.length > 0)?.categories ?? [];
    const count = Math.max(categories.length, ...series.map((s) => s.values.length));
    const kind = plot.local.replace(/Chart$/, '');
    const rows: string[][] = [[kind === 'scatter' || kind === 'bubble' ? 'X' : 'Category', ...series.map((s) => s.name)]];
    for (let i = 0; i < count; i++) rows.push([categories[i] ?? String(i + 1), ...series.map((s) => s.values[i] ?? '')]);
    const table = markdownTable(rows);
    if (table) blocks.push(table);
  }
  if (blocks.length === 0) return title ? `Chart: ${title}` : '';
  return [`Chart: ${title || 'untitled'}`, ...blocks].join('\n\n');
}

/** Alt text of a picture or graphic frame (p:cNvPr descr, else title). */
function altText(shape: XmlElement): string {
  const props = findFirst(shape, 'cNvPr');
  const descr = (props?.attrs.descr ?? '').replace(/\s+/g, ' ').trim();
  const title = (props?.attrs.title ?? '').replace(/\s+/g, ' ').trim();
  return descr || title;
}

function slideShapes(tree: XmlElement, title: string[], body: string[], parts?: SlideParts): void {
  for (const shape of childElements(tree)) {
    if (shape.local === 'grpSp') {
      slideShapes(shape, title, body, parts);
    } else if (shape.local === 'AlternateContent') {
      // Newer features with a fallback for older readers: read the first branch that has content.
      const branch = childElements(shape).find((c) => c.local === 'Choice' || c.local === 'Fallback');
      if (branch) slideShapes(branch, title, body, parts);
    } else if (shape.local === 'pic') {
      const alt = altText(shape);
      if (alt) body.push(`[image: ${alt}]`);
    } else if (shape.local === 'sp') {
      const ph = findFirst(shape, 'ph');
      const phType = ph ? (ph.attrs.type ?? 'body') : undefined;
      if (phType === 'sldNum' || phType === 'dt' || phType === 'ftr') continue;
      const txBody = findFirst(shape, 'txBody');
      if (!txBody) continue;
      const paragraphs = childElements(txBody, 'p')
        .map((p) => ({
          text: drawingParagraph(p),
          level: Number(findFirst(p, 'pPr')?.attrs.lvl ?? 0) || 0,
          bullet: !!findFirst(p, 'buChar') || !!findFirst(p, 'buAutoNum'),
        }))
        .filter((p) => p.text);
      if (phType === 'title' || phType === 'ctrTitle') {
        title.push(paragraphs.map((p) => p.text.replace(/\n/g, ' ')).join(' '));
        continue;
      }
      const listy =
        phType === 'body' ||
        phType === 'obj' ||
        (ph !== undefined && phType !== 'subTitle') ||
        paragraphs.some((p) => p.bullet);
      const lines = paragraphs.map((p) =>
        listy && paragraphs.length > 1 ? `${'  '.repeat(p.level)}- ${p.text.replace(/\n/g, ' ')}` : p.text,
      );
      if (lines.length) body.push(lines.join('\n'));
    } else if (shape.local === 'graphicFrame') {
      const tbl = findFirst(shape, 'tbl');
      if (tbl) {
        const rows = findAll(tbl, 'tr').map((tr) =>
          findAll(tr, 'tc').map((tc) => findAll(tc, 'p').map(drawingParagraph).filter(Boolean).join(' ')),
        );
        const table = markdownTable(rows);
        if (table) body.push(table);
        continue;
      }
      const chartRef = findFirst(shape, 'chart');
      const chartPath = chartRef && parts ? parts.rels.get(relTarget(chartRef.attrs) ?? '')?.target : undefined;
      const chartXml = chartPath ? parts!.zip.readText(chartPath) : undefined;
      const chart = chartXml ? chartToMarkdown(chartXml) : '';
      const alt = altText(shape);
      if (chart) body.push(chart);
      else if (alt) body.push(`[chart: ${alt}]`);
    }
  }
}

export function convertPptx(
  zip: SafeZip,
  name: string,
  pages: string | undefined,
  signal: AbortSignal,
): FormatResult {
  const presentation = zip.readText('ppt/presentation.xml');
  if (!presentation) throw missingPart(name, 'PowerPoint', 'ppt/presentation.xml');
  const rels = readRels(zip, 'ppt/presentation.xml');
  let slidePaths = findAll(parseXml(presentation), 'sldId')
    .map((s) => rels.get(relTarget(s.attrs) ?? '')?.target)
    .filter((p): p is string => !!p && zip.has(p));
  if (slidePaths.length === 0) {
    slidePaths = zip
      .names()
      .filter((n) => /^ppt\/slides\/slide\d+\.xml$/.test(n))
      .sort((a, b) => Number(/(\d+)\.xml$/.exec(a)![1]) - Number(/(\d+)\.xml$/.exec(b)![1]));
  }
  const selected = parsePageRanges(pages, slidePaths.length, name);
  const sections: string[] = [];
  let title: string | undefined;
  for (const number of selected) {
    throwIfCancelled(signal);
    const path = slidePaths[number - 1]!;
    const slide = parseXml(zip.readText(path) ?? '');
    const tree = findFirst(slide, 'spTree');
    const titles: string[] = [];
    const body: string[] = [];
    const slideRels = readRels(zip, path);
    if (tree) slideShapes(tree, titles, body, { zip, rels: slideRels });
    const slideTitle = titles.filter(Boolean).join(' — ');
    if (number === 1 && slideTitle) title = slideTitle;
    const parts = [slideTitle ? `## Slide ${number}: ${slideTitle}` : `## Slide ${number}`, ...body];
    const notesRel = [...slideRels.values()].find((r) => r.type.endsWith('/notesSlide'));
    const notesXml = notesRel ? zip.readText(notesRel.target) : undefined;
    if (notesXml) {
      const notesTree = findFirst(parseXml(notesXml), 'spTree');
      const noteBody: string[] = [];
      if (notesTree) slideShapes(notesTree, [], noteBody);
      const notes = noteBody.join('\n').trim();
      if (notes)
        parts.push(
          notes
            .split('\n')
            .map((l) => `> ${l}`)
            .join('\n')
            .replace(/^> /, '> Notes: '),
        );
    }
    sections.push(parts.join('\n\n'));
  }
  return {
    markdown: tidyMarkdown(sections.join('\n\n')),
    title,
    pages: slidePaths.length,
    pagesConverted: selected.length,
    engine: 'prechew-pptx',
    warnings: [],
  };
}

// ---------- XLSX ----------

function columnIndex(ref: string | undefined): number | undefined {
  const m = ref ? /^([A-Z]+)/i.exec(ref) : null;
  if (!m) return undefined;
  let n = 0;
  for (const ch of m[1]!.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

/** Text of a shared or inline string, without phonetic (rPh) runs. */
function richText(si: XmlElement): string {
  let out = '';
  for (const c of si.children) {
    if (!isElement(c) || c.local === 'rPh') continue;
    out += c.local === 't' ? textOf(c) : richText(c);
  }
  return out;
}

const ROW_RE = /<(?:[\w.-]+:)?row\b[^>]*?(?:\/>|>[\s\S]*?<\/(?:[\w.-]+:)?row>)/g;

function sheetRows(xml: string, shared: string[], maxRows: number): { rows: string[][]; total: number } {
  const rows: string[][] = [];
  let total = 0;
  ROW_RE.lastIndex = 0;
  for (let m = ROW_RE.exec(xml); m; m = ROW_RE.exec(xml)) {
    if (rows.length >= maxRows) {
      // Past the cap we only count rows that hold a value.
      if (/<(?:[\w.-]+:)?v>|<(?:[\w.-]+:)?is>/.test(m[0])) total++;
      continue;
    }
    const rowEl = childElements(parseXml(m[0]))[0];
    if (!rowEl) continue;
    const row: string[] = [];
    let next = 0;
    for (const c of childElements(rowEl, 'c')) {
      const col = columnIndex(c.attrs.r) ?? next;
      next = col + 1;
      if (col > 16_384) continue;
      const type = c.attrs.t ?? 'n';
      const v = findFirst(c, 'v');
      const raw = v ? textOf(v) : '';
      let value: string;
      if (type === 's') value = shared[Number(raw)] ?? '';
      else if (type === 'inlineStr') value = richText(findFirst(c, 'is') ?? c);
      else if (type === 'b') value = raw === '1' ? 'TRUE' : raw === '0' ? 'FALSE' : raw;
      else value = raw;
      row[col] = value;
    }
    const filled = Array.from(row, (x) => x ?? '');
    if (filled.some((x) => x.trim() !== '')) {
      rows.push(filled);
      total++;
    }
  }
  return { rows, total };
}

export function convertXlsx(zip: SafeZip, name: string, maxRows: number, signal: AbortSignal): FormatResult {
  const workbook = zip.readText('xl/workbook.xml');
  if (!workbook) throw missingPart(name, 'Excel', 'xl/workbook.xml');
  const rels = readRels(zip, 'xl/workbook.xml');
  const sharedXml = zip.readText('xl/sharedStrings.xml');
  const shared = sharedXml ? findAll(parseXml(sharedXml), 'si').map(richText) : [];
  const sheets = findAll(parseXml(workbook), 'sheet').map((s) => ({
    name: s.attrs.name ?? 'Sheet',
    path: rels.get(relTarget(s.attrs) ?? '')?.target,
  }));
  const sections: string[] = [];
  const warnings: string[] = [];
  let totalRows = 0;
  for (const sheet of sheets) {
    throwIfCancelled(signal);
    const xml = sheet.path ? zip.readText(sheet.path) : undefined;
    if (xml === undefined) {
      warnings.push(`Sheet "${sheet.name}" is missing from the file.`);
      continue;
    }
    const { rows, total } = sheetRows(xml, shared, maxRows + 1);
    totalRows += total;
    const hidden = total - rows.length;
    const note =
      hidden > 0 ? `… ${hidden} more rows not shown (raise convert.maxCsvRows to see more).` : undefined;
    if (hidden > 0)
      warnings.push(`Sheet "${sheet.name}": showing the first ${maxRows} of ${total - 1} data rows.`);
    sections.push(`## Sheet: ${sheet.name}\n\n${markdownTable(rows, note) || '_(empty sheet)_'}`);
  }
  return {
    markdown: tidyMarkdown(sections.join('\n\n')),
    pages: sheets.length,
    engine: 'prechew-xlsx',
    warnings,
    extra: { sheets: sheets.length, rows: totalRows },
  };
}

// ---------- ODT ----------

function odfInline(el: XmlElement): string {
  let out = '';
  for (const c of el.children) {
    if (typeof c === 'string') {
      out += c.replace(/\s+/g, ' ');
      continue;
    }
    switch (c.local) {
      case 's':
        out += ' '.repeat(Math.min(100, Number(attr(c, 'c') ?? 1) || 1));
        break;
      case 'tab':
        out += '\t';
        break;
      case 'line-break':
        out += '\n';
        break;
      case 'a': {
        const label = odfInline(c).trim();
        const href = attr(c, 'href');
        out += href && label ? `[${label}](${href})` : label;
        break;
      }
      case 'note':
      case 'annotation':
      case 'bookmark':
      case 'bookmark-start':
      case 'bookmark-end':
      case 'soft-page-break':
        break;
      default:
        out += odfInline(c);
    }
  }
  return out;
}

function odfTableRows(table: XmlElement): string[][] {
  const rows: string[][] = [];
  const walk = (el: XmlElement) => {
    for (const c of childElements(el)) {
      if (c.local === 'table-row') {
        const repeat = Math.min(Number(attr(c, 'number-rows-repeated') ?? 1) || 1, 1000);
        const cells: string[] = [];
        for (const cell of childElements(c).filter(
          (x) => x.local === 'table-cell' || x.local === 'covered-table-cell',
        )) {
          const text = childElements(cell)
            .map((p) => odfInline(p).trim())
            .filter(Boolean)
            .join(' ');
          const times = Math.min(Number(attr(cell, 'number-columns-repeated') ?? 1) || 1, text ? 100 : 1);
          for (let i = 0; i < times; i++) cells.push(text);
        }
        if (cells.some(Boolean)) for (let i = 0; i < (repeat > 1 ? 1 : repeat); i++) rows.push(cells);
      } else if (c.local === 'table-header-rows' || c.local === 'table-rows' || c.local === 'table-row-group')
        walk(c);
    }
  };
  walk(table);
  return rows;
}

/** Paragraph style names resolved through their parents to what matters here. */
class OdfStyles {
  private readonly parent = new Map<string, string>();
  constructor(...docs: Array<XmlElement | undefined>) {
    for (const doc of docs) {
      if (!doc) continue;
      for (const st of findAll(doc, 'style')) {
        const name = attr(st, 'name');
        const parent = attr(st, 'parent-style-name');
        if (name && parent && !this.parent.has(name)) this.parent.set(name, parent);
      }
    }
  }
  kind(name: string | undefined): 'code' | 'title' | undefined {
    for (let n = name, depth = 0; n && depth < 10; n = this.parent.get(n), depth++) {
      const plain = n.replace(/_20_/g, ' ');
      if (
        /preformatted|code ?block|source ?code|literal ?block|verbatim|^(rststyle-)?codeblock$/i.test(plain)
      )
        return 'code';
      if (/^(rststyle-)?title$/i.test(plain)) return 'title';
    }
    return undefined;
  }
}

function odfBlocks(
  container: XmlElement,
  out: string[],
  depth = 0,
  styles: OdfStyles = new OdfStyles(),
  inToc = false,
): void {
  let lastWasCode = false;
  for (const el of childElements(container)) {
    if (el.local !== 'p') lastWasCode = false;
    else if (styles.kind(attr(el, 'style-name')) !== 'code') lastWasCode = false;
    switch (el.local) {
      case 'h': {
        const level = Math.min(6, Math.max(1, Number(attr(el, 'outline-level') ?? 1) || 1));
        const text = odfInline(el).trim();
        if (text) out.push(`${'#'.repeat(level)} ${text}`);
        break;
      }
      case 'p': {
        const kind = styles.kind(attr(el, 'style-name'));
        if (kind === 'code') {
          // Preformatted text keeps its line breaks and indentation.
          const code = odfInline(el).replace(/\s+$/, '');
          if (!code.trim()) break;
          const last = out[out.length - 1];
          // Consecutive code paragraphs (one per line in LibreOffice) form one block.
          if (last !== undefined && last.startsWith('```\n') && lastWasCode)
            out[out.length - 1] = `${last.slice(0, -4)}\n${code}\n\`\`\``;
          else out.push(`\`\`\`\n${code}\n\`\`\``);
          lastWasCode = true;
          continue;
        }
        let text = odfInline(el).trim();
        // Table-of-contents entries carry a tab and a (often placeholder) page number.
        if (inToc) text = text.replace(/\t\S*$/, '').trim();
        if (text) out.push(kind === 'title' ? `# ${text}` : text);
        break;
      }
      case 'list': {
        const items: string[] = [];
        for (const item of childElements(el).filter(
          (x) => x.local === 'list-item' || x.local === 'list-header',
        )) {
          for (const part of childElements(item)) {
            if (part.local === 'list') {
              const nested: string[] = [];
              odfBlocks({ ...item, children: [part] }, nested, depth + 1, styles, inToc);
              items.push(...nested);
            } else {
              const text = odfInline(part).trim();
              if (text) items.push(`${'  '.repeat(depth)}- ${text}`);
            }
          }
        }
        if (items.length) out.push(depth === 0 ? items.join('\n') : items.join('\n'));
        break;
      }
      case 'table': {
        const table = markdownTable(odfTableRows(el));
        if (table) out.push(table);
        break;
      }
      case 'section':
      case 'index-body':
        odfBlocks(el, out, depth, styles, inToc);
        break;
      case 'table-of-content':
        odfBlocks(el, out, depth, styles, true);
        break;
      default:
        break;
    }
  }
}

export function convertOdt(zip: SafeZip, name: string): FormatResult {
  const content = zip.readText('content.xml');
  if (!content) throw missingPart(name, 'OpenDocument', 'content.xml');
  const contentDoc = parseXml(content);
  const body = findFirst(contentDoc, 'body');
  const text = body ? (findFirst(body, 'text') ?? body) : undefined;
  const blocks: string[] = [];
  const stylesXml = zip.readText('styles.xml');
  const styles = new OdfStyles(contentDoc, stylesXml ? parseXml(stylesXml) : undefined);
  if (text) odfBlocks(text, blocks, 0, styles);
  // Nested lists produce their own joined block; keep list items of one list together.
  const markdown = tidyMarkdown(blocks.join('\n\n').replace(/\n\n(\s+- )/g, '\n$1'));
  const meta = zip.readText('meta.xml');
  const titleEl = meta ? findFirst(parseXml(meta), 'title') : undefined;
  const title = (titleEl ? textOf(titleEl).trim() : '') || /^#{1,2}\s+(.+)$/m.exec(markdown)?.[1];
  return { markdown: titleOnce(markdown, title), title, engine: 'prechew-odt', warnings: [] };
}

// ---------- EPUB ----------

export function convertEpub(zip: SafeZip, name: string, signal: AbortSignal): FormatResult {
  const container = zip.readText('META-INF/container.xml');
  const rootfile = container ? findFirst(parseXml(container), 'rootfile') : undefined;
  const opfPath = rootfile ? attr(rootfile, 'full-path') : zip.names().find((n) => n.endsWith('.opf'));
  const opfXml = opfPath ? zip.readText(opfPath) : undefined;
  if (!opfPath || !opfXml) throw missingPart(name, 'EPUB', 'package document (.opf)');
  const opf = parseXml(opfXml);
  const titleEl = findFirst(findFirst(opf, 'metadata') ?? opf, 'title');
  const title = titleEl ? textOf(titleEl).trim() || undefined : undefined;
  const manifest = new Map<string, { href: string; type: string }>();
  for (const item of findAll(findFirst(opf, 'manifest') ?? opf, 'item')) {
    if (item.attrs.id && item.attrs.href)
      manifest.set(item.attrs.id, {
        href: resolvePart(opfPath, item.attrs.href),
        type: item.attrs['media-type'] ?? '',
      });
  }
  const spine = findAll(findFirst(opf, 'spine') ?? opf, 'itemref')
    .map((ref) => manifest.get(ref.attrs.idref ?? ''))
    .filter((x): x is { href: string; type: string } => !!x && /html|xml/.test(x.type));
  const warnings: string[] = [];
  const chapters: string[] = [];
  for (const item of spine) {
    throwIfCancelled(signal);
    const xhtml = zip.readText(item.href);
    if (xhtml === undefined) {
      warnings.push(`Chapter ${item.href} is listed but missing from the file.`);
      continue;
    }
    const md = withoutRepeatedTitle(htmlToMarkdown(xhtml.replace(/<\?xml[^>]*\?>/, '')), title);
    if (md) chapters.push(md);
  }
  let markdown = tidyMarkdown(chapters.join('\n\n'));
  if (title && !markdown.startsWith('# ') && !startsWithTitle(markdown, title))
    markdown = `# ${title}\n\n${markdown}`;
  markdown = titleOnce(markdown, title);
  return {
    markdown,
    title,
    pages: spine.length,
    engine: 'prechew-epub',
    warnings,
    extra: { chapters: spine.length },
  };
}
