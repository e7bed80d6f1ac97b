/**
 * Model files: where they are looked for, what they are (read from file metadata, never by
 * loading them), and downloading new ones with resume. Used by the llama engine to pick a model,
 * by `prechew models` and by the MCP resource `prechew://models`.
 */
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { PrechewError } from '../errors.js';
import { addonInstallCommand, isModuleMissing } from './addons.js';

export interface ModelFileInfo {
  /** Absolute path. */
  path: string;
  name: string;
  format: 'gguf' | 'ggml';
  /** llm: a GGUF language model; whisper: a whisper.cpp ggml model; other: GGUF that is not a text generator (embeddings, projectors). */
  kind: 'llm' | 'whisper' | 'other';
  architecture?: string | undefined;
  /** Number of weights, when known. */
  parameters?: number | undefined;
  /** Human label: 0.5B, 7B, base, small… */
  sizeLabel?: string | undefined;
  /** Storage type: Q4_K_M, F16, F32… */
  quantization?: string | undefined;
  contextLength?: number | undefined;
  bytes: number;
  /** Set when the file could not be read as a model. */
  error?: string | undefined;
}

/** GGUF architectures that cannot generate text (embedding encoders, vision projectors). */
const NON_GENERATIVE = new Set([
  'bert',
  'nomic-bert',
  'nomic-bert-moe',
  'jina-bert-v2',
  'clip',
  't5encoder',
  'neo-bert',
  'modern-bert',
  'wavtokenizer-dec',
]);

/**
 * Where models are looked for, in order: models.dir (default ./models under the working
 * directory), `<data.dir>/models`, then models.paths (directories or files).
 */
export function modelSearchPaths(config: Pick<Config, 'models' | 'data'>, cwd = process.cwd()): string[] {
  const out: string[] = [];
  const add = (p: string | undefined) => {
    if (!p) return;
    const abs = path.resolve(cwd, p);
    if (!out.includes(abs)) out.push(abs);
  };
  add(config.models.dir ?? path.join(cwd, 'models'));
  if (config.data.dir) add(path.join(config.data.dir, 'models'));
  for (const p of config.models.paths) add(p);
  return out;
}

function isModelFileName(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.endsWith('.gguf') || lower.endsWith('.bin');
}

/** Model files under the search paths (two levels deep), in a stable order, without duplicates. */
export async function findModelFiles(searchPaths: string[]): Promise<string[]> {
  const found: string[] = [];
  const seen = new Set<string>();
  const push = async (file: string) => {
    const real = await fs.realpath(file).catch(() => file);
    if (seen.has(real)) return;
    seen.add(real);
    found.push(file);
  };
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && depth < 2) await walk(full, depth + 1);
      else if ((entry.isFile() || entry.isSymbolicLink()) && isModelFileName(entry.name)) await push(full);
    }
  };
  for (const p of searchPaths) {
    const stat = await fs.stat(p).catch(() => undefined);
    if (!stat) continue;
    if (stat.isDirectory()) await walk(p, 0);
    else if (stat.isFile()) await push(p);
  }
  return found;
}

async function readHead(file: string, bytes: number): Promise<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export async function isGgufFile(file: string): Promise<boolean> {
  const head = await readHead(file, 4).catch(() => Buffer.alloc(0));
  return head.toString('latin1') === 'GGUF';
}

