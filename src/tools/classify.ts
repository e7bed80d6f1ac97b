import { z } from 'zod';
import { LlmEngine } from '../engines/llama.js';
import { PrechewError, throwIfCancelled } from '../errors.js';
import { tooLarge } from '../files.js';
import { makeUnit, runUnits, yieldToEventLoop, type LocalExecutor } from '../jobs/units.js';
import type { AppServices } from '../services.js';
import { analyzeSentiment } from '../text/sentiment.js';
import { offloadField, readTextSource, textOrPathShape } from './inputs.js';
import { defineTool } from './types.js';

const SENTIMENT_LABELS = ['positive', 'negative', 'neutral'];
const TASKS = ['labels', 'sentiment'] as const;

const inputSchema = z
  .object({
    ...textOrPathShape,
    texts: z
      .array(z.string())
      .min(1)
      .max(100_000)
      .optional()
      .describe('A batch of short texts (support tickets, reviews, messages), each classified on its own.'),
    labels: z
      .array(z.string().min(1).max(100))
      .min(2)
      .max(50)
      .optional()
      .describe(
        'Zero-shot: the labels to choose from (e.g. ["billing", "bug", "feature request"]). Needs a local model; the answer is always one of these.',
      ),
    task: z
      .enum(TASKS)
      .optional()
      .describe(
        '"labels": choose one of `labels` (zero-shot, needs a local model). "sentiment": positive / negative / neutral; works without a model (lexicon), or with the local LLM. Default: "labels" when `labels` are given, else "sentiment".',
      ),
    engine: z
      .enum(['auto', 'llm', 'lexicon'])
      .default('auto')
      .describe(
        '"llm": the local model. "lexicon" (sentiment only): the model-free AFINN lexicon with negation handling. "auto" (default): llm when a model is installed, else lexicon.',
      ),
    instructions: z
      .string()
      .min(1)
      .max(2000)
      .optional()
      .describe('Extra guidance for the model, e.g. what each label means.'),
    offload: offloadField,
  })
  .strict();
type Input = z.infer<typeof inputSchema>;

const itemSchema = z.object({
  index: z.number().int(),
  label: z.string(),
  confidence: z
    .number()
    .optional()
    .describe(
      '0..1; llm: the label’s share of the model’s probability over all labels; lexicon: strength of the evidence',
    ),
  engine: z.enum(['llm', 'lexicon']),
  score: z.number().optional().describe('lexicon sentiment score (negative < 0 < positive)'),
  truncated: z.boolean().optional().describe('the text was cut to fit the model context'),
});

const outputSchema = z.object({
  task: z.enum(['labels', 'sentiment']),
  engine: z.enum(['llm', 'lexicon']),
  model: z.string().optional(),
  labels: z.array(z.string()),
  count: z.number().int(),
  histogram: z.record(z.string(), z.number().int()).describe('number of texts per label'),
  elapsedMs: z.number().int(),
  items: z.array(itemSchema),
});
type Output = z.infer<typeof outputSchema>;
type Item = z.infer<typeof itemSchema>;

function render(out: Output): string {
  const hist = out.labels.map((l) => `${l} ${out.histogram[l] ?? 0}`).join(', ');
  const lines = [
    `Classified ${out.count} text${out.count === 1 ? '' : 's'} (${out.task}, ${out.engine}${out.model ? ` ${out.model}` : ''}, ${out.elapsedMs} ms): ${hist}.`,
  ];
  if (out.items.length) lines.push('');
  for (const item of out.items) {
    const conf = item.confidence !== undefined ? ` (${Math.round(item.confidence * 100)}%)` : '';
    lines.push(
      `[${item.index}] ${item.label}${conf}${item.truncated ? ' — text truncated to fit the model' : ''}`,
    );
  }
  return lines.join('\n');
}

