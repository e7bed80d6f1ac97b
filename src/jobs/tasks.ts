/**
 * Jobs that outlive the request: a task runs a tool call detached from the connection that asked
 * for it, records its progress message and final result in the task store, and can be polled,
 * awaited or cancelled — from the same connection, a new one, or a restarted server (results stay
 * for the task's TTL). Protocol framing (MCP tasks/* methods) lives in src/server-tasks.ts; this
 * module knows nothing of MCP beyond the result object it stores.
 */
import { randomUUID } from 'node:crypto';
import { log } from '../log.js';
import { getService, type AppServices } from '../services.js';
import { TERMINAL, TaskStore, type TaskRecord, type TaskStatus } from '../store/tasks.js';

export type { TaskRecord, TaskStatus };

export interface TaskSettings {
  /** Retention when the client asks for none. */
  ttlMs: number;
  /** Upper bound on a client-requested retention. */
  maxTtlMs: number;
  /** Suggested polling interval for clients, also how often a running task checks for a cancel from another process. */
  pollIntervalMs: number;
}

export interface TaskOutcome {
  status: 'completed' | 'failed';
  /** What the original request would have returned (a CallToolResult). */
  result: Record<string, unknown>;
  message?: string | undefined;
}

export type TaskWork = (signal: AbortSignal, setMessage: (message: string) => void) => Promise<TaskOutcome>;

