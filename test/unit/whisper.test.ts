import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { decodeAudio } from '../../src/engines/audio.js';
import {
  isWhisperModelFile,
  resolveWhisperModel,
  WhisperEngine,
  withWatchdog,
} from '../../src/engines/whisper.js';
import { parseConfig } from '../../src/config.js';
import { PrechewError } from '../../src/errors.js';
import { tempDir } from '../helpers/app.js';
import { JFK_WAV } from '../helpers/audio-fixtures.js';
import { buildTinyWhisperModel, tinyWhisperModelPath } from '../helpers/tiny-whisper.js';

const modelsDir = tempDir('prechew-models-');
const model = tinyWhisperModelPath({}, modelsDir);
const whisperConfig = (over: Record<string, unknown> = {}) =>
  parseConfig({ models: { whisper: { gpu: false, threads: 1, ...over } } }).models.whisper;

async function errorOf(p: Promise<unknown>): Promise<PrechewError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof PrechewError) return error;
    throw error;
  }
  throw new Error('expected a PrechewError');
}

const engines: WhisperEngine[] = [];
function engine(over: Record<string, unknown> = {}, file = model): WhisperEngine {
  const e = new WhisperEngine({ config: whisperConfig(over), modelPath: () => file });
  engines.push(e);
  return e;
}
afterAll(async () => {
  for (const e of engines) await e.dispose();
});

let jfk: Float32Array | undefined;
async function jfkSamples(): Promise<Float32Array> {
  jfk ??= (await decodeAudio(readFileSync(JFK_WAV))).samples;
  return jfk;
}

describe('model resolution', () => {
  const models = (over: Record<string, unknown>) => parseConfig({ models: over }).models;

  test('finds the first whisper ggml .bin in the models dir, skipping other files', () => {
    const dir = tempDir('prechew-models-scan-');
    writeFileSync(
      path.join(dir, 'a-not-a-model.bin'),
      Buffer.from('hello world, this is not a model at all, really no'),
    );
    writeFileSync(path.join(dir, 'readme.txt'), 'x');
    writeFileSync(path.join(dir, 'b-whisper.bin'), readFileSync(model).subarray(0, 4096));
    expect(isWhisperModelFile(path.join(dir, 'a-not-a-model.bin'))).toBe(false);
    expect(resolveWhisperModel(models({ dir }), undefined)).toBe(path.join(dir, 'b-whisper.bin'));
  });

  test('models.whisper.path may be a file name under the models dir, or a path', () => {
    expect(
      resolveWhisperModel(models({ dir: modelsDir, whisper: { path: path.basename(model) } }), undefined),
    ).toBe(model);
    expect(resolveWhisperModel(models({ whisper: { path: model } }), undefined)).toBe(model);
  });

  test('the data dir models folder is searched too', () => {
    const data = tempDir('prechew-data-models-');
    mkdirSync(path.join(data, 'models'));
    writeFileSync(path.join(data, 'models', 'ggml-x.bin'), readFileSync(model).subarray(0, 4096));
    expect(resolveWhisperModel(models({ dir: tempDir('empty-') }), data)).toBe(
      path.join(data, 'models', 'ggml-x.bin'),
    );
  });

  test('missing model → MODEL_NOT_FOUND saying what to do; wrong file → MODEL_INVALID', () => {
    const empty = tempDir('prechew-no-models-');
    expect(() => resolveWhisperModel(models({ dir: empty }), undefined)).toThrow(
      /No whisper model found: put a ggml whisper \.bin/,
    );
    expect(() =>
      resolveWhisperModel(models({ dir: empty, whisper: { path: 'ggml-base.en.bin' } }), undefined),
    ).toThrow(/"ggml-base.en.bin" \(models.whisper.path\) was not found/);
    const junk = path.join(empty, 'junk.bin');
    writeFileSync(junk, Buffer.alloc(100, 1));
    const e = (() => {
      try {
        resolveWhisperModel(models({ whisper: { path: junk } }), undefined);
      } catch (error) {
        return error as PrechewError;
      }
    })();
    expect(e?.code).toBe('MODEL_INVALID');
  });
});

