/**
 * The document sandbox with real worker threads: documents that would block or kill the process
 * (a Flate-bomb PDF, a DOCX that expands to exhaust memory, HTML nested 2,000 levels deep) fail
 * with a clear error naming the file, while other conversions keep being answered.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateRawSync, deflateSync, constants as zc } from 'node:zlib';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { closeSandbox } from '../../src/engines/documents/index.js';
import { guardPdfStreams, leadingFlateFilters } from '../../src/engines/documents/pdf-guard.js';
import { PrechewError } from '../../src/errors.js';
import { tempDir } from '../helpers/app.js';
import { connectHttp, startHttpChild } from '../helpers/cli.js';
import * as fx from '../helpers/make-documents.js';

const run = fx.convertForTest;

afterAll(() => closeSandbox());

async function errorOf(promise: Promise<unknown>): Promise<PrechewError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PrechewError);
    return error as PrechewError;
  }
  throw new Error('expected an error');
}

function adler32OfZeros(length: number): number {
  // Adler-32 of `length` zero bytes: a stays 1, b grows by 1 per byte.
  return (((length % 65521) << 16) | 1) >>> 0;
}

/**
 * A zlib stream of `mib` MiB of zeros built from one compressed MiB repeated (each copy only
 * refers back to zeros), so a 1 GiB stream costs ~1 MB and no time to make.
 */
function zerosZlib(mib: number): Buffer {
  const block = deflateRawSync(Buffer.alloc(1 << 20), { finishFlush: zc.Z_SYNC_FLUSH, level: 9 });
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(adler32OfZeros(mib * (1 << 20)));
  return Buffer.concat([Buffer.from([0x78, 0xda]), ...Array<Buffer>(mib).fill(block), Buffer.from([0x03, 0x00]), tail]);
}

