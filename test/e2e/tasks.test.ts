/**
 * Jobs that outlive the request: MCP tasks (2025-11-25) and progress heartbeats, with the official
 * SDK client against real `prechew serve` child processes over HTTP and stdio. The long job is a
 * real `ask` whose cloud model (a loopback server speaking the OpenAI wire format) takes seconds
 * to answer, like a slow provider does; nothing in prechew is stubbed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Client } from '@modelcontextprotocol/client';
import { spawn } from 'node:child_process';
import { childEnv, cliPath, connectHttp, connectStdio, startHttpChild, type HttpChild } from '../helpers/cli.js';
import { tempDir } from '../helpers/app.js';
import { startFakeProviders, type FakeProviders } from '../helpers/fake-providers.js';

const TaskSchema = z.object({
  taskId: z.string(),
  status: z.enum(['working', 'input_required', 'completed', 'failed', 'cancelled']),
  ttl: z.number().nullable(),
  createdAt: z.string(),
  lastUpdatedAt: z.string(),
  pollInterval: z.number().optional(),
  statusMessage: z.string().optional(),
});
const CreateTaskResultSchema = z.object({ task: TaskSchema }).loose();
const CallToolResultSchema = z
  .object({
    content: z.array(z.object({ type: z.string(), text: z.string().optional() }).loose()),
    structuredContent: z.record(z.string(), z.unknown()).optional(),
    isError: z.boolean().optional(),
    _meta: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();
const ListTasksResultSchema = z.object({ tasks: z.array(TaskSchema), nextCursor: z.string().optional() }).loose();

const SHORT_TIMEOUT = 1500;
const SOURCE = 'The library opens at nine. The garden club meets on Tuesdays in the east room. Parking is free after six.';
const ASK = { question: 'When does the garden club meet?', sources: [{ text: SOURCE, name: 'notes.txt' }], provider: 'openai' as const };

function env(fake: FakeProviders, dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { OPENAI_API_KEY: 'sk-openai-test-key-123456', PRECHEW_OPENAI_BASE_URL: fake.openaiURL, PRECHEW_DATA_DIR: dataDir, ...extra };
}

async function startTask(client: Client, args: Record<string, unknown> = ASK, ttl = 60_000) {
  const created = await client.request({ method: 'tools/call', params: { name: 'ask', arguments: args, task: { ttl } } }, CreateTaskResultSchema, { timeout: SHORT_TIMEOUT });
  return created.task;
}

const getTask = (client: Client, taskId: string) => client.request({ method: 'tasks/get', params: { taskId } }, TaskSchema, { timeout: SHORT_TIMEOUT });

/** Polls tasks/get (each request well inside the short timeout) until the task is terminal; bounded in count and time. */
async function pollUntilTerminal(client: Client, taskId: string, seen: Array<z.infer<typeof TaskSchema>> = []) {
  const deadline = Date.now() + 60_000;
  for (let i = 0; i < 300 && Date.now() < deadline; i++) {
    const task = await getTask(client, taskId);
    seen.push(task);
    if (task.status !== 'working') return task;
    await new Promise((r) => setTimeout(r, Math.min(task.pollInterval ?? 200, 200)));
  }
  throw new Error(`task ${taskId} did not finish in time`);
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('MCP tasks over Streamable HTTP (real child process)', () => {
  let fake: FakeProviders;
  let server: HttpChild;
  let dataDir: string;

  beforeAll(async () => {
    fake = await startFakeProviders();
    fake.answer = 'The garden club meets on Tuesdays [notes.txt].';
    dataDir = tempDir('prechew-tasks-data-');
    server = await startHttpChild([], env(fake, dataDir, { PRECHEW_PROGRESS_HEARTBEAT_MS: '400' }));
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
  });

  it('declares task support on the long-running tools only', async () => {
    const client = await connectHttp(server.url);
    expect(client.getServerCapabilities()?.tasks).toMatchObject({ list: {}, cancel: {}, requests: { tools: { call: {} } } });
    const { tools } = await client.listTools();
    const support = Object.fromEntries(tools.map((t) => [t.name, (t as { execution?: { taskSupport?: string } }).execution?.taskSupport]));
    for (const name of ['convert', 'transcribe', 'summarize', 'condense', 'ask', 'dedupe']) expect(support[name]).toBe('optional');
    for (const name of ['classify', 'redact', 'restore', 'extract-entities']) expect(support[name]).toBeUndefined();
    // A task request to a tool without task support is refused (the spec's -32601), not run.
    await expect(client.request({ method: 'tools/call', params: { name: 'classify', arguments: { texts: ['good'] }, task: {} } }, CreateTaskResultSchema)).rejects.toThrow(/does not run as a task/);
    // 2026-era clients (no tasks in that protocol) still list and call the same tools.
    const modern = await connectHttp(server.url, { modern: true });
    const modernTools = (await modern.listTools()).tools;
    expect(modernTools.map((t) => t.name)).toContain('ask');
    // That protocol has no tasks in core: neither the capability nor `execution` reaches those clients.
    expect(modern.getServerCapabilities()?.tasks).toBeUndefined();
    expect(modernTools.every((t) => (t as { execution?: unknown }).execution === undefined)).toBe(true);
    await modern.close();
    await client.close();
  });

  it('a job longer than the client request timeout completes through a task, and survives a restart', async () => {
    fake.delayMs = 4000;
    const client = await connectHttp(server.url);
    // The same job as a plain call does not fit in the client's timeout.
    await expect(client.callTool({ name: 'ask', arguments: ASK }, { timeout: SHORT_TIMEOUT })).rejects.toThrow(/timed out|timeout/i);

    const task = await startTask(client);
    expect(task.status).toBe('working');
    expect(task.ttl).toBe(60_000);
    expect(task.taskId).toMatch(/^[0-9a-f-]{36}$/);
    const seen: Array<z.infer<typeof TaskSchema>> = [];
    const done = await pollUntilTerminal(client, task.taskId, seen);
    expect(done.status).toBe('completed');
    expect(seen.some((t) => t.status === 'working' && /asking openai/.test(t.statusMessage ?? ''))).toBe(true);
    const result = await client.request({ method: 'tasks/result', params: { taskId: task.taskId } }, CallToolResultSchema, { timeout: SHORT_TIMEOUT });
    expect(result.isError).toBeFalsy();
    expect((result.structuredContent as { answer: string }).answer).toContain('Tuesdays');
    expect(result._meta?.['io.modelcontextprotocol/related-task']).toEqual({ taskId: task.taskId });
    await client.close();

    // A new server process on the same data dir still has the task and its result.
    await server.stop();
    server = await startHttpChild([], env(fake, dataDir, { PRECHEW_PROGRESS_HEARTBEAT_MS: '400' }));
    const again = await connectHttp(server.url);
    expect((await getTask(again, task.taskId)).status).toBe('completed');
    const stored = await again.request({ method: 'tasks/result', params: { taskId: task.taskId } }, CallToolResultSchema);
    expect((stored.structuredContent as { answer: string }).answer).toBe((result.structuredContent as { answer: string }).answer);
    const listed = await again.request({ method: 'tasks/list', params: {} }, ListTasksResultSchema);
    expect(listed.tasks.map((t) => t.taskId)).toContain(task.taskId);
    await again.close();
  });

  it('tasks/result waits for a working task', async () => {
    fake.delayMs = 1500;
    const client = await connectHttp(server.url);
    const task = await startTask(client);
    const result = await client.request({ method: 'tasks/result', params: { taskId: task.taskId } }, CallToolResultSchema, { timeout: 60_000 });
    expect((result.structuredContent as { answer: string }).answer).toContain('Tuesdays');
    expect((await getTask(client, task.taskId)).status).toBe('completed');
    await client.close();
  });

  it('cancel stops the work and is final', async () => {
    fake.delayMs = 60_000;
    const abandonedBefore = fake.abandoned;
    const requestsBefore = fake.requests.length;
    const client = await connectHttp(server.url);
    const task = await startTask(client);
    // Wait until the job is really at work: the provider has the request.
    await until(() => fake.requests.length > requestsBefore, 'the provider request');
    const cancelled = await client.request({ method: 'tasks/cancel', params: { taskId: task.taskId } }, TaskSchema, { timeout: SHORT_TIMEOUT });
    expect(cancelled.status).toBe('cancelled');
    // The in-flight cloud request is aborted, not left running.
    await until(() => fake.abandoned > abandonedBefore, 'the provider request to be abandoned');
    expect((await getTask(client, task.taskId)).status).toBe('cancelled');
    const result = await client.request({ method: 'tasks/result', params: { taskId: task.taskId } }, CallToolResultSchema, { timeout: SHORT_TIMEOUT });
    expect(result.isError).toBe(true);
    expect(result.content[0]?.text).toMatch(/^\[CANCELLED\]/);
    await expect(client.request({ method: 'tasks/cancel', params: { taskId: task.taskId } }, TaskSchema)).rejects.toThrow(/already cancelled/);
    await expect(getTask(client, 'no-such-task')).rejects.toThrow(/Task not found/);
    await client.close();
  });

  it('without tasks, progress heartbeats keep a client alive whose timeout resets on progress', async () => {
    fake.delayMs = 4000;
    const client = await connectHttp(server.url);
    const values: number[] = [];
    const messages: string[] = [];
    const result = await client.callTool(
      { name: 'ask', arguments: ASK },
      {
        timeout: SHORT_TIMEOUT,
        resetTimeoutOnProgress: true,
        maxTotalTimeout: 60_000,
        onprogress: (p) => {
          values.push(p.progress);
          if (p.message) messages.push(p.message);
        },
      },
    );
    expect(result.isError).toBeFalsy();
    expect((result.structuredContent as { answer: string }).answer).toContain('Tuesdays');
    expect(messages.some((m) => /still working/.test(m))).toBe(true);
    // MCP: progress only ever increases.
    for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThan(values[i - 1]!);
    await client.close();
  });
});

describe('MCP tasks over stdio (real child process)', () => {
  let fake: FakeProviders;

  beforeAll(async () => {
    fake = await startFakeProviders();
    fake.answer = 'Parking is free after six [notes.txt].';
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('runs a task, and a new server process on the same data dir returns its result', async () => {
    fake.delayMs = 2500;
    const dataDir = tempDir('prechew-tasks-stdio-');
    const first = await connectStdio([], env(fake, dataDir));
    const task = await startTask(first.client);
    expect(task.status).toBe('working');
    expect((await pollUntilTerminal(first.client, task.taskId)).status).toBe('completed');
    await first.client.close();

    const second = await connectStdio([], env(fake, dataDir));
    const stored = await second.client.request({ method: 'tasks/result', params: { taskId: task.taskId } }, CallToolResultSchema, { timeout: SHORT_TIMEOUT });
    expect((stored.structuredContent as { answer: string }).answer).toContain('Parking');
    await second.client.close();

    // Tasks belong to the transport kind that made them: an HTTP server on the same data dir does not show it.
    const http = await startHttpChild([], env(fake, dataDir));
    try {
      const client = await connectHttp(http.url);
      await expect(getTask(client, task.taskId)).rejects.toThrow(/Task not found/);
      await client.close();
    } finally {
      await http.stop();
    }
  });

  it('a task keeps running after the client closes stdin, and a new session fetches its result', async () => {
    fake.delayMs = 2500;
    const dataDir = tempDir('prechew-tasks-stdio-');
    const child = spawn(process.execPath, [cliPath, 'serve', '--stdio'], { env: childEnv(env(fake, dataDir)), cwd: tempDir() });
    let out = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const reply = (id: number) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no reply ${id}; stderr:\n${stderr}`)), 20_000);
        const onData = (d: Buffer) => {
          out += d.toString();
          for (const line of out.split('\n')) {
            if (!line.trim()) continue;
            const msg = JSON.parse(line) as { id?: number };
            if (msg.id === id) {
              clearTimeout(timer);
              child.stdout.off('data', onData);
              resolve(msg as Record<string, unknown>);
            }
          }
        };
        child.stdout.on('data', onData);
      });
    const send = (msg: unknown) => child.stdin.write(`${JSON.stringify(msg)}\n`);
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    await reply(1);
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'ask', arguments: ASK, task: { ttl: 60_000 } } });
    const created = CreateTaskResultSchema.parse((await reply(2)).result);
    child.stdin.end();
    // The process finishes the task before it exits (without that, shutdown would record it as interrupted).
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/error/i);

    const next = await connectStdio([], env(fake, dataDir));
    expect((await getTask(next.client, created.task.taskId)).status).toBe('completed');
    const stored = await next.client.request({ method: 'tasks/result', params: { taskId: created.task.taskId } }, CallToolResultSchema, { timeout: SHORT_TIMEOUT });
    expect((stored.structuredContent as { answer: string }).answer).toContain('Parking');
    await next.client.close();
  });
});
