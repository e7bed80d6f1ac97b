/**
 * Generates a small random-weight llama-architecture GGUF (v3) so the real node-llama-cpp path can
 * run in tests and benchmarks without downloading a model. Output is gibberish; loading,
 * tokenizing, generating, grammars and timing are real. Width and depth are parameters so a
 * benchmark can build a model of realistic width (throughput does not depend on trained weights).
 * Facts used here are recorded in shared/notes/test-models.md.
 */
import { writeFileSync } from 'node:fs';
import { mulberry32 as makeRandom } from './random.js';

export interface TinyGgufOptions {
  /** Embedding width (default 64). Must be a multiple of `heads`. */
  embd?: number;
  layers?: number;
  heads?: number;
  /** Feed-forward width (default 2 × embd). */
  ff?: number;
  contextLength?: number;
  /** Extra synthetic word pieces to reach a realistic vocabulary size (default 0). */
  extraVocab?: number;
  /** Tensor storage: F32 everywhere, or F16 for matrices (norms stay F32). */
  type?: 'f32' | 'f16';
  seed?: number;
  /** Standard deviation of the random weights. */
  scale?: number;
  name?: string;
  chatTemplate?: string | false;
}

const WORDS = (
  'the of and to in a is that for it as was with be by on not he i this are or his from at which but have an they you were her she ' +
  'there one all we their been has would when who will more if no out so said what up its about into than them can only other new ' +
  'some could time these two may then do first any my now such like our over man me even most made after also did many before must ' +
  'through back years where much your way well down should because each just those people how too little state good very make world ' +
  'still own see men work long get here between both life being under never day same another know while last might us great old year ' +
  'off come since against go came right used take three company market report said percent million government city police court ' +
  'president minister police school water health data model summary text news people week month today price sales growth customer ' +
  'ticket refund order delivery late broken great bad good happy angry love hate excellent terrible positive negative neutral label ' +
  'answer question system user assistant summarize classify'
).split(' ');

const CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:!?\'"()-_/%$&@#*+=<>[]{}';

export const TINY_CHAT_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";


function gaussianFill(n: number, scale: number, rand: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u)) * scale;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

const f32buf = new Float32Array(1);
const u32view = new Uint32Array(f32buf.buffer);
function toHalf(value: number): number {
  f32buf[0] = value;
  const x = u32view[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (exp <= 0) {
    if (exp < -10) return sign;
    const m = (mant | 0x800000) >>> (1 - exp);
    return sign | ((m + 0x1000) >>> 13);
  }
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | ((mant + 0x1000) >>> 13);
}

class Writer {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
  pad(alignment: number): void {
    const rem = this.length % alignment;
    if (rem) this.push(Buffer.alloc(alignment - rem));
  }
  buffer(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

type MetaValue =
  | { t: 'u32'; v: number }
  | { t: 'i32'; v: number }
  | { t: 'f32'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'str'; v: string }
  | { t: 'arr_str'; v: string[] }
  | { t: 'arr_f32'; v: number[] }
  | { t: 'arr_i32'; v: number[] };

function writeMeta(w: Writer, key: string, value: MetaValue): void {
  w.str(key);
  switch (value.t) {
    case 'u32':
      w.u32(4);
      w.u32(value.v);
      break;
    case 'i32':
      w.u32(5);
      w.i32(value.v);
      break;
    case 'f32':
      w.u32(6);
      w.f32(value.v);
      break;
    case 'bool':
      w.u32(7);
      w.push(Buffer.from([value.v ? 1 : 0]));
      break;
    case 'str':
      w.u32(8);
      w.str(value.v);
      break;
    case 'arr_str':
      w.u32(9);
      w.u32(8);
      w.u64(value.v.length);
      for (const s of value.v) w.str(s);
      break;
    case 'arr_f32':
      w.u32(9);
      w.u32(6);
      w.u64(value.v.length);
      for (const n of value.v) w.f32(n);
      break;
    case 'arr_i32':
      w.u32(9);
      w.u32(5);
      w.u64(value.v.length);
      for (const n of value.v) w.i32(n);
      break;
  }
}

/** SentencePiece-style vocabulary: <unk> <s> </s>, chat control tokens, 256 byte tokens, word pieces. */
export function tinyVocabulary(extra = 0): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens: string[] = ['<unk>', '<s>', '</s>', '<|im_start|>', '<|im_end|>'];
  const types: number[] = [2, 3, 3, 3, 3];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6);
  }
  const pieces = new Set<string>();
  pieces.add('▁');
  for (const c of CHARS) {
    pieces.add(c);
    pieces.add('▁' + c);
  }
  for (const word of WORDS) {
    pieces.add('▁' + word);
    pieces.add(word);
  }
  for (let i = 0; i < extra; i++) pieces.add(`▁w${i.toString(36)}`);
  const scores: number[] = tokens.map(() => 0);
  for (const piece of pieces) {
    tokens.push(piece);
    types.push(1);
    // Longer pieces win merges, as in a trained SentencePiece model.
    scores.push(-100 + piece.length);
  }
  return { tokens, scores, types };
}

