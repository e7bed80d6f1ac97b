/**
 * The mesh as one service per process: this node's identity and trust, the worker side (consent,
 * limits, the `/mesh` endpoint) and the requester side (discovery, signed status checks, peer
 * backends for the dispatcher). Created at start when the mesh is configured; tools never see it,
 * they ask the executor to run units and the executor asks this for backends.
 */
import { log } from '../log.js';
import type { UnitBackend, VerifyMode } from '../jobs/dispatch.js';
import type { UnitRegistry } from '../jobs/registry.js';
import type { RemoteBackends } from '../jobs/units.js';
import { mergeCandidates, staticCandidates, type PeerCandidate } from './candidates.js';
import { ConsentGate, DEFAULT_CONSENT, type AcceptMode } from './consent.js';
import { loadOrCreateIdentity, type NodeIdentity } from './identity.js';
import { startMdns, type MdnsHandle } from './mdns.js';
import { PeerClient } from './peer-client.js';
import { createPeerHttpHandler } from './peer-endpoint.js';
import { PeerNode } from './peer-node.js';
import { discoverTailscalePeers } from './tailscale.js';
import { readTrustFile } from './trust-file.js';
import { TrustList, type TrustedPeerEntry } from './trust.js';
import { readLiveVerdicts, writeVerdicts, type PeerVerdict } from './verdicts.js';
import { WorkerPolicy, type WorkerLimits } from './worker-policy.js';

export interface MeshSettings {
  /** Name shown to peers (default: the host name). */
  name: string;
  accept: AcceptMode;
  idle: { below: number; forSeconds: number; hours?: string | undefined };
  worker: WorkerLimits;
  trusted: TrustedPeerEntry[];
  /** Static peers: their base URLs (`/mesh` is added when no path is given). */
  peers: string[];
  discovery: {
    mdns: boolean;
    tailscale: boolean;
    tailscaleTag?: string | undefined;
    tailscalePort?: number | undefined;
    intervalSeconds: number;
  };
  offload: 'off' | 'auto';
  /** Whether this node runs its own share of offloaded jobs (false: only as a fallback). */
  localUnits: boolean;
  verify: VerifyMode;
  spotFraction: number;
  unitTimeoutMs: number;
  maxSkewMs: number;
  /** Test-only fault injection: return wrong outputs (to prove verification catches them). */
  corruptOutputs?: boolean | undefined;
}

export interface PeerRow {
  name: string;
  url: string;
  source: PeerCandidate['source'] | 'jetstream';
  fingerprint: string | undefined;
  trusted: boolean;
  reachable: boolean;
  latencyMs: number | undefined;
  accepting: boolean | undefined;
  acceptReason: string | undefined;
  freeSlots: number | undefined;
  kinds: string[];
  models: { llm?: string | undefined; whisper?: string | undefined };
  unitsDone: number | undefined;
  unitsFailed: number | undefined;
  lastSeen: number | undefined;
  excluded: string | undefined;
  error: string | undefined;
}

/** A second transport beside the direct peers (the JetStream queue): its backend and its node rows. */
export interface MeshTransport {
  backend(): Promise<UnitBackend | undefined>;
  slots(): number;
  rows(): Promise<PeerRow[]>;
  stop(): Promise<void>;
}

export interface MeshStartOptions {
  settings: MeshSettings;
  dataDir: string;
  registry: UnitRegistry;
  version: string;
  /** The port this node's HTTP server listens on (advertised over mDNS); unset: not advertised. */
  port?: number | undefined;
  models?: () => { llm?: string | undefined; whisper?: string | undefined };
}

export class MeshService implements RemoteBackends {
  readonly identity: NodeIdentity;
  readonly trust: TrustList;
  readonly consent: ConsentGate;
  readonly policy: WorkerPolicy;
  readonly node: PeerNode;
  private readonly clients = new Map<
    string,
    PeerClient & { source: PeerCandidate['source']; advertised?: PeerCandidate['advertised'] }
  >();
  private readonly excluded = new Map<string, string>();
  private readonly verdicts: PeerVerdict[] = [];
  private readonly startedAt = Date.now();
  private mdns: MdnsHandle | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private lastRefresh = 0;
  private readonly transports: MeshTransport[] = [];

