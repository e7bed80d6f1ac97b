/**
 * Audio input for transcription: any supported file → 16 kHz mono float32 samples.
 *
 * - WAV (RIFF/RF64/BW64; PCM 8/16/24/32-bit, float 32/64, WAVE_FORMAT_EXTENSIBLE; any rate and
 *   channel count) is decoded here in TypeScript and resampled with a band-limited filter.
 * - MP3, FLAC, OGG Vorbis and Opus go through the `audio-decode` package (WASM decoders).
 * - Everything else (M4A/AAC, WebM, video containers…) goes through `ffmpeg` when it is installed;
 *   without ffmpeg, audio-decode is tried for M4A/AAC/WebM, and otherwise the caller gets an
 *   UNSUPPORTED_FORMAT error that names the format and says to install ffmpeg.
 * Formats are recognised by their magic bytes, not by the file name.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PrechewError, throwIfCancelled } from '../errors.js';
import { formatBytes } from '../files.js';
import { resample } from './audio-resample.js';

export { resample } from './audio-resample.js';

export const TARGET_SAMPLE_RATE = 16_000;

export type AudioFormat =
  | 'wav'
  | 'mp3'
  | 'flac'
  | 'ogg-vorbis'
  | 'ogg-opus'
  | 'ogg-flac'
  | 'ogg'
  | 'm4a'
  | 'aac'
  | 'webm'
  | 'aiff'
  | 'caf'
  | 'au'
  | 'asf'
  | 'avi'
  | 'amr'
  | 'mpeg';

const FORMAT_LABELS: Record<AudioFormat, string> = {
  wav: 'WAV',
  mp3: 'MP3',
  flac: 'FLAC',
  'ogg-vorbis': 'OGG Vorbis',
  'ogg-opus': 'Opus (OGG)',
  'ogg-flac': 'FLAC in OGG',
  ogg: 'OGG',
  m4a: 'MP4/M4A (AAC)',
  aac: 'AAC (ADTS)',
  webm: 'WebM/Matroska',
  aiff: 'AIFF',
  caf: 'Core Audio (CAF)',
  au: 'Sun AU',
  asf: 'WMA/ASF',
  avi: 'AVI',
  amr: 'AMR',
  mpeg: 'MPEG program/transport stream',
};

export function formatLabel(format: AudioFormat): string {
  return FORMAT_LABELS[format];
}

const ascii = (bytes: Uint8Array, start: number, length: number): string =>
  String.fromCharCode(...bytes.subarray(start, Math.min(bytes.length, start + length)));

/** Recognise an audio or video container by its first bytes; undefined when it is not one. */
export function sniffAudioFormat(bytes: Uint8Array): AudioFormat | undefined {
  if (bytes.length < 4) return undefined;
  const head4 = ascii(bytes, 0, 4);
  if ((head4 === 'RIFF' || head4 === 'RF64' || head4 === 'BW64') && ascii(bytes, 8, 4) === 'WAVE')
    return 'wav';
  if (head4 === 'RIFF' && ascii(bytes, 8, 4) === 'AVI ') return 'avi';
  if (head4 === 'fLaC') return 'flac';
  if (head4 === 'OggS') {
    const page = ascii(bytes, 0, 512);
    if (page.includes('OpusHead')) return 'ogg-opus';
    if (page.includes('\u0001vorbis')) return 'ogg-vorbis';
    if (page.includes('\u007fFLAC')) return 'ogg-flac';
    return 'ogg';
  }
  if (head4 === 'FORM' && /^AIF[FC]$/.test(ascii(bytes, 8, 4))) return 'aiff';
  if (head4 === 'caff') return 'caf';
  if (head4 === '.snd') return 'au';
  if (ascii(bytes, 0, 5) === '#!AMR') return 'amr';
  if (bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) return 'webm';
  if (bytes[0] === 0x30 && bytes[1] === 0x26 && bytes[2] === 0xb2 && bytes[3] === 0x75) return 'asf';
  if (bytes.length >= 12 && ascii(bytes, 4, 4) === 'ftyp') return 'm4a';
  if (ascii(bytes, 0, 3) === 'ID3') return 'mp3';
  if (bytes[0] === 0x00 && bytes[1] === 0x00 && bytes[2] === 0x01 && bytes[3] === 0xba) return 'mpeg';
  if (bytes[0] === 0x47 && bytes.length >= 377 && bytes[188] === 0x47 && bytes[376] === 0x47) return 'mpeg';
  if (bytes[0] === 0xff && (bytes[1]! & 0xe0) === 0xe0) {
    // MPEG audio frame sync: layer bits 00 mean ADTS AAC, anything else MP1/2/3.
    if ((bytes[1]! & 0x06) === 0) return (bytes[1]! & 0xf6) === 0xf0 ? 'aac' : undefined;
    return 'mp3';
  }
  return undefined;
}

