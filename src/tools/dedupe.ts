import { z } from 'zod';
import { countTokens } from '../engines/tokenizer.js';
import { PrechewError } from '../errors.js';
import { dedupeItems, type DedupeItem, type SignatureParams } from '../text/dedupe.js';
import {
  DEDUPE_SIGNATURES_UNIT,
  decodeBandKeys,
  dedupeSignaturesUnit,
  signatureBatches,
  type DedupeSignaturesInput,
  type DedupeSignaturesOutput,
} from '../text/dedupe-units.js';
import { splitChunks, splitParagraphs } from '../text/split.js';
import { runOnWorkers, workerThreadsAvailable } from '../jobs/worker-pool.js';
import { makeUnit, runUnits, type LocalExecutor, type ProgressReporter } from '../jobs/units.js';
import type { AppServices } from '../services.js';
import { defineTool } from './types.js';
import { offloadField, readTextSource, textOrPathShape } from './inputs.js';

/** Below this much text a dedupe runs in one piece; above it, with a mesh, signatures go out as units. */
export const DEDUPE_UNITS_MIN_CHARS = 1_000_000;

const signatureParamsShape = {
  shingleSize: z.number().int().min(1).max(16),
  numHashes: z.number().int().min(8).max(1024),
  seed: z.number().int().min(0).max(0xffffffff),
  bands: z.number().int().min(1).max(1024),
  rows: z.number().int().min(1).max(1024),
};
const signaturesInputSchema = z
  .object({ texts: z.array(z.string()).min(1).max(1_000_000), ...signatureParamsShape })
  .strict()
  .refine((v) => v.bands * v.rows <= v.numHashes, 'bands × rows must not exceed numHashes');
const signaturesOutputSchema = z.object({ keys: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/) }).strict();

/**
 * Registers dedupe's signature batch kind (idempotent). A batch runs on a worker thread here when
 * the build has them, so a peer's batch does not hold up this node's event loop.
 */
export function registerDedupeUnits(app: AppServices): void {
  const executor = app.executor as LocalExecutor;
  if (typeof executor.registerKind !== 'function' || executor.has(DEDUPE_SIGNATURES_UNIT)) return;
  executor.registerKind<DedupeSignaturesInput, DedupeSignaturesOutput>({
    kind: DEDUPE_SIGNATURES_UNIT,
    version: '1',
    input: signaturesInputSchema as unknown as z.ZodType<DedupeSignaturesInput>,
    output: signaturesOutputSchema,
    maxInputBytes: 8 * 1024 * 1024,
    deterministic: true,
    handler: async (input, uctx) => {
      if (!workerThreadsAvailable()) return dedupeSignaturesUnit(input);
      const [out] = await runOnWorkers<DedupeSignaturesInput, DedupeSignaturesOutput>(
        new URL('../text/dedupe-units.js', import.meta.url),
        'dedupeSignaturesUnit',
        [input],
        { workers: 1, signal: uctx.signal, lowPriority: uctx.remote },
      );
      return out!;
    },
  });
}

/**
 * The signature step as units through the executor (peers and this node), for dedupeItems; the
 * keys come back in item order, so the result is the one an in-process run gives.
 */
function bandKeysInUnits(
  app: AppServices,
  offload: 'auto' | 'off' | undefined,
  signal: AbortSignal,
  progress: ProgressReporter,
): (texts: string[], params: SignatureParams) => Promise<Uint32Array> {
  return async (texts, params) => {
    const executor = app.executor as LocalExecutor;
    const batches = signatureBatches(texts, 1 + (executor.remote?.peerSlots() ?? 0));
    const units = batches.map((b) => makeUnit<DedupeSignaturesInput>(DEDUPE_SIGNATURES_UNIT, { texts: texts.slice(b.start, b.end), ...params }));
    const outputs = await runUnits<DedupeSignaturesInput, DedupeSignaturesOutput>(executor, units, {
      concurrency: 1,
      signal,
      offload,
      label: 'batch',
      onProgress: (p) => progress({ progress: p.progress, total: p.total, message: `signature batch ${p.progress} of ${units.length}${p.ranOn ? ` on ${p.ranOn}` : ''}` }),
    });
    const keys = new Uint32Array(texts.length * params.bands);
    batches.forEach((b, i) => {
      const part = decodeBandKeys(outputs[i]!);
      if (part.length !== (b.end - b.start) * params.bands)
        throw new PrechewError('ENGINE_FAILED', `A signature batch returned ${part.length} band keys for ${b.end - b.start} items.`);
      keys.set(part, b.start * params.bands);
    });
    return keys;
  };
}

const MAX_GROUPS_LISTED = 1000;

