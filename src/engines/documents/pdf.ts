/**
 * PDF text extraction. Two engines: pdfjs-dist (legacy build for Node; positions and font sizes,
 * so headings and simple tables can be recovered) and poppler's `pdftotext` when it is on PATH
 * (plain reading-order text, no headings). `auto` uses pdfjs on every length of document (long
 * ones are split into page ranges that run on several sandbox workers, see index.ts) and falls
 * back to pdftotext only when pdfjs fails.
 *
 * Split in two halves: extractPdfChunk runs inside a sandbox worker (it parses untrusted bytes);
 * assemblePdf runs in the caller and only handles plain line data and the pdftotext process.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants as fsConstants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PrechewError, throwIfCancelled } from '../../errors.js';
import { parsePageRanges } from './pages.js';
import {
  itemsToLines,
  removeRepeatedLines,
  renderPages,
  type PdfLine,
  type PdfPage,
  type TextItemLike,
} from './pdf-layout.js';
import { guardPdfStreams } from './pdf-guard.js';
import { ensureDomMatrix } from './dom-matrix.js';
import type { FormatResult, PdfEngineChoice } from './types.js';

/** Fewer selected pages than this per worker are not worth a second worker. */
export const MIN_PAGES_PER_CHUNK = 12;

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
let pdfjsModule: Promise<PdfJs> | undefined;
function loadPdfJs(): Promise<PdfJs> {
  if (!pdfjsModule) {
    // pdfjs-dist needs a DOMMatrix at load time; a light install has no @napi-rs/canvas to give one.
    ensureDomMatrix();
    pdfjsModule = import('pdfjs-dist/legacy/build/pdf.mjs');
  }
  return pdfjsModule;
}

let pdftotextPath: string | null | undefined;
/** The pdftotext executable on PATH, or undefined; looked up once per process. */
export function findPdftotext(): string | undefined {
  if (pdftotextPath === undefined) {
    pdftotextPath = null;
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
      if (!dir) continue;
      const candidate = path.join(dir, process.platform === 'win32' ? 'pdftotext.exe' : 'pdftotext');
      try {
        accessSync(candidate, fsConstants.X_OK);
        pdftotextPath = candidate;
        break;
      } catch {
        // keep looking
      }
    }
  }
  return pdftotextPath ?? undefined;
}

function hasEofMarker(bytes: Uint8Array): boolean {
  const tail = Buffer.from(bytes.subarray(Math.max(0, bytes.length - 4096))).toString('latin1');
  return tail.includes('%%EOF');
}

function classifyPdfJsError(error: unknown, name: string, truncated: boolean): PrechewError {
  if (error instanceof PrechewError) return error;
  const kind = (error as { name?: string } | undefined)?.name ?? '';
  if (kind === 'PasswordException') {
    return new PrechewError(
      'ENCRYPTED_FILE',
      `${name} is password-protected. Remove the password (e.g. "qpdf --decrypt --password=… in.pdf out.pdf") and convert the decrypted copy.`,
    );
  }
  if (kind === 'AbortException')
    return new PrechewError('CANCELLED', 'The request was cancelled before it finished.');
  const why = truncated
    ? 'it appears truncated (the end-of-file marker "%%EOF" is missing; an incomplete download?)'
    : 'its structure is damaged or it is not really a PDF';
  return new PrechewError('CORRUPT_FILE', `${name} cannot be read as a PDF: ${why}.`);
}

function cleanTitle(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const t = raw.replace(/^Microsoft (Word|PowerPoint) - /, '').trim();
  if (!t || /^untitled$/i.test(t) || /\.(docx?|pdf|tex|dvi)$/i.test(t)) return undefined;
  return t;
}

interface OpenPdf {
  numPages: number;
  getPage(n: number): Promise<{
    getTextContent(): Promise<{ items: unknown[]; styles?: Record<string, { fontFamily?: string }> }>;
    cleanup(): unknown;
  }>;
  getMetadata(): Promise<{ info: unknown }>;
}

