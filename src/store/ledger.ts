/**
 * The savings ledger: one SQLite row per tool call with counts only — tokens in and out, the naive
 * token count (what sending everything would have taken), estimated cost saved per priced model,
 * real provider usage and cost for `ask`, units per node, cache hits, and an error code when the
 * call failed. Never content, file names or values: a ledger can be shared to show what prechew
 * saved without showing what it read. Lives next to the result cache (data.dir/ledger.sqlite) and,
 * like the cache, is never fatal: on any failure it degrades to a no-op.
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { isDiskFullError } from '../errors.js';
import { log } from '../log.js';
import { getService, type AppServices } from '../services.js';

export interface LedgerEntry {
  /** ms since epoch when the call finished. */
  at: number;
  tool: string;
  /** Error code when the call failed (no message: messages may quote input). */
  errorCode?: string | undefined;
  ms: number;
  tokensIn?: number | undefined;
  tokensOut?: number | undefined;
  /** Tokens a model would have read without prechew (sources whole). */
  naiveTokens?: number | undefined;
  /** The result came whole from the cache. */
  cached?: boolean | undefined;
  cacheHits?: number | undefined;
  cacheLookups?: number | undefined;
  /** Estimated input cost saved per priced model. */
  savings?: Array<{ provider: string; model: string; usd: number }> | undefined;
  /** `ask`: what the provider reported and what it cost. */
  provider?:
    | {
        name: string;
        model: string;
        inputTokens: number;
        outputTokens: number;
        costUsd?: number | undefined;
        naiveCostUsd?: number | undefined;
      }
    | undefined;
  /** Units finished per node ("local" or a peer's name). */
  units?: Record<string, number> | undefined;
}

export interface StatsBucket {
  calls: number;
  errors: number;
  tokensIn: number;
  tokensOut: number;
  naiveTokens: number;
  tokensSaved: number;
  cachedCalls: number;
  cacheHits: number;
  cacheLookups: number;
  units: number;
  /** Estimated USD saved per model. */
  savedUsd: Record<string, number>;
}

export interface LedgerStats {
  since: number | undefined;
  until: number;
  totals: StatsBucket & {
    /** `ask` only: real provider usage and cost, and what sending everything would have cost. */
    provider: { calls: number; inputTokens: number; outputTokens: number; costUsd: number; naiveCostUsd: number; savedUsd: number };
  };
  perDay: Array<StatsBucket & { day: string }>;
  perTool: Array<StatsBucket & { tool: string }>;
  perPeer: Array<{ node: string; units: number; calls: number }>;
  errors: Array<{ code: string; count: number; last: number }>;
}

/** Totals, units per node and errors by code, without the per-day and per-tool tables (cheaper). */
export type LedgerSummary = Pick<LedgerStats, 'totals' | 'perPeer' | 'errors'>;

export interface SeriesPoint {
  /** Bucket start, ms since epoch. */
  at: number;
  tokensSaved: number;
  savedUsd: number;
  units: Record<string, number>;
  calls: number;
}

export interface Ledger {
  record(entry: LedgerEntry): void;
  stats(since?: number): LedgerStats;
  summary(since?: number): LedgerSummary;
  /** Per-bucket figures from `since` (savedUsd for one model), for charts. */
  series(since: number, bucketMs: number, model: string): SeriesPoint[];
  recentErrors(limit: number): Array<{ at: number; tool: string; code: string }>;
  readonly path: string | undefined;
  close(): void;
}

function emptyBucket(): StatsBucket {
  return { calls: 0, errors: 0, tokensIn: 0, tokensOut: 0, naiveTokens: 0, tokensSaved: 0, cachedCalls: 0, cacheHits: 0, cacheLookups: 0, units: 0, savedUsd: {} };
}

function emptyStats(since: number | undefined): LedgerStats {
  return {
    since,
    until: Date.now(),
    totals: { ...emptyBucket(), provider: { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, naiveCostUsd: 0, savedUsd: 0 } },
    perDay: [],
    perTool: [],
    perPeer: [],
    errors: [],
  };
}

class NoopLedger implements Ledger {
  readonly path = undefined;
  record(): void {}
  stats(since?: number): LedgerStats {
    return emptyStats(since);
  }
  summary(since?: number): LedgerSummary {
    const { totals, perPeer, errors } = emptyStats(since);
    return { totals, perPeer, errors };
  }
  series(): SeriesPoint[] {
    return [];
  }
  recentErrors(): Array<{ at: number; tool: string; code: string }> {
    return [];
  }
  close(): void {}
}

