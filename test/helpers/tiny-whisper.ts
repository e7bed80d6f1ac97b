/**
 * Generates a random-weight whisper model in whisper.cpp's legacy ggml `.bin` layout, so the real
 * binding can be exercised end to end without downloading a model. The transcripts are gibberish;
 * loading, mel computation, encoding, decoding, segments and timing all run through real code.
 *
 * Layout (see ../shared/notes/test-models.md): magic "ggml", 11 int32 hparams, mel filters,
 * vocabulary, then tensors until the end of the file (n_dims, name length, type, extents, name, data).
 */
import { writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './app.js';
import { mulberry32 as rng } from './random.js';

export interface TinyWhisperOptions {
  /** Audio and text state width (whisper tiny: 384, base: 512). */
  width?: number;
  encoderLayers?: number;
  decoderLayers?: number;
  heads?: number;
  /** 0 = F32, 1 = F16 weights. */
  ftype?: 0 | 1;
  seed?: number;
}

const N_VOCAB = 51864; // English-only vocabulary size: the loader adds the special tokens after 50256 base tokens
const BASE_TOKENS = 50256;
const N_AUDIO_CTX = 1500;
const N_TEXT_CTX = 448;
const N_MELS = 80;
const N_FFT = 201;


const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

function toHalf(value: number): number {
  scratchF32[0] = value;
  const x = scratchU32[0]!;
  const sign = (x >>> 16) & 0x8000;
  let exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (exp <= 0) return sign; // flush tiny values to zero
  if (exp >= 31) return sign | 0x7c00;
  exp = exp & 0x1f;
  return sign | (exp << 10) | (mant >>> 13);
}

class Writer {
  private chunks: Buffer[] = [];
  size = 0;
  push(buf: Buffer): void {
    this.chunks.push(buf);
    this.size += buf.length;
  }
  i32(...values: number[]): void {
    const b = Buffer.alloc(4 * values.length);
    values.forEach((v, i) => b.writeInt32LE(v, 4 * i));
    this.push(b);
  }
  u32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value >>> 0, 0);
    this.push(b);
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}

/** Readable, ASCII-only vocabulary; id 220 must be " " (whisper.cpp looks it up while sampling). */
function vocabulary(): string[] {
  const syllables = [
    'ka',
    'lo',
    'mi',
    'ne',
    'ru',
    'sa',
    'to',
    'vi',
    'da',
    'pe',
    'zo',
    'ha',
    'gu',
    'be',
    'fi',
    'ju',
  ];
  const tokens: string[] = [];
  for (let i = 0; i < BASE_TOKENS; i++) {
    if (i === 220) tokens.push(' ');
    else if (i < 256) tokens.push(String.fromCharCode(33 + (i % 94)));
    else {
      const a = syllables[i % 16]!;
      const b = syllables[(i >>> 4) % 16]!;
      tokens.push((i % 3 === 0 ? ' ' : '') + a + b + (i % 7 === 0 ? '.' : ''));
    }
  }
  return tokens;
}

