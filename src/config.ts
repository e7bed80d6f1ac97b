/**
 * The one configuration schema. Sources merge in this order:
 *   defaults < config file (mcp.config.json or --config PATH) < PRECHEW_* environment < flags.
 * Modules receive typed slices of the result and never read process.env themselves.
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { z } from 'zod';
import { PrechewError } from './errors.js';

const MB = 1024 * 1024;

const serverSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(7777),
    /** Extra Host header values accepted besides the bind address and localhost names. */
    allowedHosts: z.array(z.string()).default([]),
    /** Extra Origins accepted (e.g. a web app that calls the sidecar). Loopback origins are always accepted. */
    allowedOrigins: z.array(z.string()).default([]),
    maxBodyBytes: z.number().int().positive().default(4 * MB),
    /** Session-based Streamable HTTP (resumable SSE) for 2025-era clients. */
    sessions: z.boolean().default(true),
    sessionIdleMs: z.number().int().positive().default(30 * 60_000),
    /** Open sessions at most, all clients together (503 past it) and per client address (429 past it). */
    maxSessions: z.number().int().positive().default(256),
    maxSessionsPerClient: z.number().int().positive().default(32),
    /**
     * Resumable SSE for 2025-era sessions (an event store and a retry hint: a client whose stream
     * drops may reconnect with Last-Event-ID). Off by default: it stores a priming event before
     * every response (about 0.7x the calls/s of a server without it), and long jobs have tasks.
     */
    resumableStreams: z.boolean().default(false),
    /** Bytes of SSE events one session keeps for resumption (with resumableStreams); the oldest go first. */
    maxEventStoreBytes: z.number().int().positive().default(2 * MB),
    /** Time to receive a whole request (headers and body); responses, e.g. long SSE streams, are not limited. */
    requestTimeoutMs: z.number().int().positive().default(60_000),
    headersTimeoutMs: z.number().int().positive().default(20_000),
    /** How long an idle keep-alive connection stays open between requests. */
    keepAliveTimeoutMs: z.number().int().positive().default(5_000),
    shutdownGraceMs: z.number().int().nonnegative().default(10_000),
  })
  .strict()
  .prefault({});

const authSchema = z
  .object({
    /** Bearer token required on every HTTP request when set; mandatory for a non-loopback bind. */
    token: z.string().min(16, 'use a token of at least 16 characters').optional(),
  })
  .strict()
  .prefault({});

const filesSchema = z
  .object({
    /** Directories tools may read. Paths outside (after realpath) are refused. */
    roots: z.array(z.string().min(1)).default([]),
    /** Accept roots announced by the MCP client (roots/list) in addition to configured ones. */
    clientRoots: z.boolean().default(true),
  })
  .strict()
  .prefault({});

const limitsSchema = z
  .object({
    maxInputBytes: z.number().int().positive().default(50 * MB),
    maxOutputTokens: z.number().int().min(200).default(20_000),
    maxItems: z.number().int().positive().default(200_000),
    /** Wall-clock limit for one document conversion. */
    documentTimeoutMs: z.number().int().positive().default(120_000),
    /** Heap cap of the worker thread that parses one document; above it the conversion fails cleanly. */
    documentMemoryMb: z.number().int().min(32).default(1024),
    /** Zip containers (DOCX, XLSX, PPTX, EPUB, ODT): caps against zip bombs. */
    maxUncompressedBytes: z.number().int().positive().default(200 * MB),
    maxZipEntries: z.number().int().positive().default(10_000),
  })
  .strict()
  .prefault({});

const dataSchema = z
  .object({
    /** Where the cache and ledger live. Default: $XDG_DATA_HOME/prechew or ~/.local/share/prechew. */
    dir: z.string().optional(),
    cache: z.boolean().default(true),
    maxCacheBytes: z.number().int().positive().default(1024 * MB),
    /** Savings ledger (data.dir/ledger.sqlite): counts per tool call, for `prechew stats` and the dashboard. */
    ledger: z.boolean().default(true),
    /** Ledger rows older than this are dropped when it opens; 0 keeps them forever. */
    ledgerDays: z.number().int().nonnegative().default(365),
  })
  .strict()
  .prefault({});

