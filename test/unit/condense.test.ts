import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { countTokens } from '../../src/engines/tokenizer.js';
import { condenseTexts, normalizeSource } from '../../src/text/condense.js';
import { condenseTool } from '../../src/tools/condense.js';
import { restoreTool, redactTool } from '../../src/tools/redact.js';
import { callTool, makeTestApp, tempDir } from '../helpers/app.js';

describe('normalize', () => {
  test('page markers and timestamps become citation anchors; headers, footers and hyphenation are cleaned', () => {
    const pages = [1, 2, 3, 4]
      .map(
        (p) =>
          `<!-- page ${p} -->\nACME Corp — Confidential\n\nThe quarterly review of page ${p} found a condens-\ning issue in the pipeline.\nIt was wrapped across two lines.\n\nPage ${p} of 4`,
      )
      .join('\n\n');
    const n = normalizeSource('r.pdf', pages);
    expect(n.text).not.toContain('ACME Corp');
    expect(n.text).not.toContain('Page 1 of 4');
    expect(n.text).not.toContain('<!--');
    expect(n.text).toContain('found a condensing issue in the pipeline. It was wrapped');
    expect(n.anchors.filter((a) => a.page !== undefined).map((a) => a.page)).toEqual([1, 2, 3, 4]);

    const t = normalizeSource(
      'call.m4a',
      '[00:00:01] Hello there.\n[00:12:05.500 --> 00:12:09.000] The budget is final.\n[1:02:03] Bye.',
    );
    expect(t.text).toBe('Hello there. The budget is final. Bye.');
    expect(t.anchors.map((a) => a.time)).toEqual(['00:00:01', '00:12:05', '01:02:03']);
  });

  test('citations name the page or the timestamp of each kept sentence', async () => {
    const doc =
      '<!-- page 1 -->\nIntro text about apples.\n\n<!-- page 2 -->\nThe invoice total was 4,210 euros. Nothing else here.';
    const call = '[00:00:05] We talked about pears.\n[00:12:05] The invoice total was disputed by Tom.';
    const r = await condenseTexts(
      [
        { name: 'doc.pdf', text: doc },
        { name: 'call.m4a', text: call },
      ],
      { query: 'invoice total', budgetTokens: 60 },
    );
    expect(r.context).toContain('[doc.pdf p.2]\nThe invoice total was 4,210 euros.');
    expect(r.context).toContain('[call.m4a 00:12:05]\nThe invoice total was disputed by Tom.');
    expect(countTokens(r.context)).toBeLessThanOrEqual(60);
  });
});

