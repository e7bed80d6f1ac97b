/**
 * Turning positioned PDF text into Markdown: lines from text items, repeated headers and footers
 * removed, headings from font size, paragraphs re-flowed with de-hyphenation, and column-aligned
 * runs of lines emitted as tables. Pure functions over plain data, shared by both PDF engines.
 */
import { markdownTable, pageMarker } from './markdown.js';

export interface TextItemLike {
  str: string;
  transform: number[];
  width: number;
  height: number;
  hasEOL?: boolean;
  fontName?: string;
}

export interface PdfLine {
  text: string;
  /** Baseline from the page bottom (pdfjs); undefined for engines without geometry. */
  y?: number;
  x?: number;
  size?: number;
  /** Cells when the line has wide gaps (possible table row), with their start x. */
  cells?: Array<{ x: number; text: string }>;
  /** Engines without geometry mark paragraph breaks with a blank line before. */
  blankBefore?: boolean;
  /** Set in a monospaced font (code): `raw` keeps its inner spacing, `charWidth` its grid. */
  mono?: boolean;
  raw?: string;
  charWidth?: number;
}

export interface PdfPage {
  number: number;
  lines: PdfLine[];
}

interface Fragment {
  text: string;
  x: number;
  end: number;
  y: number;
  size: number;
  mono: boolean;
}

/** Group pdfjs text items (in content-stream order) into visual lines. */
export function itemsToLines(items: TextItemLike[], monoFonts: ReadonlySet<string> = new Set()): PdfLine[] {
  const lines: Fragment[][] = [];
  let current: Fragment[] = [];
  for (const item of items) {
    // Whitespace items only fill gaps; the gap itself (from positions) decides spaces and cells.
    if (!item.str || !item.str.trim()) continue;
    const t = item.transform;
    const size = Math.abs(t[3] ?? 0) || Math.hypot(t[2] ?? 0, t[3] ?? 0) || item.height || 1;
    const frag: Fragment = {
      text: item.str,
      x: t[4] ?? 0,
      end: (t[4] ?? 0) + item.width,
      y: t[5] ?? 0,
      size,
      mono: item.fontName !== undefined && monoFonts.has(item.fontName),
    };
    const last = current[current.length - 1];
    const sameLine =
      last && Math.abs(last.y - frag.y) <= Math.max(last.size, frag.size) * 0.45 && frag.x >= last.x - 1;
    if (last && !sameLine) {
      lines.push(current);
      current = [];
    }
    current.push(frag);
  }
  if (current.length) lines.push(current);
  return lines.map(fragmentsToLine).filter((l) => l.text.trim() !== '');
}

function fragmentsToLine(frags: Fragment[]): PdfLine {
  let text = '';
  const cells: Array<{ x: number; text: string }> = [];
  let cell = { x: frags[0]!.x, text: '' };
  let prev: Fragment | undefined;
  let size = 0;
  let sizeWeight = 0;
  for (const f of frags) {
    const weight = f.text.trim().length;
    if (weight > sizeWeight) {
      size = f.size;
      sizeWeight = weight;
    }
    if (prev) {
      const gap = f.x - prev.end;
      const unit = Math.max(prev.size, f.size);
      if (gap > unit * 1.8 && f.text.trim()) {
        cells.push({ x: cell.x, text: cell.text.trim() });
        cell = { x: f.x, text: '' };
        text += '  ';
      } else if (gap > unit * 0.15 && !/\s$/.test(text) && !/^\s/.test(f.text)) {
        text += ' ';
        cell.text += ' ';
      }
    }
    text += f.text;
    cell.text += f.text;
    prev = f;
  }
  cells.push({ x: cell.x, text: cell.text.trim() });
  const line: PdfLine = {
    text: text.replace(/\s+/g, ' ').trim(),
    y: frags[0]!.y,
    x: frags[0]!.x,
    size: size || frags[0]!.size,
  };
  const monoChars = frags.reduce((n, f) => n + (f.mono ? f.text.replace(/\s/g, '').length : 0), 0);
  const allChars = frags.reduce((n, f) => n + f.text.replace(/\s/g, '').length, 0);
  // A bullet or number before monospaced words is a list item about code, not code.
  if (allChars > 0 && frags[0]!.mono && monoChars / allChars >= 0.8) {
    // Code: keep the spacing on the character grid, and never read its columns as a table.
    const monoFrags = frags.filter((f) => f.mono && f.text.length > 0);
    const charWidth =
      monoFrags.reduce((w, f) => w + (f.end - f.x), 0) / Math.max(1, monoFrags.reduce((n, f) => n + f.text.length, 0));
    let raw = '';
    let end: number | undefined;
    for (const f of frags) {
      if (end !== undefined && charWidth > 0) {
        const gap = Math.round((f.x - end) / charWidth);
        if (gap > 0 && !/\s$/.test(raw) && !/^\s/.test(f.text)) raw += ' '.repeat(gap);
      }
      raw += f.text;
      end = f.end;
    }
    line.mono = true;
    line.raw = raw.replace(/\s+$/, '');
    if (charWidth > 0) line.charWidth = charWidth;
    return line;
  }
  if (cells.length > 1) line.cells = cells;
  return line;
}

