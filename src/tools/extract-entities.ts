import { z } from 'zod';
import { ENTITY_TYPES, extractEntities, type EntitiesResult, type Entity, type EntityType, type ExtractOptions } from '../text/entities.js';
import { entityUnitCount, extractEntitiesUnit, mergeEntityUnits, sliceAtParagraphs, type EntitiesUnitInput, type EntitiesUnitOutput } from '../text/entities-units.js';
import { defaultWorkerCount, runOnWorkers, workerThreadsAvailable } from '../jobs/worker-pool.js';
import { countWords } from '../text/words.js';
import { throwIfCancelled } from '../errors.js';
import { makeUnit, runUnits, type LocalExecutor, type ProgressReporter } from '../jobs/units.js';
import type { AppServices } from '../services.js';
import { defineTool } from './types.js';
import { offloadField, readTextSource, textOrPathShape } from './inputs.js';

const entitySchema = z.object({
  type: z.enum(ENTITY_TYPES),
  text: z.string().describe('surface text of the first occurrence'),
  value: z.string().describe('normalized value (E.164 phone, ISO 8601 date, amount + currency…)'),
  count: z.number().int(),
  occurrences: z.array(z.object({ start: z.number().int(), end: z.number().int() })).describe('UTF-16 character offsets'),
  amount: z.number().optional(),
  currency: z.string().optional(),
  title: z.string().optional().describe('person only: the title written before the name ("Governor", "Dr."), not part of the span'),
});

const inputSchema = z
  .object({
    ...textOrPathShape,
    types: z.array(z.enum(ENTITY_TYPES)).min(1).optional().describe('Only these entity types (default: all).'),
    merge: z.boolean().default(true).describe('Merge repeated mentions by normalized value (default true).'),
    referenceDate: z.iso.date().optional().describe('ISO date (YYYY-MM-DD) that relative dates such as "next Friday" are resolved against.'),
    country: z
      .string()
      .regex(/^[A-Za-z]{2}$/)
      .optional()
      .describe('ISO 3166 country code used to normalize phone numbers written without +country prefix, e.g. "US", "DE".'),
    offload: offloadField,
  })
  .strict();

const outputSchema = z.object({
  source: z.string(),
  words: z.number().int(),
  total: z.number().int().describe('number of distinct entities (or mentions when merge=false)'),
  units: z.number().int().describe('units of work the text was split into (large texts run in parallel on worker threads)'),
  counts: z.record(z.string(), z.number().int()),
  entities: z.record(z.string(), z.array(entitySchema)).describe('entities grouped by type'),
});
type Output = z.infer<typeof outputSchema>;

function render(out: Output): string {
  const lines = [`Entities in ${out.source} (${out.words} words): ${out.total} found.`];
  for (const [type, list] of Object.entries(out.entities)) {
    if (!list || list.length === 0) continue;
    lines.push('', `## ${type} (${out.counts[type] ?? list.length})`);
    for (const e of list) {
      const value = e.value !== e.text ? ` → ${e.value}` : '';
      const times = e.count > 1 ? ` ×${e.count}` : '';
      const title = e.title ? ` (${e.title})` : '';
      lines.push(`- ${e.text}${title}${value}${times}`);
    }
  }
  return lines.join('\n');
}

/** Above this size the text is split into units extracted on worker threads, one per core. */
export const PARALLEL_ENTITIES_CHARS = 200_000;

export const ENTITIES_UNIT_KIND = 'entities.extract';

const entitiesUnitInputSchema = z.object({
  text: z.string(),
  offset: z.number().int().nonnegative(),
  options: z
    .object({
      types: z.array(z.enum(ENTITY_TYPES)).optional(),
      merge: z.boolean().optional(),
      referenceDate: z.string().optional(),
      defaultCountry: z.string().optional(),
    })
    .strict(),
});
const entitiesUnitOutputSchema = z.object({
  offset: z.number().int(),
  result: z.object({
    entities: z.record(z.string(), z.array(entitySchema.loose())),
    counts: z.record(z.string(), z.number().int()),
    total: z.number().int(),
  }),
});

/**
 * Registers "entities.extract" on the app's executor: a slice of text in, its entities out. It runs
 * on a worker thread when the build has them (so the event loop stays free), and on peers when the
 * mesh offloads; the output is deterministic, so `mesh.verify: quorum` can compare it.
 */
