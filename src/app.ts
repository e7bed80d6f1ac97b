/**
 * Process-wide services: created once per process, shared by every request and transport, and
 * disposed once on shutdown (native models unloaded, caches closed).
 */
import type { Config } from './config.js';
import { FileAccess } from './files.js';
import { LocalExecutor } from './jobs/units.js';
import { log } from './log.js';
import { PageStore } from './tools/pages.js';
import type { AppServices } from './services.js';

export interface App extends AppServices {
  executor: LocalExecutor;
  pageStore: PageStore;
  dispose(): Promise<void>;
}

export function createApp(config: Config): App {
  const disposers: Array<() => Promise<void> | void> = [];
  let disposed = false;
  return {
    config,
    files: new FileAccess({ roots: config.files.roots, maxInputBytes: config.limits.maxInputBytes }),
    executor: new LocalExecutor(),
    extensions: new Map(),
    pageStore: new PageStore(),
    onDispose(fn) {
      disposers.push(fn);
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      for (const fn of disposers.reverse()) {
        try {
          await fn();
        } catch (error) {
          log.warn('error while shutting down a service', { error });
        }
      }
    },
  };
}