/** Decoded audio, always 16 kHz mono. */
export interface DecodedAudio {
  samples: Float32Array;
  sampleRate: typeof TARGET_SAMPLE_RATE;
  durationSeconds: number;
  format: AudioFormat | 'unknown';
  /** Human-readable description, e.g. "WAV PCM 16-bit, 44100 Hz, 2 channels". */
  description: string;
  decoder: 'wav' | 'audio-decode' | 'ffmpeg';
}

export interface DecodeAudioOptions {
  /** File name, for messages only. */
  name?: string;
  maxBytes?: number;
  maxDurationSeconds?: number;
  /** ffmpeg executable (a name looked up on PATH, or a path); false disables ffmpeg. Default "ffmpeg". */
  ffmpeg?: string | false;
  /** Limit for one ffmpeg run (default 10 minutes). */
  ffmpegTimeoutMs?: number;
  signal?: AbortSignal | undefined;
}

// ---------------------------------------------------------------------------------------------
// WAV

interface WavInfo {
  codec: 'pcm' | 'float';
  bitsPerSample: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  dataOffset: number;
  dataBytes: number;
  formatTag: number;
}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

function corrupt(name: string, what: string): PrechewError {
  return new PrechewError('CORRUPT_FILE', `${name} is not a readable audio file: ${what}.`);
}