export function registerEntityUnits(app: AppServices): void {
  const executor = app.executor as LocalExecutor;
  if (typeof executor.registerKind !== 'function' || executor.has(ENTITIES_UNIT_KIND)) return;
  executor.registerKind<EntitiesUnitInput, EntitiesUnitOutput>({
    kind: ENTITIES_UNIT_KIND,
    version: '1',
    input: entitiesUnitInputSchema as unknown as z.ZodType<EntitiesUnitInput>,
    output: entitiesUnitOutputSchema as unknown as z.ZodType<EntitiesUnitOutput>,
    maxInputBytes: 16 * 1024 * 1024,
    deterministic: true,
    handler: async (input, uctx) => {
      if (!workerThreadsAvailable()) return extractEntitiesUnit(input);
      const [out] = await runOnWorkers<EntitiesUnitInput, EntitiesUnitOutput>(new URL('../text/entities-units.js', import.meta.url), 'extractEntitiesUnit', [input], { workers: 1, signal: uctx.signal, lowPriority: uctx.remote });
      return out!;
    },
  });
}

async function extractInUnits(
  text: string,
  options: ExtractOptions,
  ctx: { app: AppServices; signal: AbortSignal; offload: 'auto' | 'off' | undefined },
  progress: ProgressReporter,
): Promise<EntitiesResult & { units: number }> {
  const { signal } = ctx;
  if (text.length < PARALLEL_ENTITIES_CHARS) return { ...extractEntities(text, options), units: 1 };
  const workers = defaultWorkerCount();
  const executor = ctx.app.executor as LocalExecutor;
  const meshOn = executor.remote !== undefined && ctx.offload !== 'off';
  // With peers, cut the text so every slot (here and on them) gets a share.
  const slots = workers + (meshOn ? (executor.remote?.peerSlots() ?? 0) : 0);
  const units: EntitiesUnitInput[] = sliceAtParagraphs(text, entityUnitCount(text.length, slots)).map((s) => ({ text: s.text, offset: s.offset, options }));
  let parts: EntitiesUnitOutput[];
  if (executor.has(ENTITIES_UNIT_KIND) && (meshOn || (workers >= 2 && workerThreadsAvailable()))) {
    // Units go through the executor: worker threads here, and trusted peers when the mesh offloads.
    parts = await runUnits<EntitiesUnitInput, EntitiesUnitOutput>(
      executor,
      units.map((u) => makeUnit(ENTITIES_UNIT_KIND, u)),
      {
        concurrency: workers,
        signal,
        offload: ctx.offload,
        label: 'unit',
        onProgress: (p) => progress({ progress: p.progress, total: p.total, message: `extracted unit ${p.progress} of ${units.length}${p.ranOn ? ` on ${p.ranOn}` : ''}` }),
      },
    );
  } else {
    // In-process: one unit at a time, yielding between units so a cancellation can land.
    parts = [];
    for (const unit of units) {
      throwIfCancelled(signal);
      parts.push(extractEntitiesUnit(unit));
      progress({ progress: parts.length, total: units.length, message: `extracted unit ${parts.length} of ${units.length}` });
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    throwIfCancelled(signal);
  }
  return { ...mergeEntityUnits(parts, options.merge !== false, options.types), units: units.length };
}

export const extractEntitiesTool = defineTool({
  name: 'extract-entities',
  title: 'Extract entities',
  summary: 'People, organizations, places, emails, URLs, phones, dates, money, percents, hashtags, mentions — with offsets.',
  description:
    'Extract named entities and structured values from text locally (no model, no network): person, organization, place, email, url, phone (E.164), date (ISO 8601, relative dates resolved against referenceDate), money (amount + ISO currency), percent, hashtag, mention. ' +
    'Each entity comes with its normalized value, count and every character offset. Use it to pull facts (who, where, when, how much) out of long documents or transcripts before reasoning over them, instead of reading the whole text. ' +
    'Input: `text` or `path` (a file inside an allowed root); optional `types` filter.',
  inputSchema,
  outputSchema,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  cli: { text: 'text', path: 'path' },
  pageField: 'entities',
  async handler(input, ctx) {
    const source = await readTextSource(input, ctx);
    ctx.progress({ progress: 0, total: 1, message: 'extracting entities' });
    const options: ExtractOptions = {
      ...(input.types ? { types: input.types as EntityType[] } : {}),
      merge: input.merge,
      ...(input.referenceDate ? { referenceDate: input.referenceDate } : {}),
      ...(input.country ? { defaultCountry: input.country.toUpperCase() } : {}),
    };
    const result = await extractInUnits(source.text, options, { app: ctx.app, signal: ctx.signal, offload: input.offload }, (p) => ctx.progress(p));
    // Progress only grows: the in-process path has reported unit counts by now.
    ctx.progress({ progress: result.units, total: result.units, message: 'done' });
    const entities: Record<string, Entity[]> = {};
    for (const [type, list] of Object.entries(result.entities)) if (list && list.length) entities[type] = list;
    const counts: Record<string, number> = {};
    for (const [type, n] of Object.entries(result.counts)) if (n) counts[type] = n;
    return { source: source.name, words: countWords(source.text), total: result.total, units: result.units, counts, entities };
  },
  render,
});
