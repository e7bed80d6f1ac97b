/**
 * Conversion benchmark: pages/s and MB/s per PDF engine on generated report PDFs and on the real
 * PDFs Debian documentation packages install under /usr/share/doc (gzipped ones are unpacked in
 * memory), token-level F1 of pdfjs against pdftotext, DOCX and HTML throughput, and the latency of
 * a cache hit through the tool path; the sandbox's cost (in-process parsing vs a warm and a cold
 * worker) and, on a long PDF, headings kept and pages/s for pdfjs on 1 and 2 workers against
 * pdftotext (what `auto` used above 150 pages before). Prints nothing, asserts nothing.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Document, HeadingLevel, Packer, Paragraph } from 'docx';
import { PDFDocument } from 'pdf-lib';
import { convertNonPdf, finishResult } from '../src/engines/documents/convert-core.js';
import { closeSandbox, convert, findPdftotext, type ConvertOptions } from '../src/engines/documents/index.js';
import { assemblePdf, extractPdfChunk } from '../src/engines/documents/pdf.js';
import { convertDocument } from '../src/tools/convert.js';
import { makeTestApp } from '../test/helpers/app.js';
import { HTML_PAGE, makeReportPdf } from '../test/helpers/make-documents.js';

const limits: ConvertOptions['limits'] = {
  maxUncompressedBytes: 200 << 20,
  maxZipEntries: 10_000,
  documentTimeoutMs: 120_000,
  maxCsvRows: 500,
  maxJsonChars: 200_000,
};
const MB = 1024 * 1024;

function findDocPdfs(root = '/usr/share/doc', max = 6): Array<{ name: string; bytes: Buffer }> {
  const found: Array<{ name: string; bytes: Buffer }> = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 4 || found.length >= max) return;
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries.sort()) {
      if (found.length >= max) return;
      const full = path.join(dir, e);
      let st;
      try {
        st = statSync(full);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(full, depth + 1);
      else if (/\.pdf(\.gz)?$/i.test(e) && st.size < 8 * MB) {
        try {
          const raw = readFileSync(full);
          const bytes = e.endsWith('.gz') ? gunzipSync(raw) : raw;
          if (bytes.subarray(0, 1024).toString('latin1').includes('%PDF-'))
            found.push({ name: path.relative(root, full), bytes });
        } catch {
          // unreadable: skip
        }
      }
    }
  };
  walk(root, 0);
  return found;
}

function tokens(md: string): Map<string, number> {
  const counts = new Map<string, number>();
  const text = md.replace(/<!-- page \d+ -->/g, ' ').toLowerCase();
  for (const t of text.match(/[\p{L}\p{N}]+/gu) ?? []) counts.set(t, (counts.get(t) ?? 0) + 1);
  return counts;
}

/** Multiset token F1 of a candidate against a reference. */
export function tokenF1(candidate: string, reference: string): number {
  const a = tokens(candidate);
  const b = tokens(reference);
  let overlap = 0;
  let na = 0;
  let nb = 0;
  for (const v of a.values()) na += v;
  for (const v of b.values()) nb += v;
  for (const [k, v] of a) overlap += Math.min(v, b.get(k) ?? 0);
  if (na === 0 || nb === 0) return 0;
  const p = overlap / na;
  const r = overlap / nb;
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}