const SCHEMA_VERSION = 1;
const round6 = (n: number): number => Math.round(n * 1e6) / 1e6;

interface BucketRow {
  key: string;
  calls: number;
  errors: number;
  tokens_in: number;
  tokens_out: number;
  naive: number;
  saved: number;
  cached: number;
  hits: number;
  lookups: number;
}

class SqliteLedger implements Ledger {
  private readonly db: Database.Database;
  private readonly insertCall: Database.Statement;
  private readonly insertSaving: Database.Statement;
  private readonly insertUnits: Database.Statement;
  private warned = false;

  constructor(readonly path: string, retentionDays: number) {
    this.db = new Database(path);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 3000');
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version !== SCHEMA_VERSION && version !== 0) throw new Error(`ledger schema ${version} is newer than this prechew understands`);
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS calls (
          id INTEGER PRIMARY KEY, at INTEGER NOT NULL, tool TEXT NOT NULL, error_code TEXT, ms INTEGER NOT NULL,
          tokens_in INTEGER, tokens_out INTEGER, naive_tokens INTEGER, tokens_saved INTEGER NOT NULL DEFAULT 0,
          cached INTEGER NOT NULL DEFAULT 0, cache_hits INTEGER NOT NULL DEFAULT 0, cache_lookups INTEGER NOT NULL DEFAULT 0,
          provider TEXT, provider_model TEXT, usage_in INTEGER, usage_out INTEGER, cost_usd REAL, naive_cost_usd REAL);
        CREATE INDEX IF NOT EXISTS calls_at ON calls(at);
        CREATE TABLE IF NOT EXISTS call_savings (call_id INTEGER NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL, usd REAL NOT NULL);
        CREATE INDEX IF NOT EXISTS call_savings_call ON call_savings(call_id);
        CREATE TABLE IF NOT EXISTS call_units (call_id INTEGER NOT NULL, node TEXT NOT NULL, units INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS call_units_call ON call_units(call_id);`);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      if (retentionDays > 0) this.prune(Date.now() - retentionDays * 86_400_000);
    } catch (error) {
      this.db.close();
      throw error;
    }
    this.insertCall = this.db.prepare(`INSERT INTO calls (at, tool, error_code, ms, tokens_in, tokens_out, naive_tokens, tokens_saved, cached, cache_hits, cache_lookups,
      provider, provider_model, usage_in, usage_out, cost_usd, naive_cost_usd) VALUES (@at, @tool, @errorCode, @ms, @tokensIn, @tokensOut, @naiveTokens, @tokensSaved,
      @cached, @cacheHits, @cacheLookups, @provider, @providerModel, @usageIn, @usageOut, @costUsd, @naiveCostUsd)`);
    this.insertSaving = this.db.prepare('INSERT INTO call_savings (call_id, provider, model, usd) VALUES (?, ?, ?, ?)');
    this.insertUnits = this.db.prepare('INSERT INTO call_units (call_id, node, units) VALUES (?, ?, ?)');
  }

  private prune(before: number): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM call_savings WHERE call_id IN (SELECT id FROM calls WHERE at < ?)').run(before);
      this.db.prepare('DELETE FROM call_units WHERE call_id IN (SELECT id FROM calls WHERE at < ?)').run(before);
      this.db.prepare('DELETE FROM calls WHERE at < ?').run(before);
    })();
  }

  record(e: LedgerEntry): void {
    try {
      const saved = e.naiveTokens !== undefined && e.tokensOut !== undefined ? Math.max(0, e.naiveTokens - e.tokensOut) : 0;
      this.db.transaction(() => {
        const { lastInsertRowid } = this.insertCall.run({
          at: e.at,
          tool: e.tool,
          errorCode: e.errorCode ?? null,
          ms: Math.round(e.ms),
          tokensIn: e.tokensIn ?? null,
          tokensOut: e.tokensOut ?? null,
          naiveTokens: e.naiveTokens ?? null,
          tokensSaved: saved,
          cached: e.cached ? 1 : 0,
          cacheHits: e.cacheHits ?? 0,
          cacheLookups: e.cacheLookups ?? 0,
          provider: e.provider?.name ?? null,
          providerModel: e.provider?.model ?? null,
          usageIn: e.provider?.inputTokens ?? null,
          usageOut: e.provider?.outputTokens ?? null,
          costUsd: e.provider?.costUsd ?? null,
          naiveCostUsd: e.provider?.naiveCostUsd ?? null,
        });
        for (const s of e.savings ?? []) this.insertSaving.run(lastInsertRowid, s.provider, s.model, s.usd);
        for (const [node, n] of Object.entries(e.units ?? {})) if (n > 0) this.insertUnits.run(lastInsertRowid, node, n);
      })();
    } catch (error) {
      if (this.warned) return;
      this.warned = true;
      if (isDiskFullError(error)) log.warn(`[DISK_FULL] the disk holding the savings ledger (${this.path}) is full; calls are not recorded until space is freed`);
      else log.warn('savings ledger write failed; calls are not recorded', { error });
    }
  }

  private buckets(keyExpr: string, since: number): Map<string, StatsBucket> {
    const rows = this.db
      .prepare(
        `SELECT ${keyExpr} AS key, COUNT(*) AS calls, SUM(error_code IS NOT NULL) AS errors, COALESCE(SUM(tokens_in), 0) AS tokens_in,
          COALESCE(SUM(tokens_out), 0) AS tokens_out, COALESCE(SUM(naive_tokens), 0) AS naive, SUM(tokens_saved) AS saved, SUM(cached) AS cached,
          SUM(cache_hits) AS hits, SUM(cache_lookups) AS lookups FROM calls WHERE at >= ? GROUP BY key ORDER BY key`,
      )
      .all(since) as BucketRow[];
    const out = new Map<string, StatsBucket>();
    for (const r of rows) {
      out.set(r.key, {
        ...emptyBucket(),
        calls: r.calls,
        errors: r.errors,
        tokensIn: r.tokens_in,
        tokensOut: r.tokens_out,
        naiveTokens: r.naive,
        tokensSaved: r.saved,
        cachedCalls: r.cached,
        cacheHits: r.hits,
        cacheLookups: r.lookups,
        savedUsd: {},
      });
    }
    const savings = this.db
      .prepare(`SELECT ${keyExpr} AS key, s.model AS model, SUM(s.usd) AS usd FROM call_savings s JOIN calls ON calls.id = s.call_id WHERE at >= ? GROUP BY key, s.model`)
      .all(since) as Array<{ key: string; model: string; usd: number }>;
    for (const s of savings) {
      const b = out.get(s.key);
      if (b) b.savedUsd[s.model] = round6(s.usd);
    }
    const units = this.db
      .prepare(`SELECT ${keyExpr} AS key, SUM(u.units) AS units FROM call_units u JOIN calls ON calls.id = u.call_id WHERE at >= ? GROUP BY key`)
      .all(since) as Array<{ key: string; units: number }>;
    for (const u of units) {
      const b = out.get(u.key);
      if (b) b.units = u.units;
    }
    return out;
  }

  stats(since?: number): LedgerStats {
    const stats = { ...emptyStats(since), ...this.summary(since) };
    const from = since ?? 0;
    stats.perDay = [...this.buckets("strftime('%Y-%m-%d', at / 1000, 'unixepoch')", from)].map(([day, b]) => ({ day, ...b }));
    stats.perTool = [...this.buckets('tool', from)].map(([tool, b]) => ({ tool, ...b })).sort((a, b) => b.calls - a.calls || a.tool.localeCompare(b.tool));
    return stats;
  }

  summary(since?: number): LedgerSummary {
    const from = since ?? 0;
    const stats = emptyStats(since);
    const total = this.buckets("'all'", from).get('all');
    if (total) Object.assign(stats.totals, total);
    const p = this.db
      .prepare(
        `SELECT COUNT(*) AS calls, COALESCE(SUM(usage_in), 0) AS i, COALESCE(SUM(usage_out), 0) AS o, COALESCE(SUM(cost_usd), 0) AS c,
          COALESCE(SUM(naive_cost_usd), 0) AS n, COALESCE(SUM(naive_cost_usd - cost_usd), 0) AS s FROM calls WHERE at >= ? AND provider IS NOT NULL`,
      )
      .get(from) as { calls: number; i: number; o: number; c: number; n: number; s: number };
    stats.totals.provider = { calls: p.calls, inputTokens: p.i, outputTokens: p.o, costUsd: round6(p.c), naiveCostUsd: round6(p.n), savedUsd: round6(p.s) };
    stats.perPeer = this.db
      .prepare('SELECT u.node AS node, SUM(u.units) AS units, COUNT(DISTINCT u.call_id) AS calls FROM call_units u JOIN calls ON calls.id = u.call_id WHERE at >= ? GROUP BY u.node ORDER BY units DESC')
      .all(from) as LedgerStats['perPeer'];
    stats.errors = this.db
      .prepare('SELECT error_code AS code, COUNT(*) AS count, MAX(at) AS last FROM calls WHERE at >= ? AND error_code IS NOT NULL GROUP BY error_code ORDER BY count DESC')
      .all(from) as LedgerStats['errors'];
    return { totals: stats.totals, perPeer: stats.perPeer, errors: stats.errors };
  }

  series(since: number, bucketMs: number, model: string): SeriesPoint[] {
    // An integer written into the SQL: a bound JS number arrives as a REAL and would not divide to whole buckets.
    const b = Math.max(1000, Math.floor(bucketMs));
    const rows = this.db
      .prepare(`SELECT (at / ${b}) * ${b} AS bucket, COUNT(*) AS calls, SUM(tokens_saved) AS saved FROM calls WHERE at >= @since GROUP BY bucket ORDER BY bucket`)
      .all({ since }) as Array<{ bucket: number; calls: number; saved: number }>;
    const points = new Map<number, SeriesPoint>(rows.map((r) => [r.bucket, { at: r.bucket, calls: r.calls, tokensSaved: r.saved, savedUsd: 0, units: {} }]));
    const usd = this.db
      .prepare(`SELECT (at / ${b}) * ${b} AS bucket, SUM(s.usd) AS usd FROM call_savings s JOIN calls ON calls.id = s.call_id WHERE at >= @since AND s.model = @m GROUP BY bucket`)
      .all({ since, m: model }) as Array<{ bucket: number; usd: number }>;
    for (const u of usd) {
      const p = points.get(u.bucket);
      if (p) p.savedUsd = round6(u.usd);
    }
    const units = this.db
      .prepare(`SELECT (at / ${b}) * ${b} AS bucket, u.node AS node, SUM(u.units) AS units FROM call_units u JOIN calls ON calls.id = u.call_id WHERE at >= @since GROUP BY bucket, u.node`)
      .all({ since }) as Array<{ bucket: number; node: string; units: number }>;
    for (const u of units) {
      const p = points.get(u.bucket);
      if (p) p.units[u.node] = u.units;
    }
    return [...points.values()];
  }

  recentErrors(limit: number): Array<{ at: number; tool: string; code: string }> {
    return this.db.prepare('SELECT at, tool, error_code AS code FROM calls WHERE error_code IS NOT NULL ORDER BY at DESC LIMIT ?').all(limit) as Array<{
      at: number;
      tool: string;
      code: string;
    }>;
  }

  close(): void {
    try {
      this.db.close();
    } catch {
      // already closed
    }
  }
}

function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_NOTADB' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'));
}

/**
 * Open the ledger in `dir`; never throws. A file SQLite calls corrupt is moved aside (kept, renamed
 * `.corrupt-<time>`) and a new ledger started; any other failure turns recording off and keeps the file.
 */
export function openLedger(dir: string, retentionDays = 0): Ledger {
  const file = path.join(dir, 'ledger.sqlite');
  try {
    mkdirSync(dir, { recursive: true });
    return new SqliteLedger(file, retentionDays);
  } catch (first) {
    let error = first;
    if (isCorruption(error)) {
      log.warn(`savings ledger ${file} is corrupt; moving it aside and starting a new one`, { error });
      const stamp = Date.now();
      for (const suffix of ['', '-wal', '-shm']) {
        try {
          if (existsSync(file + suffix)) renameSync(file + suffix, `${file}${suffix}.corrupt-${stamp}`);
        } catch {
          // best effort
        }
      }
      try {
        return new SqliteLedger(file, retentionDays);
      } catch (again) {
        error = again;
      }
    }
    log.warn(`savings ledger ${file} cannot be opened; calls are not recorded`, { error });
    return new NoopLedger();
  }
}

/** The process-wide ledger, opened on first use and closed on shutdown. */
export function getLedger(app: AppServices): Ledger {
  return getService(app, 'ledger', () => {
    if (!app.config.data.ledger) return new NoopLedger();
    const ledger = openLedger(app.config.data.dir!, app.config.data.ledgerDays);
    app.onDispose(() => ledger.close());
    return ledger;
  });
}

/** The MCP resource `prechew://stats`: the same JSON as `prechew stats --json` (all time). */
export const statsResource = {
  name: 'stats',
  uri: 'prechew://stats',
  title: 'Savings ledger',
  description:
    'What prechew saved on this node, from its ledger (counts only): tool calls, tokens read and returned, naive tokens, estimated input cost saved per priced model, real provider cost of ask, cache hits, units per node, errors by code — totals, per day, per tool and per node.',
};