async function readTexts(input: Input, ctx: Parameters<typeof readTextSource>[1]): Promise<string[]> {
  if (input.texts) {
    if (input.text !== undefined || input.path !== undefined)
      throw new PrechewError('INVALID_INPUT', 'Give `texts`, or `text`/`path`, not both.');
    const limit = ctx.app.config.limits.maxInputBytes;
    const bytes = input.texts.reduce((a, t) => a + Buffer.byteLength(t, 'utf8'), 0);
    if (bytes > limit) throw tooLarge('The texts', bytes, limit);
    return input.texts;
  }
  return [(await readTextSource(input, ctx)).text];
}

export const classifyTool = defineTool({
  name: 'classify',
  title: 'Classify texts',
  summary:
    'Zero-shot classification into your labels with the local LLM, or sentiment (works without a model); batches with a histogram.',
  description:
    'Classify one text or a batch (`texts`, e.g. hundreds of support tickets) on the local machine. ' +
    'Either give `labels` (zero-shot: the local model must answer with exactly one of them, enforced by a grammar, with a confidence from its token probabilities; needs a local GGUF model) ' +
    'or nothing / `task: "sentiment"` (positive / negative / neutral; uses the local model when installed, else a model-free lexicon engine). `task` defaults to "labels" when `labels` are given, else "sentiment". ' +
    'Returns a label per text with confidence, and a histogram of labels — so you can reason over counts instead of reading every text.',
  inputSchema,
  outputSchema,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  cli: { text: 'text', path: 'path' },
  pageField: 'items',
  async handler(input, ctx): Promise<Output> {
    const started = Date.now();
    const task = input.task ?? (input.labels ? 'labels' : 'sentiment');
    if (task === 'labels' && !input.labels) {
      throw new PrechewError(
        'INVALID_INPUT',
        'task "labels" needs `labels`: a list of at least two labels to choose from (e.g. ["billing", "bug", "feature request"]). For positive / negative / neutral, use task "sentiment".',
      );
    }
    if (task === 'sentiment' && input.labels) {
      throw new PrechewError(
        'INVALID_INPUT',
        'task "sentiment" has its own labels (positive, negative, neutral); drop `labels`, or use task "labels" (the default when `labels` are given) to choose among yours.',
      );
    }
    if (input.labels && input.engine === 'lexicon') {
      throw new PrechewError(
        'INVALID_INPUT',
        'The lexicon engine only does sentiment; use engine "llm" (or "auto") with `labels`, or `task: "sentiment"`.',
      );
    }
    const texts = await readTexts(input, ctx);
    const labels = input.labels
      ? [...new Set(input.labels.map((l) => l.trim()).filter(Boolean))]
      : SENTIMENT_LABELS;
    if (labels.length < 2)
      throw new PrechewError('INVALID_INPUT', 'Give at least two distinct, non-empty labels.');

    const engine = LlmEngine.forApp(ctx.app);
    let useLlm = false;
    if (input.engine !== 'lexicon') {
      const availability = await engine.available();
      if (availability.ok) useLlm = true;
      else if (input.labels || input.engine === 'llm') {
        throw new PrechewError(
          'ENGINE_UNAVAILABLE',
          `${input.labels ? 'Zero-shot labels need a local model' : 'engine "llm" needs a local model'}: ${availability.reason ?? ''} For sentiment without a model, call classify with task "sentiment" and engine "auto" or "lexicon".`,
        );
      }
    }

    const items: Item[] = new Array(texts.length);
    const total = texts.length;
    let done = 0;
    const every = Math.max(1, Math.floor(total / 100));
    const tick = () => {
      done++;
      if (done % every === 0 || done === total)
        ctx.progress({ progress: done, total, message: `classified ${done}/${total}` });
    };

    const executor = ctx.app.executor as LocalExecutor;
    const kind = useLlm ? CLASSIFY_LLM_UNIT : CLASSIFY_LEXICON_UNIT;
    if (
      executor.remote !== undefined &&
      input.offload !== 'off' &&
      executor.has(kind) &&
      texts.length >= (useLlm ? CLASSIFY_LLM_UNIT_MIN_TEXTS : CLASSIFY_LEXICON_UNIT_MIN_TEXTS)
    ) {
      // With a mesh, batches of texts go out as units (this node takes its share too).
      const size = useLlm ? CLASSIFY_LLM_BATCH : CLASSIFY_LEXICON_BATCH;
      const model = useLlm ? ((await engine.modelIdentity()) ?? 'unknown') : undefined;
      const batches: ClassifyBatchInput[] = [];
      for (let start = 0; start < texts.length; start += size)
        batches.push({
          texts: texts.slice(start, start + size),
          labels,
          task,
          ...(useLlm && input.instructions !== undefined ? { instructions: input.instructions } : {}),
          ...(model ? { model } : {}),
        });
      let finished = 0;
      const outputs = await runUnits<ClassifyBatchInput, ClassifyBatchOutput>(
        executor,
        batches.map((b) => makeUnit(kind, b)),
        {
          concurrency: useLlm ? Math.max(1, ctx.app.config.models.llm.concurrency) : 1,
          signal: ctx.signal,
          offload: input.offload,
          label: 'batch',
          onProgress: (p) => {
            finished = Math.min(total, finished + size);
            ctx.progress({ progress: p.progress === p.total ? total : finished, total, message: `classified batch ${p.progress} of ${batches.length}${p.ranOn ? ` on ${p.ranOn}` : ''}` });
          },
        },
      );
      outputs.forEach((out, b) => {
        if (out.items.length !== batches[b]!.texts.length)
          throw new PrechewError('ENGINE_FAILED', `A classify batch returned ${out.items.length} labels for ${batches[b]!.texts.length} texts.`);
        out.items.forEach((item, k) => {
          const index = b * size + k;
          // Rebuilt field by field: a result that crossed the wire comes back with its keys sorted.
          items[index] = {
            index,
            label: item.label,
            confidence: item.confidence,
            engine: item.engine,
            ...(item.score !== undefined ? { score: item.score } : {}),
            ...(item.truncated ? { truncated: true } : {}),
          };
        });
      });
    } else if (!useLlm) {
      for (let i = 0; i < texts.length; i++) {
        if (i % 500 === 0) {
          throwIfCancelled(ctx.signal);
          await yieldToEventLoop();
        }
        items[i] = { index: i, ...classifyWithLexicon(texts[i]!) };
        tick();
      }
    } else {
      let next = 0;
      const worker = async () => {
        while (next < texts.length) {
          throwIfCancelled(ctx.signal);
          const i = next++;
          items[i] = { index: i, ...(await classifyWithLlm(engine, texts[i]!, { labels, task, instructions: input.instructions }, ctx.signal)) };
          tick();
        }
      };
      await Promise.all(
        Array.from(
          { length: Math.max(1, Math.min(ctx.app.config.models.llm.concurrency, texts.length)) },
          worker,
        ),
      );
    }

    const histogram: Record<string, number> = {};
    for (const l of labels) histogram[l] = 0;
    for (const item of items) histogram[item.label] = (histogram[item.label] ?? 0) + 1;
    return {
      task,
      engine: useLlm ? 'llm' : 'lexicon',
      ...(useLlm && engine.modelName ? { model: engine.modelName } : {}),
      labels,
      count: texts.length,
      histogram,
      elapsedMs: Date.now() - started,
      items,
    };
  },
  render,
});

