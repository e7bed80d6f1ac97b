import { z } from 'zod';
import { isPrechewError, PrechewError, toSafeError, type ErrorCode } from '../errors.js';
import { log } from '../log.js';
import { tooLarge } from '../files.js';
import { condenseSources, condenseStepCount, type FailedSource } from '../jobs/condense.js';
import { MIN_BUDGET_TOKENS, type CondenseSource } from '../text/condense.js';
import { convertBytesToText, offloadField, readTextSource } from './inputs.js';
import { defineTool, type ToolContext } from './types.js';

export const MAX_SOURCES = 100;

export const sourceSchema = z.union([
  z
    .object({
      path: z
        .string()
        .min(1)
        .describe('A file inside an allowed root (documents are converted, audio transcribed).'),
    })
    .strict(),
  z
    .object({
      text: z.string().describe('Inline text.'),
      name: z.string().min(1).max(200).optional().describe('Name used in citations (default "text N").'),
    })
    .strict(),
  z
    .object({
      data: z.string().min(1).describe('File content, base64.'),
      filename: z.string().min(1).max(200).describe('File name; its extension picks the reader.'),
    })
    .strict(),
]);
export type SourceInput = z.infer<typeof sourceSchema>;

export const sourcesField = z
  .array(sourceSchema)
  .describe(
    `What to condense: up to ${MAX_SOURCES} sources, each {path} (file inside an allowed root), {text, name?} or {data (base64), filename}.`,
  );

export const budgetField = z
  .number()
  .int()
  .optional()
  .describe(
    `Token budget of the condensed context (default condense.budgetTokens, 4000; at least ${MIN_BUDGET_TOKENS}). The context never exceeds it.`,
  );


/** Decode a base64 source without touching the disk; documents and audio go through the registered readers. */
async function readDataSource(data: string, filename: string, ctx: ToolContext): Promise<CondenseSource> {
  if (!/^[A-Za-z0-9+/=\s_-]*$/.test(data))
    throw new PrechewError('INVALID_INPUT', `Source "${filename}": data must be base64.`);
  const limit = ctx.app.config.limits.maxInputBytes;
  if (data.length * 0.75 > limit * 1.01) throw tooLarge(filename, Math.floor(data.length * 0.75), limit);
  const bytes = Buffer.from(data, 'base64');
  const converted = await convertBytesToText(bytes, filename, ctx);
  return { name: filename, text: converted.text };
}

/** The name a source is reported under: its path, its name (or "text N"), or its filename. */
function sourceLabel(s: SourceInput, i: number, count: number): string {
  if ('path' in s) return s.path;
  if ('text' in s) return s.name ?? (count === 1 ? 'text' : `text ${i + 1}`);
  return s.filename;
}

/**
 * Read every source to text (files through the registered converters). A source that cannot be
 * read (missing, outside the roots, corrupt, too large) is reported in `failed` and the others
 * are kept; too many sources, or sources that together exceed the size limit, fail as a whole
 * only for the count, while the size limit fails the sources that overflow it.
 */
export async function readEachSource(
  sources: SourceInput[],
  ctx: ToolContext,
  /** Told before each source is read (index from 0), for progress per source. */
  onSource?: (index: number, name: string) => void,
): Promise<{ read: CondenseSource[]; failed: FailedSource[] }> {
  if (sources.length === 0)
    throw new PrechewError('INVALID_INPUT', 'Give at least one source: {path}, {text} or {data, filename}.');
  if (sources.length > MAX_SOURCES)
    throw new PrechewError(
      'INPUT_TOO_LARGE',
      `${sources.length} sources is over the limit of ${MAX_SOURCES}; condense them in batches.`,
    );
  const limit = ctx.app.config.limits.maxInputBytes;
  const read: CondenseSource[] = [];
  const failed: FailedSource[] = [];
  let total = 0;
  for (let i = 0; i < sources.length; i++) {
    const s = sources[i] as SourceInput;
    const name = sourceLabel(s, i, sources.length);
    onSource?.(i, name);
    try {
      let one: CondenseSource;
      if ('path' in s) {
        const r = await readTextSource({ path: s.path }, ctx);
        one = { name: r.name, text: r.text };
      } else if ('text' in s) {
        const bytes = Buffer.byteLength(s.text, 'utf8');
        if (bytes > limit) throw tooLarge(`Source ${i + 1}`, bytes, limit);
        one = { name, text: s.text };
      } else {
        one = await readDataSource(s.data, s.filename, ctx);
      }
      const bytes = Buffer.byteLength(one.text, 'utf8');
      if (total + bytes > limit)
        throw tooLarge(`The sources together (with "${name}")`, total + bytes, limit);
      total += bytes;
      read.push(one);
    } catch (error) {
      const safe = toSafeError(error);
      // Cancellation is the caller's decision, not this source's failure.
      if (safe.code === 'CANCELLED' || ctx.signal?.aborted) throw safe;
      if (!isPrechewError(error)) log.warn('condense: reading a source failed', { source: i + 1, error });
      failed.push({ name, code: safe.code, message: safe.message });
    }
  }
  if (read.length === 0) {
    const first = failed[0] as FailedSource;
    if (failed.length === 1) throw new PrechewError(first.code as ErrorCode, first.message);
    throw new PrechewError(
      first.code as ErrorCode,
      `Every source failed, so there is nothing to condense: ${failed.map((f) => `"${f.name}" (${f.code}): ${f.message}`).join('; ')}`,
      { failedSources: failed },
    );
  }
  return { read, failed };
}