export function formatParameterCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(n >= 1e10 ? 0 : 1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e8 ? 0 : 1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)}K`;
  return String(n);
}

async function readGgufInfo(file: string, bytes: number): Promise<ModelFileInfo> {
  const base: ModelFileInfo = { path: file, name: path.basename(file), format: 'gguf', kind: 'other', bytes };
  // Sanity-check the fixed header first: the metadata reader can spin on absurd counts.
  const head = await readHead(file, 24);
  if (head.length < 24) return { ...base, error: 'not a readable GGUF file (truncated header)' };
  const version = head.readUInt32LE(4);
  const tensorCount = head.readBigUInt64LE(8);
  const kvCount = head.readBigUInt64LE(16);
  if (version < 1 || version > 3 || tensorCount > 1_000_000n || kvCount > 100_000n) {
    return { ...base, error: 'not a readable GGUF file (corrupt header)' };
  }
  let llamaModule: typeof import('node-llama-cpp');
  try {
    llamaModule = await import('node-llama-cpp');
  } catch (error) {
    if (!isModuleMissing(error, 'node-llama-cpp')) throw error;
    return { ...base, kind: 'llm', error: `GGUF details need node-llama-cpp (not installed): ${addonInstallCommand('node-llama-cpp')}` };
  }
  const { readGgufFileInfo, GgufFileType } = llamaModule;
  try {
    const info = await readGgufFileInfo(file, {
      readTensorInfo: true,
      logWarnings: false,
      sourceType: 'filesystem',
      // Vocabulary arrays are most of the metadata of a real model and are not needed here.
      ignoreKeys: [
        'tokenizer.ggml.tokens',
        'tokenizer.ggml.scores',
        'tokenizer.ggml.token_type',
        'tokenizer.ggml.merges',
      ],
    });
    const archMeta = info.architectureMetadata as unknown as Record<string, unknown>;
    const general = info.metadata.general as unknown as Record<string, unknown>;
    const arch = typeof general.architecture === 'string' ? general.architecture : undefined;
    let parameters = 0;
    let lastOffset = 0;
    for (const t of info.tensorInfo ?? []) {
      parameters += t.dimensions.reduce<number>((a, d) => a * Number(d), 1);
      lastOffset = Math.max(lastOffset, Number(t.fileOffset));
    }
    // The reader does not notice a file cut short; tensors must start inside the file.
    if ((info.infoEndOffset ?? 0) > bytes || (info.tensorInfo?.length && lastOffset >= bytes)) {
      return {
        ...base,
        architecture: arch,
        error: 'not a readable GGUF file (truncated: the tensor data is cut off; re-download it)',
      };
    }
    const fileType = typeof general.file_type === 'number' ? general.file_type : undefined;
    const typeName =
      fileType !== undefined ? (GgufFileType as unknown as Record<number, string>)[fileType] : undefined;
    const sizeLabel =
      typeof general.size_label === 'string'
        ? general.size_label
        : parameters > 0
          ? formatParameterCount(parameters)
          : undefined;
    return {
      ...base,
      kind: arch && !NON_GENERATIVE.has(arch) ? 'llm' : 'other',
      architecture: arch,
      parameters: parameters || undefined,
      sizeLabel,
      quantization: typeName ? typeName.replace(/^(MOSTLY_|ALL_)/, '') : undefined,
      contextLength: typeof archMeta?.context_length === 'number' ? archMeta.context_length : undefined,
    };
  } catch {
    return { ...base, error: 'not a readable GGUF file (truncated or corrupt?)' };
  }
}

const WHISPER_SIZES: Array<{ state: number; layers: number; label: string; parameters: number }> = [
  { state: 384, layers: 4, label: 'tiny', parameters: 39e6 },
  { state: 512, layers: 6, label: 'base', parameters: 74e6 },
  { state: 768, layers: 12, label: 'small', parameters: 244e6 },
  { state: 1024, layers: 24, label: 'medium', parameters: 769e6 },
  { state: 1280, layers: 32, label: 'large', parameters: 1550e6 },
];

const GGML_FTYPES: Record<number, string> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  7: 'Q8_0',
  8: 'Q5_0',
  9: 'Q5_1',
};

/** Read the 11 int32 hparams of a legacy ggml whisper `.bin`; undefined when it is not one. */
export function parseWhisperHeader(
  head: Buffer,
):
  | {
      nVocab: number;
      nAudioCtx: number;
      nAudioState: number;
      nAudioLayer: number;
      nTextCtx: number;
      nMels: number;
      ftype: number;
    }
  | undefined {
  if (head.length < 48 || head.readUInt32LE(0) !== 0x67676d6c) return undefined;
  const h = (i: number) => head.readInt32LE(4 + i * 4);
  return {
    nVocab: h(0),
    nAudioCtx: h(1),
    nAudioState: h(2),
    nAudioLayer: h(4),
    nTextCtx: h(5),
    nMels: h(9),
    ftype: h(10),
  };
}

async function readWhisperInfo(file: string, bytes: number): Promise<ModelFileInfo | undefined> {
  const hp = parseWhisperHeader(await readHead(file, 48));
  if (!hp) return undefined;
  const size = WHISPER_SIZES.find((s) => s.state === hp.nAudioState && s.layers === hp.nAudioLayer);
  const english = hp.nVocab === 51864;
  const label = size
    ? `${size.label}${size.label === 'large' && hp.nMels === 128 ? '-v3' : ''}${english ? '.en' : ''}`
    : `custom (width ${hp.nAudioState}, ${hp.nAudioLayer} layers)`;
  const ftype = hp.ftype % 1000;
  return {
    path: file,
    name: path.basename(file),
    format: 'ggml',
    kind: 'whisper',
    architecture: 'whisper',
    parameters: size?.parameters,
    sizeLabel: label,
    quantization: GGML_FTYPES[ftype] ?? `type ${ftype}`,
    contextLength: hp.nTextCtx,
    bytes,
  };
}

/** What a model file is, from its header and metadata only. Undefined for `.bin` files that are not ggml models. */
export async function readModelInfo(file: string): Promise<ModelFileInfo | undefined> {
  const stat = await fs.stat(file);
  if (await isGgufFile(file)) return readGgufInfo(file, stat.size);
  if (file.toLowerCase().endsWith('.bin')) return readWhisperInfo(file, stat.size);
  return {
    path: file,
    name: path.basename(file),
    format: 'gguf',
    kind: 'other',
    bytes: stat.size,
    error: 'not a GGUF file (wrong magic bytes)',
  };
}

export async function listModels(
  config: Pick<Config, 'models' | 'data'>,
  cwd?: string,
): Promise<ModelFileInfo[]> {
  const files = await findModelFiles(modelSearchPaths(config, cwd));
  const out: ModelFileInfo[] = [];
  for (const file of files) {
    const info = await readModelInfo(file).catch(() => undefined);
    if (info) out.push(info);
  }
  return out;
}

/**
 * The GGUF the llama engine should load: models.llm.path (a path, or a file name looked up in the
 * search paths), else the first generative GGUF found. Undefined when there is none.
 */
export async function resolveLlmModelPath(
  config: Pick<Config, 'models' | 'data'>,
  cwd = process.cwd(),
): Promise<{ path?: string; reason?: string }> {
  const search = modelSearchPaths(config, cwd);
  const configured = config.models.llm.path;
  if (configured) {
    const candidates = path.isAbsolute(configured)
      ? [configured]
      : [path.resolve(cwd, configured), ...search.map((dir) => path.join(dir, configured))];
    for (const c of candidates) {
      const stat = await fs.stat(c).catch(() => undefined);
      if (stat?.isFile()) return { path: c };
    }
    return {
      reason: `models.llm.path is set to "${configured}" but no such file exists (looked in ${candidates.length} places, including ${search[0] ?? 'models/'}).`,
    };
  }
  let broken: string | undefined;
  for (const file of await findModelFiles(search)) {
    if (!file.toLowerCase().endsWith('.gguf') || /mmproj/i.test(path.basename(file))) continue;
    if (!(await isGgufFile(file))) continue;
    const info = await readModelInfo(file).catch(() => undefined);
    if (info?.kind === 'llm' && !info.error) return { path: file };
    if (info?.error) broken ??= file;
  }
  // Only damaged GGUFs: return one so loading it reports exactly what is wrong with it.
  if (broken) return { path: broken };
  return { reason: `no GGUF language model found in ${search.join(', ')}.` };
}

function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${n} B`;
}

