/**
 * Tool `transcribe`: local speech-to-text on whisper.cpp. A recording is decoded to 16 kHz mono,
 * split at pauses into units (each a self-contained, JSON-serialisable piece of work that a peer
 * could run), transcribed unit by unit and merged with absolute timestamps.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  decodeAudio,
  formatDuration,
  sniffAudioFormat,
  TARGET_SAMPLE_RATE,
  type DecodedAudio,
} from '../engines/audio.js';
import { splitAtSilences } from '../engines/vad.js';
import { getWhisperEngine, type TranscribeUnitOptions, type UnitTranscript } from '../engines/whisper.js';
import { PrechewError } from '../errors.js';
import { formatBytes } from '../files.js';
import { LocalExecutor, makeUnit, runUnits, type UnitHandler } from '../jobs/units.js';
import { getService, type AppServices } from '../services.js';
import { cacheKey, getCache } from '../store/cache.js';
import { offloadField, type FileReader } from './inputs.js';
import { defineTool, type ToolContext } from './types.js';

export const WHISPER_UNIT_KIND = 'whisper.transcribe';
const UNIT_VERSION = '2';
const CACHE_VERSION = 'transcribe-v1';

const formats = ['text', 'segments', 'srt', 'vtt', 'json'] as const;
type Format = (typeof formats)[number];

const inputSchema = z
  .object({
    path: z
      .string()
      .optional()
      .describe(
        'Path of an audio or video file inside an allowed root (absolute, or relative to the first root).',
      ),
    data: z
      .string()
      .optional()
      .describe('The audio file itself, base64-encoded, instead of `path`; give `filename` too.'),
    filename: z
      .string()
      .optional()
      .describe('Name of the file sent as `data` (used in messages and the output).'),
    language: z
      .string()
      .regex(/^(auto|[a-z]{2,3})$/i, 'use "auto" or a language code such as "en", "de", "fr"')
      .default('auto')
      .describe('Spoken language as an ISO 639-1 code ("en", "de"…), or "auto" (default) to detect it.'),
    translate: z
      .boolean()
      .default(false)
      .describe('Translate the speech into English instead of transcribing it verbatim.'),
    initialPrompt: z
      .string()
      .max(1000)
      .optional()
      .describe(
        'Vocabulary hints: names, jargon or spellings that occur in the recording, e.g. "Kubernetes, Dr. Nguyen, prechew".',
      ),
    wordTimestamps: z
      .boolean()
      .default(false)
      .describe('Also return per-word start/end times inside each segment.'),
    format: z
      .enum(formats)
      .default('text')
      .describe(
        'How the transcript is rendered as text: plain `text` (default), timed `segments`, `srt` or `vtt` subtitles, or `json`.',
      ),
    offload: offloadField,
  })
  .strict();
type Input = z.infer<typeof inputSchema>;

const wordSchema = z.object({ start: z.number(), end: z.number(), word: z.string() });
const segmentSchema = z.object({
  id: z.number().int().describe('0-based position in the whole transcript'),
  start: z.number().describe('seconds from the start of the recording'),
  end: z.number(),
  text: z.string(),
  words: z.array(wordSchema).optional(),
});
export type TranscriptSegment = z.infer<typeof segmentSchema>;

const outputSchema = z.object({
  source: z.string(),
  model: z.string().describe('whisper model file used'),
  format: z.enum(formats),
  durationSeconds: z.number(),
  detectedLanguage: z.string().optional(),
  realTimeFactor: z
    .number()
    .describe('processing time / audio duration (lower is faster; 0 when served from cache)'),
  units: z.number().int().describe('pieces the audio was split into at pauses and transcribed independently'),
  audio: z.string().describe('what was decoded, e.g. "MP3, 44100 Hz, 2 channels"'),
  cached: z.boolean(),
  text: z
    .string()
    .optional()
    .describe(
      'the whole transcript as plain text (omitted when it would not fit in one response; join the segments)',
    ),
  formatted: z
    .string()
    .optional()
    .describe('the whole transcript in the requested format (omitted when it would not fit in one response)'),
  segments: z.array(segmentSchema),
});
type Output = z.infer<typeof outputSchema>;

// ---------------------------------------------------------------------------------------------
// rendering

function clock(seconds: number, sep: ',' | '.'): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}${sep}${pad(ms % 1000, 3)}`;
}

/** Render segments in one of the output formats (pure; used for pages too). */
export function renderTranscript(
  segments: TranscriptSegment[],
  format: Format,
  meta?: Pick<Output, 'source' | 'durationSeconds' | 'detectedLanguage' | 'model'>,
): string {
  switch (format) {
    case 'srt':
      return segments
        .map((s) => `${s.id + 1}\n${clock(s.start, ',')} --> ${clock(s.end, ',')}\n${s.text}\n`)
        .join('\n');
    case 'vtt':
      return (
        'WEBVTT\n\n' +
        segments.map((s) => `${clock(s.start, '.')} --> ${clock(s.end, '.')}\n${s.text}\n`).join('\n')
      );
    case 'json':
      return JSON.stringify({ ...(meta ?? {}), segments }, null, 1);
    case 'segments':
      return segments.map((s) => `[${clock(s.start, '.')} → ${clock(s.end, '.')}] ${s.text}`).join('\n');
    case 'text':
      return segments.map((s) => s.text).join(' ');
  }
}

