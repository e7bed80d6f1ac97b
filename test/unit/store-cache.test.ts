import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCache } from '../../src/store/cache.js';
import { tempDir } from '../helpers/app.js';

describe('result cache file handling', () => {
  it('keeps entries across reopen', () => {
    const dir = tempDir('prechew-cache-');
    const cache = openCache(dir, 1024 * 1024);
    cache.set('ns', 'k', { a: 1 });
    cache.close();
    const again = openCache(dir, 1024 * 1024);
    expect(again.get('ns', 'k')).toEqual({ a: 1 });
    again.close();
  });

  it('sets aside a file that is not a database, and rebuilds', () => {
    const dir = tempDir('prechew-cache-');
    writeFileSync(path.join(dir, 'cache.sqlite'), 'this is not an sqlite database '.repeat(200));
    const cache = openCache(dir, 1024 * 1024);
    cache.set('ns', 'k', 'v');
    expect(cache.get('ns', 'k')).toBe('v');
    cache.close();
    expect(readdirSync(dir).filter((f) => f.startsWith('cache.sqlite.corrupt-'))).toHaveLength(1);
  });

  it('keeps what it cannot open for a reason other than corruption (caching is off, nothing discarded)', () => {
    // The cache path is a directory: SQLite fails with CANTOPEN, not CORRUPT, and it must not be renamed away.
    const dir = tempDir('prechew-cache-');
    const asDir = path.join(dir, 'cache.sqlite');
    mkdirSync(asDir);
    writeFileSync(path.join(asDir, 'keep.txt'), 'keep');
    const cache = openCache(dir, 1024 * 1024);
    expect(cache.stats().path).toBeUndefined();
    cache.set('ns', 'k', 'v');
    expect(cache.get('ns', 'k')).toBeUndefined();
    expect(existsSync(path.join(asDir, 'keep.txt'))).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes('.corrupt-'))).toEqual([]);
  });
});
