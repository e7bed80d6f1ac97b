import { PrechewError } from '../../errors.js';

/**
 * Parse a page selection such as "1-5,9", "3-" (to the end) or "-2" (first two) into sorted,
 * unique 1-based page numbers within 1..total. Undefined or empty selects every page.
 */
export function parsePageRanges(spec: string | undefined, total: number, name: string): number[] {
  if (spec === undefined || spec.trim() === '' || spec.trim().toLowerCase() === 'all')
    return Array.from({ length: total }, (_, i) => i + 1);
  const picked = new Set<number>();
  for (const rawPart of spec.split(',')) {
    const part = rawPart.trim();
    const m = /^(\d*)\s*(?:(-)\s*(\d*))?$/.exec(part);
    if (!part || !m || (m[1] === '' && (m[3] ?? '') === '')) {
      throw new PrechewError(
        'INVALID_INPUT',
        `Invalid page selection "${spec}": use page numbers and ranges such as "1-5,9" or "10-".`,
      );
    }
    const start = m[1] ? Number(m[1]) : 1;
    if (start > total) {
      // "200-" on a 111-page file: say how long the document is, not that ranges run low to high.
      const pages = `${total} page${total === 1 ? '' : 's'}`;
      throw new PrechewError(
        'INVALID_INPUT',
        total === 0
          ? `Page selection "${spec}" asks for page ${start}, but ${name} has no pages.`
          : `Page selection "${spec}" asks for page ${start}, but ${name} has ${pages}: valid pages are 1-${total} (e.g. "1-${Math.min(10, total)}", "${total}-" for the last page, or "-3" for the first three).`,
        { pages: total },
      );
    }
    const end = m[2] ? (m[3] ? Number(m[3]) : total) : start;
    if (start < 1 || end < start) {
      throw new PrechewError(
        'INVALID_INPUT',
        `Invalid page range "${part}" in "${spec}": pages start at 1 and a range runs low to high.`,
      );
    }
    for (let p = start; p <= Math.min(end, total); p++) picked.add(p);
  }
  if (picked.size === 0) {
    throw new PrechewError(
      'INVALID_INPUT',
      `Page selection "${spec}" is outside ${name}, which has ${total} page${total === 1 ? '' : 's'}.`,
    );
  }
  return [...picked].sort((a, b) => a - b);
}
