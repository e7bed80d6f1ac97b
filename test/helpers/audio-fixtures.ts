/**
 * Audio made in code for tests: tones, silences, WAV files in every layout the decoder supports,
 * and (when the tools are installed) speech from espeak-ng and MP3/OGG/FLAC from ffmpeg or sox.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const JFK_WAV = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../fixtures/audio/jfk.wav',
);
export const JFK_TEXT =
  'And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.';

export function tone(freq: number, seconds: number, rate = 16000, amplitude = 0.5): Float32Array {
  const n = Math.round(seconds * rate);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate);
  return out;
}

export function silence(seconds: number, rate = 16000): Float32Array {
  return new Float32Array(Math.round(seconds * rate));
}

export function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

export interface WavLayout {
  rate?: number;
  channels?: number;
  bits?: 8 | 16 | 24 | 32 | 64;
  float?: boolean;
  extensible?: boolean;
  rf64?: boolean;
  /** Extra chunk before "data" (LIST etc.), to exercise chunk skipping. */
  extraChunk?: boolean;
}

/** Encode interleaved channels (each channel given as its own array) as a WAV file. */
export function makeWav(channelData: Float32Array[], layout: WavLayout = {}): Buffer {
  const rate = layout.rate ?? 16000;
  const channels = channelData.length;
  const bits = layout.bits ?? 16;
  const float = layout.float ?? false;
  const bytesPer = bits / 8;
  const frames = channelData[0]!.length;
  const data = Buffer.alloc(frames * channels * bytesPer);
  let p = 0;
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < channels; c++, p += bytesPer) {
      const v = Math.max(-1, Math.min(1, channelData[c]![f]!));
      if (float) {
        if (bits === 32) data.writeFloatLE(v, p);
        else data.writeDoubleLE(v, p);
      } else if (bits === 8) data.writeUInt8(Math.max(0, Math.min(255, Math.round(v * 127 + 128))), p);
      else if (bits === 16) data.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(v * 32767))), p);
      else if (bits === 24)
        data.writeIntLE(Math.max(-8388608, Math.min(8388607, Math.round(v * 8388607))), p, 3);
      else data.writeInt32LE(Math.max(-2147483648, Math.min(2147483647, Math.round(v * 2147483647))), p);
    }
  }
  const tag = float ? 3 : 1;
  const fmt = Buffer.alloc(layout.extensible ? 40 : 16);
  fmt.writeUInt16LE(layout.extensible ? 0xfffe : tag, 0);
  fmt.writeUInt16LE(channels, 2);
  fmt.writeUInt32LE(rate, 4);
  fmt.writeUInt32LE(rate * channels * bytesPer, 8);
  fmt.writeUInt16LE(channels * bytesPer, 12);
  fmt.writeUInt16LE(bits, 14);
  if (layout.extensible) {
    fmt.writeUInt16LE(22, 16);
    fmt.writeUInt16LE(bits, 18);
    fmt.writeUInt32LE(channels === 2 ? 3 : 4, 20);
    // KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT: tag, then the fixed GUID tail.
    Buffer.from([tag, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71]).copy(fmt, 24);
  }
  const chunk = (id: string, body: Buffer, size = body.length): Buffer => {
    const head = Buffer.alloc(8);
    head.write(id, 0, 'ascii');
    head.writeUInt32LE(size >>> 0, 4);
    return Buffer.concat([head, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  };
  const parts: Buffer[] = [];
  if (layout.rf64) {
    const ds64 = Buffer.alloc(28);
    ds64.writeBigUInt64LE(BigInt(4 + 36 + 8 + 24 + 8 + data.length), 0);
    ds64.writeBigUInt64LE(BigInt(data.length), 8);
    parts.push(chunk('ds64', ds64));
  }
  parts.push(chunk('fmt ', fmt));
  if (layout.extraChunk)
    parts.push(chunk('LIST', Buffer.from('INFOISFT\u0005\u0000\u0000\u0000test\u0000\u0000', 'latin1')));
  parts.push(chunk('data', data, layout.rf64 ? 0xffffffff : data.length));
  const body = Buffer.concat(parts);
  const riff = Buffer.alloc(12);
  riff.write(layout.rf64 ? 'RF64' : 'RIFF', 0, 'ascii');
  riff.writeUInt32LE(layout.rf64 ? 0xffffffff : 4 + body.length, 4);
  riff.write('WAVE', 8, 'ascii');
  return Buffer.concat([riff, body]);
}

/** Amplitude of frequency `freq` in a signal (single-bin DFT, normalised so a sine of amplitude A gives A). */
export function toneAmplitude(samples: Float32Array, freq: number, rate: number): number {
  let re = 0;
  let im = 0;
  for (let i = 0; i < samples.length; i++) {
    const a = (2 * Math.PI * freq * i) / rate;
    re += samples[i]! * Math.cos(a);
    im -= samples[i]! * Math.sin(a);
  }
  return (2 * Math.hypot(re, im)) / samples.length;
}

export function which(command: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() || undefined : undefined;
}

export const tools = {
  espeak: which('espeak-ng'),
  ffmpeg: which('ffmpeg'),
  sox: which('sox'),
};

/** Speech from espeak-ng as a WAV file (22.05 kHz mono), or undefined when espeak-ng is missing. */
export function espeakWav(text: string, file: string): string | undefined {
  if (!tools.espeak) return undefined;
  execFileSync(tools.espeak, ['-w', file, '-s', '160', text], { stdio: 'ignore' });
  return file;
}

/** Convert with ffmpeg (preferred) or sox; undefined when neither can make this format. */
export function convertAudio(input: string, output: string): string | undefined {
  const ext = path.extname(output).slice(1);
  if (tools.ffmpeg) {
    const codec: Record<string, string[]> = {
      mp3: ['-c:a', 'libmp3lame', '-b:a', '64k'],
      ogg: ['-c:a', 'libvorbis', '-q:a', '3'],
      opus: ['-c:a', 'libopus', '-b:a', '32k'],
      flac: ['-c:a', 'flac'],
      m4a: ['-c:a', 'aac', '-b:a', '64k'],
    };
    const r = spawnSync(tools.ffmpeg, [
      '-y',
      '-loglevel',
      'error',
      '-i',
      input,
      ...(codec[ext] ?? []),
      output,
    ]);
    if (r.status === 0) return output;
  }
  if (tools.sox && ['mp3', 'ogg', 'flac'].includes(ext)) {
    const r = spawnSync(tools.sox, [input, output]);
    if (r.status === 0) return output;
  }
  return undefined;
}

export function writeTemp(dir: string, name: string, bytes: Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

export function readJfk(): Buffer {
  return readFileSync(JFK_WAV);
}
