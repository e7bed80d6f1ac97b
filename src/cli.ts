#!/usr/bin/env node
/**
 * argv → config → start. The only module that calls process.exit or writes to stdout outside the
 * MCP protocol (and in stdio mode it writes nothing to stdout itself).
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import type { App } from './app.js';
import { loadConfig, maskSecrets, type Config } from './config.js';
import { PrechewError, toSafeError } from './errors.js';
import { formatBytes } from './files.js';
import { log, setLogLevel } from './log.js';
import type { AnyTool, ToolContext } from './tools/types.js';
import { version } from './version.js';

// Each command imports what it needs when it runs: `--version` loads none of the tools and
// `tools` none of the MCP server, engines or SDKs (start-up time; see README "Start-up").
const appModule = () => import('./app.js');
const registryModule = () => import('./tools/registry.js');

const HELP = `prechew ${version} — local preprocessing gateway for AI (MCP server)

Usage:
  prechew                              MCP over stdio (what Claude Desktop runs)
  prechew serve --stdio                same as above
  prechew serve --http [--host H] [--port P]
                                       Streamable HTTP at http://H:P/mcp (default 127.0.0.1:7777)
  prechew run <tool> [--text T | --path FILE | -] [--arg k=v ...] [--args JSON] [--json]
                                       call a tool from the shell ('-' reads the text from stdin;
                                       --arg values are JSON, or a comma list for list fields:
                                       --arg types=person,email)
  prechew tools                        list tools
  prechew config                       print the effective config (secrets masked)
  prechew doctor                       check Node, native bindings, models and system tools
  prechew id [--json]                  this node's mesh identity: fingerprint and node key
  prechew peers [--json] [--wait S]    peers found (config, mDNS, Tailscale) with their signed status
  prechew peers trust <key|file> [--name N]   trust another node's key (as \`prechew id\` prints it)
  prechew peers untrust <name>         stop trusting a node
  prechew stats [--since 7d] [--json]  the savings ledger: tokens and dollars saved, per day, tool and node
  prechew hub [--port P] [--leaf-port P]   run a JetStream hub (nats-server) for the mesh's work queue
  prechew models [--json]              list GGUF and whisper model files with their metadata
  prechew models pull <url | hf:owner/repo/file.gguf> [--dir DIR]
                                       download a model (resumable, size-verified)

Options:
  --config PATH        config file (default: ./mcp.config.json when present)
  --root DIR           allow tools to read files under DIR (repeatable)
  --log-level LEVEL    debug | info | warn | error | silent (logs go to stderr)
  --max-output-tokens N  paginate tool output above N tokens (run: default unlimited)
  -h, --help           this help
  -v, --version        print the version

Environment: PRECHEW_HOST, PRECHEW_PORT, PRECHEW_TOKEN, PRECHEW_ROOTS, PRECHEW_DATA_DIR,
PRECHEW_MODELS_DIR, PRECHEW_LOG_LEVEL … (see README "Configuration").`;

class UsageError extends Error {}

function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

function err(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : text + '\n');
}

interface Parsed {
  command: string;
  positionals: string[];
  values: Record<string, string | boolean | string[] | undefined>;
}

function parse(argv: string[]): Parsed {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
      config: { type: 'string' },
      root: { type: 'string', multiple: true },
      'log-level': { type: 'string' },
      stdio: { type: 'boolean' },
      http: { type: 'boolean' },
      host: { type: 'string' },
      port: { type: 'string' },
      text: { type: 'string' },
      path: { type: 'string' },
      arg: { type: 'string', multiple: true },
      args: { type: 'string' },
      json: { type: 'boolean' },
      cursor: { type: 'string' },
      'max-output-tokens': { type: 'string' },
    },
  });
  const [command = 'serve', ...rest] = positionals;
  return { command, positionals: rest, values };
}

function flagsToConfig(values: Parsed['values']): Record<string, unknown> {
  const flags: Record<string, Record<string, unknown>> = {};
  const set = (section: string, key: string, value: unknown) => {
    (flags[section] ??= {})[key] = value;
  };
  if (typeof values.host === 'string') set('server', 'host', values.host);
  if (typeof values.port === 'string') {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a number from 0 to 65535, got "${values.port}"`);
    set('server', 'port', port);
  }
  const result: Record<string, unknown> = { ...flags };
  if (typeof values['log-level'] === 'string') result.logLevel = values['log-level'];
  return result;
}

function load(values: Parsed['values'], extraRoots: string[] = []): Config {
  const { config } = loadConfig({ configPath: values.config as string | undefined, flags: flagsToConfig(values) });
  const roots = [...((values.root as string[] | undefined) ?? []), ...extraRoots].map((r) => path.resolve(r));
  config.files.roots = [...new Set([...config.files.roots, ...roots])];
  setLogLevel(config.logLevel);
  return config;
}

function parseArgValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * The text piped to `prechew run <tool> -`, read as a stream: a synchronous read of fd 0 fails
 * with EAGAIN on a non-blocking pipe as soon as the writer is slower than the reader. Stops at
 * `limit` bytes with INPUT_TOO_LARGE instead of buffering without bound.
 */
