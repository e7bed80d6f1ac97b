import { z } from 'zod';
import { createAnthropicProvider, DEFAULT_ANTHROPIC_MODEL } from '../cloud/anthropic.js';
import { createOpenAiProvider, DEFAULT_OPENAI_MODEL } from '../cloud/openai.js';
import { costUsd, PRICING_DATE } from '../cloud/pricing.js';
import type { ChatProvider } from '../cloud/retry.js';
import type { Config } from '../config.js';
import { countTokens } from '../engines/tokenizer.js';
import { PrechewError, throwIfCancelled } from '../errors.js';
import { condenseSources } from '../jobs/condense.js';
import { log } from '../log.js';
import { getVaultStore } from '../store/vault.js';
import {
  checkOutgoing,
  countPlaceholdersByType,
  pseudonymize,
  restorePlaceholders,
  type OutgoingCheck,
} from '../text/privacy.js';
import { budgetField, readSources, renderCondenseReport, resolveBudget, sourcesField } from './condense.js';
import { defineTool } from './types.js';

export const PROVIDERS = ['anthropic', 'openai', 'openai-compatible'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

const DEFAULT_SYSTEM =
  'Answer the question using only the context. Cite the sources you use with the bracketed labels from the context, e.g. [report.pdf p.3]. If the context does not contain the answer, say so. Placeholders such as ⟦PERSON_1⟧ stand for private values: use them as names, exactly as written.';

/** The provider to use when the caller names none: the first one configured. */
export function defaultProvider(cloud: Config['cloud']): ProviderName {
  if (cloud.anthropic.apiKey) return 'anthropic';
  if (cloud.openai.apiKey) return 'openai';
  if (cloud.openaiCompatible.baseURL) return 'openai-compatible';
  throw new PrechewError(
    'MISSING_API_KEY',
    'No cloud provider is configured for ask: set ANTHROPIC_API_KEY (Claude) or OPENAI_API_KEY (GPT) in the environment, or cloud.anthropic.apiKey / cloud.openai.apiKey in mcp.config.json; for a local OpenAI-compatible server set PRECHEW_COMPAT_BASE_URL (cloud.openaiCompatible.baseURL). Then call ask again (optionally with provider: "anthropic", "openai" or "openai-compatible").',
  );
}

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
      .optional()
      .describe(
        'anthropic (Claude), openai (GPT) or openai-compatible (cloud.openaiCompatible.baseURL: llama.cpp server, Ollama, LM Studio, a gateway). Default: the first one configured (ANTHROPIC_API_KEY, then OPENAI_API_KEY, then PRECHEW_COMPAT_BASE_URL).',
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
    privacyCheck: z
      .enum(['block', 'warn', 'off'])
      .optional()
      .describe(
        'Last check of the outgoing request (system + user message) with every detector and every vault value. block (default when privacy is pseudonymize): refuse to send when anything private is found (PRIVACY_BLOCKED); warn: send and report the hits; off: no check (default when privacy is off).',
      ),
    vaultId: z
      .string()
      .optional()
      .describe('Continue this vault (from redact, condense or ask): the same values keep their placeholders.'),
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
      .optional()
      .describe('real cost of this request from the usage (absent for a model missing from the pricing table)'),
    naive: z
      .object({ inputTokens: z.number().int(), costUsd: z.number().optional() })
      .describe('what sending every source whole would have cost (o200k count)'),
    savedUsd: z.number().optional(),
    pricingDate: z.string(),
    redactions: z
      .record(z.string(), z.number().int())
      .describe('values pseudonymized per type in what was sent (never the values)'),
    restored: z.number().int().describe('placeholders restored in the answer'),
    vaultId: z.string().optional(),
    privacyCheck: z
      .object({
        mode: z.enum(['block', 'warn', 'off']),
        detectors: z.array(z.string()).describe('detectors run over the outgoing text'),
        vaultValuesChecked: z.number().int().describe('vault values and name parts looked for'),
        hits: z.record(z.string(), z.number().int()).describe('private values found in the outgoing text, per type'),
        vaultHits: z.number().int().describe('hits that were values already in the vault'),
      })
      .describe('the last check of what was sent'),
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
    r.costUsd === undefined
      ? 'cost unknown (model not in the pricing table; add it under cloud.pricing)'
      : `$${r.costUsd.toFixed(6)}`;
  const naive =
    r.naive.costUsd === undefined
      ? ''
      : ` vs $${r.naive.costUsd.toFixed(6)} sending everything (${r.naive.inputTokens} tokens)`;
  const c = r.privacyCheck;
  const hits = Object.entries(c.hits)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  const check =
    c.mode === 'off'
      ? 'Outgoing privacy check: off.'
      : `Outgoing privacy check (${c.mode}): ${c.detectors.length} detectors and ${c.vaultValuesChecked} vault values checked, ${hits ? `found ${hits}` : 'nothing found'}.`;
  // The condense report's own redaction line would repeat the one above.
  const { redactions: _condenseRedactions, ...condenseReport } = r.condense;
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
    check,
    renderCondenseReport(condenseReport),
  ].join('\n');
}

