import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { convertTool, documentFileReader } from '../../src/tools/convert.js';
import type { ToolContext } from '../../src/tools/types.js';
import { callTool, makeTestApp, tempDir } from '../helpers/app.js';
import * as fx from '../helpers/make-documents.js';

const apps: App[] = [];
function app(overrides: Record<string, unknown> = {}): { app: App; dir: string } {
  const dir = tempDir('prechew-convert-');
  const a = makeTestApp({ files: { roots: [dir] }, ...overrides });
  apps.push(a);
  return { app: a, dir };
}
afterEach(async () => {
  for (const a of apps.splice(0)) await a.dispose();
});

interface Meta {
  format: string;
  pages?: number;
  pagesConverted?: number;
  words: number;
  tokens: number;
  engine: string;
  cached: boolean;
  bytes: number;
}

describe('convert tool', () => {
  it('converts a PDF by path and serves the second conversion from the cache', async () => {
    const { app: a, dir } = app();
    const pdf = await fx.makeReportPdf();
    writeFileSync(path.join(dir, 'report.pdf'), pdf);
    const first = await callTool(a, convertTool, { path: 'report.pdf' });
    expect(first.isError).toBe(false);
    const out = first.structured as { markdown: string; title?: string; metadata: Meta; warnings: string[] };
    expect(out.metadata).toMatchObject({
      format: 'pdf',
      pages: 4,
      pagesConverted: 4,
      cached: false,
      bytes: pdf.length,
    });
    expect(out.metadata.words).toBeGreaterThan(50);
    expect(out.metadata.tokens).toBeGreaterThan(50);
    expect(out.title).toBe('Quarterly Report Fixture');
    expect(out.markdown).toContain('<!-- page 4 -->');
    expect(first.text).toContain('Marker sentence for page 2.');
    const second = await callTool(a, convertTool, { path: path.join(dir, 'report.pdf') });
    const again = second.structured as { markdown: string; metadata: Meta };
    expect(again.metadata.cached).toBe(true);
    expect(again.markdown).toBe(out.markdown);
    // Different options are a different cache entry.
    const ranged = await callTool(a, convertTool, { path: 'report.pdf', pages: '2' });
    expect((ranged.structured as { metadata: Meta }).metadata).toMatchObject({
      cached: false,
      pagesConverted: 1,
    });
  });

  it('accepts base64 data with a filename and plain-text output', async () => {
    const { app: a } = app();
    const docx = await fx.makeDocx();
    const r = await callTool(a, convertTool, {
      data: docx.toString('base64'),
      filename: 'handbook.docx',
      format: 'text',
    });
    expect(r.isError).toBe(false);
    const out = r.structured as { markdown: string; metadata: Meta };
    expect(out.metadata.format).toBe('docx');
    expect(out.markdown).toMatch(/^Daily Routine$/m);
    expect(out.markdown).toContain('Alice Martin\tLead\t555-0101');
    expect(out.markdown).not.toContain('##');
  });

  it('returns specific errors for bad input, and the next call still succeeds', async () => {
    const { app: a, dir } = app({ limits: { maxInputBytes: 200_000 } });
    const pdf = await fx.makeReportPdf();
    writeFileSync(path.join(dir, 'ok.pdf'), pdf);
    writeFileSync(path.join(dir, 'empty.pdf'), Buffer.alloc(0));
    writeFileSync(path.join(dir, 'half.pdf'), pdf.subarray(0, pdf.length >> 1));
    writeFileSync(path.join(dir, 'locked.pdf'), await fx.makeEncryptedPdf());
    writeFileSync(path.join(dir, 'scan.pdf'), await fx.makeScannedPdf());
    writeFileSync(path.join(dir, 'bomb.docx'), fx.makeLyingZip());
    writeFileSync(path.join(dir, 'huge.txt'), Buffer.alloc(300_000, 'a'));
    const random = Buffer.alloc(2048);
    for (let i = 0; i < random.length; i++) random[i] = ((i * 2654435761) >>> 11) & 0xff;
    writeFileSync(path.join(dir, 'random.pdf'), random);
    const outside = tempDir('prechew-outside-');
    writeFileSync(path.join(outside, 'secret.pdf'), pdf);
    const cases: Array<[Record<string, unknown>, string, string?]> = [
      [{ path: 'empty.pdf' }, 'INVALID_INPUT', 'empty.pdf'],
      [{ path: 'half.pdf' }, 'CORRUPT_FILE', 'half.pdf'],
      [{ path: 'locked.pdf' }, 'ENCRYPTED_FILE', 'locked.pdf'],
      [{ path: 'scan.pdf' }, 'NEEDS_OCR', 'scan.pdf'],
      [{ path: 'random.pdf' }, 'CORRUPT_FILE', 'random.pdf'],
      [{ path: 'bomb.docx' }, 'INPUT_TOO_LARGE', 'zip bomb'],
      [{ path: 'huge.txt' }, 'INPUT_TOO_LARGE'],
      [{ data: Buffer.alloc(300_000).toString('base64'), filename: 'big.bin' }, 'INPUT_TOO_LARGE'],
      [{ path: path.join(outside, 'secret.pdf') }, 'PATH_OUTSIDE_ROOTS'],
      [{ path: 'missing.pdf' }, 'FILE_NOT_FOUND'],
      [{ path: 'ok.pdf', data: 'AAAA' }, 'INVALID_INPUT'],
      [{ data: '***not base64***', filename: 'x.pdf' }, 'INVALID_INPUT'],
      [{ path: 'ok.pdf', pages: '40-50' }, 'INVALID_INPUT'],
    ];
    for (const [args, code, mention] of cases) {
      const r = await callTool(a, convertTool, args);
      expect(r.isError, JSON.stringify(args).slice(0, 80)).toBe(true);
      expect(r.error?.code, JSON.stringify(args).slice(0, 80)).toBe(code);
      if (mention) expect(r.error?.message).toContain(mention);
      const ok = await callTool(a, convertTool, { path: 'ok.pdf', pages: '1' });
      expect(ok.isError).toBe(false);
      expect(ok.text).toContain('Marker sentence for page 1.');
    }
  });

  it('paginates a long conversion through the framework budget', async () => {
    const { app: a, dir } = app();
    const lines = Array.from(
      { length: 400 },
      (_, i) => `Line ${i} of a long plain text document with several words in it.`,
    );
    writeFileSync(path.join(dir, 'long.md'), lines.join('\n\n'));
    const r = await callTool(a, convertTool, { path: 'long.md' }, { maxOutputTokens: 1000 });
    expect(r.isError).toBe(false);
    const page = (r.structured as { page?: { count: number; nextCursor?: string } }).page;
    expect(page?.count).toBeGreaterThan(1);
    expect(r.text).toContain('Line 0 of');
    expect(r.text).not.toContain('Line 399 of');
    const next = await callTool(a, convertTool, { cursor: page!.nextCursor });
    expect(next.isError).toBe(false);
    expect(next.text).not.toContain('Line 0 of');
    expect(next.text).toMatch(/Line \d+ of/);
  });
});

