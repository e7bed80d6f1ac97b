import { z } from 'zod';
import { LlmEngine, summaryMessages } from '../engines/llama.js';
import { countTokens } from '../engines/tokenizer.js';
import { PrechewError, throwIfCancelled } from '../errors.js';
import { tooLarge } from '../files.js';
import { makeUnit, runUnits, type LocalExecutor, type Unit } from '../jobs/units.js';
import { getCache, cacheKey } from '../store/cache.js';
import { summarizeExtractive } from '../text/extractive-summary.js';
import type { AppServices } from '../services.js';
import { offloadField, readTextSource, textOrPathShape } from './inputs.js';
import { defineTool, type ToolContext } from './types.js';

const STYLES = ['paragraph', 'bullets', 'key-points'] as const;
type Style = (typeof STYLES)[number];

const inputSchema = z
  .object({
    ...textOrPathShape,
    texts: z
      .array(z.string())
      .min(1)
      .max(100_000)
      .optional()
      .describe(
        'Several texts summarized together as one body (e.g. related articles or messages), instead of `text`/`path`.',
      ),
    engine: z
      .enum(['auto', 'llm', 'extractive'])
      .default('auto')
      .describe(
        '"llm": the local GGUF model (abstractive, map-reduce over long inputs). "extractive": picks the most central sentences, no model needed, with source offsets. "auto" (default): llm when a local model is available, else extractive.',
      ),
    length: z
      .union([
        z.number().int().min(8).max(4000),
        z
          .object({
            sentences: z.number().int().min(1).max(200).optional(),
            tokens: z.number().int().min(8).max(4000).optional(),
          })
          .strict(),
      ])
      .optional()
      .describe('Target length: a number of tokens, or {sentences} / {tokens}. Default: about 5 sentences.'),
    style: z
      .enum(STYLES)
      .default('paragraph')
      .describe('"paragraph" (default), "bullets", or "key-points" (most important first).'),
    focus: z
      .string()
      .min(1)
      .max(2000)
      .optional()
      .describe('A question or interest the summary should serve; irrelevant parts are left out.'),
    maxOutputTokens: z
      .number()
      .int()
      .min(16)
      .max(8192)
      .optional()
      .describe('Hard cap on the summary length in model tokens (llm engine).'),
    offload: offloadField,
  })
  .strict();
type Input = z.infer<typeof inputSchema>;

const outputSchema = z.object({
  source: z.string(),
  engine: z.enum(['llm', 'extractive']),
  model: z.string().optional().describe('model file used by the llm engine'),
  style: z.enum(STYLES),
  summary: z.string(),
  tokensIn: z.number().int().describe('tokens of the input (o200k counter)'),
  tokensOut: z.number().int().describe('tokens of the summary (o200k counter)'),
  compressionRatio: z.number().describe('tokensIn / tokensOut'),
  elapsedMs: z.number().int(),
  cached: z.boolean(),
  chunks: z
    .number()
    .int()
    .optional()
    .describe('llm: number of chunks summarized in the map step (1 = no map-reduce)'),
  reduceLevels: z.number().int().optional().describe('llm: rounds of combining partial summaries'),
  generatedTokens: z.number().int().optional().describe('llm: model tokens generated across all calls'),
  sentences: z
    .array(
      z.object({
        text: z.string(),
        start: z.number().int(),
        end: z.number().int(),
        score: z.number(),
        textIndex: z.number().int().optional(),
      }),
    )
    .optional()
    .describe(
      'extractive: selected sentences with UTF-16 offsets into the source (into texts[textIndex] for `texts`)',
    ),
  note: z.string().optional(),
});
type Output = z.infer<typeof outputSchema>;

