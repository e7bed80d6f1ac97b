/**
 * Entity extraction as units: a large text is cut at paragraph breaks into slices that are
 * extracted independently (on worker threads, later on peers) and merged back with the offsets
 * shifted, exactly as one call over the whole text would report them.
 */
import { ENTITY_TYPES, extractEntities, type EntitiesResult, type Entity, type EntityType, type ExtractOptions } from './entities.js';

export interface EntitiesUnitInput {
  text: string;
  offset: number;
  options: ExtractOptions;
}

export interface EntitiesUnitOutput {
  offset: number;
  result: EntitiesResult;
}

/** The unit handler: pure, JSON in and out, so it can run on any thread or peer. */
export function extractEntitiesUnit(input: EntitiesUnitInput): EntitiesUnitOutput {
  return { offset: input.offset, result: extractEntities(input.text, input.options) };
}

/** Above this many characters a text is cut into units of about this size: bounded memory per unit, cancellable between units. */
export const ENTITY_UNIT_CHARS = 1_000_000;

/** How many units a text of `length` characters is cut into for `workers` threads. */
export function entityUnitCount(length: number, workers: number): number {
  return Math.max(workers, Math.ceil(length / ENTITY_UNIT_CHARS));
}

/** Cut text into about `parts` slices at blank lines (else line ends, else spaces) near equal sizes. */
export function sliceAtParagraphs(text: string, parts: number): Array<{ text: string; offset: number }> {
  if (parts <= 1 || text.length < 2) return [{ text, offset: 0 }];
  const slices: Array<{ text: string; offset: number }> = [];
  const target = Math.ceil(text.length / parts);
  let start = 0;
  while (start < text.length) {
    if (text.length - start <= target * 1.2) {
      slices.push({ text: text.slice(start), offset: start });
      break;
    }
    const ideal = start + target;
    const window = Math.floor(target * 0.2);
    // Search only the window around the ideal cut, so cutting stays linear in the text length.
    const lo = Math.max(start + 1, ideal - window);
    const region = text.slice(lo, ideal + window + 2);
    let cut = -1;
    for (const sep of ['\n\n', '\n', '. ', ' ']) {
      const after = region.indexOf(sep, ideal - lo);
      const before = region.lastIndexOf(sep, ideal - lo);
      const candidates = [after, before].filter((i) => i >= 0).map((i) => i + lo).filter((i) => i > start && Math.abs(i - ideal) <= window);
      if (candidates.length) {
        cut = candidates.sort((a, b) => Math.abs(a - ideal) - Math.abs(b - ideal))[0]! + sep.length;
        break;
      }
    }
    if (cut <= start) cut = ideal;
    slices.push({ text: text.slice(start, cut), offset: start });
    start = cut;
  }
  return slices;
}

/** Merge per-slice results into one, shifting offsets; same merging rules as extractEntities. */
export function mergeEntityUnits(parts: EntitiesUnitOutput[], merge: boolean, types: EntityType[] | undefined): EntitiesResult {
  const wanted = types && types.length ? types : [...ENTITY_TYPES];
  const entities: Partial<Record<EntityType, Entity[]>> = {};
  const counts: Partial<Record<EntityType, number>> = {};
  let total = 0;
  for (const type of wanted) {
    const list: Entity[] = [];
    const index = new Map<string, Entity>();
    for (const part of [...parts].sort((a, b) => a.offset - b.offset)) {
      for (const e of part.result.entities[type] ?? []) {
        const occurrences = e.occurrences.map((o) => ({ start: o.start + part.offset, end: o.end + part.offset }));
        const key = e.value.toLowerCase();
        const existing = merge ? index.get(key) : undefined;
        if (existing) {
          // One push per occurrence: spreading a huge array into push() overflows the call stack.
          for (const o of occurrences) existing.occurrences.push(o);
          existing.count += e.count;
          continue;
        }
        const copy: Entity = { ...e, occurrences };
        list.push(copy);
        if (merge) index.set(key, copy);
      }
    }
    if (merge) {
      for (const e of list) e.occurrences.sort((a, b) => a.start - b.start);
      list.sort((a, b) => b.count - a.count || (a.occurrences[0]?.start ?? 0) - (b.occurrences[0]?.start ?? 0));
    } else {
      list.sort((a, b) => (a.occurrences[0]?.start ?? 0) - (b.occurrences[0]?.start ?? 0));
    }
    entities[type] = list;
    counts[type] = list.length;
    total += list.length;
  }
  return { entities, counts, total };
}
