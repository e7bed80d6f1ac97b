/**
 * Worker-thread side of the worker pool: runs a pure unit function (an export of a module under
 * src/) on the input it is sent and posts the result back. Only pure, JSON-in/JSON-out functions
 * run here; nothing touches the protocol or the disk.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { lowerCurrentThreadPriority } from './thread-priority.js';

// A worker of the low-priority pool runs units for peers: it lowers its own thread's priority once.
if ((workerData as { lowPriority?: boolean } | undefined)?.lowPriority) lowerCurrentThreadPriority();

interface Job {
  id: number;
  module: string;
  fn: string;
  input: unknown;
}

const loaded = new Map<string, Record<string, unknown>>();

parentPort?.on('message', (job: Job) => {
  void (async () => {
    try {
      let mod = loaded.get(job.module);
      if (!mod) {
        mod = (await import(job.module)) as Record<string, unknown>;
        loaded.set(job.module, mod);
      }
      const fn = mod[job.fn];
      if (typeof fn !== 'function') throw new Error(`${job.fn} is not exported by ${job.module}`);
      const result: unknown = await (fn as (input: unknown) => unknown)(job.input);
      parentPort?.postMessage({ id: job.id, ok: true, result });
    } catch (error) {
      parentPort?.postMessage({ id: job.id, ok: false, error: { name: (error as Error).name, message: (error as Error).message, code: (error as { code?: string }).code } });
    }
  })();
});
