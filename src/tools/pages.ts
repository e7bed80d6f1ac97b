/**
 * Output budget: a tool's text output stays within limits.maxOutputTokens. Longer results are
 * split into pages, each a valid output object, kept in memory behind an opaque cursor. Nothing is
 * silently truncated: every page but the last says how to get the next one.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { countTokens, fitsInTokens } from '../engines/tokenizer.js';
import { PrechewError } from '../errors.js';

export const pageInfoSchema = z.object({
  index: z.number().int().describe('1-based page number'),
  count: z.number().int().describe('number of pages'),
  nextCursor: z.string().optional().describe('pass as `cursor` to the same tool to get the next page'),
});
export type PageInfo = z.infer<typeof pageInfoSchema>;

export interface RenderedPage {
  structured: Record<string, unknown>;
  text: string;
}

interface Entry {
  tool: string;
  pages: RenderedPage[];
  expires: number;
}

/** In-memory store of paginated results; bounded in entries and lifetime. */
export class PageStore {
  private readonly entries = new Map<string, Entry>();
  constructor(
    private readonly maxEntries = 64,
    private readonly ttlMs = 60 * 60_000,
  ) {}

  put(tool: string, pages: RenderedPage[]): string {
    this.evict();
    const id = randomBytes(9).toString('base64url');
    this.entries.set(id, { tool, pages, expires: Date.now() + this.ttlMs });
    return id;
  }

  replace(id: string, tool: string, pages: RenderedPage[]): void {
    this.entries.set(id, { tool, pages, expires: Date.now() + this.ttlMs });
  }

  get(tool: string, cursor: string): RenderedPage {
    this.evict();
    const [id, indexText] = cursor.split('.');
    const entry = id ? this.entries.get(id) : undefined;
    const index = Number(indexText);
    if (!entry || entry.tool !== tool || !Number.isInteger(index) || index < 0 || index >= entry.pages.length) {
      throw new PrechewError(
        'INVALID_CURSOR',
        `Unknown or expired cursor "${cursor}" for ${tool}. Call ${tool} again without a cursor to recompute the result (results are cached, so this is cheap).`,
      );
    }
    return entry.pages[index]!;
  }