/** Read every source to text; the first source that cannot be read fails the whole call. */
export async function readSources(sources: SourceInput[], ctx: ToolContext): Promise<CondenseSource[]> {
  const { read, failed } = await readEachSource(sources, ctx);
  const first = failed[0];
  if (first) throw new PrechewError(first.code as ErrorCode, `Source "${first.name}": ${first.message}`);
  if (read.every((s) => s.text.trim() === ''))
    throw new PrechewError('INVALID_INPUT', 'Every source is empty: there is nothing to condense.');
  return read;
}

export function resolveBudget(budget: number | undefined, ctx: ToolContext): number {
  const b = budget ?? ctx.app.config.condense.budgetTokens;
  if (b < MIN_BUDGET_TOKENS) {
    throw new PrechewError(
      'INVALID_INPUT',
      `budgetTokens must be at least ${MIN_BUDGET_TOKENS} (got ${b}): smaller contexts cannot hold a cited sentence.`,
    );
  }
  return b;
}

const reportSchema = z.object({
  tokensIn: z.number().int(),
  tokensOut: z.number().int(),
  ratio: z.number().describe('tokensIn / tokensOut'),
  mode: z.enum(['extractive', 'abstractive']).describe('the mode actually used'),
  steps: z.array(z.object({ name: z.string(), tokensAfter: z.number().int(), ms: z.number() })),
  sources: z.array(z.object({ name: z.string(), tokensIn: z.number().int(), tokensKept: z.number().int() })),
  estimatedCostSaved: z
    .array(z.object({ provider: z.string(), model: z.string(), usd: z.number() }))
    .describe('input cost saved versus sending every source whole'),
  pricingDate: z.string(),
  cached: z.boolean(),
  note: z.string().optional(),
  failedSources: z
    .array(z.object({ name: z.string(), code: z.string(), message: z.string() }))
    .optional()
    .describe('sources that could not be read and were left out (the others were condensed)'),
  redactions: z
    .record(z.string(), z.number().int())
    .optional()
    .describe('placeholders in the context, per type (never the values)'),
});

const inputSchema = z
  .object({
    sources: sourcesField,
    query: z
      .string()
      .max(4000)
      .optional()
      .describe(
        'What the context must serve (a question or topic). Without it, the most central content is kept.',
      ),
    budgetTokens: budgetField,
    mode: z
      .enum(['extractive', 'abstractive', 'auto'])
      .default('extractive')
      .describe(
        'extractive (default): whole sentences from the sources. abstractive/auto: a local LLM summary when a model is available and faithful, else extractive.',
      ),
    privacy: z
      .enum(['off', 'pseudonymize'])
      .optional()
      .describe(
        'pseudonymize: replace names, emails, phones, cards, IBANs, IPs, addresses with placeholders (restore with `restore` and the vaultId). Default from config privacy.mode.',
      ),
    entities: z
      .boolean()
      .default(false)
      .describe('Append the most mentioned people, organizations, places, dates and amounts.'),
    offload: offloadField,
  })
  .strict();