/** A one-page PDF whose content stream inflates to `mib` MiB (raw bytes with a correct xref). */
export function makeFlateBombPdf(mib: number, filters = '/FlateDecode', extraDict = ''): Buffer {
  let data = zerosZlib(mib);
  if (filters.split('/FlateDecode').length > 2) data = Buffer.from(zipSyncZlib(data));
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let length = 0;
  const push = (b: Buffer | string) => {
    const buf = typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
    parts.push(buf);
    length += buf.length;
  };
  const obj = (n: number, body: string | Buffer[]) => {
    offsets[n] = length;
    if (typeof body === 'string') push(`${n} 0 obj\n${body}\nendobj\n`);
    else {
      push(`${n} 0 obj\n`);
      for (const b of body) push(b);
      push('\nendobj\n');
    }
  };
  push('%PDF-1.4\n');
  obj(1, '<< /Type /Catalog /Pages 2 0 R >>');
  obj(2, '<< /Type /Pages /Kids [3 0 R] /Count 1 >>');
  obj(3, '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>');
  obj(4, [
    Buffer.from(`<< /Length ${data.length}${extraDict} /Filter ${filters.includes(' ') ? `[${filters}]` : filters} >>\nstream\n`, 'latin1'),
    data,
    Buffer.from('\nendstream', 'latin1'),
  ]);
  const xref = length;
  push(`xref\n0 5\n0000000000 65535 f \n`);
  for (let n = 1; n <= 4; n++) push(`${String(offsets[n]).padStart(10, '0')} 00000 n \n`);
  push(`trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  return Buffer.concat(parts);
}

function zipSyncZlib(data: Buffer): Buffer {
  // Second Flate layer: the bomb's compressed bytes compressed again.
  return deflateSync(data);
}

/** A real DOCX whose document.xml is replaced by `paragraphs` tiny paragraphs (compresses ~300:1). */
async function makeExpandingDocx(paragraphs: number): Promise<Uint8Array> {
  const files = unzipSync(new Uint8Array(await fx.makeDocx()));
  const xml = new TextDecoder().decode(files['word/document.xml']);
  const open = xml.slice(0, xml.indexOf('<w:body>') + '<w:body>'.length);
  const para = '<w:p><w:r><w:t>Lorem ipsum</w:t></w:r></w:p>';
  files['word/document.xml'] = strToU8(`${open}${para.repeat(paragraphs)}</w:body></w:document>`);
  return zipSync(files, { level: 9 });
}

describe('PDF decompression guard', () => {
  it('reads the leading Flate filters of a stream dictionary', () => {
    expect(leadingFlateFilters('<< /Length 5 /Filter /FlateDecode >>')).toBe(1);
    expect(leadingFlateFilters('<< /Filter [/FlateDecode /FlateDecode] >>')).toBe(2);
    expect(leadingFlateFilters('<< /Filter [/ASCII85Decode /FlateDecode] >>')).toBe(0);
    expect(leadingFlateFilters('<< /Length 5 >>')).toBe(0);
  });

  it('refuses a 1 GiB Flate stream in a 1 MB PDF before pdfjs inflates it', async () => {
    const pdf = makeFlateBombPdf(1024);
    expect(pdf.length).toBeLessThan(3 * 1024 * 1024);
    expect((await errorOf(guardPdfStreams(pdf, 'bomb.pdf', 200 * 1024 * 1024))).code).toBe('INPUT_TOO_LARGE');
    // Compressed twice ([/FlateDecode /FlateDecode]) the file is tiny; the guard follows both layers.
    const twice = makeFlateBombPdf(1024, '/FlateDecode /FlateDecode');
    expect(twice.length).toBeLessThan(64 * 1024);
    await expect(guardPdfStreams(twice, 'twice.pdf', 200 * 1024 * 1024)).rejects.toThrow(/twice\.pdf.*decompression bomb/);
    // An image stream is never decoded for text, so it does not count; one that a page names as
    // its content is inflated by pdfjs whatever its dictionary claims, so it does.
    const disguised = makeFlateBombPdf(1024, '/FlateDecode', ' /Type /XObject /Subtype /Image');
    expect((await errorOf(guardPdfStreams(disguised, 'disguised.pdf', 200 * 1024 * 1024))).code).toBe('INPUT_TOO_LARGE');
    const image = Buffer.from(disguised.toString('latin1').replace('/Contents 4 0 R', '/Contents 9 0 R'), 'latin1');
    await expect(guardPdfStreams(image, 'image.pdf', 200 * 1024 * 1024)).resolves.toBeUndefined();
    // Under the budget the same construction passes.
    await expect(guardPdfStreams(makeFlateBombPdf(4), 'small.pdf', 200 * 1024 * 1024)).resolves.toBeUndefined();
  });
});

describe('document sandbox', () => {
  it('fails a 1 GiB Flate-bomb PDF cleanly while a small conversion is answered', async () => {
    const bomb = run(makeFlateBombPdf(1024), 'flate-bomb.pdf', { pdfEngine: 'pdfjs' });
    const small = run(await fx.makeReportPdf({ pages: 2 }), 'small.pdf', { pdfEngine: 'pdfjs' });
    const [bombError, smallResult] = await Promise.all([errorOf(bomb), small]);
    expect(bombError.code).toBe('INPUT_TOO_LARGE');
    expect(bombError.message).toContain('flate-bomb.pdf');
    expect(bombError.message).toContain('limits.maxUncompressedBytes');
    expect(smallResult.markdown).toContain('Section 2 Overview');
  });

  it('fails a DOCX that expands within the zip caps to exhaust memory, and converts the next file', async () => {
    // 120,000 paragraphs stay under the Word-XML element cap (500,000), so the worker's heap cap is
    // what stops this one.
    const docx = await makeExpandingDocx(120_000);
    expect(docx.length).toBeLessThan(1024 * 1024);
    const bomb = run(docx, 'expanding.docx', {
      limits: { ...fx.TEST_LIMITS, documentMemoryMb: 64, documentTimeoutMs: 50_000 },
    });
    const small = run(fx.HTML_PAGE, 'garden.html');
    const [bombError, smallResult] = await Promise.all([errorOf(bomb), small]);
    expect(bombError.code).toBe('INPUT_TOO_LARGE');
    expect(bombError.message).toContain('expanding.docx');
    expect(bombError.message).toContain('limits.documentMemoryMb');
    expect(smallResult.markdown).toContain('Garden');
    // The pool replaced the terminated worker: a normal DOCX still converts.
    const next = await run(await fx.makeDocx(), 'handbook.docx');
    expect(next.markdown).toContain('Project Handbook');
  });

  it('stops HTML nested 2,000 levels deep within the time limit while other work is answered', async () => {
    const html = `<html><body>${'<div>'.repeat(2000)}deep text${'</div>'.repeat(2000)}</body></html>`;
    const nested = run(html, 'nested.html', { limits: { ...fx.TEST_LIMITS, documentTimeoutMs: 4000 } });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    const small = await run('# Notes\n\nplain text', 'notes.md');
    expect(small.markdown).toContain('plain text');
    const outcome = await nested.then(
      (r) => ({ ok: true as const, markdown: r.markdown }),
      (e: unknown) => ({ ok: false as const, error: e as PrechewError }),
    );
    clearInterval(ticker);
    if (outcome.ok) expect(outcome.markdown).toContain('deep text');
    else {
      expect(['TIMEOUT', 'INPUT_TOO_LARGE']).toContain(outcome.error.code);
      expect(outcome.error.message).toContain('nested.html');
    }
    // The event loop kept turning while the document was parsed elsewhere.
    expect(ticks).toBeGreaterThan(0);
  });

  it('queues a burst of documents beyond the busy-worker limit and converts them all', async () => {
    const docs = Array.from({ length: 7 }, (_, i) => `<html><body><h1>Doc ${i}</h1><p>Body of document ${i}.</p></body></html>`);
    const results = await Promise.all(docs.map((html, i) => run(html, `burst-${i}.html`)));
    results.forEach((r, i) => expect(r.markdown).toContain(`Body of document ${i}.`));
  });

  it('cancels a running conversion by terminating its worker', async () => {
    // A long PDF keeps its worker busy for seconds (deep HTML no longer does: it converts quickly).
    const pdf = await fx.makeReportPdf({ pages: 300 });
    const controller = new AbortController();
    const pending = run(pdf, 'cancel.pdf', { signal: controller.signal, pdfEngine: 'pdfjs' });
    setTimeout(() => controller.abort(), 200);
    expect((await errorOf(pending)).code).toBe('CANCELLED');
  });
});

describe('HTTP server with hostile documents (built CLI as a child process)', () => {
  it('answers /healthz and other tool calls while a nested HTML and a Flate-bomb PDF are converted', async () => {
    const dir = tempDir('prechew-sandbox-http-');
    const config = path.join(dir, 'mcp.config.json');
    writeFileSync(config, JSON.stringify({ limits: { documentTimeoutMs: 6000 } }));
    const server = await startHttpChild(['--config', config]);
    try {
      const client = await connectHttp(server.url);
      const nested = `<html><body>${'<div>'.repeat(2000)}deep${'</div>'.repeat(2000)}</body></html>`;
      const slow = client.callTool(
        { name: 'convert', arguments: { data: Buffer.from(nested).toString('base64'), filename: 'nested.html' } },
        { timeout: 60_000 },
      );
      const bomb = client.callTool(
        { name: 'convert', arguments: { data: makeFlateBombPdf(1024).toString('base64'), filename: 'bomb.pdf' } },
        { timeout: 60_000 },
      );
      const health = await fetch(new URL('/healthz', server.url));
      expect(health.status).toBe(200);
      const small = await client.callTool({
        name: 'convert',
        arguments: { data: Buffer.from('# Title\n\nbody words').toString('base64'), filename: 'small.md' },
      });
      expect(small.isError).toBeFalsy();
      const bombResult = await bomb;
      expect(bombResult.isError).toBe(true);
      expect(JSON.stringify(bombResult.content)).toMatch(/bomb\.pdf.*limits\.maxUncompressedBytes/);
      const slowResult = await slow;
      const text = JSON.stringify(slowResult.content);
      if (slowResult.isError) expect(text).toMatch(/nested\.html.*(limits\.documentTimeoutMs|nested too deeply)/);
      else expect(text).toContain('deep');
      // Still serving after both.
      expect((await fetch(new URL('/healthz', server.url))).status).toBe(200);
      await client.close();
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 120_000);
});