  private evict(): void {
    const now = Date.now();
    for (const [id, e] of this.entries) if (e.expires < now) this.entries.delete(id);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}

type Bulk = { kind: 'string'; value: string } | { kind: 'array'; value: unknown[] } | { kind: 'groups'; value: Array<[string, unknown]> };

function bulkOf(value: unknown): Bulk | undefined {
  if (typeof value === 'string') return { kind: 'string', value };
  if (Array.isArray(value)) return { kind: 'array', value };
  if (value && typeof value === 'object') {
    const flat: Array<[string, unknown]> = [];
    for (const [k, v] of Object.entries(value)) {
      if (!Array.isArray(v)) return undefined;
      for (const el of v) flat.push([k, el]);
    }
    return { kind: 'groups', value: flat };
  }
  return undefined;
}

function sliceBulk(bulk: Bulk, start: number, end: number): unknown {
  if (bulk.kind === 'string') return bulk.value.slice(start, end);
  if (bulk.kind === 'array') return bulk.value.slice(start, end);
  const out: Record<string, unknown[]> = {};
  for (const [k, el] of bulk.value.slice(start, end)) (out[k] ??= []).push(el);
  return out;
}

function bulkLength(bulk: Bulk): number {
  return bulk.value.length;
}

/** Approximate token cost of each element, used to plan pages before verifying them by rendering. */
function unitCosts(bulk: Bulk): { cuts: number[]; costs: number[] } {
  if (bulk.kind === 'string') {
    // Cut strings at line ends (or every 2000 chars for very long lines) so pages break cleanly.
    const cuts: number[] = [];
    const costs: number[] = [];
    const text = bulk.value;
    let pos = 0;
    while (pos < text.length) {
      let end = text.indexOf('\n', pos);
      end = end === -1 ? text.length : end + 1;
      if (end - pos > 2000) end = pos + 2000;
      cuts.push(end);
      costs.push(Math.ceil((end - pos) / 3.2));
      pos = end;
    }
    return { cuts, costs };
  }
  const costs = bulk.value.map((el) => Math.ceil(JSON.stringify(el ?? null).length / 3.2) + 2);
  return { cuts: costs.map((_, i) => i + 1), costs };
}

const FOOTER_RESERVE = 80;

/**
 * Render an output within budget, paginating its bulk field when needed. Returns every page; the
 * caller stores the rest and returns the first.
 */
export function paginate<O extends Record<string, unknown>>(
  output: O,
  render: (o: O) => string,
  pageField: string | undefined,
  budgetTokens: number,
): RenderedPage[] {
  const fullText = render(output);
  if (!Number.isFinite(budgetTokens) || fitsInTokens(fullText, budgetTokens)) {
    return [{ structured: output, text: fullText }];
  }
  const bulk = pageField ? bulkOf(output[pageField]) : undefined;
  const budget = Math.max(50, budgetTokens - FOOTER_RESERVE);
  let ranges: Array<[number, number]>;
  let build: (r: [number, number]) => O;
  if (bulk && pageField) {
    const emptyCost = countTokens(render({ ...output, [pageField]: sliceBulk(bulk, 0, 0) }));
    const { cuts, costs } = unitCosts(bulk);
    const room = Math.max(20, budget - emptyCost);
    ranges = [];
    let startUnit = 0;
    let acc = 0;
    for (let i = 0; i < costs.length; i++) {
      if (acc + costs[i]! > room && i > startUnit) {
        ranges.push([startUnit === 0 ? 0 : cuts[startUnit - 1]!, cuts[i - 1]!]);
        startUnit = i;
        acc = 0;
      }
      acc += costs[i]!;
    }
    ranges.push([startUnit === 0 ? 0 : cuts[startUnit - 1]!, bulkLength(bulk)]);
    build = (r) => ({ ...output, [pageField]: sliceBulk(bulk, r[0], r[1]) });
    // Verify each planned page by rendering; split any that the estimate under-counted.
    const verified: Array<[number, number]> = [];
    const stack = ranges.reverse();
    while (stack.length > 0) {
      const r = stack.pop()!;
      const tokens = countTokens(render(build(r)));
      if (tokens <= budget || r[1] - r[0] <= 1) {
        verified.push(r);
        continue;
      }
      const mid = r[0] + Math.floor((r[1] - r[0]) / 2);
      stack.push([mid, r[1]], [r[0], mid]);
    }
    ranges = verified;
  } else {
    // No bulk field: page the rendered text itself; structured content stays whole on page 1 only.
    const pieces = splitTextByTokens(fullText, budget);
    return pieces.map((text) => ({ structured: output, text }));
  }
  return ranges.map((r) => {
    const structured = build(r);
    return { structured, text: render(structured) };
  });
}

function splitTextByTokens(text: string, budget: number): string[] {
  const pages: string[] = [];
  let current = '';
  for (const line of text.split(/(?<=\n)/)) {
    if (current && countTokens(current + line) > budget) {
      pages.push(current);
      current = '';
    }
    // A single line over budget is cut by characters (rare: minified JSON, base64).
    let rest = line;
    while (countTokens(rest) > budget) {
      const cut = Math.max(1, Math.floor(budget * 3));
      pages.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    current += rest;
  }
  if (current) pages.push(current);
  return pages;
}

/** Store pages (when more than one) and add page info and footers. Returns the first page. */
export function storePages(store: PageStore, tool: string, pages: RenderedPage[]): RenderedPage[] {
  if (pages.length <= 1) return pages;
  const count = pages.length;
  const decorated: RenderedPage[] = [];
  // Reserve the id first so every page can name the next cursor.
  const id = store.put(tool, []);
  for (let i = 0; i < count; i++) {
    const nextCursor = i + 1 < count ? `${id}.${i + 1}` : undefined;
    const page: PageInfo = { index: i + 1, count, ...(nextCursor ? { nextCursor } : {}) };
    const footer = nextCursor
      ? `\n\n[page ${i + 1} of ${count} — the result continues: call ${tool} again with {"cursor": "${nextCursor}"} for page ${i + 2}]`
      : `\n\n[page ${count} of ${count} — end of result]`;
    decorated.push({ structured: { ...pages[i]!.structured, page }, text: pages[i]!.text + footer });
  }
  store.replace(id, tool, decorated);
  return decorated;
}