export const askTool = defineTool({
  name: 'ask',
  title: 'Ask a cloud model with condensed, private context',
  summary:
    'Condense sources for a question, pseudonymize, ask Claude/GPT, restore names in the answer, report tokens and cost saved.',
  description:
    'Answer a question about large sources with a cloud model while sending as little as possible: the sources are condensed locally to `budgetTokens` around the question (see `condense`), private values are replaced by placeholders when privacy is "pseudonymize" (the default comes from config), the request goes to Anthropic, OpenAI or an OpenAI-compatible server through the official SDKs (retries with backoff, timeouts), and placeholders in the answer are restored. Just before sending, the outgoing request is checked once more with every detector and every vault value; anything private left blocks it (PRIVACY_BLOCKED, types and counts only) unless privacyCheck is "warn" or "off". ' +
    "Returns the answer and a report: the provider's real token usage and cost, what a naive request with every source would have cost, redactions per type, and the condense report. Needs ANTHROPIC_API_KEY or OPENAI_API_KEY (or cloud.* in the config).",
  inputSchema,
  outputSchema,
  annotations: { readOnlyHint: true, idempotentHint: false, openWorldHint: true },
  async handler(input, ctx) {
    const cloud = ctx.app.config.cloud;
    const budgetTokens = resolveBudget(input.budgetTokens, ctx);
    const providerName = input.provider ?? defaultProvider(cloud);
    const { provider, defaultModel } = providerFor(providerName, cloud);
    const model = input.model ?? defaultModel;
    if (!model)
      throw new PrechewError(
        'INVALID_INPUT',
        'Give `model` (or set cloud.openaiCompatible.model): an OpenAI-compatible server has no default model name.',
      );
    const sources = await readSources(input.sources, ctx);
    const privacy = input.privacy ?? ctx.app.config.privacy.mode;
    const checkMode = input.privacyCheck ?? (privacy === 'pseudonymize' ? 'block' : 'off');

    const store = getVaultStore(ctx.app);
    const given = input.vaultId ? store.get(input.vaultId) : undefined;
    const vault = privacy === 'pseudonymize' ? (given ?? store.create()) : undefined;
    const detectOptions = {
      terms: ctx.app.config.privacy.terms,
      defaultCountry: ctx.app.config.privacy.defaultCountry,
    };
    const condensed = await condenseSources(
      ctx.app,
      sources,
      { query: input.question, budgetTokens, mode: 'extractive', privacy, entities: false, vault },
      { signal: ctx.signal, progress: ctx.progress },
    );
    throwIfCancelled(ctx.signal);

    const wrap = (context: string, q: string): string =>
      `<context>\n${context}\n</context>\n\nQuestion: ${q}`;
    // The question, the system prompt and the whole message are pseudonymized after condensing, when
    // the vault knows every name in the selected context: a surname asked about alone, or one that
    // came before its full name in the selection, still gets the person's placeholder.
    const protect = (text: string): string =>
      vault ? pseudonymize(text, vault, { ...detectOptions, signal: ctx.signal }).text : text;
    const system = protect(input.system ?? DEFAULT_SYSTEM);
    const user = protect(wrap(condensed.context, input.question));
    const redactions = countPlaceholdersByType(`${system}\n${user}`);

    const checkVault = vault ?? given;
    let check: OutgoingCheck = { detectors: [], vaultValuesChecked: 0, hits: {}, vaultHits: 0 };
    if (checkMode !== 'off') {
      check = checkOutgoing(`${system}\n${user}`, { ...detectOptions, ...(checkVault ? { vault: checkVault } : {}) });
      const hits = Object.entries(check.hits)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ');
      if (hits) {
        const what = `${hits}${check.vaultHits ? ` (${check.vaultHits} of them values already in the vault)` : ''}`;
        if (checkMode === 'block')
          throw new PrechewError(
            'PRIVACY_BLOCKED',
            `Nothing was sent: the outgoing request still contains private values (${what}) after checking it with ${check.detectors.length} detectors (${check.detectors.join(', ')}) and ${check.vaultValuesChecked} vault values. Remove them from the question or system prompt, use privacy: "pseudonymize", add them to terms, or pass privacyCheck: "warn" to send anyway.`,
            { hits: check.hits, vaultHits: check.vaultHits, detectors: check.detectors, vaultValuesChecked: check.vaultValuesChecked },
          );
        log.warn('ask: the outgoing request contains private values (privacyCheck is warn)', { hits: check.hits });
      }
    }

    ctx.progress({ progress: 0, total: 1, message: `asking ${providerName}` });
    const response = await provider.chat({
      model,
      system,
      user,
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
        ...(cost !== undefined ? { costUsd: cost } : {}),
        naive: { inputTokens: naiveTokens, ...(naiveCost !== undefined ? { costUsd: naiveCost } : {}) },
        ...(cost !== undefined && naiveCost !== undefined
          ? { savedUsd: Math.round((naiveCost - cost) * 1e6) / 1e6 }
          : {}),
        pricingDate: PRICING_DATE,
        redactions,
        restored,
        ...(vault ? { vaultId: vault.id } : {}),
        privacyCheck: { mode: checkMode, ...check },
        condense: condensed.report,
      },
    };
  },
  render,
});