async function readStdin(limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer | string>) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    size += buffer.length;
    if (size > limit) {
      process.stdin.destroy();
      throw new PrechewError(
        'INPUT_TOO_LARGE',
        `The text on stdin is over the ${formatBytes(limit)} input limit. Split it, give a file with --path, or raise limits.maxInputBytes in the config.`,
        { limit },
      );
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/** A zod schema's own type name, looking through optional, default and similar wrappers. */
function schemaCore(schema: unknown): { type: string; element?: unknown } | undefined {
  let current = schema;
  for (let depth = 0; depth < 8; depth++) {
    const def = (current as { _zod?: { def?: { type?: unknown; innerType?: unknown; element?: unknown } } } | undefined)?._zod?.def;
    if (!def || typeof def.type !== 'string') return undefined;
    if (['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch'].includes(def.type)) {
      current = def.innerType;
      continue;
    }
    return { type: def.type, element: def.element };
  }
  return undefined;
}

/**
 * `--arg key=value`: JSON when the value is valid JSON; for a field the tool's input schema
 * declares as an array, a plain comma list too (`--arg types=person,email`), with numbers
 * converted for arrays of numbers.
 */
function argValue(tool: AnyTool, key: string, raw: string): unknown {
  const value = parseArgValue(raw);
  if (typeof value !== 'string') return value;
  const shape = (tool.inputSchema as unknown as { shape?: Record<string, unknown> }).shape;
  const field = schemaCore(shape?.[key]);
  if (field?.type !== 'array') return value;
  const parts = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  return schemaCore(field.element)?.type === 'number' ? parts.map(Number) : parts;
}

async function commandRun(p: Parsed): Promise<number> {
  const [toolName] = p.positionals;
  if (!toolName) throw new UsageError('run needs a tool name; see `prechew tools`.');
  const { allTools, findTool } = await registryModule();
  const tool = findTool(toolName);
  if (!tool) throw new UsageError(`Unknown tool "${toolName}". Available: ${allTools().map((t) => t.name).join(', ')}`);
  const args: Record<string, unknown> = {};
  if (typeof p.values.args === 'string') {
    const parsed = parseArgValue(p.values.args);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError('--args must be a JSON object');
    Object.assign(args, parsed);
  }
  for (const kv of (p.values.arg as string[] | undefined) ?? []) {
    const eq = kv.indexOf('=');
    if (eq < 1) throw new UsageError(`--arg expects key=value, got "${kv}"`);
    args[kv.slice(0, eq)] = argValue(tool, kv.slice(0, eq), kv.slice(eq + 1));
  }
  const textField = tool.cli?.text;
  const pathField = tool.cli?.path;
  const extraRoots: string[] = [];
  if (typeof p.values.text === 'string') {
    if (!textField) throw new UsageError(`${tool.name} takes no --text; use --arg`);
    args[textField] = p.values.text;
  }
  const fromStdin = p.positionals[1] === '-';
  if (fromStdin && !textField) throw new UsageError(`${tool.name} takes no text on stdin; use --arg`);
  if (typeof p.values.path === 'string') {
    if (!pathField) throw new UsageError(`${tool.name} takes no --path; use --arg`);
    const abs = path.resolve(p.values.path);
    args[pathField] = abs;
    // The user named this file on their own command line: allow its directory for this call.
    extraRoots.push(path.dirname(abs));
  }
  if (typeof p.values.cursor === 'string') args.cursor = p.values.cursor;
  // A shell user may read what their own shell can name below the working directory.
  extraRoots.push(process.cwd());
  const config = load(p.values, extraRoots);
  if (fromStdin && textField) {
    try {
      const text = await readStdin(config.limits.maxInputBytes);
      if (text.trim() === '') {
        throw new PrechewError(
          'INVALID_INPUT',
          `No text arrived on stdin ('-' reads it from there). Pipe some in (cat notes.txt | prechew run ${tool.name} -), or use --text or --path.`,
        );
      }
      args[textField] = text;
    } catch (error) {
      // Reported like a tool error: the code first, then what to do.
      const safe = toSafeError(error);
      if (p.values.json) out(JSON.stringify({ error: { code: safe.code, message: safe.message } }, null, 2));
      err(`prechew: [${safe.code}] ${safe.message}`);
      return 1;
    }
  }
  const { createApp } = await appModule();
  const [{ invokeTool }, { terminalProgress }] = await Promise.all([import('./tools/invoke.js'), import('./cli-progress-bar.js')]);
  const app = createApp(config);
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    const bar = terminalProgress(tool.name);
    const ctx: ToolContext = {
      app,
      signal: controller.signal,
      progress: bar.report,
      clientRoots: async () => [],
    };
    const maxTokens = typeof p.values['max-output-tokens'] === 'string' ? Number(p.values['max-output-tokens']) : Infinity;
    const outcome = await invokeTool(tool, args, ctx, { pageStore: app.pageStore, maxOutputTokens: maxTokens }).finally(() => bar.stop());
    if (outcome.isError) {
      if (p.values.json) out(JSON.stringify({ error: outcome.error }, null, 2));
      err(`prechew: ${outcome.text}`);
      return 1;
    }
    out(p.values.json ? JSON.stringify(outcome.structured, null, 2) : outcome.text);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    await app.dispose();
  }
}

