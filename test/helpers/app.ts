/**
 * Build a real App (real config parsing, file access, cache, executor) for in-process tests of
 * tools through the same invokeTool path MCP and the CLI use.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../../src/app.js';
import { deepMerge, parseConfig } from '../../src/config.js';
import { invokeTool, type ToolOutcome } from '../../src/tools/invoke.js';
import type { AnyTool, ToolContext } from '../../src/tools/types.js';
import type { ProgressUpdate } from '../../src/jobs/units.js';

export function tempDir(prefix = 'prechew-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A fresh app with its own data dir; overrides use the config file's shape. */
export function makeTestApp(overrides: Record<string, unknown> = {}): App {
  const dataDir = tempDir('prechew-data-');
  const config = parseConfig(deepMerge({ data: { dir: dataDir }, logLevel: 'warn' }, overrides));
  config.data.dir ??= dataDir;
  return createApp(config);
}

export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (u: ProgressUpdate) => void;
  maxOutputTokens?: number;
  clientRoots?: string[];
}

export async function callTool(app: App, tool: AnyTool, args: Record<string, unknown>, options: CallOptions = {}): Promise<ToolOutcome> {
  const ctx: ToolContext = {
    app,
    signal: options.signal ?? new AbortController().signal,
    progress: options.onProgress ?? (() => undefined),
    clientRoots: async () => options.clientRoots ?? [],
  };
  return invokeTool(tool, args, ctx, { pageStore: app.pageStore, maxOutputTokens: options.maxOutputTokens ?? app.config.limits.maxOutputTokens });
}
