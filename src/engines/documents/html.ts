/**
 * HTML → Markdown. Web pages go through Readability (main content, no navigation or footers) over a
 * linkedom DOM, falling back to the cleaned body when Readability finds nothing convincing; the
 * result goes through one shared Turndown service with GFM extras and our own table rule (the
 * plugin's rule keeps header-less tables as raw HTML and breaks on multi-paragraph cells).
 */
import TurndownService from 'turndown';
import { strikethrough, taskListItems } from 'turndown-plugin-gfm';
import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { markdownTable, tidyMarkdown } from './markdown.js';
import type { FormatResult } from './types.js';

// DOM nodes from Turndown's own parser; typed loosely because the project builds without lib.dom.
interface DomNode {
  nodeName: string;
  childNodes: ArrayLike<DomNode>;
  children?: ArrayLike<DomNode>;
  innerHTML?: string;
  textContent?: string | null;
  getAttribute?(name: string): string | null;
}

let service: TurndownService | undefined;
const CELL = '\u0001';
const ROW = '\u0002';

function turndownService(): TurndownService {
  if (service) return service;
  const s = new TurndownService({
    headingStyle: 'atx',
    codeBlockStyle: 'fenced',
    bulletListMarker: '-',
    emDelimiter: '_',
    strongDelimiter: '**',
  });
  s.use([strikethrough, taskListItems]);
  s.remove([
    'script',
    'style',
    'noscript',
    'template',
    'iframe',
    'object',
    'embed',
    'head',
    'title',
    'meta',
    'link',
  ] as TurndownService.TagName[]);
  s.remove(
    ((node: DomNode) =>
      node.nodeName === 'svg' || node.nodeName === 'SVG') as unknown as TurndownService.FilterFunction,
  );
  s.addRule('prechewImage', {
    filter: 'img',
    replacement: (_content, node) => {
      const el = node as unknown as DomNode;
      const alt = (el.getAttribute?.('alt') ?? '').replace(/\s+/g, ' ').trim();
      const src = el.getAttribute?.('src') ?? '';
      // Embedded images (data: URIs) would flood the context with base64; keep only the alt text.
      if (!src || src.startsWith('data:') || src.length > 500) return alt ? `[image: ${alt}]` : '';
      return `![${alt}](${src})`;
    },
  });
  // Tables: cells and rows leave separator marks in the converted content, and the table rule
  // turns them into a GFM table (one pass; no re-parsing of cell HTML).
  s.addRule('prechewCell', {
    filter: ['td', 'th'],
    replacement: (content, node) => {
      const span = Math.min(50, Number((node as unknown as DomNode).getAttribute?.('colspan') ?? 1) || 1);
      return CELL + content.replace(/\n+/g, ' ').trim() + CELL.repeat(span - 1);
    },
  });
  s.addRule('prechewRow', { filter: 'tr', replacement: (content) => ROW + content });
  s.addRule('prechewTableSection', {
    filter: ['thead', 'tbody', 'tfoot'],
    replacement: (content) => content,
  });
  s.addRule('prechewTable', {
    filter: 'table',
    replacement: (content) => {
      const rows = content
        .split(ROW)
        .slice(1)
        .map((row) =>
          row
            .split(CELL)
            .slice(1)
            .map((c) => c.trim()),
        )
        .filter((r) => r.length > 0);
      const table = markdownTable(rows);
      return table ? `\n\n${table}\n\n` : '';
    },
  });
  service = s;
  return s;
}

/** Convert an HTML fragment or document to Markdown (no content extraction). */
export function htmlToMarkdown(html: string): string {
  return tidyMarkdown(turndownService().turndown(html));
}

function asDocument(html: string): string {
  return /<html[\s>]|<body[\s>]/i.test(html)
    ? html
    : `<!doctype html><html><head></head><body>${html}</body></html>`;
}

const BOILERPLATE =
  'script,style,noscript,template,nav,aside,form,iframe,svg,[role="navigation"],[role="banner"],[role="contentinfo"],[aria-hidden="true"]';

interface DomElement {
  remove(): void;
  closest(selector: string): unknown;
}

/** Strip navigation and page chrome; headers/footers inside an article or main stay (they hold titles, bylines). */
function stripBoilerplate(document: {
  body?: { querySelectorAll(sel: string): ArrayLike<unknown> } | null;
}): void {
  const body = document.body;
  if (!body) return;
  for (const el of Array.from(body.querySelectorAll(BOILERPLATE)) as DomElement[]) el.remove();
  for (const el of Array.from(body.querySelectorAll('header,footer')) as DomElement[])
    if (!el.closest('article,main')) el.remove();
}

function normalizeSpace(text: string | null | undefined): string {
  return (text ?? '').replace(/\s+/g, ' ').trim();
}

/** A web page: main content via Readability, else the body without navigation and footers. */
export function convertHtml(html: string): FormatResult {
  const warnings: string[] = [];
  const source = asDocument(html);
  const { document } = parseHTML(source);
  const pageTitle = normalizeSpace(document.querySelector('title')?.textContent);
  const body = document.body;
  stripBoilerplate(document);
  const cleanedBodyHtml = body?.innerHTML ?? '';
  const bodyText = normalizeSpace(body?.textContent);

  let article: ReturnType<Readability['parse']>;
  try {
    // Readability mutates its document, so it gets a fresh one.
    const fresh = parseHTML(source).document;
    stripBoilerplate(fresh);
    article = new Readability(fresh as unknown as ConstructorParameters<typeof Readability>[0], {
      charThreshold: 200,
    }).parse();
  } catch {
    article = null;
  }
  const articleText = normalizeSpace(article?.textContent);
  let contentHtml: string;
  let engine: string;
  if (article?.content && articleText.length > 0 && articleText.length >= bodyText.length * 0.25) {
    contentHtml = article.content;
    engine = 'readability+turndown';
  } else {
    contentHtml = cleanedBodyHtml;
    engine = 'turndown';
    if (bodyText.length > 0)
      warnings.push(
        'No main article found; converted the whole page body without navigation, headers and footers.',
      );
  }
  let markdown = htmlToMarkdown(contentHtml);
  const title = normalizeSpace(article?.title) || pageTitle || undefined;
  if (
    title &&
    !markdown.split('\n').some((l) => /^#{1,2}\s/.test(l) && normalizeSpace(l.replace(/^#+/, '')) === title)
  ) {
    markdown = `# ${title}\n\n${markdown}`;
  }
  return { markdown, title, engine, warnings };
}
