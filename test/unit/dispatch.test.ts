import { describe, expect, it } from 'vitest';
import { dispatchUnits, type UnitBackend } from '../../src/jobs/dispatch.js';
import { makeUnit, type Unit } from '../../src/jobs/units.js';
import { PrechewError } from '../../src/errors.js';

// The unit under test is the scheduler; the "backends" here are plain functions standing in for
// nodes with chosen behaviour (correct, failing, lying, hanging). Real peers are tested end to end.
const square = (u: Unit): number => (u.input as { n: number }).n ** 2;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function backend(
  id: string,
  opts: {
    local?: boolean;
    slots?: number;
    delayMs?: number;
    run?: (u: Unit, signal: AbortSignal) => Promise<unknown> | unknown;
  } = {},
): UnitBackend & { ran: number } {
  const b = {
    id,
    label: id,
    local: opts.local ?? false,
    ran: 0,
    slots: () => opts.slots ?? 1,
    accepts: () => true,
    run: async (u: Unit, ctx: { signal: AbortSignal }) => {
      b.ran++;
      await sleep(opts.delayMs ?? 1);
      return opts.run ? opts.run(u, ctx.signal) : square(u);
    },
  };
  return b;
}

const units = (n: number): Unit[] => Array.from({ length: n }, (_, i) => makeUnit('test.square', { n: i }));
const expected = (n: number): number[] => Array.from({ length: n }, (_, i) => i * i);

describe('dispatchUnits', () => {
  it('runs everything locally, in order, with progress', async () => {
    const progress: string[] = [];
    const { results, report } = await dispatchUnits<number>(
      units(8),
      [backend('local', { local: true, slots: 2 })],
      { onProgress: (p) => progress.push(p.message ?? '') },
    );
    expect(results).toEqual(expected(8));
    expect(progress.at(-1)).toBe('unit 8/8 done on local');
    expect(report.outcomes.every((o) => o.verified === 'local')).toBe(true);
  });

  it('spreads units over peers and the local node, and loses none when a peer fails every unit', async () => {
    const local = backend('local', { local: true, delayMs: 20 });
    const good = backend('good', { slots: 2, delayMs: 5 });
    const broken = backend('broken', { slots: 2, run: () => Promise.reject(new Error('connection reset')) });
    const { results, report } = await dispatchUnits<number>(units(30), [local, good, broken]);
    expect(results).toEqual(expected(30));
    expect(good.ran).toBeGreaterThan(0);
    expect(local.ran).toBeGreaterThan(0);
    expect(report.excluded).toEqual([{ backend: 'broken', reason: 'failed 3 units in a row' }]);
    expect(report.reissued).toBeGreaterThanOrEqual(3);
  });

  it('re-issues a unit stuck on a peer that hangs and ignores cancellation', async () => {
    const local = backend('local', { local: true, delayMs: 5 });
    const hung = backend('hung', { run: () => new Promise(() => undefined) });
    const { results, report } = await dispatchUnits<number>(units(6), [local, hung], {
      unitTimeoutMs: 60_000,
      stragglerFactor: 3,
    });
    expect(results).toEqual(expected(6));
    expect(report.reissued).toBeGreaterThanOrEqual(1);
    expect(report.outcomes.every((o) => o.ranOn.includes('local'))).toBe(true);
  });

  it('times out an attempt at its deadline and runs the unit elsewhere', async () => {
    const local = backend('local', { local: true, slots: 0 });
    let localSlots = 0;
    local.slots = () => localSlots;
    const hung = backend('hung', { run: () => new Promise(() => undefined) });
    setTimeout(() => (localSlots = 1), 50);
    const { results } = await dispatchUnits<number>(units(1), [local, hung], { unitTimeoutMs: 100 });
    expect(results).toEqual([0]);
  });

  it('quorum: compares two peers, breaks the tie with a third, excludes the liar', async () => {
    const local = backend('local', { local: true, delayMs: 200 });
    const a = backend('a', { slots: 2 });
    const liar = backend('liar', { slots: 2, run: (u) => square(u) + 1 });
    const c = backend('c', { slots: 2, delayMs: 3 });
    const { results, report } = await dispatchUnits<number>(units(12), [local, a, liar, c], {
      verify: 'quorum',
      deterministic: () => true,
    });
    expect(results).toEqual(expected(12));
    expect(report.excluded).toEqual([
      { backend: 'liar', reason: expect.stringMatching(/wrong result/) as unknown as string },
    ]);
    for (const o of report.outcomes) expect(o.verified === 'quorum' || o.verified === 'local').toBe(true);
    expect(report.outcomes.filter((o) => o.verified === 'quorum').length).toBeGreaterThan(3);
    expect(liar.ran).toBeGreaterThan(0);
  });

  it('a fallback-only local node runs nothing while peers can, and everything they cannot', async () => {
    const local = Object.assign(backend('local', { local: true, slots: 2 }), { fallbackOnly: true });
    const peer = backend('peer', { slots: 2 });
    const first = await dispatchUnits<number>(units(10), [local, peer]);
    expect(first.results).toEqual(expected(10));
    expect(local.ran).toBe(0);
    const broken = backend('broken', { slots: 2, run: () => Promise.reject(new Error('down')) });
    const second = await dispatchUnits<number>(units(5), [local, broken]);
    expect(second.results).toEqual(expected(5));
    expect(local.ran).toBe(5);
  });

  it('quorum does not compare kinds that are not deterministic', async () => {
    const local = backend('local', { local: true, delayMs: 50 });
    const peer = backend('peer', { slots: 4 });
    const { report } = await dispatchUnits<number>(units(4), [local, peer], {
      verify: 'quorum',
      deterministic: () => false,
    });
    expect(report.outcomes.filter((o) => o.ranOn.length > 1)).toHaveLength(0);
  });

  it('spot: re-runs sampled remote results locally and catches a wrong one', async () => {
    const local = backend('local', { local: true, slots: 1, delayMs: 30 });
    const liar = backend('liar', { slots: 4, run: (u) => square(u) + 1 });
    const { results, report } = await dispatchUnits<number>(units(5), [local, liar], {
      verify: 'spot',
      deterministic: () => true,
      spotFraction: 1,
      random: () => 0,
    });
    expect(results).toEqual(expected(5));
    expect(report.excluded.map((e) => e.backend)).toEqual(['liar']);
  });

  it('fails with the local error when the last resort fails, and stops on cancellation', async () => {
    const failing = backend('local', {
      local: true,
      run: () => Promise.reject(new PrechewError('ENGINE_FAILED', 'model crashed')),
    });
    await expect(dispatchUnits(units(2), [failing])).rejects.toThrow('model crashed');
    const controller = new AbortController();
    const slow = backend('local', { local: true, delayMs: 1000 });
    setTimeout(() => controller.abort(), 20);
    await expect(dispatchUnits(units(3), [slow], { signal: controller.signal })).rejects.toMatchObject({
      code: 'CANCELLED',
    });
  });
});