function render(out: Output): string {
  const body = renderTranscript(out.segments, out.format, out);
  if (out.format !== 'text' && out.format !== 'segments') return body;
  const lang = out.detectedLanguage ? `, language ${out.detectedLanguage}` : '';
  const header = `Transcript of ${out.source} (${formatDuration(out.durationSeconds)}${lang}, ${out.model}, ${out.units} unit${out.units === 1 ? '' : 's'}):`;
  return `${header}\n\n${body || '(no speech recognised)'}`;
}

// ---------------------------------------------------------------------------------------------
// units

export interface WhisperUnitInput {
  offsetSeconds: number;
  sampleRate: number;
  /**
   * 16-bit little-endian PCM, base64. The engine hands whisper.cpp 16-bit samples anyway, so this
   * loses nothing (decoding and re-quantizing gives the same samples) and halves what a unit sends
   * to a peer: a 60 s unit is 1.9 MB (2.6 MB in base64) instead of 3.8 MB of float32.
   */
  pcm: string;
  options: TranscribeUnitOptions;
}

export const whisperUnitInputSchema = z.object({
  offsetSeconds: z.number().min(0),
  sampleRate: z.literal(TARGET_SAMPLE_RATE),
  pcm: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/),
  options: z
    .object({
      language: z.string().max(20).optional(),
      translate: z.boolean().optional(),
      initialPrompt: z.string().max(4000).optional(),
      wordTimestamps: z.boolean().optional(),
      greedy: z.boolean().optional(),
    })
    .strict(),
});

const unitSegmentSchema = z.object({ start: z.number(), end: z.number(), text: z.string() });
export const whisperUnitOutputSchema = z.object({
  segments: z.array(unitSegmentSchema),
  words: z.array(z.object({ start: z.number(), end: z.number(), word: z.string() })).optional(),
  language: z.string().optional(),
  elapsedSeconds: z.number(),
});

function encodePcm(samples: Float32Array): string {
  const out = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!;
    out.writeInt16LE(v >= 1 ? 32767 : v <= -1 ? -32768 : Math.round(v * 32767), i * 2);
  }
  return out.toString('base64');
}

