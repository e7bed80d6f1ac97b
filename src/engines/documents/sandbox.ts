/**
 * The document sandbox: every document's parsing runs on a worker thread under a heap cap
 * (limits.documentMemoryMb) and is terminated when the time limit (limits.documentTimeoutMs)
 * passes or the caller cancels. A parser stuck in a loop or a document that expands without end
 * therefore ends in a TIMEOUT or INPUT_TOO_LARGE error naming the file, and the main event loop
 * keeps serving other requests meanwhile.
 *
 * Workers are pooled: a worker that finished its job cleanly goes back to an idle list (it has
 * already loaded the parsers), one that was terminated never does. Idle workers do not keep the
 * process alive and end after IDLE_MS.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PrechewError, type ErrorCode } from '../../errors.js';
import type { PdfChunkRequest } from './pdf.js';
import type { ConvertLimits } from './types.js';

/** Heap cap of one sandbox worker when limits.documentMemoryMb is not given. */
export const DEFAULT_DOCUMENT_MEMORY_MB = 1024;
// A fresh worker costs about a second (loading pdfjs or mammoth); keep warm ones a while.
const IDLE_MS = 120_000;
/** Idle workers kept warm (per heap-cap size). */
const MAX_IDLE = 4;

export type SandboxJob =
  | {
      id: number;
      kind: 'convert';
      bytes: Uint8Array;
      name: string;
      options: {
        pages?: string | undefined;
        format?: 'markdown' | 'text' | undefined;
        limits: ConvertLimits;
      };
    }
  | { id: number; kind: 'pdf'; bytes: Uint8Array; name: string; request: PdfChunkRequest };

/** Distributes Omit over the job union (plain Omit would merge its members). */
export type SandboxJobInput = SandboxJob extends infer J
  ? J extends SandboxJob
    ? Omit<J, 'id'>
    : never
  : never;

export type SandboxReply =
  | { id: number; type: 'progress'; done: number; of: number }
  | { id: number; type: 'done'; result: unknown }
  | {
      id: number;
      type: 'error';
      error: { code: string; message: string; details?: Record<string, unknown> | undefined };
    };

