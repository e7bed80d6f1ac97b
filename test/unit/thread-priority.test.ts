import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { currentThreadId, currentThreadNice, REMOTE_UNIT_NICE } from '../../src/jobs/thread-priority.js';

// Units run for peers go to worker threads that lower their own priority (Linux: per thread).
// The worker pool loads compiled modules, so this uses the build in dist/.
const root = path.resolve(import.meta.dirname, '../..');
const poolFile = path.join(root, 'dist/src/jobs/worker-pool.js');
const priorityFile = path.join(root, 'dist/src/jobs/thread-priority.js');
const why = process.platform !== 'linux' ? 'per-thread priority is set only on Linux' : existsSync(poolFile) ? undefined : 'dist/ is not built (npm test builds it first)';
if (why) process.stderr.write(`thread-priority: skipping the worker-thread test: ${why}\n`);

describe('thread priority for remote units', () => {
  it.skipIf(process.platform !== 'linux')('reads this thread: the main thread is the process', () => {
    expect(currentThreadId()).toBe(process.pid);
    expect(currentThreadNice()).toBe(os.getPriority(process.pid));
  });

  it.skipIf(why !== undefined)('a low-priority worker runs at the remote nice value; ordinary workers and the main thread keep theirs', async () => {
    const pool = (await import(pathToFileURL(poolFile).href)) as typeof import('../../src/jobs/worker-pool.js');
    const mod = pathToFileURL(priorityFile);
    type Report = { nice: number | undefined; tid: number | undefined };
    const base = os.getPriority(process.pid);
    const [low] = await pool.runOnWorkers<object, Report>(mod, 'reportThreadPriority', [{}], { workers: 1, lowPriority: true });
    const [normal] = await pool.runOnWorkers<object, Report>(mod, 'reportThreadPriority', [{}], { workers: 1 });
    // A warm low-priority worker is reused and stays low.
    const [again] = await pool.runOnWorkers<object, Report>(mod, 'reportThreadPriority', [{}], { workers: 1, lowPriority: true });
    expect(low!.tid).toBeGreaterThan(0);
    expect(low!.tid).not.toBe(process.pid);
    expect(low!.nice).toBe(Math.max(base, REMOTE_UNIT_NICE));
    expect(again!.nice).toBe(Math.max(base, REMOTE_UNIT_NICE));
    expect(normal!.tid).not.toBe(low!.tid);
    expect(normal!.nice).toBe(base);
    expect(os.getPriority(process.pid)).toBe(base);
  });
});
