/**
 * Condense orchestration: the cache, pseudonymization through a vault, the savings estimate and
 * the optional local-LLM (abstractive) step around the pure pipeline in text/condense.ts.
 */
import { countTokens } from '../engines/tokenizer.js';
import { estimateSavings, PRICING_DATE } from '../cloud/pricing.js';
import { throwIfCancelled } from '../errors.js';
import { log } from '../log.js';
import type { AppServices } from '../services.js';
import { cacheKey, getCache } from '../store/cache.js';
import { getVaultStore } from '../store/vault.js';
import { z } from 'zod';
import {
  condensePrepared,
  prepareCorpus,
  prepareSource,
  type CondenseResult,
  type CondenseSource,
  type PreparedSource,
} from '../text/condense.js';
import { extractEntities, type EntityType } from '../text/entities.js';
import { pseudonymize, type PrivateType } from '../text/privacy.js';
import { PRIVATE_TYPES, type Vault } from '../text/vault.js';
import { makeUnit, runUnits, type LocalExecutor, type ProgressReporter } from './units.js';
import { runOnWorkers, workerThreadsAvailable } from './worker-pool.js';

/** Condense's unit: one source's preparation (normalize, sentences, token counts, ranking terms). */
export const CONDENSE_PREPARE_UNIT = 'condense.prepare-source';
/** Below this much text in all sources together, preparation stays in this process. */
export const CONDENSE_UNITS_MIN_CHARS = 1_000_000;

const prepareInputSchema = z.object({ name: z.string().max(1000), text: z.string() }).strict();
const preparedSentenceSchema = z.object({
  start: z.number().int().min(0),
  end: z.number().int().min(0),
  tokens: z.number().int().min(0),
  terms: z.array(z.string()),
  defines: z.array(z.string()),
  locator: z.string().optional(),
  locatorKind: z.enum(['page', 'time', 'none']),
});
const preparedSourceSchema = z.object({
  tokensIn: z.number().int().min(0),
  normalized: z.object({
    name: z.string(),
    text: z.string(),
    anchors: z.array(z.object({ offset: z.number().int(), page: z.number().int().optional(), time: z.string().optional() })),
    definitions: z.array(z.object({ offset: z.number().int(), term: z.string(), parents: z.array(z.string()) })),
  }),
  paragraphs: z.array(z.array(preparedSentenceSchema)),
});

/**
 * Registers condense's per-source preparation as a unit kind (idempotent). It is deterministic
 * (same source, same sentences, counts and terms on every node), so quorum can compare it.
 */
export function registerCondenseUnits(app: AppServices): void {
  const executor = app.executor as LocalExecutor;
  if (typeof executor.registerKind !== 'function' || executor.has(CONDENSE_PREPARE_UNIT)) return;
  executor.registerKind<CondenseSource, PreparedSource>({
    kind: CONDENSE_PREPARE_UNIT,
    version: '1',
    input: prepareInputSchema,
    output: preparedSourceSchema as unknown as z.ZodType<PreparedSource>,
    maxInputBytes: 16 * 1024 * 1024,
    deterministic: true,
    handler: async (input, uctx) => {
      if (!workerThreadsAvailable()) return prepareSource(input);
      const [out] = await runOnWorkers<CondenseSource, PreparedSource>(new URL('../text/condense.js', import.meta.url), 'prepareSource', [input], {
        workers: 1,
        signal: uctx.signal,
        lowPriority: uctx.remote,
      });
      return out!;
    },
  });
}

/** Prepares the sources as units (this node and trusted peers), results in source order. */
function prepareInUnits(app: AppServices, offload: 'auto' | 'off' | undefined, ctx: JobContext, totalSteps: number): (sources: CondenseSource[]) => Promise<PreparedSource[]> {
  return (sources) =>
    runUnits<CondenseSource, PreparedSource>(
      app.executor,
      sources.map((s) => makeUnit<CondenseSource>(CONDENSE_PREPARE_UNIT, { name: s.name, text: s.text })),
      {
        concurrency: 1,
        signal: ctx.signal,
        offload,
        label: 'source',
        // Between "preparing sources" (0 of 3) and "selecting" (1 of 3).
        onProgress: (p) =>
          ctx.progress?.({ progress: p.progress / ((p.total ?? p.progress) + 1), total: totalSteps, message: `condense: prepared source ${p.progress} of ${p.total ?? sources.length}${p.ranOn ? ` on ${p.ranOn}` : ''}` }),
      },
    );
}

export const CONDENSE_VERSION = '1';
export type CondenseMode = 'extractive' | 'abstractive' | 'auto';

export interface CondenseJobOptions {
  query?: string | undefined;
  budgetTokens: number;
  mode: CondenseMode;
  privacy: 'off' | 'pseudonymize';
  entities: boolean;
  /** Continue an existing vault (ask uses one vault for the question and the context). */
  vault?: Vault | undefined;
  /** Per-call override of mesh.offload for the per-source preparation. */
  offload?: 'auto' | 'off' | undefined;
}

