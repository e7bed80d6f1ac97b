/**
 * The conversion itself, format by format, as it runs inside a sandbox worker (see sandbox.ts):
 * detection, the format converters' existing entry points and the common post-processing. Nothing
 * here enforces time or memory: the worker that runs it is terminated from outside when either
 * limit is crossed, which is the only reliable way to stop synchronous parsing.
 *
 * Converters are imported on first use, so a worker only loads the parsers its formats need
 * (a fresh worker for a PDF does not load mammoth or the HTML DOM).
 */
import { PrechewError, throwIfCancelled } from '../../errors.js';
import { extensionFormat, sniffBytes, textFormat, zipFormat } from './detect.js';
import { markdownToText, tidyMarkdown } from './markdown.js';
import { decodeText, openZip } from './zip.js';
import type { ConvertOptions, ConvertResult, DocumentFormat, FormatContext, FormatResult } from './types.js';

export const BINARY_FORMATS = new Set<DocumentFormat>(['pdf', 'docx', 'pptx', 'xlsx', 'odt', 'epub']);

/** The warning when a file's extension disagrees with its contents. */
export function mismatchWarnings(name: string, format: DocumentFormat): string[] {
  const ext = extensionFormat(name);
  return ext && ext !== format && !(ext === 'text' && (format === 'markdown' || format === 'csv'))
    ? [
        `${name} is named like a ${ext.toUpperCase()} file but its contents are ${format.toUpperCase()}; converted as ${format.toUpperCase()}.`,
      ]
    : [];
}

/** Every format but PDF (PDFs go through the page-range path in pdf.ts). */
export async function convertNonPdf(
  bytes: Buffer,
  ctx: FormatContext,
): Promise<{ format: DocumentFormat; result: FormatResult }> {
  const { name, options, signal } = ctx;
  const { limits } = options;
  const sniffed = sniffBytes(bytes, name);
  if (sniffed.kind === 'binary') {
    const format = sniffed.format;
    if (format === 'pdf') throw new Error('PDFs are converted by pdf.ts');
    const { convertRtf } = await import('./rtf.js');
    const result = convertRtf(decodeText(bytes));
    result.warnings.unshift(...mismatchWarnings(name, format));
    return { format, result };
  }
  if (sniffed.kind === 'zip') {
    const zip = openZip(bytes, name, limits);
    const format = zipFormat(zip, name);
    throwIfCancelled(signal);
    let result: FormatResult;
    if (format === 'docx') {
      const { convertDocx } = await import('./docx.js');
      result = await convertDocx(bytes, zip, name);
      result.warnings.unshift(...mismatchWarnings(name, format));
      return { format, result };
    }
    const { convertEpub, convertOdt, convertPptx, convertXlsx } = await import('./office.js');
    switch (format) {
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
    result.warnings.unshift(...mismatchWarnings(name, format));
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
  const { convertDelimited, convertJson, convertPlain } = await import('./text-formats.js');
  switch (format) {
    case 'html':
      result = (await import('./html.js')).convertHtml(text);
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
    ...(named && !BINARY_FORMATS.has(named) && format === 'html' && named !== 'html'
      ? mismatchWarnings(name, 'html')
      : []),
  );
  return { format, result };
}

/** The common post-processing: tidy Markdown, plain text on request, metadata and warnings. */
export function finishResult(
  name: string,
  format: DocumentFormat,
  result: FormatResult,
  options: Pick<ConvertOptions, 'format' | 'pages'>,
): ConvertResult {
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
    result.warnings.push(`No text was found in ${name}: the document is empty or holds only images (which need OCR).`);
  const out: ConvertResult = { markdown, metadata, warnings: result.warnings };
  if (result.title) out.title = result.title;
  if (result.pages !== undefined) out.pages = result.pages;
  return out;
}

/** Anything a converter throws, as the error the caller sees (naming the file). */
export function classifyConvertError(error: unknown, name: string, signal?: AbortSignal): PrechewError {
  if (error instanceof PrechewError) return error;
  if (signal?.aborted) return new PrechewError('CANCELLED', 'The request was cancelled before it finished.');
  if (error instanceof RangeError && /call stack/i.test(error.message))
    return new PrechewError(
      'INPUT_TOO_LARGE',
      `${name} is nested too deeply to convert (its elements are nested thousands of levels deep).`,
    );
  if (error instanceof RangeError && /memory|allocation|array length|string length/i.test(error.message))
    return new PrechewError(
      'INPUT_TOO_LARGE',
      `${name} expands to more text than can be held in memory; convert a smaller part of it.`,
    );
  const detail =
    error instanceof Error && /zip|end of data|invalid|corrupt|unexpected/i.test(error.message)
      ? ' (its structure is damaged)'
      : '';
  return new PrechewError(
    'CORRUPT_FILE',
    `${name} could not be converted${detail}; the file may be damaged or not what its name says.`,
    undefined,
    { cause: error },
  );
}
