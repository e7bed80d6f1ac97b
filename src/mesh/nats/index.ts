/**
 * The JetStream transport of the mesh, per node: one NATS connection authenticated by the node's
 * NKey (its Ed25519 key), the requester backend (queue.ts) when this node offloads, the worker
 * (worker.ts) when it accepts units, and its signed entry in the node registry, refreshed by a
 * heartbeat. Part 1's service owns identity, trust, consent and limits; this reuses them, so the
 * same policy applies whichever transport carried a unit.
 */
import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { PrechewError } from '../../errors.js';
import type { VerifyMode } from '../../jobs/dispatch.js';
import type { UnitRegistry } from '../../jobs/registry.js';
import { log } from '../../log.js';
import type { ConsentGate } from '../consent.js';
import type { NodeIdentity } from '../identity.js';
import { TrustList } from '../trust.js';
import type { WorkerPolicy } from '../worker-policy.js';
import { nodeAuthenticator } from './auth.js';
import type { NatsContext } from './context.js';
import { NatsQueue } from './queue.js';
import { publishEntry, readEntries, type RegistryNode } from './registry-kv.js';
import { inboxPrefix, nodeToken, PAYLOAD_BUCKET, REGISTRY_BUCKET } from './subjects.js';
import { NatsWorker } from './worker.js';

export interface NatsSettings {
  url: string;
  user?: string | undefined;
  password?: string | undefined;
  domain?: string | undefined;
  ackWaitMs: number;
  maxDeliver: number;
  objectThresholdBytes: number;
  maxInFlight: number;
  heartbeatSeconds: number;
}

export interface NatsMeshOptions {
  nats: NatsSettings;
  identity: NodeIdentity;
  trust: TrustList;
  registry: UnitRegistry;
  consent: ConsentGate;
  policy: WorkerPolicy;
  name: string;
  version: string;
  verify: VerifyMode;
  maxSkewMs: number;
  /** Pull units for others (consent still decides when). */
  work: boolean;
  /** Offer a requester backend to this node's jobs. */
  offload: boolean;
  models: () => { llm?: string | undefined; whisper?: string | undefined };
  corruptOutputs?: boolean | undefined;
}

/** The trust list plus this node itself, so a node may take (or release keys for) its own units. */
function withSelf(trust: TrustList, identity: NodeIdentity): TrustList {
  if (trust.bySigningKey(identity.signPublic)) return trust;
  const entries = trust.peers().map((p) => ({ name: p.name, key: p.nodeKey }));
  let name = 'self';
  while (trust.byPeerName(name)) name += '_';
  return new TrustList([...entries, { name, key: identity.nodeKey }]);
}