const jobsSchema = z
  .object({
    /** How long a task's result is kept (from its creation) when the client asks for no TTL. */
    taskTtlMs: z.number().int().positive().default(24 * 60 * 60_000),
    /** The longest retention a client may ask for. */
    maxTaskTtlMs: z.number().int().positive().default(7 * 24 * 60 * 60_000),
    /** Tasks one server process runs at the same time; more are refused until one ends. */
    maxRunningTasks: z.number().int().min(1).max(1000).default(16),
    /** Polling interval suggested to clients (tasks/get). */
    taskPollMs: z.number().int().min(50).default(1000),
    /** During long work, a progress notification at least this often (clients that reset their timeout on progress stay alive). */
    progressHeartbeatMs: z.number().int().min(100).default(5000),
  })
  .strict()
  .prefault({});

const convertSchema = z
  .object({
    pdfEngine: z.enum(['auto', 'pdfjs', 'pdftotext']).default('auto'),
    /** Worker threads that parse page ranges of one long PDF at the same time. */
    pdfWorkers: z.number().int().min(1).max(16).default(2),
    maxCsvRows: z.number().int().positive().default(500),
    maxJsonChars: z.number().int().positive().default(200_000),
    /** ffmpeg for audio/video formats beyond WAV/MP3/OGG/Opus/FLAC: a command on PATH or a path; false disables it. */
    ffmpegPath: z.union([z.string().min(1), z.literal(false)]).default('ffmpeg'),
  })
  .strict()
  .prefault({});

const llmSchema = z
  .object({
    /** Path, or a file name under models.dir. Unset: the first suitable GGUF in models.dir. */
    path: z.string().optional(),
    gpu: z.union([z.literal('auto'), z.literal(false), z.enum(['cuda', 'vulkan', 'metal'])]).default('auto'),
    /** 0 = number of physical cores. */
    threads: z.number().int().nonnegative().default(0),
    contextSize: z.number().int().min(256).default(4096),
    concurrency: z.number().int().positive().default(1),
    idleUnloadMs: z.number().int().nonnegative().default(5 * 60_000),
    temperature: z.number().min(0).max(2).default(0.2),
    seed: z.number().int().optional(),
  })
  .strict()
  .prefault({});

const whisperSchema = z
  .object({
    path: z.string().optional(),
    gpu: z.boolean().default(true),
    threads: z.number().int().nonnegative().default(0),
    idleUnloadMs: z.number().int().nonnegative().default(5 * 60_000),
    /** Target unit length when splitting long audio at silences. */
    unitSeconds: z.number().min(5).max(600).default(60),
    maxDurationSeconds: z.number().positive().default(4 * 3600),
    /** Watchdog per unit: a native call that does not settle within this is failed. */
    unitTimeoutMs: z.number().int().positive().default(10 * 60_000),
    /**
     * Retry hard stretches at higher temperatures (whisper.cpp's default). Turn off for greedy,
     * reproducible decoding: identical text for the same audio on every node and run.
     */
    temperatureFallback: z.boolean().default(true),
  })
  .strict()
  .prefault({});

const modelsSchema = z
  .object({
    /** Where model files live. Default: ./models next to the working directory, then the data dir. */
    dir: z.string().optional(),
    /** Extra directories or files to list. */
    paths: z.array(z.string()).default([]),
    llm: llmSchema,
    whisper: whisperSchema,
  })
  .strict()
  .prefault({});

const privacySchema = z
  .object({
    mode: z.enum(['off', 'pseudonymize']).default('off'),
    /** Extra terms always treated as private (names of projects, customers…). */
    terms: z.array(z.string().min(1)).default([]),
    /** Country assumed for phone numbers written without a +country prefix (ISO 3166 alpha-2). */
    defaultCountry: z.string().regex(/^[A-Za-z]{2}$/, 'expected a 2-letter country code such as "US" or "DE"').default('US'),
    /** Persist vaults encrypted at rest (AES-256-GCM). Key from PRECHEW_VAULT_KEY or here. */
    persistVaults: z.boolean().default(false),
    vaultKey: z.string().optional(),
  })
  .strict()
  .prefault({});

