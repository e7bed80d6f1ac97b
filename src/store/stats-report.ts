/**
 * `prechew stats` and the `prechew://stats` resource: the savings ledger summed up as totals,
 * per day, per tool and per node, as JSON or as a short text report.
 */
import { parseArgs } from 'node:util';
import { PrechewError } from '../errors.js';
import { REPORTED_MODELS } from '../cloud/pricing.js';
import type { LedgerStats, StatsBucket } from './ledger.js';

const UNITS_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** "7d", "24h", "30m", "2w" or an ISO date → ms since epoch; undefined for "all". */
export function parseSince(value: string, now = Date.now()): number | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'all' || v === '') return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([mhdw])$/.exec(v);
  if (m) return now - Number(m[1]) * UNITS_MS[m[2]!]!;
  if (/^\d{4}-\d{2}-\d{2}/.test(v)) {
    const t = Date.parse(value.trim());
    if (Number.isFinite(t)) return t;
  }
  throw new PrechewError('INVALID_INPUT', `--since "${value}" is not understood: use a duration such as 30m, 24h, 7d or 2w, a date such as 2026-01-31, or "all".`);
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const usd = (n: number): string => (n >= 0.01 || n === 0 ? `$${n.toFixed(2)}` : `$${n.toFixed(6)}`);

function savedLine(stats: LedgerStats): string {
  const models = modelsOf(stats);
  return models.length ? models.map((model) => `${model} ${usd(stats.totals.savedUsd[model]!)}`).join(', ') : 'nothing priced yet';
}

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].map((l) => `  ${l}`);
}

/** Recorded models in the pricing table's reporting order (flagship first), then any others. */
function modelsOf(stats: LedgerStats): string[] {
  const rank = (m: string) => {
    const i = (REPORTED_MODELS as readonly string[]).indexOf(m);
    return i < 0 ? REPORTED_MODELS.length : i;
  };
  return Object.keys(stats.totals.savedUsd).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** The main model whose savings the per-day and per-tool tables show. */
function firstModel(stats: LedgerStats): string | undefined {
  return modelsOf(stats)[0];
}

export function formatStats(stats: LedgerStats): string {
  const t = stats.totals;
  const since = stats.since === undefined ? 'since the ledger began' : `since ${new Date(stats.since).toISOString().replace(/\.\d+Z$/, 'Z')}`;
  if (t.calls === 0) return `prechew stats ${since}: no tool calls recorded yet.`;
  const hitRate = t.cacheLookups > 0 ? ` (${Math.round((t.cacheHits / t.cacheLookups) * 100)}%)` : '';
  const lines = [
    `prechew stats ${since}`,
    `  calls: ${int(t.calls)}${t.errors ? ` (${int(t.errors)} failed)` : ''}`,
    `  tokens: ${int(t.tokensIn)} read, ${int(t.tokensOut)} returned; ${int(t.naiveTokens)} naive → ${int(t.tokensSaved)} saved`,
    `  estimated input cost saved: ${savedLine(stats)}`,
  ];
  const p = t.provider;
  if (p.calls > 0)
    lines.push(`  ask: ${int(p.calls)} requests, ${int(p.inputTokens)} in / ${int(p.outputTokens)} out tokens, real cost ${usd(p.costUsd)} vs ${usd(p.naiveCostUsd)} sending everything (saved ${usd(p.savedUsd)})`);
  lines.push(`  cache: ${int(t.cacheHits)} of ${int(t.cacheLookups)} lookups hit${hitRate}; ${int(t.cachedCalls)} of ${int(t.calls)} calls answered whole from the cache`);
  if (stats.perPeer.length) lines.push(`  units: ${stats.perPeer.map((r) => `${r.node} ${int(r.units)}`).join(', ')}`);
  const model = firstModel(stats);
  const usdHead = model ? `saved (${model})` : 'saved $';
  const money = (b: StatsBucket) => (model ? usd(b.savedUsd[model] ?? 0) : '-');
  lines.push('', 'Per day (UTC):');
  lines.push(...table(['day', 'calls', 'tokens saved', usdHead, 'units'], stats.perDay.map((d) => [d.day, int(d.calls), int(d.tokensSaved), money(d), int(d.units)])));
  lines.push('', 'Per tool:');
  lines.push(...table(['tool', 'calls', 'failed', 'tokens in', 'tokens out', 'tokens saved', usdHead, 'cache hits'], stats.perTool.map((r) => [r.tool, int(r.calls), int(r.errors), int(r.tokensIn), int(r.tokensOut), int(r.tokensSaved), money(r), int(r.cacheHits)])));
  if (stats.perPeer.length) {
    lines.push('', 'Per node (units run):');
    lines.push(...table(['node', 'units', 'calls'], stats.perPeer.map((r) => [r.node, int(r.units), int(r.calls)])));
  }
  if (stats.errors.length) {
    lines.push('', 'Errors by code:');
    lines.push(...table(['code', 'count', 'last'], stats.errors.map((e) => [e.code, int(e.count), new Date(e.last).toISOString()])));
  }
  return lines.join('\n');
}

/** `prechew stats [--since 7d] [--json]`: reads the ledger in the data dir (a running server may be writing to it). */
export function statsCommand(
  argv: string[],
  ledgerStats: (since: number | undefined) => LedgerStats,
  io: { out: (text: string) => void },
): number {
  const { values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { since: { type: 'string' }, json: { type: 'boolean' } } });
  const since = values.since === undefined ? undefined : parseSince(values.since);
  const stats = ledgerStats(since);
  io.out(values.json ? JSON.stringify(stats, null, 2) : formatStats(stats));
  return 0;
}
