/**
 * MCP round trip: calls/s and p50/p99 latency of a trivial tool call over stdio and HTTP against
 * calling the same handler in-process. Bounded in count and time; loopback only.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { createApp } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { invokeTool } from '../src/tools/invoke.js';
import { extractEntitiesTool } from '../src/tools/extract-entities.js';

const ARGS = { text: 'Email ada@example.com on 2024-05-01 about the $300 invoice.' };
const MAX_CALLS = 400;
const MAX_MS = 8000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function measure(call: () => Promise<unknown>): Promise<{ callsPerSec: number; p50: number; p99: number; calls: number }> {
  for (let i = 0; i < 20; i++) await call(); // warm-up
  const times: number[] = [];
  const start = performance.now();
  while (times.length < MAX_CALLS && performance.now() - start < MAX_MS) {
    const t0 = performance.now();
    await call();
    times.push(performance.now() - t0);
  }
  const total = performance.now() - start;
  times.sort((a, b) => a - b);
  return { callsPerSec: (times.length / total) * 1000, p50: percentile(times, 50), p99: percentile(times, 99), calls: times.length };
}

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');

function env(): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PRECHEW_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'prechew-bench-')), PRECHEW_LOG_LEVEL: 'error' };
}

export async function benchMcp(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  const app = createApp(parseConfig({ data: { dir: mkdtempSync(path.join(os.tmpdir(), 'prechew-bench-')) } }));
  const ctx = { app, signal: new AbortController().signal, progress: () => undefined, clientRoots: async () => [] };
  const direct = await measure(() => invokeTool(extractEntitiesTool, ARGS, ctx, { pageStore: app.pageStore, maxOutputTokens: 20_000 }));
  out['in-process calls/s'] = Math.round(direct.callsPerSec);
  out['in-process p50 ms'] = +direct.p50.toFixed(3);
  out['in-process p99 ms'] = +direct.p99.toFixed(3);

  const stdioClient = new Client({ name: 'bench', version: '1' });
  await stdioClient.connect(new StdioClientTransport({ command: process.execPath, args: [cli, 'serve', '--stdio'], env: env(), stderr: 'ignore' }));
  const stdio = await measure(() => stdioClient.callTool({ name: 'extract-entities', arguments: ARGS }));
  await stdioClient.close();
  out['stdio calls/s'] = Math.round(stdio.callsPerSec);
  out['stdio p50 ms'] = +stdio.p50.toFixed(3);
  out['stdio p99 ms'] = +stdio.p99.toFixed(3);
  out['stdio overhead ×'] = +(stdio.p50 / direct.p50).toFixed(1);

  const child = spawn(process.execPath, [cli, 'serve', '--http', '--port', '0'], { env: { ...env(), PRECHEW_LOG_LEVEL: 'info' } });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error('http server did not start')), 20_000);
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /listening on (\S+\/mcp)/.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    for (const [label, modern] of [
      ['http (2025 session)', false],
      ['http (2026 stateless)', true],
    ] as const) {
      const client = new Client({ name: 'bench', version: '1' }, modern ? { versionNegotiation: { mode: 'auto' } } : {});
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      const r = await measure(() => client.callTool({ name: 'extract-entities', arguments: ARGS }));
      await client.close();
      out[`${label} calls/s`] = Math.round(r.callsPerSec);
      out[`${label} p50 ms`] = +r.p50.toFixed(3);
      out[`${label} p99 ms`] = +r.p99.toFixed(3);
      out[`${label} overhead ×`] = +(r.p50 / direct.p50).toFixed(1);
    }
  } finally {
    child.kill('SIGTERM');
  }
  await app.dispose();
  return out;
}
