/**
 * Local LLM engine on node-llama-cpp with its prebuilt binaries (never built from source). One
 * shared instance per process: the model loads lazily on first use, serves a bounded pool of
 * context sequences (models.llm.concurrency), and unloads after models.llm.idleUnloadMs without
 * work. Every call takes an AbortSignal; aborting stops generation between tokens.
 *
 * node-llama-cpp is imported dynamically so starting prechew (and every model-free tool) never
 * pays for loading the native binding.
 */
import os from 'node:os';
import path from 'node:path';
import type {
  ChatHistoryItem,
  ChatWrapper,
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaGrammar,
  LlamaModel,
  Token,
} from 'node-llama-cpp';
import type { Config } from '../config.js';
import { PrechewError, throwIfCancelled } from '../errors.js';
import { log } from '../log.js';
import { getService, type AppServices } from '../services.js';
import { importAddon } from './addons.js';
import { isGgufFile, modelFileIdentity, resolveLlmModelPath } from './models.js';

export type LlmConfig = Config['models']['llm'];

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface CompleteOptions {
  maxTokens?: number | undefined;
  temperature?: number | undefined;
  /** Constrain the output to JSON matching this schema (node-llama-cpp GBNF JSON schema subset). */
  jsonSchema?: Record<string, unknown> | undefined;
  /** Constrain the output with a raw GBNF grammar. */
  grammar?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Receives generated text as it is produced. */
  onText?: ((text: string) => void) | undefined;
  seed?: number | undefined;
}

export interface CompleteResult {
  text: string;
  /** Parsed JSON when jsonSchema was given. */
  json?: unknown;
  promptTokens: number;
  generatedTokens: number;
  stopReason: string;
  elapsedMs: number;
}

export interface LabelChoice {
  label: string;
  /** Probability of the chosen label among all labels (from the model's token probabilities). */
  confidence: number | undefined;
  /** Normalized probability of every label. */
  scores: Record<string, number>;
  truncated: boolean;
}

export interface TextChunk {
  text: string;
  /** UTF-16 offsets into the source text. */
  start: number;
  end: number;
  /** Model tokens in the chunk. */
  tokens: number;
}

export interface LlmAvailability {
  ok: boolean;
  /** File name of the model that would be used. */
  model?: string;
  path?: string;
  reason?: string;
}

export interface LlmEngineOptions {
  llm: LlmConfig;
  models: Pick<Config, 'models' | 'data'>;
  cwd?: string;
}

interface Loaded {
  model: LlamaModel;
  /** Resolved once per load: resolving the chat template is slow (Jinja parsing and checks). */
  chatWrapper: ChatWrapper;
  context: LlamaContext;
  free: LlamaContextSequence[];
  modelPath: string;
  modelName: string;
  contextSize: number;
}

/** Physical cores, estimated: logical CPUs halved when there are more than 2 (SMT), at least 1. */
export function defaultThreadCount(): number {
  const logical =
    typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, logical > 2 ? Math.floor(logical / 2) : logical);
}

const NO_MODEL_ADVICE = 'put a .gguf file in models/ or set models.llm.path';

function cancelled(): PrechewError {
  return new PrechewError('CANCELLED', 'The request was cancelled before it finished.');
}

function firstLine(error: unknown): string {
  const msg = error instanceof Error ? error.message : String(error);
  return (msg.split('\n')[0] ?? '').slice(0, 200);
}

/** Map anything node-llama-cpp throws to a PrechewError that says what to do. */
function engineError(error: unknown, signal: AbortSignal | undefined, modelName?: string): PrechewError {
  if (signal?.aborted) return cancelled();
  if (error instanceof PrechewError) return error;
  const name = (error as Error)?.name ?? '';
  const msg = firstLine(error);
  if (name === 'InsufficientMemoryError' || /memory|alloc/i.test(msg)) {
    return new PrechewError(
      'ENGINE_FAILED',
      `Not enough memory to run the local model${modelName ? ` ${modelName}` : ''}: use a smaller or more quantized model (e.g. Q4_K_M of a 0.5–3B model), lower models.llm.contextSize or models.llm.concurrency, or set models.llm.gpu to false if the GPU is short of memory.`,
    );
  }
  if (name === 'AbortError') return cancelled();
  return new PrechewError('ENGINE_FAILED', `The local model failed: ${msg}`);
}