interface Running {
  controller: AbortController;
  done: Promise<void>;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class TaskManager {
  private readonly running = new Map<string, Running>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private watch: NodeJS.Timeout | undefined;
  private lastMessageWrite = new Map<string, number>();
  private closed = false;

  constructor(
    readonly store: TaskStore,
    readonly settings: TaskSettings,
  ) {
    this.reapOrphans();
    store.deleteExpired();
  }

  /** The retention a task gets: the client's wish, capped; the default when it has none. */
  ttlFor(requested: number | null | undefined): number {
    if (typeof requested !== 'number' || !Number.isFinite(requested) || requested <= 0) return this.settings.ttlMs;
    return Math.min(Math.floor(requested), this.settings.maxTtlMs);
  }

  start(owner: string, tool: string, requestedTtl: number | null | undefined, work: TaskWork): TaskRecord {
    this.store.deleteExpired();
    const now = Date.now();
    const record: TaskRecord = {
      taskId: randomUUID(),
      owner,
      tool,
      status: 'working',
      statusMessage: `${tool} started`,
      createdAt: now,
      lastUpdatedAt: now,
      ttl: this.ttlFor(requestedTtl),
      pollInterval: this.settings.pollIntervalMs,
      pid: process.pid,
      cancelRequested: false,
    };
    this.store.insert(record);
    const controller = new AbortController();
    const setMessage = (message: string): void => {
      // Progress can arrive many times a second; the store needs only the latest now and then.
      const last = this.lastMessageWrite.get(record.taskId) ?? 0;
      const t = Date.now();
      if (this.closed || t - last < 200) return;
      this.lastMessageWrite.set(record.taskId, t);
      try {
        this.store.setMessage(record.taskId, message, t);
      } catch (error) {
        log.debug('task progress not recorded', { error });
      }
    };
    const done = (async () => {
      let outcome: TaskOutcome;
      try {
        outcome = await work(controller.signal, setMessage);
      } catch (error) {
        log.error(`task ${record.taskId} (${tool}) failed unexpectedly`, { error });
        outcome = { status: 'failed', result: { isError: true, content: [{ type: 'text', text: '[INTERNAL] The task failed unexpectedly; see the server log.' }] } };
      }
      // After close() the task is already recorded as interrupted and the store is shut.
      if (this.closed) return;
      try {
        this.store.finish(record.taskId, outcome.status, outcome.message, outcome.result);
      } catch (error) {
        log.warn('task result could not be stored', { error });
      }
    })().finally(() => {
      this.running.delete(record.taskId);
      this.lastMessageWrite.delete(record.taskId);
      this.notify(record.taskId);
      if (this.running.size === 0) this.stopWatch();
    });
    this.running.set(record.taskId, { controller, done });
    this.startWatch();
    return record;
  }

  /** A task as its owner sees it, or undefined (unknown, expired, or someone else's). */
  get(taskId: string, owner: string): TaskRecord | undefined {
    this.store.deleteExpired();
    let task = this.store.get(taskId);
    if (!task || task.owner !== owner) return undefined;
    if (task.status === 'working' && task.pid !== process.pid && !processAlive(task.pid)) {
      this.failOrphan(task);
      task = this.store.get(taskId);
    }
    return task;
  }

  list(owner: string, limit: number, after?: { created: number; taskId: string }): TaskRecord[] {
    this.store.deleteExpired();
    this.reapOrphans();
    return this.store.list(owner, limit, after);
  }

  /** Resolves once the task is terminal (or gone), or rejects when `signal` aborts. */
  async waitForTerminal(taskId: string, owner: string, signal: AbortSignal): Promise<TaskRecord | undefined> {
    for (;;) {
      const task = this.get(taskId, owner);
      if (!task || TERMINAL.has(task.status)) return task;
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
      // In this process a finished task wakes its waiters at once; a task run by another process is polled.
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          signal.removeEventListener('abort', wake);
          this.waiters.get(taskId)?.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, this.running.has(taskId) ? 5000 : Math.max(100, task.pollInterval));
        signal.addEventListener('abort', wake, { once: true });
        let set = this.waiters.get(taskId);
        if (!set) this.waiters.set(taskId, (set = new Set()));
        set.add(wake);
      });
    }
  }

  /** Cancels a working task; returns the task afterwards, or undefined when unknown. Terminal tasks are returned unchanged. */
  cancel(taskId: string, owner: string): TaskRecord | undefined {
    const task = this.get(taskId, owner);
    if (!task || TERMINAL.has(task.status)) return task;
    this.store.requestCancel(taskId);
    this.store.finish(taskId, 'cancelled', 'The task was cancelled.', {
      isError: true,
      content: [{ type: 'text', text: '[CANCELLED] The task was cancelled before it finished.' }],
    });
    this.running.get(taskId)?.controller.abort(new Error('task cancelled'));
    this.notify(taskId);
    return this.store.get(taskId);
  }

  /** Tasks this process is running now. */
  runningCount(): number {
    return this.running.size;
  }

  /** Waits (at most `timeoutMs`) for this process's tasks to finish. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running.values()].map((r) => r.done)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  /** On shutdown: tasks still running here are recorded as interrupted, so clients are not left polling. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopWatch();
    for (const [taskId, run] of this.running) {
      run.controller.abort(new Error('server stopping'));
      this.store.finish(taskId, 'failed', 'The server stopped while the task was running.', {
        isError: true,
        content: [{ type: 'text', text: '[CANCELLED] The server stopped while the task was running; call the tool again.' }],
      });
    }
    this.running.clear();
    this.store.close();
  }

  private notify(taskId: string): void {
    const set = this.waiters.get(taskId);
    if (!set) return;
    this.waiters.delete(taskId);
    for (const wake of set) wake();
  }

  private failOrphan(task: TaskRecord): void {
    this.store.finish(task.taskId, 'failed', 'The server running this task stopped before it finished.', {
      isError: true,
      content: [{ type: 'text', text: '[CANCELLED] The server running this task stopped before it finished; call the tool again.' }],
    });
  }

  private reapOrphans(): void {
    for (const task of this.store.working()) {
      if (task.pid !== process.pid && !processAlive(task.pid)) this.failOrphan(task);
    }
  }

  /** While tasks run here, notice a cancel or expiry recorded by another process. */
  private startWatch(): void {
    if (this.watch) return;
    this.watch = setInterval(
      () => {
        for (const [taskId, run] of this.running) {
          const row = this.store.get(taskId);
          if (!row || row.cancelRequested || TERMINAL.has(row.status)) run.controller.abort(new Error('task cancelled'));
        }
        this.store.deleteExpired();
      },
      Math.max(250, this.settings.pollIntervalMs),
    );
    this.watch.unref();
  }

  private stopWatch(): void {
    if (this.watch) clearInterval(this.watch);
    this.watch = undefined;
  }
}

/** The task manager if this process has started one (without opening the store otherwise). */
export function openedTaskManager(app: AppServices): TaskManager | undefined {
  return app.extensions.get('tasks') as TaskManager | undefined;
}

/** The process-wide task manager, opened on first use and closed on shutdown. */
export function getTaskManager(app: AppServices): TaskManager {
  return getService(app, 'tasks', () => {
    const jobs = app.config.jobs;
    const manager = new TaskManager(new TaskStore(app.config.data.dir), {
      ttlMs: jobs.taskTtlMs,
      maxTtlMs: jobs.maxTaskTtlMs,
      pollIntervalMs: jobs.taskPollMs,
    });
    app.onDispose(() => manager.close());
    return manager;
  });
}
