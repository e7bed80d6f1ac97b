/**
 * The one code path from "a tool was called with these arguments" to "this is the result":
 * validation, execution, error mapping, rendering and pagination. MCP transports and the CLI
 * both call invokeTool.
 */
import { z } from 'zod';
import { PrechewError, toSafeError } from '../errors.js';
import { log } from '../log.js';
import { trackToolCall } from './activity.js';
import { paginate, storePages, type PageStore } from './pages.js';
import type { AnyTool, ToolContext } from './types.js';

export interface ToolOutcome {
  isError: boolean;
  text: string;
  structured?: Record<string, unknown>;
  error?: { code: string; message: string };
}

export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 6)
    .map((issue) => {
      const where = issue.path.length ? issue.path.map(String).join('.') : 'arguments';
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

export function errorOutcome(error: unknown, tool: string): ToolOutcome {
  const safe = toSafeError(error);
  if (safe.code === 'INTERNAL') log.error(`tool ${tool} failed unexpectedly`, { error: safe.cause ?? error });
  else log.debug(`tool ${tool} failed`, { code: safe.code, message: safe.message });
  return { isError: true, text: `[${safe.code}] ${safe.message}`, error: { code: safe.code, message: safe.message } };
}

export interface InvokeOptions {
  pageStore: PageStore;
  /** Output budget in tokens; Infinity disables pagination (the CLI's default). */
  maxOutputTokens: number;
}

export async function invokeTool(tool: AnyTool, rawArgs: unknown, ctx: ToolContext, options: InvokeOptions): Promise<ToolOutcome> {
  const cursor = (rawArgs as { cursor?: unknown } | null | undefined)?.cursor;
  // A continuation page is not a new call; every other call is tracked live and recorded in the ledger.
  if (typeof cursor === 'string' && cursor.length > 0) return invokeUntracked(tool, rawArgs, ctx, options);
  const call = trackToolCall(tool.name, ctx);
  const outcome = await call.run(() => invokeUntracked(tool, rawArgs, call.ctx, options, call.output));
  call.finish(outcome.error?.code);
  return outcome;
}

async function invokeUntracked(tool: AnyTool, rawArgs: unknown, ctx: ToolContext, options: InvokeOptions, onOutput?: (output: unknown) => void): Promise<ToolOutcome> {
  try {
    const args = (rawArgs ?? {}) as Record<string, unknown>;
    if (typeof args.cursor === 'string' && args.cursor.length > 0) {
      const page = options.pageStore.get(tool.name, args.cursor);
      return { isError: false, text: page.text, structured: page.structured };
    }
    const { cursor: _cursor, ...rest } = args;
    const parsed = tool.inputSchema.safeParse(rest);
    if (!parsed.success) {
      throw new PrechewError('INVALID_INPUT', `Invalid arguments for ${tool.name}: ${describeZodError(parsed.error)}`);
    }
    if (ctx.signal.aborted) throw new PrechewError('CANCELLED', 'The request was cancelled before it started.');
    const output = await tool.handler(parsed.data, ctx);
    onOutput?.(output);
    // A tool that declares a page-budget field lets the caller ask for smaller pages than the
    // server's budget (never larger).
    const requested = tool.pageBudgetField ? (parsed.data as Record<string, unknown>)[tool.pageBudgetField] : undefined;
    const budget = typeof requested === 'number' && requested > 0 ? Math.min(requested, options.maxOutputTokens) : options.maxOutputTokens;
    const pages = paginate(output, tool.render, tool.pageField, budget);
    const [first] = storePages(options.pageStore, tool.name, pages);
    return { isError: false, text: first!.text, structured: first!.structured };
  } catch (error) {
    return errorOutcome(error, tool.name);
  }
}