  private constructor(private readonly options: MeshStartOptions) {
    const { settings, dataDir, registry } = options;
    this.identity = loadOrCreateIdentity(dataDir);
    this.trust = new TrustList([
      ...settings.trusted,
      ...readTrustFile(dataDir).filter((e) => !settings.trusted.some((t) => t.name === e.name)),
    ]);
    this.consent = new ConsentGate({
      ...DEFAULT_CONSENT,
      accept: settings.accept,
      idleBelow: settings.idle.below,
      idleForMs: settings.idle.forSeconds * 1000,
      hours: settings.idle.hours,
    }).start();
    this.policy = new WorkerPolicy(settings.worker);
    this.node = new PeerNode({
      identity: this.identity,
      trusted: this.trust,
      registry,
      consent: this.consent,
      policy: this.policy,
      name: settings.name,
      version: options.version,
      models: options.models,
      maxSkewMs: settings.maxSkewMs,
      corruptOutputs: settings.corruptOutputs,
    });
  }

  static async start(options: MeshStartOptions): Promise<MeshService> {
    const mesh = new MeshService(options);
    const { settings } = options;
    if (settings.discovery.mdns) {
      try {
        mesh.mdns = await startMdns(
          options.port && settings.accept !== 'never'
            ? {
                name: settings.name,
                port: options.port,
                fingerprint: mesh.identity.fingerprint,
                version: options.version,
                kinds: options.registry.list().map((k) => k.kind),
              }
            : undefined,
        );
      } catch (error) {
        log.warn(
          `mesh: mDNS discovery is unavailable (${(error as Error).message}); static and Tailscale peers still work`,
        );
      }
    }
    if (settings.offload === 'auto') {
      void mesh.refresh();
      mesh.timer = setInterval(() => void mesh.refresh(), settings.discovery.intervalSeconds * 1000);
      mesh.timer.unref();
    }
    return mesh;
  }

  get registry(): UnitRegistry {
    return this.options.registry;
  }

  get settings(): MeshSettings {
    return this.options.settings;
  }

  get verify(): VerifyMode {
    return this.options.settings.verify;
  }

  get spotFraction(): number {
    return this.options.settings.spotFraction;
  }

  get localUnits(): boolean {
    return this.options.settings.localUnits;
  }

  get unitTimeoutMs(): number {
    return this.options.settings.unitTimeoutMs;
  }

  /** Adds a transport (JetStream) whose backend joins every offloaded job and whose nodes `peers` lists. */
  addTransport(transport: MeshTransport): void {
    this.transports.push(transport);
  }

  /** The `/mesh` endpoint's request handler. */
  httpHandler(maxBodyBytes: number): ReturnType<typeof createPeerHttpHandler> {
    return createPeerHttpHandler(this.node, this.options.version, maxBodyBytes);
  }

  async candidates(): Promise<PeerCandidate[]> {
    const { settings } = this.options;
    const lists: PeerCandidate[][] = [staticCandidates(settings.peers)];
    if (this.mdns) lists.push(this.mdns.candidates());
    if (settings.discovery.tailscale) {
      const found = await discoverTailscalePeers({
        port: settings.discovery.tailscalePort ?? this.options.port ?? 7777,
        tag: settings.discovery.tailscaleTag,
      });
      lists.push(found.candidates);
    }
    return mergeCandidates(...lists);
  }

