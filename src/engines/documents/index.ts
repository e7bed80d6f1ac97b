/**
 * The document converter: one entry point that turns PDF, DOCX, PPTX, XLSX, ODT, EPUB, RTF, HTML,
 * Markdown, plain text, CSV/TSV and JSON into clean Markdown (or plain text), with page selection,
 * zip-bomb guards, a per-document time limit and typed errors that name the file.
 *
 * Page markers: PDF pages are preceded by `<!-- page N -->` on a line of its own (in `text`
 * output: `--- page N ---`); slides by `## Slide N`, sheets by `## Sheet: NAME`.
 */
import { PrechewError, throwIfCancelled } from '../../errors.js';
import { extensionFormat, sniffBytes, textFormat, zipFormat } from './detect.js';
import { convertDocx } from './docx.js';
import { convertHtml } from './html.js';
import { markdownToText, tidyMarkdown } from './markdown.js';
import { convertEpub, convertOdt, convertPptx, convertXlsx } from './office.js';
import { convertPdf, findPdftotext } from './pdf.js';
import { convertRtf } from './rtf.js';
import { convertDelimited, convertJson, convertPlain } from './text-formats.js';
import { decodeText, openZip, type ZipLimits } from './zip.js';
import type {
  ConvertInput,
  ConvertOptions,
  ConvertResult,
  DocumentFormat,
  FormatContext,
  FormatResult,
} from './types.js';

export * from './types.js';
export { markdownToText, pageMarker } from './markdown.js';
export { findPdftotext, AUTO_PDFTOTEXT_PAGES } from './pdf.js';
export { parsePageRanges } from './pages.js';

/** Bump when any converter's output changes, so cached conversions are recomputed. */
export const ENGINE_VERSION = 'documents-2';

const BINARY_FORMATS = new Set<DocumentFormat>(['pdf', 'docx', 'pptx', 'xlsx', 'odt', 'epub']);

/** Decide the format without converting (magic bytes first, extension second). */
export function detectFormat(bytes: Uint8Array, name: string, limits: ZipLimits): DocumentFormat {
  const sniffed = sniffBytes(bytes, name);
  if (sniffed.kind === 'binary') return sniffed.format;
  if (sniffed.kind === 'zip') return zipFormat(openZip(bytes, name, limits), name);
  const ext = sniffed.format && BINARY_FORMATS.has(sniffed.format) ? undefined : sniffed.format;
  return textFormat(decodeText(bytes.subarray(0, 64 * 1024)), ext);
}

async function convertByFormat(
  bytes: Buffer,
  ctx: FormatContext,
): Promise<{ format: DocumentFormat; result: FormatResult }> {
  const { name, options, signal } = ctx;
  const { limits } = options;
  const sniffed = sniffBytes(bytes, name);
  const ext = extensionFormat(name);
  const mismatch = (format: DocumentFormat): string[] =>
    ext && ext !== format && !(ext === 'text' && (format === 'markdown' || format === 'csv'))
      ? [
          `${name} is named like a ${ext.toUpperCase()} file but its contents are ${format.toUpperCase()}; converted as ${format.toUpperCase()}.`,
        ]
      : [];
  if (sniffed.kind === 'binary') {
    const format = sniffed.format;
    const result = format === 'pdf' ? await convertPdf(bytes, ctx) : convertRtf(decodeText(bytes));
    result.warnings.unshift(...mismatch(format));
    return { format, result };
  }
  if (sniffed.kind === 'zip') {
    const zip = openZip(bytes, name, limits);
    const format = zipFormat(zip, name);
    throwIfCancelled(signal);
    let result: FormatResult;
    switch (format) {
      case 'docx':
        result = await convertDocx(bytes, zip, name);
        break;
      case 'pptx':
        result = convertPptx(zip, name, options.pages, signal);
        break;
      case 'xlsx':
        result = convertXlsx(zip, name, limits.maxCsvRows, signal);
        break;
      case 'odt':
        result = convertOdt(zip, name);
        break;
      default:
        result = convertEpub(zip, name, signal);
    }
    result.warnings.unshift(...mismatch(format));
    return { format, result };
  }
  const text = decodeText(bytes);
  const named = sniffed.format;
  const warnings: string[] = [];
  if (named && BINARY_FORMATS.has(named))
    warnings.push(
      `${name} is named like a ${named.toUpperCase()} file but contains plain text; converted as text.`,
    );
  const format = textFormat(text, named && BINARY_FORMATS.has(named) ? undefined : named);
  let result: FormatResult;
  switch (format) {
    case 'html':
      result = convertHtml(text);
      break;
    case 'csv':
    case 'tsv':
      result = convertDelimited(text, format, limits.maxCsvRows);
      break;
    case 'json':
      result = convertJson(text, limits.maxJsonChars);
      break;
    case 'markdown':
      result = convertPlain(text, 'markdown');
      break;
    default:
      result = convertPlain(text, 'text');
  }
  result.warnings.unshift(
    ...warnings,
    ...(named && !BINARY_FORMATS.has(named) && format === 'html' && named !== 'html' ? mismatch('html') : []),
  );
  return { format, result };
}

