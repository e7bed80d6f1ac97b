/**
 * Adversarial inputs for every text entry point: long runs of one character ('.', ' ', '@', '-',
 * digits, 'a', '<', '[') and a mixed run, at 10k, 100k and 1M characters, so super-linear growth
 * shows in the figures (a linear step is about x10 per size). Each call runs in a worker thread
 * that is terminated when it overruns, so one quadratic case cannot stall the run: a size that
 * takes over 10 s (or the tool's share of the two-minute budget) prints "timeout" and the larger sizes
 * of that input print "skipped". Prints figures only, asserts nothing.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { condenseTexts } from '../src/text/condense.js';
import { dedupeItems } from '../src/text/dedupe.js';
import { extractEntities } from '../src/text/entities.js';
import { summarizeExtractive } from '../src/text/extractive-summary.js';
import { pseudonymize } from '../src/text/privacy.js';
import { splitSentences } from '../src/text/sentences.js';
import { analyzeSentiment } from '../src/text/sentiment.js';
import { Vault } from '../src/text/vault.js';

const SIZES = [10_000, 100_000, 1_000_000];
/** A call slower than this is stopped, and the larger sizes of the same input are skipped. */
const SLOW_MS = 10_000;
/** The whole run's time budget (about two minutes by default), shared among the tools still to run; raise it to measure every size. */
const BUDGET_MS = Number(process.env.PRECHEW_BENCH_ADVERSARIAL_BUDGET_MS ?? 110_000);

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

// Usually fast tools first: what they leave of the budget goes to the slower ones.
const TOOLS: Record<string, (text: string) => unknown> = {
  'sentence split': (t) => splitSentences(t),
  'classify (sentiment)': (t) => analyzeSentiment(t),
  'summarize (extractive)': (t) => summarizeExtractive(t),
  dedupe: (t) =>
    dedupeItems(
      [
        { id: '1', text: t },
        { id: '2', text: t.slice(0, t.length >> 1) },
      ],
      { mode: 'near' },
    ),
  'extract-entities': (t) => extractEntities(t),
  redact: (t) => pseudonymize(t, new Vault('v_000000000000000000000000')),
  condense: (t) => condenseTexts([{ name: 'adversarial', text: t }], { budgetTokens: 500 }),
};

function makeText(unit: string, size: number): string {
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

interface Job {
  tool: string;
  unit: string;
  size: number;
}
type Reply = { ms: number; error?: string };

/** Repeat a fast call until this much time has passed, and report the mean, so tiny times are not noise. */
const MIN_SAMPLE_MS = 50;

// Worker side: time one input (repeated while fast) per message and report the mean per call.
if (!isMainThread && (workerData as { adversarial?: boolean } | null)?.adversarial) {
  parentPort!.on('message', (job: Job) => {
    const text = makeText(job.unit, job.size);
    void (async () => {
      const t0 = performance.now();
      let runs = 0;
      try {
        do {
          await TOOLS[job.tool]!(text);
          runs++;
        } while (performance.now() - t0 < MIN_SAMPLE_MS && runs < 50);
        parentPort!.postMessage({ ms: (performance.now() - t0) / runs } satisfies Reply);
      } catch (error) {
        parentPort!.postMessage({
          ms: (performance.now() - t0) / Math.max(1, runs),
          error: (error as { code?: string }).code ?? 'error',
        } satisfies Reply);
      }
    })();
  });
}

function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)} ms` : ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function sizeLabel(size: number): string {
  return size >= 1_000_000 ? `${size / 1_000_000}M` : `${size / 1000}k`;
}

/** Runs jobs in one worker thread, replacing it when a job overruns its limit. */
class JobRunner {
  private worker: Worker | undefined;

  /** A fresh worker, warmed up on ordinary text so module loading and JIT are not timed. */
  private async start(tool: string): Promise<Worker> {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL(import.meta.url), { workerData: { adversarial: true } });
    this.worker = worker;
    await this.send(worker, { tool, unit: 'Alice met Bob in Paris. It rained. ', size: 20_000 }, 60_000);
    return worker;
  }

  async run(job: Job, limitMs: number): Promise<Reply | 'timeout'> {
    return this.send(await this.start(job.tool), job, limitMs);
  }

  private send(worker: Worker, job: Job, limitMs: number): Promise<Reply | 'timeout'> {
    return new Promise((resolve) => {
      const done = (value: Reply | 'timeout') => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        resolve(value);
      };
      const onMessage = (reply: Reply) => done(reply);
      const onError = (error: Error) => done({ ms: 0, error: error.message });
      const timer = setTimeout(() => {
        void worker.terminate();
        this.worker = undefined;
        done('timeout');
      }, limitMs);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }
}

export async function benchAdversarial(): Promise<Record<string, string>> {
  const figures: Record<string, string> = {};
  const runner = new JobRunner();
  let worst = { growth: 0, name: '' };
  try {
    const runStarted = performance.now();
    const tools = Object.keys(TOOLS);
    for (const [index, tool] of tools.entries()) {
      const started = performance.now();
      const toolBudget = (BUDGET_MS - (started - runStarted)) / (tools.length - index);
      const cells = new Map<string, string[]>(PATTERNS.map(([name]) => [name, []]));
      const times = new Map<string, number[]>(PATTERNS.map(([name]) => [name, []]));
      const stopped = new Set<string>();
      // Smallest size of every input first, so a slow input cannot starve the others of the budget.
      for (const size of SIZES) {
        for (const [name, unit] of PATTERNS) {
          const left = toolBudget - (performance.now() - started);
          if (stopped.has(name)) {
            cells.get(name)!.push(`${sizeLabel(size)} skipped`);
            continue;
          }
          if (left < 50) {
            // Not slow itself: the tool's share of the run's time is spent (raise PRECHEW_BENCH_ADVERSARIAL_BUDGET_MS).
            cells.get(name)!.push(`${sizeLabel(size)} skipped (budget)`);
            stopped.add(name);
            continue;
          }
          const limit = Math.min(SLOW_MS, left);
          const reply = await runner.run({ tool, unit, size }, limit);
          if (reply === 'timeout') {
            cells.get(name)!.push(`${sizeLabel(size)} timeout (>${formatMs(limit)})`);
            stopped.add(name);
            continue;
          }
          times.get(name)!.push(reply.ms);
          cells
            .get(name)!
            .push(`${sizeLabel(size)} ${formatMs(reply.ms)}${reply.error ? ` (${reply.error})` : ''}`);
          if (reply.ms > SLOW_MS) stopped.add(name);
        }
      }
      for (const [name] of PATTERNS) {
        const t = times.get(name)!;
        // Growth over the last 10x step measured (x10 = linear); small sizes are too noisy to compare.
        const growth =
          t.length > 1 && t[t.length - 2]! > 0.05 ? t[t.length - 1]! / t[t.length - 2]! : undefined;
        if (growth !== undefined && growth > worst.growth) worst = { growth, name: `${tool} ${name}` };
        figures[`${tool} ${name}`] =
          `${cells.get(name)!.join(' | ')}${growth !== undefined ? `  (x${growth.toFixed(1)} per 10x)` : ''}`;
      }
    }
  } finally {
    await runner.close();
  }
  figures['steepest measured growth'] = worst.name
    ? `${worst.name}: x${worst.growth.toFixed(1)} per 10x input (x10 = linear)`
    : 'n/a';
  return figures;
}
