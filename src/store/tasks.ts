/**
 * Durable records of MCP tasks (task-augmented tools/call): status, the latest progress message,
 * and the final result, in SQLite next to the cache (data dir, tasks.sqlite). A separate file from
 * the cache because the cache may be switched off or pruned, while a task result must stay until
 * its TTL runs out. Several prechew processes may share one data dir (an HTTP server and stdio
 * sessions): WAL mode and a busy timeout let them read each other's tasks.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { log } from '../log.js';

export type TaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

export interface TaskRecord {
  taskId: string;
  /** Who may see the task: 'stdio' or 'http' (tasks/list shows only the caller's own). */
  owner: string;
  tool: string;
  status: TaskStatus;
  statusMessage?: string | undefined;
  createdAt: number;
  lastUpdatedAt: number;
  /** Retention from creation in ms; null: kept until deleted. */
  ttl: number | null;
  pollInterval: number;
  /** The process running the task (to tell a task whose server died from one still working). */
  pid: number;
  cancelRequested: boolean;
  /** The JSON-RPC result of the original request (a CallToolResult), once terminal. */
  result?: Record<string, unknown> | undefined;
}

interface Row {
  task_id: string;
  owner: string;
  tool: string;
  status: TaskStatus;
  status_message: string | null;
  created: number;
  updated: number;
  ttl: number | null;
  poll_interval: number;
  pid: number;
  cancel_requested: number;
  result: string | null;
}

function fromRow(row: Row): TaskRecord {
  return {
    taskId: row.task_id,
    owner: row.owner,
    tool: row.tool,
    status: row.status,
    statusMessage: row.status_message ?? undefined,
    createdAt: row.created,
    lastUpdatedAt: row.updated,
    ttl: row.ttl,
    pollInterval: row.poll_interval,
    pid: row.pid,
    cancelRequested: row.cancel_requested === 1,
    result: row.result ? (JSON.parse(row.result) as Record<string, unknown>) : undefined,
  };
}

export const TERMINAL: ReadonlySet<TaskStatus> = new Set(['completed', 'failed', 'cancelled']);

export class TaskStore {
  private readonly db: Database.Database;
  readonly file: string;

  /** Opens (or creates) dir/tasks.sqlite; falls back to an in-memory database when the file cannot be used. */
  constructor(dir: string | undefined) {
    let db: Database.Database | undefined;
    let file = ':memory:';
    if (dir) {
      try {
        mkdirSync(dir, { recursive: true });
        file = path.join(dir, 'tasks.sqlite');
        db = new Database(file);
        db.pragma('journal_mode = WAL');
      } catch (error) {
        log.warn(`task store ${file} cannot be opened; task results last only while this process runs`, { error });
        db?.close();
        db = undefined;
        file = ':memory:';
      }
    }
    this.db = db ?? new Database(':memory:');
    this.file = file;
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 3000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS tasks (
      task_id TEXT PRIMARY KEY, owner TEXT NOT NULL, tool TEXT NOT NULL, status TEXT NOT NULL,
      status_message TEXT, created INTEGER NOT NULL, updated INTEGER NOT NULL, ttl INTEGER,
      poll_interval INTEGER NOT NULL, pid INTEGER NOT NULL, cancel_requested INTEGER NOT NULL DEFAULT 0,
      result TEXT)`);
    this.db.exec('CREATE INDEX IF NOT EXISTS tasks_owner_created ON tasks(owner, created)');
  }

  insert(task: TaskRecord): void {
    this.db
      .prepare(
        `INSERT INTO tasks (task_id, owner, tool, status, status_message, created, updated, ttl, poll_interval, pid, cancel_requested, result)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL)`,
      )
      .run(task.taskId, task.owner, task.tool, task.status, task.statusMessage ?? null, task.createdAt, task.lastUpdatedAt, task.ttl, task.pollInterval, task.pid);
  }

  get(taskId: string): TaskRecord | undefined {
    const row = this.db.prepare('SELECT * FROM tasks WHERE task_id = ?').get(taskId) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** The latest progress message of a working task. */
  setMessage(taskId: string, message: string, now = Date.now()): void {
    this.db.prepare(`UPDATE tasks SET status_message = ?, updated = ? WHERE task_id = ? AND status = 'working'`).run(message, now, taskId);
  }

  /** Moves a working task to a terminal status; false when it was already terminal (first writer wins). */
  finish(taskId: string, status: TaskStatus, message: string | undefined, result: Record<string, unknown> | undefined, now = Date.now()): boolean {
    const info = this.db
      .prepare(`UPDATE tasks SET status = ?, status_message = ?, result = ?, updated = ? WHERE task_id = ? AND status NOT IN ('completed', 'failed', 'cancelled')`)
      .run(status, message ?? null, result ? JSON.stringify(result) : null, now, taskId);
    return info.changes > 0;
  }

  requestCancel(taskId: string): void {
    this.db.prepare('UPDATE tasks SET cancel_requested = 1 WHERE task_id = ?').run(taskId);
  }

  /** Tasks of one owner, newest first, after the cursor (a creation time and id). */
  list(owner: string, limit: number, after?: { created: number; taskId: string }): TaskRecord[] {
    const rows = after
      ? (this.db
          .prepare('SELECT * FROM tasks WHERE owner = ? AND (created < ? OR (created = ? AND task_id < ?)) ORDER BY created DESC, task_id DESC LIMIT ?')
          .all(owner, after.created, after.created, after.taskId, limit) as Row[])
      : (this.db.prepare('SELECT * FROM tasks WHERE owner = ? ORDER BY created DESC, task_id DESC LIMIT ?').all(owner, limit) as Row[]);
    return rows.map(fromRow);
  }

  /** Working tasks (of any process) — to find those whose process is gone. */
  working(): TaskRecord[] {
    return (this.db.prepare(`SELECT * FROM tasks WHERE status = 'working'`).all() as Row[]).map(fromRow);
  }

  /** Deletes tasks whose TTL has run out; returns how many. */
  deleteExpired(now = Date.now()): number {
    return this.db.prepare('DELETE FROM tasks WHERE ttl IS NOT NULL AND created + ttl <= ?').run(now).changes;
  }

  close(): void {
    try {
      this.db.close();
    } catch {
      // already closed
    }
  }
}
