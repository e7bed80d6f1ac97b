/**
 * Savings ledger: what recording costs a tool call (the same in-process call with the ledger on
 * and off, interleaved), raw inserts per second, and how long `prechew stats` takes over a year of
 * rows. Bounded in count and time.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { getLedger, openLedger } from '../src/store/ledger.js';
import { invokeTool } from '../src/tools/invoke.js';
import { extractEntitiesTool } from '../src/tools/extract-entities.js';

const ARGS = { text: 'Email ada@example.com on 2024-05-01 about the $300 invoice.' };
const ROUNDS = 6;
const CALLS_PER_ROUND = 300;

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'prechew-bench-ledger-'));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export async function benchLedger(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  const apps = { on: createApp(parseConfig({ data: { dir: tmp() } })), off: createApp(parseConfig({ data: { dir: tmp(), ledger: false } })) };
  const rates: Record<'on' | 'off', number[]> = { on: [], off: [] };
  // Time spent recording, measured inside the calls (the rates alone are noisy on a shared machine).
  const ledgerOn = getLedger(apps.on);
  const record = ledgerOn.record.bind(ledgerOn);
  let recordMs = 0;
  let recorded = 0;
  ledgerOn.record = (entry) => {
    const t = performance.now();
    record(entry);
    recordMs += performance.now() - t;
    recorded++;
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const which of ['off', 'on'] as const) {
      const app = apps[which];
      const ctx = { app, signal: new AbortController().signal, progress: () => undefined, clientRoots: async () => [] };
      const start = performance.now();
      for (let i = 0; i < CALLS_PER_ROUND; i++) await invokeTool(extractEntitiesTool, ARGS, ctx, { pageStore: app.pageStore, maxOutputTokens: 20_000 });
      if (round > 0) rates[which].push((CALLS_PER_ROUND / (performance.now() - start)) * 1000);
    }
  }
  const on = median(rates.on);
  const off = median(rates.off);
  out['tool calls/s, ledger off'] = Math.round(off);
  out['tool calls/s, ledger on'] = Math.round(on);
  out['recording per call (µs, measured inside the calls)'] = Math.round((recordMs / recorded) * 1000);
  await apps.on.dispose();
  await apps.off.dispose();

  const ledger = openLedger(tmp());
  const rows = 100_000;
  const year = 365 * 86_400_000;
  const now = Date.now();
  const start = performance.now();
  for (let i = 0; i < rows; i++) {
    ledger.record({
      at: now - year + Math.floor((i / rows) * year),
      tool: i % 3 ? 'condense' : 'dedupe',
      ms: 12,
      tokensIn: 5000,
      tokensOut: 400,
      naiveTokens: 5000,
      cacheLookups: 1,
      cacheHits: i % 4 === 0 ? 1 : 0,
      savings: [{ provider: 'anthropic', model: 'claude-sonnet-4-5', usd: 0.0138 }],
      units: i % 5 === 0 ? { local: 2, 'peer-a': 3 } : { local: 1 },
    });
  }
  out['ledger inserts/s (one transaction each)'] = Math.round((rows / (performance.now() - start)) * 1000);
  const t0 = performance.now();
  const stats = ledger.stats();
  out[`stats() over ${rows.toLocaleString('en-US')} rows, a year (ms)`] = Math.round(performance.now() - t0);
  const ts = performance.now();
  ledger.summary();
  out['summary() for the dashboard, same rows (ms)'] = Math.round(performance.now() - ts);
  const t1 = performance.now();
  ledger.series(now - 2 * 3_600_000, 60_000, 'claude-sonnet-4-5');
  out['dashboard series, 2 h by minute (ms)'] = Math.round((performance.now() - t1) * 10) / 10;
  out['days in stats'] = stats.perDay.length;
  ledger.close();
  return out;
}