/** The Claude Desktop entry for this very server: same node, same script, the configured roots and no others. */
function claudeDesktopSnippet(roots: readonly string[]): string {
  const cli = path.resolve(process.argv[1] ?? 'dist/src/cli.js');
  const rootArgs = roots.flatMap((root) => ['--root', root]);
  return JSON.stringify({ mcpServers: { prechew: { command: process.execPath, args: [cli, 'serve', '--stdio', ...rootArgs] } } }, null, 2);
}

async function commandServe(p: Parsed): Promise<number> {
  const config = load(p.values);
  const { createApp, startMesh } = await appModule();
  const app = createApp(config);
  if (p.values.http) {
    const { startHttpServer } = await import('./transports/http.js');
    const server = await startHttpServer(app, { host: config.server.host, port: config.server.port, token: config.auth.token });
    await startMesh(app, server.port);
    // One write, so whoever reads the banner sees all of it at once.
    const banner = [
      `prechew ${version} listening on ${server.url}`,
      `  MCP Inspector:  npx @modelcontextprotocol/inspector --cli ${server.url} --transport http --method tools/list`,
      `  Any MCP client: Streamable HTTP endpoint ${server.url}${config.auth.token ? ' (send Authorization: Bearer <token>)' : ''}`,
      `  Claude Desktop (claude_desktop_config.json; it starts prechew itself over stdio):`,
      claudeDesktopSnippet(config.files.roots).replace(/^/gm, '    '),
    ];
    if (config.files.roots.length === 0) banner.push('  Note: no file roots allowed; tools accept inline text only. Add --root DIR to let them read files.');
    err(banner.join('\n'));
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    err('prechew: shutting down (finishing in-flight calls)…');
    await server.close();
    await app.dispose();
    return 0;
  }
  const { runStdio } = await import('./transports/stdio.js');
  await startMesh(app, undefined);
  await runStdio(app);
  await app.dispose();
  return 0;
}

/** For commands with flags of their own: takes `--config PATH` out of argv and loads the config. */
function configAndRest(argv: string[]): { config: Config; rest: string[] } {
  const rest = [...argv];
  let configPath: string | undefined;
  const i = rest.indexOf('--config');
  if (i >= 0) {
    configPath = rest[i + 1];
    rest.splice(i, 2);
  }
  return { config: load({ config: configPath }), rest };
}