/** Parse the RIFF/RF64 chunk list of a WAV file. Throws CORRUPT_FILE or UNSUPPORTED_FORMAT. */
export function parseWavHeader(bytes: Uint8Array, name = 'the audio'): WavInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 12) throw corrupt(name, `the WAV header is cut off (${bytes.length} bytes)`);
  const rf64 = ascii(bytes, 0, 4) !== 'RIFF';
  let ds64DataSize: number | undefined;
  let fmt: Omit<WavInfo, 'dataOffset' | 'dataBytes'> | undefined;
  let pos = 12;
  while (pos + 8 <= bytes.length) {
    const id = ascii(bytes, pos, 4);
    let size = view.getUint32(pos + 4, true);
    const body = pos + 8;
    if (id === 'ds64' && size >= 16) {
      ds64DataSize = Number(view.getBigUint64(body + 8, true));
    } else if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length) throw corrupt(name, 'the WAV "fmt " chunk is cut off');
      let formatTag = view.getUint16(body, true);
      const channels = view.getUint16(body + 2, true);
      const sampleRate = view.getUint32(body + 4, true);
      const blockAlign = view.getUint16(body + 12, true);
      const bitsPerSample = view.getUint16(body + 14, true);
      if (formatTag === WAVE_FORMAT_EXTENSIBLE) {
        if (size < 40 || body + 26 > bytes.length)
          throw corrupt(name, 'the WAVE_FORMAT_EXTENSIBLE header is cut off');
        // The sub-format GUID starts with the classic format tag.
        formatTag = view.getUint16(body + 24, true);
      }
      if (formatTag !== WAVE_FORMAT_PCM && formatTag !== WAVE_FORMAT_IEEE_FLOAT) {
        throw new PrechewError(
          'UNSUPPORTED_FORMAT',
          `${name} is a WAV file with codec 0x${formatTag.toString(16).padStart(4, '0')} (compressed WAV such as ADPCM or µ-law). Install ffmpeg to transcribe it, or convert it to PCM WAV.`,
          { formatTag },
        );
      }
      const codec = formatTag === WAVE_FORMAT_PCM ? 'pcm' : 'float';
      const validBits = codec === 'pcm' ? [8, 16, 24, 32] : [32, 64];
      if (!validBits.includes(bitsPerSample)) {
        throw new PrechewError(
          'UNSUPPORTED_FORMAT',
          `${name}: ${codec === 'pcm' ? 'PCM' : 'float'} WAV with ${bitsPerSample} bits per sample is not supported.`,
        );
      }
      if (channels === 0) throw corrupt(name, 'the WAV header says 0 channels');
      if (sampleRate < 1000 || sampleRate > 768_000)
        throw corrupt(name, `the WAV header gives an implausible sample rate (${sampleRate} Hz)`);
      if (blockAlign !== channels * (bitsPerSample / 8)) {
        throw corrupt(
          name,
          `the WAV header is inconsistent (block align ${blockAlign} for ${channels} channels of ${bitsPerSample} bits)`,
        );
      }
      fmt = { codec, bitsPerSample, channels, sampleRate, blockAlign, formatTag };
    } else if (id === 'data') {
      if (!fmt) throw corrupt(name, 'the WAV "data" chunk comes before its "fmt " chunk');
      const available = bytes.length - body;
      if (rf64 && size === 0xffffffff) size = ds64DataSize ?? available;
      // Writers that stream (and never patch the header) leave 0 or 0xFFFFFFFF: take the rest of the file.
      if ((size === 0 || size === 0xffffffff) && available > 0) size = available;
      if (size > available) {
        throw corrupt(
          name,
          `the file is truncated: the WAV header announces ${formatBytes(size)} of audio but only ${formatBytes(available)} follow`,
        );
      }
      const dataBytes = size - (size % fmt.blockAlign);
      return { ...fmt, dataOffset: body, dataBytes };
    }
    if (body + size > bytes.length && id !== 'data') {
      throw corrupt(name, `the file is truncated inside its "${id.replace(/[^\x20-\x7e]/g, '?')}" chunk`);
    }
    pos = body + size + (size % 2); // chunks are word-aligned
  }
  throw corrupt(
    name,
    fmt ? 'the WAV file has no "data" chunk (truncated?)' : 'the WAV file has no "fmt " chunk',
  );
}

/** Decode WAV samples to mono float in [-1, 1] at the file's own rate (channels averaged). */
export function decodeWavToMono(bytes: Uint8Array, info: WavInfo): Float32Array {
  const frames = info.dataBytes / info.blockAlign;
  const out = new Float32Array(frames);
  const view = new DataView(bytes.buffer, bytes.byteOffset + info.dataOffset, info.dataBytes);
  const { channels, bitsPerSample, codec } = info;
  const bytesPer = bitsPerSample / 8;
  const scale = 1 / channels;
  let p = 0;
  for (let f = 0; f < frames; f++) {
    let acc = 0;
    for (let c = 0; c < channels; c++, p += bytesPer) {
      let v: number;
      if (codec === 'float') v = bytesPer === 4 ? view.getFloat32(p, true) : view.getFloat64(p, true);
      else if (bytesPer === 2) v = view.getInt16(p, true) / 32768;
      else if (bytesPer === 1) v = (view.getUint8(p) - 128) / 128;
      else if (bytesPer === 3) {
        const raw = view.getUint8(p) | (view.getUint8(p + 1) << 8) | (view.getInt8(p + 2) << 16);
        v = raw / 8388608;
      } else v = view.getInt32(p, true) / 2147483648;
      acc += v;
    }
    out[f] = acc * scale;
  }
  return out;
}

function mixToMono(channelData: Float32Array[]): Float32Array {
  const first = channelData[0];
  if (!first) return new Float32Array(0);
  if (channelData.length === 1) return first;
  const out = new Float32Array(first.length);
  for (const ch of channelData) for (let i = 0; i < out.length; i++) out[i]! += ch[i] ?? 0;
  const scale = 1 / channelData.length;
  for (let i = 0; i < out.length; i++) out[i]! *= scale;
  return out;
}

