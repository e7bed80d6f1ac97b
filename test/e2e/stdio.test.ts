import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/client';
import { childEnv, cliPath, connectStdio, assertBuilt } from '../helpers/cli.js';
import { tempDir } from '../helpers/app.js';

const SAMPLE =
  'Dr. Jane Smith of Acme Corp. met Tim Cook in Paris on March 5, 2024. Email jane@acme.example or call +1 415 555 0100. The deal was worth $2.5 million, up 12% #growth @acme.';

function textOf(result: { content?: unknown }): string {
  const content = (result.content ?? []) as Array<{ type: string; text?: string }>;
  return content.map((c) => c.text ?? '').join('\n');
}

describe('stdio transport (real child process)', () => {
  let client: Client;
  let close: () => Promise<void>;
  let root: string;
  let outside: string;

  beforeAll(async () => {
    root = tempDir('prechew-root-');
    outside = tempDir('prechew-outside-');
    writeFileSync(path.join(root, 'note.txt'), SAMPLE);
    writeFileSync(path.join(outside, 'secret.txt'), 'top secret Jane Doe');
    mkdirSync(path.join(root, 'sub'));
    symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'sub', 'link.txt'));
    const conn = await connectStdio(['--root', root]);
    client = conn.client;
    close = () => client.close();
  });

  afterAll(async () => {
    await close?.();
  });

  it('lists the tools with schemas, titles and annotations', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['extract-entities', 'dedupe']));
    const ee = tools.find((t) => t.name === 'extract-entities')!;
    expect(ee.title).toBe('Extract entities');
    expect(ee.annotations?.readOnlyHint).toBe(true);
    expect(ee.inputSchema.properties).toHaveProperty('text');
    expect(ee.inputSchema.properties).toHaveProperty('cursor');
    expect(ee.outputSchema?.properties).toHaveProperty('entities');
    expect(client.getInstructions()).toMatch(/extract-entities/);
  });

  it('extract-entities returns structured content and a readable rendering', async () => {
    const result = await client.callTool({ name: 'extract-entities', arguments: { text: SAMPLE, referenceDate: '2024-03-01' } });
    expect(result.isError).toBeFalsy();
    const s = result.structuredContent as { entities: Record<string, Array<{ value: string }>> };
    expect(s.entities.email?.map((e) => e.value)).toContain('jane@acme.example');
    expect(s.entities.date?.map((e) => e.value)).toContain('2024-03-05');
    expect(s.entities.phone?.map((e) => e.value)).toContain('+14155550100');
    expect(textOf(result)).toMatch(/## email/);
  });

  it('reads a file inside the allowed root', async () => {
    const result = await client.callTool({ name: 'extract-entities', arguments: { path: path.join(root, 'note.txt'), types: ['email'] } });
    expect(result.isError).toBeFalsy();
    const s = result.structuredContent as { source: string; entities: Record<string, unknown[]> };
    expect(s.source).toBe('note.txt');
    expect(Object.keys(s.entities)).toEqual(['email']);
  });

  it('refuses paths outside the roots, including through .. and symlinks', async () => {
    for (const p of [path.join(outside, 'secret.txt'), path.join(root, '..', path.basename(outside), 'secret.txt'), path.join(root, 'sub', 'link.txt')]) {
      const result = await client.callTool({ name: 'extract-entities', arguments: { path: p } });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^\[PATH_OUTSIDE_ROOTS\]/);
      expect(textOf(result)).not.toMatch(/top secret/);
    }
  });

  it('turns bad input into an actionable tool error and keeps serving', async () => {
    const none = await client.callTool({ name: 'extract-entities', arguments: {} });
    expect(none.isError).toBe(true);
    expect(textOf(none)).toMatch(/text|path/);
    const badDedupe = await client.callTool({ name: 'dedupe', arguments: { items: [{ id: 'a', text: 'x' }, { id: 'a', text: 'y' }] } });
    expect(badDedupe.isError).toBe(true);
    expect(textOf(badDedupe)).toMatch(/Duplicate item id/);
    const ok = await client.callTool({ name: 'dedupe', arguments: { items: ['Hello world.', 'hello   WORLD', 'Something else entirely.'] } });
    expect(ok.isError).toBeFalsy();
    expect((ok.structuredContent as { stats: { itemsOut: number } }).stats.itemsOut).toBe(2);
  });

  it('answers an unknown tool with a protocol error', async () => {
    await expect(client.callTool({ name: 'no-such-tool', arguments: {} })).rejects.toThrow();
  });

  it('sends progress notifications and honours cancellation', async () => {
    const items = Array.from({ length: 20_000 }, (_, i) => `Item ${i}: the ${i % 7 === 0 ? 'quick' : 'slow'} brown fox ${i * 7919} jumps over ${i % 13} lazy dogs near river ${i % 101}.`);
    const updates: number[] = [];
    const done = await client.callTool({ name: 'dedupe', arguments: { items, includeText: false } }, { onprogress: (p) => updates.push(p.progress), timeout: 120_000 });
    expect(done.isError).toBeFalsy();
    expect(updates.length).toBeGreaterThan(0);

    const controller = new AbortController();
    const big = Array.from({ length: 100_000 }, (_, i) => `Row ${i} ${'lorem ipsum dolor sit amet '.repeat(3)} ${i * 31}`);
    const pending = client.callTool({ name: 'dedupe', arguments: { items: big, includeText: false } }, { signal: controller.signal, onprogress: () => controller.abort(), timeout: 120_000 });
    await expect(pending).rejects.toThrow();
    // The server is still alive and answers the next call.
    const after = await client.callTool({ name: 'extract-entities', arguments: { text: 'Mail bob@example.com' } });
    expect(after.isError).toBeFalsy();
  });
});

describe('stdio hygiene', () => {
  it('writes only JSON-RPC to stdout and exits when stdin closes', async () => {
    assertBuilt();
    const child = spawn(process.execPath, [cliPath, 'serve', '--stdio'], { env: childEnv({ PRECHEW_LOG_LEVEL: 'debug' }), cwd: tempDir() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const send = (m: unknown) => child.stdin.write(JSON.stringify(m) + '\n');
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'extract-entities', arguments: { text: 'Call Alice at alice@example.org' } } });
    send({ jsonrpc: '2.0', id: 3, method: 'tools/list' });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no responses; stderr: ${stderr}`)), 20_000);
      const check = () => {
        if ((stdout.match(/"id":3/g) ?? []).length > 0 && /"id":2/.test(stdout)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', check);
    });
    child.stdin.end();
    const code = await exit;
    expect(code).toBe(0);
    const lines = stdout.split('\n').filter((l) => l.length > 0);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('jsonrpc', '2.0');
    expect(stderr).toMatch(/\[prechew\]/);
  });
});