function decodePcm(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  const out = new Float32Array(buf.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = buf.readInt16LE(i * 2) / 32767;
  return out;
}

/** The unit handler for "whisper.transcribe": the lead registers it on the executor (and peers will). */
export function whisperUnitHandler(app: AppServices): UnitHandler<WhisperUnitInput, UnitTranscript> {
  return async (input, ctx) => {
    if (input.sampleRate !== TARGET_SAMPLE_RATE)
      throw new PrechewError(
        'INVALID_INPUT',
        `whisper units must be ${TARGET_SAMPLE_RATE} Hz (got ${input.sampleRate}).`,
      );
    return getWhisperEngine(app).transcribe(
      decodePcm(input.pcm),
      input.offsetSeconds,
      input.options,
      ctx.signal,
    );
  };
}

/** Registers the "whisper.transcribe" kind (schemas, limits) on the app's executor unless already there. */
export function ensureWhisperUnitHandler(app: AppServices): void {
  const executor = app.executor;
  if (!(executor instanceof LocalExecutor) || executor.has(WHISPER_UNIT_KIND)) return;
  executor.registerKind({
    kind: WHISPER_UNIT_KIND,
    version: UNIT_VERSION,
    input: whisperUnitInputSchema,
    output: whisperUnitOutputSchema,
    // 600 s of 16 kHz 16-bit audio in base64, the longest unit the splitter makes, with room to spare.
    maxInputBytes: 32 * 1024 * 1024,
    // Timings differ between runs; transcripts are compared only through spot checks of text.
    deterministic: false,
    needs: 'whisper',
    handler: whisperUnitHandler(app),
  });
}

/** Audio decoding settings from config (convert.ffmpegPath); tests may replace them per app. */
export interface AudioSettings {
  ffmpeg: string | false;
}
export function audioSettings(app: AppServices): AudioSettings {
  return getService<AudioSettings>(app, 'audio.settings', () => ({ ffmpeg: app.config.convert.ffmpegPath }));
}

// ---------------------------------------------------------------------------------------------
// the pipeline

export interface TranscribeRequest {
  language: string;
  translate: boolean;
  initialPrompt?: string | undefined;
  wordTimestamps: boolean;
  /** Per-call override of mesh.offload. */
  offload?: 'auto' | 'off' | undefined;
}

export interface TranscriptResult {
  model: string;
  durationSeconds: number;
  detectedLanguage: string | undefined;
  realTimeFactor: number;
  units: number;
  audio: string;
  cached: boolean;
  segments: TranscriptSegment[];
}

/** Decode, split, transcribe as units, merge. Shared by the tool and the audio file reader. */
export async function transcribeBytes(
  bytes: Uint8Array,
  name: string,
  request: TranscribeRequest,
  ctx: ToolContext,
): Promise<TranscriptResult> {
  const app = ctx.app;
  const whisperConfig = app.config.models.whisper;
  const engine = getWhisperEngine(app);
  const model = engine.modelName(); // MODEL_NOT_FOUND before any decoding work
  const options: TranscribeUnitOptions = {
    language: request.language.toLowerCase(),
    translate: request.translate,
    initialPrompt: request.initialPrompt,
    wordTimestamps: request.wordTimestamps,
    // Decoding settings travel with the unit, so a peer decodes exactly as this node would.
    greedy: whisperConfig.temperatureFallback ? undefined : true,
  };
  const cache = getCache(app);
  const key = cacheKey(
    CACHE_VERSION,
    createHash('sha256').update(bytes).digest('hex'),
    JSON.stringify(options),
    model,
    whisperConfig.unitSeconds,
  );
  const hit = cache.get<TranscriptResult>('transcribe', key);
  if (hit) return { ...hit, cached: true, realTimeFactor: 0 };

  const started = performance.now();
  ctx.progress({ progress: 0, message: `decoding ${name}` });
  let audio: DecodedAudio;
  try {
    audio = await decodeAudio(bytes, {
      name,
      maxBytes: app.config.limits.maxInputBytes,
      maxDurationSeconds: whisperConfig.maxDurationSeconds,
      ffmpeg: audioSettings(app).ffmpeg,
      ffmpegTimeoutMs: app.config.limits.documentTimeoutMs,
      signal: ctx.signal,
    });
  } catch (error) {
    if (error instanceof PrechewError && error.code === 'CORRUPT_FILE' && !sniffAudioFormat(bytes)) {
      throw new PrechewError('UNSUPPORTED_FORMAT', `${name} is not an audio or video file prechew can read.`);
    }
    throw error;
  }

  const unitSeconds = whisperConfig.unitSeconds;
  const spans = splitAtSilences(audio.samples, {
    targetSeconds: unitSeconds,
    maxSeconds: Math.min(unitSeconds * 1.5, unitSeconds + 30),
    minSilenceMs: 300,
  });
  // Silent spans are skipped: whisper tends to invent words in silence.
  const work = spans.filter((s) => s.voiced);
  const units = work.map((s) =>
    makeUnit<WhisperUnitInput>(
      WHISPER_UNIT_KIND,
      {
        offsetSeconds: s.startSeconds,
        sampleRate: TARGET_SAMPLE_RATE,
        pcm: encodePcm(audio.samples.subarray(s.start, s.end)),
        options,
      },
      UNIT_VERSION,
    ),
  );
  ensureWhisperUnitHandler(app);
  ctx.progress({
    progress: 0,
    total: units.length,
    message: `transcribing ${units.length} unit${units.length === 1 ? '' : 's'} (${formatDuration(audio.durationSeconds)})`,
  });
  const results = await runUnits<WhisperUnitInput, UnitTranscript>(app.executor, units, {
    signal: ctx.signal,
    offload: request.offload,
    label: 'unit',
    onProgress: (u) =>
      ctx.progress({
        progress: u.progress,
        total: u.total,
        message: `transcribed unit ${u.progress}/${u.total ?? units.length}${u.ranOn ? ` on ${u.ranOn}` : ''}`,
      }),
  });

  const segments = mergeUnitTranscripts(
    results,
    work.map((s) => [s.startSeconds, s.endSeconds]),
  );
  const languages = new Map<string, number>();
  for (const r of results) if (r.language) languages.set(r.language, (languages.get(r.language) ?? 0) + 1);
  const detectedLanguage = [...languages.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const elapsed = (performance.now() - started) / 1000;
  const result: TranscriptResult = {
    model,
    durationSeconds: Math.round(audio.durationSeconds * 1000) / 1000,
    detectedLanguage,
    realTimeFactor: Math.round((elapsed / Math.max(audio.durationSeconds, 1e-3)) * 10_000) / 10_000,
    units: units.length,
    audio: audio.description,
    cached: false,
    segments,
  };
  cache.set('transcribe', key, result);
  return result;
}

/**
 * Merge per-unit transcripts in unit order: times are clamped into their unit's span (whisper can
 * place a segment end past the audio it was given), so the result is ordered and monotonic.
 */
export function mergeUnitTranscripts(
  results: UnitTranscript[],
  spans: Array<[number, number]>,
): TranscriptSegment[] {
  const out: TranscriptSegment[] = [];
  const r3 = (t: number): number => Math.round(t * 1000) / 1000;
  results.forEach((r, i) => {
    const [from, to] = spans[i] ?? [0, Infinity];
    const clamp = (t: number, lo: number): number => Math.min(to, Math.max(lo, t));
    const sorted = [...r.segments].sort((a, b) => a.start - b.start);
    for (const s of sorted) {
      const prevEnd = out.length ? out[out.length - 1]!.end : 0;
      const start = r3(clamp(s.start, Math.max(from, prevEnd)));
      const end = r3(clamp(s.end, start));
      const seg: TranscriptSegment = { id: out.length, start, end, text: s.text };
      if (r.words) {
        const words = r.words.filter((w) => w.start >= s.start - 1e-6 && w.end <= s.end + 1e-6);
        seg.words = words.map((w) => {
          const ws = r3(clamp(w.start, start));
          return { start: ws, end: r3(Math.min(end, clamp(w.end, ws))), word: w.word };
        });
      }
      out.push(seg);
    }
  });
  return out;
}

async function readAudioInput(input: Input, ctx: ToolContext): Promise<{ bytes: Buffer; name: string }> {
  const hasPath = typeof input.path === 'string' && input.path.length > 0;
  const hasData = typeof input.data === 'string' && input.data.length > 0;
  if (hasPath === hasData) {
    throw new PrechewError(
      'INVALID_INPUT',
      hasPath
        ? 'Give either `path` or `data`, not both.'
        : 'Give the audio as `path` (a file inside an allowed root) or as base64 `data` with a `filename`.',
    );
  }
  if (hasPath) {
    const { file, bytes } = await ctx.app.files.read(input.path!, await ctx.clientRoots());
    return { bytes, name: file.name };
  }
  const limit = ctx.app.config.limits.maxInputBytes;
  const approx = Math.floor((input.data!.length * 3) / 4);
  if (approx > limit + 3) {
    throw new PrechewError(
      'INPUT_TOO_LARGE',
      `The audio sent as data is about ${formatBytes(approx)}, over the ${formatBytes(limit)} input limit. Pass a path instead, or raise limits.maxInputBytes.`,
      {
        size: approx,
        limit,
      },
    );
  }
  const clean = input.data!.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean))
    throw new PrechewError('INVALID_INPUT', '`data` is not valid base64.');
  return { bytes: Buffer.from(clean, 'base64'), name: input.filename ?? 'audio' };
}

