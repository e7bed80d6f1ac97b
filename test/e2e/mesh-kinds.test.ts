import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateNearDupCorpus } from '../../bench/near-dup-corpus.js';
import { tempDir } from '../helpers/app.js';
import { connectHttp } from '../helpers/cli.js';
import { makeNode, setPeers, startNode, trustEachOther, type MeshNode } from '../helpers/mesh-nodes.js';
import { writeTinyGguf } from '../helpers/tiny-gguf.js';

// Every tool that splits work, offloaded to a real worker node and compared with the same call
// kept on the requester (offload "off"): dedupe's signature batches, condense's per-source
// preparation, classify's batches, and summarize's map steps on a generated GGUF decoded
// greedily (temperature 0), with the same model file (same digest) on both nodes.

const models = tempDir('prechew-mesh-kinds-models-');
const modelPath = path.join(models, 'tiny-llama.gguf');
const llm = { path: modelPath, gpu: false, threads: 1, temperature: 0 };
const nodes: MeshNode[] = [];
let worker: MeshNode;
let requester: MeshNode;

beforeAll(async () => {
  writeTinyGguf(modelPath);
  // The worker has its own copy of the model file: same name and content, so the same identity.
  const workerModel = path.join(tempDir('prechew-mesh-kinds-worker-model-'), 'tiny-llama.gguf');
  copyFileSync(modelPath, workerModel);
  worker = await makeNode('kindworker', { accept: 'always', worker: { maxConcurrent: 2 } }, { models: { llm: { ...llm, path: workerModel } } });
  requester = await makeNode('kindreq', { offload: 'auto', localUnits: false, discovery: { intervalSeconds: 2 } }, { models: { llm } });
  await trustEachOther(worker, requester);
  nodes.push(worker, requester);
  await startNode(worker);
  setPeers(requester, worker);
  await startNode(requester);
}, 60_000);

afterAll(async () => {
  for (const n of nodes) await n.server?.stop('SIGKILL');
});

async function call(
  tool: string,
  args: Record<string, unknown>,
): Promise<{ local: Record<string, unknown>; meshed: Record<string, unknown>; progress: string[] }> {
  const client = await connectHttp(requester.server!.url);
  const progress: string[] = [];
  try {
    const local = await client.callTool({ name: tool, arguments: { ...args, offload: 'off' } }, { timeout: 200_000 });
    expect(local.isError ?? false, JSON.stringify(local.content)).toBe(false);
    const meshed = await client.callTool(
      { name: tool, arguments: { ...args, offload: 'auto' } },
      { onprogress: (p) => progress.push(p.message ?? ''), timeout: 200_000 },
    );
    expect(meshed.isError ?? false, JSON.stringify(meshed.content)).toBe(false);
    return {
      local: local.structuredContent as Record<string, unknown>,
      meshed: meshed.structuredContent as Record<string, unknown>,
      progress,
    };
  } finally {
    await client.close();
  }
}

describe('mesh: every splitting tool offloads with results identical to a local run', { timeout: 300_000 }, () => {
  it('dedupe: signature batches on the worker', async () => {
    const corpus = generateNearDupCorpus({ bases: 450, copiesPerBase: 3, seed: 11 });
    const items = corpus.items.map((it) => it.text);
    expect(items.join('').length).toBeGreaterThan(1_000_000);
    const { local, meshed, progress } = await call('dedupe', { items, includeText: false });
    expect((local.stats as { duplicatesRemoved: number }).duplicatesRemoved).toBeGreaterThan(100);
    expect(JSON.stringify(meshed)).toBe(JSON.stringify(local));
    expect(progress.some((m) => /signature batch \d+ of \d+ on kindworker/.test(m))).toBe(true);
  });

  it('condense: per-source preparation on the worker', async () => {
    const dir = path.resolve(import.meta.dirname, '../../fixtures/real/condense');
    const sources = ['bash.txt', 'find.txt', 'man-db-NEWS.md', 'zstd-README.md', 'e2fsprogs-NEWS.txt'].map((name) => ({
      name,
      text: readFileSync(path.join(dir, name), 'utf8'),
    }));
    sources.push({ name: 'bash-copy.txt', text: sources[0]!.text }, { name: 'find-copy.txt', text: sources[1]!.text });
    const total = sources.reduce((a, s) => a + s.text.length, 0);
    expect(total).toBeGreaterThan(1_000_000);
    const { local, meshed, progress } = await call('condense', { sources, query: 'How do I find files modified in the last day?', budgetTokens: 600 });
    expect(meshed.context).toBe(local.context);
    const sourcesOf = (r: Record<string, unknown>) => (r.report as { sources: unknown }).sources;
    expect(sourcesOf(meshed)).toEqual(sourcesOf(local));
    expect(String(local.context)).toMatch(/-mtime|-newer|-mmin/);
    expect(progress.some((m) => /prepared source \d+ of 7 on kindworker/.test(m))).toBe(true);
  });

  it('classify (lexicon sentiment): batches on the worker', async () => {
    const moods = ['I love this, it works perfectly', 'Terrible service, the order arrived broken', 'The parcel came on Tuesday', 'Not bad at all, quite happy'];
    const texts = Array.from({ length: 20_000 }, (_, i) => `${moods[i % moods.length]!} (ticket ${i})`);
    const { local, meshed, progress } = await call('classify', { texts, engine: 'lexicon' });
    // The items come back a page at a time (the page's cursor differs per call): compare the rest.
    const strip = (r: Record<string, unknown>) => JSON.stringify([r.task, r.engine, r.labels, r.count, r.histogram, r.items]);
    expect((local.items as unknown[]).length).toBeGreaterThan(100);
    expect(strip(meshed)).toBe(strip(local));
    expect((local.histogram as Record<string, number>).positive).toBeGreaterThan(1000);
    expect(progress.some((m) => /classified batch \d+ of 4 on kindworker/.test(m))).toBe(true);
  });

  it('summarize (generated GGUF, greedy): map steps on the worker, the same summary', async () => {
    const text = Array.from({ length: 60 }, (_, i) => `Paragraph ${i} explains the budget line ${i} for the new school library in plain words.`).join('\n\n');
    const { local, meshed, progress } = await call('summarize', { text, engine: 'llm', maxOutputTokens: 24 });
    expect(local.engine).toBe('llm');
    expect((local.chunks as number) ?? 0).toBeGreaterThan(1);
    expect(meshed.summary).toBe(local.summary);
    expect(meshed.model).toBe(local.model);
    expect(progress.some((m) => / on kindworker/.test(m)), progress.join(' | ')).toBe(true);
  });
});
