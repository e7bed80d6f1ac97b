import { expect, test } from 'vitest';
import { costUsd, estimateSavings, PRICING, PRICING_DATE, priceFor } from '../../src/cloud/pricing.js';

test('dated table with Claude and GPT models; snapshots and overrides resolve', () => {
  expect(PRICING_DATE).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  expect(Object.values(PRICING).some((p) => p.provider === 'anthropic')).toBe(true);
  expect(Object.values(PRICING).some((p) => p.provider === 'openai')).toBe(true);
  expect(priceFor('claude-sonnet-4-5-20250929')).toEqual({ input: 3, output: 15 });
  expect(priceFor('gpt-4o-2024-08-06')).toEqual({ input: 2.5, output: 10 });
  expect(priceFor('my-model')).toBeUndefined();
  expect(priceFor('my-model', { 'my-model': { input: 1, output: 2 } })).toEqual({ input: 1, output: 2 });
  expect(priceFor('gpt-5', { 'gpt-5': { input: 9, output: 9 } })).toEqual({ input: 9, output: 9 });
});

test('cost and savings arithmetic', () => {
  expect(costUsd('claude-sonnet-4-5', 1_000_000, 0)).toBe(3);
  expect(costUsd('claude-sonnet-4-5', 1000, 100)).toBe(0.0045);
  expect(costUsd('unknown', 1, 1)).toBeUndefined();
  const saved = estimateSavings(100_000, { 'house-model': { input: 10, output: 10 } });
  expect(saved.find((s) => s.model === 'claude-sonnet-4-5')?.usd).toBe(0.3);
  expect(saved.find((s) => s.model === 'house-model')).toEqual({
    provider: 'custom',
    model: 'house-model',
    usd: 1,
  });
  expect(estimateSavings(-5).every((s) => s.usd === 0)).toBe(true);
});
