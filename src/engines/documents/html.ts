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
  parentNode?: DomNode | null;
  innerHTML?: string;
  textContent?: string | null;
  getAttribute?(name: string): string | null;
}

const LANGUAGE_CLASS = /(?:^|\s)(?:(?:language|lang|highlight)-(?:source-)?|brush:\s*)([\w+#.-]+)/i;
const NOT_A_LANGUAGE = /^(default|none|text|plain|plaintext|nohighlight|notranslate|source|highlight)$/i;

/**
 * The language of a code block, from the class names writers use: "language-x" / "lang-x"
 * (Markdown renderers, Prism), "highlight-x" on a Sphinx wrapper div, "sourceCode x" (pandoc).
 */
function codeLanguage(pre: DomNode): string {
  const first = Array.from(pre.children ?? []).find((c) => c.nodeName === 'CODE');
  const candidates = [first, pre, pre.parentNode, pre.parentNode?.parentNode];
  for (const node of candidates) {
    const cls = node?.getAttribute?.('class') ?? '';
    if (!cls) continue;
    const named = LANGUAGE_CLASS.exec(cls)?.[1];
    if (named && !NOT_A_LANGUAGE.test(named)) return named.toLowerCase();
    const pandoc = /(?:^|\s)sourceCode\s+([\w+#-]+)/.exec(cls)?.[1];
    if (pandoc && pandoc !== 'sourceCode') return pandoc.toLowerCase();
  }
  return '';
}

/** The text of a code block; <br> (some sites break lines with it inside <pre>) is a newline. */
function preText(pre: DomNode): string {
  let out = '';
  const stack: DomNode[] = [pre];
  while (stack.length) {
    const node = stack.pop()!;
    if (node.nodeName === '#text') out += node.textContent ?? '';
    else if (node.nodeName === 'BR') out += '\n';
    else for (let i = node.childNodes.length - 1; i >= 0; i--) stack.push(node.childNodes[i]!);
  }
  return out;
}

/** A fence longer than any run of backticks inside the code. */
function fenceFor(code: string): string {
  let longest = 0;
  for (const m of code.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  return '`'.repeat(Math.max(3, longest + 1));
}

const PERMALINK_TEXT = /^[\s¶§#🔗\u00b6\u2020\u2021]*$/u;

/** Sphinx "¶" links, GitHub/Hugo heading anchors: links whose only job is to point at themselves. */
function isPermalink(node: DomNode): boolean {
  if (node.nodeName !== 'A') return false;
  const cls = node.getAttribute?.('class') ?? '';
  if (/(?:^|\s)(headerlink|anchor|anchorjs-link|heading-anchor|header-anchor|permalink)(?:\s|$)/.test(cls))
    return true;
  const text = node.textContent ?? '';
  if (/^\s*[¶§🔗]\s*$/u.test(text)) return true;
  const href = node.getAttribute?.('href') ?? '';
  return href.startsWith('#') && PERMALINK_TEXT.test(text);
}

let service: TurndownService | undefined;

function enclosingTable(node: DomNode): DomNode | undefined {
  for (let n = node.parentNode; n; n = n.parentNode) if (n.nodeName === 'TABLE') return n;
  return undefined;
}

const layoutTables = new WeakMap<DomNode, boolean>();

/**
 * A table used for page layout (old sites, generated API docs) rather than data: it holds another
 * table or headings, or sits in a layout table and holds lists. Its cells become blocks, not a grid.
 */
function isLayoutTable(table: DomNode): boolean {
  let known = layoutTables.get(table);
  if (known !== undefined) return known;
  const el = table as DomNode & { querySelector?(selector: string): unknown };
  const outer = enclosingTable(table);
  known =
    !!el.querySelector?.('table,h1,h2,h3,h4,h5,h6') ||
    (!!outer && isLayoutTable(outer) && !!el.querySelector?.('ul,ol,dl'));
  layoutTables.set(table, known);
  return known;
}
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
  // Code blocks: the text as it is (line breaks, indentation, no Markdown escaping) in a fence,
  // whether or not the <pre> wraps a <code> (Texinfo, DocBook and Sphinx pages do not).
  s.addRule('prechewPre', {
    filter: 'pre',
    replacement: (_content, node) => {
      const pre = node as unknown as DomNode;
      const code = preText(pre).replace(/^\n/, '').replace(/\s+$/, '');
      if (!code.trim()) return '';
      const fence = fenceFor(code);
      return `\n\n${fence}${codeLanguage(pre)}\n${code}\n${fence}\n\n`;
    },
  });
  // Rules added later are tried first (Turndown unshifts them).
  // Links to an anchor on the same page mean nothing once the page is Markdown: keep the words.
  s.addRule('prechewInPageLink', {
    filter: ((node: DomNode) =>
      node.nodeName === 'A' &&
      (node.getAttribute?.('href') ?? '').startsWith('#')) as unknown as TurndownService.FilterFunction,
    replacement: (content) => content,
  });
  s.addRule('prechewPermalink', {
    filter: ((node: DomNode) => isPermalink(node)) as unknown as TurndownService.FilterFunction,
    replacement: () => '',
  });
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
      const table = enclosingTable(node as unknown as DomNode);
      if (table && isLayoutTable(table)) return `\n\n${content}\n\n`;
      const span = Math.min(50, Number((node as unknown as DomNode).getAttribute?.('colspan') ?? 1) || 1);
      return CELL + content.replace(/\n+/g, ' ').trim() + CELL.repeat(span - 1);
    },
  });
  s.addRule('prechewRow', {
    filter: 'tr',
    replacement: (content, node) => {
      const table = enclosingTable(node as unknown as DomNode);
      return table && isLayoutTable(table) ? content : ROW + content;
    },
  });
  s.addRule('prechewTableSection', {
    filter: ['thead', 'tbody', 'tfoot'],
    replacement: (content) => content,
  });
  s.addRule('prechewTable', {
    filter: 'table',
    replacement: (content, node) => {
      if (isLayoutTable(node as unknown as DomNode)) return `\n\n${content}\n\n`;
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

const NEVER_CONTENT = 'script,style,noscript,template,iframe,svg';
const CHROME =
  'nav,aside,form,[role="navigation"],[role="banner"],[role="contentinfo"],[aria-hidden="true"]';

/** The slice of linkedom's DOM used here (the project builds without lib.dom). */
interface El {
  nodeType: number;
  nodeName: string;
  childNodes: ArrayLike<El>;
  children: ArrayLike<El>;
  parentNode: El | null;
  textContent: string | null;
  innerHTML: string;
  remove(): void;
  replaceWith(...nodes: El[]): void;
  append(...nodes: El[]): void;
  closest(selector: string): El | null;
  querySelectorAll(selector: string): ArrayLike<El>;
  getAttribute(name: string): string | null;
}
interface Doc {
  body: El | null;
  head: El | null;
  querySelector(selector: string): El | null;
  createElement(tag: string): El;
}

function wordCount(text: string | null | undefined): number {
  return (text ?? '').match(/[\p{L}\p{N}]+/gu)?.length ?? 0;
}

/**
 * Strip navigation and page chrome; headers/footers inside an article or main stay (they hold
 * titles, bylines). A "chrome" element that holds most of the page's words is the page (ASP.NET
 * wraps whole pages in a <form>, search pages put their results in one) and stays.
 */
function stripBoilerplate(document: Doc): void {
  const body = document.body;
  if (!body) return;
  for (const el of Array.from(body.querySelectorAll(NEVER_CONTENT))) el.remove();
  const total = wordCount(body.textContent);
  for (const el of Array.from(body.querySelectorAll(CHROME))) {
    if (!el.parentNode) continue;
    if (total > 0 && wordCount(el.textContent) > total * 0.5) continue;
    el.remove();
  }
  for (const el of Array.from(body.querySelectorAll('header,footer')))
    if (el.parentNode && !el.closest('article,main')) el.remove();
}

/** Deepest element nesting under root, walked without recursion. */
function nestingDepth(root: El): number {
  let deepest = 0;
  const stack: Array<[El, number]> = [[root, 0]];
  while (stack.length) {
    const [el, depth] = stack.pop()!;
    if (depth > deepest) deepest = depth;
    const kids = el.children;
    for (let i = 0; i < kids.length; i++) stack.push([kids[i]!, depth + 1]);
  }
  return deepest;
}

const WRAPPER = /^(DIV|SPAN|SECTION|FONT|CENTER|ARTICLE|MAIN)$/;

/**
 * Unwrap wrapper elements that are the only thing inside another wrapper (div soup): the text and
 * its order stay, only the empty nesting goes.
 */
function collapseWrapperChains(root: El): void {
  for (const el of Array.from(root.querySelectorAll('div,span,section,font,center'))) {
    const parent = el.parentNode;
    if (!parent || !WRAPPER.test(parent.nodeName) || parent.children.length !== 1) continue;
    const siblings = parent.childNodes;
    let alone = true;
    for (let i = 0; i < siblings.length && alone; i++) {
      const n = siblings[i]!;
      if (n !== el && (n.nodeType !== 3 || (n.textContent ?? '').trim())) alone = false;
    }
    if (alone) el.replaceWith(...Array.from(el.childNodes));
  }
}

const BLOCK =
  /^(P|DIV|LI|UL|OL|DL|DT|DD|H[1-6]|TR|TABLE|SECTION|ARTICLE|BLOCKQUOTE|PRE|BR|HEADER|FOOTER|MAIN|ASIDE|NAV|FIGURE|FIGCAPTION|HR)$/;

/**
 * Below `limit` levels, replace each subtree by its text, one paragraph per block: converting
 * (Turndown recurses once per level) and scoring (Readability walks ancestors per node) stay
 * bounded however deep the markup goes.
 */
function flattenBelow(root: El, limit: number, document: Doc): void {
  const stack: Array<[El, number]> = [[root, 0]];
  while (stack.length) {
    const [el, depth] = stack.pop()!;
    const kids = Array.from(el.children);
    if (depth < limit) {
      for (const kid of kids) stack.push([kid, depth + 1]);
      continue;
    }
    if (kids.length === 0) continue;
    const paragraphs: string[] = [];
    let current = '';
    const flush = () => {
      const text = current.replace(/\s+/g, ' ').trim();
      if (text) paragraphs.push(text);
      current = '';
    };
    // Document-order walk with explicit enter/leave events (no recursion).
    const walk: Array<El | null> = [el];
    while (walk.length) {
      const node = walk.pop();
      if (node === null) {
        flush();
        continue;
      }
      if (!node) continue;
      if (node.nodeType === 3) {
        current += node.textContent ?? '';
        continue;
      }
      if (node.nodeType !== 1) continue;
      const block = BLOCK.test(node.nodeName);
      if (block) {
        flush();
        walk.push(null);
      }
      const children = node.childNodes;
      for (let i = children.length - 1; i >= 0; i--) walk.push(children[i]!);
    }
    flush();
    for (const child of Array.from(el.childNodes)) child.remove();
    for (const text of paragraphs) {
      const p = document.createElement('p');
      p.textContent = text;
      el.append(p);
    }
  }
}

/** Nesting past this skips Readability (its scoring grows with depth × nodes). */
const READABILITY_MAX_DEPTH = 60;
/** Nesting past this is flattened to paragraphs before conversion. */
const CONVERT_MAX_DEPTH = 100;

/**
 * Bound the nesting of a parsed page: collapse wrapper chains first (lossless), and flatten
 * whatever is still deeper than the converter can walk. Returns the remaining depth.
 */
function boundNesting(document: Doc): number {
  const body = document.body;
  if (!body) return 0;
  let depth = nestingDepth(body);
  if (depth <= READABILITY_MAX_DEPTH) return depth;
  collapseWrapperChains(body);
  depth = nestingDepth(body);
  if (depth > CONVERT_MAX_DEPTH) {
    flattenBelow(body, CONVERT_MAX_DEPTH, document);
    depth = CONVERT_MAX_DEPTH;
  }
  return depth;
}

/** Convert an HTML fragment or document to Markdown (no content extraction). */
export function htmlToMarkdown(html: string): string {
  // Cheap pre-check: only markup with many tags can nest deep enough to matter.
  if ((html.match(/<[a-zA-Z]/g)?.length ?? 0) > READABILITY_MAX_DEPTH) {
    const { document } = parseHTML(asDocument(html)) as unknown as { document: Doc };
    if (document.body && nestingDepth(document.body) > CONVERT_MAX_DEPTH) {
      boundNesting(document);
      return tidyMarkdown(turndownService().turndown(document.body.innerHTML));
    }
  }
  return tidyMarkdown(turndownService().turndown(html));
}

function asDocument(html: string): string {
  return /<html[\s>]|<body[\s>]/i.test(html)
    ? html
    : `<!doctype html><html><head></head><body>${html}</body></html>`;
}

function normalizeSpace(text: string | null | undefined): string {
  return (text ?? '').replace(/\s+/g, ' ').trim();
}

function balanced(text: string): boolean {
  const count = (re: RegExp) => text.match(re)?.length ?? 0;
  return count(/\(/g) === count(/\)/g) && count(/\[/g) === count(/\]/g);
}

/** Below this share of the body's words, Readability's pick is not the page's content. */
const MIN_ARTICLE_SHARE = 0.25;

/** A web page: main content via Readability, else the body without navigation and footers. */
export function convertHtml(html: string): FormatResult {
  const warnings: string[] = [];
  const { document } = parseHTML(asDocument(html)) as unknown as { document: Doc };
  const pageTitle = normalizeSpace(document.querySelector('title')?.textContent);
  const body = document.body;
  stripBoilerplate(document);
  const depth = boundNesting(document);
  const cleanedBodyHtml = body?.innerHTML ?? '';
  const bodyWords = wordCount(body?.textContent);

  let article: ReturnType<Readability['parse']> = null;
  if (depth > READABILITY_MAX_DEPTH) {
    warnings.push(
      `The page nests elements ${depth}+ levels deep; converted the whole body without main-content detection.`,
    );
  } else {
    try {
      // Readability mutates its document, so it gets a fresh one, built from the cleaned body.
      const fresh = parseHTML(
        `<!doctype html><html><head>${document.head?.innerHTML ?? ''}</head><body>${cleanedBodyHtml}</body></html>`,
      ).document;
      article = new Readability(fresh as unknown as ConstructorParameters<typeof Readability>[0], {
        charThreshold: 200,
        // Class names carry code languages (language-x, highlight-x) and permalink markers.
        keepClasses: true,
      }).parse();
    } catch {
      article = null;
    }
  }
  const articleWords = wordCount(article?.textContent);
  let contentHtml: string;
  let engine: string;
  if (article?.content && articleWords > 0 && articleWords >= bodyWords * MIN_ARTICLE_SHARE) {
    contentHtml = article.content;
    engine = 'readability+turndown';
  } else {
    contentHtml = cleanedBodyHtml;
    engine = 'turndown';
    if (bodyWords > 0 && depth <= READABILITY_MAX_DEPTH)
      warnings.push(
        articleWords > 0
          ? `The main-content detector kept only ${articleWords} of the page's ${bodyWords} words; converted the whole page body without navigation, headers and footers instead.`
          : 'No main article found; converted the whole page body without navigation, headers and footers.',
      );
  }
  let markdown = tidyMarkdown(turndownService().turndown(contentHtml));
  const articleTitle = normalizeSpace(article?.title);
  // Readability cuts titles at separators ("Page (site: tagline)" → "tagline)"); a cut that leaves
  // brackets unbalanced is worse than the page's own title.
  const title =
    (articleTitle && (balanced(articleTitle) || !pageTitle) ? articleTitle : pageTitle) || undefined;
  if (
    title &&
    !markdown.split('\n').some((l) => /^#{1,2}\s/.test(l) && normalizeSpace(l.replace(/^#+/, '')) === title)
  ) {
    markdown = `# ${title}\n\n${markdown}`;
  }
  return { markdown, title, engine, warnings };
}