/** Build the model file in memory. */
export function buildTinyWhisperModel(options: TinyWhisperOptions = {}): Buffer {
  const S = options.width ?? 64;
  const encLayers = options.encoderLayers ?? 1;
  const decLayers = options.decoderLayers ?? 1;
  const heads = options.heads ?? Math.max(1, Math.floor(S / 64));
  const ftype = options.ftype ?? 1;
  const rand = rng(options.seed ?? 1234);
  const w = new Writer();

  w.u32(0x67676d6c);
  w.i32(N_VOCAB, N_AUDIO_CTX, S, heads, encLayers, N_TEXT_CTX, S, heads, decLayers, N_MELS, ftype);

  // Mel filters: triangular filters spread over the FFT bins, roughly like the real ones.
  w.i32(N_MELS, N_FFT);
  const filters = new Float32Array(N_MELS * N_FFT);
  for (let m = 0; m < N_MELS; m++) {
    const centre = 1 + (m * (N_FFT - 2)) / N_MELS;
    const halfWidth = 2 + m / 10;
    for (let k = 0; k < N_FFT; k++)
      filters[m * N_FFT + k] = Math.max(0, 1 - Math.abs(k - centre) / halfWidth) * 0.02;
  }
  w.push(Buffer.from(filters.buffer));

  const vocab = vocabulary();
  w.i32(vocab.length);
  for (const token of vocab) {
    const bytes = Buffer.from(token, 'utf8');
    w.u32(bytes.length);
    w.push(bytes);
  }

  const tensor = (
    name: string,
    extents: number[],
    kind: 'weight' | 'f32' | 'ones' | 'zeros',
    scale = 0.05,
  ): void => {
    const half = kind === 'weight' && ftype === 1;
    const count = extents.reduce((a, b) => a * b, 1);
    const nameBytes = Buffer.from(name, 'utf8');
    w.i32(extents.length, nameBytes.length, half ? 1 : 0, ...extents);
    w.push(nameBytes);
    if (half) {
      const data = new Uint16Array(count);
      for (let i = 0; i < count; i++) data[i] = toHalf((rand() * 2 - 1) * scale);
      w.push(Buffer.from(data.buffer));
    } else {
      const data = new Float32Array(count);
      if (kind === 'ones') data.fill(1);
      else if (kind !== 'zeros') for (let i = 0; i < count; i++) data[i] = (rand() * 2 - 1) * scale;
      w.push(Buffer.from(data.buffer));
    }
  };

  const block = (prefix: string, cross: boolean): void => {
    const attn = (p: string): void => {
      tensor(`${p}_ln.weight`, [S], 'ones');
      tensor(`${p}_ln.bias`, [S], 'zeros');
      tensor(`${p}.query.weight`, [S, S], 'weight');
      tensor(`${p}.query.bias`, [S], 'f32', 0.01);
      tensor(`${p}.key.weight`, [S, S], 'weight');
      tensor(`${p}.value.weight`, [S, S], 'weight');
      tensor(`${p}.value.bias`, [S], 'f32', 0.01);
      tensor(`${p}.out.weight`, [S, S], 'weight');
      tensor(`${p}.out.bias`, [S], 'f32', 0.01);
    };
    tensor(`${prefix}.mlp_ln.weight`, [S], 'ones');
    tensor(`${prefix}.mlp_ln.bias`, [S], 'zeros');
    tensor(`${prefix}.mlp.0.weight`, [S, 4 * S], 'weight');
    tensor(`${prefix}.mlp.0.bias`, [4 * S], 'f32', 0.01);
    tensor(`${prefix}.mlp.2.weight`, [4 * S, S], 'weight');
    tensor(`${prefix}.mlp.2.bias`, [S], 'f32', 0.01);
    attn(`${prefix}.attn`);
    if (cross) attn(`${prefix}.cross_attn`);
  };

  tensor('encoder.positional_embedding', [S, N_AUDIO_CTX], 'f32');
  tensor('encoder.conv1.weight', [3, N_MELS, S], 'weight');
  tensor('encoder.conv1.bias', [1, S], 'f32', 0.01);
  tensor('encoder.conv2.weight', [3, S, S], 'weight');
  tensor('encoder.conv2.bias', [1, S], 'f32', 0.01);
  tensor('encoder.ln_post.weight', [S], 'ones');
  tensor('encoder.ln_post.bias', [S], 'zeros');
  for (let i = 0; i < encLayers; i++) block(`encoder.blocks.${i}`, false);

  tensor('decoder.positional_embedding', [S, N_TEXT_CTX], 'f32');
  tensor('decoder.token_embedding.weight', [S, N_VOCAB], 'weight');
  tensor('decoder.ln.weight', [S], 'ones');
  tensor('decoder.ln.bias', [S], 'zeros');
  for (let i = 0; i < decLayers; i++) block(`decoder.blocks.${i}`, true);

  return w.toBuffer();
}

const cache = new Map<string, string>();

/** Write a tiny model to a temp dir (once per process per option set) and return its path. */
export function tinyWhisperModelPath(options: TinyWhisperOptions = {}, dir?: string): string {
  const key = JSON.stringify(options) + (dir ?? '');
  const known = cache.get(key);
  if (known && existsSync(known)) return known;
  const S = options.width ?? 64;
  const file = path.join(
    dir ?? tempDir('prechew-whisper-'),
    `ggml-tiny-random-w${S}-l${options.encoderLayers ?? 1}.bin`,
  );
  writeFileSync(file, buildTinyWhisperModel(options));
  cache.set(key, file);
  return file;
}
