/**
 * Model files: metadata listing from generated GGUF and whisper headers, model resolution, and
 * `models pull` against loopback HTTP servers (full download, Range resume, servers that ignore
 * Range, interrupted transfers, error pages, unreachable hosts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import {
  formatModelTable,
  listModels,
  modelsCommand,
  modelsResourceText,
  parseWhisperHeader,
  pullModel,
  resolveLlmModelPath,
  resolvePullSource,
  type CommandIo,
} from '../../src/engines/models.js';
import { PrechewError } from '../../src/errors.js';
import { tempDir } from '../helpers/app.js';
import { buildTinyGguf, buildWhisperHeader, writeTinyGguf } from '../helpers/tiny-gguf.js';

function configFor(dir: string, models: Record<string, unknown> = {}) {
  return parseConfig({ data: { dir: path.join(dir, 'data') }, models: { dir, ...models } });
}

function capture(): CommandIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out: (t: string) => {
      io.stdout += t;
    },
    err: (t: string) => {
      io.stderr += t;
    },
    errIsTty: false,
  };
  return io;
}

describe('model listing', () => {
  const dir = tempDir('prechew-models-');
  beforeAll(() => {
    writeTinyGguf(path.join(dir, 'b-tiny-f32.gguf'));
    mkdirSync(path.join(dir, 'sub'));
    writeTinyGguf(path.join(dir, 'sub', 'c-wide-f16.gguf'), {
      embd: 128,
      layers: 3,
      type: 'f16',
      contextLength: 4096,
      name: 'wide',
    });
    writeFileSync(
      path.join(dir, 'ggml-base.en.bin'),
      buildWhisperHeader({ nAudioState: 512, nAudioLayer: 6, nVocab: 51864, ftype: 1 }),
    );
    writeFileSync(
      path.join(dir, 'a-broken.gguf'),
      Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(20, 0xff)]),
    );
    // A valid header whose metadata is cut off mid-way.
    writeFileSync(path.join(dir, 'd-cut.gguf'), buildTinyGguf().subarray(0, 600));
    writeFileSync(path.join(dir, 'notes.bin'), 'not a model');
    writeFileSync(path.join(dir, 'README.txt'), 'ignored');
  });

  it('reads architecture, parameters, quantization and context length from metadata', async () => {
    const list = await listModels(configFor(dir));
    const byName = Object.fromEntries(list.map((m) => [m.name, m]));
    expect(Object.keys(byName).sort()).toEqual([
      'a-broken.gguf',
      'b-tiny-f32.gguf',
      'c-wide-f16.gguf',
      'd-cut.gguf',
      'ggml-base.en.bin',
    ]);
    const tiny = byName['b-tiny-f32.gguf']!;
    expect(tiny).toMatchObject({
      kind: 'llm',
      format: 'gguf',
      architecture: 'llama',
      quantization: 'F32',
      contextLength: 2048,
    });
    // 2 layers of 4·64² attention + 3·64·128 feed-forward, 5 norms of 64, two 64×vocab matrices.
    const nVocab = (tiny.parameters! - (2 * (4 * 64 * 64 + 3 * 64 * 128) + 5 * 64)) / (2 * 64);
    expect(Number.isInteger(nVocab)).toBe(true);
    expect(nVocab).toBeGreaterThan(300);
    expect(tiny.bytes).toBeGreaterThan(tiny.parameters! * 4);
    expect(byName['c-wide-f16.gguf']).toMatchObject({
      kind: 'llm',
      quantization: 'F16',
      contextLength: 4096,
    });
    expect(byName['ggml-base.en.bin']).toMatchObject({
      kind: 'whisper',
      format: 'ggml',
      sizeLabel: 'base.en',
      quantization: 'F16',
      parameters: 74e6,
    });
    expect(byName['a-broken.gguf']!.error).toMatch(/not a readable GGUF/);
    expect(byName['d-cut.gguf']!.error).toMatch(/not a readable GGUF/);
  });

  it('formats a table and explains what to do when empty', async () => {
    const table = formatModelTable(await listModels(configFor(dir)));
    expect(table.split('\n')[0]).toMatch(/^NAME\s+KIND\s+ARCH\s+PARAMS\s+QUANT\s+CONTEXT\s+SIZE$/);
    expect(table).toMatch(/b-tiny-f32\.gguf\s+llm\s+llama/);
    expect(table).toMatch(/! a-broken\.gguf: /);
    expect(formatModelTable([], ['/x/models'])).toMatch(
      /No model files found[\s\S]*\/x\/models[\s\S]*models pull/,
    );
  });

  it('parses whisper hparams and rejects other .bin files', () => {
    expect(parseWhisperHeader(buildWhisperHeader({ nAudioState: 384, nAudioLayer: 4 }))).toMatchObject({
      nAudioState: 384,
      nAudioLayer: 4,
      nVocab: 51864,
    });
    expect(
      parseWhisperHeader(Buffer.from('not a model at all, definitely not one, no sir....')),
    ).toBeUndefined();
  });

  it('resolves the LLM model: configured name, configured path, or the first generative GGUF', async () => {
    expect((await resolveLlmModelPath(configFor(dir))).path).toBe(path.join(dir, 'b-tiny-f32.gguf'));
    expect(
      (await resolveLlmModelPath(configFor(dir, { llm: { path: 'sub/c-wide-f16.gguf' } }), dir)).path,
    ).toBe(path.join(dir, 'sub', 'c-wide-f16.gguf'));
    const missing = await resolveLlmModelPath(configFor(dir, { llm: { path: 'nope.gguf' } }), dir);
    expect(missing.path).toBeUndefined();
    expect(missing.reason).toMatch(/nope\.gguf/);
    const extra = tempDir('prechew-models-extra-');
    writeTinyGguf(path.join(extra, 'only.gguf'));
    expect((await resolveLlmModelPath(configFor(tempDir('prechew-empty-'), { paths: [extra] }))).path).toBe(
      path.join(extra, 'only.gguf'),
    );
    expect((await resolveLlmModelPath(configFor(tempDir('prechew-empty-')))).path).toBeUndefined();
  });

  it('serves the same listing as the CLI (--json) and the MCP resource', async () => {
    const io = capture();
    expect(await modelsCommand(['--json'], configFor(dir), io)).toBe(0);
    const cli = JSON.parse(io.stdout) as { models: Array<{ name: string }> };
    const resource = JSON.parse(await modelsResourceText(configFor(dir))) as {
      models: Array<{ name: string }>;
      searchPaths: string[];
    };
    expect(resource.models.map((m) => m.name)).toEqual(cli.models.map((m) => m.name));
    expect(resource.searchPaths[0]).toBe(dir);
    const table = capture();
    expect(await modelsCommand([], configFor(dir), table)).toBe(0);
    expect(table.stdout).toContain('ggml-base.en.bin');
    const bad = capture();
    expect(await modelsCommand(['frobnicate'], configFor(dir), bad)).toBe(2);
    expect(bad.stderr).toContain('Usage');
  });
});

describe('models pull', () => {
  const payload = buildTinyGguf({ seed: 9 });
  let server: Server;
  let base = '';
  const rangeHeaders: Array<string | undefined> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = req.url ?? '';
      rangeHeaders.push(req.headers.range);
      if (url.endsWith('/missing.gguf')) {
        res.writeHead(404).end('not found');
        return;
      }
      if (url.endsWith('/page.gguf')) {
        const html = Buffer.from('<html>login required</html>');
        res.writeHead(200, { 'content-type': 'text/html', 'content-length': html.length }).end(html);
        return;
      }
      if (url.endsWith('/cut.gguf')) {
        // Announces the full length, sends half, then drops the connection.
        res.writeHead(200, { 'content-length': payload.length });
        res.write(payload.subarray(0, payload.length / 2), () => res.destroy());
        return;
      }
      const range = /bytes=(\d+)-/.exec(req.headers.range ?? '');
      if (range && !url.includes('norange')) {
        const start = Number(range[1]);
        res.writeHead(206, {
          'content-length': payload.length - start,
          'content-range': `bytes ${start}-${payload.length - 1}/${payload.length}`,
        });
        res.end(payload.subarray(start));
        return;
      }
      res.writeHead(200, { 'content-length': payload.length }).end(payload);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('maps hf: references to Hugging Face URLs and validates sources', () => {
    expect(resolvePullSource('hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf')).toEqual(
      {
        url: 'https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q4_k_m.gguf',
        fileName: 'qwen2.5-0.5b-instruct-q4_k_m.gguf',
      },
    );
    for (const bad of [
      'hf:owner/file.gguf',
      'ftp://x/y.gguf',
      'not a url',
      'https://example.com/model.exe',
    ]) {
      expect(() => resolvePullSource(bad)).toThrow(PrechewError);
    }
  });

  it('downloads a file, reporting progress, and verifies it', async () => {
    const dir = tempDir('prechew-pull-');
    const seen: number[] = [];
    const res = await pullModel(`${base}/m/full.gguf`, { dir, onProgress: (p) => seen.push(p.received) });
    expect(res).toMatchObject({
      path: path.join(dir, 'full.gguf'),
      bytes: payload.length,
      resumedFrom: 0,
      alreadyPresent: false,
    });
    expect(readFileSync(res.path).equals(payload)).toBe(true);
    expect(seen.at(-1)).toBe(payload.length);
    expect(existsSync(res.path + '.part')).toBe(false);
    const again = await pullModel(`${base}/m/full.gguf`, { dir });
    expect(again.alreadyPresent).toBe(true);
  });

  it('resumes a partial download with a Range request', async () => {
    const dir = tempDir('prechew-pull-');
    writeFileSync(path.join(dir, 'resume.gguf.part'), payload.subarray(0, 1000));
    rangeHeaders.length = 0;
    const res = await pullModel(`${base}/m/resume.gguf`, { dir });
    expect(rangeHeaders).toEqual(['bytes=1000-']);
    expect(res.resumedFrom).toBe(1000);
    expect(readFileSync(res.path).equals(payload)).toBe(true);
  });

  it('starts over when the server ignores Range', async () => {
    const dir = tempDir('prechew-pull-');
    writeFileSync(path.join(dir, 'norange.gguf.part'), Buffer.alloc(500, 7));
    const res = await pullModel(`${base}/norange/norange.gguf`, { dir });
    expect(res.resumedFrom).toBe(0);
    expect(readFileSync(res.path).equals(payload)).toBe(true);
  });

  it('keeps an interrupted download as .part and says to run again', async () => {
    const dir = tempDir('prechew-pull-');
    await expect(pullModel(`${base}/m/cut.gguf`, { dir })).rejects.toMatchObject({
      code: expect.stringMatching(/PROVIDER_ERROR|CORRUPT_FILE/),
    });
    expect(existsSync(path.join(dir, 'cut.gguf'))).toBe(false);
    expect(existsSync(path.join(dir, 'cut.gguf.part'))).toBe(true);
  });

  it('refuses error pages and HTTP errors with clear messages', async () => {
    const dir = tempDir('prechew-pull-');
    await expect(pullModel(`${base}/m/page.gguf`, { dir })).rejects.toMatchObject({ code: 'MODEL_INVALID' });
    expect(existsSync(path.join(dir, 'page.gguf'))).toBe(false);
    expect(existsSync(path.join(dir, 'page.gguf.part'))).toBe(false);
    await expect(pullModel(`${base}/m/missing.gguf`, { dir })).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      message: expect.stringContaining('404'),
    });
  });

  it('fails fast with a clear error when the host is unreachable', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const io = capture();
    const code = await modelsCommand(
      ['pull', `http://127.0.0.1:${port}/x/model.gguf`, '--dir', tempDir('prechew-pull-')],
      configFor(tempDir('prechew-cfg-')),
      io,
    );
    expect(code).toBe(1);
    expect(io.stderr).toMatch(/\[PROVIDER_ERROR\] Cannot download from 127\.0\.0\.1:\d+: connection refused/);
    expect(io.stderr).not.toMatch(/\n\s+at /);
  });

  it('prints progress on stderr and the result on stdout from the CLI', async () => {
    const dir = tempDir('prechew-pull-');
    const io = capture();
    expect(await modelsCommand(['pull', `${base}/m/cli.gguf`, '--dir', dir], configFor(dir), io)).toBe(0);
    expect(io.stderr).toMatch(/100\.0%/);
    expect(io.stdout).toMatch(/Downloaded .*cli\.gguf/);
    expect(await modelsCommand(['pull'], configFor(dir), capture())).toBe(2);
  });
});
