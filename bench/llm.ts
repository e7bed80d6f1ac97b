/**
 * LLM path benchmark: generation throughput through the `summarize` tool (the full invokeTool
 * path: validation, engine pool, chat template, map-reduce planning) against calling
 * node-llama-cpp directly with the same model, prompt, threads, context and sampling. Uses a
 * generated random-weight llama model of realistic width (throughput does not depend on trained
 * weights); when a real GGUF sits in ./models (or PRECHEW_MODELS_DIR), its figures are added.
 * GPU: models.llm.gpu "auto", so a CUDA machine reports CUDA figures. Prints nothing, asserts nothing.
 */
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { createApp, type App } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { defaultThreadCount, summaryMessages } from '../src/engines/llama.js';
import { listModels } from '../src/engines/models.js';
import { invokeTool } from '../src/tools/invoke.js';
import { summarizeTool } from '../src/tools/summarize.js';
import type { ToolContext } from '../src/tools/types.js';
import { writeTinyGguf } from '../test/helpers/tiny-gguf.js';

const ARTICLE =
  'The city council of Springfield approved a budget of $4.2 million on March 3, 2024, after a debate that lasted more than six hours. ' +
  'Mayor Jane Alvarez said the money will fund two new public libraries, repair 14 bridges and hire 35 additional teachers for the district. ' +
  'Opposition leader Tom Becker argued that property taxes would rise by 3 percent as a result, and proposed delaying the library projects until 2026. ' +
  'Construction is expected to start in June and finish by the end of 2025, according to the city engineering office. ' +
  'Residents can comment on the plan at a public hearing on April 10 at the central library, or online until April 30.';

const LONG = Array.from({ length: 4 }, (_, i) => `Part ${i + 1}. ${ARTICLE}`).join('\n\n');

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function round(n: number, d = 2): number {
  const f = 10 ** d;
  return Math.round(n * f) / f;
}

interface Measure {
  toolTokPerSec: number;
  directTokPerSec: number;
  overhead: number;
  toolMs: number;
  directMs: number;
  generated: number;
  device: string;
}

async function callSummarize(app: App, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const ctx: ToolContext = {
    app,
    signal: new AbortController().signal,
    progress: () => undefined,
    clientRoots: async () => [],
  };
  const res = await invokeTool(summarizeTool, args, ctx, {
    pageStore: app.pageStore,
    maxOutputTokens: Infinity,
  });
  if (res.isError) throw new Error(res.text);
  return res.structured!;
}

interface Run {
  ms: number;
  tokens: number;
}

const SETTINGS = { contextSize: 2048, seed: 11, temperature: 0.2 };

/** A phase of calls through the summarize tool (fresh app, model loaded and warmed first). */
async function toolPhase(
  modelsDir: string,
  modelFile: string,
  maxTokens: number,
  reps: number,
  threads: number,
): Promise<Run[]> {
  const app = createApp(
    parseConfig({
      data: { dir: mkdtempSync(path.join(os.tmpdir(), 'prechew-bench-data-')), cache: false },
      models: {
        dir: modelsDir,
        llm: { path: modelFile, gpu: 'auto', threads, ...SETTINGS, idleUnloadMs: 0 },
      },
      logLevel: 'error',
    }),
  );
  const runs: Run[] = [];
  try {
    await callSummarize(app, { text: ARTICLE, engine: 'llm', maxOutputTokens: 16 });
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      const out = await callSummarize(app, {
        text: ARTICLE + ` (${i})`,
        engine: 'llm',
        maxOutputTokens: maxTokens,
      });
      runs.push({ ms: performance.now() - t0, tokens: out.generatedTokens as number });
    }
  } finally {
    await app.dispose();
  }
  return runs;
}

/** The same calls straight through node-llama-cpp, set up the way a careful direct user would. */
async function directPhase(
  modelsDir: string,
  modelFile: string,
  maxTokens: number,
  reps: number,
  threads: number,
): Promise<{ runs: Run[]; device: string }> {
  const { getLlama, LlamaChat, resolveChatWrapper } = await import('node-llama-cpp');
  let llama = await getLlama({ gpu: 'auto', build: 'never', skipDownload: true, progressLogs: false });
  if (llama.gpu !== false && (await llama.getGpuDeviceNames()).length === 0) {
    await llama.dispose();
    llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, progressLogs: false });
  }
  const device =
    llama.gpu === false
      ? `cpu x${threads} threads`
      : `${llama.gpu} (${(await llama.getGpuDeviceNames()).join(', ')})`;
  const model = await llama.loadModel({ modelPath: path.join(modelsDir, modelFile) });
  const context = await model.createContext({ contextSize: SETTINGS.contextSize, sequences: 1, threads });
  const seq = context.getSequence();
  const chatWrapper = resolveChatWrapper(model);
  const call = async (text: string, max: number): Promise<Run> => {
    const t0 = performance.now();
    // Start each call from an empty sequence, as the engine does, so no context shift is measured.
    await seq.clearHistory();
    const chat = new LlamaChat({ contextSequence: seq, chatWrapper, autoDisposeSequence: false });
    const m = summaryMessages(text, { style: 'paragraph', targetSentences: 5 });
    let tokens = 0;
    await chat.generateResponse(
      [
        { type: 'system', text: m[0]!.content },
        { type: 'user', text: m[1]!.content },
      ],
      {
        maxTokens: max,
        temperature: SETTINGS.temperature,
        seed: SETTINGS.seed,
        budgets: { thoughtTokens: 0 },
        onToken: (t) => (tokens += t.length),
      },
    );
    chat.dispose({ disposeSequence: false });
    return { ms: performance.now() - t0, tokens };
  };
  const runs: Run[] = [];
  try {
    await call(ARTICLE, 16);
    for (let i = 0; i < reps; i++) runs.push(await call(ARTICLE + ` (${i})`, maxTokens));
  } finally {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  }
  return { runs, device };
}