export const transcribeTool = defineTool({
  name: 'transcribe',
  title: 'Transcribe audio',
  summary: 'Local speech-to-text (whisper.cpp): audio/video → transcript with timestamps, SRT/VTT subtitles.',
  description:
    'Transcribe speech in an audio or video file locally with whisper.cpp; nothing leaves this machine. ' +
    'Formats: WAV, MP3, FLAC, OGG Vorbis and Opus built in; M4A/AAC, WebM and video containers when ffmpeg is installed. ' +
    'Long recordings are split at pauses into units and merged with absolute timestamps. ' +
    'Options: `language` ("auto" or a code like "en"), `translate` to English, `initialPrompt` with names and jargon that occur in the recording, `wordTimestamps`, and `format` (text, segments, srt, vtt, json). ' +
    'Returns the transcript, segments with start/end seconds, detected language, duration and real-time factor. Use it instead of asking for a recording to be pasted; then summarize or search the transcript. Results are cached by audio content.',
  inputSchema,
  outputSchema,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  cli: { path: 'path' },
  pageField: 'segments',
  async handler(input, ctx) {
    const { bytes, name } = await readAudioInput(input, ctx);
    const result = await transcribeBytes(
      bytes,
      name,
      {
        language: input.language,
        translate: input.translate,
        initialPrompt: input.initialPrompt,
        wordTimestamps: input.wordTimestamps,
        offload: input.offload,
      },
      ctx,
    );
    const out: Output = {
      source: name,
      model: result.model,
      format: input.format,
      durationSeconds: result.durationSeconds,
      ...(result.detectedLanguage ? { detectedLanguage: result.detectedLanguage } : {}),
      realTimeFactor: result.realTimeFactor,
      units: result.units,
      audio: result.audio,
      cached: result.cached,
      segments: result.segments,
    };
    // The whole-text fields would repeat on every page of a paginated result: include them only
    // when the transcript comfortably fits in one response.
    const text = renderTranscript(result.segments, 'text');
    const formatted = render(out);
    if ((text.length + formatted.length) / 3 < ctx.app.config.limits.maxOutputTokens / 2) {
      out.text = text;
      out.formatted = formatted;
    }
    ctx.progress({ progress: result.units, total: result.units, message: 'done' });
    return out;
  },
  render,
});

/**
 * FileReader for text tools (condense, summarize…): audio and video files become their
 * transcript; anything else is left to the other readers (undefined).
 */
export const audioFileReader: FileReader = async (bytes, name, ctx) => {
  const format = sniffAudioFormat(bytes);
  if (!format) return undefined;
  const result = await transcribeBytes(
    bytes,
    name,
    { language: 'auto', translate: false, wordTimestamps: false },
    ctx,
  );
  // One line per segment with its start time, so condense can cite `[name 00:12:05]`.
  const clock = (t: number) => {
    const s = Math.max(0, Math.floor(t));
    return [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60].map((n) => String(n).padStart(2, '0')).join(':');
  };
  const text = result.segments.map((seg) => `[${clock(seg.start)}] ${seg.text.trim()}`).join('\n');
  return { text, format: `transcript of ${result.audio}` };
};