function render(out: Output): string {
  const who = out.engine === 'llm' ? `llm${out.model ? ` (${out.model})` : ''}` : 'extractive';
  const lines = [
    `Summary of ${out.source} — ${who}: ${out.tokensIn} → ${out.tokensOut} tokens (${out.compressionRatio.toFixed(1)}×), ${out.elapsedMs} ms${out.cached ? ', cached' : ''}${out.chunks && out.chunks > 1 ? `, ${out.chunks} chunks` : ''}.`,
  ];
  if (out.note) lines.push(`Note: ${out.note}`);
  lines.push('', out.summary);
  return lines.join('\n');
}

interface Target {
  sentences?: number | undefined;
  tokens?: number | undefined;
}

function targetOf(length: Input['length']): Target {
  if (length === undefined) return {};
  if (typeof length === 'number') return { tokens: length };
  return { sentences: length.sentences, tokens: length.tokens };
}

// ------------------------------------------------------------------------------------------------
// LLM map-reduce. The map step is expressed as units so chunks can later run on peers.

export const SUMMARIZE_CHUNK_UNIT = 'llm.summarize-chunk';

interface ChunkUnitInput {
  text: string;
  style: Style;
  focus?: string | undefined;
  targetWords?: number | undefined;
  maxTokens: number;
  part?: { index: number; total: number } | undefined;
  combine?: boolean | undefined;
  /** Model identity, so the content address changes with the model. */
  model: string;
  /** The requester's decoding, so a peer decodes alike (temperature 0: greedy, same output as here). */
  decoding?: { temperature: number; seed?: number | undefined } | undefined;
}

interface ChunkUnitOutput {
  summary: string;
  generatedTokens: number;
}

const chunkUnitInputSchema = z.object({
  text: z.string(),
  style: z.enum(STYLES),
  focus: z.string().optional(),
  targetWords: z.number().int().positive().optional(),
  maxTokens: z.number().int().positive(),
  part: z.object({ index: z.number().int(), total: z.number().int() }).optional(),
  combine: z.boolean().optional(),
  model: z.string(),
  decoding: z.object({ temperature: z.number().min(0).max(2), seed: z.number().int().optional() }).strict().optional(),
});
const chunkUnitOutputSchema = z.object({ summary: z.string(), generatedTokens: z.number().int().nonnegative() });

/**
 * Registers the chunk kind on the app's executor (idempotent): its schemas and limits let peers run
 * it too. A node runs a chunk only with the very model the requester named (content identity), so a
 * peer with another model refuses instead of answering differently.
 */
export function registerSummarizeUnits(app: AppServices): void {
  const executor = app.executor as LocalExecutor;
  if (typeof executor.registerKind !== 'function' || executor.has(SUMMARIZE_CHUNK_UNIT)) return;
  executor.registerKind<ChunkUnitInput, ChunkUnitOutput>({
    kind: SUMMARIZE_CHUNK_UNIT,
    version: '1',
    input: chunkUnitInputSchema,
    output: chunkUnitOutputSchema,
    maxInputBytes: 4 * 1024 * 1024,
    // Sampling makes LLM output differ between runs unless decoding is pinned; never compared.
    deterministic: false,
    needs: 'llm',
    handler: async (input, uctx) => {
      const engine = LlmEngine.forApp(app);
      await engine.requireModel(input.model);
      const r = await engine.summarizeOnce(input.text, {
        style: input.style,
        focus: input.focus,
        targetWords: input.targetWords,
        part: input.part,
        combine: input.combine,
        maxTokens: input.maxTokens,
        signal: uctx.signal,
        temperature: input.decoding?.temperature,
        seed: input.decoding?.seed,
      });
      return { summary: r.text, generatedTokens: r.generatedTokens };
    },
  });
}

interface LlmSummary {
  summary: string;
  model: string;
  chunks: number;
  reduceLevels: number;
  generatedTokens: number;
}