/** GBNF string literal for a label. */
function gbnfLiteral(text: string): string {
  return JSON.stringify(text);
}

export class LlmEngine {
  private llamaPromise: Promise<Llama> | undefined;
  private loaded: Loaded | undefined;
  private loading: Promise<Loaded> | undefined;
  private active = 0;
  private readonly waiters: Array<{
    resolve: () => void;
    reject: (e: unknown) => void;
    signal?: AbortSignal | undefined;
    onAbort?: () => void;
  }> = [];
  private idleTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  private readonly grammarCache = new Map<string, Promise<LlamaGrammar>>();

  constructor(private readonly options: LlmEngineOptions) {}

  /** The process-wide engine for an app, disposed with it. */
  static forApp(app: AppServices): LlmEngine {
    return getService(app, 'llm', () => {
      const engine = new LlmEngine({ llm: app.config.models.llm, models: app.config });
      app.onDispose(() => engine.dispose());
      return engine;
    });
  }

  get threads(): number {
    return this.options.llm.threads > 0 ? this.options.llm.threads : defaultThreadCount();
  }

  /** True while a model is loaded in memory. */
  get isLoaded(): boolean {
    return this.loaded !== undefined;
  }

  /** Context size per sequence of the loaded model (undefined before loading). */
  get contextSize(): number | undefined {
    return this.loaded?.contextSize;
  }

  get modelName(): string | undefined {
    return this.loaded?.modelName;
  }

  private resolved: { at: number; value: Promise<{ path?: string; reason?: string }> } | undefined;

  /** Model resolution reads file metadata; remember it briefly so one request resolves once. */
  private resolveModel(): Promise<{ path?: string; reason?: string }> {
    const now = Date.now();
    if (!this.resolved || now - this.resolved.at > 5000) {
      this.resolved = { at: now, value: resolveLlmModelPath(this.options.models, this.options.cwd) };
    }
    return this.resolved.value;
  }

  /** Whether a model is configured or found, without loading it. */
  async available(): Promise<LlmAvailability> {
    if (this.loaded) return { ok: true, model: this.loaded.modelName, path: this.loaded.modelPath };
    const found = await this.resolveModel();
    if (!found.path)
      return { ok: false, reason: `No local LLM: ${found.reason ?? ''} To use one, ${NO_MODEL_ADVICE}.` };
    if (!(await isGgufFile(found.path))) {
      return {
        ok: false,
        path: found.path,
        model: path.basename(found.path),
        reason: `${path.basename(found.path)} is not a GGUF file.`,
      };
    }
    return { ok: true, model: path.basename(found.path), path: found.path };
  }

  /**
   * For a unit made for one model (a peer's request): refuses unless this node has that very model,
   * so a node with another model refuses instead of answering differently.
   */
  async requireModel(wanted: string | undefined): Promise<void> {
    if (wanted === undefined) return;
    const model = (await this.modelIdentity()) ?? 'unknown';
    if (model !== wanted) throw new PrechewError('INVALID_INPUT', `This node's model is ${model}, not the ${wanted} the unit was made for.`);
  }

  /** Content identity of the model file (the same on every node with the same file): for cache keys and peers. */
  async modelIdentity(): Promise<string | undefined> {
    const a = await this.available();
    if (!a.path) return undefined;
    return (await modelFileIdentity(a.path)) ?? a.model;
  }

