/**
 * The summarize tool through the real invokeTool path: the llm engine (map-reduce on a tiny
 * generated GGUF through node-llama-cpp), the automatic fallback to the extractive engine, and
 * the error paths.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import type { ProgressUpdate } from '../../src/jobs/units.js';
import { SUMMARIZE_CHUNK_UNIT, summarizeTool } from '../../src/tools/summarize.js';
import { callTool, makeTestApp, tempDir } from '../helpers/app.js';
import { buildTinyGguf, writeTinyGguf } from '../helpers/tiny-gguf.js';

const ARTICLE =
  'The city council of Springfield approved a budget of $4.2 million on March 3, 2024. ' +
  'Mayor Jane Alvarez said the money will fund two new libraries and repair 14 bridges. ' +
  'Opposition leader Tom Becker argued that taxes would rise by 3 percent as a result. ' +
  'Construction is expected to start in June and finish by the end of 2025. ' +
  'Residents can comment on the plan at a public hearing on April 10.';

const LONG = Array.from(
  { length: 90 },
  (_, i) =>
    `In week ${i + 1}, the company shipped ${100 + i} orders to customers in ${['Berlin', 'Paris', 'Tokyo'][i % 3]} and reported steady growth. `,
).join('');

function llmApp(modelsDir: string, extra: Record<string, unknown> = {}): App {
  return makeTestApp({
    models: { dir: modelsDir, llm: { gpu: false, threads: 1, contextSize: 1024, seed: 3, ...extra } },
    logLevel: 'error',
  });
}

describe('summarize with the llm engine', () => {
  const modelsDir = tempDir('prechew-sum-models-');
  let app: App;

  beforeAll(() => {
    writeTinyGguf(path.join(modelsDir, 'tiny.gguf'));
    app = llmApp(modelsDir);
  });
  afterAll(async () => {
    await app.dispose();
  });

  it('summarizes a short text in one call (engine auto picks the model)', async () => {
    const res = await callTool(app, summarizeTool, { text: ARTICLE, maxOutputTokens: 24 });
    expect(res.isError).toBe(false);
    const out = res.structured!;
    expect(out).toMatchObject({
      engine: 'llm',
      model: 'tiny.gguf',
      chunks: 1,
      reduceLevels: 0,
      cached: false,
      style: 'paragraph',
    });
    expect(out.generatedTokens as number).toBeGreaterThan(0);
    expect(out.generatedTokens as number).toBeLessThanOrEqual(24);
    expect(out.tokensIn as number).toBeGreaterThan(50);
    expect(out.compressionRatio).toBeCloseTo(
      (out.tokensIn as number) / Math.max(1, out.tokensOut as number),
      1,
    );
    expect(res.text).toContain('llm (tiny.gguf)');
    expect(out.sentences).toBeUndefined();
  });

  it('map-reduces a long text over several chunks with progress per chunk, then caches', async () => {
    const events: ProgressUpdate[] = [];
    const res = await callTool(
      app,
      summarizeTool,
      { text: LONG, engine: 'llm', maxOutputTokens: 20, style: 'bullets', focus: 'Berlin orders' },
      { onProgress: (u) => events.push(u) },
    );
    expect(res.isError).toBe(false);
    const out = res.structured!;
    const chunks = out.chunks as number;
    expect(chunks).toBeGreaterThan(2);
    expect(app.executor.has(SUMMARIZE_CHUNK_UNIT)).toBe(true);
    const chunkEvents = events.filter((e) => /chunk \d+\/\d+/.test(e.message ?? ''));
    expect(chunkEvents.length).toBe(chunks);
    for (const e of events) if (e.total !== undefined) expect(e.progress).toBeLessThanOrEqual(e.total);
    const last = events.at(-1)!;
    expect(last.progress).toBe(last.total);
    expect(out.generatedTokens as number).toBeGreaterThan(chunks);

    const again = await callTool(app, summarizeTool, {
      text: LONG,
      engine: 'llm',
      maxOutputTokens: 20,
      style: 'bullets',
      focus: 'Berlin orders',
    });
    expect(again.structured).toMatchObject({ cached: true, summary: out.summary, chunks });
    // maxOutputTokens is the summary's length, not a page size: a 20-token summary comes whole,
    // whatever the length of the lines around it (the cached result's header is longer).
    expect(out.page).toBeUndefined();
    expect(again.structured!.page).toBeUndefined();
  });

  it('reuses cached chunk units when only the final options change', async () => {
    const first = await callTool(app, summarizeTool, {
      text: LONG + ' Extra.',
      engine: 'llm',
      maxOutputTokens: 20,
    });
    const second = await callTool(app, summarizeTool, {
      text: LONG + ' Extra.',
      engine: 'llm',
      maxOutputTokens: 20,
      length: { sentences: 2 },
    });
    expect(first.isError).toBe(false);
    expect(second.structured!.cached).toBe(false);
    // Only the final call generated: the map step came from the unit cache.
    expect(second.structured!.generatedTokens as number).toBeLessThanOrEqual(20);
    expect(first.structured!.generatedTokens as number).toBeGreaterThan(20);
  });

  it('is cancelled mid-way with CANCELLED', async () => {
    const controller = new AbortController();
    const res = await callTool(
      app,
      summarizeTool,
      { text: LONG + ' Cancelled run.', engine: 'llm', maxOutputTokens: 40 },
      {
        signal: controller.signal,
        onProgress: (u) => {
          if (/chunk 1\//.test(u.message ?? '')) controller.abort();
        },
      },
    );
    expect(res.isError).toBe(true);
    expect(res.error?.code).toBe('CANCELLED');
  });

  it('refuses input over the size limit with INPUT_TOO_LARGE', async () => {
    const small = makeTestApp({
      limits: { maxInputBytes: 1000 },
      models: { dir: modelsDir, llm: { gpu: false, threads: 1 } },
    });
    try {
      const a = await callTool(small, summarizeTool, { text: 'x'.repeat(1001) });
      expect(a.error?.code).toBe('INPUT_TOO_LARGE');
      const b = await callTool(small, summarizeTool, { texts: ['y'.repeat(600), 'z'.repeat(600)] });
      expect(b.error?.code).toBe('INPUT_TOO_LARGE');
    } finally {
      await small.dispose();
    }
  });

  it('rejects empty input and mixed inputs', async () => {
    expect((await callTool(app, summarizeTool, { text: '   ' })).error?.code).toBe('INVALID_INPUT');
    expect((await callTool(app, summarizeTool, { text: 'a', texts: ['b'] })).error?.code).toBe(
      'INVALID_INPUT',
    );
  });
});

describe('summarize without a usable model', () => {
  it('falls back to extractive under auto and explains MODEL_NOT_FOUND under llm', async () => {
    const app = makeTestApp({ models: { dir: tempDir('prechew-no-models-'), llm: { gpu: false } } });
    try {
      const auto = await callTool(app, summarizeTool, { text: ARTICLE, length: { sentences: 2 } });
      expect(auto.isError).toBe(false);
      expect(auto.structured).toMatchObject({ engine: 'extractive' });
      expect(auto.structured!.note).toMatch(/No local LLM/);
      const sentences = auto.structured!.sentences as Array<{ text: string; start: number; end: number }>;
      expect(sentences.length).toBeGreaterThan(0);
      expect(sentences.length).toBeLessThanOrEqual(2);
      for (const s of sentences) expect(ARTICLE.slice(s.start, s.end)).toBe(s.text);

      const llm = await callTool(app, summarizeTool, { text: ARTICLE, engine: 'llm' });
      expect(llm.error?.code).toBe('MODEL_NOT_FOUND');
      expect(llm.text).toContain('put a .gguf file in models/ or set models.llm.path');
      expect(llm.text).toContain('extractive');
    } finally {
      await app.dispose();
    }
  });

  it('maps extractive offsets back to each of several texts', async () => {
    const app = makeTestApp({ models: { dir: tempDir('prechew-no-models-'), llm: { gpu: false } } });
    try {
      const texts = [
        ARTICLE,
        'A second report said the bridges were built in 1962. Engineers inspected all 14 of them in 2023.',
      ];
      const res = await callTool(app, summarizeTool, {
        texts,
        engine: 'extractive',
        length: { sentences: 4 },
      });
      expect(res.isError).toBe(false);
      const sentences = res.structured!.sentences as Array<{
        text: string;
        start: number;
        end: number;
        textIndex: number;
      }>;
      for (const s of sentences) expect(texts[s.textIndex]!.slice(s.start, s.end)).toBe(s.text);
    } finally {
      await app.dispose();
    }
  });

  it('gives MODEL_INVALID for a corrupt model under llm, and falls back under auto', async () => {
    const dir = tempDir('prechew-bad-model-');
    const good = buildTinyGguf();
    writeFileSync(path.join(dir, 'broken.gguf'), good.subarray(0, Math.floor(good.length / 2)));
    const app = llmApp(dir);
    try {
      const llm = await callTool(app, summarizeTool, { text: ARTICLE, engine: 'llm' });
      expect(llm.error?.code).toBe('MODEL_INVALID');
      expect(llm.text).not.toMatch(/at .*\.js:\d+/); // no stack trace
      const auto = await callTool(app, summarizeTool, { text: ARTICLE });
      expect(auto.isError).toBe(false);
      expect(auto.structured).toMatchObject({ engine: 'extractive' });
      expect(auto.structured!.note).toMatch(/could not be used/);
    } finally {
      await app.dispose();
    }
  });
});