function normalizeForRepeat(text: string): string {
  return text.toLowerCase().replace(/\d+/g, '#').replace(/\s+/g, ' ').trim();
}

const PAGE_NUMBER =
  /^(?:(?:page\s*)?[-–—]?\s*\d{1,5}\s*[-–—]?(?:\s*(?:of|\/)\s*\d{1,5})?|(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3}))$/i;

/** Indices of the lines at the top and bottom edge of a page (by position when known). */
function edgeLines(lines: PdfLine[], perEdge: number): number[] {
  if (lines.length === 0) return [];
  const order = lines.map((l, i) => ({ i, y: l.y }));
  if (order.every((o) => o.y !== undefined)) order.sort((a, b) => b.y! - a.y!);
  const picked = new Set<number>();
  for (let k = 0; k < Math.min(perEdge, order.length); k++) {
    picked.add(order[k]!.i);
    picked.add(order[order.length - 1 - k]!.i);
  }
  return [...picked];
}

/**
 * Remove running headers and footers: lines at a page edge (two lines deep) whose text repeats on
 * most pages, lines at the very edge that repeat once digits are folded ("Report — page 7"), and
 * bare page numbers. `sample` are extra pages used only for counting, so a short page range still
 * benefits from the whole document's pattern. Returns how many lines were removed.
 */
export function removeRepeatedLines(pages: PdfPage[], sample: PdfPage[] = []): number {
  const all = [...pages, ...sample];
  const body = bodyFontSize(all);
  // Heading-sized lines ("Chapter 3") are content even when every page starts with one.
  const isHeadingSized = (l: PdfLine) => body !== undefined && l.size !== undefined && l.size > body * 1.1;
  const exact = new Map<string, number>();
  const folded = new Map<string, number>();
  const bump = (map: Map<string, number>, keys: Set<string>) => {
    for (const k of keys) map.set(k, (map.get(k) ?? 0) + 1);
  };
  for (const page of all) {
    const usable = (i: number) => !isHeadingSized(page.lines[i]!);
    bump(
      exact,
      new Set(
        edgeLines(page.lines, 2)
          .filter(usable)
          .map((i) => exactKey(page.lines[i]!.text)),
      ),
    );
    bump(
      folded,
      new Set(
        edgeLines(page.lines, 1)
          .filter(usable)
          .map((i) => normalizeForRepeat(page.lines[i]!.text)),
      ),
    );
  }
  const needed = all.length >= 3 ? Math.max(3, Math.ceil(all.length * 0.6)) : Infinity;
  // Books alternate their running heads (chapter title on odd pages, book title on even ones):
  // a line repeating on most pages of one parity is a running head too.
  const parityPages = [0, 1].map((parity) => all.filter((p) => p.number % 2 === parity).length);
  const parityNeeded = parityPages.map((n) => (n >= 3 ? Math.max(3, Math.ceil(n * 0.6)) : Infinity));
  const byParity = new Map<string, number>();
  for (const page of all)
    for (const i of new Set(edgeLines(page.lines, 2)))
      if (!isHeadingSized(page.lines[i]!)) {
        const key = `${page.number % 2}|${exactKey(page.lines[i]!.text)}`;
        byParity.set(key, (byParity.get(key) ?? 0) + 1);
      }
  const offset = runningPageNumberOffset(all, isHeadingSized);
  // Chapter running heads ("How to use bzip2" over every page of chapter 2) repeat on a run of
  // pages only: the same short line, outermost at the same height on three or more pages.
  const outerSpots = new Map<string, number[]>();
  for (const page of all)
    for (const i of new Set(edgeLines(page.lines, 1))) {
      const line = page.lines[i]!;
      if (isHeadingSized(line) || line.y === undefined || line.text.split(/\s+/).length > 10) continue;
      const key = exactKey(line.text);
      outerSpots.set(key, [...(outerSpots.get(key) ?? []), line.y]);
    }
  const chapterHead = (line: PdfLine) => {
    const ys = outerSpots.get(exactKey(line.text));
    return ys !== undefined && ys.length >= 3 && Math.max(...ys) - Math.min(...ys) <= 2;
  };
  let removed = 0;
  for (const page of pages) {
    const drop = new Set<number>();
    const outermost = new Set(edgeLines(page.lines, 1));
    for (const i of edgeLines(page.lines, 2)) {
      const line = page.lines[i]!;
      if (isHeadingSized(line)) continue;
      const repeated =
        (exact.get(exactKey(line.text)) ?? 0) >= needed ||
        (byParity.get(`${page.number % 2}|${exactKey(line.text)}`) ?? 0) >= parityNeeded[page.number % 2]! ||
        (outermost.has(i) && (folded.get(normalizeForRepeat(line.text)) ?? 0) >= needed) ||
        (outermost.has(i) && offset !== undefined && edgePageNumber(line.text) === page.number + offset) ||
        (outermost.has(i) && chapterHead(line));
      if (repeated || (all.length >= 2 && PAGE_NUMBER.test(line.text.trim()))) drop.add(i);
    }
    if (drop.size) {
      removed += drop.size;
      page.lines = page.lines.filter((_, i) => !drop.has(i));
    }
  }
  return removed;
}