/** Extract one page's lines with pdfjs. */
async function pdfjsPageLines(doc: OpenPdf, number: number): Promise<PdfLine[]> {
  const page = await doc.getPage(number);
  const content = await page.getTextContent();
  page.cleanup();
  const items = content.items.filter((i): i is TextItemLike => typeof (i as TextItemLike).str === 'string');
  const styles = content.styles ?? {};
  const mono = new Set(
    Object.entries(styles)
      .filter(([, style]) => style.fontFamily === 'monospace')
      .map(([fontName]) => fontName),
  );
  return itemsToLines(items, mono);
}

/** Pages used only to learn the running header/footer pattern when few pages are selected. */
function samplePages(selected: number[], total: number): number[] {
  if (selected.length >= 5 || total <= selected.length) return [];
  const chosen = new Set(selected);
  const extra: number[] = [];
  const want = Math.min(6, total - selected.length);
  for (let k = 0; k < total && extra.length < want; k++) {
    const p = 1 + Math.floor((k * total) / Math.min(total, 12));
    if (p <= total && !chosen.has(p) && !extra.includes(p)) extra.push(p);
  }
  for (let p = 1; p <= total && extra.length < want; p++)
    if (!chosen.has(p) && !extra.includes(p)) extra.push(p);
  return extra;
}

function ocrError(name: string): PrechewError {
  return new PrechewError(
    'NEEDS_OCR',
    `${name} has no text layer (it looks like a scanned document or images of text), so there is nothing to extract. Run OCR on it first (for example "ocrmypdf in.pdf out.pdf") and convert the result.`,
  );
}

function emptyPagesWarning(pages: PdfPage[]): string | undefined {
  const empty = pages.filter((p) => p.lines.length === 0).map((p) => p.number);
  if (empty.length === 0) return undefined;
  const list = empty.length > 12 ? `${empty.slice(0, 12).join(', ')}, …` : empty.join(', ');
  return `${empty.length} page(s) have no text layer (scanned or image-only; OCR needed): ${list}.`;
}

function runPdftotext(
  exe: string,
  file: string,
  first: number,
  last: number,
  signal: AbortSignal,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      exe,
      ['-layout', '-enc', 'UTF-8', '-f', String(first), '-l', String(last), file, '-'],
      { signal, maxBuffer: 512 * 1024 * 1024, encoding: 'utf8', windowsHide: true },
      (error, stdout, stderr) => {
        if (error) reject(Object.assign(error, { stderr }));
        else resolve(stdout);
      },
    );
  });
}

/**
 * pdftotext -layout output (pages split by form feed) into lines: blank lines mark paragraph
 * breaks, and runs of 3+ spaces inside a line mark cells, with character columns as x so that
 * aligned rows become tables.
 */
export function layoutTextToPages(text: string, numbers: number[]): PdfPage[] {
  const chunks = text.split('\f');
  return numbers.map((number, i) => {
    const lines: PdfLine[] = [];
    let blank = true;
    for (const raw of (chunks[i] ?? '').split('\n')) {
      if (!raw.trim()) {
        blank = true;
        continue;
      }
      const cells: Array<{ x: number; text: string }> = [];
      const re = /\S+(?: {1,2}\S+)*/g;
      for (let m = re.exec(raw); m; m = re.exec(raw)) cells.push({ x: m.index, text: m[0] });
      // size 2 → column tolerance of 3 characters when aligning table rows.
      const line: PdfLine = { text: raw.replace(/\s+/g, ' ').trim(), blankBefore: blank, size: 2 };
      if (cells.length > 1) line.cells = cells;
      lines.push(line);
      blank = false;
    }
    return { number, lines };
  });
}

