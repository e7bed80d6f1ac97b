/**
 * MCP round trip: calls/s and p50/p99 latency of an extract-entities call over stdio and HTTP
 * (both protocol eras), prechew beside a bare MCP SDK v2 server (bench/bare-server.ts: the same
 * SDK transports and the same engine function, nothing else) in the same run, plus the same
 * handler called in-process. The two servers are measured in alternating rounds so load from
 * elsewhere on the machine hits both alike. Bounded in count and time; loopback only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
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
const ROUNDS = 4;
const CALLS_PER_ROUND = 150;
const MAX_ROUND_MS = 4000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

interface Figures {
  callsPerSec: number;
  p50: number;
  p99: number;
  calls: number;
  /** CPU time the server process spent per call (user + system), when its pid is known. */
  cpuMsPerCall?: number;
}

const TICK_MS = 10; // Linux reports process CPU time in clock ticks of 1/100 s.

/** CPU time (ms) a process has used so far, from /proc; undefined where there is no /proc. */
function processCpuMs(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

class Sampler {
  readonly times: number[] = [];
  busyMs = 0;
  cpuMs = 0;
  constructor(
    readonly call: () => Promise<unknown>,
    readonly pid?: number,
  ) {}
  async warm(): Promise<void> {
    for (let i = 0; i < 30; i++) await this.call();
  }
  async round(): Promise<void> {
    const cpuBefore = processCpuMs(this.pid);
    const start = performance.now();
    for (let i = 0; i < CALLS_PER_ROUND && performance.now() - start < MAX_ROUND_MS; i++) {
      const t0 = performance.now();
      await this.call();
      this.times.push(performance.now() - t0);
    }
    this.busyMs += performance.now() - start;
    const cpuAfter = processCpuMs(this.pid);
    if (cpuBefore !== undefined && cpuAfter !== undefined) this.cpuMs += cpuAfter - cpuBefore;
  }
  figures(): Figures {
    const sorted = [...this.times].sort((a, b) => a - b);
    const cpuMsPerCall = this.pid && this.cpuMs > 0 ? this.cpuMs / sorted.length : undefined;
    return { callsPerSec: (sorted.length / this.busyMs) * 1000, p50: percentile(sorted, 50), p99: percentile(sorted, 99), calls: sorted.length, cpuMsPerCall };
  }
}

/** Alternating rounds: prechew, bare, prechew, bare … */
async function compare(prechew: Sampler, bare: Sampler): Promise<{ prechew: Figures; bare: Figures }> {
  await prechew.warm();
  await bare.warm();
  for (let r = 0; r < ROUNDS; r++) {
    await prechew.round();
    await bare.round();
  }
  return { prechew: prechew.figures(), bare: bare.figures() };
}

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, '..', 'src', 'cli.js');
const bareServer = path.resolve(here, 'bare-server.js');

function env(): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PRECHEW_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'prechew-bench-')), PRECHEW_LOG_LEVEL: 'error' };
}

function startHttp(args: string[], extraEnv: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { env: { ...env(), PRECHEW_LOG_LEVEL: 'info', ...extraEnv } });
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (\S+\/mcp)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
  });
}

function report(out: Record<string, number | string>, label: string, r: { prechew: Figures; bare: Figures }, directP50: number): void {
  out[`${label} prechew calls/s`] = Math.round(r.prechew.callsPerSec);
  out[`${label} bare SDK calls/s`] = Math.round(r.bare.callsPerSec);
  out[`${label} prechew p50 / p99 ms`] = `${r.prechew.p50.toFixed(3)} / ${r.prechew.p99.toFixed(3)}`;
  out[`${label} bare SDK p50 / p99 ms`] = `${r.bare.p50.toFixed(3)} / ${r.bare.p99.toFixed(3)}`;
  out[`${label} prechew/bare calls/s ×`] = +(r.prechew.callsPerSec / r.bare.callsPerSec).toFixed(2);
  out[`${label} bare/prechew p50 ×`] = +(r.bare.p50 / r.prechew.p50).toFixed(2);
  out[`${label} prechew p50 / in-process ×`] = +(r.prechew.p50 / directP50).toFixed(1);
  if (r.prechew.cpuMsPerCall !== undefined && r.bare.cpuMsPerCall !== undefined) {
    // Server CPU per call is the figure least moved by other load on the machine.
    out[`${label} server CPU ms/call prechew / bare`] = `${r.prechew.cpuMsPerCall.toFixed(2)} / ${r.bare.cpuMsPerCall.toFixed(2)}`;
  }
}

