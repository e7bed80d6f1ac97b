/**
 * Content-addressed result cache in SQLite (better-sqlite3), shared by every tool: conversions,
 * transcripts, summaries and condensed contexts are keyed by sha256 of their input bytes plus
 * options plus engine version, so repeating work is free. Only a file that fails SQLite's
 * integrity check is moved aside and rebuilt; any other failure (a full disk, permissions) leaves
 * the file alone. The cache is never fatal: on any failure it degrades to a no-op.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { getService, type AppServices } from '../services.js';
import { isDiskFullError } from '../errors.js';
import { log } from '../log.js';
import { noteCacheLookup } from './call-scope.js';

export function cacheKey(...parts: Array<string | Buffer | Uint8Array | number | undefined>): string {
  const h = createHash('sha256');
  for (const p of parts) {
    if (p === undefined) h.update('\u0000undefined');
    else if (typeof p === 'string' || typeof p === 'number') h.update(`\u0000s${String(p)}`);
    else h.update('\u0000b').update(p);
  }
  return h.digest('hex');
}

export interface CacheStats {
  entries: number;
  bytes: number;
  path: string | undefined;
}

export interface ResultCache {
  get<T>(namespace: string, key: string): T | undefined;
  set(namespace: string, key: string, value: unknown): void;
  stats(): CacheStats;
  close(): void;
}

class NoopCache implements ResultCache {
  get<T>(): T | undefined {
    return undefined;
  }
  set(): void {}
  stats(): CacheStats {
    return { entries: 0, bytes: 0, path: undefined };
  }
  close(): void {}
}

const SCHEMA_VERSION = 1;

class SqliteCache implements ResultCache {
  private db: Database.Database;
  private readonly getStmt: Database.Statement<[string, string], { value: string }>;
  private readonly setStmt: Database.Statement<[string, string, string, number, number, number]>;
  private readonly touchStmt: Database.Statement<[number, string, string]>;
  private writesSincePrune = 0;
  private warnedDiskFull = false;

  constructor(
    private readonly file: string,
    private readonly maxBytes: number,
  ) {
    this.db = new Database(file);
    try {
      this.init();
    } catch (error) {
      this.close();
      throw error;
    }
    this.getStmt = this.db.prepare('SELECT value FROM results WHERE namespace = ? AND key = ?');
    this.setStmt = this.db.prepare('INSERT OR REPLACE INTO results (namespace, key, value, bytes, created, used) VALUES (?, ?, ?, ?, ?, ?)');
    this.touchStmt = this.db.prepare('UPDATE results SET used = ? WHERE namespace = ? AND key = ?');
  }

  private init(): void {
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 3000');
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version !== SCHEMA_VERSION) {
      this.db.exec('DROP TABLE IF EXISTS results');
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }
    this.db.exec(`CREATE TABLE IF NOT EXISTS results (
      namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
      bytes INTEGER NOT NULL, created INTEGER NOT NULL, used INTEGER NOT NULL,
      PRIMARY KEY (namespace, key)) WITHOUT ROWID`);
    this.db.exec('CREATE INDEX IF NOT EXISTS results_used ON results(used)');
    // Fail fast on a corrupt file so the caller rebuilds it.
    const check = this.db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new CorruptCacheError(`quick_check: ${String(check)}`);
  }

  get<T>(namespace: string, key: string): T | undefined {
    try {
      const row = this.getStmt.get(namespace, key);
      noteCacheLookup(row !== undefined);
      if (!row) return undefined;
      try {
        this.touchStmt.run(Date.now(), namespace, key);
      } catch (error) {
        // Recording the use is only for eviction order; a full disk must not turn a hit into a miss.
        if (!isDiskFullError(error)) throw error;
      }
      return JSON.parse(row.value) as T;
    } catch (error) {
      log.warn('cache read failed; continuing without it', { error });
      return undefined;
    }
  }

  set(namespace: string, key: string, value: unknown): void {
    try {
      const text = JSON.stringify(value);
      const now = Date.now();
      this.setStmt.run(namespace, key, text, Buffer.byteLength(text), now, now);
      if (++this.writesSincePrune >= 50) this.prune();
    } catch (error) {
      if (isDiskFullError(error)) {
        if (!this.warnedDiskFull) log.warn(`[DISK_FULL] the disk holding the cache (${this.file}) is full; results are not cached until space is freed`);
        this.warnedDiskFull = true;
      } else log.warn('cache write failed; continuing without it', { error });
    }
  }

  /** Drop least-recently-used entries when the cache is over its size budget. */
  prune(): void {
    this.writesSincePrune = 0;
    const total = (this.db.prepare('SELECT COALESCE(SUM(bytes), 0) AS b FROM results').get() as { b: number }).b;
    if (total <= this.maxBytes) return;
    let excess = total - this.maxBytes * 0.8;
    const rows = this.db.prepare('SELECT namespace, key, bytes FROM results ORDER BY used ASC').iterate() as IterableIterator<{
      namespace: string;
      key: string;
      bytes: number;
    }>;
    const victims: Array<[string, string]> = [];
    for (const row of rows) {
      if (excess <= 0) break;
      victims.push([row.namespace, row.key]);
      excess -= row.bytes;
    }
    const del = this.db.prepare('DELETE FROM results WHERE namespace = ? AND key = ?');
    this.db.transaction(() => {
      for (const [n, k] of victims) del.run(n, k);
    })();
  }

  stats(): CacheStats {
    const row = this.db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM results').get() as { n: number; b: number };
    return { entries: row.n, bytes: row.b, path: this.file };
  }

  close(): void {
    try {
      this.db.close();
    } catch {
      // already closed
    }
  }
}

class CorruptCacheError extends Error {}

/** SQLite's own verdict that the file is damaged or not a database at all. */
function isCorruption(error: unknown): boolean {
  if (error instanceof CorruptCacheError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT_'));
}

/**
 * Open the cache file; never throws. A file SQLite calls corrupt is moved aside and rebuilt. Any
 * other failure (disk full, permissions, a locked file) turns caching off for this process and
 * keeps the file: a healthy cache is never thrown away because of a transient condition.
 */
export function openCache(dir: string, maxBytes: number): ResultCache {
  const file = path.join(dir, 'cache.sqlite');
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    log.warn(`cache directory ${dir} cannot be created; caching is off`, { error });
    return new NoopCache();
  }
  try {
    return new SqliteCache(file, maxBytes);
  } catch (error) {
    if (!isCorruption(error)) {
      if (isDiskFullError(error)) log.warn(`[DISK_FULL] the disk holding the cache (${file}) is full; caching is off until restart (the cache file is kept)`);
      else log.warn(`cache file ${file} cannot be opened; caching is off (the file is kept)`, { error });
      return new NoopCache();
    }
    log.warn(`cache file ${file} is corrupt; moving it aside and rebuilding it`, { error });
    const stamp = Date.now();
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(file + suffix)) {
        try {
          renameSync(file + suffix, `${file}${suffix}.corrupt-${stamp}`);
        } catch {
          // best effort
        }
      }
    }
    try {
      return new SqliteCache(file, maxBytes);
    } catch (again) {
      log.warn('cache cannot be rebuilt; caching is off', { error: again });
      return new NoopCache();
    }
  }
}

/** The process-wide cache, opened on first use and closed on shutdown. */
export function getCache(app: AppServices): ResultCache {
  return getService(app, 'cache', () => {
    if (!app.config.data.cache) return new NoopCache();
    const cache = openCache(app.config.data.dir!, app.config.data.maxCacheBytes);
    app.onDispose(() => cache.close());
    return cache;
  });
}
