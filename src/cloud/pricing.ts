/**
 * The one pricing table: USD per million input and output tokens for current Claude and GPT
 * models, as listed by the providers on PRICING_DATE (entered without network access while
 * building; check them against the providers' pricing pages). Prices change: override
 * or add models with config `cloud.pricing` (model → { input, output }); reports print the date.
 * Batch, cached-input and long-context surcharges are not modelled.
 */

export const PRICING_DATE = '2025-11-24';

export interface ModelPrice {
  provider: 'anthropic' | 'openai';
  /** USD per million input tokens. */
  input: number;
  /** USD per million output tokens. */
  output: number;
}

export const PRICING: Readonly<Record<string, ModelPrice>> = {
  'claude-opus-4-5': { provider: 'anthropic', input: 5, output: 25 },
  'claude-opus-4-1': { provider: 'anthropic', input: 15, output: 75 },
  'claude-opus-4': { provider: 'anthropic', input: 15, output: 75 },
  'claude-sonnet-4-5': { provider: 'anthropic', input: 3, output: 15 },
  'claude-sonnet-4': { provider: 'anthropic', input: 3, output: 15 },
  'claude-haiku-4-5': { provider: 'anthropic', input: 1, output: 5 },
  'claude-3-5-haiku': { provider: 'anthropic', input: 0.8, output: 4 },
  'gpt-5.1': { provider: 'openai', input: 1.25, output: 10 },
  'gpt-5': { provider: 'openai', input: 1.25, output: 10 },
  'gpt-5-mini': { provider: 'openai', input: 0.25, output: 2 },
  'gpt-5-nano': { provider: 'openai', input: 0.05, output: 0.4 },
  'gpt-4.1': { provider: 'openai', input: 2, output: 8 },
  'gpt-4.1-mini': { provider: 'openai', input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { provider: 'openai', input: 0.1, output: 0.4 },
  'gpt-4o': { provider: 'openai', input: 2.5, output: 10 },
  'gpt-4o-mini': { provider: 'openai', input: 0.15, output: 0.6 },
};

/** Models the savings estimate is reported for (one flagship and one small per provider). */
export const REPORTED_MODELS = ['claude-sonnet-4-5', 'claude-haiku-4-5', 'gpt-5', 'gpt-5-mini'] as const;

export type PricingOverrides = Record<string, { input: number; output: number }>;

/**
 * The price of a model: an override first, then the table; dated snapshots ("claude-sonnet-4-5-20250929",
 * "gpt-4o-2024-08-06") fall back to their base name. Undefined when unknown.
 */
export function priceFor(
  model: string,
  overrides: PricingOverrides = {},
): { input: number; output: number } | undefined {
  const candidates = [model, model.replace(/-(?:\d{8}|\d{4}-\d{2}-\d{2}|latest)$/, '')];
  for (const name of candidates) {
    const o = overrides[name];
    if (o) return o;
    const p = PRICING[name];
    if (p) return { input: p.input, output: p.output };
  }
  return undefined;
}

/** USD for a request, rounded to a millionth of a dollar; undefined for an unknown model. */
export function costUsd(
  model: string,
  inputTokens: number,
  outputTokens: number,
  overrides: PricingOverrides = {},
): number | undefined {
  const price = priceFor(model, overrides);
  if (!price) return undefined;
  return Math.round(((inputTokens * price.input + outputTokens * price.output) / 1e6) * 1e6) / 1e6;
}

/** Input cost saved per reported model when tokensSaved fewer input tokens are sent. */
export function estimateSavings(
  tokensSaved: number,
  overrides: PricingOverrides = {},
): Array<{ provider: string; model: string; usd: number }> {
  const out: Array<{ provider: string; model: string; usd: number }> = [];
  const models = new Set<string>([...REPORTED_MODELS, ...Object.keys(overrides)]);
  for (const model of models) {
    const price = priceFor(model, overrides);
    if (!price) continue;
    const provider =
      PRICING[model]?.provider ??
      (model.startsWith('claude')
        ? 'anthropic'
        : model.startsWith('gpt') || /^o\d/.test(model)
          ? 'openai'
          : 'custom');
    out.push({
      provider,
      model,
      usd: Math.round(((Math.max(0, tokensSaved) * price.input) / 1e6) * 1e6) / 1e6,
    });
  }
  return out;
}