/** A plain-text table for `prechew models`. */
export function formatModelTable(list: ModelFileInfo[], searchPaths: string[] = []): string {
  if (list.length === 0) {
    return [
      'No model files found.',
      searchPaths.length ? `Looked in: ${searchPaths.join(', ')}` : '',
      'Put a .gguf language model (e.g. a Q4_K_M quantized Qwen, Llama, Phi or Gemma) or a whisper ggml .bin in models/,',
      'set models.llm.path / models.whisper.path, or run `prechew models pull hf:owner/repo/file.gguf`.',
    ]
      .filter(Boolean)
      .join('\n');
  }
  const header = ['NAME', 'KIND', 'ARCH', 'PARAMS', 'QUANT', 'CONTEXT', 'SIZE'];
  const rows = list.map((m) => [
    m.name,
    m.error ? 'invalid' : m.kind,
    m.architecture ?? '-',
    m.sizeLabel ?? (m.parameters ? formatParameterCount(m.parameters) : '-'),
    m.quantization ?? '-',
    m.contextLength ? String(m.contextLength) : '-',
    formatBytes(m.bytes),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [line(header), ...rows.map(line)];
  const broken = list.filter((m) => m.error);
  for (const m of broken) out.push(`! ${m.name}: ${m.error}`);
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Downloads

export interface PullProgress {
  received: number;
  total: number | undefined;
}

export interface PullOptions {
  dir: string;
  onProgress?: (p: PullProgress) => void;
  signal?: AbortSignal | undefined;
  /** Time allowed to connect and get response headers (default 15 s). */
  connectTimeoutMs?: number;
}

export interface PullResult {
  path: string;
  bytes: number;
  /** Bytes that were already on disk from an earlier, interrupted download. */
  resumedFrom: number;
  alreadyPresent: boolean;
}

/** `hf:owner/repo/path/file.gguf` → the Hugging Face resolve URL; http(s) URLs pass through. */
export function resolvePullSource(source: string): { url: string; fileName: string } {
  let url: URL;
  if (source.startsWith('hf:')) {
    const parts = source.slice(3).split('/').filter(Boolean);
    if (parts.length < 3) {
      throw new PrechewError(
        'INVALID_INPUT',
        `"${source}" is not a Hugging Face file reference: use hf:owner/repo/file.gguf.`,
      );
    }
    const [owner, repo, ...file] = parts;
    url = new URL(
      `https://huggingface.co/${owner}/${repo}/resolve/main/${file.map(encodeURIComponent).join('/')}`,
    );
  } else {
    try {
      url = new URL(source);
    } catch {
      throw new PrechewError('INVALID_INPUT', `"${source}" is neither a URL nor hf:owner/repo/file.gguf.`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new PrechewError(
        'INVALID_INPUT',
        `Only http(s) URLs and hf: references can be pulled, not ${url.protocol}`,
      );
    }
  }
  const last = decodeURIComponent(url.pathname.split('/').filter(Boolean).pop() ?? '');
  const fileName = last.replace(/[^\w.\-+]/g, '_');
  if (!fileName || fileName.startsWith('.') || !/\.(gguf|bin)$/i.test(fileName)) {
    throw new PrechewError(
      'INVALID_INPUT',
      `The URL must point to a .gguf or .bin model file (got "${last || url.pathname}").`,
    );
  }
  return { url: url.toString(), fileName };
}

function networkError(url: string, error: unknown): PrechewError {
  const host = new URL(url).host;
  const cause = (error as { cause?: { code?: string } })?.cause?.code ?? (error as { code?: string })?.code;
  const why =
    cause === 'ECONNREFUSED'
      ? 'connection refused'
      : cause === 'ENOTFOUND' || cause === 'EAI_AGAIN'
        ? 'host name not resolvable (offline?)'
        : 'no connection';
  return new PrechewError(
    'PROVIDER_ERROR',
    `Cannot download from ${host}: ${why}. Check the network connection, or download the file another way and put it in the models directory.`,
    { host },
  );
}

/**
 * Download a model file to `dir`, writing to `<file>.part` and resuming it with an HTTP Range
 * request; the size is checked against the server's length before the file is renamed into
 * place. Fails fast when the host cannot be reached.
 */
export async function pullModel(source: string, options: PullOptions): Promise<PullResult> {
  const { url, fileName } = resolvePullSource(source);
  await fs.mkdir(options.dir, { recursive: true });
  const dest = path.join(options.dir, fileName);
  const part = dest + '.part';
  const existing = await fs.stat(dest).catch(() => undefined);
  if (existing?.isFile()) return { path: dest, bytes: existing.size, resumedFrom: 0, alreadyPresent: true };

  let start = (await fs.stat(part).catch(() => undefined))?.size ?? 0;
  const connect = new AbortController();
  const timer = setTimeout(() => connect.abort(), options.connectTimeoutMs ?? 15_000);
  const onAbort = () => connect.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let response: Response;
  try {
    response = await fetch(url, {
      headers: start > 0 ? { Range: `bytes=${start}-` } : {},
      signal: connect.signal,
      redirect: 'follow',
    });
  } catch (error) {
    if (options.signal?.aborted) throw new PrechewError('CANCELLED', 'The download was cancelled.');
    if (connect.signal.aborted) {
      throw new PrechewError(
        'TIMEOUT',
        `No response from ${new URL(url).host} within ${Math.round((options.connectTimeoutMs ?? 15_000) / 1000)} s. Check the network connection and try again.`,
      );
    }
    throw networkError(url, error);
  } finally {
    clearTimeout(timer);
  }
  try {
    let total: number | undefined;
    if (response.status === 416 && start > 0) {
      // The part file is already complete (or larger than the file): start over to be safe.
      await response.body?.cancel();
      await fs.rm(part, { force: true });
      return pullModel(source, options);
    }
    if (!response.ok) {
      await response.body?.cancel();
      const hint =
        response.status === 404
          ? ' (check the owner, repository and file name)'
          : response.status === 401 || response.status === 403
            ? ' (the repository may be gated or private)'
            : '';
      throw new PrechewError(
        'PROVIDER_ERROR',
        `Download failed: ${new URL(url).host} answered HTTP ${response.status}${hint}.`,
        { status: response.status },
      );
    }
    if (response.status === 206) {
      const match = /bytes (\d+)-\d+\/(\d+)/.exec(response.headers.get('content-range') ?? '');
      if (!match || Number(match[1]) !== start) {
        await response.body?.cancel();
        await fs.rm(part, { force: true });
        return pullModel(source, options);
      }
      total = Number(match[2]);
    } else {
      // 200: the server ignored the Range header, so the download starts from scratch.
      start = 0;
      const length = response.headers.get('content-length');
      total = length !== null ? Number(length) : undefined;
    }
    const resumedFrom = start;
    let received = start;
    options.onProgress?.({ received, total });
    const out = createWriteStream(part, { flags: start > 0 ? 'a' : 'w' });
    const closed = new Promise<void>((resolve, reject) => {
      out.on('close', resolve);
      out.on('error', reject);
    });
    try {
      if (!response.body)
        throw new PrechewError('PROVIDER_ERROR', 'Download failed: the server sent no body.');
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
        received += chunk.byteLength;
        options.onProgress?.({ received, total });
      }
    } catch (error) {
      out.end();
      await closed.catch(() => undefined);
      if (options.signal?.aborted)
        throw new PrechewError(
          'CANCELLED',
          `The download was cancelled; run the same command again to resume from ${received} bytes.`,
        );
      if (error instanceof PrechewError) throw error;
      throw new PrechewError(
        'PROVIDER_ERROR',
        `The download was interrupted after ${received} bytes; run the same command again to resume.`,
      );
    }
    out.end();
    await closed;
    const size = (await fs.stat(part)).size;
    if (total !== undefined && size !== total) {
      throw new PrechewError(
        'CORRUPT_FILE',
        `The download is incomplete: ${size} of ${total} bytes. Run the same command again to resume.`,
        { size, total },
      );
    }
    if (fileName.toLowerCase().endsWith('.gguf') && !(await isGgufFile(part))) {
      await fs.rm(part, { force: true });
      throw new PrechewError(
        'MODEL_INVALID',
        'The downloaded file is not a GGUF model (the server may have sent an error page); it was deleted.',
      );
    }
    await fs.rename(part, dest);
    return { path: dest, bytes: size, resumedFrom, alreadyPresent: false };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

// ---------------------------------------------------------------------------------------------
// CLI and MCP resource

export interface CommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether err is a terminal (progress bar redraws in place). */
  errIsTty?: boolean;
}


function progressBar(p: PullProgress, startedAt: number): string {
  const secs = Math.max(0.001, (Date.now() - startedAt) / 1000);
  const rate = `${formatBytes(p.received / secs)}/s`;
  if (!p.total) return `${formatBytes(p.received)} ${rate}`;
  const frac = Math.min(1, p.received / p.total);
  const width = 30;
  const filled = Math.round(frac * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(frac * 100).toFixed(1)}% ${formatBytes(p.received)}/${formatBytes(p.total)} ${rate}`;
}

const MODELS_USAGE = `Usage:
  prechew models [--json]                 list model files (GGUF language models, whisper ggml .bin)
  prechew models pull <url | hf:owner/repo/file.gguf> [--dir DIR]
                                          download a model into models/ (resumable)`;

/** `prechew models …`; returns the exit code. */
export async function modelsCommand(
  argv: string[],
  config: Config,
  io: CommandIo,
  signal?: AbortSignal,
): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub === undefined || sub === 'list' || sub === '--json') {
      const json = argv.includes('--json');
      const search = modelSearchPaths(config);
      const list = await listModels(config);
      io.out(
        json
          ? JSON.stringify({ searchPaths: search, models: list }, null, 2) + '\n'
          : formatModelTable(list, search) + '\n',
      );
      return 0;
    }
    if (sub === 'pull') {
      const source = rest.find((a, i) => !a.startsWith('--') && rest[i - 1] !== '--dir');
      const dirIndex = rest.indexOf('--dir');
      const dir = dirIndex >= 0 ? rest[dirIndex + 1] : undefined;
      if (!source) {
        io.err(MODELS_USAGE + '\n');
        return 2;
      }
      const target = path.resolve(dir ?? modelSearchPaths(config)[0]!);
      const startedAt = Date.now();
      let last = 0;
      const result = await pullModel(source, {
        dir: target,
        signal,
        onProgress: (p) => {
          const now = Date.now();
          if (now - last < 200 && p.received !== p.total) return;
          last = now;
          io.err(io.errIsTty ? `\r${progressBar(p, startedAt)}` : `${progressBar(p, startedAt)}\n`);
        },
      });
      if (io.errIsTty) io.err('\n');
      io.out(
        result.alreadyPresent
          ? `Already present: ${result.path} (${formatBytes(result.bytes)})\n`
          : `Downloaded ${result.path} (${formatBytes(result.bytes)}${result.resumedFrom ? `, resumed from ${formatBytes(result.resumedFrom)}` : ''})\n`,
      );
      return 0;
    }
    io.err(`Unknown models command "${sub}".\n${MODELS_USAGE}\n`);
    return 2;
  } catch (error) {
    if (io.errIsTty) io.err('\n');
    const e =
      error instanceof PrechewError
        ? error
        : new PrechewError('INTERNAL', (error as Error)?.message ?? String(error));
    io.err(`[${e.code}] ${e.message}\n`);
    return 1;
  }
}

/** JSON for the MCP resource `prechew://models`: the same listing as `prechew models --json`. */
export async function modelsResourceText(config: Config): Promise<string> {
  const search = modelSearchPaths(config);
  const models = await listModels(config);
  return JSON.stringify({ searchPaths: search, models }, null, 2);
}

export const modelsResource = {
  uri: 'prechew://models',
  name: 'models',
  title: 'Local model files',
  description:
    'GGUF language models and whisper ggml models available to prechew, with architecture, parameters, quantization, context length and size.',
  mimeType: 'application/json',
  read: modelsResourceText,
};

const fingerprintCache = new Map<string, string>();

/**
 * A content identity for a model file that is the same on every machine holding the same file:
 * name, size and sha256 over the first and last MiB (reading a multi-gigabyte file whole would
 * stall start-up). Peers compare it before running a unit for another node; it goes into cache
 * keys too. Cached per path, size and modification time.
 */
export async function modelFileIdentity(file: string): Promise<string | undefined> {
  const { createHash } = await import('node:crypto');
  const fsp = await import('node:fs/promises');
  const stat = await fsp.stat(file).catch(() => undefined);
  if (!stat?.isFile()) return undefined;
  const key = `${file}\0${stat.size}\0${stat.mtimeMs}`;
  const cached = fingerprintCache.get(key);
  if (cached) return cached;
  const handle = await fsp.open(file, 'r');
  try {
    const span = 1024 * 1024;
    const hash = createHash('sha256');
    const head = Buffer.alloc(Math.min(span, stat.size));
    await handle.read(head, 0, head.length, 0);
    hash.update(head);
    if (stat.size > span) {
      const tail = Buffer.alloc(Math.min(span, stat.size - span));
      await handle.read(tail, 0, tail.length, stat.size - tail.length);
      hash.update(tail);
    }
    const identity = `${path.basename(file)}:${stat.size}:${hash.digest('hex').slice(0, 16)}`;
    fingerprintCache.set(key, identity);
    return identity;
  } finally {
    await handle.close();
  }
}
