/**
 * whisper.cpp through the prebuilt N-API binding @fugood/whisper.node: model resolution, a lazily
 * loaded context shared by the process, idle unload, and a watchdog on every native call (when
 * native work fails, the binding's promise may never settle, so we never wait on it unbounded).
 */
import { openSync, readSync, closeSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config.js';
import { PrechewError, throwIfCancelled } from '../errors.js';
import { log } from '../log.js';
import { getService, type AppServices } from '../services.js';
import { addonInstalled, addonMissingError, isModuleMissing } from './addons.js';

type WhisperConfig = Config['models']['whisper'];
type ModelsConfig = Config['models'];

// The binding's types, narrowed to what we use (the package's own typings describe these).
interface NativeSegment {
  text: string;
  t0: number;
  t1: number;
}
interface NativeResult {
  language?: string;
  result: string;
  segments: NativeSegment[];
  isAborted: boolean;
}
interface NativeTranscribeOptions {
  language?: string;
  translate?: boolean;
  maxThreads?: number;
  maxLen?: number;
  tokenTimestamps?: boolean;
  prompt?: string;
  temperature?: number;
  temperatureInc?: number;
  onProgress?: (progress: number) => void;
}
export interface NativeWhisperContext {
  transcribeData(
    audio: ArrayBuffer,
    options?: NativeTranscribeOptions,
  ): { stop: () => Promise<void>; promise: Promise<NativeResult> };
  release(): Promise<void>;
}

const GGML_MAGIC = 0x67676d6c;

/** True when the file starts like a legacy ggml whisper model (magic + a whisper-sized vocabulary). */
export function isWhisperModelFile(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const head = Buffer.alloc(48);
    if (readSync(fd, head, 0, 48, 0) < 48) return false;
    const nVocab = head.readInt32LE(4);
    const nMels = head.readInt32LE(40);
    return (
      head.readUInt32LE(0) === GGML_MAGIC &&
      nVocab >= 51864 &&
      nVocab < 52000 &&
      (nMels === 80 || nMels === 128)
    );
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Directories searched for models, in order. */
export function modelDirs(models: ModelsConfig, dataDir: string | undefined, cwd = process.cwd()): string[] {
  const dirs = [models.dir ?? path.resolve(cwd, 'models')];
  if (dataDir) dirs.push(path.join(dataDir, 'models'));
  return dirs;
}

/**
 * Resolve the whisper model: models.whisper.path (a path, or a file name under the models
 * directories), else the first whisper ggml `.bin` in models.paths and the models directories.
 */
export function resolveWhisperModel(
  models: ModelsConfig,
  dataDir: string | undefined,
  cwd = process.cwd(),
): string {
  const dirs = modelDirs(models, dataDir, cwd);
  const configured = models.whisper.path;
  if (configured) {
    const candidates = path.isAbsolute(configured)
      ? [configured]
      : [...dirs.map((d) => path.join(d, configured)), path.resolve(cwd, configured)];
    const found = candidates.find((c) => {
      try {
        return statSync(c).isFile();
      } catch {
        return false;
      }
    });
    if (!found) {
      throw new PrechewError(
        'MODEL_NOT_FOUND',
        `The whisper model "${configured}" (models.whisper.path) was not found${path.isAbsolute(configured) ? '' : ` in ${dirs.join(' or ')}`}. Put a ggml whisper .bin (e.g. ggml-base.en.bin) there, or fix models.whisper.path.`,
      );
    }
    if (!isWhisperModelFile(found)) {
      throw new PrechewError(
        'MODEL_INVALID',
        `${path.basename(found)} is not a whisper.cpp ggml model (it lacks the "ggml" magic or a whisper vocabulary). Use a ggml-*.bin file from the whisper.cpp project.`,
      );
    }
    return found;
  }
  const files: string[] = [];
  for (const entry of models.paths) {
    try {
      if (statSync(entry).isFile()) files.push(entry);
      else dirs.push(entry);
    } catch {
      // missing entries are reported by `prechew doctor`, not here
    }
  }
  for (const dir of dirs) {
    try {
      for (const name of readdirSync(dir).sort())
        if (name.toLowerCase().endsWith('.bin')) files.push(path.join(dir, name));
    } catch {
      // directory absent
    }
  }
  const model = files.find(isWhisperModelFile);
  if (!model) {
    throw new PrechewError(
      'MODEL_NOT_FOUND',
      `No whisper model found: put a ggml whisper .bin (e.g. ggml-base.en.bin from the whisper.cpp project) in ${dirs[0]} or set models.whisper.path (PRECHEW_WHISPER_MODEL).`,
    );
  }
  return model;
}

export interface TranscribeUnitOptions {
  /** ISO 639-1 code, or "auto" to detect. Default "auto". */
  language?: string | undefined;
  translate?: boolean | undefined;
  initialPrompt?: string | undefined;
  wordTimestamps?: boolean | undefined;
  /**
   * Greedy decoding only (no temperature fallback): the same audio then gives the same text on
   * every node and every run, which mesh verification and result comparison need. Default: off
   * (whisper.cpp retries hard stretches at higher temperatures, sampling from a shared RNG).
   */
  greedy?: boolean | undefined;
}

export interface Segment {
  /** Seconds from the start of the recording. */
  start: number;
  end: number;
  text: string;
}

export interface Word {
  start: number;
  end: number;
  word: string;
}

export interface UnitTranscript {
  segments: Segment[];
  words?: Word[] | undefined;
  language: string | undefined;
  /** Seconds the native call took. */
  elapsedSeconds: number;
}

/** Float samples → 16-bit PCM, the layout transcribeData expects. */
function toPcm16(samples: Float32Array): ArrayBuffer {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!;
    out[i] = v >= 1 ? 32767 : v <= -1 ? -32768 : Math.round(v * 32767);
  }
  return out.buffer;
}

/** Token-level segments (maxLen 1) → words: a token starting with a space begins a new word. */
function tokensToWords(tokens: NativeSegment[]): Word[] {
  const words: Word[] = [];
  for (const t of tokens) {
    if (!t.text) continue;
    const last = words[words.length - 1];
    if (last && !/^\s/.test(t.text) && !/^\[/.test(t.text)) {
      last.word += t.text;
      last.end = t.t1 / 1000;
    } else {
      words.push({ start: t.t0 / 1000, end: t.t1 / 1000, word: t.text.trim() });
    }
  }
  return words.filter((w) => w.word.length > 0);
}

/** Group words into sentence-like segments (cut at . ? ! or every 12 s). */
function wordsToSegments(words: Word[]): Array<{ start: number; end: number; text: string }> {
  const segments: Array<{ start: number; end: number; text: string }> = [];
  let current: { start: number; end: number; text: string } | undefined;
  for (const w of words) {
    if (!current) current = { start: w.start, end: w.end, text: w.word };
    else {
      current.text += ' ' + w.word;
      current.end = w.end;
    }
    if (/[.?!]$/.test(w.word) || current.end - current.start > 12) {
      segments.push(current);
      current = undefined;
    }
  }
  if (current) segments.push(current);
  return segments;
}

export interface WhisperEngineOptions {
  /** Returns the model path; called on (re)load so config changes and new files are picked up. */
  modelPath: () => string;
  config: WhisperConfig;
}

/** One loaded whisper context, shared; calls are serialised (whisper.cpp holds a lock per context anyway). */
export class WhisperEngine {
  private context: Promise<NativeWhisperContext> | undefined;
  private loadedPath: string | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;
  private busy = 0;

  constructor(private readonly options: WhisperEngineOptions) {}

  get modelPath(): string | undefined {
    return this.loadedPath;
  }

  get loaded(): boolean {
    return this.context !== undefined;
  }

  modelName(): string {
    return path.basename(this.loadedPath ?? this.options.modelPath());
  }

  private threads(): number {
    const configured = this.options.config.threads;
    if (configured > 0) return configured;
    const cores =
      typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    return Math.max(1, Math.min(8, cores));
  }

  private async load(): Promise<NativeWhisperContext> {
    if (this.disposed) throw new PrechewError('ENGINE_UNAVAILABLE', 'The whisper engine has been shut down.');
    if (!this.context) {
      const file = this.options.modelPath();
      this.loadedPath = file;
      const timeoutMs = this.options.config.unitTimeoutMs;
      this.context = (async () => {
        let binding: typeof import('@fugood/whisper.node');
        try {
          binding = await import('@fugood/whisper.node');
        } catch (error) {
          if (isModuleMissing(error, '@fugood/whisper.node')) throw addonMissingError('@fugood/whisper.node');
          log.warn('whisper binding failed to load', { error });
          throw new PrechewError(
            'ENGINE_UNAVAILABLE',
            'The whisper.cpp binding (@fugood/whisper.node) could not be loaded on this platform; reinstall prechew or check `prechew doctor`.',
          );
        }
        const init = binding.initWhisper({
          filePath: file,
          useGpu: this.options.config.gpu,
        }) as Promise<unknown>;
        try {
          return (await withWatchdog(
            init,
            timeoutMs,
            () =>
              new PrechewError(
                'TIMEOUT',
                `Loading the whisper model ${path.basename(file)} did not finish within ${Math.round(timeoutMs / 1000)} s.`,
              ),
          )) as NativeWhisperContext;
        } catch (error) {
          if (error instanceof PrechewError) throw error;
          log.warn('whisper model failed to load', { error, file });
          throw new PrechewError(
            'MODEL_INVALID',
            `whisper.cpp could not load ${path.basename(file)}; the file is damaged or not a whisper ggml model. Replace it with a ggml-*.bin from the whisper.cpp project.`,
          );
        }
      })();
      this.context.catch(() => {
        this.context = undefined;
      });
    }
    return this.context;
  }

  /** Load the model now (normally loading happens on first use). */
  async warmUp(): Promise<void> {
    await this.load();
    this.armIdleTimer();
  }

  /**
   * Transcribe one unit of 16 kHz mono samples. Segment times are shifted by offsetSeconds.
   * Cancellation (signal) stops the native decode; the watchdog fails a call that never settles.
   */
  async transcribe(
    samples: Float32Array,
    offsetSeconds: number,
    options: TranscribeUnitOptions = {},
    signal?: AbortSignal,
  ): Promise<UnitTranscript> {
    const run = async (): Promise<UnitTranscript> => {
      throwIfCancelled(signal);
      this.busy++;
      this.clearIdleTimer();
      try {
        return await this.transcribeNow(samples, offsetSeconds, options, signal);
      } finally {
        this.busy--;
        this.armIdleTimer();
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async transcribeNow(
    samples: Float32Array,
    offsetSeconds: number,
    options: TranscribeUnitOptions,
    signal: AbortSignal | undefined,
  ): Promise<UnitTranscript> {
    const context = await this.load();
    throwIfCancelled(signal);
    const language = (options.language ?? 'auto').toLowerCase();
    const native: NativeTranscribeOptions = {
      language,
      translate: options.translate ?? false,
      maxThreads: this.threads(),
    };
    if (options.initialPrompt) native.prompt = options.initialPrompt;
    if (options.greedy) {
      native.temperature = 0;
      native.temperatureInc = 0;
    }
    if (options.wordTimestamps) {
      native.tokenTimestamps = true;
      native.maxLen = 1;
    }
    const started = performance.now();
    const handle = context.transcribeData(toPcm16(samples), native);
    const timeoutMs = this.options.config.unitTimeoutMs;
    let cancelled = false;
    const onAbort = (): void => {
      cancelled = true;
      void handle.stop().catch(() => undefined);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    let result: NativeResult;
    try {
      // The binding checks its stop flag only before and after whisper_full, not inside it: a
      // queued call ends at once, a running one would finish its unit. Give it a short grace,
      // then report the cancellation; the late result is discarded.
      const cancelledRace = new Promise<never>((_, reject) => {
        if (!signal) return;
        const fire = (): void => {
          setTimeout(
            () => reject(new PrechewError('CANCELLED', 'The request was cancelled before it finished.')),
            250,
          ).unref();
        };
        if (signal.aborted) fire();
        else signal.addEventListener('abort', fire, { once: true });
      });
      cancelledRace.catch(() => undefined);
      result = await withWatchdog(Promise.race([handle.promise, cancelledRace]), timeoutMs, () => {
        void handle.stop().catch(() => undefined);
        // The native worker may still hold the context: drop it so the next call gets a fresh one.
        this.abandonContext();
        return new PrechewError(
          'TIMEOUT',
          `whisper.cpp did not finish a ${Math.round(samples.length / 16000)} s unit within ${Math.round(timeoutMs / 1000)} s (models.whisper.unitTimeoutMs); the engine was reset. Use a smaller model, more threads, or raise the limit.`,
        );
      });
    } catch (error) {
      if (error instanceof PrechewError) throw error;
      if (cancelled || signal?.aborted)
        throw new PrechewError('CANCELLED', 'The request was cancelled before it finished.');
      log.warn('whisper transcription failed', { error });
      const reason =
        error instanceof Error ? error.message.replace(/\s+/g, ' ').slice(0, 120) : 'unknown error';
      throw new PrechewError('ENGINE_FAILED', `whisper.cpp failed to transcribe the audio (${reason}).`);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    if (result.isAborted || cancelled || signal?.aborted)
      throw new PrechewError('CANCELLED', 'The request was cancelled before it finished.');
    const elapsedSeconds = (performance.now() - started) / 1000;
    const clip = (t: number): number => Math.round((offsetSeconds + t) * 1000) / 1000;
    let segments: Segment[];
    let words: Word[] | undefined;
    if (options.wordTimestamps) {
      words = tokensToWords(result.segments).map((w) => ({
        start: clip(w.start),
        end: clip(w.end),
        word: w.word,
      }));
      segments = wordsToSegments(words);
    } else {
      segments = result.segments
        .map((s) => ({ start: clip(s.t0 / 1000), end: clip(s.t1 / 1000), text: s.text.trim() }))
        .filter((s) => s.text.length > 0);
    }
    return { segments, words, language: result.language || undefined, elapsedSeconds };
  }

  private abandonContext(): void {
    const old = this.context;
    this.context = undefined;
    // Release only once the stuck call lets go; never await it here.
    old?.then((c) => c.release()).catch(() => undefined);
  }

  private clearIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private armIdleTimer(): void {
    this.clearIdleTimer();
    const idle = this.options.config.idleUnloadMs;
    if (idle <= 0 || this.disposed || this.busy > 0) return;
    this.idleTimer = setTimeout(() => void this.unload(), idle);
    this.idleTimer.unref();
  }

  /** Release the native context (it is loaded again on the next call). */
  async unload(): Promise<void> {
    this.clearIdleTimer();
    const ctx = this.context;
    if (!ctx || this.busy > 0) return;
    this.context = undefined;
    try {
      await withWatchdog(
        ctx.then((c) => c.release()),
        10_000,
        () => new PrechewError('TIMEOUT', 'releasing the whisper model timed out'),
      );
    } catch (error) {
      log.debug('whisper context release failed', { error });
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.queue.catch(() => undefined);
    await this.unload();
  }
}

/** Await a promise for at most timeoutMs; on expiry reject with onTimeout() (the work is not awaited further). */
export function withWatchdog<T>(work: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), timeoutMs);
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** The process-wide whisper engine: created on first use, disposed on shutdown. */
export function getWhisperEngine(app: AppServices): WhisperEngine {
  return getService(app, 'whisper', () => {
    const engine = new WhisperEngine({
      config: app.config.models.whisper,
      modelPath: () => {
        // A light install has no binding: say so (with the install command) before asking for a model.
        if (!addonInstalled('@fugood/whisper.node')) throw addonMissingError('@fugood/whisper.node');
        return resolveWhisperModel(app.config.models, app.config.data.dir);
      },
    });
    app.onDispose(() => engine.dispose());
    return engine;
  });
}