async function summarizeWithLlm(
  text: string,
  input: Input,
  target: Target,
  ctx: ToolContext,
): Promise<LlmSummary> {
  const app = ctx.app;
  const engine = LlmEngine.forApp(app);
  registerSummarizeUnits(app);
  const modelId = (await engine.modelIdentity()) ?? 'unknown';
  const cache = getCache(app);
  const llmSettings = app.config.models.llm;
  const decoding = { temperature: llmSettings.temperature, ...(llmSettings.seed !== undefined ? { seed: llmSettings.seed } : {}) };

  // Loads the model (and its tokenizer) on first use.
  const totalModelTokens = await engine.countTokens(text, ctx.signal);
  const contextSize = engine.contextSize!;
  // Prompt overhead measured with the model's own template and tokenizer (the longest variant).
  const probe = {
    style: input.style,
    focus: input.focus,
    targetWords: 9999,
    part: { index: 999, total: 999 },
  };
  const overhead =
    Math.max(
      await engine.countChatTokens(summaryMessages('', probe), ctx.signal),
      await engine.countChatTokens(summaryMessages('', { ...probe, combine: true }), ctx.signal),
    ) + 16;
  const wantedFinal =
    input.maxOutputTokens ??
    (target.tokens ? Math.ceil(target.tokens * 1.3) : target.sentences ? target.sentences * 40 : 300);
  const finalMax = Math.max(
    16,
    Math.min(wantedFinal, Math.floor(contextSize / 3), app.config.limits.maxOutputTokens),
  );
  const chunkBudget = contextSize - overhead - finalMax - 8;
  if (chunkBudget < 48) {
    throw new PrechewError(
      'INVALID_INPUT',
      `The model context (${contextSize} tokens) is too small for this summary length; lower maxOutputTokens/length or raise models.llm.contextSize.`,
    );
  }
  // Partial summaries: detailed enough to combine, never so long that reducing stops converging.
  const mapMax = Math.max(
    16,
    Math.min(400, Math.floor(contextSize / 8), Math.floor(chunkBudget / 3), Math.max(48, finalMax * 2)),
  );
  const targetWords = target.tokens ? Math.max(5, Math.round(target.tokens * 0.75)) : undefined;
  const common = { style: input.style, focus: input.focus };

  let generatedTokens = 0;
  let chunksCount = 1;
  let reduceLevels = 0;
  let progressDone = 0;
  let progressTotal = 1;
  const report = (message: string) => ctx.progress({ progress: progressDone, total: progressTotal, message });

  let body = text;
  let combine = false;
  if (totalModelTokens > chunkBudget) {
    // Map, then reduce recursively until the partial summaries fit one call.
    let level = 0;
    for (;;) {
      throwIfCancelled(ctx.signal);
      const chunks = await engine.chunkText(body, {
        maxTokens: chunkBudget,
        overlapTokens: Math.min(64, Math.floor(chunkBudget / 10)),
        signal: ctx.signal,
      });
      if (level === 0) chunksCount = chunks.length;
      else reduceLevels++;
      progressTotal += chunks.length;
      report(
        level === 0
          ? `summarizing ${chunks.length} chunks`
          : `combining ${chunks.length} groups of partial summaries`,
      );
      const units: Array<Unit<ChunkUnitInput>> = chunks.map((c, i) =>
        makeUnit<ChunkUnitInput>(SUMMARIZE_CHUNK_UNIT, {
          text: c.text,
          ...common,
          maxTokens: mapMax,
          part: { index: i + 1, total: chunks.length },
          combine: level > 0 ? true : undefined,
          model: modelId,
          decoding,
        }),
      );
      const results: ChunkUnitOutput[] = new Array(units.length);
      const missing: number[] = [];
      units.forEach((u, i) => {
        const hit = cache.get<ChunkUnitOutput>('summarize-chunk', u.id);
        if (hit) results[i] = hit;
        else missing.push(i);
      });
      progressDone += units.length - missing.length;
      const base = progressDone;
      const fresh = await runUnits<ChunkUnitInput, ChunkUnitOutput>(
        app.executor,
        missing.map((i) => units[i]!),
        {
          concurrency: app.config.models.llm.concurrency,
          offload: input.offload,
          signal: ctx.signal,
          label: 'chunk',
          onProgress: (u) => {
            progressDone = base + u.progress;
            report(
              `${level === 0 ? 'summarized chunk' : 'combined group'} ${u.progress}/${u.total ?? missing.length}${u.ranOn ? ` on ${u.ranOn}` : ''}`,
            );
          },
        },
      );
      missing.forEach((unitIndex, k) => {
        const r = fresh[k]!;
        results[unitIndex] = r;
        generatedTokens += r.generatedTokens;
        cache.set('summarize-chunk', units[unitIndex]!.id, r);
      });
      body = results
        .map((r) => r.summary.trim())
        .filter(Boolean)
        .join('\n\n');
      combine = true;
      level++;
      if ((await engine.countTokens(body, ctx.signal)) <= chunkBudget) break;
      if (level > 12) break;
    }
  }
  report('writing the final summary');
  const final = await engine.summarizeOnce(body, {
    ...common,
    targetWords,
    targetSentences: target.sentences ?? (target.tokens ? undefined : 5),
    combine,
    maxTokens: finalMax,
    signal: ctx.signal,
  });
  generatedTokens += final.generatedTokens;
  progressDone = progressTotal;
  report('done');
  return {
    summary: final.text,
    model: engine.modelName ?? modelId,
    chunks: chunksCount,
    reduceLevels,
    generatedTokens,
  };
}

