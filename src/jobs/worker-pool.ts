/**
 * Runs CPU-bound pure units on worker threads so a large input uses every core and the event
 * loop stays free for other requests. Available only from the compiled build (workers load .js);
 * callers fall back to running the units in-process when it is not.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PrechewError, throwIfCancelled } from '../errors.js';

const workerUrl = new URL('./unit-worker.js', import.meta.url);

export function workerThreadsAvailable(): boolean {
  return workerUrl.protocol === 'file:' && existsSync(fileURLToPath(workerUrl));
}

export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

// Warm workers are kept for a while: each one has loaded and JIT-compiled the unit modules, which
// costs more than a small unit. They never keep the process alive (unref) and end when idle.
const IDLE_MS = 30_000;
// Two pools: ordinary workers, and low-priority ones (units run for peers; see thread-priority.ts).
const idle: Worker[] = [];
const idleLow: Worker[] = [];
const lowPriorityWorkers = new WeakSet<Worker>();
let idleTimer: NodeJS.Timeout | undefined;

function takeWorker(lowPriority = false): Worker {
  let w = (lowPriority ? idleLow : idle).pop();
  if (!w) {
    w = new Worker(workerUrl, { resourceLimits: { maxYoungGenerationSizeMb: 64 }, workerData: { lowPriority } });
    if (lowPriority) lowPriorityWorkers.add(w);
  }
  w.ref();
  return w;
}

function returnWorker(w: Worker): void {
  w.removeAllListeners('message');
  w.removeAllListeners('error');
  w.removeAllListeners('exit');
  w.unref();
  (lowPriorityWorkers.has(w) ? idleLow : idle).push(w);
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    for (const worker of [...idle.splice(0), ...idleLow.splice(0)]) void worker.terminate();
  }, IDLE_MS);
  idleTimer.unref();
}

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: { name: string; message: string; code?: string };
}

/**
 * Call `fn` exported by `moduleUrl` on each input, on up to `workers` threads; results in input
 * order. Cancellation terminates the workers.
 */
export async function runOnWorkers<I, O>(
  moduleUrl: URL,
  fn: string,
  inputs: I[],
  options: {
    workers?: number;
    signal?: AbortSignal | undefined;
    /** Run on threads of lowered priority (units for peers), where the OS allows it per thread. */
    lowPriority?: boolean | undefined;
  } = {},
): Promise<O[]> {
  throwIfCancelled(options.signal);
  const count = Math.max(1, Math.min(options.workers ?? defaultWorkerCount(), inputs.length));
  const results = new Array<O>(inputs.length);
  const pool = Array.from({ length: count }, () => takeWorker(options.lowPriority === true));
  let next = 0;
  let onAbort: (() => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let pending = inputs.length;
      if (pending === 0) return resolve();
      onAbort = () => reject(new PrechewError('CANCELLED', 'The request was cancelled before it finished.'));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const feed = (worker: Worker) => {
        if (next >= inputs.length) return;
        const id = next++;
        worker.postMessage({ id, module: moduleUrl.href, fn, input: inputs[id] });
      };
      for (const worker of pool) {
        worker.on('message', (reply: Reply) => {
          if (!reply.ok) {
            const code = reply.error?.code;
            reject(code ? new PrechewError(code as never, reply.error!.message) : new Error(reply.error?.message ?? 'worker failed'));
            return;
          }
          results[reply.id] = reply.result as O;
          if (--pending === 0) resolve();
          else feed(worker);
        });
        worker.on('error', reject);
        worker.on('exit', (code) => {
          if (pending > 0 && code !== 0) reject(new PrechewError('ENGINE_FAILED', `A worker thread exited with code ${code}.`));
        });
        feed(worker);
      }
    });
  } catch (error) {
    // A failed or cancelled run may leave work inside a worker: never reuse those.
    await Promise.all(pool.map((w) => w.terminate()));
    pool.length = 0;
    throw error;
  } finally {
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    for (const w of pool) returnWorker(w);
  }
  return results;
}