export async function benchMcp(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  const app = createApp(parseConfig({ data: { dir: mkdtempSync(path.join(os.tmpdir(), 'prechew-bench-')) } }));
  const ctx = { app, signal: new AbortController().signal, progress: () => undefined, clientRoots: async () => [] };
  const direct = new Sampler(() => invokeTool(extractEntitiesTool, ARGS, ctx, { pageStore: app.pageStore, maxOutputTokens: 20_000 }));
  await direct.warm();
  for (let r = 0; r < ROUNDS; r++) await direct.round();
  const d = direct.figures();
  out['in-process calls/s'] = Math.round(d.callsPerSec);
  out['in-process p50 / p99 ms'] = `${d.p50.toFixed(3)} / ${d.p99.toFixed(3)}`;
  const call = (client: Client) => () => client.callTool({ name: 'extract-entities', arguments: ARGS });

  // stdio
  const stdioPrechew = new Client({ name: 'bench', version: '1' });
  const prechewTransport = new StdioClientTransport({ command: process.execPath, args: [cli, 'serve', '--stdio'], env: env(), stderr: 'ignore' });
  await stdioPrechew.connect(prechewTransport);
  const stdioBare = new Client({ name: 'bench', version: '1' });
  const bareTransport = new StdioClientTransport({ command: process.execPath, args: [bareServer, 'stdio'], env: env(), stderr: 'ignore' });
  await stdioBare.connect(bareTransport);
  try {
    report(
      out,
      'stdio',
      await compare(new Sampler(call(stdioPrechew), prechewTransport.pid ?? undefined), new Sampler(call(stdioBare), bareTransport.pid ?? undefined)),
      d.p50,
    );
  } finally {
    await stdioPrechew.close();
    await stdioBare.close();
  }

  // HTTP, both protocol eras
  const servers = await Promise.all([
    startHttp([cli, 'serve', '--http', '--port', '0']),
    startHttp([bareServer, 'http']),
    startHttp([bareServer, 'http-resumable']),
    startHttp([cli, 'serve', '--http', '--port', '0'], { PRECHEW_RESUMABLE_STREAMS: 'true' }),
  ]);
  try {
    for (const [label, modern] of [
      ['http 2025 session', false],
      ['http 2026 stateless', true],
    ] as const) {
      const clients: Client[] = [];
      for (const { url } of servers.slice(0, 2)) {
        const client = new Client({ name: 'bench', version: '1' }, modern ? { versionNegotiation: { mode: 'auto' } } : {});
        await client.connect(new StreamableHTTPClientTransport(new URL(url)));
        clients.push(client);
      }
      try {
        const [p, b] = servers;
        report(out, label, await compare(new Sampler(call(clients[0]!), p!.child.pid), new Sampler(call(clients[1]!), b!.child.pid)), d.p50);
      } finally {
        for (const c of clients) await c.close();
      }
    }
    // With server.resumableStreams, prechew gives 2025-era sessions resumable SSE (an event store
    // and a retry interval: a priming event and a stored copy per response); the same against a
    // bare server with the same two options.
    const pair: Client[] = [];
    for (const { url } of [servers[3]!, servers[2]!]) {
      const client = new Client({ name: 'bench', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      pair.push(client);
    }
    try {
      report(out, 'http 2025 session, both resumable', await compare(new Sampler(call(pair[0]!), servers[3]!.child.pid), new Sampler(call(pair[1]!), servers[2]!.child.pid)), d.p50);
    } finally {
      for (const c of pair) await c.close();
    }
  } finally {
    for (const { child } of servers) child.kill('SIGTERM');
  }
  await app.dispose();
  return out;
}
