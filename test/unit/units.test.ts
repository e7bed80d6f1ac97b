import { describe, expect, it } from 'vitest';
import { canonicalJson, LocalExecutor, makeUnit, runUnits } from '../../src/jobs/units.js';

describe('units', () => {
  it('content-addresses units independent of key order', () => {
    const a = makeUnit('k', { x: 1, y: [1, 2], z: { b: 1, a: 2 } });
    const b = makeUnit('k', { z: { a: 2, b: 1 }, y: [1, 2], x: 1 });
    expect(a.id).toBe(b.id);
    expect(makeUnit('k', { x: 2 }).id).not.toBe(a.id);
    expect(makeUnit('k', { x: 1 }, '2').id).not.toBe(makeUnit('k', { x: 1 }, '1').id);
    expect(canonicalJson({ b: undefined, a: 1 })).toBe('{"a":1}');
  });

  it('runs units with bounded concurrency, in order, with progress', async () => {
    const ex = new LocalExecutor();
    let running = 0;
    let peak = 0;
    ex.register<number, number>('square', async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return n * n;
    });
    const progress: number[] = [];
    const out = await runUnits<number, number>(ex, [1, 2, 3, 4, 5].map((n) => makeUnit('square', n)), { concurrency: 2, onProgress: (p) => progress.push(p.progress) });
    expect(out).toEqual([1, 4, 9, 16, 25]);
    expect(peak).toBe(2);
    expect(progress).toEqual([1, 2, 3, 4, 5]);
  });

  it('stops scheduling on cancellation and rejects unknown kinds', async () => {
    const ex = new LocalExecutor();
    const controller = new AbortController();
    let calls = 0;
    ex.register('slow', async () => {
      calls++;
      controller.abort();
      return 1;
    });
    await expect(runUnits(ex, [1, 2, 3].map((n) => makeUnit('slow', n)), { signal: controller.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(calls).toBe(1);
    await expect(ex.run(makeUnit('nope', 1), {})).rejects.toThrow(/No handler/);
  });
});