async function extractWithPdftotext(
  exe: string,
  bytes: Uint8Array,
  numbers: number[],
  name: string,
  signal: AbortSignal,
): Promise<PdfPage[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'prechew-pdf-'));
  const file = path.join(dir, 'input.pdf');
  try {
    writeFileSync(file, bytes, { mode: 0o600 });
    const pages: PdfPage[] = [];
    // One process per contiguous run of pages ("1-5,9" → two runs).
    let runStart = 0;
    for (let i = 1; i <= numbers.length; i++) {
      if (i < numbers.length && numbers[i] === numbers[i - 1]! + 1) continue;
      const run = numbers.slice(runStart, i);
      throwIfCancelled(signal);
      let out: string;
      try {
        out = await runPdftotext(exe, file, run[0]!, run[run.length - 1]!, signal);
      } catch (error) {
        if (signal.aborted || (error as { name?: string }).name === 'AbortError') throw error;
        const stderr = String((error as { stderr?: unknown }).stderr ?? '');
        if (/password/i.test(stderr))
          throw new PrechewError(
            'ENCRYPTED_FILE',
            `${name} is password-protected. Remove the password and convert the decrypted copy.`,
          );
        throw new PrechewError(
          'CORRUPT_FILE',
          `${name} cannot be read as a PDF by pdftotext (damaged or truncated file).`,
        );
      }
      pages.push(...layoutTextToPages(out, run));
      runStart = i;
    }
    return pages;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}


/** What one sandbox worker is asked to extract: its share of the selected pages. */
export interface PdfChunkRequest {
  pages?: string | undefined;
  /** This worker's share (0-based) out of `chunks` contiguous shares of the selected pages. */
  chunk: number;
  chunks: number;
  /** False when only the page count is needed (the pdftotext engine was chosen). */
  extract: boolean;
  /** Budget for all decompressed stream bytes (limits.maxUncompressedBytes). */
  maxDecodedBytes: number;
}

export interface PdfChunkResult {
  total: number;
  selected: number[];
  pages: PdfPage[];
  /** Extra pages (chunk 0 only) used to learn running headers when few pages are selected. */
  sample: PdfPage[];
  title?: string;
  version: string;
  truncated: boolean;
  /** Set when pdfjs failed on a page: the caller may fall back to pdftotext. */
  failure?: { code: string; message: string };
}

/** The contiguous share `chunk` of `selected` split into `chunks` parts. */
export function chunkPages(selected: number[], chunks: number, chunk: number): number[] {
  const size = Math.ceil(selected.length / Math.max(1, chunks));
  return selected.slice(chunk * size, (chunk + 1) * size);
}

/**
 * A cheap estimate of the page count from the raw bytes (page objects, or the page tree's
 * /Count), used only to decide whether a second worker is worth starting; 0 when unknown
 * (the page tree sits in compressed object streams).
 */
export function estimatePdfPages(bytes: Uint8Array): number {
  // Scanning a big file here would hold up the event loop: a worker counts those instead.
  if (bytes.length > 8 * 1024 * 1024) return 0;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const objects = text.match(/\/Type\s*\/Page(?![a-zA-Z])/g)?.length ?? 0;
  let count = 0;
  for (const m of text.matchAll(/\/Count\s+(\d{1,6})/g)) count = Math.max(count, Number(m[1]));
  return Math.max(objects, count);
}

/**
 * Runs inside a sandbox worker: open the PDF with pdfjs and extract this worker's share of the
 * selected pages as lines. `onPage` is called after each page (progress).
 */
