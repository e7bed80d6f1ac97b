import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatchUnits, type UnitBackend } from '../../src/jobs/dispatch.js';
import { LocalExecutor, makeUnit, runUnits } from '../../src/jobs/units.js';
import { openLedger } from '../../src/store/ledger.js';
import { parseSince } from '../../src/store/stats-report.js';
import { getActivity, trackToolCall } from '../../src/tools/activity.js';
import { dedupeTool } from '../../src/tools/dedupe.js';
import { callTool, makeTestApp, tempDir } from '../helpers/app.js';

describe('savings ledger (real SQLite)', () => {
  it('sums calls per day, tool and node, and series per minute', () => {
    const dir = tempDir();
    const ledger = openLedger(dir);
    const day = Date.UTC(2026, 0, 10, 12, 0, 0);
    ledger.record({ at: day, tool: 'condense', ms: 5, tokensIn: 1000, tokensOut: 100, naiveTokens: 1000, savings: [{ provider: 'anthropic', model: 'claude-sonnet-4-5', usd: 0.0027 }], units: { local: 2, 'peer-a': 3 }, cacheLookups: 1 });
    ledger.record({ at: day + 30_000, tool: 'condense', ms: 1, tokensIn: 1000, tokensOut: 100, naiveTokens: 1000, cached: true, cacheHits: 1, cacheLookups: 1, savings: [{ provider: 'anthropic', model: 'claude-sonnet-4-5', usd: 0.0027 }] });
    ledger.record({ at: day + 86_400_000, tool: 'dedupe', ms: 2, tokensIn: 50, tokensOut: 50, naiveTokens: 50, units: { 'peer-a': 1 } });
    ledger.record({ at: day + 86_400_000 + 1, tool: 'summarize', ms: 2, errorCode: 'INVALID_INPUT' });
    const all = ledger.stats();
    expect(all.totals).toMatchObject({ calls: 4, errors: 1, tokensSaved: 1800, naiveTokens: 2050, cacheHits: 1, cacheLookups: 2, cachedCalls: 1, units: 6 });
    expect(all.totals.savedUsd['claude-sonnet-4-5']).toBeCloseTo(0.0054, 6);
    expect(all.perDay.map((d) => [d.day, d.calls, d.tokensSaved])).toEqual([
      ['2026-01-10', 2, 1800],
      ['2026-01-11', 2, 0],
    ]);
    expect(all.perTool.find((t) => t.tool === 'condense')).toMatchObject({ calls: 2, tokensSaved: 1800, units: 5 });
    expect(all.perPeer).toEqual([
      { node: 'peer-a', units: 4, calls: 2 },
      { node: 'local', units: 2, calls: 1 },
    ]);
    expect(all.errors).toEqual([{ code: 'INVALID_INPUT', count: 1, last: day + 86_400_000 + 1 }]);
    // --since leaves the first day out.
    expect(ledger.stats(day + 3_600_000).totals.calls).toBe(2);
    const series = ledger.series(day - 60_000, 60_000, 'claude-sonnet-4-5');
    expect(series[0]).toMatchObject({ at: day, calls: 2, tokensSaved: 1800, units: { local: 2, 'peer-a': 3 } });
    expect(series[0]!.savedUsd).toBeCloseTo(0.0054, 6);
    expect(ledger.recentErrors(5)).toEqual([{ at: day + 86_400_000 + 1, tool: 'summarize', code: 'INVALID_INPUT' }]);
    ledger.close();
    // Reopened with a retention of one day (relative to now): these old rows go.
    const reopened = openLedger(dir, 1);
    expect(reopened.stats().totals.calls).toBe(0);
    reopened.close();
  });

  it('a ledger that cannot be opened turns recording off instead of failing calls', () => {
    const dir = tempDir();
    const ledger = openLedger(path.join(dir, 'no\0such'));
    expect(ledger.path).toBeUndefined();
    ledger.record({ at: Date.now(), tool: 'condense', ms: 1 });
    expect(ledger.stats().totals.calls).toBe(0);
  });

  it('a corrupt ledger file is moved aside and a new one started', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'ledger.sqlite'), Buffer.alloc(8192, 0x5a));
    const ledger = openLedger(dir);
    ledger.record({ at: Date.now(), tool: 'dedupe', ms: 1 });
    expect(ledger.stats().totals.calls).toBe(1);
    ledger.close();
    expect(readdirSync(dir).some((f) => /^ledger\.sqlite\.corrupt-\d+$/.test(f))).toBe(true);
  });

  it('counts units per node inside a tool call, locally and through the dispatcher, and tracks the call while it runs', async () => {
    const app = makeTestApp();
    const executor = app.executor as LocalExecutor;
    executor.register('test.double', (n: number) => n * 2);
    const activity = getActivity(app);
    const seen: number[] = [];
    activity.on('change', () => {
      for (const c of activity.running.values()) seen.push(Object.values(c.units).reduce((a, b) => a + b, 0));
    });
    const call = trackToolCall('test-tool', { app, signal: new AbortController().signal, progress: () => undefined, clientRoots: async () => [] });
    const peer: UnitBackend = { id: 'peer:p1', label: 'p1', local: false, slots: () => 1, accepts: () => true, run: async (u) => (u.input as number) * 2 };
    const local: UnitBackend = { id: 'local', label: 'this node', local: true, slots: () => 1, accepts: () => true, run: (u, c) => executor.run(u, { signal: c.signal }) };
    await call.run(async () => {
      await runUnits(executor, [1, 2, 3].map((n) => makeUnit('test.double', n)));
      await dispatchUnits([4, 5, 6, 7].map((n) => makeUnit('test.double', n)), [local, peer]);
    });
    expect(activity.running.size).toBe(1);
    call.finish(undefined);
    expect(activity.running.size).toBe(0);
    expect(Math.max(...seen)).toBe(7);
    const stats = openLedger(app.config.data.dir!).stats();
    expect(stats.totals.calls).toBe(1);
    expect(stats.perPeer.reduce((a, p) => a + p.units, 0)).toBe(7);
    expect(stats.perPeer.find((p) => p.node === 'local')!.units).toBeGreaterThanOrEqual(3);
    // Units outside a tool call (a peer's unit run for someone else) are not counted anywhere.
    await runUnits(executor, [makeUnit('test.double', 9)]);
    await app.dispose();
  });

  it('records a real tool call through invokeTool, with no content in the file', async () => {
    const app = makeTestApp();
    const secret = 'Zanzibar-Lighthouse-4471';
    const out = await callTool(app, dedupeTool, { items: [`${secret} alpha`, `${secret} alpha`, 'beta'] });
    expect(out.isError).toBe(false);
    await app.dispose();
    const ledger = openLedger(app.config.data.dir!);
    expect(ledger.stats().perTool).toEqual([expect.objectContaining({ tool: 'dedupe', calls: 1, errors: 0 })]);
    ledger.close();
    expect(readFileSync(path.join(app.config.data.dir!, 'ledger.sqlite')).includes(secret)).toBe(false);
  });

  it('parses --since', () => {
    const now = Date.UTC(2026, 5, 1);
    expect(parseSince('7d', now)).toBe(now - 7 * 86_400_000);
    expect(parseSince('90m', now)).toBe(now - 90 * 60_000);
    expect(parseSince('all', now)).toBeUndefined();
    expect(parseSince('2026-05-01', now)).toBe(Date.UTC(2026, 4, 1));
    expect(() => parseSince('yesterday', now)).toThrow(/30m, 24h, 7d or 2w/);
  });
});
