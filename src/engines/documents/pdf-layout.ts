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
  /** Set in a monospaced font (code); `raw` keeps its spacing. */
  mono?: boolean;
  raw?: string;
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
  let removed = 0;
  for (const page of pages) {
    const drop = new Set<number>();
    const outermost = new Set(edgeLines(page.lines, 1));
    for (const i of edgeLines(page.lines, 2)) {
      const line = page.lines[i]!;
      if (isHeadingSized(line)) continue;
      const repeated =
        (exact.get(exactKey(line.text)) ?? 0) >= needed ||
        (outermost.has(i) && (folded.get(normalizeForRepeat(line.text)) ?? 0) >= needed);
      if (repeated || (all.length >= 2 && PAGE_NUMBER.test(line.text.trim()))) drop.add(i);
    }
    if (drop.size) {
      removed += drop.size;
      page.lines = page.lines.filter((_, i) => !drop.has(i));
    }
  }
  return removed;
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
  | { kind: 'table'; rows: string[][] };

function alignedColumns(a: PdfLine, b: PdfLine): boolean {
  if (!a.cells || !b.cells || a.cells.length !== b.cells.length) return false;
  const tol = Math.max(a.size ?? 10, b.size ?? 10) * 1.5;
  return a.cells.every((c, i) => Math.abs(c.x - b.cells![i]!.x) <= tol);
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
    // Tables: two or more consecutive lines whose wide gaps line up in the same columns.
    if (line.cells && i + 1 < lines.length && alignedColumns(line, lines[i + 1]!)) {
      endPara();
      const rows = [line.cells.map((c) => c.text)];
      let j = i + 1;
      while (j < lines.length && alignedColumns(line, lines[j]!)) {
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