describe('condense tool', () => {
  const app = makeTestApp();
  afterAll(() => app.dispose());
  const long =
    Array.from(
      { length: 300 },
      (_, i) =>
        `Paragraph ${i} talks about shipping schedules and warehouse staffing for region ${i % 7}. The numbers stay roughly flat.`,
    ).join('\n\n') + '\n\nThe secret launch date is 14 March 2027.';

  test('returns a cited context within budget and a report with steps, sources, savings and pricing date', async () => {
    const out = await callTool(app, condenseTool, {
      sources: [{ text: long, name: 'notes.txt' }],
      query: 'When is the launch?',
      budgetTokens: 120,
    });
    expect(out.isError).toBe(false);
    const s = out.structured as {
      context: string;
      report: {
        tokensIn: number;
        tokensOut: number;
        ratio: number;
        steps: Array<{ name: string }>;
        sources: Array<{ name: string; tokensKept: number }>;
        estimatedCostSaved: Array<{ usd: number }>;
        pricingDate: string;
        cached: boolean;
      };
    };
    expect(s.context).toContain('14 March 2027');
    expect(s.context.startsWith('[notes.txt]')).toBe(true);
    expect(countTokens(s.context)).toBeLessThanOrEqual(120);
    expect(s.report.tokensOut).toBe(countTokens(s.context));
    expect(s.report.steps.map((x) => x.name)).toEqual([
      'normalize',
      'chunk',
      'dedupe',
      'index',
      'rank',
      'select',
      'assemble',
    ]);
    expect(s.report.sources[0]!.name).toBe('notes.txt');
    expect(s.report.estimatedCostSaved.length).toBeGreaterThan(0);
    expect(s.report.estimatedCostSaved.every((e) => e.usd > 0)).toBe(true);
    expect(s.report.pricingDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(s.report.cached).toBe(false);
    expect(out.text).toContain('Condensed');

    const again = await callTool(app, condenseTool, {
      sources: [{ text: long, name: 'notes.txt' }],
      query: 'When is the launch?',
      budgetTokens: 120,
    });
    expect((again.structured as { report: { cached: boolean }; context: string }).report.cached).toBe(true);
    expect((again.structured as { context: string }).context).toBe(s.context);
  });

  test('reads files inside roots and base64 data; entity appendix stays within budget', async () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, 'memo.txt'),
      'Dr. Maria Garcia of Acme Corp met James Thompson in Berlin on 3 May 2024 to discuss the merger. The merger price was $12 million.',
    );
    const data = Buffer.from(
      'Unrelated notes about lunch. The merger needs approval from regulators in Paris.',
    ).toString('base64');
    const out = await callTool(
      app,
      condenseTool,
      {
        sources: [{ path: path.join(dir, 'memo.txt') }, { data, filename: 'extra.md' }],
        query: 'merger price',
        budgetTokens: 200,
        entities: true,
      },
      { clientRoots: [dir] },
    );
    expect(out.isError).toBe(false);
    const s = out.structured as { context: string };
    expect(s.context).toContain('[memo.txt]');
    expect(s.context).toContain('$12 million');
    expect(s.context).toContain('Entities');
    expect(countTokens(s.context)).toBeLessThanOrEqual(200);
  });

  test('privacy pseudonymize: no private value in the context, restore brings them back', async () => {
    const text =
      'Maria Garcia (maria.garcia@example.com) approved the refund to card 4111 1111 1111 1111. The refund was approved on Monday.';
    const out = await callTool(app, condenseTool, {
      sources: [{ text, name: 'ticket' }],
      query: 'Who approved the refund?',
      budgetTokens: 100,
      privacy: 'pseudonymize',
    });
    expect(out.isError).toBe(false);
    const s = out.structured as {
      context: string;
      vaultId: string;
      report: { redactions: Record<string, number> };
    };
    for (const v of ['Maria', 'Garcia', 'maria.garcia@example.com', '4111'])
      expect(s.context).not.toContain(v);
    expect(s.report.redactions).toMatchObject({ PERSON: 1, EMAIL: 1, CARD: 1 });
    const back = await callTool(app, restoreTool, { text: s.context, vaultId: s.vaultId });
    expect((back.structured as { text: string }).text).toContain(
      'Maria Garcia (maria.garcia@example.com) approved the refund to card 4111 1111 1111 1111.',
    );
  });

  test('redact → restore through the tools, continuing one vault', async () => {
    const a = await callTool(app, redactTool, {
      text: 'Email ann@example.com about Project Bluebird.',
      terms: ['Project Bluebird'],
    });
    const sa = a.structured as { text: string; vaultId: string; counts: Record<string, number> };
    expect(sa.text).toBe('Email ⟦EMAIL_1⟧ about ⟦TERM_1⟧.');
    expect(sa.counts).toEqual({ EMAIL: 1, TERM: 1 });
    expect(a.text).not.toContain('ann@example.com'.slice(0, 3) + '@');
    const b = await callTool(app, redactTool, {
      text: 'Also cc bob@example.com and ann@example.com.',
      vaultId: sa.vaultId,
    });
    expect((b.structured as { text: string }).text).toBe('Also cc ⟦EMAIL_2⟧ and ⟦EMAIL_1⟧.');
    const r = await callTool(app, restoreTool, {
      text: 'I wrote to [email_2] and EMAIL_1 about TERM_1.',
      vaultId: sa.vaultId,
    });
    expect((r.structured as { text: string }).text).toBe(
      'I wrote to bob@example.com and ann@example.com about Project Bluebird.',
    );
    const missing = await callTool(app, restoreTool, { text: 'x', vaultId: 'v_000000000000000000000000' });
    expect(missing.isError).toBe(true);
    expect(missing.error?.code).toBe('NOT_FOUND');
  });

  test('one failing source does not fail the call: the others are condensed, the failure is reported', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'good.txt'), 'The warehouse reopens on 9 June after the roof repair.');
    const out = await callTool(
      app,
      condenseTool,
      {
        sources: [
          { path: path.join(dir, 'missing.txt') },
          { path: path.join(dir, 'good.txt') },
          { data: Buffer.from([0, 1, 2, 3, 0, 255]).toString('base64'), filename: 'blob.bin' },
          { text: 'Staff were told by email on Friday.', name: 'email' },
        ],
        query: 'When does the warehouse reopen?',
        budgetTokens: 100,
      },
      { clientRoots: [dir] },
    );
    expect(out.isError).toBe(false);
    const s = out.structured as {
      context: string;
      report: {
        sources: Array<{ name: string }>;
        failedSources: Array<{ name: string; code: string; message: string }>;
      };
    };
    expect(s.context).toContain('9 June');
    expect(s.report.sources.map((x) => x.name)).toEqual(['good.txt', 'email']);
    expect(s.report.failedSources.map((f) => [f.name, f.code])).toEqual([
      [path.join(dir, 'missing.txt'), 'FILE_NOT_FOUND'],
      ['blob.bin', 'UNSUPPORTED_FORMAT'],
    ]);
    for (const f of s.report.failedSources) expect(f.message.length).toBeGreaterThan(10);
    expect(out.text).toMatch(
      /Left out 2 source\(s\) that could not be read: .*missing\.txt \(FILE_NOT_FOUND\)/,
    );
    expect(out.text).toContain('blob.bin (UNSUPPORTED_FORMAT)');

    // Only when every source fails is it an error, naming each source and why.
    const all = await callTool(
      app,
      condenseTool,
      {
        sources: [
          { path: path.join(dir, 'missing.txt') },
          { data: Buffer.from([0, 1, 2, 3, 0, 255]).toString('base64'), filename: 'blob.bin' },
        ],
      },
      { clientRoots: [dir] },
    );
    expect(all.isError).toBe(true);
    expect(all.error?.code).toBe('FILE_NOT_FOUND');
    expect(all.text).toMatch(/Every source failed/);
    expect(all.text).toContain('"blob.bin" (UNSUPPORTED_FORMAT)');
  });

  test('bad input: empty sources, budget below minimum, unreadable source, binary data', async () => {
    const empty = await callTool(app, condenseTool, { sources: [] });
    expect(empty.isError).toBe(true);
    expect(empty.error?.code).toBe('INVALID_INPUT');
    expect(empty.text).toMatch(/at least one source/);

    const small = await callTool(app, condenseTool, { sources: [{ text: 'Hello.' }], budgetTokens: 10 });
    expect(small.error?.code).toBe('INVALID_INPUT');
    expect(small.text).toMatch(/at least 50/);

    const dir = tempDir();
    const missing = await callTool(
      app,
      condenseTool,
      { sources: [{ path: path.join(dir, 'nope.txt') }] },
      { clientRoots: [dir] },
    );
    expect(missing.isError).toBe(true);
    expect(missing.error?.code).toBe('FILE_NOT_FOUND');

    const binary = await callTool(app, condenseTool, {
      sources: [{ data: Buffer.from([0, 1, 2, 3, 0, 255]).toString('base64'), filename: 'x.bin' }],
    });
    expect(binary.error?.code).toBe('UNSUPPORTED_FORMAT');

    const blank = await callTool(app, condenseTool, { sources: [{ text: '   \n ' }] });
    expect(blank.error?.code).toBe('INVALID_INPUT');
  });
});
