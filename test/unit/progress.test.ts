/**
 * Progress shaping (monotone values across phases, thinning without losing the latest update,
 * heartbeats in long steps), what the tools report (condense per source and step, dedupe per
 * batch), and the task manager's retention and orphan handling on a real SQLite file.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { nudge, ProgressSender, type ProgressNotice } from '../../src/jobs/progress.js';
import { TaskManager } from '../../src/jobs/tasks.js';
import { TaskStore } from '../../src/store/tasks.js';
import { condenseTool } from '../../src/tools/condense.js';
import { dedupeTool } from '../../src/tools/dedupe.js';
import type { ProgressUpdate } from '../../src/jobs/units.js';
import { callTool, makeTestApp, tempDir } from '../helpers/app.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ProgressSender', () => {
  it('lays phases end to end so values only increase', () => {
    const sent: ProgressNotice[] = [];
    const s = new ProgressSender({ send: (n) => sent.push(n), minIntervalMs: 0, heartbeatMs: 60_000 });
    for (const u of [
      { progress: 0, total: 3, message: 'a' },
      { progress: 3, total: 3, message: 'a done' },
      { progress: 0, total: 1, message: 'asking' },
      { progress: 1, total: 1, message: 'answer' },
    ])
      s.report(u);
    s.stop();
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.progress).toBeGreaterThan(sent[i - 1]!.progress);
    expect(sent.at(-1)).toEqual({ progress: 4, total: 4, message: 'answer' });
  });

  it('thins bursts but sends the latest update at the end of the interval', async () => {
    const sent: ProgressNotice[] = [];
    const s = new ProgressSender({ send: (n) => sent.push(n), minIntervalMs: 50, heartbeatMs: 60_000 });
    for (let i = 1; i <= 100; i++) s.report({ progress: i, total: 200, message: `item ${i}` });
    expect(sent.length).toBeLessThan(10);
    for (let i = 0; i < 50 && sent.at(-1)?.progress !== 100; i++) await sleep(20);
    expect(sent.at(-1)).toEqual({ progress: 100, total: 200, message: 'item 100' });
    s.stop();
  });

  it('sends heartbeats during a long step, and a later real update still increases', async () => {
    const sent: ProgressNotice[] = [];
    const s = new ProgressSender({ send: (n) => sent.push(n), minIntervalMs: 0, heartbeatMs: 60 });
    s.report({ progress: 2, total: 5, message: 'unit 2 of 5' });
    for (let i = 0; i < 100 && sent.length < 4; i++) await sleep(20);
    expect(sent.length).toBeGreaterThanOrEqual(4);
    expect(sent.slice(1).every((n) => /^unit 2 of 5 \(still working, \d+ s\)$/.test(n.message ?? ''))).toBe(true);
    expect(sent.slice(1).every((n) => n.progress > 2 && n.progress < 3 && n.total === 5)).toBe(true);
    s.report({ progress: 3, total: 5, message: 'unit 3 of 5' });
    s.stop();
    expect(sent.at(-1)).toEqual({ progress: 3, total: 5, message: 'unit 3 of 5' });
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.progress).toBeGreaterThan(sent[i - 1]!.progress);
  });

  it('nudges stay below the next whole step for thousands of heartbeats', () => {
    let v = 3;
    for (let i = 0; i < 5000; i++) {
      const next = nudge(v);
      expect(next).toBeGreaterThan(v);
      v = next;
    }
    expect(v).toBeLessThanOrEqual(4);
  });
});

describe('what the tools report', () => {
  const app = makeTestApp();
  afterAll(() => app.dispose());

  it('condense: one step per source read, then normalize, chunk, dedupe, index, select', async () => {
    const seen: ProgressUpdate[] = [];
    const sources = [
      { text: 'The east wing closes at noon on Fridays. Visitors sign in at the front desk.', name: 'a' },
      { text: 'Deliveries arrive at the loading dock before eight.', name: 'b' },
    ];
    const r = await callTool(app, condenseTool, { sources, query: 'deliveries' }, { onProgress: (u) => seen.push(u) });
    expect(r.isError).toBe(false);
    expect(seen.map((u) => u.message)).toEqual([
      'reading source 1 of 2: a',
      'reading source 2 of 2: b',
      'read 2 source(s)',
      'condense: normalizing 2 source(s)',
      'condense: normalize done (step 1 of 5)',
      'condense: chunk done (step 2 of 5)',
      'condense: dedupe done (step 3 of 5)',
      'condense: index done (step 4 of 5)',
      'condense: rank and select done (step 5 of 5)',
      'done',
    ]);
    expect(seen.map((u) => u.progress)).toEqual([0, 1, 2, 2, 3, 4, 5, 6, 7, 8]);
    expect(seen.every((u) => u.total === 8)).toBe(true);
  });

  it('dedupe: per batch of items, then per LSH band', async () => {
    const seen: ProgressUpdate[] = [];
    const items = Array.from({ length: 5000 }, (_, i) => `ticket ${i} printer on floor ${i % 7} is jammed again ${i % 13}`);
    const r = await callTool(app, dedupeTool, { items, mode: 'near', includeText: false }, { onProgress: (u) => seen.push(u) });
    expect(r.isError).toBe(false);
    const messages = seen.map((u) => u.message ?? '');
    expect(messages).toContain('dedupe: hashed 2000 of 5000 items');
    expect(messages).toContain('dedupe: hashed 4000 of 5000 items');
    expect(messages.some((m) => /^dedupe: matched band \d+ of \d+$/.test(m))).toBe(true);
  });
});

describe('TaskManager', () => {
  const settings = { ttlMs: 60_000, maxTtlMs: 120_000, pollIntervalMs: 100 };

  it('caps the requested retention and forgets a task once its ttl has passed', async () => {
    const manager = new TaskManager(new TaskStore(tempDir('prechew-tasks-unit-')), settings);
    expect(manager.ttlFor(undefined)).toBe(60_000);
    expect(manager.ttlFor(10_000_000)).toBe(120_000);
    expect(manager.ttlFor(5_000)).toBe(5_000);
    const task = manager.start('stdio', 'dedupe', 150, async () => ({ status: 'completed', result: { content: [] } }));
    const done = await manager.waitForTerminal(task.taskId, 'stdio', new AbortController().signal);
    expect(done?.status).toBe('completed');
    expect(manager.get(task.taskId, 'http')).toBeUndefined();
    for (let i = 0; i < 50 && manager.get(task.taskId, 'stdio'); i++) await sleep(20);
    expect(manager.get(task.taskId, 'stdio')).toBeUndefined();
    manager.close();
  });

  it('marks a task failed when the process that ran it is gone', () => {
    const dir = tempDir('prechew-tasks-unit-');
    const store = new TaskStore(dir);
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(gone.stdout);
    expect(deadPid).toBeGreaterThan(0);
    const now = Date.now();
    store.insert({ taskId: 'orphan', owner: 'http', tool: 'ask', status: 'working', createdAt: now, lastUpdatedAt: now, ttl: 60_000, pollInterval: 100, pid: deadPid, cancelRequested: false });
    store.close();
    const manager = new TaskManager(new TaskStore(dir), settings);
    const task = manager.get('orphan', 'http');
    expect(task?.status).toBe('failed');
    expect((task?.result?.content as Array<{ text: string }>)[0]!.text).toMatch(/^\[CANCELLED\] The server running this task stopped/);
    manager.close();
  });
});
