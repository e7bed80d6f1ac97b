/**
 * Start-up: wall time from spawning the built CLI to its answer, for `prechew --version`,
 * `prechew tools`, `serve --stdio` answering `initialize` (and then `tools/list`), and
 * `serve --http` answering GET /healthz, beside a bare `node -e 0` for scale. Each is run
 * RUNS times; min and median are printed (the min is the figure least disturbed by other load on
 * the machine). Bounded in count and time; loopback only.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNS = 7;
const TIMEOUT_MS = 20_000;
const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');

function env(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    PRECHEW_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'prechew-bench-startup-')),
    PRECHEW_LOG_LEVEL: 'info',
  };
}

/** Spawn, and resolve with the ms until `ready` says so (given the output so far), then kill. */
function timeUntil(args: string[], ready: (out: string, err: string) => boolean | Promise<boolean>, input?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env: env(), cwd: os.tmpdir() });
    let out = '';
    let err = '';
    let done = false;
    const timer = setTimeout(() => finish(new Error(`no answer within ${TIMEOUT_MS} ms from ${args.join(' ')}: ${err.slice(0, 300)}`)), TIMEOUT_MS);
    const finish = (error?: Error, ms?: number) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
      if (error) reject(error);
      else resolve(ms!);
    };
    const check = async () => {
      const now = performance.now();
      if (!done && (await ready(out, err))) finish(undefined, now - started);
    };
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      void check();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      void check();
    });
    child.once('exit', () => void check().then(() => finish(new Error(`${args.join(' ')} exited: ${err.slice(0, 300)}`))));
    if (input !== undefined) child.stdin.write(input);
  });
}

function stats(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  return `min ${Math.round(sorted[0] ?? 0)} ms, median ${Math.round(median)} ms`;
}

async function repeat(run: () => Promise<number>): Promise<string> {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(await run());
  return stats(samples);
}

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
});
const INITIALIZED = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });
const LIST = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });

export async function benchStartup(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  out['node -e 0'] = await repeat(() => timeUntil(['-e', 'process.stdout.write("x")'], (o) => o === 'x'));
  out['prechew --version'] = await repeat(() => timeUntil([cli, '--version'], (o) => o.endsWith('\n')));
  out['prechew tools'] = await repeat(() => timeUntil([cli, 'tools'], (o) => /^restore\s/m.test(o) && /^ask\s.*\n/m.test(o)));
  out['stdio initialize answered'] = await repeat(() =>
    timeUntil([cli, 'serve', '--stdio'], (o) => o.includes('"id":1'), `${INITIALIZE}\n`),
  );
  out['stdio initialize + tools/list answered'] = await repeat(() =>
    timeUntil([cli, 'serve', '--stdio'], (o) => o.includes('"id":2'), `${INITIALIZE}\n${INITIALIZED}\n${LIST}\n`),
  );
  out['http /healthz answered'] = await repeat(() =>
    timeUntil([cli, 'serve', '--http', '--port', '0'], async (_o, e) => {
      const m = /listening on (http:\/\/\S+)\/mcp/.exec(e);
      if (!m) return false;
      const res = await fetch(`${m[1]}/healthz`).catch(() => undefined);
      return res?.status === 200;
    }),
  );
  return out;
}