const inputSchema = z
  .object({
    items: z
      .array(z.union([z.string(), z.object({ id: z.string().min(1), text: z.string() }).strict()]))
      .optional()
      .describe('The items to deduplicate: strings, or {id, text} objects. Alternatively give a document as `text`/`path`.'),
    ...textOrPathShape,
    split: z
      .enum(['paragraphs', 'lines', 'chunks'])
      .default('paragraphs')
      .describe('How a document (`text`/`path`) is cut into items: by paragraph (default), by non-empty line (logs, lists, one ticket per line), or into chunks of about `chunkChars` characters.'),
    chunkChars: z.number().int().min(100).max(100_000).default(1500),
    mode: z.enum(['exact', 'near']).default('near').describe('"exact": identical after folding case, whitespace and punctuation. "near" (default): also copies with small edits, dropped sentences or trimming.'),
    threshold: z.number().min(0.3).max(1).optional().describe('Similarity (0..1) at which two items count as near-duplicates; lower catches looser copies. Default is tuned (see README).'),
    includeText: z.boolean().default(true).describe('Return the text of the unique items (default true). Set false when you only need ids.'),
    offload: offloadField,
  })
  .strict();

const outputSchema = z.object({
  stats: z.object({
    itemsIn: z.number().int(),
    itemsOut: z.number().int(),
    duplicatesRemoved: z.number().int(),
    exactDuplicates: z.number().int(),
    nearDuplicates: z.number().int(),
    tokensBefore: z.number().int(),
    tokensAfter: z.number().int(),
    mode: z.enum(['exact', 'near']),
    threshold: z.number(),
    shingleSize: z.number().int(),
  }),
  groups: z
    .array(
      z.object({
        kept: z.object({ id: z.string(), index: z.number().int() }),
        dropped: z.array(
          z.object({ id: z.string(), index: z.number().int(), similarity: z.number(), reason: z.enum(['exact', 'near', 'containment']) }),
        ),
      }),
    )
    .describe(`duplicate groups: which item was kept and which were dropped (first ${MAX_GROUPS_LISTED} groups)`),
  groupsNotListed: z.number().int().describe('groups beyond the listed ones (0 when all are listed)'),
  unique: z.array(z.object({ id: z.string(), index: z.number().int(), text: z.string().optional() })).describe('unique items in original order'),
});
type Output = z.infer<typeof outputSchema>;

function render(out: Output): string {
  const s = out.stats;
  const saved = s.tokensBefore > 0 ? Math.round((1 - s.tokensAfter / s.tokensBefore) * 100) : 0;
  const lines = [
    `Deduplicated ${s.itemsIn} items → ${s.itemsOut} unique (${s.exactDuplicates} exact and ${s.nearDuplicates} near duplicates removed; ${s.tokensBefore} → ${s.tokensAfter} tokens, ${saved}% saved; mode ${s.mode}, threshold ${s.threshold}).`,
  ];
  if (out.groups.length) {
    lines.push('', 'Duplicate groups (kept ← dropped):');
    for (const g of out.groups.slice(0, 30)) {
      lines.push(`- ${g.kept.id} ← ${g.dropped.map((d) => `${d.id} (${d.reason} ${d.similarity.toFixed(2)})`).join(', ')}`);
    }
    const more = out.groups.length - 30 + out.groupsNotListed;
    if (more > 0) lines.push(`- … and ${more} more groups (see structured content)`);
  }
  if (out.unique.length) {
    lines.push('', 'Unique items:');
    for (const u of out.unique) lines.push(u.text !== undefined ? `[${u.id}] ${u.text}` : `[${u.id}]`);
  }
  return lines.join('\n');
}