/** Connects as this node (NKey), or with the configured user/password on an existing deployment. */
export async function connectNode(
  settings: Pick<NatsSettings, 'url' | 'user' | 'password'>,
  identity: NodeIdentity,
  name: string,
): Promise<NatsConnection> {
  try {
    return await connect({
      servers: settings.url,
      ...(settings.user ? { user: settings.user, pass: settings.password } : { authenticator: nodeAuthenticator(identity) }),
      inboxPrefix: inboxPrefix(nodeToken(identity.fingerprint)),
      name: `prechew ${name}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: 5000,
    });
  } catch (error) {
    const text = (error as Error).message;
    if (/authoriz|authent/i.test(text))
      throw new PrechewError(
        'PEER_REFUSED',
        `The NATS server at ${settings.url} refused this node: its key is not in the hub's trust list (run \`prechew id\` here and \`prechew peers trust <key>\` on the hub, then restart the hub).`,
        { reason: 'untrusted' },
      );
    throw new PrechewError('ENGINE_UNAVAILABLE', `Cannot reach the NATS server at ${settings.url} (${text}).`, {
      reason: 'unreachable',
    });
  }
}

export class NatsMesh {
  readonly queue: NatsQueue | undefined;
  readonly worker: NatsWorker | undefined;
  private nodes: RegistryNode[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastRead = 0;
  private kvHandle: Promise<KV> | undefined;

  private constructor(
    private readonly options: NatsMeshOptions,
    readonly nc: NatsConnection,
    private readonly ctx: NatsContext,
  ) {
    if (options.offload) this.queue = new NatsQueue(ctx, options.nats.maxInFlight).start();
    if (options.work) {
      const kinds = options.registry
        .list()
        .filter((k) => options.policy.allowsKind(k.kind) && (!k.needs || options.models()[k.needs] !== undefined))
        .map((k) => k.kind);
      this.worker = new NatsWorker(ctx, {
        consent: options.consent,
        policy: options.policy,
        kinds,
        models: options.models,
        corruptOutputs: options.corruptOutputs,
      }).start();
    }
  }

  static async start(options: NatsMeshOptions): Promise<NatsMesh> {
    const nc = await connectNode(options.nats, options.identity, options.name);
    const js = jetstream(nc, options.nats.domain ? { domain: options.nats.domain } : {});
    let objects: Promise<ObjectStore> | undefined;
    const ctx: NatsContext = {
      nc,
      js,
      objects: () => {
        objects ??= new Objm(js).open(PAYLOAD_BUCKET).catch((error: unknown) => {
          objects = undefined;
          throw error;
        });
        return objects;
      },
      identity: options.identity,
      token: nodeToken(options.identity.fingerprint),
      trust: withSelf(options.trust, options.identity),
      registry: options.registry,
      verify: options.verify,
      maxSkewMs: options.maxSkewMs,
      ackWaitMs: options.nats.ackWaitMs,
      maxDeliver: options.nats.maxDeliver,
      objectThresholdBytes: options.nats.objectThresholdBytes,
      maxUnitBytes: options.policy.limits.maxUnitBytes,
    };
    const mesh = new NatsMesh(options, nc, ctx);
    await mesh.heartbeat();
    mesh.timer = setInterval(() => void mesh.heartbeat(), options.nats.heartbeatSeconds * 1000);
    mesh.timer.unref();
    log.info(`nats: joined ${options.nats.url} as ${options.name}${options.work ? ' (pulling units)' : ''}${options.offload ? ' (offloading units)' : ''}`);
    return mesh;
  }

  private kv(): Promise<KV> {
    this.kvHandle ??= new Kvm(this.ctx.js).open(REGISTRY_BUCKET).catch((error: unknown) => {
      this.kvHandle = undefined;
      throw error;
    });
    return this.kvHandle;
  }

  /** Writes this node's signed registry entry and reads everyone's. */
  async heartbeat(): Promise<void> {
    try {
      const kv = await this.kv();
      const o = this.options;
      if (o.work) {
        const state = o.consent.state();
        const models = o.models();
        await publishEntry(kv, o.identity, {
          v: 1,
          nodeKey: o.identity.nodeKey,
          fingerprint: o.identity.fingerprint,
          name: o.name,
          version: o.version,
          accept: { mode: state.mode, accepting: state.accepting, reason: state.reason },
          slots: { max: o.policy.limits.maxConcurrent, free: state.accepting ? o.policy.freeSlots() : 0 },
          kinds: this.worker ? (this.workerKinds ??= this.computeKinds()) : [],
          models: { llm: models.llm, whisper: models.whisper },
          unitsDone: this.worker?.unitsDone ?? 0,
          unitsFailed: this.worker?.unitsFailed ?? 0,
          load: state.othersLoad,
          at: Date.now(),
        });
      }
      await this.readRegistry(kv);
      this.heartbeatError = '';
    } catch (error) {
      const text = (error as Error).message;
      if (text !== this.heartbeatError) log.warn(`nats: node registry unavailable (${text}); retrying`);
      this.heartbeatError = text;
    }
  }

  private workerKinds: string[] | undefined;
  private heartbeatError = '';

  private computeKinds(): string[] {
    const o = this.options;
    return o.registry
      .list()
      .filter((k) => o.policy.allowsKind(k.kind) && (!k.needs || o.models()[k.needs] !== undefined))
      .map((k) => k.kind);
  }

  private async readRegistry(kv?: KV): Promise<void> {
    this.nodes = await readEntries(kv ?? (await this.kv()), this.options.trust, this.options.identity);
    this.lastRead = Date.now();
    this.queue?.setNodes(this.nodes);
  }

  /** The registry as last read (fresh if older than a heartbeat). */
  async registryNodes(maxAgeMs = this.options.nats.heartbeatSeconds * 1000): Promise<RegistryNode[]> {
    if (Date.now() - this.lastRead > maxAgeMs) await this.readRegistry().catch(() => undefined);
    return this.nodes;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.worker?.close();
    this.queue?.close();
    await this.nc.drain().catch(() => undefined);
    await this.nc.close().catch(() => undefined);
  }
}