// ---------------------------------------------------------------------------------------------
// audio-decode (WASM codecs) and ffmpeg

const AUDIO_DECODE_FORMATS = new Set<AudioFormat>([
  'mp3',
  'flac',
  'ogg-vorbis',
  'ogg-opus',
  'm4a',
  'aac',
  'webm',
  'aiff',
  'caf',
  'amr',
]);
/** Formats whose WASM decoder we trust first; the rest prefer ffmpeg when it is there. */
const PREFER_AUDIO_DECODE = new Set<AudioFormat>(['mp3', 'flac', 'ogg-vorbis', 'ogg-opus', 'aiff']);

type AudioDecodeFn = (bytes: Uint8Array) => Promise<{ channelData: Float32Array[]; sampleRate: number }>;
let audioDecodeModule: Promise<AudioDecodeFn> | undefined;

async function loadAudioDecode(): Promise<AudioDecodeFn> {
  audioDecodeModule ??= import('audio-decode').then((m) => m.default as unknown as AudioDecodeFn);
  return audioDecodeModule;
}

async function decodeWithAudioDecode(
  bytes: Uint8Array,
  format: AudioFormat,
  name: string,
): Promise<{ mono: Float32Array; rate: number; channels: number }> {
  const decode = await loadAudioDecode();
  let result: { channelData: Float32Array[]; sampleRate: number };
  try {
    // The decoders may keep views on the input: give them their own copy.
    result = await decode(new Uint8Array(bytes));
  } catch (error) {
    const reason =
      error instanceof Error ? error.message.replace(/\s+/g, ' ').slice(0, 160) : 'decoder error';
    throw corrupt(name, `the ${formatLabel(format)} data could not be decoded (${reason})`);
  }
  if (!result.channelData.length || !result.sampleRate) {
    throw corrupt(
      name,
      `the ${formatLabel(format)} stream contains no decodable audio frames (truncated or damaged?)`,
    );
  }
  return {
    mono: mixToMono(result.channelData),
    rate: result.sampleRate,
    channels: result.channelData.length,
  };
}

class FfmpegMissing extends Error {}

