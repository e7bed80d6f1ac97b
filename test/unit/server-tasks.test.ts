/**
 * The tasks/* protocol surface in one process: the real MCP server (createMcpServer) and the SDK
 * client over the SDK's in-memory transport — the cap on running tasks, argument errors before a
 * task exists, and tasks/list pagination.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import type { App } from '../../src/app.js';
import { createMcpServer } from '../../src/server.js';
import { makeTestApp } from '../helpers/app.js';
import { startFakeProviders, type FakeProviders } from '../helpers/fake-providers.js';

const TaskSchema = z.object({ taskId: z.string(), status: z.string() }).loose();
const CreateTaskResultSchema = z.object({ task: TaskSchema }).loose();
const ListSchema = z.object({ tasks: z.array(TaskSchema), nextCursor: z.string().optional() }).loose();
const ResultSchema = z.object({ content: z.array(z.unknown()), isError: z.boolean().optional() }).loose();

describe('tasks protocol (in-memory transport)', () => {
  let fake: FakeProviders;
  let app: App;
  let client: Client;

  beforeAll(async () => {
    fake = await startFakeProviders();
    app = makeTestApp({ jobs: { maxRunningTasks: 2, taskPollMs: 100 }, cloud: { openai: { apiKey: 'sk-openai-test-key-123456', baseURL: fake.openaiURL } } });
    const server = createMcpServer(app, { clientRoots: 'honour', transport: 'stdio' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    client = new Client({ name: 'unit', version: '1' });
    await client.connect(b);
  });
  afterAll(async () => {
    await client?.close();
    await app?.dispose();
    await fake?.close();
  });

  const startTask = (name: string, args: Record<string, unknown>) =>
    client.request({ method: 'tools/call', params: { name, arguments: args, task: {} } }, CreateTaskResultSchema).then((r) => r.task);

  it('refuses more running tasks than jobs.maxRunningTasks, and takes new ones once they end', async () => {
    fake.delayMs = 60_000;
    const ask = { question: 'Q?', sources: [{ text: 'Some text to condense.' }], provider: 'openai' };
    const first = await startTask('ask', ask);
    const second = await startTask('ask', ask);
    await expect(startTask('ask', ask)).rejects.toThrow(/Too many running tasks \(jobs\.maxRunningTasks = 2\)/);
    for (const t of [first, second]) expect((await client.request({ method: 'tasks/cancel', params: { taskId: t.taskId } }, TaskSchema)).status).toBe('cancelled');
    fake.delayMs = 0;
    // Cancelled tasks stop counting once their work has unwound.
    let third: z.infer<typeof TaskSchema> | undefined;
    for (let i = 0; i < 50 && !third; i++) {
      third = await startTask('dedupe', { items: ['a b c', 'a b c'] }).catch(async () => {
        await new Promise((r) => setTimeout(r, 100));
        return undefined;
      });
    }
    expect(third?.status).toBe('working');
  });

  it('answers with the JSON-RPC codes of the spec', async () => {
    const code = (p: Promise<unknown>) => p.then(() => undefined, (e: { code?: unknown }) => e.code);
    expect(await code(client.request({ method: 'tasks/get', params: { taskId: 'nope' } }, TaskSchema))).toBe(-32602);
    expect(await code(client.request({ method: 'tasks/result', params: { taskId: 'nope' } }, ResultSchema))).toBe(-32602);
    expect(await code(startTask('classify', { texts: ['good'] }))).toBe(-32601);
  });

  it('rejects bad arguments before a task exists', async () => {
    await expect(startTask('dedupe', { items: 'not a list' })).rejects.toThrow(/Invalid arguments for dedupe: items/);
    await expect(startTask('no-such-tool', {})).rejects.toThrow(/Tool no-such-tool not found/);
  });

  it('lists tasks newest first in pages of 50', async () => {
    const made: string[] = [];
    for (let i = 0; i < 55; i++) {
      const t = await startTask('dedupe', { items: [`item ${i}`, `item ${i}`] });
      made.push(t.taskId);
      await client.request({ method: 'tasks/result', params: { taskId: t.taskId } }, ResultSchema);
    }
    const first = await client.request({ method: 'tasks/list', params: {} }, ListSchema);
    expect(first.tasks).toHaveLength(50);
    expect(first.nextCursor).toBeTruthy();
    const second = await client.request({ method: 'tasks/list', params: { cursor: first.nextCursor } }, ListSchema);
    const all = [...first.tasks, ...second.tasks].map((t) => t.taskId);
    expect(new Set(all).size).toBe(all.length);
    for (const id of made) expect(all).toContain(id);
    expect(all.indexOf(made[54]!)).toBeLessThan(all.indexOf(made[0]!));
    await expect(client.request({ method: 'tasks/list', params: { cursor: 'garbage' } }, ListSchema)).rejects.toThrow(/Invalid cursor for tasks\/list/);
  });
});
