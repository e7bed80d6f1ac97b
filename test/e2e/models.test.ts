/**
 * The native engines inside the real server process: a tiny generated GGUF for summarize and
 * classify, a tiny generated whisper model for transcribe, over stdio with the official client,
 * plus the client's roots and the prechew://models resource.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/client';
import { connectStdio, repoRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/app.js';
import { writeTinyGguf } from '../helpers/tiny-gguf.js';
import { tinyWhisperModelPath } from '../helpers/tiny-whisper.js';

describe('local models through the server process', () => {
  let client: Client;
  let root: string;

  beforeAll(async () => {
    const models = tempDir('prechew-e2e-models-');
    writeTinyGguf(path.join(models, 'tiny-llama.gguf'));
    copyFileSync(tinyWhisperModelPath({}, models), path.join(models, 'ggml-tiny-test.bin'));
    root = tempDir('prechew-e2e-root-');
    copyFileSync(path.join(repoRoot, 'fixtures', 'audio', 'jfk.wav'), path.join(root, 'jfk.wav'));
    writeFileSync(path.join(root, 'long.txt'), Array.from({ length: 60 }, (_, i) => `Paragraph ${i} explains the budget line ${i} for the new school library in plain words.`).join('\n\n'));
    ({ client } = await connectStdio(['--root', root], {
      PRECHEW_MODELS_DIR: models,
      PRECHEW_LLM_GPU: 'false',
      PRECHEW_LLM_THREADS: '1',
      PRECHEW_WHISPER_THREADS: '1',
    }));
  });
  afterAll(async () => {
    await client?.close();
  });

  it('lists the models as an MCP resource', async () => {
    const res = await client.readResource({ uri: 'prechew://models' });
    const text = (res.contents[0] as { text: string }).text;
    expect(text).toContain('tiny-llama.gguf');
    expect(text).toContain('ggml-tiny-test.bin');
  });

  it('summarizes with the local LLM (map-reduce) and reports the model', async () => {
    const progress: number[] = [];
    const r = await client.callTool({ name: 'summarize', arguments: { path: 'long.txt', engine: 'llm', maxOutputTokens: 24 } }, { onprogress: (p) => progress.push(p.progress), timeout: 120_000 });
    expect(r.isError).toBeFalsy();
    const s = r.structuredContent as { engine: string; model?: string; summary: string };
    expect(s.engine).toBe('llm');
    expect(s.model).toMatch(/tiny-llama/);
    expect(typeof s.summary).toBe('string');
  });

  it('classifies into the given labels only', async () => {
    const labels = ['billing', 'bug', 'feature'];
    const r = await client.callTool({ name: 'classify', arguments: { texts: ['I was charged twice', 'The app crashes on start'], labels } }, { timeout: 120_000 });
    expect(r.isError).toBeFalsy();
    for (const item of (r.structuredContent as { items: Array<{ label: string }> }).items) expect(labels).toContain(item.label);
  });

  it('transcribes a recording into timed segments and SRT', async () => {
    const r = await client.callTool({ name: 'transcribe', arguments: { path: 'jfk.wav', format: 'srt', language: 'en' } }, { timeout: 120_000 });
    expect(r.isError).toBeFalsy();
    const s = r.structuredContent as { durationSeconds: number; segments: Array<{ start: number; end: number }> };
    expect(s.durationSeconds).toBeGreaterThan(10);
    expect(s.durationSeconds).toBeLessThan(12);
    for (const seg of s.segments) expect(seg.end).toBeGreaterThanOrEqual(seg.start);
    const text = ((r.content ?? []) as Array<{ text?: string }>).map((c) => c.text ?? '').join('');
    if (s.segments.length > 0) expect(text).toMatch(/^1\r?\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}/m);
  });
});

describe('client roots', () => {
  it('reads files inside the roots the client announces, and nothing else', async () => {
    const announced = tempDir('prechew-client-root-');
    writeFileSync(path.join(announced, 'a.txt'), 'Write to roots@example.com');
    const { Client: SdkClient } = await import('@modelcontextprotocol/client');
    const { StdioClientTransport } = await import('@modelcontextprotocol/client/stdio');
    const { childEnv, cliPath } = await import('../helpers/cli.js');
    const client = new SdkClient({ name: 'roots-client', version: '1' }, { capabilities: { roots: {} } });
    client.setRequestHandler('roots/list', async () => ({ roots: [{ uri: `file://${announced}`, name: 'project' }] }));
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [cliPath, 'serve', '--stdio'], env: childEnv(), stderr: 'pipe' }));
    try {
      const ok = await client.callTool({ name: 'extract-entities', arguments: { path: path.join(announced, 'a.txt') } });
      expect(ok.isError).toBeFalsy();
      const denied = await client.callTool({ name: 'extract-entities', arguments: { path: '/etc/hostname' } });
      expect(denied.isError).toBe(true);
    } finally {
      await client.close();
    }
  });
});

describe('stdout hygiene with native engines', () => {
  it('whisper.cpp and llama.cpp write nothing but protocol to stdout', async () => {
    const { spawn } = await import('node:child_process');
    const { childEnv, cliPath } = await import('../helpers/cli.js');
    const dir = tempDir('prechew-hygiene-');
    writeTinyGguf(path.join(dir, 't.gguf'));
    copyFileSync(tinyWhisperModelPath({}, dir), path.join(dir, 'w.bin'));
    copyFileSync(path.join(repoRoot, 'fixtures', 'audio', 'jfk.wav'), path.join(dir, 'jfk.wav'));
    const child = spawn(process.execPath, [cliPath, 'serve', '--stdio', '--root', dir], {
      env: childEnv({ PRECHEW_MODELS_DIR: dir, PRECHEW_LLM_GPU: 'false', PRECHEW_LLM_THREADS: '1', PRECHEW_LOG_LEVEL: 'debug' }),
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.resume();
    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const send = (m: unknown) => child.stdin.write(JSON.stringify(m) + '\n');
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'transcribe', arguments: { path: 'jfk.wav' } } });
    send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'summarize', arguments: { text: 'One fact. Another fact. A third fact.', engine: 'llm', maxOutputTokens: 32 } } });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answers in time')), 90_000);
      const check = () => {
        if (/"id":2\b/.test(out) && /"id":3\b/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', check);
    });
    child.stdin.end();
    expect(await exit).toBe(0);
    const lines = out.split('\n').filter((l) => l.length > 0);
    expect(lines.length).toBe(3);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('jsonrpc', '2.0');
    expect(out).not.toMatch(/isError":true/);
  });
});
