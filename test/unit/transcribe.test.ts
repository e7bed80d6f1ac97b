import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import { decodeAudio, encodeWav16 } from '../../src/engines/audio.js';
import {
  audioFileReader,
  mergeUnitTranscripts,
  renderTranscript,
  transcribeTool,
  type TranscriptSegment,
} from '../../src/tools/transcribe.js';
import type { ToolContext } from '../../src/tools/types.js';
import type { ProgressUpdate } from '../../src/jobs/units.js';
import { callTool, makeTestApp, tempDir } from '../helpers/app.js';
import {
  concat,
  convertAudio,
  espeakWav,
  JFK_TEXT,
  JFK_WAV,
  makeWav,
  silence,
  tone,
  tools,
} from '../helpers/audio-fixtures.js';
import { tinyWhisperModelPath } from '../helpers/tiny-whisper.js';

const root = tempDir('prechew-transcribe-root-');
const model = tinyWhisperModelPath();
const apps: App[] = [];
function app(over: Record<string, unknown> = {}): App {
  const whisper = { path: model, gpu: false, threads: 1, ...((over.whisper as object) ?? {}) };
  const { whisper: _w, ...rest } = over;
  const a = makeTestApp({ files: { roots: [root] }, models: { whisper }, ...rest });
  apps.push(a);
  return a;
}
afterAll(async () => {
  for (const a of apps) await a.dispose();
});

writeFileSync(path.join(root, 'jfk.wav'), readFileSync(JFK_WAV));
type Structured = {
  segments: TranscriptSegment[];
  units: number;
  durationSeconds: number;
  realTimeFactor: number;
  model: string;
  cached: boolean;
  text?: string;
  formatted?: string;
  detectedLanguage?: string;
  audio: string;
};

// Long audio: speech, pauses, speech… (JFK three times with 1.5 s pauses ≈ 36 s).
let longFile: string | undefined;
async function longAudio(): Promise<string> {
  if (longFile) return longFile;
  const jfk = (await decodeAudio(readFileSync(JFK_WAV))).samples;
  const samples = concat(jfk, silence(1.5), jfk, silence(1.5), jfk);
  longFile = path.join(root, 'long.wav');
  writeFileSync(longFile, encodeWav16(samples));
  return longFile;
}

