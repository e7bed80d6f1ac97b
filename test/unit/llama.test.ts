/**
 * The llama engine on the real node-llama-cpp binding with a tiny generated GGUF (random weights:
 * outputs are gibberish, so these tests assert structure and behaviour, not wording).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { defaultThreadCount, LlmEngine } from '../../src/engines/llama.js';
import { PrechewError } from '../../src/errors.js';
import { tempDir } from '../helpers/app.js';
import { writeTinyGguf } from '../helpers/tiny-gguf.js';

function engineFor(dir: string, llm: Record<string, unknown> = {}): LlmEngine {
  const config = parseConfig({
    data: { dir: path.join(dir, 'data') },
    models: { dir, llm: { gpu: false, threads: 1, contextSize: 1024, seed: 7, ...llm } },
  });
  return new LlmEngine({ llm: config.models.llm, models: config, cwd: dir });
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PrechewError);
    return (error as PrechewError).code;
  }
  throw new Error('expected the call to fail');
}

const LONG_TEXT = Array.from(
  { length: 120 },
  (_, i) =>
    `Sentence number ${i + 1} says the company reported ${i * 3} percent growth in the market this year. `,
).join('');

describe('LlmEngine with a tiny generated model', () => {
  const dir = tempDir('prechew-llama-');
  let engine: LlmEngine;

  beforeAll(() => {
    writeTinyGguf(path.join(dir, 'tiny.gguf'));
    engine = engineFor(dir, { concurrency: 2 });
  });
  afterAll(async () => {
    await engine.dispose();
  });

  it('reports availability without loading the model', async () => {
    const a = await engine.available();
    expect(a).toMatchObject({ ok: true, model: 'tiny.gguf' });
    expect(engine.isLoaded).toBe(false);
  });

  it('loads lazily and round-trips text through the model tokenizer', async () => {
    const text = 'Hello world, the company said 42 percent on 2024-05-01.';
    const tokens = await engine.tokenize(text);
    expect(engine.isLoaded).toBe(true);
    expect(tokens.length).toBeGreaterThan(5);
    expect(await engine.detokenize(tokens)).toBe(text);
    expect(await engine.countTokens(text)).toBe(tokens.length);
    expect(engine.contextSize).toBe(1024);
  });

  it('generates from a raw prompt and from chat messages', async () => {
    const raw = await engine.complete('The market', { maxTokens: 12, temperature: 0 });
    expect(raw.generatedTokens).toBeGreaterThan(0);
    expect(raw.generatedTokens).toBeLessThanOrEqual(12);
    expect(raw.promptTokens).toBeGreaterThan(1);
    const chat = await engine.complete(
      [
        { role: 'system', content: 'You summarize.' },
        { role: 'user', content: 'Summarize: the cat sat on the mat.' },
      ],
      { maxTokens: 10 },
    );
    expect(chat.generatedTokens).toBeGreaterThan(0);
    expect(chat.generatedTokens).toBeLessThanOrEqual(10);
    expect(chat.promptTokens).toBeGreaterThan(raw.promptTokens);
  });

  it('constrains output to a JSON schema', async () => {
    const res = await engine.complete('Answer:', {
      maxTokens: 20,
      jsonSchema: { enum: ['red', 'green', 'blue'] },
    });
    expect(['red', 'green', 'blue']).toContain(res.json);
  });

  it('serves concurrent requests from its sequence pool', async () => {
    const results = await Promise.all(
      [0, 1, 2, 3].map((i) => engine.complete(`Prompt ${i}`, { maxTokens: 5 })),
    );
    for (const r of results) expect(r.generatedTokens).toBeGreaterThan(0);
  });

  it('chooses labels only from the given set, with normalized confidences', async () => {
    const labels = ['billing', 'bug report', 'feature request'];
    for (const text of [
      'I was charged twice this month.',
      'The app crashes when I click save.',
      'Please add dark mode!',
      '',
    ]) {
      const choice = await engine.chooseLabel(text || 'x', labels);
      expect(labels).toContain(choice.label);
      expect(choice.confidence).toBe(choice.scores[choice.label]);
      expect(choice.confidence).toBeLessThanOrEqual(1);
      const sum = Object.values(choice.scores).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 5);
      expect(Object.keys(choice.scores).sort()).toEqual([...labels].sort());
    }
    await expect(engine.chooseLabel('x', ['only'])).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('truncates a text longer than the context when classifying', async () => {
    const choice = await engine.chooseLabel(LONG_TEXT.repeat(3), ['yes', 'no']);
    expect(choice.truncated).toBe(true);
    expect(['yes', 'no']).toContain(choice.label);
  });

  it('stops generating promptly when cancelled', async () => {
    const controller = new AbortController();
    let chunks = 0;
    let afterAbort = 0;
    const run = engine.complete('Once upon a time', {
      maxTokens: 900,
      signal: controller.signal,
      onText: () => {
        chunks++;
        if (controller.signal.aborted) afterAbort++;
        if (chunks === 3) controller.abort();
      },
    });
    expect(await codeOf(run)).toBe('CANCELLED');
    expect(chunks).toBeGreaterThanOrEqual(3);
    expect(afterAbort).toBeLessThanOrEqual(2);
    // The sequence went back to the pool: the engine still works.
    expect((await engine.complete('Again', { maxTokens: 3 })).generatedTokens).toBeGreaterThan(0);
  });

  it('refuses an already-aborted signal without generating', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await codeOf(engine.complete('x', { signal: controller.signal }))).toBe('CANCELLED');
  });

  it('chunks long text at sentence boundaries within the token budget, with overlap', async () => {
    const chunks = await engine.chunkText(LONG_TEXT, { maxTokens: 400, overlapTokens: 100 });
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks[0]!.start).toBe(0);
    expect(chunks.at(-1)!.end).toBe(LONG_TEXT.length);
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      expect(c.text).toBe(LONG_TEXT.slice(c.start, c.end));
      expect(await engine.countTokens(c.text)).toBeLessThanOrEqual(400 + 2);
      if (i > 0) {
        expect(c.start).toBeLessThan(chunks[i - 1]!.end); // overlap
        expect(c.start).toBeGreaterThan(chunks[i - 1]!.start); // progress
      }
    }
    // A single sentence longer than a chunk is still split.
    const wall = 'word '.repeat(2000);
    const pieces = await engine.chunkText(wall, { maxTokens: 100 });
    expect(pieces.length).toBeGreaterThan(5);
    expect(pieces.map((p) => p.text).join('')).toBe(wall);
    // No spaces at all, and a script that falls back to byte tokens: still split within budget.
    for (const dense of ['x'.repeat(3000), '漢字'.repeat(800)]) {
      const parts = await engine.chunkText(dense, { maxTokens: 120 });
      expect(parts.map((p) => p.text).join('')).toBe(dense);
      for (const p of parts) expect(p.tokens).toBeLessThanOrEqual(120);
    }
  });

  it('rejects a prompt longer than the context with INPUT_TOO_LARGE', async () => {
    expect(await codeOf(engine.complete(LONG_TEXT.repeat(4), { maxTokens: 5 }))).toBe('INPUT_TOO_LARGE');
  });
});

describe('LlmEngine lifecycle and errors', () => {
  it('unloads after the idle timeout and reloads on the next call', async () => {
    const dir = tempDir('prechew-llama-idle-');
    writeTinyGguf(path.join(dir, 'tiny.gguf'));
    const engine = engineFor(dir, { idleUnloadMs: 50 });
    try {
      await engine.complete('Hi', { maxTokens: 2 });
      expect(engine.isLoaded).toBe(true);
      for (let i = 0; i < 100 && engine.isLoaded; i++) await new Promise((r) => setTimeout(r, 20));
      expect(engine.isLoaded).toBe(false);
      await engine.complete('Hi again', { maxTokens: 2 });
      expect(engine.isLoaded).toBe(true);
    } finally {
      await engine.dispose();
    }
    expect(engine.isLoaded).toBe(false);
  });

  it('says how to add a model when there is none', async () => {
    const engine = engineFor(tempDir('prechew-llama-empty-'));
    const a = await engine.available();
    expect(a.ok).toBe(false);
    expect(a.reason).toMatch(/models\/|models\.llm\.path/);
    try {
      await engine.complete('x');
      throw new Error('should fail');
    } catch (error) {
      expect(error).toMatchObject({ code: 'MODEL_NOT_FOUND' });
      expect((error as Error).message).toContain('put a .gguf file in models/ or set models.llm.path');
    }
    await engine.dispose();
  });

  it('reports a configured model path that does not exist', async () => {
    const engine = engineFor(tempDir('prechew-llama-cfg-'), { path: 'missing.gguf' });
    expect(await codeOf(engine.complete('x'))).toBe('MODEL_NOT_FOUND');
    await engine.dispose();
  });

  it('rejects a corrupt GGUF and a file that is not GGUF with MODEL_INVALID', async () => {
    const dir = tempDir('prechew-llama-bad-');
    const good = (await import('../helpers/tiny-gguf.js')).buildTinyGguf();
    // Truncated: a real header whose tensor data is cut off.
    writeFileSync(path.join(dir, 'a-truncated.gguf'), good.subarray(0, Math.floor(good.length / 3)));
    const e1 = engineFor(dir, { path: 'a-truncated.gguf' });
    expect(await codeOf(e1.complete('x', { maxTokens: 2 }))).toBe('MODEL_INVALID');
    await e1.dispose();

    mkdirSync(path.join(dir, 'other'));
    writeFileSync(path.join(dir, 'other', 'fake.gguf'), 'this is not a model at all\n'.repeat(10));
    const e2 = engineFor(path.join(dir, 'other'), { path: 'fake.gguf' });
    const a = await e2.available();
    expect(a.ok).toBe(false);
    expect(a.reason).toMatch(/not a GGUF/);
    expect(await codeOf(e2.complete('x'))).toBe('MODEL_INVALID');
    await e2.dispose();
  });

  it('defaults to at least one thread and honours the override', () => {
    expect(defaultThreadCount()).toBeGreaterThanOrEqual(1);
    const dir = tempDir('prechew-llama-t-');
    expect(engineFor(dir, { threads: 3 }).threads).toBe(3);
    expect(engineFor(dir, { threads: 0 }).threads).toBe(defaultThreadCount());
  });
});