export async function extractPdfChunk(
  bytes: Uint8Array,
  name: string,
  request: PdfChunkRequest,
  onPage: (done: number, of: number) => void,
): Promise<PdfChunkResult> {
  const truncated = !hasEofMarker(bytes);
  // Every worker checks the decompressed size before pdfjs inflates anything.
  await guardPdfStreams(bytes, name, request.maxDecodedBytes);
  const pdfjs = await loadPdfJs();
  // pdfjs takes ownership of (detaches) the buffer it is given, so it gets a copy.
  const task = pdfjs.getDocument({
    data: new Uint8Array(bytes),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    useWorkerFetch: false,
    isOffscreenCanvasSupported: false,
    stopAtErrors: false,
    verbosity: 0,
  });
  try {
    let doc: OpenPdf;
    try {
      doc = (await task.promise) as unknown as OpenPdf;
    } catch (error) {
      throw classifyPdfJsError(error, name, truncated);
    }
    const total = doc.numPages;
    const selected = parsePageRanges(request.pages, total, name);
    const result: PdfChunkResult = { total, selected, pages: [], sample: [], version: pdfjs.version, truncated };
    if (request.chunk === 0) {
      try {
        result.title = cleanTitle(((await doc.getMetadata()).info as Record<string, unknown> | undefined)?.Title);
      } catch {
        // no usable metadata
      }
      if (result.title === undefined) delete result.title;
    }
    if (!request.extract) return result;
    try {
      const mine = chunkPages(selected, request.chunks, request.chunk);
      for (const n of mine) {
        result.pages.push({ number: n, lines: await pdfjsPageLines(doc, n) });
        onPage(result.pages.length, mine.length);
      }
      if (request.chunk === 0)
        for (const n of samplePages(selected, total))
          result.sample.push({ number: n, lines: await pdfjsPageLines(doc, n) });
    } catch (error) {
      const safe = classifyPdfJsError(error, name, truncated);
      if (safe.code === 'ENCRYPTED_FILE') throw safe;
      result.failure = { code: safe.code, message: safe.message };
      result.pages = [];
      result.sample = [];
    }
    return result;
  } finally {
    await task.destroy().catch(() => undefined);
  }
}

/**
 * Runs in the caller: join the workers' shares, fall back to pdftotext where pdfjs failed (auto)
 * or was not chosen, remove running headers and render Markdown. Only plain line data is handled
 * here; parsing happened in the workers.
 */
export async function assemblePdf(
  bytes: Uint8Array,
  name: string,
  choice: PdfEngineChoice,
  chunks: PdfChunkResult[],
  signal: AbortSignal,
): Promise<FormatResult> {
  const first = chunks[0]!;
  const { total, selected, truncated } = first;
  const pdftotext = findPdftotext();
  const warnings: string[] = [];
  let engine: 'pdfjs' | 'pdftotext' = choice === 'pdftotext' ? 'pdftotext' : 'pdfjs';
  let pages: PdfPage[] = chunks.flatMap((c) => c.pages);
  let sample = first.sample;
  const failure = chunks.find((c) => c.failure)?.failure;
  if (engine === 'pdfjs' && failure) {
    if (choice !== 'auto' || !pdftotext) throw new PrechewError(failure.code as 'CORRUPT_FILE', failure.message);
    warnings.push('pdfjs could not read every page; used pdftotext instead (no headings or tables).');
    engine = 'pdftotext';
  }
  if (engine === 'pdftotext') {
    if (!pdftotext)
      throw new PrechewError(
        'ENGINE_UNAVAILABLE',
        'The pdftotext engine was requested but pdftotext is not installed (install poppler-utils, e.g. "apt install poppler-utils" or "brew install poppler"), or set convert.pdfEngine to "auto".',
      );
    pages = await extractWithPdftotext(pdftotext, bytes, selected, name, signal);
    const extra = samplePages(selected, total);
    sample = extra.length ? await extractWithPdftotext(pdftotext, bytes, extra, name, signal) : [];
  }
  if (pages.every((p) => p.lines.length === 0)) {
    if (truncated) throw classifyPdfJsError(new Error('no text'), name, true);
    throw ocrError(name);
  }
  if (truncated)
    warnings.push(
      `${name} appears truncated (its end-of-file marker "%%EOF" is missing); the text recovered may be incomplete.`,
    );
  const empty = emptyPagesWarning(pages);
  if (empty) warnings.push(empty);
  const removed = removeRepeatedLines(pages, sample);
  if (removed > 0) warnings.push(`Removed ${removed} running header/footer line(s) and page numbers.`);
  const { markdown, firstHeading } = renderPages(pages, { headings: engine === 'pdfjs' });
  return {
    markdown,
    title: first.title ?? firstHeading,
    pages: total,
    pagesConverted: selected.length,
    engine: engine === 'pdfjs' ? `pdfjs ${first.version}` : 'pdftotext',
    warnings,
  };
}