describe('convert tool progress', () => {
  it('reports progress per PDF page, always increasing, ending with done', async () => {
    const { app: a, dir } = app();
    writeFileSync(path.join(dir, 'long.pdf'), await fx.makeReportPdf({ pages: 30 }));
    const updates: Array<{ progress: number; total?: number | undefined; message?: string | undefined }> = [];
    const r = await callTool(a, convertTool, { path: 'long.pdf' }, { onProgress: (u) => updates.push(u) });
    expect(r.isError).toBe(false);
    const pages = updates.filter((u) => /^page \d+ of \d+$/.test(u.message ?? ''));
    expect(pages.length).toBe(30);
    expect(pages[pages.length - 1]!.message).toBe('page 30 of 30');
    for (let i = 1; i < updates.length; i++) expect(updates[i]!.progress).toBeGreaterThan(updates[i - 1]!.progress);
    expect(updates[updates.length - 1]).toMatchObject({ progress: 31, total: 31, message: 'done' });
  });
});

describe('documentFileReader', () => {
  function ctxFor(a: App): ToolContext {
    return {
      app: a,
      signal: new AbortController().signal,
      progress: () => undefined,
      clientRoots: async () => [],
    };
  }

  it('converts documents for other tools and leaves plain text and non-documents to the default path', async () => {
    const { app: a } = app();
    const doc = await documentFileReader(await fx.makeDocx(), 'handbook.docx', ctxFor(a));
    expect(doc?.format).toBe('docx');
    expect(doc?.text).toContain('## Daily Routine');
    const pdf = await documentFileReader(Buffer.from(await fx.makeReportPdf()), 'r.pdf', ctxFor(a));
    expect(pdf?.text).toContain('<!-- page 1 -->');
    expect(await documentFileReader(Buffer.from('plain words'), 'notes.txt', ctxFor(a))).toBeUndefined();
    expect(await documentFileReader(Buffer.from('a,b\n1,2\n'), 'table.csv', ctxFor(a))).toBeUndefined();
    expect(
      await documentFileReader(Buffer.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0]), 'song.mp3', ctxFor(a)),
    ).toBeUndefined();
    await expect(
      documentFileReader(Buffer.from(await fx.makeScannedPdf()), 'scan.pdf', ctxFor(a)),
    ).rejects.toMatchObject({ code: 'NEEDS_OCR' });
  });
});