/**
 * Same model, prompt and settings through the tool and straight through node-llama-cpp; phases
 * in the order tool, direct, direct, tool so drifting machine load hits both sides alike.
 */
async function measure(
  modelsDir: string,
  modelFile: string,
  maxTokens: number,
  repsPerPhase: number,
): Promise<Measure> {
  const threads = defaultThreadCount();
  const toolRuns = await toolPhase(modelsDir, modelFile, maxTokens, repsPerPhase, threads);
  const d1 = await directPhase(modelsDir, modelFile, maxTokens, repsPerPhase, threads);
  const d2 = await directPhase(modelsDir, modelFile, maxTokens, repsPerPhase, threads);
  toolRuns.push(...(await toolPhase(modelsDir, modelFile, maxTokens, repsPerPhase, threads)));
  const directRuns = [...d1.runs, ...d2.runs];
  const tps = (r: Run) => r.tokens / (r.ms / 1000);
  const toolTokPerSec = median(toolRuns.map(tps));
  const directTokPerSec = median(directRuns.map(tps));
  return {
    toolTokPerSec: round(toolTokPerSec, 1),
    directTokPerSec: round(directTokPerSec, 1),
    overhead: round(directTokPerSec / toolTokPerSec, 3),
    toolMs: Math.round(median(toolRuns.map((r) => r.ms))),
    directMs: Math.round(median(directRuns.map((r) => r.ms))),
    generated: median(toolRuns.map((r) => r.tokens)),
    device: d1.device,
  };
}

async function measureMapReduce(modelsDir: string, modelFile: string): Promise<Record<string, number>> {
  const app = createApp(
    parseConfig({
      data: { dir: mkdtempSync(path.join(os.tmpdir(), 'prechew-bench-data-')), cache: false },
      models: {
        dir: modelsDir,
        llm: { path: modelFile, gpu: 'auto', contextSize: 1024, seed: 5, idleUnloadMs: 0 },
      },
      logLevel: 'error',
    }),
  );
  try {
    await callSummarize(app, { text: ARTICLE, engine: 'llm', maxOutputTokens: 16 });
    const t0 = performance.now();
    const out = await callSummarize(app, { text: LONG, engine: 'llm', maxOutputTokens: 16 });
    const ms = performance.now() - t0;
    return {
      mapReduceChunks: out.chunks as number,
      mapReduceMs: Math.round(ms),
      mapReduceInputTokensPerSec: Math.round((out.tokensIn as number) / (ms / 1000)),
    };
  } finally {
    await app.dispose();
  }
}

export async function benchLlm(): Promise<Record<string, number | string>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'prechew-bench-llm-'));
  const figures: Record<string, number | string> = {};
  try {
    const shape = {
      embd: 512,
      layers: 4,
      heads: 8,
      ff: 1408,
      extraVocab: 4000,
      type: 'f16' as const,
      contextLength: 4096,
      name: 'bench-512x4',
    };
    const t0 = performance.now();
    writeTinyGguf(path.join(dir, 'bench.gguf'), shape);
    figures.generatedModel = `llama ${shape.embd}x${shape.layers} F16 (random weights, ~${Math.round((shape.layers * (4 * shape.embd ** 2 + 3 * shape.embd * shape.ff) + 2 * shape.embd * (shape.extraVocab + 700)) / 1e6)}M params)`;
    figures.generateModelMs = Math.round(performance.now() - t0);
    const m = await measure(dir, 'bench.gguf', 48, 3);
    figures.device = m.device;
    figures.toolTokensPerSec = m.toolTokPerSec;
    figures.directTokensPerSec = m.directTokPerSec;
    figures.overheadRatio = m.overhead;
    figures.toolMsPerCall = m.toolMs;
    figures.directMsPerCall = m.directMs;
    figures.generatedTokensPerCall = m.generated;
    Object.assign(figures, await measureMapReduce(dir, 'bench.gguf'));

    const real = (await listModels(parseConfig({ models: { dir: path.resolve('models') } }))).find(
      (x) => x.kind === 'llm' && !x.error,
    );
    if (real) {
      const r = await measure(path.dirname(real.path), path.basename(real.path), 32, 1);
      figures.realModel = `${real.name} (${real.sizeLabel ?? '?'} ${real.quantization ?? ''})`;
      figures.realToolTokensPerSec = r.toolTokPerSec;
      figures.realDirectTokensPerSec = r.directTokPerSec;
      figures.realOverheadRatio = r.overhead;
    } else {
      figures.realModel = 'none in ./models';
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}
