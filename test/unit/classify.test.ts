/**
 * The classify tool through invokeTool: zero-shot labels on the real node-llama-cpp path with a
 * tiny generated GGUF (answers always within the labels), the model-free sentiment fallback on a
 * labelled set, and the errors.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import type { ProgressUpdate } from '../../src/jobs/units.js';
import { classifyTool } from '../../src/tools/classify.js';
import { callTool, makeTestApp, tempDir } from '../helpers/app.js';
import { writeTinyGguf } from '../helpers/tiny-gguf.js';

const TICKETS = [
  'I was charged twice for my subscription this month, please refund one payment.',
  'The app crashes every time I open the settings page on Android 14.',
  'Could you add an export to CSV button on the reports screen?',
  'My invoice shows the wrong VAT number.',
  'Login fails with error 500 since this morning.',
  'It would be great to have a dark mode.',
];
const LABELS = ['billing', 'bug', 'feature request'];

// Short texts with an unambiguous sentiment, written for this test.
const SENTIMENT_SET: Array<[string, 'positive' | 'negative' | 'neutral']> = [
  ['I love this product, it works perfectly!', 'positive'],
  ['Excellent service and a very friendly team.', 'positive'],
  ['Great value, I am really happy with my purchase.', 'positive'],
  ['The delivery was fast and the quality is amazing.', 'positive'],
  ['Thank you so much, this solved my problem.', 'positive'],
  ['Best support experience I have ever had.', 'positive'],
  ['This is terrible, it broke after one day.', 'negative'],
  ['I hate the new update, everything is slow and buggy.', 'negative'],
  ['Awful customer service, nobody answered my emails.', 'negative'],
  ['The package arrived damaged and the refund was refused.', 'negative'],
  ['Worst purchase ever, a complete waste of money.', 'negative'],
  ['I am very disappointed and angry about the delay.', 'negative'],
  ['The meeting is scheduled for Tuesday at 3 pm.', 'neutral'],
  ['The invoice number is 4471.', 'neutral'],
  ['Please send the report to the finance department.', 'neutral'],
  ['The store opens at 9 am on weekdays.', 'neutral'],
  ['This is not good at all.', 'negative'],
  ['Not bad, actually quite nice.', 'positive'],
];

describe('classify with a local model', () => {
  const modelsDir = tempDir('prechew-cls-models-');
  let app: App;

  beforeAll(() => {
    writeTinyGguf(path.join(modelsDir, 'tiny.gguf'));
    app = makeTestApp({
      models: { dir: modelsDir, llm: { gpu: false, threads: 1, contextSize: 1024, concurrency: 2 } },
      logLevel: 'error',
    });
  });
  afterAll(async () => {
    await app.dispose();
  });

  it('labels a batch zero-shot, always within the labels, with a histogram and progress', async () => {
    const events: ProgressUpdate[] = [];
    const res = await callTool(
      app,
      classifyTool,
      { texts: TICKETS, labels: LABELS },
      { onProgress: (u) => events.push(u) },
    );
    expect(res.isError).toBe(false);
    const out = res.structured!;
    expect(out).toMatchObject({
      task: 'labels',
      engine: 'llm',
      model: 'tiny.gguf',
      count: TICKETS.length,
      labels: LABELS,
    });
    const items = out.items as Array<{ index: number; label: string; confidence?: number; engine: string }>;
    expect(items.map((i) => i.index)).toEqual(TICKETS.map((_, i) => i));
    for (const item of items) {
      expect(LABELS).toContain(item.label);
      expect(item.engine).toBe('llm');
      expect(item.confidence).toBeGreaterThanOrEqual(0);
      expect(item.confidence).toBeLessThanOrEqual(1);
    }
    const histogram = out.histogram as Record<string, number>;
    expect(Object.keys(histogram).sort()).toEqual([...LABELS].sort());
    expect(Object.values(histogram).reduce((a, b) => a + b, 0)).toBe(TICKETS.length);
    for (const l of LABELS) expect(histogram[l]).toBe(items.filter((i) => i.label === l).length);
    expect(events.at(-1)).toMatchObject({ progress: TICKETS.length, total: TICKETS.length });
    expect(res.text).toMatch(/Classified 6 texts/);
  });

  it('does sentiment with the model under auto, within the three labels', async () => {
    const res = await callTool(app, classifyTool, { texts: ['I love it', 'I hate it'], task: 'sentiment' });
    expect(res.structured).toMatchObject({ engine: 'llm', task: 'sentiment' });
    for (const item of res.structured!.items as Array<{ label: string }>)
      expect(['positive', 'negative', 'neutral']).toContain(item.label);
    // engine lexicon forces the model-free path even with a model installed.
    const lex = await callTool(app, classifyTool, {
      text: 'I love it',
      task: 'sentiment',
      engine: 'lexicon',
    });
    expect(lex.structured).toMatchObject({
      engine: 'lexicon',
      items: [{ label: 'positive', engine: 'lexicon' }],
    });
  });

  it('is cancelled with CANCELLED', async () => {
    const controller = new AbortController();
    const res = await callTool(
      app,
      classifyTool,
      { texts: Array.from({ length: 40 }, (_, i) => `ticket ${i}`), labels: LABELS },
      { signal: controller.signal, onProgress: () => controller.abort() },
    );
    expect(res.error?.code).toBe('CANCELLED');
  });

  it('pages long batches by items', async () => {
    const texts = Array.from({ length: 60 }, (_, i) => `Ticket ${i}: the order arrived late.`);
    const res = await callTool(
      app,
      classifyTool,
      { texts, task: 'sentiment', engine: 'lexicon' },
      { maxOutputTokens: 300 },
    );
    expect(res.isError).toBe(false);
    expect((res.structured!.items as unknown[]).length).toBeLessThan(60);
    expect(res.text).toMatch(/cursor/i);
  });
});

describe('classify without a model', () => {
  let app: App;
  beforeAll(() => {
    app = makeTestApp({ models: { dir: tempDir('prechew-cls-empty-'), llm: { gpu: false } } });
  });
  afterAll(async () => {
    await app.dispose();
  });

  it('reaches the accuracy floor on a labelled sentiment set with the lexicon engine', async () => {
    const res = await callTool(app, classifyTool, {
      texts: SENTIMENT_SET.map(([t]) => t),
      task: 'sentiment',
    });
    expect(res.isError).toBe(false);
    expect(res.structured).toMatchObject({ engine: 'lexicon', count: SENTIMENT_SET.length });
    const items = res.structured!.items as Array<{ label: string; score: number; confidence: number }>;
    const correct = items.filter((item, i) => item.label === SENTIMENT_SET[i]![1]).length;
    expect(correct / SENTIMENT_SET.length).toBeGreaterThanOrEqual(0.8);
    const histogram = res.structured!.histogram as Record<string, number>;
    expect(histogram.positive! + histogram.negative! + histogram.neutral!).toBe(SENTIMENT_SET.length);
  });

  it('explains that zero-shot labels need a model (ENGINE_UNAVAILABLE)', async () => {
    const res = await callTool(app, classifyTool, { text: 'I was charged twice', labels: LABELS });
    expect(res.error?.code).toBe('ENGINE_UNAVAILABLE');
    expect(res.text).toContain('put a .gguf file in models/ or set models.llm.path');
    expect(res.text).toContain('sentiment');
    const llm = await callTool(app, classifyTool, { text: 'I love it', task: 'sentiment', engine: 'llm' });
    expect(llm.error?.code).toBe('ENGINE_UNAVAILABLE');
  });

  it('rejects unclear requests with INVALID_INPUT', async () => {
    const cases: Array<Record<string, unknown>> = [
      { text: 'x', task: 'labels' },
      { text: 'x', labels: LABELS, task: 'sentiment' },
      { text: 'x', labels: LABELS, engine: 'lexicon' },
      { text: 'x', labels: ['a'] },
      { text: 'x', labels: ['same', ' same '] },
      { text: 'x', texts: ['y'], task: 'sentiment' },
    ];
    for (const args of cases)
      expect((await callTool(app, classifyTool, args)).error?.code, JSON.stringify(args)).toBe(
        'INVALID_INPUT',
      );
  });

  it('defaults the task to sentiment, or to labels when labels are given, and names the valid tasks', async () => {
    const plain = await callTool(app, classifyTool, { text: 'I love this product, it works perfectly!' });
    expect(plain.isError).toBe(false);
    expect(plain.structured).toMatchObject({ task: 'sentiment', engine: 'lexicon', labels: ['positive', 'negative', 'neutral'] });
    const asLabels = await callTool(app, classifyTool, { text: 'I was charged twice', labels: LABELS, task: 'labels' });
    // Accepted as a task; without a model it is the engine that is missing, not the argument.
    expect(asLabels.error?.code).toBe('ENGINE_UNAVAILABLE');
    const noLabels = await callTool(app, classifyTool, { text: 'x', task: 'labels' });
    expect(noLabels.error?.code).toBe('INVALID_INPUT');
    expect(noLabels.text).toContain('needs `labels`');
    const bogus = await callTool(app, classifyTool, { text: 'x', task: 'topics' });
    expect(bogus.error?.code).toBe('INVALID_INPUT');
    expect(bogus.text).toContain('task');
    expect(bogus.text).toContain('"labels"');
    expect(bogus.text).toContain('"sentiment"');
  });

  it('refuses a batch over the size limit with INPUT_TOO_LARGE', async () => {
    const small = makeTestApp({ limits: { maxInputBytes: 1000 } });
    try {
      const res = await callTool(small, classifyTool, {
        texts: ['a'.repeat(600), 'b'.repeat(600)],
        task: 'sentiment',
      });
      expect(res.error?.code).toBe('INPUT_TOO_LARGE');
    } finally {
      await small.dispose();
    }
  });
});