const outputSchema = z.object({
  context: z.string().describe('the condensed, cited context'),
  vaultId: z.string().optional().describe('vault holding the original values when privacy is pseudonymize'),
  report: reportSchema,
});
type Output = z.infer<typeof outputSchema>;

export function renderCondenseReport(r: Output['report']): string {
  const saved = r.estimatedCostSaved.map((s) => `${s.model} $${s.usd.toFixed(4)}`).join(', ');
  const lines = [
    `Condensed ${r.tokensIn} → ${r.tokensOut} tokens (${r.ratio}×, ${r.mode}${r.cached ? ', cached' : ''}). Input cost saved per request: ${saved} (prices of ${r.pricingDate}).`,
    `Steps: ${r.steps.map((s) => `${s.name} ${s.tokensAfter} tok ${s.ms} ms`).join(' → ')}`,
    `Sources: ${r.sources.map((s) => `${s.name} ${s.tokensIn}→${s.tokensKept}`).join(', ')}`,
  ];
  if (r.redactions && Object.keys(r.redactions).length)
    lines.push(
      `Pseudonymized: ${Object.entries(r.redactions)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ')}`,
    );
  if (r.failedSources?.length)
    lines.push(
      `Left out ${r.failedSources.length} source(s) that could not be read: ${r.failedSources
        .map((f) => `${f.name} (${f.code}): ${f.message}`)
        .join('; ')}`,
    );
  if (r.note) lines.push(`Note: ${r.note}`);
  return lines.join('\n');
}

function render(out: Output): string {
  return `${out.context}\n\n---\n${renderCondenseReport(out.report)}${out.vaultId ? `\nVault: ${out.vaultId} (use restore to put the original values back)` : ''}`;
}

export const condenseTool = defineTool({
  name: 'condense',
  title: 'Condense to a token budget',
  summary:
    'Query-aware, cited, deduplicated context from many sources within a token budget, with a savings report.',
  description:
    'Condense long sources (files, inline text, base64 files) into a small context that fits `budgetTokens` (default 4000), locally: normalize, drop repeated headers/footers and near-duplicate passages, rank sentences by relevance to `query` (BM25 on sentences and passages; without a query, by centrality), keep the best whole sentences in document order with citations like [report.pdf p.3] or [call.m4a 00:12:05]. ' +
    "Use it before answering questions about large documents, transcripts or many files: pass the user's question as `query`. " +
    'A source that cannot be read (missing, outside the roots, corrupt) is left out and listed in report.failedSources with its error code and message; the call fails only when every source does. ' +
    'Returns the context and a report (tokens in/out, ratio, per-step timing, per-source tokens, estimated cost saved per cloud model). With privacy "pseudonymize", private values are replaced by placeholders like ⟦PERSON_1⟧ and a vaultId is returned for `restore`.',
  inputSchema,
  outputSchema,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  pageField: 'context',
  async handler(input, ctx) {
    const budgetTokens = resolveBudget(input.budgetTokens, ctx);
    // Progress: one step per source read (a PDF or a recording can take a while), the condense steps, the report.
    const mode = input.mode;
    const n = input.sources.length;
    const total = n + condenseStepCount(mode) + 1;
    const { read: sources, failed } = await readEachSource(input.sources, ctx, (i, name) =>
      ctx.progress({ progress: i, total, message: `reading source ${i + 1} of ${n}: ${name}` }),
    );
    ctx.progress({ progress: n, total, message: `read ${n} source(s)` });
    if (sources.every((s) => s.text.trim() === ''))
      throw new PrechewError(
        'INVALID_INPUT',
        failed.length
          ? `The sources that could be read are empty and the others failed: ${failed.map((f) => `"${f.name}" (${f.code}): ${f.message}`).join('; ')}`
          : 'Every source is empty: there is nothing to condense.',
      );
    const result = await condenseSources(
      ctx.app,
      sources,
      {
        query: input.query,
        budgetTokens,
        mode: input.mode,
        privacy: input.privacy ?? ctx.app.config.privacy.mode,
        entities: input.entities,
        offload: input.offload,
      },
      { signal: ctx.signal, progress: (u) => ctx.progress({ ...u, progress: n + u.progress, total }) },
    );
    ctx.progress({ progress: total, total, message: 'done' });
    return {
      context: result.context,
      ...(result.vaultId ? { vaultId: result.vaultId } : {}),
      report: failed.length ? { ...result.report, failedSources: failed } : result.report,
    };
  },
  render,
});
