/**
 * The document converter: one entry point that turns PDF, DOCX, PPTX, XLSX, ODT, EPUB, RTF, HTML,
 * Markdown, plain text, CSV/TSV and JSON into clean Markdown (or plain text), with page selection,
 * zip-bomb and decompression guards, and typed errors that name the file.
 *
 * Every format is parsed inside the sandbox (sandbox.ts): a worker thread with a heap cap that is
 * terminated at the time limit, so no document can block the event loop or take the process
 * down. Long PDFs are split into page ranges parsed on several workers at once.
 *
 * Page markers: PDF pages are preceded by `<!-- page N -->` on a line of its own (in `text`
 * output: `--- page N ---`); slides by `## Slide N`, sheets by `## Sheet: NAME`.
 */
import { PrechewError, throwIfCancelled } from '../../errors.js';
import { finishResult, BINARY_FORMATS, mismatchWarnings } from './convert-core.js';
import { sniffBytes, textFormat, zipFormat } from './detect.js';
import { parsePageRanges } from './pages.js';
import {
  assemblePdf,
  estimatePdfPages,
  findPdftotext,
  MIN_PAGES_PER_CHUNK,
  type PdfChunkResult,
} from './pdf.js';
import { DEFAULT_DOCUMENT_MEMORY_MB, runSandboxed, type SandboxRun } from './sandbox.js';
import { decodeText, openZip, type ZipLimits } from './zip.js';
import type { ConvertInput, ConvertOptions, ConvertResult, DocumentFormat, PdfEngineChoice } from './types.js';

export * from './types.js';
export { markdownToText, pageMarker } from './markdown.js';
export { findPdftotext, MIN_PAGES_PER_CHUNK } from './pdf.js';
export { parsePageRanges } from './pages.js';
export { closeSandbox, DEFAULT_DOCUMENT_MEMORY_MB } from './sandbox.js';

/** PDF page ranges parsed at once when limits.documentWorkers is not given. */
export const DEFAULT_DOCUMENT_WORKERS = 2;

/** Bump when any converter's output changes, so cached conversions are recomputed. */
export const ENGINE_VERSION = 'documents-3';

/** Decide the format without converting (magic bytes first, extension second). */
export function detectFormat(bytes: Uint8Array, name: string, limits: ZipLimits): DocumentFormat {
  const sniffed = sniffBytes(bytes, name);
  if (sniffed.kind === 'binary') return sniffed.format;
  if (sniffed.kind === 'zip') return zipFormat(openZip(bytes, name, limits), name);
  const ext = sniffed.format && BINARY_FORMATS.has(sniffed.format) ? undefined : sniffed.format;
  return textFormat(decodeText(bytes.subarray(0, 64 * 1024)), ext);
}

/** How many workers share a PDF of `pages` pages: one unless the selection is long enough to split. */
function pdfChunkCount(pages: number, options: ConvertOptions, name: string): number {
  const workers = Math.max(1, options.limits.documentWorkers ?? DEFAULT_DOCUMENT_WORKERS);
  let selected = pages;
  try {
    selected = parsePageRanges(options.pages, pages, name).length;
  } catch {
    // the worker reports a bad selection against the real page count
  }
  return Math.max(1, Math.min(workers, Math.floor(selected / MIN_PAGES_PER_CHUNK)));
}

/** Below this size a PDF whose page count is not visible in its bytes is not worth counting first. */
const COUNT_PAGES_ABOVE_BYTES = 128 * 1024;

async function convertPdfSandboxed(bytes: Buffer, name: string, options: ConvertOptions, run: SandboxRun) {
  const choice: PdfEngineChoice = options.pdfEngine ?? 'auto';
  if (choice === 'pdftotext' && !findPdftotext()) {
    throw new PrechewError(
      'ENGINE_UNAVAILABLE',
      'The pdftotext engine was requested but pdftotext is not installed (install poppler-utils, e.g. "apt install poppler-utils" or "brew install poppler"), or set convert.pdfEngine to "auto".',
    );
  }
  const started = Date.now();
  const workers = Math.max(1, options.limits.documentWorkers ?? DEFAULT_DOCUMENT_WORKERS);
  let chunks = 1;
  if (choice !== 'pdftotext' && workers > 1) {
    let pages = estimatePdfPages(bytes);
    if (pages === 0 && bytes.length > COUNT_PAGES_ABOVE_BYTES) {
      // The page tree sits in compressed object streams: let one worker count the pages first.
      const [info] = (await runSandboxed(
        [
          {
            kind: 'pdf',
            bytes,
            name,
            request: { chunk: 0, chunks: 1, extract: false, maxDecodedBytes: options.limits.maxUncompressedBytes },
          },
        ],
        run,
      )) as PdfChunkResult[];
      pages = info!.total;
    }
    chunks = pdfChunkCount(pages, options, name);
  }
  const results = (await runSandboxed(
    Array.from({ length: chunks }, (_, chunk) => ({
      kind: 'pdf' as const,
      bytes,
      name,
      request: {
        pages: options.pages,
        chunk,
        chunks,
        extract: choice !== 'pdftotext',
        maxDecodedBytes: options.limits.maxUncompressedBytes,
      },
    })),
    { ...run, timeoutMs: Math.max(1, run.timeoutMs - (Date.now() - started)) },
  )) as PdfChunkResult[];
  // What is left (pdftotext fallback, layout) runs here, bounded by the rest of the time limit.
  const remaining = Math.max(1, options.limits.documentTimeoutMs - (Date.now() - started));
  const deadline = AbortSignal.timeout(remaining);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  try {
    const result = await assemblePdf(bytes, name, choice, results, signal);
    result.warnings.unshift(...mismatchWarnings(name, 'pdf'));
    return finishResult(name, 'pdf', result, options);
  } catch (error) {
    if (deadline.aborted)
      throw new PrechewError(
        'TIMEOUT',
        `Converting ${name} took longer than ${Math.round(options.limits.documentTimeoutMs / 1000)} s (limits.documentTimeoutMs) and was stopped. Convert fewer pages (pages: "1-50") or raise the limit.`,
      );
    if (options.signal?.aborted) throw new PrechewError('CANCELLED', 'The request was cancelled before it finished.');
    throw error;
  }
}

/**
 * Convert one document. Throws PrechewError (naming the file) for empty, corrupt, encrypted,
 * scanned, oversized, memory-exhausting or too-slow inputs; cancellation via options.signal.
 */
export async function convert(input: ConvertInput, options: ConvertOptions): Promise<ConvertResult> {
  const name = input.name || 'document';
  const bytes = Buffer.isBuffer(input.bytes)
    ? input.bytes
    : Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength);
  if (bytes.length === 0)
    throw new PrechewError('INVALID_INPUT', `${name} is empty (0 bytes): there is nothing to convert.`);
  throwIfCancelled(options.signal);
  const run: SandboxRun = {
    name,
    timeoutMs: options.limits.documentTimeoutMs,
    memoryMb: options.limits.documentMemoryMb ?? DEFAULT_DOCUMENT_MEMORY_MB,
    signal: options.signal,
    onProgress: options.onProgress,
  };
  const sniffed = sniffBytes(bytes, name);
  if (sniffed.kind === 'binary' && sniffed.format === 'pdf') return convertPdfSandboxed(bytes, name, options, run);
  const [result] = await runSandboxed(
    [{ kind: 'convert', bytes, name, options: { pages: options.pages, format: options.format, limits: options.limits } }],
    run,
  );
  return result as ConvertResult;
}

/** Whether the pdftotext engine is available on this machine. */
export function pdftotextAvailable(): boolean {
  return findPdftotext() !== undefined;
}