/** A source left out because it could not be read, with the error that says why. */
export interface FailedSource {
  name: string;
  code: string;
  message: string;
}

export interface CondenseReport {
  tokensIn: number;
  tokensOut: number;
  ratio: number;
  mode: 'extractive' | 'abstractive';
  steps: Array<{ name: string; tokensAfter: number; ms: number }>;
  sources: Array<{ name: string; tokensIn: number; tokensKept: number }>;
  estimatedCostSaved: Array<{ provider: string; model: string; usd: number }>;
  pricingDate: string;
  cached: boolean;
  note?: string | undefined;
  /** Sources that could not be read and were left out; the others were condensed. */
  failedSources?: FailedSource[] | undefined;
  redactions?: Partial<Record<PrivateType, number>> | undefined;
}

export interface CondenseJobResult {
  context: string;
  report: CondenseReport;
  vaultId?: string | undefined;
  vault?: Vault | undefined;
}

interface JobContext {
  signal?: AbortSignal | undefined;
  progress?: ProgressReporter | undefined;
}

/** Narrow view of the local LLM (src/engines/llama.ts), loaded only when a mode asks for it. */
interface LocalSummarizer {
  summarize(
    text: string,
    focus: string | undefined,
    maxTokens: number,
    signal: AbortSignal | undefined,
  ): Promise<string>;
}

async function localSummarizer(app: AppServices): Promise<LocalSummarizer | undefined> {
  try {
    const { LlmEngine } = await import('../engines/llama.js');
    const engine = LlmEngine.forApp(app);
    if (!(await engine.available()).ok) return undefined;
    return {
      async summarize(text, focus, maxTokens, signal) {
        const out = await engine.summarizeOnce(text, { style: 'paragraph', focus, maxTokens, signal });
        return out.text.trim();
      },
    };
  } catch (error) {
    log.debug('local LLM unavailable for condense', { error });
    return undefined;
  }
}

/** Facts a faithful summary must not invent: every number and capitalised word it uses must be in the source. */
function introducesFacts(summary: string, source: string): boolean {
  const numbers = summary.match(/\d[\d,.]*\d|\d/g) ?? [];
  if (numbers.some((n) => !source.includes(n))) return true;
  const names = summary.match(/(?<=\s)\p{Lu}[\p{L}-]{2,}/gu) ?? [];
  return names.some((n) => !source.includes(n));
}

