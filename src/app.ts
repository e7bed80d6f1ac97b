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
import type { MeshService } from './mesh/service.js';
import { ensureWhisperUnitHandler } from './tools/transcribe.js';
import { registerSummarizeUnits } from './tools/summarize.js';
import { registerEntityUnits } from './tools/extract-entities.js';
import { registerDedupeUnits } from './tools/dedupe.js';
import { registerCondenseUnits } from './jobs/condense.js';
import { registerClassifyUnits } from './tools/classify.js';
import { version } from './version.js';

export interface App extends AppServices {
  executor: LocalExecutor;
  pageStore: PageStore;
  /** The mesh, once started (serve with mesh settings); units then may run on trusted peers. */
  mesh?: MeshService | undefined;
  dispose(): Promise<void>;
}

/** Whether the config asks for the mesh at all (otherwise none of it is loaded). */
export function meshConfigured(config: Config): boolean {
  const m = config.mesh;
  return m.accept !== 'never' || m.offload === 'auto' || m.peers.length > 0 || m.trusted.length > 0 || m.discovery.mdns || m.discovery.tailscale || m.nats.url !== undefined;
}

/**
 * Starts the mesh for a serving node: identity, trust, consent, discovery, and the executor's peer
 * backends. `port` is where this node's HTTP server listens (advertised over mDNS).
 */
export async function startMesh(app: App, port: number | undefined): Promise<void> {
  if (app.mesh || !meshConfigured(app.config)) return;
  const [{ MeshService }, { LlmEngine }, whisper, models, os] = await Promise.all([
    import('./mesh/service.js'),
    import('./engines/llama.js'),
    import('./engines/whisper.js'),
    import('./engines/models.js'),
    import('node:os'),
  ]);
  // What this node can offer peers: the content identity of its models, found without loading them.
  const llm = await LlmEngine.forApp(app)
    .modelIdentity()
    .catch(() => undefined);
  let whisperModel: string | undefined;
  try {
    whisperModel = await models.modelFileIdentity(whisper.resolveWhisperModel(app.config.models, app.config.data.dir));
  } catch {
    whisperModel = undefined;
  }
  const m = app.config.mesh;
  const mesh = await MeshService.start({
    settings: {
      name: m.name ?? os.hostname(),
      accept: m.accept,
      idle: m.idle,
      worker: m.worker,
      trusted: m.trusted,
      peers: m.peers,
      discovery: m.discovery,
      offload: m.offload,
      localUnits: m.localUnits,
      verify: m.verify,
      spotFraction: m.spotFraction,
      unitTimeoutMs: m.unitTimeoutMs,
      maxSkewMs: m.maxSkewMs,
      corruptOutputs: m.testCorruptOutputs,
    },
    dataDir: app.config.data.dir ?? '.',
    registry: app.executor.registry,
    version,
    port,
    models: () => ({ llm, whisper: whisperModel }),
  });
  if (m.nats.url) {
    const { attachNats } = await import('./mesh/nats/attach.js');
    await attachNats(mesh, m, {
      work: m.accept !== 'never',
      offload: m.offload === 'auto',
      version,
      name: m.name ?? os.hostname(),
      models: () => ({ llm, whisper: whisperModel }),
    });
  }
  app.mesh = mesh;
  app.executor.remote = mesh;
  app.onDispose(() => mesh.stop());
}

export function createApp(config: Config): App {
  const disposers: Array<() => Promise<void> | void> = [];
  let disposed = false;
  const app: App = {
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
  // Every unit kind is known from the start, so this node can take any of them from a peer.
  ensureWhisperUnitHandler(app);
  registerSummarizeUnits(app);
  registerEntityUnits(app);
  registerDedupeUnits(app);
  registerCondenseUnits(app);
  registerClassifyUnits(app);
  return app;
}

