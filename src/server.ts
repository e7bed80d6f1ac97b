/**
 * Builds the MCP server: tool registrations (a thin layer over tools/*), instructions for the
 * model, and the per-request plumbing (progress notifications, cancellation, client roots).
 */
import { McpServer, type StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { App } from './app.js';
import { rootFromUri } from './files.js';
import { log } from './log.js';
import { pageInfoSchema } from './tools/pages.js';
import { invokeTool } from './tools/invoke.js';
import { allTools } from './tools/registry.js';
import type { AnyTool, ToolContext } from './tools/types.js';
import type { ProgressUpdate } from './jobs/units.js';
import { ProgressSender } from './jobs/progress.js';
import { installTasks, TASK_TOOLS, type CallToolResultLike } from './server-tasks.js';
import { findTool } from './tools/registry.js';
import type { ToolOutcome } from './tools/invoke.js';
import { version } from './version.js';
import { modelsResource } from './engines/models.js';
import { getLedger, statsResource } from './store/ledger.js';
import { withMemoizedJsonSchema } from './tools/memoized-json-schema.js';

export const SERVER_INSTRUCTIONS = `prechew does grunt work locally — on the user's machine, with no cloud calls unless \`ask\` is used — so that only lean, relevant context reaches you.
Prefer it whenever the input is large or raw (long documents, recordings, big collections):
- condense: the main entry point. Give sources (files, text, base64 data), an optional query and a token budget; get back a small, cited, de-duplicated context that answers the query, with a savings report. Use it before reading anything long.
- convert: turn a PDF, DOCX, PPTX, XLSX, ODT, EPUB, RTF, HTML, CSV or JSON file into Markdown (page ranges with \`pages\`).
- transcribe: speech to text from audio/video files, with timestamps (needs a local whisper model).
- summarize: summary of a document or texts (local LLM when available, otherwise a strong extractive summary with offsets); \`focus\` steers it.
- classify: sentiment or your own labels for one or many short texts (support tickets, reviews), with a histogram.
- extract-entities: people, organizations, places, emails, URLs, phones, dates, amounts, percents, hashtags and mentions, with offsets.
- dedupe: remove exact and near-duplicate items or paragraphs before reading them.
- redact / restore: replace private data with stable placeholders (⟦PERSON_1⟧) and put the originals back later.
- ask: condense sources locally, pseudonymize them, and forward the question to Claude or GPT (uses the user's API key and costs money; only when asked to).
Files: pass \`path\` for files inside the directories the user allowed; otherwise pass \`text\`. When a result says it continues on another page, call the same tool with the \`cursor\` it gives.
Errors come back as results whose text starts with [CODE] and says what to change.`;

// The HTTP transport builds a server per request, so the extended schemas are built once per tool.
// Their JSON Schema forms are memoised too: the SDK converts them per server instance otherwise.
interface ToolSchemas {
  input: StandardSchemaWithJSON;
  output: StandardSchemaWithJSON;
  /** The input schema as zod, for validating task-augmented calls before a task exists. */
  inputZod: z.ZodType;
}
const registeredSchemas = new Map<string, ToolSchemas>();

function schemasFor(tool: AnyTool): ToolSchemas {
  let entry = registeredSchemas.get(tool.name);
  if (!entry) {
    const inputZod = (tool.inputSchema as unknown as z.ZodObject).safeExtend({
      cursor: z.string().optional().describe('Continuation cursor from a previous paginated result; when given, the other arguments are ignored.'),
    });
    entry = {
      inputZod,
      input: withMemoizedJsonSchema(inputZod),
      output: withMemoizedJsonSchema(
        (tool.outputSchema as unknown as z.ZodObject).safeExtend({
          page: pageInfoSchema.optional().describe('present when the result is split into pages'),
        }),
      ),
    };
    registeredSchemas.set(tool.name, entry);
  }
  return entry;
}

const PROGRESS_INTERVAL_MS = 100;

export interface McpServerOptions {
  /**
   * How roots announced by the client (roots/list) are used. 'honour': they add to the configured
   * roots; right over stdio, where the client started the server as its own user. 'within-configured':
   * only the parts inside the configured roots count, so they can never widen them; right over HTTP,
   * where any local user can connect.
   */
  clientRoots: 'honour' | 'within-configured';
  /** Which transport serves this server; tasks are visible only to the kind that created them. Default 'http'. */
  transport?: 'stdio' | 'http';
}

function toCallToolResult(outcome: ToolOutcome): CallToolResultLike & { content: Array<{ type: 'text'; text: string }> } {
  if (outcome.isError) return { isError: true, content: [{ type: 'text' as const, text: outcome.text }] };
  return { content: [{ type: 'text' as const, text: outcome.text }], structuredContent: outcome.structured ?? {} };
}

export function createMcpServer(app: App, options: McpServerOptions = { clientRoots: 'within-configured' }): McpServer {
  const server = new McpServer(
    { name: 'prechew', title: 'prechew — local preprocessing for AI', version },
    { capabilities: { tools: {}, resources: {}, logging: {} }, instructions: SERVER_INSTRUCTIONS },
  );

  let cachedRoots: string[] | undefined;
  server.server.setNotificationHandler?.('notifications/roots/list_changed', () => {
    cachedRoots = undefined;
  });
  const clientRoots = async (): Promise<string[]> => {
    if (!app.config.files.clientRoots) return [];
    if (cachedRoots) return cachedRoots;
    try {
      if (!server.server.getClientCapabilities()?.roots) return [];
      const result = await server.server.listRoots(undefined, { timeout: 5000 });
      const announced = result.roots.map((r) => rootFromUri(r.uri)).filter((r): r is string => Boolean(r));
      cachedRoots = options.clientRoots === 'honour' ? announced : await app.files.rootsWithinConfigured(announced);
      return cachedRoots;
    } catch (error) {
      log.debug('client roots unavailable', { error });
      return [];
    }
  };

  for (const tool of allTools()) {
    const registered = server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: schemasFor(tool).input,
        outputSchema: schemasFor(tool).output,
        annotations: { title: tool.title, ...tool.annotations },
      },
      async (args: unknown, extra) => {
        const progressToken = extra.mcpReq._meta?.progressToken;
        const sender =
          progressToken === undefined
            ? undefined
            : new ProgressSender({
                minIntervalMs: PROGRESS_INTERVAL_MS,
                heartbeatMs: app.config.jobs.progressHeartbeatMs,
                send: (notice) => {
                  extra.mcpReq
                    .notify({ method: 'notifications/progress', params: { progressToken, ...notice } })
                    .catch((error: unknown) => log.debug('progress notification failed', { error }));
                },
              });
        const progress = (update: ProgressUpdate): void => sender?.report(update);
        const ctx: ToolContext = { app, signal: extra.mcpReq.signal, progress, clientRoots };
        try {
          const outcome = await invokeTool(tool, args, ctx, { pageStore: app.pageStore, maxOutputTokens: app.config.limits.maxOutputTokens });
          return toCallToolResult(outcome);
        } finally {
          sender?.stop();
        }
      },
    );
    if (TASK_TOOLS.has(tool.name)) registered.execution = { taskSupport: 'optional' };
  }
  installTasks(server, app, {
    owner: options.transport ?? 'http',
    findTool,
    inputSchema: (tool) => schemasFor(tool).inputZod,
    snapshotRoots: clientRoots,
    async run(tool, args, signal, roots, setMessage) {
      const ctx: ToolContext = { app, signal, progress: (u) => u.message && setMessage(u.message), clientRoots: async () => roots };
      return toCallToolResult(await invokeTool(tool, args, ctx, { pageStore: app.pageStore, maxOutputTokens: app.config.limits.maxOutputTokens }));
    },
  });
  server.registerResource(
    modelsResource.name,
    modelsResource.uri,
    { title: modelsResource.title, description: modelsResource.description, mimeType: modelsResource.mimeType },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: modelsResource.mimeType, text: await modelsResource.read(app.config) }] }),
  );
  server.registerResource(
    statsResource.name,
    statsResource.uri,
    { title: statsResource.title, description: statsResource.description, mimeType: 'application/json' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(getLedger(app).stats(), null, 2) }] }),
  );
  return server;
}
