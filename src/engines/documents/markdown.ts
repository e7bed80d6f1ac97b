/** Small Markdown builders shared by the format converters. */

/** Escape a value for a GFM table cell: pipes escaped, line breaks folded. */
export function tableCell(value: string): string {
  return value
    .replace(/\r?\n|\r/g, ' ')
    .replace(/\|/g, '\\|')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * A GFM table: the first row is the header. Rows are padded to the widest row; trailing columns
 * that are empty in every row are dropped.
 */
export function markdownTable(rows: string[][], moreRowsNote?: string): string {
  const clean = rows.map((r) => r.map(tableCell));
  let width = 0;
  for (const r of clean) {
    for (let i = r.length - 1; i >= 0; i--) {
      if (r[i]) {
        width = Math.max(width, i + 1);
        break;
      }
    }
  }
  if (width === 0 || clean.length === 0) return '';
  const pad = (r: string[]) => Array.from({ length: width }, (_, i) => r[i] ?? '');
  const line = (r: string[]) => `| ${pad(r).join(' | ')} |`;
  const [head, ...body] = clean;
  const out = [line(head!), `|${' --- |'.repeat(width)}`, ...body.map(line)];
  if (moreRowsNote) out.push('', moreRowsNote);
  return out.join('\n');
}

/** Collapse runs of blank lines and trim trailing spaces; the shape every converter returns. */
export function tidyMarkdown(md: string): string {
  return md
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The page marker written before each page's text (and parsed back by tools that need pages). */
export function pageMarker(page: number, format: 'markdown' | 'text'): string {
  return format === 'text' ? `--- page ${page} ---` : `<!-- page ${page} -->`;
}

/**
 * Plain-text rendering of the Markdown we produce: heading marks, emphasis and link syntax removed,
 * tables as tab-separated rows, page markers in their text form.
 */
export function markdownToText(md: string): string {
  const lines = md.split('\n');
  const out: string[] = [];
  let inFence = false;
  for (const line of lines) {
    if (/^(```|~~~)/.test(line)) {
      inFence = !inFence;
      continue;
    }
    if (inFence) {
      out.push(line);
      continue;
    }
    const marker = /^<!-- page (\d+) -->$/.exec(line);
    if (marker) {
      out.push(pageMarker(Number(marker[1]), 'text'));
      continue;
    }
    if (/^\|(\s*:?-{3,}:?\s*\|)+\s*$/.test(line)) continue;
    let t = line;
    if (/^\|.*\|\s*$/.test(t)) {
      t = t
        .trim()
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim())
        .join('\t');
    }
    t = t
      .replace(/^#{1,6}\s+/, '')
      .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/\[([^\]]+)\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g, (_m, label: string, url: string) =>
        label === url ? label : `${label} (${url})`,
      )
      .replace(/(\*\*|__)(.+?)\1/g, '$2')
      .replace(/(^|[^\w*])[*_]([^*_\n]+)[*_](?=[^\w*]|$)/g, '$1$2')
      .replace(/`([^`]+)`/g, '$1')
      .replace(/\\([\\`*_{}[\]()#+\-.!|>~])/g, '$1');
    out.push(t);
  }
  return out.join('\n');
}

function blockText(block: string): string {
  return block
    .replace(/^#{1,6}\s+/, '')
    .replace(/[*_`\\]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/** How many leading blocks a repeated title is looked for in (cover page, title, first heading). */
const TITLE_WINDOW = 4;

/**
 * The document title once: converters see it as metadata, a Title-styled paragraph and the first
 * heading, often all three. Among the first few blocks, the copies after the first are dropped
 * (the heading form is kept where there is one).
 */
export function titleOnce(markdown: string, title: string | undefined): string {
  const wanted = title ? blockText(title) : '';
  if (!wanted) return markdown;
  const blocks = markdown.split(/\n{2,}/);
  const hits: number[] = [];
  for (let i = 0; i < Math.min(TITLE_WINDOW, blocks.length); i++)
    if (blockText(blocks[i]!) === wanted) hits.push(i);
  if (hits.length < 2) return markdown;
  const heading = hits.find((i) => /^#{1,6}\s/.test(blocks[i]!)) ?? hits[0]!;
  blocks[hits[0]!] = blocks[heading]!;
  const drop = new Set(hits.slice(1));
  return blocks.filter((_, i) => !drop.has(i)).join('\n\n');
}

/** Whether one of the first blocks already says the title (as a heading or a line of its own). */
export function startsWithTitle(markdown: string, title: string): boolean {
  const wanted = blockText(title);
  return markdown
    .split(/\n{2,}/)
    .slice(0, TITLE_WINDOW)
    .some((b) => blockText(b) === wanted);
}

/**
 * A chapter without the book's title that e-book makers repeat at its top (running head, cover
 * line); kept when it is the chapter's only heading, since then it is the chapter's own.
 */
export function withoutRepeatedTitle(markdown: string, title: string | undefined): string {
  const wanted = title ? blockText(title) : '';
  if (!wanted) return markdown;
  const blocks = markdown.split(/\n{2,}/);
  const repeats = new Set<number>();
  for (let i = 0; i < Math.min(TITLE_WINDOW, blocks.length); i++)
    if (blockText(blocks[i]!) === wanted) repeats.add(i);
  if (repeats.size === 0) return markdown;
  const ownHeading = blocks.some((b, i) => !repeats.has(i) && /^#{1,6}\s/.test(b));
  return ownHeading ? blocks.filter((_, i) => !repeats.has(i)).join('\n\n') : markdown;
}