/**
 * Convert one document. Throws PrechewError (naming the file) for empty, corrupt, encrypted,
 * scanned, oversized or too-slow inputs; cancellation via options.signal.
 */
export async function convert(input: ConvertInput, options: ConvertOptions): Promise<ConvertResult> {
  const name = input.name || 'document';
  const bytes = Buffer.isBuffer(input.bytes)
    ? input.bytes
    : Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength);
  if (bytes.length === 0)
    throw new PrechewError('INVALID_INPUT', `${name} is empty (0 bytes): there is nothing to convert.`);
  throwIfCancelled(options.signal);

  const controller = new AbortController();
  const onOuterAbort = () => controller.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(
        new PrechewError(
          'TIMEOUT',
          `Converting ${name} took longer than ${Math.round(options.limits.documentTimeoutMs / 1000)} s (limits.documentTimeoutMs) and was stopped. Convert fewer pages (pages: "1-50") or raise the limit.`,
        ),
      );
    }, options.limits.documentTimeoutMs);
    timer.unref?.();
  });
  let onCancel: (() => void) | undefined;
  const cancelled = new Promise<never>((_, reject) => {
    onCancel = () => reject(new PrechewError('CANCELLED', 'The request was cancelled before it finished.'));
    if (options.signal?.aborted) onCancel();
    options.signal?.addEventListener('abort', onCancel, { once: true });
  });
  const work = (async () => {
    // Let the timers arm before synchronous parsing starts.
    await new Promise((r) => setImmediate(r));
    return convertByFormat(bytes, { name, options, signal: controller.signal });
  })();
  work.catch(() => undefined);
  cancelled.catch(() => undefined);
  try {
    const { format, result } = await Promise.race([work, timedOut, cancelled]);
    const isPassthrough = format === 'text' || format === 'markdown';
    let markdown = isPassthrough ? result.markdown : tidyMarkdown(result.markdown);
    if (options.format === 'text' && format !== 'text') markdown = markdownToText(markdown);
    const metadata: ConvertResult['metadata'] = { format, engine: result.engine, ...(result.extra ?? {}) };
    if (result.pages !== undefined) metadata.pages = result.pages;
    if (result.pagesConverted !== undefined) metadata.pagesConverted = result.pagesConverted;
    if (options.pages && result.pages === undefined)
      result.warnings.push(
        `Page selection applies to PDF and PPTX only; the whole ${format.toUpperCase()} was converted.`,
      );
    if (!markdown.trim())
      result.warnings.push(
        `No text was found in ${name}: the document is empty or holds only images (which need OCR).`,
      );
    const out: ConvertResult = { markdown, metadata, warnings: result.warnings };
    if (result.title) out.title = result.title;
    if (result.pages !== undefined) out.pages = result.pages;
    return out;
  } catch (error) {
    if (error instanceof PrechewError) throw error;
    if (controller.signal.aborted)
      throw new PrechewError('CANCELLED', 'The request was cancelled before it finished.');
    const detail =
      error instanceof Error && /zip|end of data|invalid|corrupt|unexpected/i.test(error.message)
        ? ' (its structure is damaged)'
        : '';
    throw new PrechewError(
      'CORRUPT_FILE',
      `${name} could not be converted${detail}; the file may be damaged or not what its name says.`,
      undefined,
      { cause: error },
    );
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onOuterAbort);
    if (onCancel) options.signal?.removeEventListener('abort', onCancel);
  }
}

/** Whether the pdftotext engine is available on this machine. */
export function pdftotextAvailable(): boolean {
  return findPdftotext() !== undefined;
}