async function commandModels(argv: string[]): Promise<number> {
  // `models` has its own flags (--json, --dir); only --config is shared with the rest of the CLI.
  const { config, rest } = configAndRest(argv);
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    const { modelsCommand } = await import('./engines/models.js');
    return await modelsCommand(rest, config, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), errIsTty: process.stderr.isTTY === true }, controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
  }
}

async function commandMesh(argv: string[]): Promise<number> {
  // `id` and `peers` have their own flags; only --config is shared with the rest of the CLI.
  const { config, rest } = configAndRest(argv);
  const { idCommand, peersCommand } = await import('./mesh/commands.js');
  const io = { out, err };
  if (rest[0] === 'id') return idCommand(config, rest.includes('--json'), io);
  const { createApp } = await appModule();
  return peersCommand(rest.slice(1), config, createApp(config).executor.registry, version, io);
}

async function commandStats(argv: string[]): Promise<number> {
  const { config, rest } = configAndRest(argv);
  const [{ openLedger }, { statsCommand }] = await Promise.all([import('./store/ledger.js'), import('./store/stats-report.js')]);
  const ledger = openLedger(config.data.dir!);
  try {
    return statsCommand(rest, (since) => ledger.stats(since), { out });
  } finally {
    ledger.close();
  }
}

async function commandHub(argv: string[]): Promise<number> {
  const { config, rest } = configAndRest(argv);
  const [{ hubCommand }, { createApp }] = await Promise.all([import('./mesh/nats/hub-command.js'), appModule()]);
  return hubCommand(rest, config, createApp(config).executor.registry, { out, err });
}

/** Runs a command that parses its own flags, mapping errors as the rest of the CLI does. */
async function withOwnFlags(run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (error) {
    const safe = toSafeError(error);
    if (safe.code === 'INTERNAL') log.error('unexpected error', { error });
    err(`prechew: ${safe.message}`);
    return safe.code === 'CONFIG_INVALID' ? 78 : 1;
  }
}

export async function main(argv: string[]): Promise<number> {
  const ownFlags = !argv.includes('--help') && !argv.includes('-h');
  if ((argv[0] === 'id' || argv[0] === 'peers') && ownFlags) return withOwnFlags(() => commandMesh(argv));
  if (argv[0] === 'hub' && ownFlags) return withOwnFlags(() => commandHub(argv.slice(1)));
  if (argv[0] === 'models' && ownFlags) return withOwnFlags(() => commandModels(argv.slice(1)));
  if (argv[0] === 'stats' && ownFlags) return withOwnFlags(() => commandStats(argv.slice(1)));
  let p: Parsed;
  try {
    p = parse(argv);
  } catch (error) {
    err(`prechew: ${(error as Error).message}. See prechew --help.`);
    return 2;
  }
  if (p.values.version) {
    out(version);
    return 0;
  }
  if (p.values.help || p.command === 'help') {
    out(HELP);
    return 0;
  }
  try {
    switch (p.command) {
      case 'serve':
        return await commandServe(p);
      case 'run':
        return await commandRun(p);
      case 'tools': {
        const tools = (await registryModule()).allTools();
        const width = Math.max(...tools.map((t) => t.name.length));
        for (const t of tools) out(`${t.name.padEnd(width)}  ${t.summary}`);
        return 0;
      }
      case 'config': {
        const config = load(p.values);
        out(JSON.stringify(maskSecrets(config), null, 2));
        return 0;
      }
      case 'doctor': {
        const config = load(p.values);
        const { runDoctor } = await import('./doctor.js');
        const report = await runDoctor(config);
        out(report.text);
        return report.ok ? 0 : 1;
      }
      default:
        throw new UsageError(`Unknown command "${p.command}".`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      err(`prechew: ${error.message} See prechew --help.`);
      return 2;
    }
    const safe = toSafeError(error);
    if (safe.code === 'INTERNAL') log.error('unexpected error', { error });
    err(`prechew: ${safe.message}`);
    return safe.code === 'CONFIG_INVALID' ? 78 : 1;
  }
}

// A reader that stops early (`prechew tools | head -3`, a client that went away) closes stdout:
// that ends the command quietly instead of crashing it with EPIPE.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

// Run when executed directly (also through the npm bin symlink).
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Native engines may keep handles open; exit explicitly once everything is disposed.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (error: unknown) => {
    err(`prechew: ${error instanceof PrechewError ? error.message : 'fatal error'}`);
    process.exit(1);
  },
);

export type { App };