  private getLlama(): Promise<Llama> {
    this.llamaPromise ??= (async () => {
      const { getLlama, LlamaLogLevel } = await importAddon('node-llama-cpp', () => import('node-llama-cpp')).catch((error: unknown) => {
        this.llamaPromise = undefined;
        throw error;
      });
      const gpu = this.options.llm.gpu;
      const open = (choice: 'auto' | false | 'cuda' | 'vulkan' | 'metal') =>
        getLlama({
          gpu: choice,
          build: 'never',
          skipDownload: true,
          progressLogs: false,
          logLevel: LlamaLogLevel.warn,
          logger: (level, message) => {
            const text = message.trim();
            if (!text) return;
            if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal)
              log.warn(`llama.cpp: ${text}`);
            else log.debug(`llama.cpp: ${text}`);
          },
        });
      try {
        const llama = await open(gpu);
        if (gpu === 'auto' && llama.gpu !== false) {
          // A GPU backend with no real device (e.g. Vulkan on a headless server, or only a software
          // rasterizer such as llvmpipe) is no GPU: use the plain CPU build instead.
          const names = await llama.getGpuDeviceNames().catch(() => [] as string[]);
          if (names.length === 0 || names.every((n) => /llvmpipe|lavapipe|swiftshader|software/i.test(n))) {
            log.debug(`no usable GPU device for ${llama.gpu}; using the CPU`, { devices: names });
            await llama.dispose().catch(() => undefined);
            return await open(false);
          }
        }
        return llama;
      } catch (error) {
        this.llamaPromise = undefined;
        throw new PrechewError(
          'ENGINE_UNAVAILABLE',
          `The node-llama-cpp native binary could not be loaded (${firstLine(error)}). Reinstall prechew so its prebuilt binaries (@node-llama-cpp/*) are present${gpu !== false ? ', or set models.llm.gpu to false' : ''}.`,
        );
      }
    })();
    return this.llamaPromise;
  }

  private async load(signal?: AbortSignal): Promise<Loaded> {
    if (this.disposed) throw new PrechewError('ENGINE_UNAVAILABLE', 'The LLM engine is shutting down.');
    if (this.loaded) return this.loaded;
    this.loading ??= this.doLoad().finally(() => {
      this.loading = undefined;
    });
    throwIfCancelled(signal);
    return this.loading;
  }

  private async doLoad(): Promise<Loaded> {
    const found = await this.resolveModel();
    if (!found.path)
      throw new PrechewError(
        'MODEL_NOT_FOUND',
        `No local LLM model: ${found.reason ?? ''} To fix it, ${NO_MODEL_ADVICE}.`,
      );
    const modelPath = found.path;
    const modelName = path.basename(modelPath);
    if (!(await isGgufFile(modelPath))) {
      throw new PrechewError(
        'MODEL_INVALID',
        `${modelName} is not a GGUF model file (wrong magic bytes). Replace it with a .gguf model, or set models.llm.path to one.`,
      );
    }
    const llama = await this.getLlama();
    const started = Date.now();
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath });
    } catch (error) {
      if ((error as Error)?.name === 'InsufficientMemoryError')
        throw engineError(error, undefined, modelName);
      throw new PrechewError(
        'MODEL_INVALID',
        `${modelName} could not be loaded: ${firstLine(error)}. The file may be truncated or corrupt, or use an architecture this node-llama-cpp version does not support; re-download it or pick another model.`,
      );
    }
    const concurrency = Math.max(1, this.options.llm.concurrency);
    const contextSize = Math.max(
      256,
      Math.min(this.options.llm.contextSize, model.trainContextSize || this.options.llm.contextSize),
    );
    let context: LlamaContext;
    try {
      context = await model.createContext({ contextSize, sequences: concurrency, threads: this.threads });
    } catch (error) {
      await model.dispose().catch(() => undefined);
      throw engineError(error, undefined, modelName);
    }
    const { resolveChatWrapper } = await import('node-llama-cpp');
    const chatWrapper = resolveChatWrapper(model);
    const free: LlamaContextSequence[] = [];
    for (let i = 0; i < concurrency; i++) free.push(context.getSequence());
    log.info(`loaded local model ${modelName}`, {
      ms: Date.now() - started,
      contextSize: context.contextSize,
      threads: this.threads,
      gpu: llama.gpu,
    });
    this.loaded = {
      model,
      chatWrapper,
      context,
      free,
      modelPath,
      modelName,
      contextSize: context.contextSize,
    };
    return this.loaded;
  }

  /** Run fn with one context sequence from the pool, waiting for a free one. */
  private async withSequence<T>(
    signal: AbortSignal | undefined,
    fn: (seq: LlamaContextSequence, loaded: Loaded) => Promise<T>,
  ): Promise<T> {
    throwIfCancelled(signal);
    this.active++;
    this.clearIdleTimer();
    try {
      let loaded = await this.load(signal);
      while (loaded.free.length === 0) {
        await new Promise<void>((resolve, reject) => {
          const waiter: (typeof this.waiters)[number] = { resolve, reject, signal };
          if (signal) {
            waiter.onAbort = () => {
              const i = this.waiters.indexOf(waiter);
              if (i >= 0) this.waiters.splice(i, 1);
              reject(cancelled());
            };
            signal.addEventListener('abort', waiter.onAbort, { once: true });
          }
          this.waiters.push(waiter);
        });
        loaded = await this.load(signal);
      }
      const seq = loaded.free.pop()!;
      try {
        return await fn(seq, loaded);
      } finally {
        if (this.loaded === loaded) loaded.free.push(seq);
        const next = this.waiters.shift();
        if (next) {
          if (next.onAbort) next.signal?.removeEventListener('abort', next.onAbort);
          next.resolve();
        }
      }
    } finally {
      this.active--;
      if (this.active === 0) this.scheduleIdleUnload();
    }
  }

  private clearIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private scheduleIdleUnload(): void {
    this.clearIdleTimer();
    const ms = this.options.llm.idleUnloadMs;
    if (ms <= 0 || !this.loaded) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.active === 0) void this.unload();
    }, ms);
    this.idleTimer.unref();
  }

  /** Free the model and its contexts; the next call loads it again. */
  async unload(): Promise<void> {
    const loaded = this.loaded;
    if (!loaded) return;
    this.loaded = undefined;
    this.grammarCache.clear();
    try {
      await loaded.context.dispose();
      await loaded.model.dispose();
      log.info(`unloaded local model ${loaded.modelName}`);
    } catch (error) {
      log.warn('error while unloading the local model', { error });
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.clearIdleTimer();
    for (const w of this.waiters.splice(0))
      w.reject(new PrechewError('ENGINE_UNAVAILABLE', 'The LLM engine is shutting down.'));
    await this.unload();
    const llama = await this.llamaPromise?.catch(() => undefined);
    await llama?.dispose().catch(() => undefined);
    this.llamaPromise = undefined;
  }

  // ------------------------------------------------------------------------------------------
  // Tokens

  async tokenize(text: string, signal?: AbortSignal): Promise<Token[]> {
    const loaded = await this.loadForTokenizer(signal);
    return loaded.model.tokenize(text);
  }

  async countTokens(text: string, signal?: AbortSignal): Promise<number> {
    return (await this.tokenize(text, signal)).length;
  }

  async detokenize(tokens: readonly Token[], signal?: AbortSignal): Promise<string> {
    const loaded = await this.loadForTokenizer(signal);
    return loaded.model.detokenize(tokens);
  }

  private async loadForTokenizer(signal?: AbortSignal): Promise<Loaded> {
    const loaded = await this.load(signal).catch((e) => {
      throw engineError(e, signal);
    });
    if (this.active === 0) this.scheduleIdleUnload();
    return loaded;
  }

  /** Model tokens of a chat formatted with the model's template, including the assistant prefix. */
  async countChatTokens(messages: ChatMessage[], signal?: AbortSignal): Promise<number> {
    const loaded = await this.loadForTokenizer(signal);
    return loaded.chatWrapper
      .generateContextState({ chatHistory: [...toChatHistory(messages), { type: 'model', response: [] }] })
      .contextText.tokenize(loaded.model.tokenizer).length;
  }

  /**
   * Cut text into chunks of at most maxTokens model tokens, at sentence or paragraph boundaries
   * where possible, each chunk repeating up to overlapTokens of the previous one's tail.
   */
  async chunkText(
    text: string,
    options: { maxTokens: number; overlapTokens?: number; signal?: AbortSignal | undefined },
  ): Promise<TextChunk[]> {
    const loaded = await this.loadForTokenizer(options.signal);
    const count = (s: string) => loaded.model.tokenize(s, false).length;
    const maxTokens = Math.max(16, options.maxTokens);
    const overlap = Math.max(0, Math.min(options.overlapTokens ?? 0, Math.floor(maxTokens / 4)));
    // Sentence-ish spans: end after . ! ? followed by space, or at blank lines.
    const spans: Array<{ start: number; end: number; tokens: number }> = [];
    const boundary = /[.!?。！？]+["')\]]*\s+|\n\s*\n/g;
    let pos = 0;
    const pushSpan = (start: number, end: number) => {
      if (end <= start) return;
      const tokens = count(text.slice(start, end));
      if (tokens <= maxTokens) {
        spans.push({ start, end, tokens });
        return;
      }
      // A span longer than a chunk: cut it at whitespace near proportional character positions.
      const pieces = Math.ceil(tokens / (maxTokens * 0.9));
      const step = Math.ceil((end - start) / pieces);
      let s = start;
      let width = step;
      while (s < end) {
        let e = Math.min(end, s + width);
        if (e < end) {
          const ws = text.lastIndexOf(' ', e);
          if (ws > s + width / 2) e = ws + 1;
        }
        const t = count(text.slice(s, e));
        if (t > maxTokens && e - s > 1) {
          // Still too long (dense script): halve the width until it fits.
          width = Math.max(1, Math.floor((e - s) / 2));
          continue;
        }
        spans.push({ start: s, end: e, tokens: t });
        s = e;
        width = step;
      }
    };
    let m: RegExpExecArray | null;
    let n = 0;
    while ((m = boundary.exec(text)) !== null) {
      pushSpan(pos, m.index + m[0].length);
      pos = m.index + m[0].length;
      if (++n % 2000 === 0) {
        throwIfCancelled(options.signal);
        await new Promise((r) => setImmediate(r));
      }
    }
    pushSpan(pos, text.length);

    const chunks: TextChunk[] = [];
    let i = 0;
    let previousFirst = -1;
    while (i < spans.length) {
      // Overlap: repeat the previous chunk's last spans while they fit in `overlap` tokens (never all of it).
      let first = i;
      if (previousFirst >= 0 && overlap > 0) {
        let budget = overlap;
        while (first - 1 > previousFirst && spans[first - 1]!.tokens <= budget) {
          budget -= spans[first - 1]!.tokens;
          first--;
        }
      }
      previousFirst = first;
      let tokens = 0;
      let j = first;
      while (j < spans.length && (j === first || tokens + spans[j]!.tokens <= maxTokens)) {
        tokens += spans[j]!.tokens;
        j++;
      }
      // Guarantee progress even when overlap spans filled the whole chunk.
      if (j <= i) {
        first = i;
        tokens = spans[i]!.tokens;
        j = i + 1;
      }
      const start = spans[first]!.start;
      const end = spans[j - 1]!.end;
      chunks.push({ text: text.slice(start, end), start, end, tokens });
      i = j;
    }
    return chunks;
  }

  // ------------------------------------------------------------------------------------------
  // Generation

  private grammarFor(key: string, make: () => Promise<LlamaGrammar>): Promise<LlamaGrammar> {
    let g = this.grammarCache.get(key);
    if (!g) {
      g = make();
      this.grammarCache.set(key, g);
      g.catch(() => this.grammarCache.delete(key));
    }
    return g;
  }

  /**
   * Generate a completion for a raw prompt (string) or a chat (messages, formatted with the
   * model's own chat template).
   */
  async complete(input: string | ChatMessage[], options: CompleteOptions = {}): Promise<CompleteResult> {
    const signal = options.signal;
    const started = Date.now();
    try {
      return await this.withSequence(signal, async (seq, loaded) => {
        const { LlamaChat, LlamaCompletion } = await import('node-llama-cpp');
        const llama = await this.getLlama();
        let grammar: LlamaGrammar | undefined;
        if (options.jsonSchema) {
          const schema = options.jsonSchema;
          grammar = await this.grammarFor(
            'json:' + JSON.stringify(schema),
            () =>
              llama.createGrammarForJsonSchema(
                schema as Parameters<Llama['createGrammarForJsonSchema']>[0],
              ) as Promise<LlamaGrammar>,
          );
        } else if (options.grammar) {
          const text = options.grammar;
          grammar = await this.grammarFor('gbnf:' + text, () => llama.createGrammar({ grammar: text }));
        }
        const maxTokens = Math.max(1, Math.min(options.maxTokens ?? 512, loaded.contextSize));
        const temperature = options.temperature ?? this.options.llm.temperature;
        const seed = options.seed ?? this.options.llm.seed;
        let generated = 0;
        let promptTokens: number;
        const common = {
          signal,
          // Let node-llama-cpp end its generation loop cleanly on abort (disposing the wrapper while a
          // token is being sampled throws inside the binding); CANCELLED is raised right after.
          stopOnAbortSignal: true,
          maxTokens,
          temperature,
          ...(seed !== undefined ? { seed } : {}),
          ...(grammar ? { grammar } : {}),
          onToken: (tokens: Token[]) => {
            generated += tokens.length;
          },
          ...(options.onText ? { onTextChunk: options.onText } : {}),
        };
        let text: string;
        let stopReason: string;
        if (typeof input === 'string') {
          const completion = new LlamaCompletion({ contextSequence: seq, autoDisposeSequence: false });
          try {
            const tokens = loaded.model.tokenize(input);
            promptTokens = tokens.length;
            if (promptTokens + 1 >= loaded.contextSize)
              throw tooLongForContext(promptTokens, loaded.contextSize);
            const res = await completion.generateCompletionWithMeta(tokens, {
              ...common,
              maxTokens: Math.min(maxTokens, loaded.contextSize - promptTokens - 1),
            });
            text = res.response;
            stopReason = res.metadata.stopReason;
          } finally {
            completion.dispose({ disposeSequence: false });
          }
        } else {
          const chat = new LlamaChat({
            contextSequence: seq,
            chatWrapper: loaded.chatWrapper,
            autoDisposeSequence: false,
          });
          try {
            const history = toChatHistory(input);
            promptTokens = chat.chatWrapper
              .generateContextState({ chatHistory: [...history, { type: 'model', response: [] }] })
              .contextText.tokenize(loaded.model.tokenizer).length;
            if (promptTokens + 1 >= loaded.contextSize)
              throw tooLongForContext(promptTokens, loaded.contextSize);
            const res = await chat.generateResponse(history, {
              ...common,
              maxTokens: Math.min(maxTokens, loaded.contextSize - promptTokens - 1),
              // Summaries and labels need no hidden reasoning; thinking models would spend the budget on it.
              budgets: { thoughtTokens: 0 },
            });
            text = res.response;
            stopReason = res.metadata.stopReason;
          } finally {
            chat.dispose({ disposeSequence: false });
          }
        }
        throwIfCancelled(signal);
        const result: CompleteResult = {
          text: text.trim(),
          promptTokens,
          generatedTokens: generated,
          stopReason,
          elapsedMs: Date.now() - started,
        };
        if (options.jsonSchema) {
          try {
            result.json = JSON.parse(text);
          } catch {
            // Cut short by maxTokens: leave json undefined, the text shows what came back.
          }
        }
        return result;
      });
    } catch (error) {
      throw engineError(error, signal, this.loaded?.modelName);
    }
  }

  /**
   * Zero-shot classification: the model answers through a grammar that admits only the given
   * labels (greedy); the confidence is the chosen label's share of the probability the model
   * gives each whole label continuation (scored from its token probabilities). With a trained
   * model the two agree almost always; a low confidence flags the cases where they do not.
   */
  async chooseLabel(
    text: string,
    labels: string[],
    options: { signal?: AbortSignal | undefined; instructions?: string | undefined } = {},
  ): Promise<LabelChoice> {
    const signal = options.signal;
    const unique = [...new Set(labels.map((l) => l.trim()).filter(Boolean))];
    if (unique.length < 2)
      throw new PrechewError('INVALID_INPUT', 'Give at least two distinct labels to choose from.');
    try {
      return await this.withSequence(signal, async (seq, loaded) => {
        const { LlamaChat, LlamaCompletion } = await import('node-llama-cpp');
        const llama = await this.getLlama();
        const model = loaded.model;
        const labelTokens = unique.map((l) => model.tokenize(l, false, 'trimLeadingSpace'));
        const longestLabel = Math.max(...labelTokens.map((t) => t.length));
        // Leave room for the instructions, the labels and the answer.
        const overhead = 120 + labelTokens.reduce((a, t) => a + t.length + 2, 0) + longestLabel + 8;
        const budget = loaded.contextSize - overhead;
        if (budget < 16)
          throw new PrechewError(
            'INVALID_INPUT',
            'Too many or too long labels for the model context; use fewer or shorter labels, or raise models.llm.contextSize.',
          );
        let body = text;
        let truncated = false;
        const bodyTokens = model.tokenize(body, false);
        if (bodyTokens.length > budget) {
          body = model.detokenize(bodyTokens.slice(0, budget));
          truncated = true;
        }
        const chat = new LlamaChat({
          contextSequence: seq,
          chatWrapper: loaded.chatWrapper,
          autoDisposeSequence: false,
        });
        const history = toChatHistory(classificationMessages(body, unique, options.instructions));
        const prompt = chat.chatWrapper
          .generateContextState({ chatHistory: [...history, { type: 'model', response: [] }] })
          .contextText.tokenize(model.tokenizer);
        chat.dispose({ disposeSequence: false });
        throwIfCancelled(signal);

        // 1. Score every label: log P(label tokens | prompt), sharing the evaluated prompt.
        // Keep whatever prefix (system prompt) the sequence already holds from the previous item.
        const last = prompt.length - 1;
        await seq.adaptStateToTokens(prompt.slice(0, last), false);
        const reused = seq.nextTokenIndex;
        const evalPrompt = await seq.controlledEvaluate([
          ...prompt.slice(reused, last),
          [prompt[last]!, { generateNext: { probabilities: true } }],
        ]);
        const firstProbs = evalPrompt[last - reused]?.next.probabilities;
        const logScores: number[] = [];
        for (const toks of labelTokens) {
          throwIfCancelled(signal);
          let lp = Math.log(Math.max(firstProbs?.get(toks[0]!) ?? 0, 1e-30));
          if (toks.length > 1) {
            const out = await seq.controlledEvaluate(
              toks
                .slice(0, -1)
                .map(
                  (t) =>
                    [t, { generateNext: { probabilities: true } }] as [
                      Token,
                      { generateNext: { probabilities: true } },
                    ],
                ),
            );
            for (let k = 1; k < toks.length; k++)
              lp += Math.log(Math.max(out[k - 1]?.next.probabilities?.get(toks[k]!) ?? 0, 1e-30));
            await seq.eraseContextTokenRanges([{ start: prompt.length, end: seq.nextTokenIndex }]);
          }
          logScores.push(lp);
        }
        const maxLp = Math.max(...logScores);
        const weights = logScores.map((lp) => Math.exp(lp - maxLp));
        const sum = weights.reduce((a, b) => a + b, 0);
        const scores: Record<string, number> = {};
        unique.forEach((l, i) => (scores[l] = weights[i]! / sum));

        // 2. The answer, constrained by a grammar to exactly one of the labels.
        const gbnf = `root ::= ${unique.map(gbnfLiteral).join(' | ')}`;
        const grammar = await this.grammarFor('gbnf:' + gbnf, () => llama.createGrammar({ grammar: gbnf }));
        const completion = new LlamaCompletion({ contextSequence: seq, autoDisposeSequence: false });
        let answer: string;
        try {
          answer = await completion.generateCompletion(prompt, {
            grammar,
            temperature: 0,
            maxTokens: longestLabel * 4 + 8,
            repeatPenalty: false,
            signal,
            stopOnAbortSignal: true,
          });
        } finally {
          completion.dispose({ disposeSequence: false });
        }
        throwIfCancelled(signal);
        const label = unique.find((l) => l === answer.trim()) ?? unique[logScores.indexOf(maxLp)]!;
        return { label, confidence: scores[label], scores, truncated };
      });
    } catch (error) {
      throw engineError(error, signal, this.loaded?.modelName);
    }
  }

  /** One summarization call over text that fits the context (the map step, or the final reduce). */
  async summarizeOnce(
    text: string,
    options: SummaryPromptOptions & {
      maxTokens: number;
      signal?: AbortSignal | undefined;
      onText?: (t: string) => void;
      /** Decoding as the requester of a unit has it (default: this node's models.llm settings). */
      temperature?: number | undefined;
      seed?: number | undefined;
    },
  ): Promise<CompleteResult> {
    return this.complete(summaryMessages(text, options), {
      maxTokens: options.maxTokens,
      signal: options.signal,
      temperature: options.temperature ?? this.options.llm.temperature,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.onText ? { onText: options.onText } : {}),
    });
  }
}