function countPlaceholders(text: string): Partial<Record<PrivateType, number>> {
  const counts: Partial<Record<PrivateType, number>> = {};
  const re = new RegExp(`\u27e6(${PRIVATE_TYPES.join('|')})_\\d+\u27e7`, 'g');
  for (const m of text.matchAll(re)) {
    const type = m[1] as PrivateType;
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

function entityAppendix(sources: CondenseSource[]): (maxTokens: number) => string {
  return (maxTokens) => {
    const text = sources.map((s) => s.text).join('\n\n');
    const types: EntityType[] = ['person', 'organization', 'place', 'date', 'money'];
    const result = extractEntities(text, { types, merge: true });
    const lines: string[] = [];
    const header = 'Entities (most mentioned):';
    for (const type of types) {
      const list = [...(result.entities[type] ?? [])].sort((a, b) => b.count - a.count).slice(0, 12);
      if (list.length) lines.push(`- ${type}: ${list.map((e) => `${e.text} (${e.count})`).join('; ')}`);
    }
    // Drop the longest lines' tails until it fits.
    let out = [header, ...lines].join('\n');
    while (lines.length && countTokens(out) > maxTokens) {
      const i = lines.reduce((best, l, k) => (l.length > (lines[best] ?? '').length ? k : best), 0);
      const parts = (lines[i] as string).split('; ');
      if (parts.length > 1) lines[i] = parts.slice(0, -1).join('; ');
      else lines.splice(i, 1);
      out = [header, ...lines].join('\n');
    }
    return lines.length ? out : '';
  };
}

/** How many progress steps condenseSources reports for a mode (normalize, chunk, dedupe, index, select, [summarize]). */
export function condenseStepCount(mode: CondenseJobOptions['mode']): number {
  return mode === 'extractive' ? 5 : 6;
}

/** Run the whole condense pipeline for already-read sources. */
export async function condenseSources(
  app: AppServices,
  sources: CondenseSource[],
  options: CondenseJobOptions,
  ctx: JobContext = {},
): Promise<CondenseJobResult> {
  const { signal } = ctx;
  const overrides = app.config.cloud.pricing;
  const privacyOn = options.privacy === 'pseudonymize';
  const cache = getCache(app);
  const key = cacheKey(
    'condense',
    CONDENSE_VERSION,
    JSON.stringify({ q: options.query ?? '', b: options.budgetTokens, m: options.mode, e: options.entities }),
    ...sources.flatMap((s) => [s.name, s.text]),
  );
  // Pseudonymized results depend on the vault, so only plain results are cached.
  const canCache = !privacyOn && options.mode === 'extractive';
  if (canCache) {
    const hit = cache.get<CondenseJobResult>('condense', key);
    if (hit) return { ...hit, report: { ...hit.report, cached: true } };
  }

  // Progress per step: the four of prepareCorpus, selection, the optional LLM summary.
  const totalSteps = condenseStepCount(options.mode);
  let stepsDone = 0;
  const stepDone = (name: string): void => {
    stepsDone = Math.min(stepsDone + 1, totalSteps);
    ctx.progress?.({ progress: stepsDone, total: totalSteps, message: `condense: ${name} done (step ${stepsDone} of ${totalSteps})` });
  };
  ctx.progress?.({ progress: 0, total: totalSteps, message: `condense: normalizing ${sources.length} source(s)` });
  // Large corpora on a node with a mesh: each source is prepared as a unit, here or on a peer.
  const executor = app.executor as LocalExecutor;
  const chars = sources.reduce((a, s) => a + s.text.length, 0);
  const inUnits = chars >= CONDENSE_UNITS_MIN_CHARS && executor.remote !== undefined && options.offload !== 'off' && executor.has(CONDENSE_PREPARE_UNIT);
  const corpus = await prepareCorpus(sources, {
    ...(signal ? { signal } : {}),
    onStep: stepDone,
    ...(inUnits ? { prepareSources: prepareInUnits(app, options.offload, ctx, totalSteps) } : {}),
  });
  throwIfCancelled(signal);

  let vault: Vault | undefined;
  let rewrite: ((t: string) => string) | undefined;
  if (privacyOn) {
    const store = getVaultStore(app);
    vault = options.vault ?? store.create();
    const memo = new Map<string, string>();
    const v = vault;
    rewrite = (t) => {
      let out = memo.get(t);
      if (out === undefined) {
        out = pseudonymize(t, v, { terms: app.config.privacy.terms, defaultCountry: app.config.privacy.defaultCountry }).text;
        memo.set(t, out);
      }
      return out;
    };
  }
  let result: CondenseResult = condensePrepared(corpus, {
    query: options.query,
    budgetTokens: options.budgetTokens,
    rewrite,
    ...(options.entities ? { appendix: entityAppendix(sources) } : {}),
  });
  stepDone('rank and select');
  let mode: 'extractive' | 'abstractive' = 'extractive';
  let note: string | undefined;

  if (options.mode !== 'extractive') {
    const llm = await localSummarizer(app);
    if (!llm) {
      note = `No local LLM is available, so the ${options.mode} mode used extractive selection.`;
    } else {
      // Summarize a wider extractive selection into the budget; keep it only if it stays faithful.
      const t0 = performance.now();
      const wide = condensePrepared(corpus, {
        query: options.query,
        budgetTokens: Math.min(options.budgetTokens * 3, 6000),
        rewrite,
      });
      try {
        const summary = await llm.summarize(
          wide.context,
          options.query,
          Math.floor(options.budgetTokens * 0.8),
          signal,
        );
        const cited = `[summary of ${corpus.sources.map((s) => (rewrite ? rewrite(s.name) : s.name)).join(', ')}]\n${summary}`;
        const tokens = countTokens(cited);
        if (summary && tokens <= options.budgetTokens && !introducesFacts(summary, wide.context)) {
          mode = 'abstractive';
          result = {
            ...result,
            context: cited,
            tokensOut: tokens,
            ratio: Math.round((corpus.tokensIn / Math.max(1, tokens)) * 10) / 10,
            steps: [
              ...result.steps,
              { name: 'summarize', tokensAfter: tokens, ms: Math.round(performance.now() - t0) },
            ],
          };
        } else {
          note =
            'The local LLM summary was over budget or contained names/numbers not in the sources, so extractive selection was kept.';
        }
      } catch (error) {
        throwIfCancelled(signal);
        log.warn('local LLM summary failed; keeping extractive selection', { error });
        note = 'The local LLM failed, so extractive selection was kept.';
      }
    }
  }
  if (options.mode !== 'extractive') stepDone('summarize');

  const report: CondenseReport = {
    tokensIn: result.tokensIn,
    tokensOut: result.tokensOut,
    ratio: result.ratio,
    mode,
    steps: result.steps,
    sources: result.sources,
    estimatedCostSaved: estimateSavings(result.tokensIn - result.tokensOut, overrides),
    pricingDate: PRICING_DATE,
    cached: false,
    ...(note ? { note } : {}),
    ...(privacyOn ? { redactions: countPlaceholders(result.context) } : {}),
  };
  if (vault) getVaultStore(app).save(vault);
  const out: CondenseJobResult = {
    context: result.context,
    report,
    ...(vault ? { vaultId: vault.id, vault } : {}),
  };
  if (canCache) cache.set('condense', key, { context: out.context, report: out.report });
  return out;
}