/** The page number printed at the start or end of a short edge line ("Chapter 3: Utilities 6"). */
function edgePageNumber(text: string): number | undefined {
  if (text.split(/\s+/).length > 14) return undefined;
  const m = /^(\d{1,4})\s+\S|\S\s+(\d{1,4})$/.exec(text.trim());
  return m ? Number(m[1] ?? m[2]) : undefined;
}

/**
 * Running heads that carry the page number and the current chapter ("Chapter 3: Utilities 6",
 * "How to use bzip2 3") never repeat as text; what repeats is the gap between the printed number
 * and the page's position in the file. Returns that gap when most pages share it.
 */
function runningPageNumberOffset(pages: PdfPage[], isHeadingSized: (l: PdfLine) => boolean): number | undefined {
  if (pages.length < 4) return undefined;
  const tally = new Map<number, number>();
  for (const page of pages) {
    const offsets = new Set<number>();
    for (const i of edgeLines(page.lines, 1)) {
      const line = page.lines[i]!;
      const n = isHeadingSized(line) ? undefined : edgePageNumber(line.text);
      if (n !== undefined) offsets.add(n - page.number);
    }
    for (const o of offsets) tally.set(o, (tally.get(o) ?? 0) + 1);
  }
  let best: number | undefined;
  let bestCount = 0;
  for (const [o, c] of tally)
    if (c > bestCount) {
      best = o;
      bestCount = c;
    }
  return bestCount >= Math.max(3, Math.ceil(pages.length * 0.4)) ? best : undefined;
}

function exactKey(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}

/** The body font size: the size carrying the most characters. */
export function bodyFontSize(pages: PdfPage[]): number | undefined {
  const weight = new Map<number, number>();
  for (const p of pages)
    for (const l of p.lines)
      if (l.size)
        weight.set(Math.round(l.size * 2) / 2, (weight.get(Math.round(l.size * 2) / 2) ?? 0) + l.text.length);
  let best: number | undefined;
  let bestWeight = -1;
  for (const [size, w] of weight) {
    if (w > bestWeight) {
      best = size;
      bestWeight = w;
    }
  }
  return best;
}

/** Map each heading-sized font size (clearly larger than the body) to a heading level 1–3. */
export function headingLevels(pages: PdfPage[], body: number | undefined): Map<number, number> {
  const levels = new Map<number, number>();
  if (!body) return levels;
  const sizes = new Set<number>();
  for (const p of pages) {
    for (const l of p.lines) {
      if (!l.size) continue;
      const s = Math.round(l.size * 2) / 2;
      if (s >= body * 1.15 && l.text.split(/\s+/).length <= 20) sizes.add(s);
    }
  }
  [...sizes].sort((a, b) => b - a).forEach((s, i) => levels.set(s, Math.min(3, i + 1)));
  return levels;
}