describe('whisper engine on a tiny random-weight model (real binding)', () => {
  test('loads lazily, transcribes raw samples, shifts times by the unit offset', async () => {
    const e = engine();
    expect(e.loaded).toBe(false);
    const samples = await jfkSamples();
    const a = await e.transcribe(samples, 0, { language: 'en' });
    expect(e.loaded).toBe(true);
    expect(a.segments.length).toBeGreaterThan(0);
    for (const s of a.segments) {
      expect(typeof s.text).toBe('string');
      expect(s.end).toBeGreaterThanOrEqual(s.start);
    }
    const b = await e.transcribe(samples, 100, { language: 'en' });
    // Same audio, same greedy decoding: identical text, times shifted by exactly the offset.
    expect(b.segments.map((s) => s.text)).toEqual(a.segments.map((s) => s.text));
    b.segments.forEach((s, i) => expect(s.start).toBeCloseTo(a.segments[i]!.start + 100, 3));
    expect(a.language).toBe('en');
  });

  test('options reach the binding: word timestamps give words inside segments; auto language and prompt run', async () => {
    const e = engine();
    const samples = await jfkSamples();
    const r = await e.transcribe(samples, 5, {
      language: 'auto',
      initialPrompt: 'Kennedy, inaugural',
      wordTimestamps: true,
    });
    expect(Array.isArray(r.words)).toBe(true);
    for (const w of r.words ?? []) {
      expect(w.word.length).toBeGreaterThan(0);
      expect(w.start).toBeGreaterThanOrEqual(5);
    }
  });

  test('concurrent calls are serialised and all complete', async () => {
    const e = engine();
    const samples = (await jfkSamples()).subarray(0, 16000 * 3);
    const results = await Promise.all(
      [0, 10, 20].map((offset) => e.transcribe(samples, offset, { language: 'en' })),
    );
    expect(results).toHaveLength(3);
  });

  test('cancellation within a unit → CANCELLED, and the engine still works afterwards', async () => {
    const e = engine();
    await e.warmUp();
    const long = new Float32Array(16000 * 30);
    const speech = await jfkSamples();
    long.set(speech, 0);
    long.set(speech, speech.length + 16000);
    const controller = new AbortController();
    const pending = e.transcribe(long, 0, { language: 'en' }, controller.signal);
    setTimeout(() => controller.abort(), 30);
    expect((await errorOf(pending)).code).toBe('CANCELLED');
    const again = await e.transcribe(speech.subarray(0, 16000 * 2), 0, { language: 'en' });
    expect(Array.isArray(again.segments)).toBe(true);
  });

  test('an already-aborted signal never starts native work', async () => {
    const e = engine();
    const controller = new AbortController();
    controller.abort();
    expect((await errorOf(e.transcribe(new Float32Array(16000), 0, {}, controller.signal))).code).toBe(
      'CANCELLED',
    );
    expect(e.loaded).toBe(false);
  });

  test('watchdog: a unit over models.whisper.unitTimeoutMs fails with TIMEOUT, then the engine recovers', async () => {
    const config = whisperConfig();
    const e = new WhisperEngine({ config, modelPath: () => model });
    engines.push(e);
    await e.warmUp();
    config.unitTimeoutMs = 1;
    const err = await errorOf(e.transcribe(await jfkSamples(), 0, { language: 'en' }));
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toMatch(/unitTimeoutMs/);
    config.unitTimeoutMs = 60_000;
    const ok = await e.transcribe((await jfkSamples()).subarray(0, 16000), 0, { language: 'en' });
    expect(Array.isArray(ok.segments)).toBe(true);
  });

  test('a damaged model file gives a clear error (MODEL_INVALID or TIMEOUT), never a hang', async () => {
    const dir = tempDir('prechew-bad-model-');
    const bad = path.join(dir, 'ggml-broken.bin');
    // Valid header, vocabulary and a few tensors, then cut off in the middle of the weights.
    const full = buildTinyWhisperModel({ width: 64 });
    writeFileSync(bad, full.subarray(0, Math.floor(full.length * 0.6)));
    const e = engine({ unitTimeoutMs: 20_000 }, bad);
    const err = await errorOf(e.transcribe(new Float32Array(16000), 0, {}));
    expect(['MODEL_INVALID', 'TIMEOUT']).toContain(err.code);
    expect(err.message).toMatch(/ggml-broken\.bin/);
  });

  test('idle unload releases the context and the next call reloads it', async () => {
    const e = engine({ idleUnloadMs: 50 });
    await e.transcribe(new Float32Array(16000), 0, { language: 'en' });
    expect(e.loaded).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(e.loaded).toBe(false);
    await e.transcribe(new Float32Array(16000), 0, { language: 'en' });
    expect(e.loaded).toBe(true);
  });

  test('withWatchdog rejects with the given error when work never settles', async () => {
    const never = new Promise<never>(() => undefined);
    await expect(withWatchdog(never, 20, () => new PrechewError('TIMEOUT', 'late'))).rejects.toThrow('late');
    await expect(withWatchdog(Promise.resolve(3), 1000, () => new Error('x'))).resolves.toBe(3);
  });
});