  /** Discovers candidates and checks every one's signed status (bounded, in parallel). */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const candidates = await this.candidates();
        for (const c of candidates) {
          if (this.clients.has(c.url)) continue;
          const client = Object.assign(
            new PeerClient({
              identity: this.identity,
              trusted: this.trust,
              registry: this.options.registry,
              url: c.url,
              version: this.options.version,
            }),
            {
              source: c.source,
              advertised: c.advertised,
            },
          );
          this.clients.set(c.url, client);
        }
        await Promise.all([...this.clients.values()].map((client) => client.checkStatus()));
        this.lastRefresh = Date.now();
      } catch (error) {
        log.debug('mesh: refresh failed', { error });
      }
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Backends for a job: the local one, plus every trusted, reachable, accepting peer when offloading. */
  async backends(
    local: UnitBackend,
    offload: 'off' | 'auto' = this.options.settings.offload,
  ): Promise<UnitBackend[]> {
    if (offload === 'off') return [local];
    const extra: UnitBackend[] = [];
    for (const t of this.transports) {
      const b = await t.backend();
      if (b) extra.push(b);
    }
    if (Date.now() - this.lastRefresh > this.options.settings.discovery.intervalSeconds * 1000)
      await this.refresh();
    const peers = [...this.clients.values()].filter(
      (c) =>
        c.peer &&
        c.health.reachable &&
        !this.excluded.has(c.id) &&
        c.peer.signPublic !== this.identity.signPublic,
    );
    return [local, ...peers, ...extra];
  }

  /** Records the verdicts of a finished job (a peer caught lying stays excluded for this process's life). */
  noteExcluded(entries: Array<{ backend: string; reason: string }>): void {
    for (const e of entries) {
      if (!e.reason.includes('wrong result') || this.excluded.has(e.backend)) continue;
      this.excluded.set(e.backend, e.reason);
      log.warn(`mesh: excluded ${e.backend} for the rest of this run: it ${e.reason}`);
      const client = [...this.clients.values()].find((c) => c.id === e.backend);
      this.verdicts.push({
        name: client?.peer?.name ?? e.backend.replace(/^peer:/, ''),
        fingerprint: client?.peer?.fingerprint,
        reason: e.reason,
        at: Date.now(),
      });
      // `prechew peers` runs in another process: it reads the verdicts from the data directory.
      try {
        writeVerdicts(this.options.dataDir, { pid: process.pid, startedAt: this.startedAt, excluded: this.verdicts });
      } catch (error) {
        log.warn('mesh: could not record the verdict in the data directory', { error });
      }
    }
  }

  /**
   * Peers excluded by this node: by this process, or by the node serving from the same data
   * directory while it runs (what `prechew peers` shows).
   */
  exclusions(): PeerVerdict[] {
    if (this.verdicts.length > 0) return [...this.verdicts];
    return readLiveVerdicts(this.options.dataDir)?.excluded ?? [];
  }

  peerSlots(): number {
    if (this.options.settings.offload === 'off') return 0;
    let slots = this.transports.reduce((sum, t) => sum + t.slots(), 0);
    for (const c of this.clients.values()) {
      if (
        c.peer &&
        c.health.reachable &&
        !this.excluded.has(c.id) &&
        c.peer.signPublic !== this.identity.signPublic
      )
        slots += c.slots();
    }
    return slots;
  }

  /** Direct peers, then the nodes of every other transport (the JetStream registry). */
  async allPeerRows(): Promise<PeerRow[]> {
    const rows = this.peerRows();
    for (const t of this.transports) rows.push(...(await t.rows().catch(() => [])));
    return rows;
  }

  peerRows(): PeerRow[] {
    const verdicts = this.exclusions();
    return [...this.clients.values()].map((c) => {
      const s = c.health.status;
      const verdict = c.peer
        ? verdicts.find((v) => v.name === c.peer!.name || (v.fingerprint !== undefined && v.fingerprint === c.peer!.fingerprint))
        : undefined;
      return {
        name: c.peer?.name ?? s?.name ?? c.label,
        url: c.url,
        source: c.source,
        fingerprint: s?.fingerprint ?? c.peer?.fingerprint ?? c.advertised?.fingerprint,
        trusted: Boolean(c.peer),
        reachable: c.health.reachable,
        latencyMs: c.health.latencyMs,
        accepting: s?.accept.accepting,
        acceptReason: s?.accept.reason,
        freeSlots: s?.slots.free,
        kinds: s?.kinds ?? c.advertised?.kinds ?? [],
        models: s?.models ?? {},
        unitsDone: s?.unitsDone,
        unitsFailed: s?.unitsFailed,
        lastSeen: c.health.reachable ? c.health.checkedAt : undefined,
        excluded: this.excluded.get(c.id) ?? verdict?.reason,
        error: c.health.error,
      };
    });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const t of this.transports.splice(0)) await t.stop().catch(() => undefined);
    this.consent.stop();
    await this.mdns?.stop().catch(() => undefined);
    await Promise.all([...this.clients.values()].map((c) => c.close()));
  }
}
