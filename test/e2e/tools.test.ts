/**
 * The document and context tools through the real server process over stdio: a PDF converted
 * and paginated, condensed with citations, summarized and classified without a model, and a
 * redact/restore round trip — the same calls Claude Desktop makes.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/client';
import { connectStdio } from '../helpers/cli.js';
import { tempDir } from '../helpers/app.js';
import { makeReportPdf } from '../helpers/make-documents.js';

function textOf(result: { content?: unknown }): string {
  return ((result.content ?? []) as Array<{ text?: string }>).map((c) => c.text ?? '').join('\n');
}

describe('document and context tools over stdio', () => {
  let client: Client;
  let root: string;

  beforeAll(async () => {
    root = tempDir('prechew-tools-root-');
    writeFileSync(path.join(root, 'report.pdf'), await makeReportPdf({ pages: 4 }));
    writeFileSync(path.join(root, 'report-wrong-extension.txt'), await makeReportPdf({ pages: 2 }));
    writeFileSync(path.join(root, 'garbage.pdf'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)));
    ({ client } = await connectStdio(['--root', root]));
  });
  afterAll(async () => {
    await client?.close();
  });

  it('lists every tool', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    for (const n of ['convert', 'transcribe', 'extract-entities', 'dedupe', 'summarize', 'classify', 'condense', 'redact', 'restore', 'ask']) {
      expect(names).toContain(n);
    }
  });

  it('converts a PDF with page markers and headings, sniffing a wrong extension', async () => {
    const r = await client.callTool({ name: 'convert', arguments: { path: 'report.pdf', pages: '2-3' } });
    expect(r.isError).toBeFalsy();
    const s = r.structuredContent as { markdown: string; metadata: { format: string } };
    expect(s.metadata.format).toBe('pdf');
    expect(s.markdown).toMatch(/<!-- page 2 -->/);
    expect(s.markdown).toMatch(/#+ Section 2 Overview/);
    expect(s.markdown).not.toMatch(/<!-- page 1 -->/);
    const sniffed = await client.callTool({ name: 'convert', arguments: { path: 'report-wrong-extension.txt' } });
    expect((sniffed.structuredContent as { metadata: { format: string } }).metadata.format).toBe('pdf');
    const bad = await client.callTool({ name: 'convert', arguments: { path: 'garbage.pdf' } });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/garbage\.pdf/);
  });

  it('paginates a long result with a cursor and loses nothing', async () => {
    const long = Array.from({ length: 3000 }, (_, i) => `Paragraph ${i}: a distinct line about topic ${i} and measurement ${i * 7}.`).join('\n\n');
    const first = await client.callTool({ name: 'dedupe', arguments: { text: long, mode: 'exact' } });
    const page = (first.structuredContent as { page?: { nextCursor?: string; count: number } }).page;
    expect(page?.count).toBeGreaterThan(1);
    const ids: string[] = [...(first.structuredContent as { unique: Array<{ id: string }> }).unique.map((u) => u.id)];
    let cursor = page?.nextCursor;
    while (cursor) {
      const next = await client.callTool({ name: 'dedupe', arguments: { cursor } });
      const sc = next.structuredContent as { unique: Array<{ id: string }>; page: { nextCursor?: string } };
      ids.push(...sc.unique.map((u) => u.id));
      cursor = sc.page.nextCursor;
    }
    expect(ids).toHaveLength(3000);
    expect(new Set(ids).size).toBe(3000);
  });

  it('condenses a PDF for a question, with citations and within budget', async () => {
    const r = await client.callTool({
      name: 'condense',
      arguments: { sources: [{ path: 'report.pdf' }, { text: 'Unrelated note about gardening and tomatoes.', name: 'note' }], query: 'How did the documentation change?', budgetTokens: 120 },
    });
    expect(r.isError).toBeFalsy();
    const s = r.structuredContent as { context: string; report: { tokensOut: number } };
    expect(s.report.tokensOut).toBeLessThanOrEqual(120);
    expect(s.context).toMatch(/documentation/);
    expect(s.context).toMatch(/\[report\.pdf p\.1\]/);
  });

  it('summarizes and classifies without a model', async () => {
    const sum = await client.callTool({ name: 'summarize', arguments: { path: 'report.pdf', engine: 'extractive' } });
    expect(sum.isError).toBeFalsy();
    expect((sum.structuredContent as { engine: string }).engine).toBe('extractive');
    const cls = await client.callTool({ name: 'classify', arguments: { texts: ['I love this, it works perfectly!', 'Terrible, it broke after a day.'], task: 'sentiment' } });
    expect(cls.isError).toBeFalsy();
    const items = (cls.structuredContent as { items: Array<{ label: string }> }).items;
    expect(items.map((i) => i.label)).toEqual(['positive', 'negative']);
  });

  it('redacts private data and restores it exactly', async () => {
    const original = 'Maria Lopez (maria.lopez@example.com, +1 415 555 0199) paid with 4111 1111 1111 1111.';
    const red = await client.callTool({ name: 'redact', arguments: { text: original } });
    expect(red.isError).toBeFalsy();
    const rs = red.structuredContent as { text: string; vaultId: string };
    expect(rs.text).not.toContain('maria.lopez@example.com');
    expect(rs.text).not.toContain('4111 1111 1111 1111');
    const back = await client.callTool({ name: 'restore', arguments: { text: rs.text, vaultId: rs.vaultId } });
    expect((back.structuredContent as { text: string }).text).toBe(original);
  });

  it('ask fails clearly without an API key', async () => {
    const r = await client.callTool({ name: 'ask', arguments: { question: 'What?', sources: [{ text: 'Some text.' }], provider: 'anthropic' } });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/ANTHROPIC_API_KEY/);
  });
});
