/**
 * PDF text extraction. Two engines: pdfjs-dist (legacy build for Node; positions and font sizes,
 * so headings and simple tables can be recovered) and poppler's `pdftotext` when it is on PATH
 * (much faster on long documents, plain reading-order text). `auto` uses pdfjs, switching to
 * pdftotext for selections over AUTO_PDFTOTEXT_PAGES pages and when pdfjs fails on a page.
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
import type { FormatContext, FormatResult, PdfEngineChoice } from './types.js';

/** Above this many selected pages `auto` prefers pdftotext (when installed) for speed. */
export const AUTO_PDFTOTEXT_PAGES = 150;

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
let pdfjsModule: Promise<PdfJs> | undefined;
function loadPdfJs(): Promise<PdfJs> {
  pdfjsModule ??= import('pdfjs-dist/legacy/build/pdf.mjs');
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
    ? 'it appears truncated (no %%EOF at the end; an incomplete download?)'
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
  getPage(n: number): Promise<{ getTextContent(): Promise<{ items: unknown[] }>; cleanup(): unknown }>;
  getMetadata(): Promise<{ info: unknown }>;
}

/** Extract one page's lines with pdfjs. */
async function pdfjsPageLines(doc: OpenPdf, number: number): Promise<PdfLine[]> {
  const page = await doc.getPage(number);
  const content = await page.getTextContent();
  page.cleanup();
  const items = content.items.filter((i): i is TextItemLike => typeof (i as TextItemLike).str === 'string');
  return itemsToLines(items);
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

export async function convertPdf(bytes: Uint8Array, ctx: FormatContext): Promise<FormatResult> {
  const { name, signal } = ctx;
  const choice: PdfEngineChoice = ctx.options.pdfEngine ?? 'auto';
  const pdftotext = findPdftotext();
  if (choice === 'pdftotext' && !pdftotext) {
    throw new PrechewError(
      'ENGINE_UNAVAILABLE',
      'The pdftotext engine was requested but pdftotext is not installed (install poppler-utils, e.g. "apt install poppler-utils" or "brew install poppler"), or set convert.pdfEngine to "auto".',
    );
  }
  const truncated = !hasEofMarker(bytes);
  const warnings: string[] = [];
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
  const onAbort = () => void task.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    let doc: OpenPdf;
    try {
      doc = (await task.promise) as unknown as OpenPdf;
    } catch (error) {
      throwIfCancelled(signal);
      throw classifyPdfJsError(error, name, truncated);
    }
    const total = doc.numPages;
    const selected = parsePageRanges(ctx.options.pages, total, name);
    let engine: 'pdfjs' | 'pdftotext' =
      choice === 'pdftotext' || (choice === 'auto' && pdftotext && selected.length > AUTO_PDFTOTEXT_PAGES)
        ? 'pdftotext'
        : 'pdfjs';
    let pages: PdfPage[] = [];
    let sample: PdfPage[] = [];
    if (engine === 'pdfjs') {
      try {
        for (const n of selected) {
          throwIfCancelled(signal);
          pages.push({ number: n, lines: await pdfjsPageLines(doc, n) });
        }
        for (const n of samplePages(selected, total)) {
          throwIfCancelled(signal);
          sample.push({ number: n, lines: await pdfjsPageLines(doc, n) });
        }
      } catch (error) {
        throwIfCancelled(signal);
        const safe = classifyPdfJsError(error, name, truncated);
        if (choice !== 'auto' || !pdftotext || safe.code === 'ENCRYPTED_FILE') throw safe;
        warnings.push('pdfjs could not read every page; used pdftotext instead (no headings or tables).');
        engine = 'pdftotext';
        pages = [];
        sample = [];
      }
    }
    if (engine === 'pdftotext') {
      pages = await extractWithPdftotext(pdftotext!, bytes, selected, name, signal);
      const extra = samplePages(selected, total);
      if (extra.length) sample = await extractWithPdftotext(pdftotext!, bytes, extra, name, signal);
    }
    if (pages.every((p) => p.lines.length === 0)) {
      if (truncated) throw classifyPdfJsError(new Error('no text'), name, true);
      throw ocrError(name);
    }
    if (truncated)
      warnings.push(`${name} appears truncated (no %%EOF marker); the text recovered may be incomplete.`);
    const empty = emptyPagesWarning(pages);
    if (empty) warnings.push(empty);
    const removed = removeRepeatedLines(pages, sample);
    if (removed > 0) warnings.push(`Removed ${removed} running header/footer line(s) and page numbers.`);
    const { markdown, firstHeading } = renderPages(pages, { headings: engine === 'pdfjs' });
    let title: string | undefined;
    try {
      title = cleanTitle(((await doc.getMetadata()).info as Record<string, unknown> | undefined)?.Title);
    } catch {
      title = undefined;
    }
    return {
      markdown,
      title: title ?? firstHeading,
      pages: total,
      pagesConverted: selected.length,
      engine: engine === 'pdfjs' ? `pdfjs ${pdfjs.version}` : 'pdftotext',
      warnings,
    };
  } finally {
    signal.removeEventListener('abort', onAbort);
    await task.destroy().catch(() => undefined);
  }
}