// ---------------------------------------------------------------------------------------------
// units: batches of texts, classified here or on a peer

export const CLASSIFY_LEXICON_UNIT = 'classify.lexicon';
export const CLASSIFY_LLM_UNIT = 'classify.llm';
/** With a mesh, batches go out from this many texts (lexicon: microseconds each; llm: a model call each). */
const CLASSIFY_LEXICON_UNIT_MIN_TEXTS = 20_000;
const CLASSIFY_LLM_UNIT_MIN_TEXTS = 8;
const CLASSIFY_LEXICON_BATCH = 5000;
const CLASSIFY_LLM_BATCH = 4;

type ItemResult = Omit<Item, 'index'>;

interface ClassifyBatchInput {
  texts: string[];
  labels: string[];
  task: 'labels' | 'sentiment';
  instructions?: string | undefined;
  /** LLM batches: the content identity of the model the requester uses; a node with another refuses. */
  model?: string | undefined;
}
interface ClassifyBatchOutput {
  items: ItemResult[];
}

const batchInputSchema = z
  .object({
    texts: z.array(z.string()).min(1).max(100_000),
    labels: z.array(z.string().min(1).max(100)).min(2).max(50),
    task: z.enum(TASKS),
    instructions: z.string().min(1).max(2000).optional(),
    model: z.string().max(200).optional(),
  })
  .strict();