/** Decode anything ffmpeg reads to 16 kHz mono float, via a temp file (MP4 needs a seekable input). */
async function decodeWithFfmpeg(
  bytes: Uint8Array,
  command: string,
  name: string,
  maxSeconds: number,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<Float32Array> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'prechew-audio-'));
  const input = path.join(dir, 'input');
  try {
    await writeFile(input, bytes);
    const maxBytes = Math.ceil(maxSeconds * TARGET_SAMPLE_RATE) * 4 + 4;
    return await new Promise<Float32Array>((resolve, reject) => {
      const args = [
        '-nostdin',
        '-hide_banner',
        '-loglevel',
        'error',
        '-i',
        `file:${input}`,
        '-vn',
        '-f',
        'f32le',
        '-ac',
        '1',
        '-ar',
        String(TARGET_SAMPLE_RATE),
        'pipe:1',
      ];
      const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false });
      const chunks: Buffer[] = [];
      let total = 0;
      let stderr = '';
      let failure: Error | undefined;
      const stop = (error: Error): void => {
        failure ??= error;
        child.kill('SIGKILL');
      };
      const timer = setTimeout(
        () =>
          stop(
            new PrechewError(
              'TIMEOUT',
              `ffmpeg took longer than ${Math.round(timeoutMs / 1000)} s to decode ${name}.`,
            ),
          ),
        timeoutMs,
      );
      timer.unref();
      const onAbort = (): void =>
        stop(new PrechewError('CANCELLED', 'The request was cancelled before it finished.'));
      signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > maxBytes) {
          stop(tooLong(name, maxSeconds + 1, maxSeconds));
          return;
        }
        chunks.push(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        if (stderr.length < 4000) stderr += chunk.toString('utf8');
      });
      child.on('error', (error: NodeJS.ErrnoException) => {
        stop(error.code === 'ENOENT' ? new FfmpegMissing() : error);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (failure) return reject(failure);
        if (code !== 0) {
          // ffmpeg's own message (e.g. "Invalid data found when processing input"), minus our temp path.
          const reason = stderr
            .split(input)
            .join(name)
            .replace(/file:/g, '')
            .trim()
            .split('\n')
            .slice(-2)
            .join(' ')
            .slice(0, 200);
          return reject(corrupt(name, `ffmpeg could not decode it${reason ? ` (${reason})` : ''}`));
        }
        const raw = Buffer.concat(chunks, total);
        const aligned = raw.subarray(0, raw.length - (raw.length % 4));
        const out = new Float32Array(aligned.length / 4);
        for (let i = 0; i < out.length; i++) out[i] = aligned.readFloatLE(i * 4);
        resolve(out);
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function tooLong(name: string, seconds: number, max: number): PrechewError {
  return new PrechewError(
    'INPUT_TOO_LARGE',
    `${name} is ${formatDuration(seconds)} long, over the ${formatDuration(max)} limit. Split the recording, or raise models.whisper.maxDurationSeconds in the config.`,
    { seconds: Math.round(seconds), limit: max },
  );
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h ? `${h} h ${m} min` : m ? `${m} min ${r} s` : `${r} s`;
}

function needsFfmpeg(format: AudioFormat | undefined, name: string): PrechewError {
  const what = format ? `${formatLabel(format)} audio` : 'an audio format prechew does not recognise';
  return new PrechewError(
    'UNSUPPORTED_FORMAT',
    `${name} is ${what}, which needs ffmpeg: install ffmpeg (e.g. "apt install ffmpeg" or "brew install ffmpeg") and make sure it is on PATH, or convert the file to WAV, MP3, FLAC, OGG Vorbis or Opus.`,
    { format: format ?? 'unknown' },
  );
}

/**
 * Decode an audio (or video) file's bytes to 16 kHz mono float32. Throws INVALID_INPUT (empty),
 * INPUT_TOO_LARGE (size or duration), CORRUPT_FILE, UNSUPPORTED_FORMAT or CANCELLED.
 */
export async function decodeAudio(
  bytes: Uint8Array,
  options: DecodeAudioOptions = {},
): Promise<DecodedAudio> {
  const name = options.name ?? 'The audio';
  const maxSeconds = options.maxDurationSeconds ?? Infinity;
  if (bytes.length === 0)
    throw new PrechewError('INVALID_INPUT', `${name} is empty (0 bytes): there is no audio to transcribe.`);
  if (options.maxBytes !== undefined && bytes.length > options.maxBytes) {
    throw new PrechewError(
      'INPUT_TOO_LARGE',
      `${name} is ${formatBytes(bytes.length)}, over the ${formatBytes(options.maxBytes)} input limit. Split it, or raise limits.maxInputBytes in the config.`,
      { size: bytes.length, limit: options.maxBytes },
    );
  }
  throwIfCancelled(options.signal);
  const format = sniffAudioFormat(bytes);
  const ffmpeg = options.ffmpeg ?? 'ffmpeg';
  const ffmpegTimeout = options.ffmpegTimeoutMs ?? 10 * 60_000;

  let mono: Float32Array;
  let rate: number;
  let description: string;
  let decoder: DecodedAudio['decoder'];

  const viaFfmpeg = async (): Promise<Float32Array | undefined> => {
    if (ffmpeg === false) return undefined;
    try {
      return await decodeWithFfmpeg(
        bytes,
        ffmpeg,
        name,
        Number.isFinite(maxSeconds) ? maxSeconds : 24 * 3600,
        ffmpegTimeout,
        options.signal,
      );
    } catch (error) {
      if (error instanceof FfmpegMissing) return undefined;
      throw error;
    }
  };

  if (format === 'wav') {
    let info: WavInfo;
    try {
      info = parseWavHeader(bytes, name);
    } catch (error) {
      // Compressed WAV codecs: ffmpeg reads them.
      if (error instanceof PrechewError && error.code === 'UNSUPPORTED_FORMAT') {
        const samples = await viaFfmpeg();
        if (!samples) throw error;
        return finish(samples, TARGET_SAMPLE_RATE, 'WAV (compressed, via ffmpeg)', 'ffmpeg');
      }
      throw error;
    }
    const frames = info.dataBytes / info.blockAlign;
    if (frames === 0)
      throw new PrechewError(
        'INVALID_INPUT',
        `${name} contains no audio samples (its WAV data chunk is empty).`,
      );
    if (frames / info.sampleRate > maxSeconds) throw tooLong(name, frames / info.sampleRate, maxSeconds);
    mono = decodeWavToMono(bytes, info);
    rate = info.sampleRate;
    description = `WAV ${info.codec === 'pcm' ? 'PCM' : 'float'} ${info.bitsPerSample}-bit, ${info.sampleRate} Hz, ${info.channels} channel${info.channels > 1 ? 's' : ''}`;
    decoder = 'wav';
  } else if (format && PREFER_AUDIO_DECODE.has(format)) {
    try {
      const r = await decodeWithAudioDecode(bytes, format, name);
      mono = r.mono;
      rate = r.rate;
      description = `${formatLabel(format)}, ${r.rate} Hz, ${r.channels} channel${r.channels > 1 ? 's' : ''}`;
      decoder = 'audio-decode';
    } catch (error) {
      // A damaged file may still be readable by ffmpeg, which is more forgiving.
      const samples = await viaFfmpeg().catch(() => undefined);
      if (!samples || samples.length === 0) throw error;
      return finish(samples, TARGET_SAMPLE_RATE, `${formatLabel(format)} (via ffmpeg)`, 'ffmpeg');
    }
  } else {
    const samples = await viaFfmpeg();
    if (samples)
      return finish(
        samples,
        TARGET_SAMPLE_RATE,
        `${format ? formatLabel(format) : 'audio'} (via ffmpeg)`,
        'ffmpeg',
      );
    if (!format || !AUDIO_DECODE_FORMATS.has(format)) throw needsFfmpeg(format, name);
    let r: { mono: Float32Array; rate: number; channels: number };
    try {
      r = await decodeWithAudioDecode(bytes, format, name);
    } catch {
      throw needsFfmpeg(format, name);
    }
    mono = r.mono;
    rate = r.rate;
    description = `${formatLabel(format)}, ${r.rate} Hz, ${r.channels} channel${r.channels > 1 ? 's' : ''}`;
    decoder = 'audio-decode';
  }
  return finish(mono, rate, description, decoder);

  function finish(
    samples: Float32Array,
    sampleRate: number,
    desc: string,
    dec: DecodedAudio['decoder'],
  ): DecodedAudio {
    throwIfCancelled(options.signal);
    if (samples.length === 0) throw new PrechewError('INVALID_INPUT', `${name} contains no audio samples.`);
    const seconds = samples.length / sampleRate;
    if (seconds > maxSeconds) throw tooLong(name, seconds, maxSeconds);
    const out =
      sampleRate === TARGET_SAMPLE_RATE ? samples : resample(samples, sampleRate, TARGET_SAMPLE_RATE);
    return {
      samples: out,
      sampleRate: TARGET_SAMPLE_RATE,
      durationSeconds: out.length / TARGET_SAMPLE_RATE,
      format: format ?? 'unknown',
      description: desc,
      decoder: dec,
    };
  }
}

/** File extensions that mark audio/video even when the magic bytes are unknown (used by the file reader). */
export const AUDIO_EXTENSIONS = new Set([
  'wav',
  'wave',
  'mp3',
  'flac',
  'ogg',
  'oga',
  'opus',
  'm4a',
  'mp4',
  'aac',
  'webm',
  'mkv',
  'mov',
  'aif',
  'aiff',
  'caf',
  'au',
  'wma',
  'amr',
  'avi',
  'mpg',
  'mpeg',
  'ts',
  'm4v',
  '3gp',
]);

/** Encode mono float samples as 16-bit PCM WAV (for tests, fixtures and round trips). */
export function encodeWav16(samples: Float32Array, sampleRate = TARGET_SAMPLE_RATE): Buffer {
  const data = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++)
    data.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(samples[i]! * 32767))), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