// ------------------------------------------------------------------------------------------------

async function readInput(
  input: Input,
  ctx: ToolContext,
): Promise<{ text: string; name: string; starts?: number[] }> {
  if (input.texts) {
    if (input.text !== undefined || input.path !== undefined)
      throw new PrechewError('INVALID_INPUT', 'Give `texts`, or `text`/`path`, not both.');
    const limit = ctx.app.config.limits.maxInputBytes;
    const bytes = input.texts.reduce((a, t) => a + Buffer.byteLength(t, 'utf8'), 0);
    if (bytes > limit) throw tooLarge('The texts', bytes, limit);
    const starts: number[] = [];
    let pos = 0;
    for (const t of input.texts) {
      starts.push(pos);
      pos += t.length + 2;
    }
    return { text: input.texts.join('\n\n'), name: `${input.texts.length} texts`, starts };
  }
  const src = await readTextSource(input, ctx);
  return { text: src.text, name: src.name };
}

export const summarizeTool = defineTool({
  name: 'summarize',
  title: 'Summarize',
  summary:
    'Summarize text, files or several texts locally: a local LLM (map-reduce, any length) or a model-free extractive engine.',
  description:
    'Summarize a long text, document or set of texts on the local machine, so only the summary needs to reach you. ' +
    'Engines: "llm" uses the local GGUF model (abstractive; long inputs are split into chunks, each summarized, then combined, so any length works; names, numbers and dates are kept exact); ' +
    '"extractive" needs no model and returns the most central, non-redundant sentences verbatim with their character offsets; "auto" (default) uses the llm when a model is installed, else extractive. ' +
    'Options: `length` (tokens, or {sentences}/{tokens}), `style` (paragraph | bullets | key-points), `focus` (a question the summary should serve), `maxOutputTokens`. ' +
    'Input: `text`, `path` (a file inside an allowed root; documents are converted to text) or `texts` (a list). Returns the summary with the engine, model, tokens in/out, compression ratio and time.',
  inputSchema,
  outputSchema,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  cli: { text: 'text', path: 'path' },
  pageField: 'summary',
  async handler(input, ctx): Promise<Output> {
    const started = Date.now();
    const source = await readInput(input, ctx);
    if (source.text.trim().length === 0)
      throw new PrechewError('INVALID_INPUT', 'There is nothing to summarize: the input is empty.');
    const target = targetOf(input.length);
    const tokensIn = countTokens(source.text);

    let engine: 'llm' | 'extractive' = input.engine === 'llm' ? 'llm' : 'extractive';
    let note: string | undefined;
    if (input.engine !== 'extractive') {
      const availability = await LlmEngine.forApp(ctx.app).available();
      if (availability.ok) engine = 'llm';
      else if (input.engine === 'llm') {
        throw new PrechewError(
          availability.path ? 'MODEL_INVALID' : 'MODEL_NOT_FOUND',
          `${availability.reason ?? 'No local model.'} Or call summarize with engine "extractive", which needs no model.`,
        );
      } else
        note =
          'No local LLM model is installed, so the extractive engine was used (put a .gguf file in models/ for abstractive summaries).';
    }

    const keyFor = async (e: 'llm' | 'extractive') =>
      e === 'llm'
        ? cacheKey(
            'summarize/v1',
            source.text,
            e,
            await LlmEngine.forApp(ctx.app).modelIdentity(),
            input.style,
            input.focus,
            JSON.stringify(target),
            input.maxOutputTokens,
            ctx.app.config.models.llm.contextSize,
          )
        : cacheKey('summarize/v1', source.text, e, input.style, input.focus, JSON.stringify(target));
    let key = await keyFor(engine);
    const cache = getCache(ctx.app);
    const hit = cache.get<Output>('summarize', key);
    if (hit)
      return {
        ...hit,
        source: source.name,
        cached: true,
        elapsedMs: Date.now() - started,
        ...(note ? { note } : {}),
      };

    let out: Output;
    if (engine === 'llm') {
      let result: LlmSummary | undefined;
      try {
        result = await summarizeWithLlm(source.text, input, target, ctx);
      } catch (error) {
        // auto: a model that cannot be loaded should not break summarization.
        if (
          input.engine === 'auto' &&
          error instanceof PrechewError &&
          (error.code === 'MODEL_INVALID' || error.code === 'ENGINE_UNAVAILABLE')
        ) {
          note = `The local model could not be used (${error.message}); the extractive engine was used instead.`;
          engine = 'extractive';
          key = await keyFor(engine);
        } else throw error;
      }
      if (result) {
        const tokensOut = countTokens(result.summary);
        out = {
          source: source.name,
          engine: 'llm',
          model: result.model,
          style: input.style,
          summary: result.summary,
          tokensIn,
          tokensOut,
          compressionRatio: round2(tokensIn / Math.max(1, tokensOut)),
          elapsedMs: Date.now() - started,
          cached: false,
          chunks: result.chunks,
          reduceLevels: result.reduceLevels,
          generatedTokens: result.generatedTokens,
        };
        cache.set('summarize', key, out);
        return out;
      }
    }

    ctx.progress({ progress: 0, total: 1, message: 'ranking sentences' });
    const ex = summarizeExtractive(source.text, {
      ...(target.sentences ? { maxSentences: target.sentences } : {}),
      ...(target.tokens ? { maxTokens: target.tokens } : {}),
      ...(input.focus ? { focus: input.focus } : {}),
      style: input.style,
    });
    ctx.progress({ progress: 1, total: 1, message: 'done' });
    const tokensOut = countTokens(ex.summary);
    const sentences = ex.sentences.map((s) => {
      if (!source.starts) return { text: s.text, start: s.start, end: s.end, score: round2(s.score, 4) };
      let textIndex = 0;
      while (textIndex + 1 < source.starts.length && source.starts[textIndex + 1]! <= s.start) textIndex++;
      const base = source.starts[textIndex]!;
      return { text: s.text, start: s.start - base, end: s.end - base, score: round2(s.score, 4), textIndex };
    });
    out = {
      source: source.name,
      engine: 'extractive',
      style: input.style,
      summary: ex.summary,
      tokensIn,
      tokensOut,
      compressionRatio: round2(tokensIn / Math.max(1, tokensOut)),
      elapsedMs: Date.now() - started,
      cached: false,
      sentences,
      ...(note ? { note } : {}),
    };
    // The note depends on the moment (no model installed yet), so it is not cached.
    const { note: _note, ...cacheable } = out;
    cache.set('summarize', key, cacheable);
    return out;
  },
  render,
});

function round2(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
