/**
 * Process-wide services shared by every request (created once in app.ts, disposed on shutdown).
 * Lives at the bottom of the import graph so engines and stores can take it without importing
 * upward.
 */
import type { Config } from './config.js';
import type { FileAccess } from './files.js';
import type { Executor } from './jobs/units.js';

export interface AppServices {
  config: Config;
  files: FileAccess;
  executor: Executor;
  /** Named lazily-created services (cache, llm, whisper…). */
  extensions: Map<string, unknown>;
  /** Dispose callbacks run on shutdown, last registered first. */
  onDispose(fn: () => Promise<void> | void): void;
}

/** Get or create a named lazily-initialised service shared by the whole process. */
export function getService<T>(app: AppServices, name: string, create: () => T): T {
  if (!app.extensions.has(name)) app.extensions.set(name, create());
  return app.extensions.get(name) as T;
}