const batchOutputSchema = z.object({ items: z.array(itemSchema.omit({ index: true })) });

function classifyWithLexicon(text: string): ItemResult {
  const s = analyzeSentiment(text);
  return { label: s.label, confidence: round(s.confidence), engine: 'lexicon', score: round(s.score) };
}

async function classifyWithLlm(
  engine: LlmEngine,
  text: string,
  o: { labels: string[]; task: 'labels' | 'sentiment'; instructions?: string | undefined },
  signal: AbortSignal | undefined,
): Promise<ItemResult> {
  if (text.trim() === '') return { label: o.task === 'sentiment' ? 'neutral' : o.labels[0]!, confidence: undefined, engine: 'llm' };
  const choice = await engine.chooseLabel(text, o.labels, {
    signal,
    instructions: o.instructions ?? (o.task === 'sentiment' ? 'Judge the overall sentiment the writer expresses.' : undefined),
  });
  return {
    label: choice.label,
    confidence: choice.confidence !== undefined ? round(choice.confidence) : undefined,
    engine: 'llm',
    ...(choice.truncated ? { truncated: true } : {}),
  };
}

/**
 * Registers classify's batch kinds (idempotent): the lexicon one is deterministic (quorum can
 * compare it); the LLM one runs only with the very model the requester named.
 */
export function registerClassifyUnits(app: AppServices): void {
  const executor = app.executor as LocalExecutor;
  if (typeof executor.registerKind !== 'function' || executor.has(CLASSIFY_LEXICON_UNIT)) return;
  executor.registerKind<ClassifyBatchInput, ClassifyBatchOutput>({
    kind: CLASSIFY_LEXICON_UNIT,
    version: '1',
    input: batchInputSchema,
    output: batchOutputSchema,
    maxInputBytes: 8 * 1024 * 1024,
    deterministic: true,
    handler: async (input, uctx) => {
      const items: ItemResult[] = [];
      for (let i = 0; i < input.texts.length; i++) {
        if (i % 500 === 0) {
          throwIfCancelled(uctx.signal);
          await yieldToEventLoop();
        }
        items.push(classifyWithLexicon(input.texts[i]!));
      }
      return { items };
    },
  });
  executor.registerKind<ClassifyBatchInput, ClassifyBatchOutput>({
    kind: CLASSIFY_LLM_UNIT,
    version: '1',
    input: batchInputSchema,
    output: batchOutputSchema,
    maxInputBytes: 4 * 1024 * 1024,
    // Label probabilities come from the model; compared only when decoding and model are pinned.
    deterministic: false,
    needs: 'llm',
    handler: async (input, uctx) => {
      const engine = LlmEngine.forApp(app);
      await engine.requireModel(input.model);
      const items: ItemResult[] = [];
      for (const text of input.texts) {
        throwIfCancelled(uctx.signal);
        items.push(await classifyWithLlm(engine, text, input, uctx.signal));
      }
      return { items };
    },
  });
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
