/**
 * Tool `convert`: documents (PDF, DOCX, PPTX, XLSX, ODT, EPUB, RTF, HTML, Markdown, text, CSV/TSV,
 * JSON) to clean Markdown on this machine, with page selection, size/zip-bomb/time guards and a
 * content-addressed cache. Also the file reader that lets every text tool accept documents.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  convert,
  detectFormat,
  DOCUMENT_FORMATS,
  ENGINE_VERSION,
  pdftotextAvailable,
  type ConvertResult,
  type DocumentFormat,
} from '../engines/documents/index.js';
import { countTokens } from '../engines/tokenizer.js';
import { PrechewError } from '../errors.js';
import { tooLarge } from '../files.js';
import type { AppServices } from '../services.js';
import { cacheKey, getCache } from '../store/cache.js';
import { countWords } from '../text/words.js';
import type { FileReader } from './inputs.js';
import { defineTool } from './types.js';

const CACHE_NAMESPACE = 'convert';

export interface ConvertDocumentOptions {
  pages?: string | undefined;
  format?: 'markdown' | 'text' | undefined;
  signal?: AbortSignal | undefined;
  /** Pages parsed so far (paged documents). */
  onProgress?: ((done: number, total: number) => void) | undefined;
}

export interface ConvertedDocument extends ConvertResult {
  cached: boolean;
}

/**
 * Convert with the app's limits and cache: the key is sha256(bytes) + the options that change the
 * output + the engine version, so converting the same file twice costs one SQLite read.
 */
export async function convertDocument(
  app: AppServices,
  bytes: Buffer,
  name: string,
  options: ConvertDocumentOptions = {},
): Promise<ConvertedDocument> {
  const { limits, convert: settings } = app.config;
  const digest = createHash('sha256').update(bytes).digest('hex');
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase() ?? '';
  const pdfEngine =
    settings.pdfEngine === 'auto'
      ? `auto:${pdftotextAvailable() ? 'pdftotext' : 'none'}`
      : settings.pdfEngine;
  const key = cacheKey(
    digest,
    ENGINE_VERSION,
    JSON.stringify({
      ext,
      pages: options.pages ?? null,
      format: options.format ?? 'markdown',
      pdfEngine,
      rows: settings.maxCsvRows,
      json: settings.maxJsonChars,
    }),
  );
  const cache = getCache(app);
  const hit = cache.get<ConvertResult>(CACHE_NAMESPACE, key);
  if (hit) return { ...hit, metadata: { ...hit.metadata, cached: true }, cached: true };
  const result = await convert(
    { bytes, name },
    {
      pages: options.pages,
      format: options.format,
      pdfEngine: settings.pdfEngine,
      signal: options.signal,
      onProgress: options.onProgress,
      limits: {
        maxUncompressedBytes: limits.maxUncompressedBytes,
        maxZipEntries: limits.maxZipEntries,
        documentTimeoutMs: limits.documentTimeoutMs,
        documentMemoryMb: limits.documentMemoryMb,
        documentWorkers: settings.pdfWorkers,
        maxCsvRows: settings.maxCsvRows,
        maxJsonChars: settings.maxJsonChars,
      },
    },
  );
  cache.set(CACHE_NAMESPACE, key, result);
  return { ...result, metadata: { ...result.metadata, cached: false }, cached: false };
}

/** Formats whose raw text is already what a text tool wants; the default reader handles them. */
const PLAIN_FORMATS = new Set<DocumentFormat>(['text', 'markdown', 'csv', 'tsv', 'json']);

/**
 * Routes document files read by any text tool (summarize, condense, …) through `convert`.
 * Returns undefined for plain-text formats and for files that are not documents (audio, images),
 * so other readers and the default text path still get them.
 */
export const documentFileReader: FileReader = async (bytes, name, ctx) => {
  let format: DocumentFormat;
  try {
    format = detectFormat(bytes, name, ctx.app.config.limits);
  } catch (error) {
    if (error instanceof PrechewError && error.code === 'UNSUPPORTED_FORMAT') return undefined;
    throw error;
  }
  if (PLAIN_FORMATS.has(format) || bytes.length === 0) return undefined;
  const result = await convertDocument(ctx.app, bytes, name, { signal: ctx.signal });
  return { text: result.markdown, format };
};

const inputSchema = z
  .object({
    path: z
      .string()
      .optional()
      .describe(
        'Path of the document; must be inside a directory the user allowed (absolute, or relative to the first allowed root).',
      ),
    data: z
      .string()
      .optional()
      .describe(
        'The document itself, base64-encoded, instead of `path`. Give `filename` too so the format can be confirmed.',
      ),
    filename: z
      .string()
      .max(255)
      .optional()
      .describe(
        'Name of the document passed as `data` (e.g. "report.pdf"); used for messages and as a format hint.',
      ),
    pages: z
      .string()
      .max(200)
      .optional()
      .describe(
        'Pages to convert (PDF pages, PPTX slides): "1-5,9", "10-" (to the end) or "-3". Default: all.',
      ),
    format: z
      .enum(['markdown', 'text'])
      .default('markdown')
      .describe(
        '"markdown" (default: headings, lists, tables) or "text" (plain text, tables as tab-separated rows).',
      ),
    maxOutputTokens: z
      .number()
      .int()
      .min(200)
      .optional()
      .describe(
        'Token budget per page of output. Long documents are returned in pages: pass the returned `cursor` to get the next one.',
      ),
  })
  .strict();