describe('transcribe tool (real whisper.cpp on a tiny random-weight model)', () => {
  test('JFK by path: structured output, readable text, and cache on the second call', async () => {
    const a = app();
    const r = await callTool(a, transcribeTool, { path: 'jfk.wav', language: 'en' });
    expect(r.isError, r.text).toBe(false);
    const out = r.structured as Structured;
    expect(out.durationSeconds).toBeCloseTo(11, 0);
    expect(out.model).toBe(path.basename(model));
    expect(out.units).toBe(1);
    expect(out.realTimeFactor).toBeGreaterThan(0);
    expect(out.cached).toBe(false);
    expect(out.audio).toBe('WAV PCM 16-bit, 16000 Hz, 1 channel');
    expect(out.detectedLanguage).toBe('en');
    expect(out.segments.length).toBeGreaterThan(0);
    expect(out.text).toBe(out.segments.map((s) => s.text).join(' '));
    expect(r.text).toMatch(
      /^Transcript of jfk\.wav \(11 s, language en, ggml-tiny-random-w64-l1\.bin, 1 unit\):/,
    );
    const again = await callTool(a, transcribeTool, { path: 'jfk.wav', language: 'en' });
    expect((again.structured as Structured).cached).toBe(true);
    expect((again.structured as Structured).segments).toEqual(out.segments);
  });

  test('long audio is split at pauses into units, merged in order with absolute, monotonic times; progress per unit', async () => {
    const a = app({ whisper: { unitSeconds: 10 } });
    const progress: ProgressUpdate[] = [];
    const r = await callTool(
      a,
      transcribeTool,
      { path: await longAudio(), language: 'en', format: 'segments' },
      { onProgress: (u) => progress.push(u), clientRoots: [root] },
    );
    expect(r.isError, r.text).toBe(false);
    const out = r.structured as Structured;
    expect(out.durationSeconds).toBeCloseTo(36, 0);
    expect(out.units).toBeGreaterThanOrEqual(3);
    expect(out.segments.length).toBeGreaterThan(0);
    let prevEnd = 0;
    out.segments.forEach((s, i) => {
      expect(s.id).toBe(i);
      expect(s.start).toBeGreaterThanOrEqual(prevEnd);
      expect(s.end).toBeGreaterThanOrEqual(s.start);
      expect(s.end).toBeLessThanOrEqual(out.durationSeconds + 1e-6);
      prevEnd = s.end;
    });
    // Segments come from later units too, not just the first 10 s.
    expect(out.segments[out.segments.length - 1]!.start).toBeGreaterThan(10);
    const unitUpdates = progress.filter((u) => u.total === out.units && u.progress > 0);
    expect(unitUpdates.map((u) => u.progress)).toEqual([
      ...Array.from({ length: out.units }, (_, i) => i + 1),
      out.units,
    ]);
    expect(
      r.text
        .split('\n')
        .slice(2)
        .every((line) => /^\[\d\d:\d\d:\d\d\.\d{3} → \d\d:\d\d:\d\d\.\d{3}\] /.test(line)),
    ).toBe(true);
  });

  test('all output formats render with valid syntax', async () => {
    const a = app({ whisper: { unitSeconds: 10 } });
    const file = await longAudio();
    const srt = await callTool(a, transcribeTool, { path: file, language: 'en', format: 'srt' });
    expect(srt.isError, srt.text).toBe(false);
    const cues = srt.text.trim().split(/\n\n/);
    cues.forEach((cue, i) => {
      const [n, times, ...text] = cue.split('\n');
      expect(n).toBe(String(i + 1));
      expect(times).toMatch(/^\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}$/);
      expect(text.length).toBeGreaterThan(0);
    });
    const vtt = await callTool(a, transcribeTool, { path: file, language: 'en', format: 'vtt' });
    expect(vtt.text.startsWith('WEBVTT\n\n')).toBe(true);
    for (const cue of vtt.text.slice(8).trim().split(/\n\n/))
      expect(cue.split('\n')[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}$/);
    const json = await callTool(a, transcribeTool, { path: file, language: 'en', format: 'json' });
    const parsed = JSON.parse(json.text) as { segments: TranscriptSegment[]; durationSeconds: number };
    expect(parsed.segments).toEqual((json.structured as Structured).segments);
    const text = await callTool(a, transcribeTool, { path: file, language: 'en', format: 'text' });
    expect((text.structured as Structured).formatted).toBe(text.text);
    // All four were served from one transcription (cache keyed by audio + options, not format).
    expect((vtt.structured as Structured).cached).toBe(true);
  });

  test('renderTranscript: SRT/VTT clock formats and cue numbering from segment ids', () => {
    const segs: TranscriptSegment[] = [
      { id: 4, start: 3661.5, end: 3662.25, text: 'hello' },
      { id: 5, start: 3663, end: 3664, text: 'world' },
    ];
    expect(renderTranscript(segs, 'srt')).toBe(
      '5\n01:01:01,500 --> 01:01:02,250\nhello\n\n6\n01:01:03,000 --> 01:01:04,000\nworld\n',
    );
    expect(renderTranscript(segs, 'vtt')).toBe(
      'WEBVTT\n\n01:01:01.500 --> 01:01:02.250\nhello\n\n01:01:03.000 --> 01:01:04.000\nworld\n',
    );
    expect(renderTranscript(segs, 'text')).toBe('hello world');
  });

  test('mergeUnitTranscripts clamps times into each unit and keeps order', () => {
    const merged = mergeUnitTranscripts(
      [
        { segments: [{ start: 0, end: 14, text: 'a' }], language: 'en', elapsedSeconds: 1 },
        {
          segments: [
            { start: 12, end: 30, text: 'c' },
            { start: 10, end: 11, text: 'b' },
          ],
          language: 'en',
          elapsedSeconds: 1,
        },
      ],
      [
        [0, 10],
        [10, 20],
      ],
    );
    expect(merged).toEqual([
      { id: 0, start: 0, end: 10, text: 'a' },
      { id: 1, start: 10, end: 11, text: 'b' },
      { id: 2, start: 12, end: 20, text: 'c' },
    ]);
  });

  test('cancellation after the first unit → CANCELLED, and the tool keeps working', async () => {
    const a = app({ whisper: { unitSeconds: 10 }, data: { cache: false } });
    const controller = new AbortController();
    const r = await callTool(
      a,
      transcribeTool,
      { path: await longAudio(), language: 'en' },
      {
        signal: controller.signal,
        onProgress: (u) => {
          if (u.progress >= 1 && (u.total ?? 0) > 1) controller.abort();
        },
      },
    );
    expect(r.isError).toBe(true);
    expect(r.error?.code).toBe('CANCELLED');
    const ok = await callTool(a, transcribeTool, { path: 'jfk.wav', language: 'en' });
    expect(ok.isError, ok.text).toBe(false);
  });

  test('base64 data with a filename; word timestamps nest inside segments', async () => {
    const a = app();
    const data = readFileSync(JFK_WAV).toString('base64');
    const r = await callTool(a, transcribeTool, {
      data,
      filename: 'speech.wav',
      wordTimestamps: true,
      format: 'json',
    });
    expect(r.isError, r.text).toBe(false);
    const out = r.structured as Structured & { source: string };
    expect(out.source).toBe('speech.wav');
    for (const s of out.segments)
      for (const w of s.words ?? []) expect(w.start).toBeGreaterThanOrEqual(s.start);
  });

  test('bad input gives clear errors and the server stays up', async () => {
    const a = app({ limits: { maxInputBytes: 400_000 } });
    writeFileSync(path.join(root, 'empty.wav'), Buffer.alloc(0));
    writeFileSync(path.join(root, 'cut.wav'), makeWav([tone(440, 2)]).subarray(0, 20_000));
    writeFileSync(path.join(root, 'big.wav'), makeWav([tone(440, 16)]));
    const au = Buffer.alloc(4000);
    au.write('.snd', 0, 'ascii');
    writeFileSync(path.join(root, 'clip.au'), au);
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [];
    cases.push(
      [{ path: 'empty.wav' }, 'INVALID_INPUT', /empty\.wav is empty/],
      [{ path: 'cut.wav' }, 'CORRUPT_FILE', /cut\.wav .*truncated/],
      [{ path: 'big.wav' }, 'INPUT_TOO_LARGE', /big\.wav is 500\.0 KB, over the 390\.6 KB input limit/],
      [{ path: 'missing.wav' }, 'FILE_NOT_FOUND', /missing\.wav/],
      [{}, 'INVALID_INPUT', /`path`.*`data`/],
      [{ data: '!!!notbase64', filename: 'x.wav' }, 'INVALID_INPUT', /base64/],
      [{ path: 'jfk.wav', format: 'docx' }, 'INVALID_INPUT', /format/],
    );
    for (const [args, code, message] of cases) {
      const r = await callTool(a, transcribeTool, args);
      expect(r.error?.code, JSON.stringify(args)).toBe(code);
      expect(r.error?.message).toMatch(message);
      expect(r.text).not.toMatch(/at .*\.ts:\d+/); // no stack traces
    }
    // Unsupported format without ffmpeg (the ffmpeg command is replaceable per app).
    a.extensions.set('audio.settings', { ffmpeg: '/nonexistent/ffmpeg' });
    const au1 = await callTool(a, transcribeTool, { path: 'clip.au' });
    expect(au1.error?.code).toBe('UNSUPPORTED_FORMAT');
    expect(au1.error?.message).toMatch(/Sun AU audio, which needs ffmpeg: install ffmpeg/);
    const ok = await callTool(a, transcribeTool, { path: 'jfk.wav', language: 'en' });
    expect(ok.isError, ok.text).toBe(false);
  });

  test('duration limit and missing model', async () => {
    const short = app({ whisper: { maxDurationSeconds: 5 } });
    const r = await callTool(short, transcribeTool, { path: 'jfk.wav' });
    expect(r.error?.code).toBe('INPUT_TOO_LARGE');
    expect(r.error?.message).toMatch(/jfk\.wav is 11 s long, over the 5 s limit.*maxDurationSeconds/);
    const none = makeTestApp({ files: { roots: [root] }, models: { dir: tempDir('no-models-') } });
    apps.push(none);
    const m = await callTool(none, transcribeTool, { path: 'jfk.wav' });
    expect(m.error?.code).toBe('MODEL_NOT_FOUND');
    expect(m.error?.message).toMatch(/put a ggml whisper \.bin .* or set models\.whisper\.path/);
  });

  test('audioFileReader: audio becomes its transcript, other files are left alone', async () => {
    const a = app();
    const ctx: ToolContext = {
      app: a,
      signal: new AbortController().signal,
      progress: () => undefined,
      clientRoots: async () => [],
    };
    expect(await audioFileReader(Buffer.from('plain text file'), 'a.txt', ctx)).toBeUndefined();
    expect(await audioFileReader(Buffer.from('%PDF-1.7 ...'), 'a.pdf', ctx)).toBeUndefined();
    const r = await audioFileReader(readFileSync(JFK_WAV), 'jfk.wav', ctx);
    expect(r?.format).toMatch(/^transcript of WAV/);
    expect(typeof r?.text).toBe('string');
  });
});

