import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { costUsd } from '../../src/cloud/pricing.js';
import { tempDir } from '../helpers/app.js';
import { connectHttp, runCli, startHttpChild, type HttpChild } from '../helpers/cli.js';
import { startFakeProviders, type FakeProviders } from '../helpers/fake-providers.js';

// A real server records its calls in the ledger; `prechew stats` (another process) and the
// prechew://stats resource read them back. The provider for `ask` is a loopback fake speaking the
// Anthropic wire format, so usage and cost are real figures from a real SDK response.

const SECRET_WORD = 'Quetzalcoatlus-7781';
const paragraph = (i: number) =>
  `Section ${i}. The ${SECRET_WORD} maintenance schedule covers the pumps, valves and filters of plant ${i % 7}. ` +
  `Operators check pressure every morning, log anomalies in the shared sheet, and escalate leaks above two litres per hour to the shift lead. ` +
  `Spare parts are ordered on Mondays; urgent ones through the supplier hotline.`;
const longText = Array.from({ length: 120 }, (_, i) => paragraph(i)).join('\n\n');

interface Stats {
  totals: {
    calls: number;
    errors: number;
    tokensIn: number;
    tokensOut: number;
    naiveTokens: number;
    tokensSaved: number;
    cacheHits: number;
    cacheLookups: number;
    savedUsd: Record<string, number>;
    provider: { calls: number; inputTokens: number; outputTokens: number; costUsd: number; naiveCostUsd: number; savedUsd: number };
  };
  perDay: Array<{ day: string; calls: number }>;
  perTool: Array<{ tool: string; calls: number; errors: number; tokensSaved: number; cacheHits: number }>;
  perPeer: Array<{ node: string; units: number }>;
  errors: Array<{ code: string; count: number }>;
}

describe('savings ledger: real server calls show up in `prechew stats` and prechew://stats', { timeout: 120_000 }, () => {
  let fake: FakeProviders;
  let server: HttpChild;
  let dataDir: string;
  let configPath: string;

  beforeAll(async () => {
    fake = await startFakeProviders();
    fake.usage = { input: 700, output: 40 };
    fake.answer = 'Pressure is checked every morning.';
    dataDir = tempDir('prechew-stats-');
    configPath = path.join(dataDir, 'mcp.config.json');
    writeFileSync(
      configPath,
      JSON.stringify({ data: { dir: dataDir }, cloud: { anthropic: { apiKey: 'sk-ant-test-key-123456', baseURL: fake.anthropicURL }, maxRetries: 0 } }),
    );
    server = await startHttpChild(['--config', configPath], { PRECHEW_DATA_DIR: dataDir });
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
  });

  it('records condense (twice: the second from the cache), dedupe, a failed call and ask; stats agree across CLI and resource', async () => {
    const before = await runCli(['stats', '--config', configPath], { env: { PRECHEW_DATA_DIR: dataDir } });
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/no tool calls recorded yet/);

    const client = await connectHttp(server.url);
    try {
      const condense = async () => {
        const r = await client.callTool({ name: 'condense', arguments: { sources: [{ text: longText }], query: 'when is pressure checked', budgetTokens: 300 } });
        expect(r.isError ?? false).toBe(false);
        return r.structuredContent as { report: { tokensIn: number; tokensOut: number; cached: boolean } };
      };
      const first = await condense();
      const second = await condense();
      expect(second.report.cached).toBe(true);
      const dup = await client.callTool({ name: 'dedupe', arguments: { items: ['alpha beta gamma', 'alpha beta gamma', 'delta epsilon'] } });
      expect(dup.isError ?? false).toBe(false);
      const bad = await client.callTool({ name: 'condense', arguments: { sources: [], budgetTokens: 10 } });
      expect(bad.isError).toBe(true);
      const ask = await client.callTool({
        name: 'ask',
        arguments: { question: 'When is pressure checked?', sources: [{ text: longText }], provider: 'anthropic', model: 'claude-sonnet-4-5', budgetTokens: 300, privacy: 'off', privacyCheck: 'off' },
      });
      expect(ask.isError ?? false, JSON.stringify(ask.content)).toBe(false);
      const askReport = (ask.structuredContent as { report: { naive: { inputTokens: number; costUsd: number }; costUsd: number } }).report;

      const cli = await runCli(['stats', '--json', '--since', '1h', '--config', configPath], { env: { PRECHEW_DATA_DIR: dataDir } });
      expect(cli.code, cli.stderr).toBe(0);
      const stats = JSON.parse(cli.stdout) as Stats;
      const t = stats.totals;
      expect(t.calls).toBe(5);
      expect(t.errors).toBe(1);
      expect(stats.errors).toEqual([expect.objectContaining({ code: 'INVALID_INPUT', count: 1 })]);
      const condenseRow = stats.perTool.find((r) => r.tool === 'condense')!;
      expect(condenseRow).toMatchObject({ calls: 3, errors: 1 });
      // Both successful condense calls saved the same tokens (the second came from the cache).
      expect(condenseRow.tokensSaved).toBe(2 * (first.report.tokensIn - first.report.tokensOut));
      expect(condenseRow.cacheHits).toBeGreaterThanOrEqual(1);
      expect(stats.perTool.find((r) => r.tool === 'dedupe')?.calls).toBe(1);
      expect(t.tokensSaved).toBeGreaterThan(2 * (first.report.tokensIn - first.report.tokensOut));
      expect(t.savedUsd['claude-sonnet-4-5']).toBeGreaterThan(0);
      // ask: the provider's real usage and the cost from the pricing table.
      expect(t.provider).toMatchObject({ calls: 1, inputTokens: 700, outputTokens: 40 });
      expect(t.provider.costUsd).toBeCloseTo(costUsd('claude-sonnet-4-5', 700, 40)!, 6);
      expect(t.provider.naiveCostUsd).toBeCloseTo(askReport.naive.costUsd, 6);
      expect(t.provider.savedUsd).toBeCloseTo(askReport.naive.costUsd - askReport.costUsd, 6);
      expect(stats.perDay).toHaveLength(1);
      expect(stats.perDay[0]!.calls).toBe(5);

      // The resource gives the same figures.
      const resource = await client.readResource({ uri: 'prechew://stats' });
      const fromResource = JSON.parse((resource.contents[0] as { text: string }).text) as Stats;
      expect(fromResource.totals.calls).toBe(5);
      expect(fromResource.totals.tokensSaved).toBe(t.tokensSaved);
      expect(fromResource.perTool.map((r) => r.tool).sort()).toEqual(stats.perTool.map((r) => r.tool).sort());

      const text = await runCli(['stats', '--config', configPath], { env: { PRECHEW_DATA_DIR: dataDir } });
      expect(text.stdout).toMatch(/calls: 5 \(1 failed\)/);
      expect(text.stdout).toMatch(/ask: 1 requests, 700 in \/ 40 out tokens/);
      expect(text.stdout).toMatch(/INVALID_INPUT/);
    } finally {
      await client.close();
    }
    // Counts only: no word of the input is in the ledger files.
    for (const file of readdirSync(dataDir).filter((f) => f.startsWith('ledger.sqlite'))) {
      expect(readFileSync(path.join(dataDir, file)).includes(SECRET_WORD)).toBe(false);
    }
  });

  it('refuses a --since it cannot read, with the forms it accepts', async () => {
    const r = await runCli(['stats', '--since', 'last tuesday', '--config', configPath], { env: { PRECHEW_DATA_DIR: dataDir } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/30m, 24h, 7d or 2w/);
  });
});