function tooLongForContext(promptTokens: number, contextSize: number): PrechewError {
  return new PrechewError(
    'INPUT_TOO_LARGE',
    `The prompt is ${promptTokens} model tokens, more than the ${contextSize}-token context. Split the input, or raise models.llm.contextSize.`,
  );
}

function toChatHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  for (const m of messages) {
    if (m.role === 'system') history.push({ type: 'system', text: m.content });
    else if (m.role === 'user') history.push({ type: 'user', text: m.content });
    else history.push({ type: 'model', response: [m.content] });
  }
  return history;
}

export interface SummaryPromptOptions {
  style: 'paragraph' | 'bullets' | 'key-points';
  focus?: string | undefined;
  /** Target length in words (approximate). */
  targetWords?: number | undefined;
  /** Target number of sentences. */
  targetSentences?: number | undefined;
  /** For the map step: which part of the document this is. */
  part?: { index: number; total: number } | undefined;
  /** For the reduce step: the input is a list of partial summaries. */
  combine?: boolean | undefined;
}

const SUMMARY_SYSTEM =
  'You are a careful summarizer. Write only the summary, with no preamble. Keep every name, number, date, amount and quoted term exactly as written in the source; never round, convert or invent facts. If the text does not contain something, do not mention it.';

export function summaryMessages(text: string, o: SummaryPromptOptions): ChatMessage[] {
  const form =
    o.style === 'bullets'
      ? 'as a bulleted list ("- " per line)'
      : o.style === 'key-points'
        ? 'as a short numbered list of the key points, most important first'
        : 'as one concise paragraph';
  const length = o.targetSentences
    ? ` in about ${o.targetSentences} sentence${o.targetSentences === 1 ? '' : 's'}`
    : o.targetWords
      ? ` in about ${o.targetWords} words`
      : '';
  const focus = o.focus
    ? ` Focus on what matters for this question or interest: "${o.focus}". Leave out what is irrelevant to it.`
    : '';
  let task: string;
  if (o.part && !o.combine) {
    task = `This is part ${o.part.index} of ${o.part.total} of a longer document. Summarize this part${length}, keeping the facts that matter for a summary of the whole document.${focus}`;
  } else if (o.combine) {
    task = `These are summaries of consecutive parts of one document. Combine them into one summary of the whole document ${form}${length}, removing repetition.${focus}`;
  } else {
    task = `Summarize the following text ${form}${length}.${focus}`;
  }
  return [
    { role: 'system', content: SUMMARY_SYSTEM },
    { role: 'user', content: `${task}\n\n<text>\n${text}\n</text>` },
  ];
}

export function classificationMessages(text: string, labels: string[], instructions?: string): ChatMessage[] {
  return [
    {
      role: 'system',
      content: `You classify texts. Answer with exactly one label from this list and nothing else: ${labels.join(', ')}.${instructions ? ` ${instructions}` : ''}`,
    },
    { role: 'user', content: `Text:\n${text}\n\nLabel (one of: ${labels.join(', ')}):` },
  ];
}
