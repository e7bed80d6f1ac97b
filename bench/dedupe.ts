/**
 * Dedupe benchmark: throughput of exact and near modes on 10k and 100k generated ~1 KB passages
 * (a quarter distinct bases, the rest edited copies; see near-dup-corpus.ts), a tokenize-only
 * pass over the same text as the floor any mode pays, and pairwise precision / recall / F1 of the
 * default settings against the corpus ground truth. Prints nothing, asserts nothing.
 */
import { dedupeItems, type DedupeItem, type DedupeMode } from '../src/text/dedupe.js';
import { tokenizeWords } from '../src/text/normalize.js';
import { generateNearDupCorpus, pairwiseScores } from './near-dup-corpus.js';

function throughputCorpus(items: number, seed: number): { items: DedupeItem[]; bytes: number } {
  const { items: corpus } = generateNearDupCorpus({ seed, bases: Math.ceil(items / 4), copiesPerBase: 3 });
  // A JSON round trip, as a request would arrive: flat strings, no generator ropes.
  const parsed = JSON.parse(
    JSON.stringify(corpus.slice(0, items).map(({ id, text }) => ({ id, text }))),
  ) as DedupeItem[];
  let bytes = 0;
  for (const it of parsed) bytes += Buffer.byteLength(it.text, 'utf8');
  return { items: parsed, bytes };
}

const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

export async function benchDedupe(): Promise<Record<string, number | string>> {
  const figures: Record<string, number | string> = {};

  for (const count of [10_000, 100_000]) {
    const label = `${count / 1000}k`;
    const { items, bytes } = throughputCorpus(count, 17);
    figures[`${label} input MB`] = round(bytes / 1e6);

    let started = performance.now();
    let words = 0;
    for (const it of items) words += tokenizeWords(it.text).length;
    let seconds = (performance.now() - started) / 1000;
    figures[`${label} tokenize-only MB/s (floor)`] = round(bytes / 1e6 / seconds);
    figures[`${label} words`] = words;

    for (const mode of ['exact', 'near'] as DedupeMode[]) {
      started = performance.now();
      const result = await dedupeItems(items, { mode });
      seconds = (performance.now() - started) / 1000;
      figures[`${label} ${mode} items/s`] = Math.round(count / seconds);
      figures[`${label} ${mode} MB/s`] = round(bytes / 1e6 / seconds, 2);
      figures[`${label} ${mode} kept`] = result.keptIndices.length;
    }
  }
  figures['rss MB after 100k'] = Math.round(process.memoryUsage().rss / 1e6);

  // Quality of the defaults against ground truth (3,000 bases × 4 = 12,000 items).
  const { items: corpus } = generateNearDupCorpus({ seed: 1, bases: 3000, copiesPerBase: 3 });
  const result = await dedupeItems(corpus.map(({ id, text }) => ({ id, text })));
  const predicted = corpus.map((_, i) => i);
  for (const g of result.groups) for (const d of g.dropped) predicted[d.index] = g.keptIndex;
  const scores = pairwiseScores(
    corpus.map((c) => c.group),
    predicted,
  );
  const p = result.params;
  figures['quality params'] =
    `threshold ${p.threshold}, shingle ${p.shingleSize}, ${p.numHashes} hashes = ${p.bands}×${p.rows}`;
  figures['quality items'] = corpus.length;
  figures['quality precision'] = round(scores.precision, 4);
  figures['quality recall'] = round(scores.recall, 4);
  figures['quality F1'] = round(scores.f1, 4);
  return figures;
}