const outputSchema = z.object({
  markdown: z
    .string()
    .describe(
      'the converted document; PDF pages start with "<!-- page N -->", slides with "## Slide N", sheets with "## Sheet: NAME"',
    ),
  title: z.string().optional(),
  metadata: z.object({
    format: z.enum(DOCUMENT_FORMATS as [DocumentFormat, ...DocumentFormat[]]),
    pages: z.number().int().optional().describe('pages, slides, sheets or chapters in the document'),
    pagesConverted: z.number().int().optional(),
    words: z.number().int(),
    tokens: z.number().int().describe('o200k tokens in the whole converted text'),
    engine: z.string(),
    elapsedMs: z.number(),
    cached: z.boolean(),
    bytes: z.number().int().describe('size of the input file'),
  }),
  warnings: z.array(z.string()),
});
type Output = z.infer<typeof outputSchema>;

function render(out: Output): string {
  const m = out.metadata;
  const pages = m.pages !== undefined ? `, ${m.pagesConverted ?? m.pages}/${m.pages} pages` : '';
  const footer = [
    `[${m.format}${pages}, ${m.words} words, ${m.tokens} tokens, ${m.engine}, ${m.cached ? 'cached' : `${Math.round(m.elapsedMs)} ms`}]`,
  ];
  for (const w of out.warnings) footer.push(`Warning: ${w}`);
  return `${out.markdown}\n\n---\n${footer.join('\n')}`;
}

const BASE64 = /^[A-Za-z0-9+/_\-=\s]*$/;

export const convertTool = defineTool({
  name: 'convert',
  title: 'Convert document to Markdown',
  summary:
    'PDF, DOCX, PPTX, XLSX, ODT, EPUB, RTF, HTML, CSV, JSON → clean Markdown, locally, with page ranges.',
  description:
    'Convert a document into compact, LLM-ready Markdown on the local machine, instead of sending the original file to a model. ' +
    'Formats: PDF (text layer; headings from font size, simple tables, running headers/footers and hyphenation removed), DOCX, PPTX (slide text and notes), XLSX (one table per sheet), ODT, EPUB, RTF, HTML (main content only, navigation dropped), Markdown, plain text, CSV/TSV (as a table) and JSON (pretty-printed). ' +
    'Input: `path` (a file inside an allowed root) or `data` (base64) with `filename`. Use `pages` ("1-5,9") to read only part of a long PDF or deck. ' +
    'Output: the Markdown with page markers ("<!-- page N -->"), title, and metadata (format, pages, words, tokens, engine, cached). Long results come in pages with a cursor. ' +
    'Scanned PDFs without a text layer fail with NEEDS_OCR; password-protected files with ENCRYPTED_FILE. Results are cached, so converting the same file again is instant.',
  inputSchema,
  outputSchema,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  cli: { path: 'path' },
  pageField: 'markdown',
  pageBudgetField: 'maxOutputTokens',
  async handler(input, ctx) {
    const started = performance.now();
    const hasPath = typeof input.path === 'string' && input.path.length > 0;
    const hasData = typeof input.data === 'string';
    if (hasPath === hasData) {
      throw new PrechewError(
        'INVALID_INPUT',
        hasPath
          ? 'Give either `path` or `data`, not both.'
          : 'Give the document as `path` (a file inside an allowed root) or as base64 `data` with a `filename`.',
      );
    }
    const limit = ctx.app.config.limits.maxInputBytes;
    let bytes: Buffer;
    let name: string;
    if (hasData) {
      name = input.filename?.trim() || 'document';
      const estimated = Math.floor((input.data!.length * 3) / 4);
      if (estimated > limit + 3) throw tooLarge(name, estimated, limit);
      if (!BASE64.test(input.data!))
        throw new PrechewError(
          'INVALID_INPUT',
          '`data` is not valid base64. Encode the file bytes as base64, or pass `path` instead.',
        );
      bytes = Buffer.from(input.data!, 'base64');
      if (bytes.length > limit) throw tooLarge(name, bytes.length, limit);
    } else {
      const read = await ctx.app.files.read(input.path!, await ctx.clientRoots());
      bytes = read.bytes;
      name = read.file.name;
    }
    ctx.progress({ progress: 0, total: 1, message: `converting ${name}` });
    let reported = 0;
    let pagesTotal = 0;
    const result = await convertDocument(ctx.app, bytes, name, {
      pages: input.pages,
      format: input.format,
      signal: ctx.signal,
      // Per page of a PDF; the last step (layout) is reported by the final "done".
      onProgress: (done, total) => {
        if (done <= reported || total === 0) return;
        reported = done;
        pagesTotal = Math.max(pagesTotal, total);
        ctx.progress({ progress: done, total: pagesTotal + 1, message: `page ${done} of ${pagesTotal}` });
      },
    });
    // Progress only ever increases (MCP): the final step follows the last page.
    ctx.progress({ progress: pagesTotal + 1, total: pagesTotal + 1, message: 'done' });
    const m = result.metadata;
    const output: Output = {
      markdown: result.markdown,
      metadata: {
        format: m.format,
        ...(m.pages !== undefined ? { pages: m.pages } : {}),
        ...(m.pagesConverted !== undefined ? { pagesConverted: m.pagesConverted } : {}),
        words: countWords(result.markdown),
        tokens: countTokens(result.markdown),
        engine: m.engine,
        elapsedMs: Math.round((performance.now() - started) * 10) / 10,
        cached: result.cached,
        bytes: bytes.length,
      },
      warnings: result.warnings,
    };
    if (result.title) output.title = result.title;
    return output;
  },
  render,
});
