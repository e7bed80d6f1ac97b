/**
 * Jobs that outlive the request, over stdio against a real server process: what a task costs on a
 * trivial call (task id, then tasks/result) next to a plain call, and for one long job (a near
 * dedupe of many items) how soon the task id comes back, how long the job runs, and the longest
 * silence between progress notifications of the same job as a plain call (what a client whose
 * timeout resets on progress must tolerate). Bounded in count and time; loopback only.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { z } from 'zod';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');
const TaskSchema = z.object({ taskId: z.string(), status: z.string(), pollInterval: z.number().optional() }).loose();
const CreateSchema = z.object({ task: TaskSchema }).loose();
const ResultSchema = z.object({ content: z.array(z.unknown()) }).loose();
const SMALL = { items: ['a b c d', 'a b c d', 'e f g h'] };
const CALLS = 60;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

export async function benchTasks(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  const client = new Client({ name: 'bench', version: '1' });
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PRECHEW_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'prechew-bench-')), PRECHEW_LOG_LEVEL: 'error', PRECHEW_PROGRESS_HEARTBEAT_MS: '2000' };
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [cli, 'serve', '--stdio'], env, stderr: 'ignore' }));
  try {
    const plain: number[] = [];
    const created: number[] = [];
    const whole: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      let t0 = performance.now();
      await client.callTool({ name: 'dedupe', arguments: SMALL });
      plain.push(performance.now() - t0);
      t0 = performance.now();
      const { task } = await client.request({ method: 'tools/call', params: { name: 'dedupe', arguments: SMALL, task: {} } }, CreateSchema);
      created.push(performance.now() - t0);
      await client.request({ method: 'tasks/result', params: { taskId: task.taskId } }, ResultSchema);
      whole.push(performance.now() - t0);
    }
    out['small call, plain p50 ms'] = +median(plain).toFixed(2);
    out['small call, task id p50 ms'] = +median(created).toFixed(2);
    out['small call, task id + tasks/result p50 ms'] = +median(whole).toFixed(2);

    const items = Array.from({ length: 150_000 }, (_, i) => `ticket ${i} the printer on floor ${i % 9} is jammed ${i % 31} again`);
    const args = { items, mode: 'near', includeText: false };
    let t0 = performance.now();
    let last = t0;
    let gap = 0;
    let notes = 0;
    await client.callTool({ name: 'dedupe', arguments: args }, {
      timeout: 600_000,
      onprogress: () => {
        const now = performance.now();
        gap = Math.max(gap, now - last);
        last = now;
        notes++;
      },
    });
    out['long job (150k items), plain call s'] = +((performance.now() - t0) / 1000).toFixed(2);
    out['long job, progress notifications'] = notes;
    out['long job, longest silence between them ms'] = Math.round(gap);

    t0 = performance.now();
    const { task } = await client.request({ method: 'tools/call', params: { name: 'dedupe', arguments: args, task: {} } }, CreateSchema, { timeout: 600_000 });
    out['long job as a task, task id after ms'] = +(performance.now() - t0).toFixed(1);
    let polls = 0;
    for (let status = task.status; status === 'working' && polls < 2000; polls++) {
      await new Promise((r) => setTimeout(r, task.pollInterval ?? 1000));
      status = (await client.request({ method: 'tasks/get', params: { taskId: task.taskId } }, TaskSchema)).status;
    }
    await client.request({ method: 'tasks/result', params: { taskId: task.taskId } }, ResultSchema);
    out['long job as a task, result after s'] = +((performance.now() - t0) / 1000).toFixed(2);
    out['long job as a task, tasks/get polls'] = polls;
  } finally {
    await client.close();
  }
  return out;
}