export const dedupeTool = defineTool({
  name: 'dedupe',
  title: 'Remove duplicates',
  summary: 'Drop exact and near-duplicate items, paragraphs or lines (MinHash/LSH), keeping one representative of each group.',
  description:
    'Remove exact and near-duplicate passages locally: give `items` (strings or {id, text}) or a document (`text` or `path`, split into paragraphs, lines or chunks). ' +
    'Near duplicates are found with MinHash over word shingles and LSH, then verified (Jaccard, or containment for trimmed copies): copies with ~10% of words edited, a sentence dropped, or different case/whitespace/punctuation are caught, while distinct passages that share phrasing are kept. ' +
    'An item is only dropped when it is itself similar to the item kept for it (never through a chain), and entries built from one template that differ in a field value, path or name (copyright stanzas, option lists, short lines) are kept. ' +
    'Returns the unique items in original order, the duplicate groups (kept vs dropped, with similarity) and tokens before/after. Use it before summarizing or sending large collections (tickets, logs, scraped pages, chat exports) to a model.',
  inputSchema,
  outputSchema,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  cli: { text: 'text', path: 'path' },
  pageField: 'unique',
  async handler(input, ctx) {
    let items: DedupeItem[];
    if (input.items) {
      if (input.text !== undefined || input.path !== undefined) {
        throw new PrechewError('INVALID_INPUT', 'Give either `items` or a document (`text`/`path`), not both.');
      }
      if (input.items.length > ctx.app.config.limits.maxItems) {
        throw new PrechewError('INPUT_TOO_LARGE', `${input.items.length} items is over the limit of ${ctx.app.config.limits.maxItems} (limits.maxItems). Send them in batches.`);
      }
      const seen = new Set<string>();
      items = input.items.map((item, i) => {
        const it = typeof item === 'string' ? { id: String(i + 1), text: item } : item;
        if (seen.has(it.id)) throw new PrechewError('INVALID_INPUT', `Duplicate item id "${it.id}": ids must be unique.`);
        seen.add(it.id);
        return it;
      });
    } else {
      const source = await readTextSource(input, ctx);
      const pieces =
        input.split === 'chunks'
          ? splitChunks(source.text, input.chunkChars).map((p) => p.text)
          : input.split === 'lines'
            ? source.text.split(/\r?\n/).filter((line) => line.trim() !== '')
            : splitParagraphs(source.text).map((p) => p.text);
      if (pieces.length > ctx.app.config.limits.maxItems) {
        throw new PrechewError('INPUT_TOO_LARGE', `The document splits into ${pieces.length} ${input.split}, over the limit of ${ctx.app.config.limits.maxItems} items (limits.maxItems). Split it coarser (split "paragraphs" or "chunks") or send it in parts.`);
      }
      const prefix = input.split === 'chunks' ? 'c' : input.split === 'lines' ? 'l' : 'p';
      items = pieces.map((text, i) => ({ id: `${prefix}${i + 1}`, text }));
    }
    // Large near-mode inputs on a node with a mesh: the MinHash signatures go out as batches.
    const executor = ctx.app.executor as LocalExecutor;
    let chars = 0;
    for (const it of items) chars += it.text.length;
    const inUnits =
      input.mode === 'near' && chars >= DEDUPE_UNITS_MIN_CHARS && executor.remote !== undefined && input.offload !== 'off' && executor.has(DEDUPE_SIGNATURES_UNIT);
    let last = { done: 0, total: 0 };
    const result = await dedupeItems(items, {
      mode: input.mode,
      ...(input.threshold !== undefined ? { threshold: input.threshold } : {}),
      signal: ctx.signal,
      // Per batch: items are hashed in batches, then each LSH band is matched.
      onProgress: (done, total) => {
        last = { done, total };
        ctx.progress({ progress: done, total, message: done <= items.length ? `dedupe: hashed ${done} of ${items.length} items` : `dedupe: matched band ${done - items.length} of ${total - items.length}` });
      },
      // Batches report between two dedupe steps, so progress keeps increasing.
      computeBandKeys: inUnits
        ? bandKeysInUnits(ctx.app, input.offload, ctx.signal, (p) =>
            ctx.progress({ progress: last.done + (p.progress / ((p.total ?? p.progress) + 1)), ...(last.total ? { total: last.total } : {}), message: p.message }),
          )
        : undefined,
    });
    let tokensBefore = 0;
    for (const it of items) tokensBefore += countTokens(it.text);
    let tokensAfter = 0;
    for (const i of result.keptIndices) tokensAfter += countTokens(items[i]!.text);
    let exact = 0;
    let near = 0;
    for (const g of result.groups) {
      for (const d of g.dropped) {
        if (d.reason === 'exact') exact++;
        else near++;
      }
    }
    return {
      stats: {
        itemsIn: items.length,
        itemsOut: result.keptIndices.length,
        duplicatesRemoved: items.length - result.keptIndices.length,
        exactDuplicates: exact,
        nearDuplicates: near,
        tokensBefore,
        tokensAfter,
        mode: result.params.mode,
        threshold: result.params.threshold,
        shingleSize: result.params.shingleSize,
      },
      groups: result.groups.slice(0, MAX_GROUPS_LISTED).map((g) => ({
        kept: { id: g.keptId, index: g.keptIndex },
        dropped: g.dropped.map((d) => ({ id: d.id, index: d.index, similarity: Math.round(d.similarity * 1000) / 1000, reason: d.reason })),
      })),
      groupsNotListed: Math.max(0, result.groups.length - MAX_GROUPS_LISTED),
      unique: result.keptIndices.map((i) => ({ id: items[i]!.id, index: i, ...(input.includeText ? { text: items[i]!.text } : {}) })),
    };
  },
  render,
});
