/**
 * Adversarial inputs for every text entry point: long runs of one character ('.', ' ', '@', '-',
 * digits, 'a', '<', '[') and a mixed run, at 10k, 100k and 1M characters, so super-linear growth
 * shows in the figures (a linear step is about x10 per size). Bounded: once a size takes over
 * 10 s (or would, at linear growth, overrun the run's time budget) the larger sizes print
 * "skipped". Prints figures only, asserts nothing.
 */
import { condenseTexts } from '../src/text/condense.js';
import { dedupeItems } from '../src/text/dedupe.js';
import { extractEntities } from '../src/text/entities.js';
import { summarizeExtractive } from '../src/text/extractive-summary.js';
import { pseudonymize } from '../src/text/privacy.js';
import { splitSentences } from '../src/text/sentences.js';
import { analyzeSentiment } from '../src/text/sentiment.js';
import { Vault } from '../src/text/vault.js';

const SIZES = [10_000, 100_000, 1_000_000];
/** A size slower than this skips the larger sizes of the same input. */
const SLOW_MS = 10_000;
/** The whole default run stays within about two minutes. */
const BUDGET_MS = Number(process.env.PRECHEW_BENCH_ADVERSARIAL_BUDGET_MS ?? 100_000);

const PATTERNS: Array<[name: string, unit: string]> = [
  ["'.'", '.'],
  ["' '", ' '],
  ["'@'", '@'],
  ["'-'", '-'],
  ['digits', '0123456789'],
  ["'a'", 'a'],
  ["'<'", '<'],
  ["'['", '['],
  ['mixed', 'a.b@c-d 12 <x>[y] e@f.gh -3.4 '],
];

const TOOLS: Array<[name: string, run: (text: string) => unknown]> = [
  ['redact', (t) => pseudonymize(t, new Vault('v_000000000000000000000000'))],
  ['extract-entities', (t) => extractEntities(t)],
  ['dedupe', (t) => dedupeItems([{ id: '1', text: t }, { id: '2', text: t.slice(0, t.length >> 1) }], { mode: 'near' })],
  ['condense', (t) => condenseTexts([{ name: 'adversarial', text: t }], { budgetTokens: 500 })],
  ['summarize (extractive)', (t) => summarizeExtractive(t)],
  ['classify (sentiment)', (t) => analyzeSentiment(t)],
  ['sentence split', (t) => splitSentences(t)],
];

function makeText(unit: string, size: number): string {
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)} ms` : ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function sizeLabel(size: number): string {
  return size >= 1_000_000 ? `${size / 1_000_000}M` : `${size / 1000}k`;
}

export async function benchAdversarial(): Promise<Record<string, string>> {
  const figures: Record<string, string> = {};
  const started = performance.now();
  let worstRatio = 0;
  let worstName = '';
  for (const [tool, run] of TOOLS) {
    for (const [patternName, unit] of PATTERNS) {
      const cells: string[] = [];
      const times: number[] = [];
      let skip = false;
      for (const size of SIZES) {
        const left = BUDGET_MS - (performance.now() - started);
        const previous = times[times.length - 1];
        // Skip after a slow size, or when even linear growth from the previous size would overrun the budget.
        if (skip || left <= 0 || (previous !== undefined && previous * 10 > left)) {
          cells.push(`${sizeLabel(size)} skipped`);
          skip = true;
          continue;
        }
        const text = makeText(unit, size);
        const t0 = performance.now();
        let note = '';
        try {
          await run(text);
        } catch (error) {
          note = ` (${(error as { code?: string }).code ?? 'error'})`;
        }
        const ms = performance.now() - t0;
        times.push(ms);
        cells.push(`${sizeLabel(size)} ${formatMs(ms)}${note}`);
        if (ms > SLOW_MS) skip = true;
      }
      const first = times[0];
      const last = times[times.length - 1];
      // Growth per 10x of input between the first and last measured sizes (10 = linear).
      const steps = times.length - 1;
      const growth = steps > 0 && first! > 0.05 ? Math.pow(last! / first!, 1 / steps) : undefined;
      if (growth !== undefined && growth > worstRatio) {
        worstRatio = growth;
        worstName = `${tool} ${patternName}`;
      }
      figures[`${tool} ${patternName}`] = `${cells.join(' | ')}${growth !== undefined ? `  (x${growth.toFixed(1)} per 10x)` : ''}`;
    }
  }
  figures['steepest growth'] = worstName ? `${worstName}: x${worstRatio.toFixed(1)} per 10x input (x10 = linear)` : 'n/a';
  return figures;
}
