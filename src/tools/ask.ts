import { z } from 'zod';
import { createAnthropicProvider, DEFAULT_ANTHROPIC_MODEL } from '../cloud/anthropic.js';
import { createOpenAiProvider, DEFAULT_OPENAI_MODEL } from '../cloud/openai.js';
import { costUsd, PRICING_DATE } from '../cloud/pricing.js';
import type { ChatProvider } from '../cloud/retry.js';
import type { Config } from '../config.js';
import { countTokens } from '../engines/tokenizer.js';
import { PrechewError, throwIfCancelled } from '../errors.js';
import { condenseSources } from '../jobs/condense.js';
import { getVaultStore } from '../store/vault.js';
import { addCounts, pseudonymize, restorePlaceholders, type PrivateType } from '../text/privacy.js';
import { budgetField, readSources, renderCondenseReport, resolveBudget, sourcesField } from './condense.js';
import { defineTool } from './types.js';

export const PROVIDERS = ['anthropic', 'openai', 'openai-compatible'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

const DEFAULT_SYSTEM =
  'Answer the question using only the context. Cite the sources you use with the bracketed labels from the context, e.g. [report.pdf p.3]. If the context does not contain the answer, say so. Placeholders such as ⟦PERSON_1⟧ stand for private values: use them as names, exactly as written.';

/** Build the provider client; throws MISSING_API_KEY / INVALID_INPUT before any work is done. */
export function providerFor(
  name: ProviderName,
  cloud: Config['cloud'],
): { provider: ChatProvider; defaultModel: string | undefined } {
  const common = { timeoutMs: cloud.timeoutMs, maxRetries: cloud.maxRetries };
  switch (name) {
    case 'anthropic':
      return {
        provider: createAnthropicProvider({ ...common, ...cloud.anthropic }),
        defaultModel: cloud.anthropic.model ?? DEFAULT_ANTHROPIC_MODEL,
      };
    case 'openai':
      return {
        provider: createOpenAiProvider({ ...common, ...cloud.openai }),
        defaultModel: cloud.openai.model ?? DEFAULT_OPENAI_MODEL,
      };
    case 'openai-compatible':
      return {
        provider: createOpenAiProvider({ ...common, ...cloud.openaiCompatible }, true),
        defaultModel: cloud.openaiCompatible.model,
      };
  }
}

const inputSchema = z
  .object({
    question: z.string().min(1).max(8000).describe('The question for the cloud model.'),
    sources: sourcesField,
    provider: z
      .enum(PROVIDERS)
      .describe(
        'anthropic (Claude), openai (GPT) or openai-compatible (cloud.openaiCompatible.baseURL: llama.cpp server, Ollama, LM Studio, a gateway).',
      ),
    model: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Model name (default cloud.<provider>.model, else claude-sonnet-4-5 / gpt-5-mini).'),
    budgetTokens: budgetField,
    privacy: z
      .enum(['off', 'pseudonymize'])
      .optional()
      .describe(
        'Default config privacy.mode. pseudonymize: private values never leave the machine; the answer comes back with them restored.',
      ),
    system: z
      .string()
      .max(8000)
      .optional()
      .describe('System prompt (default: answer from the context, with citations).'),
    maxAnswerTokens: z.number().int().min(1).max(32_000).default(1024),
  })
  .strict();

const outputSchema = z.object({
  answer: z.string(),
  report: z.object({
    provider: z.string(),
    model: z.string(),
    usage: z
      .object({ inputTokens: z.number().int(), outputTokens: z.number().int() })
      .describe('as reported by the provider'),
    costUsd: z
      .number()
      .nullable()
      .describe('real cost of this request from the usage (null for a model missing from the pricing table)'),
    naive: z
      .object({ inputTokens: z.number().int(), costUsd: z.number().nullable() })
      .describe('what sending every source whole would have cost (o200k count)'),
    savedUsd: z.number().nullable(),
    pricingDate: z.string(),
    redactions: z
      .record(z.string(), z.number().int())
      .describe('values pseudonymized per type in what was sent (never the values)'),
    restored: z.number().int().describe('placeholders restored in the answer'),
    vaultId: z.string().optional(),
    condense: z.object({
      tokensIn: z.number().int(),
      tokensOut: z.number().int(),
      ratio: z.number(),
      mode: z.enum(['extractive', 'abstractive']),
      steps: z.array(z.object({ name: z.string(), tokensAfter: z.number().int(), ms: z.number() })),
      sources: z.array(
        z.object({ name: z.string(), tokensIn: z.number().int(), tokensKept: z.number().int() }),
      ),
      estimatedCostSaved: z.array(z.object({ provider: z.string(), model: z.string(), usd: z.number() })),
      pricingDate: z.string(),
      cached: z.boolean(),
      note: z.string().optional(),
      redactions: z.record(z.string(), z.number().int()).optional(),
    }),
  }),
});
type Output = z.infer<typeof outputSchema>;

function render(out: Output): string {
  const r = out.report;
  const cost =
    r.costUsd === null
      ? 'cost unknown (model not in the pricing table; add it under cloud.pricing)'
      : `$${r.costUsd.toFixed(6)}`;
  const naive =
    r.naive.costUsd === null
      ? ''
      : ` vs $${r.naive.costUsd.toFixed(6)} sending everything (${r.naive.inputTokens} tokens)`;
  const red = Object.entries(r.redactions)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  return [
    out.answer,
    '',
    '---',
    `${r.provider} ${r.model}: ${r.usage.inputTokens} in / ${r.usage.outputTokens} out tokens, ${cost}${naive} (prices of ${r.pricingDate}).`,
    red
      ? `Pseudonymized before sending: ${red}; ${r.restored} placeholders restored in the answer.`
      : 'No private values were pseudonymized.',
    renderCondenseReport(r.condense),
  ].join('\n');
}

export const askTool = defineTool({
  name: 'ask',
  title: 'Ask a cloud model with condensed, private context',
  summary:
    'Condense sources for a question, pseudonymize, ask Claude/GPT, restore names in the answer, report tokens and cost saved.',
  description:
    'Answer a question about large sources with a cloud model while sending as little as possible: the sources are condensed locally to `budgetTokens` around the question (see `condense`), private values are replaced by placeholders when privacy is "pseudonymize" (the default comes from config), the request goes to Anthropic, OpenAI or an OpenAI-compatible server through the official SDKs (retries with backoff, timeouts), and placeholders in the answer are restored. ' +
    "Returns the answer and a report: the provider's real token usage and cost, what a naive request with every source would have cost, redactions per type, and the condense report. Needs ANTHROPIC_API_KEY or OPENAI_API_KEY (or cloud.* in the config).",
  inputSchema,
  outputSchema,
  annotations: { readOnlyHint: true, idempotentHint: false, openWorldHint: true },
  async handler(input, ctx) {
    const cloud = ctx.app.config.cloud;
    const budgetTokens = resolveBudget(input.budgetTokens, ctx);
    const { provider, defaultModel } = providerFor(input.provider, cloud);
    const model = input.model ?? defaultModel;
    if (!model)
      throw new PrechewError(
        'INVALID_INPUT',
        'Give `model` (or set cloud.openaiCompatible.model): an OpenAI-compatible server has no default model name.',
      );
    const sources = await readSources(input.sources, ctx);
    const privacy = input.privacy ?? ctx.app.config.privacy.mode;

    const store = getVaultStore(ctx.app);
    const vault = privacy === 'pseudonymize' ? store.create() : undefined;
    const redactions: Partial<Record<PrivateType, number>> = {};
    const protect = (text: string): string => {
      if (!vault) return text;
      const r = pseudonymize(text, vault, { terms: ctx.app.config.privacy.terms, defaultCountry: ctx.app.config.privacy.defaultCountry });
      addCounts(redactions, r.counts);
      return r.text;
    };
    const question = protect(input.question);
    const system = protect(input.system ?? DEFAULT_SYSTEM);
    const condensed = await condenseSources(
      ctx.app,
      sources,
      { query: input.question, budgetTokens, mode: 'extractive', privacy, entities: false, vault },
      { signal: ctx.signal, progress: ctx.progress },
    );
    addCounts(redactions, condensed.report.redactions ?? {});
    throwIfCancelled(ctx.signal);

    const wrap = (context: string, q: string): string =>
      `<context>\n${context}\n</context>\n\nQuestion: ${q}`;
    ctx.progress({ progress: 0, total: 1, message: `asking ${input.provider}` });
    const response = await provider.chat({
      model,
      system,
      user: wrap(condensed.context, question),
      maxTokens: input.maxAnswerTokens,
      signal: ctx.signal,
    });
    ctx.progress({ progress: 1, total: 1, message: 'answer received' });
    let answer = response.text;
    let restored = 0;
    if (vault) {
      const r = restorePlaceholders(answer, vault);
      answer = r.text;
      restored = r.restored;
      store.save(vault);
    }

    const naiveTokens =
      countTokens(system) +
      countTokens(wrap(sources.map((s) => `[${s.name}]\n${s.text}`).join('\n\n'), input.question));
    const cost =
      costUsd(response.model, response.usage.inputTokens, response.usage.outputTokens, cloud.pricing) ??
      costUsd(model, response.usage.inputTokens, response.usage.outputTokens, cloud.pricing);
    const naiveCost = costUsd(model, naiveTokens, response.usage.outputTokens, cloud.pricing);
    return {
      answer,
      report: {
        provider: provider.name,
        model: response.model || model,
        usage: response.usage,
        costUsd: cost ?? null,
        naive: { inputTokens: naiveTokens, costUsd: naiveCost ?? null },
        savedUsd:
          cost !== undefined && naiveCost !== undefined ? Math.round((naiveCost - cost) * 1e6) / 1e6 : null,
        pricingDate: PRICING_DATE,
        redactions,
        restored,
        ...(vault ? { vaultId: vault.id } : {}),
        condense: condensed.report,
      },
    };
  },
  render,
});
