/**
 * Transcription benchmark. On a generated whisper model of realistic size (state 384, 4+4 layers:
 * whisper tiny's shape; throughput does not depend on trained weights): real-time factor of the
 * `transcribe` tool (decode + split + units + merge, through the same path as MCP) against calling
 * the binding directly on the same samples, and the overhead ratio. Also decode + resample MB/s per
 * format and splitter speed. With PRECHEW_BENCH_WHISPER_MODEL set, the same figures on that model.
 * Prints nothing, asserts nothing.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initWhisper } from '@fugood/whisper.node';
import { decodeAudio, encodeWav16 } from '../src/engines/audio.js';
import { splitAtSilences } from '../src/engines/vad.js';
import { transcribeTool } from '../src/tools/transcribe.js';
import { callTool, makeTestApp, tempDir } from '../test/helpers/app.js';
import { tinyWhisperModelPath } from '../test/helpers/tiny-whisper.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// Works from bench/ (tsx/vitest) and from dist/bench/ (compiled).
function findFixture(): string {
  for (const up of ['..', '../..']) {
    const p = path.resolve(here, up, 'fixtures/audio/jfk.wav');
    try {
      readFileSync(p, { flag: 'r' }).subarray(0, 1);
      return p;
    } catch {
      // try the next
    }
  }
  throw new Error('fixtures/audio/jfk.wav not found');
}

function pcm16(samples: Float32Array): ArrayBuffer {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++)
    out[i] = Math.max(-32768, Math.min(32767, Math.round(samples[i]! * 32767)));
  return out.buffer;
}

function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

async function timeModel(
  modelPath: string,
  samples: Float32Array,
  wavFile: string,
  dir: string,
  label: string,
  out: Record<string, number | string>,
): Promise<void> {
  const duration = samples.length / 16000;
  const threads = 2;
  // whisper.cpp encodes a full 30 s window however short the audio, so each call costs at least
  // one encoder pass: no warm-up runs, one timed call each (model load is ~0.2 s of the tool's time).
  let t = performance.now();
  const ctx = await initWhisper({ filePath: modelPath, useGpu: false });
  const load = (performance.now() - t) / 1000;
  t = performance.now();
  await ctx.transcribeData(pcm16(samples), { language: 'en', maxThreads: threads }).promise;
  const direct = (performance.now() - t) / 1000;
  await ctx.release();
  const app = makeTestApp({
    files: { roots: [dir] },
    models: { whisper: { path: modelPath, gpu: false, threads, unitSeconds: 60 } },
    data: { cache: false },
  });
  try {
    t = performance.now();
    const r = await callTool(app, transcribeTool, { path: wavFile, language: 'en' });
    const tool = (performance.now() - t) / 1000;
    if (r.isError) throw new Error(r.text);
    out[`${label}_audio_s`] = Math.round(duration * 10) / 10;
    out[`${label}_load_s`] = Math.round(load * 100) / 100;
    out[`${label}_direct_rtf`] = Math.round((direct / duration) * 1000) / 1000;
    out[`${label}_tool_rtf`] = Math.round((tool / duration) * 1000) / 1000;
    out[`${label}_overhead_ratio`] = Math.round((tool / direct) * 100) / 100;
    out[`${label}_units`] = (r.structured as { units: number }).units;
  } finally {
    await app.dispose();
  }
}

export async function benchTranscribe(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  const dir = tempDir('prechew-bench-transcribe-');
  const jfk = (await decodeAudio(readFileSync(findFixture()))).samples;

  // ~25 s: speech, a pause, speech (one 60 s unit, like the direct call).
  const speech = concat(jfk, new Float32Array(16000 * 2), jfk);
  const wavFile = path.join(dir, 'speech.wav');
  writeFileSync(wavFile, encodeWav16(speech));

  let t = performance.now();
  const model = tinyWhisperModelPath({ width: 384, encoderLayers: 4, decoderLayers: 4, heads: 6 }, dir);
  out.model_generate_s = Math.round((performance.now() - t) / 100) / 10;
  out.model = 'random ggml, state 384, 4+4 layers, F16 (whisper tiny shape)';
  await timeModel(model, speech, wavFile, dir, 'generated384', out);

  const real = process.env.PRECHEW_BENCH_WHISPER_MODEL;
  if (real) await timeModel(real, speech, wavFile, dir, 'real', out);

  // Decode + resample throughput per format on 60 s of 44.1 kHz stereo.
  const rate = 44100;
  const n = rate * 60;
  const left = new Float32Array(n);
  for (let i = 0; i < n; i++)
    left[i] =
      0.3 * Math.sin((2 * Math.PI * 440 * i) / rate) + 0.1 * Math.sin((2 * Math.PI * 3100 * i) / rate);
  const stereo = Buffer.alloc(n * 4);
  for (let i = 0; i < n; i++) {
    const v = Math.round(left[i]! * 32767);
    stereo.writeInt16LE(v, i * 4);
    stereo.writeInt16LE(v, i * 4 + 2);
  }
  const header = encodeWav16(new Float32Array(0), rate);
  header.writeUInt16LE(2, 22);
  header.writeUInt32LE(rate * 4, 28);
  header.writeUInt16LE(4, 32);
  header.writeUInt32LE(stereo.length, 40);
  header.writeUInt32LE(36 + stereo.length, 4);
  const wav44 = path.join(dir, 'tone44.wav');
  writeFileSync(wav44, Buffer.concat([header, stereo]));
  const files: Array<[string, string]> = [
    ['wav16k_mono', wavFile],
    ['wav44k_stereo', wav44],
  ];
  const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
  if (hasFfmpeg) {
    for (const [ext, args] of [
      ['mp3', ['-c:a', 'libmp3lame', '-b:a', '128k']],
      ['ogg', ['-c:a', 'libvorbis']],
      ['flac', ['-c:a', 'flac']],
      ['opus', ['-c:a', 'libopus']],
      ['m4a', ['-c:a', 'aac']],
    ] as const) {
      const file = path.join(dir, `tone44.${ext}`);
      if (spawnSync('ffmpeg', ['-y', '-loglevel', 'error', '-i', wav44, ...args, file]).status === 0)
        files.push([ext, file]);
    }
  } else out.compressed_formats = 'skipped (no ffmpeg to make them)';
  for (const [label, file] of files) {
    const bytes = readFileSync(file);
    t = performance.now();
    const decoded = await decodeAudio(bytes);
    const s = (performance.now() - t) / 1000;
    out[`decode_${label}_MBps`] = Math.round((bytes.length / 1e6 / s) * 10) / 10;
    out[`decode_${label}_x_realtime`] = Math.round(decoded.durationSeconds / s);
  }

  // Splitter: 10 minutes of tone bursts and pauses.
  const minutes = 10;
  const long = new Float32Array(16000 * 60 * minutes);
  for (let i = 0; i < long.length; i++)
    long[i] = Math.floor(i / 16000) % 7 === 6 ? 0 : 0.3 * Math.sin(i * 0.2);
  t = performance.now();
  const spans = splitAtSilences(long, { targetSeconds: 60, maxSeconds: 90 });
  const splitS = (performance.now() - t) / 1000;
  out.splitter_x_realtime = Math.round((minutes * 60) / splitS);
  out.splitter_units_per_10min = spans.length;
  return out;
}