/** Build the GGUF bytes. */
export function buildTinyGguf(options: TinyGgufOptions = {}): Buffer {
  const embd = options.embd ?? 64;
  const layers = options.layers ?? 2;
  const heads = options.heads ?? 4;
  const ff = options.ff ?? embd * 2;
  const ctx = options.contextLength ?? 2048;
  const scale = options.scale ?? 0.02;
  const f16 = options.type === 'f16';
  const rand = makeRandom(options.seed ?? 42);
  const vocab = tinyVocabulary(options.extraVocab ?? 0);
  const nVocab = vocab.tokens.length;
  if (embd % heads !== 0) throw new Error('embd must be a multiple of heads');

  const meta: Array<[string, MetaValue]> = [
    ['general.architecture', { t: 'str', v: 'llama' }],
    ['general.name', { t: 'str', v: options.name ?? 'prechew-tiny-test' }],
    ['general.alignment', { t: 'u32', v: 32 }],
    ['general.file_type', { t: 'u32', v: f16 ? 1 : 0 }],
    ['llama.context_length', { t: 'u32', v: ctx }],
    ['llama.embedding_length', { t: 'u32', v: embd }],
    ['llama.block_count', { t: 'u32', v: layers }],
    ['llama.feed_forward_length', { t: 'u32', v: ff }],
    ['llama.attention.head_count', { t: 'u32', v: heads }],
    ['llama.attention.head_count_kv', { t: 'u32', v: heads }],
    ['llama.rope.dimension_count', { t: 'u32', v: embd / heads }],
    ['llama.rope.freq_base', { t: 'f32', v: 10000 }],
    ['llama.attention.layer_norm_rms_epsilon', { t: 'f32', v: 1e-5 }],
    ['llama.vocab_size', { t: 'u32', v: nVocab }],
    ['tokenizer.ggml.model', { t: 'str', v: 'llama' }],
    ['tokenizer.ggml.tokens', { t: 'arr_str', v: vocab.tokens }],
    ['tokenizer.ggml.scores', { t: 'arr_f32', v: vocab.scores }],
    ['tokenizer.ggml.token_type', { t: 'arr_i32', v: vocab.types }],
    ['tokenizer.ggml.unknown_token_id', { t: 'u32', v: 0 }],
    ['tokenizer.ggml.bos_token_id', { t: 'u32', v: 1 }],
    ['tokenizer.ggml.eos_token_id', { t: 'u32', v: 2 }],
    ['tokenizer.ggml.add_bos_token', { t: 'bool', v: true }],
    ['tokenizer.ggml.add_eos_token', { t: 'bool', v: false }],
  ];
  if (options.chatTemplate !== false)
    meta.push(['tokenizer.chat_template', { t: 'str', v: options.chatTemplate ?? TINY_CHAT_TEMPLATE }]);

  // [name, dims (input dimension first), is a matrix (F16-eligible), fill]
  const tensors: Array<{ name: string; dims: number[]; matrix: boolean; norm: boolean }> = [
    { name: 'token_embd.weight', dims: [embd, nVocab], matrix: true, norm: false },
    { name: 'output_norm.weight', dims: [embd], matrix: false, norm: true },
    { name: 'output.weight', dims: [embd, nVocab], matrix: true, norm: false },
  ];
  for (let i = 0; i < layers; i++) {
    const p = `blk.${i}.`;
    tensors.push(
      { name: p + 'attn_norm.weight', dims: [embd], matrix: false, norm: true },
      { name: p + 'attn_q.weight', dims: [embd, embd], matrix: true, norm: false },
      { name: p + 'attn_k.weight', dims: [embd, embd], matrix: true, norm: false },
      { name: p + 'attn_v.weight', dims: [embd, embd], matrix: true, norm: false },
      { name: p + 'attn_output.weight', dims: [embd, embd], matrix: true, norm: false },
      { name: p + 'ffn_norm.weight', dims: [embd], matrix: false, norm: true },
      { name: p + 'ffn_gate.weight', dims: [embd, ff], matrix: true, norm: false },
      { name: p + 'ffn_up.weight', dims: [embd, ff], matrix: true, norm: false },
      { name: p + 'ffn_down.weight', dims: [ff, embd], matrix: true, norm: false },
    );
  }

  const header = new Writer();
  header.push(Buffer.from('GGUF', 'ascii'));
  header.u32(3);
  header.u64(tensors.length);
  header.u64(meta.length);
  for (const [k, v] of meta) writeMeta(header, k, v);

  const data = new Writer();
  const infos: Array<{ name: string; dims: number[]; type: number; offset: number }> = [];
  for (const t of tensors) {
    data.pad(32);
    const n = t.dims.reduce((a, b) => a * b, 1);
    const values = t.norm ? new Float32Array(n).fill(1) : gaussianFill(n, scale, rand);
    const half = f16 && t.matrix;
    infos.push({ name: t.name, dims: t.dims, type: half ? 1 : 0, offset: data.length });
    if (half) {
      const out = Buffer.alloc(n * 2);
      for (let i = 0; i < n; i++) out.writeUInt16LE(toHalf(values[i]!), i * 2);
      data.push(out);
    } else {
      data.push(Buffer.from(values.buffer, values.byteOffset, values.byteLength));
    }
  }
  for (const info of infos) {
    header.str(info.name);
    header.u32(info.dims.length);
    for (const d of info.dims) header.u64(d);
    header.u32(info.type);
    header.u64(info.offset);
  }
  header.pad(32);
  return Buffer.concat([header.buffer(), data.buffer()]);
}

/** Write a tiny GGUF to `file` and return the path. */
export function writeTinyGguf(file: string, options: TinyGgufOptions = {}): string {
  writeFileSync(file, buildTinyGguf(options));
  return file;
}

/**
 * A legacy ggml whisper `.bin` header only (magic + 11 hparams + a little padding): enough for the
 * model listing, which reads the header without loading the model.
 */
export function buildWhisperHeader(hparams: {
  nAudioState: number;
  nAudioLayer: number;
  ftype?: number;
  nVocab?: number;
}): Buffer {
  const b = Buffer.alloc(4 + 11 * 4 + 64);
  b.writeUInt32LE(0x67676d6c, 0);
  const values = [
    hparams.nVocab ?? 51864,
    1500,
    hparams.nAudioState,
    hparams.nAudioState / 64,
    hparams.nAudioLayer,
    448,
    hparams.nAudioState,
    hparams.nAudioState / 64,
    hparams.nAudioLayer,
    80,
    hparams.ftype ?? 1,
  ];
  values.forEach((v, i) => b.writeInt32LE(Math.max(1, Math.round(v)), 4 + i * 4));
  return b;
}