/** Join two lines of one paragraph, undoing hyphenation at the line break. */
export function joinLines(a: string, b: string): string {
  if (/\p{L}[-\u00ad]$/u.test(a) && /^\p{Ll}/u.test(b)) return a.slice(0, -1) + b;
  if (a.endsWith('\u00ad')) return a.slice(0, -1) + b;
  return `${a} ${b}`;
}

type Block =
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'para'; text: string }
  | { kind: 'table'; rows: string[][] }
  | { kind: 'code'; lines: string[] }
  | { kind: 'toc'; entries: string[] };

function alignedColumns(a: PdfLine, b: PdfLine): boolean {
  if (!a.cells || !b.cells || a.cells.length !== b.cells.length) return false;
  const tol = Math.max(a.size ?? 10, b.size ?? 10) * 1.5;
  return a.cells.every((c, i) => Math.abs(c.x - b.cells![i]!.x) <= tol);
}

/**
 * A header row above aligned rows: same number of cells, each starting inside its column (header
 * cells are often centred or bold, so they do not start exactly where the data does).
 */
function headerOf(header: PdfLine, row: PdfLine): boolean {
  if (!header.cells || !row.cells || header.cells.length !== row.cells.length || header.mono) return false;
  if (header.y !== undefined && row.y !== undefined) {
    const size = Math.max(header.size ?? 10, row.size ?? 10);
    if (header.y - row.y > size * 2.5) return false;
  }
  const tol = Math.max(header.size ?? 10, row.size ?? 10) * 1.5;
  return header.cells.every((c, i) => {
    const start = row.cells![i]!.x - tol;
    const next = row.cells![i + 1]?.x;
    return c.x >= start && (next === undefined || c.x < next - tol / 3);
  });
}

/** A table-of-contents line: title, a run of dot leaders, page number. */
const TOC_ENTRY = /^(.*?\S)\s*(?:\.\s*){4,}\s*(\d{1,4}|[ivxlc]{1,7})$/i;

/** Code lines with their indentation on the block's character grid. */
function codeLines(lines: PdfLine[]): string[] {
  const widths = lines.map((l) => l.charWidth).filter((w): w is number => w !== undefined && w > 0);
  const cw = widths.length ? widths.sort((a, b) => a - b)[Math.floor(widths.length / 2)]! : 0;
  const left = Math.min(...lines.map((l) => l.x ?? 0));
  const out: string[] = [];
  let prev: PdfLine | undefined;
  const spacing = lines
    .slice(1)
    .map((l, i) => (lines[i]!.y ?? 0) - (l.y ?? 0))
    .filter((g) => g > 0)
    .sort((a, b) => a - b)[0];
  for (const line of lines) {
    // A gap of well over one line inside a listing was a blank line.
    if (prev && spacing && prev.y !== undefined && line.y !== undefined && prev.y - line.y > spacing * 1.6)
      out.push('');
    const indent = cw > 0 && line.x !== undefined ? Math.max(0, Math.round((line.x - left) / cw)) : 0;
    out.push(' '.repeat(indent) + (line.raw ?? line.text));
    prev = line;
  }
  return out;
}