const providerSchema = z
  .object({
    apiKey: z.string().optional(),
    baseURL: z.string().url().optional(),
    model: z.string().optional(),
  })
  .strict()
  .prefault({});

const priceSchema = z.object({ input: z.number().nonnegative(), output: z.number().nonnegative() }).strict();

const cloudSchema = z
  .object({
    anthropic: providerSchema,
    openai: providerSchema,
    openaiCompatible: providerSchema,
    timeoutMs: z.number().int().positive().default(120_000),
    maxRetries: z.number().int().nonnegative().default(3),
    /** Overrides for the built-in pricing table: model → USD per million tokens. */
    pricing: z.record(z.string(), priceSchema).default({}),
  })
  .strict()
  .prefault({});

const condenseSchema = z
  .object({
    budgetTokens: z.number().int().min(50).default(4000),
  })
  .strict()
  .prefault({});

const meshSchema = z
  .object({
    /** Name shown to peers; default: this machine's host name. */
    name: z.string().min(1).max(63).optional(),
    /** Worker consent: take units from trusted peers never (default), only when idle, or always. */
    accept: z.enum(['never', 'idle', 'always']).default('never'),
    idle: z
      .object({
        /** Busy fraction of all cores, from other processes, below which the machine is idle. */
        below: z.number().min(0.01).max(1).default(0.25),
        forSeconds: z.number().int().min(0).default(60),
        /** Local-time window such as "22:00-07:00"; unset: any time. */
        hours: z
          .string()
          .regex(/^([01]?\d|2[0-3]):[0-5]\d-([01]?\d|2[0-3]):[0-5]\d$/, 'expected a window like "22:00-07:00"')
          .optional(),
      })
      .strict()
      .prefault({}),
    worker: z
      .object({
        /** Unit kinds peers may send; empty: every kind this node has. */
        kinds: z.array(z.string()).default([]),
        maxConcurrent: z.number().int().min(1).default(1),
        maxUnitBytes: z.number().int().positive().default(16 * MB),
        perPeerPerMinute: z.number().int().positive().default(600),
      })
      .strict()
      .prefault({}),
    /** Trusted peers' node keys (as printed by `prechew id`); `prechew peers trust` adds to the data dir's list. */
    trusted: z.array(z.object({ name: z.string().min(1), key: z.string().min(1) }).strict()).default([]),
    /** Static peers: base URLs of other prechew nodes (http://host:port). */
    peers: z.array(z.string().url()).default([]),
    discovery: z
      .object({
        mdns: z.boolean().default(false),
        tailscale: z.boolean().default(false),
        tailscaleTag: z.string().optional(),
        tailscalePort: z.number().int().min(1).max(65535).optional(),
        intervalSeconds: z.number().int().min(2).default(15),
      })
      .strict()
      .prefault({}),
    /** Send units to trusted peers: off, or auto (default off). Tools that split work accept a per-call override. */
    offload: z.enum(['off', 'auto']).default('off'),
    /** Run a share of offloaded jobs here too (default); false leaves them to peers, with this node as the fallback. */
    localUnits: z.boolean().default(true),
    verify: z.enum(['none', 'quorum', 'spot']).default('none'),
    spotFraction: z.number().min(0).max(1).default(0.1),
    unitTimeoutMs: z.number().int().positive().default(10 * 60_000),
    maxSkewMs: z.number().int().positive().default(60_000),
    /** Test-only fault injection: this node returns wrong unit outputs. Never set it outside tests. */
    testCorruptOutputs: z.boolean().default(false),
    /** The JetStream transport (mesh part 2): units on a NATS work queue that workers pull from. */
    nats: z
      .object({
        /** The NATS server this node joins (an existing deployment or a `prechew hub`); unset: no JetStream. */
        url: z.string().optional(),
        /** Credentials for an existing deployment; a prechew hub authenticates nodes by their NKey (node key). */
        user: z.string().optional(),
        password: z.string().optional(),
        /** JetStream domain to use: "prechew" for a node that joins through a leaf hub (unset: the server's own). */
        domain: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
        hub: z
          .object({
            host: z.string().default('127.0.0.1'),
            port: z.number().int().min(0).max(65535).default(4222),
            /** nats-server executable (default: found on PATH). */
            binary: z.string().optional(),
            /** Accept leaf-node connections from site hubs on this port (they authenticate by user/password). */
            leafPort: z.number().int().min(1).max(65535).optional(),
            leafUsers: z.array(z.object({ user: z.string().min(1), password: z.string().min(12) }).strict()).default([]),
            /** Connect out to a central hub as a leaf node (a site behind NAT): its leaf URL and credentials. */
            leafRemote: z
              .object({ url: z.string().min(1), user: z.string().min(1), password: z.string().min(1) })
              .strict()
              .optional(),
          })
          .strict()
          .prefault({}),
        /** How long a pulled unit may go without an ack or a working() heartbeat before it is redelivered. */
        ackWaitMs: z.number().int().min(500).default(10_000),
        /** Deliveries before a unit is dead-lettered and reported to its requester. */
        maxDeliver: z.number().int().min(1).max(20).default(5),
        /** Sealed payloads larger than this go through the Object Store instead of the message. */
        objectThresholdBytes: z.number().int().min(1024).max(900 * 1024).default(512 * 1024),
        /** Units this node keeps in flight on the queue at once. */
        maxInFlight: z.number().int().min(1).default(256),
        /** How often a node refreshes its entry in the node registry (which expires after three periods). */
        heartbeatSeconds: z.number().int().min(1).default(5),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export const configSchema = z
  .object({
    server: serverSchema,
    auth: authSchema,
    files: filesSchema,
    limits: limitsSchema,
    data: dataSchema,
    jobs: jobsSchema,
    convert: convertSchema,
    models: modelsSchema,
    privacy: privacySchema,
    cloud: cloudSchema,
    condense: condenseSchema,
    mesh: meshSchema,
    logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  })
  .strict()
  .superRefine((config, ctx) => {
    // Fail at start, not on every call: persisting vaults without a key cannot work.
    if (config.privacy.persistVaults && !config.privacy.vaultKey) {
      ctx.addIssue({
        code: 'custom',
        path: ['privacy', 'persistVaults'],
        message: 'vault persistence needs a key: set PRECHEW_VAULT_KEY (or privacy.vaultKey) to a long random secret, or set privacy.persistVaults to false',
      });
    }
  });

export type Config = z.infer<typeof configSchema>;
export type ServerConfig = Config['server'];
export type LimitsConfig = Config['limits'];
export type FilesConfig = Config['files'];
export type ModelsConfig = Config['models'];
export type MeshConfig = Config['mesh'];

type Json = Record<string, unknown>;

/** Options that come from CLI flags (already parsed into config paths). */
export interface ConfigSources {
  configPath?: string | undefined;
  /** Working directory used to find mcp.config.json and relative paths. */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  flags?: Json;
}

function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const prev = out[k];
    out[k] = isPlainObject(prev) && isPlainObject(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

function setPath(target: Json, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (!isPlainObject(node[part])) node[part] = {};
    node = node[part] as Json;
  }
  node[parts[parts.length - 1]!] = value;
}

/** PRECHEW_* environment variables and the config path each one sets, with its type. */
const envMap: Array<[string, string, 'string' | 'int' | 'number' | 'bool' | 'list' | 'urls' | 'gpu']> = [
  ['PRECHEW_HOST', 'server.host', 'string'],
  ['PRECHEW_PORT', 'server.port', 'int'],
  ['PRECHEW_ALLOWED_HOSTS', 'server.allowedHosts', 'list'],
  ['PRECHEW_ALLOWED_ORIGINS', 'server.allowedOrigins', 'list'],
  ['PRECHEW_MAX_BODY_BYTES', 'server.maxBodyBytes', 'int'],
  ['PRECHEW_TOKEN', 'auth.token', 'string'],
  ['PRECHEW_ROOTS', 'files.roots', 'list'],
  ['PRECHEW_MAX_INPUT_BYTES', 'limits.maxInputBytes', 'int'],
  ['PRECHEW_MAX_OUTPUT_TOKENS', 'limits.maxOutputTokens', 'int'],
  ['PRECHEW_DATA_DIR', 'data.dir', 'string'],
  ['PRECHEW_CACHE', 'data.cache', 'bool'],
  ['PRECHEW_RESUMABLE_STREAMS', 'server.resumableStreams', 'bool'],
  ['PRECHEW_TASK_TTL_MS', 'jobs.taskTtlMs', 'int'],
  ['PRECHEW_PROGRESS_HEARTBEAT_MS', 'jobs.progressHeartbeatMs', 'int'],
  ['PRECHEW_PDF_ENGINE', 'convert.pdfEngine', 'string'],
  ['PRECHEW_FFMPEG', 'convert.ffmpegPath', 'string'],
  ['PRECHEW_MODELS_DIR', 'models.dir', 'string'],
  ['PRECHEW_LLM_MODEL', 'models.llm.path', 'string'],
  ['PRECHEW_LLM_GPU', 'models.llm.gpu', 'gpu'],
  ['PRECHEW_LLM_THREADS', 'models.llm.threads', 'int'],
  ['PRECHEW_WHISPER_MODEL', 'models.whisper.path', 'string'],
  ['PRECHEW_WHISPER_THREADS', 'models.whisper.threads', 'int'],
  ['PRECHEW_PRIVACY', 'privacy.mode', 'string'],
  ['PRECHEW_VAULT_KEY', 'privacy.vaultKey', 'string'],
  ['PRECHEW_PRIVACY_COUNTRY', 'privacy.defaultCountry', 'string'],
  ['ANTHROPIC_API_KEY', 'cloud.anthropic.apiKey', 'string'],
  ['OPENAI_API_KEY', 'cloud.openai.apiKey', 'string'],
  ['PRECHEW_OPENAI_BASE_URL', 'cloud.openai.baseURL', 'string'],
  ['PRECHEW_COMPAT_BASE_URL', 'cloud.openaiCompatible.baseURL', 'string'],
  ['PRECHEW_COMPAT_API_KEY', 'cloud.openaiCompatible.apiKey', 'string'],
  ['PRECHEW_MESH_ACCEPT', 'mesh.accept', 'string'],
  ['PRECHEW_MESH_OFFLOAD', 'mesh.offload', 'string'],
  ['PRECHEW_MESH_PEERS', 'mesh.peers', 'urls'],
  ['PRECHEW_MESH_VERIFY', 'mesh.verify', 'string'],
  ['PRECHEW_NATS_URL', 'mesh.nats.url', 'string'],
  ['PRECHEW_LOG_LEVEL', 'logLevel', 'string'],
];

function parseEnvValue(name: string, raw: string, kind: (typeof envMap)[number][2]): unknown {
  switch (kind) {
    case 'string':
      return raw;
    case 'list':
      return raw
        .split(/[,:;]/)
        .map((s) => s.trim())
        .filter(Boolean);
    case 'urls':
      // URLs contain ':' — split on commas and white space only.
      return raw
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean);
    case 'bool':
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      throw new PrechewError('CONFIG_INVALID', `Invalid config: ${name}="${raw}" — expected true or false.`);
    case 'gpu':
      return /^(0|false|no|off|cpu)$/i.test(raw) ? false : raw;
    case 'int':
    case 'number': {
      const n = Number(raw);
      if (!Number.isFinite(n) || (kind === 'int' && !Number.isInteger(n))) {
        throw new PrechewError(
          'CONFIG_INVALID',
          `Invalid config: ${name}="${raw}" — expected ${kind === 'int' ? 'an integer' : 'a number'}.`,
        );
      }
      return n;
    }
  }
}

export function configFromEnv(env: NodeJS.ProcessEnv): Json {
  const out: Json = {};
  for (const [name, dotted, kind] of envMap) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    setPath(out, dotted, parseEnvValue(name, raw, kind));
  }
  // Environment names of secrets that may also be given in the file; keep them out of logs.
  return out;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const s = JSON.stringify(value);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

function getPath(obj: unknown, parts: PropertyKey[]): unknown {
  let node: unknown = obj;
  for (const p of parts) {
    if (!isPlainObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[p];
  }
  return node;
}

/** Validate a raw merged object; throw CONFIG_INVALID naming the field, value and expectation. */
export function parseConfig(raw: Json, origin = 'config'): Config {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.slice(0, 5).map((issue) => {
    const field = issue.path.map(String).join('.') || '(root)';
    const secret = /token|key/i.test(field);
    const value = secret ? '***' : describeValue(getPath(raw, issue.path));
    if (issue.code === 'unrecognized_keys') {
      const keys = (issue as { keys?: string[] }).keys ?? [];
      return `${field === '(root)' ? '' : field + '.'}${keys.join(', ')}: unknown setting (check the spelling; see README "Configuration")`;
    }
    return `${field}: got ${value} — ${issue.message}`;
  });
  throw new PrechewError('CONFIG_INVALID', `Invalid ${origin}: ${lines.join('; ')}`);
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'prechew');
}

export interface LoadedConfig {
  config: Config;
  /** The config file that was read, if any. */
  file: string | undefined;
}

/** Merge all sources in order and validate once. Relative paths resolve against the config file's folder or cwd. */
export function loadConfig(sources: ConfigSources = {}): LoadedConfig {
  const cwd = sources.cwd ?? process.cwd();
  const env = sources.env ?? process.env;
  const explicit = sources.configPath ?? env.PRECHEW_CONFIG;
  let file: string | undefined;
  let fromFile: Json = {};
  if (explicit) {
    file = path.resolve(cwd, explicit);
    if (!existsSync(file)) throw new PrechewError('CONFIG_INVALID', `Config file not found: ${file}`);
  } else if (existsSync(path.join(cwd, 'mcp.config.json'))) {
    file = path.join(cwd, 'mcp.config.json');
  }
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new PrechewError('CONFIG_INVALID', `Cannot read config file ${file}: ${(error as Error).message}`);
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (!isPlainObject(parsed)) throw new Error('the top level must be a JSON object');
      fromFile = parsed;
      delete fromFile.$schema;
      delete fromFile.$comment;
    } catch (error) {
      throw new PrechewError('CONFIG_INVALID', `Config file ${file} is not valid JSON: ${(error as Error).message}`);
    }
  }
  const merged = deepMerge(deepMerge(fromFile, configFromEnv(env)), sources.flags ?? {});
  const config = parseConfig(merged, file ? `config (${path.basename(file)} + environment + flags)` : 'config');
  const baseDir = file ? path.dirname(file) : cwd;
  config.files.roots = config.files.roots.map((r) => path.resolve(baseDir, expandHome(r)));
  config.data.dir = path.resolve(baseDir, expandHome(config.data.dir ?? defaultDataDir(env)));
  if (config.models.dir) config.models.dir = path.resolve(baseDir, expandHome(config.models.dir));
  config.models.paths = config.models.paths.map((p) => path.resolve(baseDir, expandHome(p)));
  return { config, file };
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

/** A URL with any user:password part masked, e.g. https://***:***@host/v1. */
export function maskUrlUserinfo(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = u.username ? '***' : '';
    u.password = u.password ? '***' : '';
    return u.toString();
  } catch {
    // Not a URL we can parse: mask anything that looks like userinfo.
    return url.replace(/\/\/[^/@]*@/, '//***@');
  }
}

/** The effective config with every secret masked (fully: no characters of a secret are shown), for `prechew config` and logs. */
export function maskSecrets(config: Config): Json {
  const mask = (v: string | undefined) => (v ? '***' : undefined);
  const copy = JSON.parse(JSON.stringify(config)) as Config;
  copy.auth.token = mask(copy.auth.token);
  copy.privacy.vaultKey = mask(copy.privacy.vaultKey);
  for (const provider of [copy.cloud.anthropic, copy.cloud.openai, copy.cloud.openaiCompatible]) {
    provider.apiKey = mask(provider.apiKey);
    if (provider.baseURL) provider.baseURL = maskUrlUserinfo(provider.baseURL);
  }
  const nats = copy.mesh.nats;
  nats.password = mask(nats.password);
  if (nats.url) nats.url = maskUrlUserinfo(nats.url);
  for (const u of nats.hub.leafUsers) u.password = '***';
  if (nats.hub.leafRemote) nats.hub.leafRemote.password = '***';
  return copy as unknown as Json;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}
