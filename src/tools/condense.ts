import { z } from 'zod';
import { PrechewError } from '../errors.js';
import { tooLarge } from '../files.js';
import { condenseSources } from '../jobs/condense.js';
import { MIN_BUDGET_TOKENS, type CondenseSource } from '../text/condense.js';
import { convertBytesToText, readTextSource } from './inputs.js';
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

/** Read every source to text (files through the registered converters), checking counts and sizes. */
export async function readSources(sources: SourceInput[], ctx: ToolContext): Promise<CondenseSource[]> {
  if (sources.length === 0)
    throw new PrechewError('INVALID_INPUT', 'Give at least one source: {path}, {text} or {data, filename}.');
  if (sources.length > MAX_SOURCES)
    throw new PrechewError(
      'INPUT_TOO_LARGE',
      `${sources.length} sources is over the limit of ${MAX_SOURCES}; condense them in batches.`,
    );
  const limit = ctx.app.config.limits.maxInputBytes;
  const out: CondenseSource[] = [];
  let total = 0;
  for (let i = 0; i < sources.length; i++) {
    const s = sources[i] as SourceInput;
    let read: CondenseSource;
    if ('path' in s) {
      const r = await readTextSource({ path: s.path }, ctx);
      read = { name: r.name, text: r.text };
    } else if ('text' in s) {
      const bytes = Buffer.byteLength(s.text, 'utf8');
      if (bytes > limit) throw tooLarge(`Source ${i + 1}`, bytes, limit);
      read = { name: s.name ?? (sources.length === 1 ? 'text' : `text ${i + 1}`), text: s.text };
    } else {
      read = await readDataSource(s.data, s.filename, ctx);
    }
    total += Buffer.byteLength(read.text, 'utf8');
    if (total > limit) throw tooLarge('The sources together', total, limit);
    out.push(read);
  }
  if (out.every((s) => s.text.trim() === ''))
    throw new PrechewError('INVALID_INPUT', 'Every source is empty: there is nothing to condense.');
  return out;
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
    'Returns the context and a report (tokens in/out, ratio, per-step timing, per-source tokens, estimated cost saved per cloud model). With privacy "pseudonymize", private values are replaced by placeholders like ⟦PERSON_1⟧ and a vaultId is returned for `restore`.',
  inputSchema,
  outputSchema,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  pageField: 'context',
  async handler(input, ctx) {
    const budgetTokens = resolveBudget(input.budgetTokens, ctx);
    const sources = await readSources(input.sources, ctx);
    const result = await condenseSources(
      ctx.app,
      sources,
      {
        query: input.query,
        budgetTokens,
        mode: input.mode,
        privacy: input.privacy ?? ctx.app.config.privacy.mode,
        entities: input.entities,
      },
      { signal: ctx.signal, progress: ctx.progress },
    );
    return {
      context: result.context,
      ...(result.vaultId ? { vaultId: result.vaultId } : {}),
      report: result.report,
    };
  },
  render,
});