describe.skipIf(!tools.espeak)('espeak-ng speech through every decoder', () => {
  const dir = tempDir('prechew-espeak-tool-');
  test.each(['wav', 'mp3', 'ogg', 'flac', 'opus', 'm4a'])('%s', async (ext) => {
    const wav = espeakWav(
      'Ask not what your country can do for you. Ask what you can do for your country.',
      path.join(dir, 'speech.wav'),
    )!;
    const file = ext === 'wav' ? wav : convertAudio(wav, path.join(dir, `speech.${ext}`));
    if (!file) {
      console.log(`skipped ${ext}: ffmpeg/sox cannot write it here`);
      return;
    }
    writeFileSync(path.join(root, `speech.${ext}`), readFileSync(file));
    const r = await callTool(app(), transcribeTool, { path: `speech.${ext}`, language: 'en', format: 'vtt' });
    expect(r.isError, r.text).toBe(false);
    const out = r.structured as Structured;
    expect(out.durationSeconds).toBeGreaterThan(3);
    expect(out.units).toBe(1);
    expect(r.text.startsWith('WEBVTT')).toBe(true);
  });
});
if (!tools.espeak)
  console.log('skipped espeak-ng transcription tests: install espeak-ng (and ffmpeg/sox for MP3/OGG/FLAC)');

