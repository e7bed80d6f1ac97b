/**
 * Start the built CLI (dist/src/cli.js) as a real child process and connect the official MCP
 * client to it over stdio or Streamable HTTP.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { tempDir } from './app.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cliPath = path.join(repoRoot, 'dist', 'src', 'cli.js');

export function assertBuilt(): void {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first (npm test does it).`);
}

/** A clean environment for the child: isolated data dir, quiet logs, no user config. */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR', 'SYSTEMROOT']) {
    const v = process.env[key];
    if (v !== undefined) env[key] = v;
  }
  return { ...env, PRECHEW_DATA_DIR: tempDir('prechew-e2e-data-'), PRECHEW_LOG_LEVEL: 'warn', NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true', ...extra };
}

export async function connectStdio(args: string[] = [], env: Record<string, string> = {}, cwd = tempDir()): Promise<{ client: Client; transport: StdioClientTransport; stderr: () => string }> {
  assertBuilt();
  const transport = new StdioClientTransport({ command: process.execPath, args: [cliPath, 'serve', '--stdio', ...args], env: childEnv(env), stderr: 'pipe', cwd });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'prechew-e2e', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport, stderr: () => stderr };
}

export interface HttpChild {
  url: string;
  port: number;
  child: ChildProcessWithoutNullStreams;
  stderr: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Start `prechew serve --http` on port 0 and wait for the URL it prints. `prefix` runs it through
 * another command that then execs node (e.g. `ip netns exec NAME` to serve inside a namespace).
 */
export async function startHttpChild(args: string[] = [], env: Record<string, string> = {}, prefix: string[] = []): Promise<HttpChild> {
  assertBuilt();
  const command = [...prefix, process.execPath, cliPath, 'serve', '--http', '--port', '0', ...args];
  const child = spawn(command[0]!, command.slice(1), { env: childEnv({ PRECHEW_LOG_LEVEL: 'info', ...env }), cwd: tempDir() });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in time; stderr:\n${stderr}`)), 20_000);
    const onData = () => {
      const m = /listening on (http:\/\/\S+\/mcp)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        child.stderr.off('data', onData);
        resolve(m[1]!);
      }
    };
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening; stderr:\n${stderr}`));
    });
  });
  return {
    url,
    port: Number(new URL(url).port),
    child,
    stderr: () => stderr,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

export async function connectHttp(url: string, options: { token?: string; modern?: boolean } = {}): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: options.token ? { headers: { Authorization: `Bearer ${options.token}` } } : {},
  });
  const client = new Client({ name: 'prechew-e2e', version: '1.0.0' }, options.modern ? { versionNegotiation: { mode: 'auto' } } : {});
  await client.connect(transport);
  return client;
}

/** Run the CLI to completion and collect its output. */
export function runCli(args: string[], options: { env?: Record<string, string>; input?: string; cwd?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  assertBuilt();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: childEnv(options.env), cwd: options.cwd ?? tempDir() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** A raw 2025-era initialize request and the headers a Streamable HTTP POST needs, for tests that speak HTTP directly. */
export const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
export const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