/** Build Markdown blocks for one page. */
export function pageBlocks(lines: PdfLine[], body: number | undefined, levels: Map<number, number>): Block[] {
  const blocks: Block[] = [];
  let para: string | undefined;
  let prev: PdfLine | undefined;
  const endPara = () => {
    if (para !== undefined && para.trim()) blocks.push({ kind: 'para', text: para.trim() });
    para = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    // Table of contents: one entry per line, without the dot leaders.
    const toc = TOC_ENTRY.exec(line.text);
    if (toc) {
      endPara();
      const entry = `${toc[1]!.replace(/(\s*\.)+$/, '')} … ${toc[2]}`;
      const last = blocks[blocks.length - 1];
      if (last?.kind === 'toc') last.entries.push(entry);
      else blocks.push({ kind: 'toc', entries: [entry] });
      prev = line;
      continue;
    }
    // Code: consecutive lines in a monospaced font, as one fenced block with its line breaks.
    if (line.mono && !(line.size && levels.get(Math.round(line.size * 2) / 2))) {
      endPara();
      let j = i;
      while (j < lines.length && lines[j]!.mono && !TOC_ENTRY.test(lines[j]!.text)) j++;
      blocks.push({ kind: 'code', lines: codeLines(lines.slice(i, j)) });
      prev = lines[j - 1];
      i = j - 1;
      continue;
    }
    // Tables: two or more consecutive lines whose wide gaps line up in the same columns, with the
    // header row above them when its cells fall in the same columns.
    const startsTable = (k: number) =>
      lines[k]!.cells !== undefined && k + 1 < lines.length && alignedColumns(lines[k]!, lines[k + 1]!);
    const isHeader = line.cells && i + 2 < lines.length && !startsTable(i) && startsTable(i + 1) && headerOf(line, lines[i + 1]!);
    if (isHeader || startsTable(i)) {
      endPara();
      const rows = [line.cells!.map((c) => c.text)];
      const first = isHeader ? lines[i + 1]! : line;
      if (isHeader) rows.push(first.cells!.map((c) => c.text));
      let j = isHeader ? i + 2 : i + 1;
      while (j < lines.length && alignedColumns(first, lines[j]!)) {
        rows.push(lines[j]!.cells!.map((c) => c.text));
        j++;
      }
      blocks.push({ kind: 'table', rows });
      prev = lines[j - 1];
      i = j - 1;
      continue;
    }
    const level = line.size ? levels.get(Math.round(line.size * 2) / 2) : undefined;
    if (level) {
      endPara();
      const last = blocks[blocks.length - 1];
      // A heading wrapped over two lines stays one heading.
      if (last?.kind === 'heading' && last.level === level && prev && prev.size === line.size)
        last.text = joinLines(last.text, line.text);
      else blocks.push({ kind: 'heading', level, text: line.text });
      prev = line;
      continue;
    }
    let breakBefore = para === undefined || line.blankBefore === true;
    if (!breakBefore && prev && line.y !== undefined && prev.y !== undefined) {
      const size = Math.max(line.size ?? body ?? 10, 1);
      const gap = prev.y - line.y;
      if (gap < -size * 0.5 || gap > size * 1.75) breakBefore = true;
      else if (prev.size && line.size && Math.abs(prev.size - line.size) > 1) breakBefore = true;
    }
    if (!breakBefore && /^([-•–*]|\d{1,3}[.)])\s/.test(line.text)) breakBefore = true;
    if (breakBefore) {
      endPara();
      para = line.text;
    } else para = joinLines(para!, line.text);
    prev = line;
  }
  endPara();
  return blocks;
}

function escapeLeading(text: string): string {
  // Keep a paragraph that starts like Markdown syntax from being read as a heading or a rule.
  return text.replace(/^(#{1,6}\s|[-*_]{3,}\s*$|>\s)/, '\\$1');
}

export function renderBlocks(blocks: Block[]): string {
  return blocks
    .map((b) => {
      if (b.kind === 'heading') return `${'#'.repeat(b.level)} ${b.text}`;
      if (b.kind === 'table') return markdownTable(b.rows);
      if (b.kind === 'code') {
        // A lone short line (an option name, a command) reads best as inline code.
        const only = b.lines[0]!;
        if (b.lines.length === 1 && only.length <= 60 && !/^\s|`/.test(only)) return `\`${only}\``;
        const body = b.lines.join('\n');
        const fence = body.includes('```') ? '~~~~' : '```';
        return `${fence}\n${body}\n${fence}`;
      }
      if (b.kind === 'toc') return b.entries.map((e) => `- ${e}`).join('\n');
      return escapeLeading(b.text);
    })
    .filter(Boolean)
    .join('\n\n');
}

/** Render pages with their markers; returns the Markdown and the first heading (a title candidate). */
export function renderPages(
  pages: PdfPage[],
  options: { headings: boolean },
): { markdown: string; firstHeading?: string } {
  const body = options.headings ? bodyFontSize(pages) : undefined;
  const levels = options.headings ? headingLevels(pages, body) : new Map<number, number>();
  let firstHeading: string | undefined;
  const parts: string[] = [];
  for (const page of pages) {
    const blocks = pageBlocks(page.lines, body, levels);
    if (!firstHeading) {
      const h = blocks.find((b) => b.kind === 'heading');
      if (h && h.kind === 'heading') firstHeading = h.text;
    }
    parts.push(`${pageMarker(page.number, 'markdown')}\n\n${renderBlocks(blocks)}`.trim());
  }
  return { markdown: parts.join('\n\n'), ...(firstHeading ? { firstHeading } : {}) };
}