/** Word error rate (Levenshtein over words, case and punctuation folded). */
function wer(reference: string, hypothesis: string): number {
  const norm = (s: string): string[] =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9' ]+/g, ' ')
      .split(/\s+/)
      .filter(Boolean);
  const ref = norm(reference);
  const hyp = norm(hypothesis);
  const d = Array.from({ length: ref.length + 1 }, (_, i) => [i, ...Array<number>(hyp.length).fill(0)]);
  for (let j = 1; j <= hyp.length; j++) d[0]![j] = j;
  for (let i = 1; i <= ref.length; i++)
    for (let j = 1; j <= hyp.length; j++)
      d[i]![j] = Math.min(
        d[i - 1]![j]! + 1,
        d[i]![j - 1]! + 1,
        d[i - 1]![j - 1]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1),
      );
  return d[ref.length]![hyp.length]! / ref.length;
}

const realModel = process.env.PRECHEW_TEST_WHISPER_MODEL;
if (!realModel)
  console.log(
    'skipped JFK word-error-rate test: set PRECHEW_TEST_WHISPER_MODEL to a real ggml whisper model',
  );
describe.skipIf(!realModel)('real model quality', () => {
  test('JFK transcript word error rate ≤ 10%', async () => {
    const a = makeTestApp({
      files: { roots: [root] },
      models: { whisper: { path: realModel, gpu: false } },
      data: { cache: false },
    });
    apps.push(a);
    const r = await callTool(a, transcribeTool, { path: 'jfk.wav', language: 'en' });
    expect(r.isError, r.text).toBe(false);
    const text = (r.structured as Structured).text ?? '';
    expect(wer(JFK_TEXT, text)).toBeLessThanOrEqual(0.1);
  }, 300_000);
});

test('wer helper is sane', () => {
  expect(wer('a b c d', 'a b c d')).toBe(0);
  expect(wer('a b c d', 'a x c')).toBe(0.5);
});
