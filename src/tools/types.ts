/**
 * A tool reads like a form: schemas, a description written for an LLM reader, annotations, a
 * handler that calls into jobs/text/engines, and a renderer for the readable text. The same
 * definition serves MCP (stdio and HTTP) and `prechew run`.
 */
import type { z } from 'zod';
import type { ProgressReporter } from '../jobs/units.js';
import type { AppServices } from '../services.js';

export type { AppServices };

export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

export interface ToolContext {
  app: AppServices;
  signal: AbortSignal;
  progress: ProgressReporter;
  /** Roots announced by the MCP client for this connection (absolute paths). */
  clientRoots: () => Promise<string[]>;
}

// Schemas are typed loosely here so one registry can hold tools of every shape; each tool file
// keeps its precise types through defineTool.
export interface ToolDefinition<I = unknown, O extends Record<string, unknown> = Record<string, unknown>> {
  name: string;
  title: string;
  /** One line for `prechew tools`. */
  summary: string;
  /** Written for an LLM reader: what it does, when to use it, what comes back. */
  description: string;
  inputSchema: z.ZodType<I>;
  outputSchema: z.ZodType<O>;
  annotations: ToolAnnotations;
  /** Which CLI convenience flags map to which input field (`--text`, `--path`, stdin). */
  cli?: { text?: string; path?: string };
  handler: (input: I, ctx: ToolContext) => Promise<O>;
  render: (output: O) => string;
  /**
   * The field holding the bulk of the output (a string, an array, or an object of arrays). Long
   * results are paginated by slicing this field so every page is a valid output object.
   */
  pageField?: keyof O & string;
  /**
   * The input field, if any, by which a caller asks for smaller pages than the server's budget.
   * Only a tool that declares one gets it: another tool's field of the same name may mean
   * something else (summarize's `maxOutputTokens` is the summary's length, not a page size).
   */
  pageBudgetField?: keyof I & string;
}

export function defineTool<I, O extends Record<string, unknown>>(def: ToolDefinition<I, O>): ToolDefinition<I, O> {
  return def;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTool = ToolDefinition<any, any>;
