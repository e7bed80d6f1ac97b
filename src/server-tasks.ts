/**
 * MCP tasks (protocol 2025-11-25): task-augmented `tools/call` and `tasks/get`, `tasks/result`,
 * `tasks/list`, `tasks/cancel`, for the tools that can run long. The SDK (v2.4) keeps the task wire
 * schemas but ships no task runtime, so prechew implements the methods itself on the low-level
 * server: the 2025 codec already parses the task vocabulary, and the 3-argument
 * `setRequestHandler` form registers the tasks/* handlers. The 2026-07-28 protocol removed tasks
 * from core; its codec strips the task capability and `execution` from what those clients see.
 */
import { ProtocolError, ProtocolErrorCode, RELATED_TASK_META_KEY, type McpServer, type ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { App } from './app.js';
import { getTaskManager, type TaskRecord } from './jobs/tasks.js';
import { TERMINAL } from './store/tasks.js';
import { describeZodError } from './tools/invoke.js';
import type { AnyTool } from './tools/types.js';

/** Tools whose calls may run as tasks (the ones that can take minutes). */
export const TASK_TOOLS: ReadonlySet<string> = new Set(['convert', 'transcribe', 'summarize', 'condense', 'ask', 'dedupe']);

const LIST_PAGE = 50;

export type CallToolResultLike = Record<string, unknown> & { isError?: boolean };

export interface TaskHooks {
  /** 'stdio' or 'http': tasks are visible only to the transport kind that created them. */
  owner: string;
  findTool(name: string): AnyTool | undefined;
  /** The input schema as listed to clients (with `cursor`). */
  inputSchema(tool: AnyTool): z.ZodType;
  /** Resolves client roots now, while the connection is there; the task may outlive it. */
  snapshotRoots(): Promise<string[]>;
  /** Runs the tool to completion and returns the CallToolResult the plain call would return. */
  run(tool: AnyTool, args: unknown, signal: AbortSignal, roots: string[], setMessage: (message: string) => void): Promise<CallToolResultLike>;
}

export function wireTask(task: TaskRecord): Record<string, unknown> {
  return {
    taskId: task.taskId,
    status: task.status,
    ttl: task.ttl,
    createdAt: new Date(task.createdAt).toISOString(),
    lastUpdatedAt: new Date(task.lastUpdatedAt).toISOString(),
    pollInterval: task.pollInterval,
    ...(task.statusMessage ? { statusMessage: task.statusMessage } : {}),
  };
}

function notFound(taskId: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidParams, `Task not found: ${taskId}. It may have expired (results are kept for the task's ttl) or belong to another transport.`);
}

type RawHandler = (request: unknown, ctx: ServerContext) => Promise<Record<string, unknown>>;

const taskIdParams = z.object({ taskId: z.string().min(1).max(200) }).loose();
const cursorParams = z.object({ cursor: z.string().max(400).optional() }).loose();

function encodeCursor(task: TaskRecord): string {
  return Buffer.from(JSON.stringify([task.createdAt, task.taskId])).toString('base64url');
}

function decodeCursor(cursor: string): { created: number; taskId: string } {
  try {
    const [created, taskId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof created === 'number' && typeof taskId === 'string') return { created, taskId };
  } catch {
    // fall through
  }
  throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'Invalid cursor for tasks/list: pass the nextCursor of the previous page unchanged.');
}

export function installTasks(server: McpServer, app: App, hooks: TaskHooks): void {
  const tasks = getTaskManager(app);
  server.server.registerCapabilities({ tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } });

  // The plain path stays McpServer's own handler (validation, output checks); a call that asks for a task is answered here.
  const plain = (server.server as unknown as { _getRequestHandler(method: string): RawHandler | undefined })._getRequestHandler('tools/call');
  if (!plain) throw new Error('tools/call has no handler to extend: register the tools before installTasks');

  server.server.setRequestHandler('tools/call', async (request, ctx) => {
    const params = request.params as { name: string; arguments?: Record<string, unknown>; task?: { ttl?: number | null } };
    if (params.task === undefined) return (await plain(request, ctx)) as never;
    const tool = hooks.findTool(params.name);
    if (!tool) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Tool ${params.name} not found`);
    if (!TASK_TOOLS.has(tool.name)) {
      // The spec's answer for a task request to a tool whose taskSupport is "forbidden".
      throw new ProtocolError(ProtocolErrorCode.MethodNotFound, `Tool ${tool.name} does not run as a task (execution.taskSupport is "forbidden"); call it without "task".`);
    }
    const parsed = hooks.inputSchema(tool).safeParse(params.arguments ?? {});
    if (!parsed.success) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Invalid arguments for ${tool.name}: ${describeZodError(parsed.error)}`);
    const limit = app.config.jobs.maxRunningTasks;
    if (tasks.runningCount() >= limit)
      throw new ProtocolError(ProtocolErrorCode.InvalidRequest, `Too many running tasks (jobs.maxRunningTasks = ${limit}); wait for one to finish, cancel one with tasks/cancel, or call the tool without "task".`);
    const roots = await hooks.snapshotRoots();
    const record = tasks.start(hooks.owner, tool.name, params.task.ttl, async (signal, setMessage) => {
      const result = await hooks.run(tool, params.arguments ?? {}, signal, roots, setMessage);
      const text = (result.content as Array<{ text?: string }> | undefined)?.[0]?.text;
      return result.isError ? { status: 'failed', result, message: text?.slice(0, 300) } : { status: 'completed', result, message: 'done' };
    });
    // CreateTaskResult. `content` rides along because the SDK validates every tools/call return as a
    // CallToolResult; the spec's Result allows extra fields and task-aware clients read `task`.
    return { task: wireTask(record), content: [] } as never;
  });

  server.server.setRequestHandler('tasks/get', { params: taskIdParams }, (p) => {
    const task = tasks.get(p.taskId, hooks.owner);
    if (!task) throw notFound(p.taskId);
    return wireTask(task);
  });

  server.server.setRequestHandler('tasks/result', { params: taskIdParams }, async (p, ctx) => {
    const task = await tasks.waitForTerminal(p.taskId, hooks.owner, ctx.mcpReq.signal);
    if (!task) throw notFound(p.taskId);
    const result = task.result ?? { isError: true, content: [{ type: 'text', text: `[INTERNAL] Task ${task.taskId} ended (${task.status}) without a result.` }] };
    const meta = (result._meta as Record<string, unknown> | undefined) ?? {};
    return { ...result, _meta: { ...meta, [RELATED_TASK_META_KEY]: { taskId: task.taskId } } };
  });

  server.server.setRequestHandler('tasks/list', { params: cursorParams }, (p) => {
    const after = p.cursor ? decodeCursor(p.cursor) : undefined;
    const page = tasks.list(hooks.owner, LIST_PAGE + 1, after);
    const shown = page.slice(0, LIST_PAGE);
    return { tasks: shown.map(wireTask), ...(page.length > LIST_PAGE ? { nextCursor: encodeCursor(shown[shown.length - 1]!) } : {}) };
  });

  server.server.setRequestHandler('tasks/cancel', { params: taskIdParams }, (p) => {
    const before = tasks.get(p.taskId, hooks.owner);
    if (!before) throw notFound(p.taskId);
    if (TERMINAL.has(before.status)) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Cannot cancel task ${p.taskId}: it is already ${before.status}.`);
    const after = tasks.cancel(p.taskId, hooks.owner);
    return wireTask(after ?? before);
  });
}