async function timeEngine(docs: Array<{ name: string; bytes: Buffer }>, engine: 'pdfjs' | 'pdftotext') {
  let pages = 0;
  let bytes = 0;
  const outputs: string[] = [];
  const t0 = performance.now();
  for (const d of docs) {
    try {
      const r = await convert({ bytes: d.bytes, name: d.name }, { limits, pdfEngine: engine });
      pages += r.metadata.pagesConverted ?? 0;
      bytes += d.bytes.length;
      outputs.push(r.markdown);
    } catch {
      outputs.push('');
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  return { pages, bytes, seconds, outputs };
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export async function benchConvert(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  const hasPdftotext = findPdftotext() !== undefined;
  out.pdftotext = hasPdftotext ? 'installed' : 'not installed (engine skipped)';

  const fixtures = [{ name: 'fixture-40p.pdf', bytes: Buffer.from(await makeReportPdf({ pages: 40 })) }];
  const real = findDocPdfs();
  out.realPdfs = real.length ? real.map((d) => d.name).join(', ') : 'none found under /usr/share/doc';
  // Warm-up: module loading and JIT outside the timings.
  await convert({ bytes: fixtures[0]!.bytes, name: 'warm.pdf' }, { limits, pdfEngine: 'pdfjs', pages: '1' });

  for (const [label, docs] of [
    ['fixture', fixtures],
    ['real', real],
  ] as const) {
    if (docs.length === 0) continue;
    const engines: Array<'pdfjs' | 'pdftotext'> = hasPdftotext ? ['pdfjs', 'pdftotext'] : ['pdfjs'];
    const results: Record<string, string[]> = {};
    for (const engine of engines) {
      const r = await timeEngine([...docs], engine);
      results[engine] = r.outputs;
      out[`${label}.${engine}.pages`] = r.pages;
      out[`${label}.${engine}.pagesPerSec`] = round(r.pages / r.seconds);
      out[`${label}.${engine}.MBPerSec`] = round(r.bytes / MB / r.seconds, 2);
    }
    if (results.pdfjs && results.pdftotext) {
      const f1 = results.pdfjs.map((md, i) => tokenF1(md, results.pdftotext![i] ?? ''));
      out[`${label}.tokenF1.pdfjsVsPdftotext`] = round(
        f1.reduce((a, b) => a + b, 0) / Math.max(1, f1.length),
        3,
      );
    }
  }

  // DOCX: ~400 paragraphs with headings.
  const children: Paragraph[] = [];
  for (let i = 0; i < 400; i++) {
    if (i % 20 === 0)
      children.push(new Paragraph({ text: `Chapter ${i / 20 + 1}`, heading: HeadingLevel.HEADING_1 }));
    children.push(
      new Paragraph(
        `Paragraph ${i}: the quick brown fox jumps over the lazy dog while the committee reviews the budget for next year in detail.`,
      ),
    );
  }
  const docx = await Packer.toBuffer(new Document({ sections: [{ children }] }));
  const runs = 5;
  let t = performance.now();
  for (let i = 0; i < runs; i++) await convert({ bytes: docx, name: 'bench.docx' }, { limits });
  let s = (performance.now() - t) / 1000 / runs;
  out['docx.msPerDoc'] = round(s * 1000);
  out['docx.MBPerSec'] = round(docx.length / MB / s, 2);

  // HTML: the article page with its body repeated to ~250 KB.
  const article = HTML_PAGE.slice(HTML_PAGE.indexOf('<article>'), HTML_PAGE.indexOf('</article>') + 10);
  const html = HTML_PAGE.replace(article, article.repeat(Math.ceil(250_000 / article.length)));
  t = performance.now();
  for (let i = 0; i < runs; i++) await convert({ bytes: Buffer.from(html), name: 'bench.html' }, { limits });
  s = (performance.now() - t) / 1000 / runs;
  out['html.msPerDoc'] = round(s * 1000);
  out['html.MBPerSec'] = round(Buffer.byteLength(html) / MB / s, 2);

  Object.assign(out, await benchSandbox(docx));
  Object.assign(out, await benchLongPdf(hasPdftotext));

  // Cache hit through the same helper the tool uses (SQLite in a temp data dir).
  const app = makeTestApp({ convert: { pdfEngine: 'pdfjs' } });
  try {
    const pdf = fixtures[0]!.bytes;
    t = performance.now();
    await convertDocument(app, pdf, 'cache.pdf');
    out['cache.missMs'] = round(performance.now() - t);
    const hits = 20;
    t = performance.now();
    for (let i = 0; i < hits; i++) await convertDocument(app, pdf, 'cache.pdf');
    out['cache.hitMs'] = round((performance.now() - t) / hits, 2);
  } finally {
    await app.dispose();
  }
  return out;
}

/** The old path: parse on the calling thread, no worker. */
async function convertInProcess(bytes: Buffer, name: string): Promise<void> {
  const signal = new AbortController().signal;
  if (name.endsWith('.pdf')) {
    const chunk = await extractPdfChunk(bytes, name, { chunk: 0, chunks: 1, extract: true, maxDecodedBytes: limits.maxUncompressedBytes }, () => undefined);
    finishResult(name, 'pdf', await assemblePdf(bytes, name, 'pdfjs', [chunk], signal), {});
    return;
  }
  const { format, result } = await convertNonPdf(bytes, { name, options: { limits }, signal });
  finishResult(name, format, result, {});
}

async function median(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

/** Latency of a small DOCX, HTML and PDF: in-process (before), warm sandbox worker, cold worker. */
async function benchSandbox(docx: Buffer): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const small: Array<[string, Buffer]> = [
    ['docx', docx],
    ['html', Buffer.from(HTML_PAGE)],
    ['pdf', Buffer.from(await makeReportPdf({ pages: 4 }))],
  ];
  for (const [kind, bytes] of small) {
    const name = `small.${kind}`;
    await convertInProcess(bytes, name);
    out[`sandbox.${kind}.inProcessMs`] = round(await median(7, () => convertInProcess(bytes, name)), 1);
    await convert({ bytes, name }, { limits, pdfEngine: 'pdfjs' });
    out[`sandbox.${kind}.warmWorkerMs`] = round(await median(7, () => convert({ bytes, name }, { limits, pdfEngine: 'pdfjs' })), 1);
    out[`sandbox.${kind}.coldWorkerMs`] = round(
      await median(3, async () => {
        await closeSandbox();
        await convert({ bytes, name }, { limits, pdfEngine: 'pdfjs' });
      }),
      1,
    );
  }
  return out;
}

/** A long real PDF: the valgrind manual when installed, else the bzip2 fixture repeated to 152 pages. */
async function longPdf(): Promise<{ name: string; bytes: Buffer }> {
  try {
    return { name: 'valgrind_manual.pdf', bytes: gunzipSync(readFileSync('/usr/share/doc/valgrind/valgrind_manual.pdf.gz')) };
  } catch {
    const source = await PDFDocument.load(readFileSync(new URL('../../fixtures/real/pdf/bzip2-manual.pdf', import.meta.url)));
    const doc = await PDFDocument.create();
    for (let copy = 0; copy < 4; copy++)
      for (const page of await doc.copyPages(source, source.getPageIndices())) doc.addPage(page);
    return { name: 'bzip2-manual-x4.pdf', bytes: Buffer.from(await doc.save()) };
  }
}

async function benchLongPdf(hasPdftotext: boolean): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  const { name, bytes } = await longPdf();
  out['long.document'] = name;
  const headings = (md: string) => (md.match(/^#{1,6} /gm) ?? []).length;
  const long = { ...limits, documentTimeoutMs: 600_000 };
  for (const workers of [1, 2]) {
    await closeSandbox();
    const t = performance.now();
    const r = await convert({ bytes, name }, { limits: { ...long, documentWorkers: workers }, pdfEngine: 'auto' });
    const s = (performance.now() - t) / 1000;
    out['long.pages'] = r.metadata.pagesConverted ?? 0;
    out[`long.pdfjs.${workers}worker.pagesPerSec`] = round((r.metadata.pagesConverted ?? 0) / s);
    out['long.headings.pdfjsWorkers'] = headings(r.markdown);
  }
  if (hasPdftotext) {
    const t = performance.now();
    const r = await convert({ bytes, name }, { limits: long, pdfEngine: 'pdftotext' });
    out['long.pdftotext.pagesPerSec'] = round((r.metadata.pagesConverted ?? 0) / ((performance.now() - t) / 1000));
    // Before: `auto` switched to pdftotext above 150 pages, so it kept what pdftotext keeps.
    out['long.headings.pdftotext'] = headings(r.markdown);
    out['long.headings.oldAuto'] = (r.metadata.pagesConverted ?? 0) > 150 ? headings(r.markdown) : 'n/a (≤150 pages)';
  }
  await closeSandbox();
  return out;
}