// From the compiled build the worker is plain JavaScript. From the TypeScript sources (tests,
// `vitest`), the worker loads them through a small TypeScript loader (a development dependency).
const fromSource = import.meta.url.endsWith('.ts');
const workerUrl = new URL(`./sandbox-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
const sourceLoaderUrl = new URL('./ts-source-loader.mjs', import.meta.url);

/** Whether documents can be parsed on sandbox workers here (false only in an incomplete build). */
export function sandboxAvailable(): boolean {
  return workerUrl.protocol === 'file:' && existsSync(fileURLToPath(workerUrl));
}

/**
 * Workers parsing at the same time, over all documents: each may use up to its heap cap, so a
 * burst of large documents waits its turn (within its own time limit) instead of exhausting memory.
 */
const MAX_BUSY = 4;
let busyCount = 0;
const waiting: Array<() => void> = [];

function acquireSlot(): Promise<void> {
  if (busyCount < MAX_BUSY) {
    busyCount++;
    return Promise.resolve();
  }
  return new Promise((resolve) => waiting.push(resolve));
}

function releaseSlot(): void {
  const next = waiting.shift();
  if (next) next();
  else busyCount--;
}

const idle = new Map<number, Worker[]>();
let idleTimer: NodeJS.Timeout | undefined;
let nextId = 1;

function startWorker(memoryMb: number): Worker {
  const execArgv = fromSource
    ? [
        '--import',
        `data:text/javascript,import{register}from'node:module';register(${JSON.stringify(sourceLoaderUrl.href)});`,
      ]
    : [];
  return new Worker(workerUrl, {
    execArgv,
    resourceLimits: {
      maxOldGenerationSizeMb: memoryMb,
      maxYoungGenerationSizeMb: Math.max(16, Math.min(64, Math.floor(memoryMb / 8))),
    },
  });
}

function takeWorker(memoryMb: number): Worker {
  const w = idle.get(memoryMb)?.pop() ?? startWorker(memoryMb);
  w.ref();
  return w;
}

function returnWorker(w: Worker, memoryMb: number): void {
  w.removeAllListeners('message');
  w.removeAllListeners('error');
  w.removeAllListeners('exit');
  const list = idle.get(memoryMb) ?? [];
  if (list.length >= MAX_IDLE) {
    void w.terminate();
    return;
  }
  w.unref();
  list.push(w);
  idle.set(memoryMb, list);
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    for (const workers of idle.values()) for (const worker of workers.splice(0)) void worker.terminate();
  }, IDLE_MS);
  idleTimer.unref();
}

/** End every idle worker now (tests and shutdown); busy ones end with their job. */
export async function closeSandbox(): Promise<void> {
  const all = [...idle.values()].flatMap((list) => list.splice(0));
  await Promise.all(all.map((w) => w.terminate()));
}

export interface SandboxRun {
  name: string;
  timeoutMs: number;
  memoryMb: number;
  signal?: AbortSignal | undefined;
  /** Summed progress over the jobs (pages done of pages known so far). */
  onProgress?: ((done: number, total: number) => void) | undefined;
}

function timeoutError(name: string, ms: number): PrechewError {
  return new PrechewError(
    'TIMEOUT',
    `Converting ${name} took longer than ${Math.round(ms / 1000)} s (limits.documentTimeoutMs) and was stopped. Convert fewer pages (pages: "1-50") or raise the limit.`,
  );
}

function memoryError(name: string, memoryMb: number): PrechewError {
  return new PrechewError(
    'INPUT_TOO_LARGE',
    `Converting ${name} needed more than ${memoryMb} MB of memory (limits.documentMemoryMb) and was stopped: the document expands to far more content than its size suggests. Convert fewer pages, or raise the limit only for a file you trust.`,
    { limitMb: memoryMb },
  );
}

/**
 * Run the jobs of one document at the same time, one worker each; results in job order. One
 * timer covers them all; the first failure, the timeout or cancellation terminates every worker
 * of the document.
 */
export async function runSandboxed(jobs: SandboxJobInput[], run: SandboxRun): Promise<unknown[]> {
  if (run.signal?.aborted)
    throw new PrechewError('CANCELLED', 'The request was cancelled before it finished.');
  const results = new Array<unknown>(jobs.length);
  const progress = jobs.map(() => ({ done: 0, of: 0 }));
  const busy = new Map<Worker, boolean>();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  let failed = false;
  try {
    await new Promise<void>((resolve, reject) => {
      let pending = jobs.length;
      const fail = (error: PrechewError) => {
        failed = true;
        reject(error);
      };
      timer = setTimeout(() => fail(timeoutError(run.name, run.timeoutMs)), run.timeoutMs);
      onAbort = () => fail(new PrechewError('CANCELLED', 'The request was cancelled before it finished.'));
      run.signal?.addEventListener('abort', onAbort, { once: true });
      jobs.forEach(
        (input, index) =>
          void acquireSlot().then(() => {
            if (failed) {
              releaseSlot();
              return;
            }
            const worker = takeWorker(run.memoryMb);
            busy.set(worker, true);
            const id = nextId++;
            worker.on('message', (reply: SandboxReply) => {
              if (reply.id !== id || failed) return;
              if (reply.type === 'progress') {
                progress[index] = { done: reply.done, of: reply.of };
                run.onProgress?.(
                  progress.reduce((a, p) => a + p.done, 0),
                  progress.reduce((a, p) => a + p.of, 0),
                );
                return;
              }
              if (reply.type === 'error') {
                fail(
                  new PrechewError(reply.error.code as ErrorCode, reply.error.message, reply.error.details),
                );
                return;
              }
              busy.set(worker, false);
              results[index] = reply.result;
              if (--pending === 0) resolve();
            });
            worker.on('error', (error: Error & { code?: string }) => {
              if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') fail(memoryError(run.name, run.memoryMb));
              else
                fail(
                  new PrechewError(
                    'ENGINE_FAILED',
                    `The converter stopped unexpectedly while reading ${run.name}.`,
                    undefined,
                    {
                      cause: error,
                    },
                  ),
                );
            });
            worker.on('exit', () => {
              if (busy.get(worker))
                fail(
                  new PrechewError(
                    'ENGINE_FAILED',
                    `The converter stopped unexpectedly while reading ${run.name}.`,
                  ),
                );
            });
            worker.postMessage({ ...input, id });
          }),
      );
    });
  } finally {
    clearTimeout(timer);
    if (onAbort) run.signal?.removeEventListener('abort', onAbort);
    for (const [worker, working] of busy) {
      releaseSlot();
      // A worker still working (failure, timeout, cancel) is terminated: parsing cannot be interrupted.
      if (working) {
        worker.removeAllListeners('exit');
        void worker.terminate();
      } else returnWorker(worker, run.memoryMb);
    }
  }
  return results;
}
