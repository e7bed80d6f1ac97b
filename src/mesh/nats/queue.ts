/**
 * The requester side of the JetStream mesh, as one UnitBackend beside the local node and part 1's
 * peers: a unit becomes a signed manifest plus an input sealed under a fresh per-unit data key,
 * published on the work stream (deduplicated by manifest digest); whichever trusted worker claims
 * it asks this node for the data key, which is released sealed to that worker's X25519 key while
 * the unit is pending. Results arrive on this node's own results consumer; the first valid one
 * (signature, binding to the manifest, output digest, output schema) wins, later ones are dropped
 * — or, under `mesh.verify: quorum`, compared with the first, and a worker that disagrees is
 * reported. Failures and dead letters come back as errors naming the unit.
 */
import { verify } from 'node:crypto';
import { PrechewError } from '../../errors.js';
import type { BackendRunContext, UnitBackend } from '../../jobs/dispatch.js';
import type { Unit } from '../../jobs/units.js';
import { log } from '../../log.js';
import { canonicalJson } from '../canonical.js';
import {
  checkDigest,
  issueManifest,
  manifestDigest,
  verifyResultClaim,
  type SignedManifest,
} from '../envelope.js';
import { payloadAad } from '../peer-protocol.js';
import { openPayload, sealPayload } from '../seal.js';
import { sleep, type NatsContext } from './context.js';
import { encryptWithDataKey, newDataKey } from './datakey.js';
import { loadPayload, storePayload } from './objects.js';
import type { RegistryNode } from './registry-kv.js';
import { keySubject, resultDurable, RESULTS_STREAM, workSubject } from './subjects.js';
import {
  dataKeyAad,
  decodeJson,
  encodeJson,
  keyRequestSchema,
  resultMessageSchema,
  type KeyReply,
  type ResultMessage,
} from './wire.js';

interface Pending {
  unit: Unit;
  manifest: SignedManifest;
  digest: string;
  dataKey: Buffer;
  claimedBy: Set<string>;
  resolve(output: unknown): void;
  reject(error: unknown): void;
}

export interface QueueCounters {
  enqueued: number;
  completed: number;
  duplicatesDropped: number;
  rejected: number;
  keysReleased: number;
  keysRefused: number;
}

export class NatsQueue implements UnitBackend {
  readonly id = 'nats';
  readonly label = 'JetStream';
  readonly local = false;
  private readonly pending = new Map<string, Pending>();
  /** Output digests of finished units (bounded), to compare late results with under quorum. */
  private readonly finished = new Map<string, { outputDigest: string; worker: string }>();
  /** Workers caught disagreeing with the first result of a unit (quorum), by name. */
  readonly disagreements = new Map<string, string>();
  readonly counters: QueueCounters = {
    enqueued: 0,
    completed: 0,
    duplicatesDropped: 0,
    rejected: 0,
    keysReleased: 0,
    keysRefused: 0,
  };
  private closed = false;
  private nodes: RegistryNode[] = [];

  constructor(
    private readonly ctx: NatsContext,
    private readonly maxInFlight: number,
  ) {}

  start(): this {
    const sub = this.ctx.nc.subscribe(keySubject(this.ctx.token));
    void (async () => {
      for await (const m of sub) {
        let reply: KeyReply;
        try {
          reply = this.releaseKey(m.data);
        } catch (error) {
          const e = error instanceof PrechewError ? error : new PrechewError('PEER_REFUSED', 'bad key request');
          reply = { refused: String(e.details?.reason ?? 'refused').slice(0, 40), message: e.message.slice(0, 300) };
          this.counters.keysRefused++;
        }
        m.respond(encodeJson(reply));
      }
    })();
    void this.collectResults();
    return this;
  }

  /** The registry snapshot this backend schedules by (refreshed by the node's heartbeat). */
  setNodes(nodes: RegistryNode[]): void {
    this.nodes = nodes.filter((n) => !n.self && n.peer && n.entry.accept.accepting && !this.disagreements.has(n.peer.name));
  }

  slots(): number {
    // Enough in flight to keep every accepting worker busy, with one unit queued behind each slot.
    const total = this.nodes.reduce((sum, n) => sum + n.entry.slots.max, 0);
    return Math.min(this.maxInFlight, total * 2);
  }

  accepts(kind: string): boolean {
    return this.nodes.some((n) => n.entry.kinds.includes(kind));
  }

  get inFlight(): number {
    return this.pending.size;
  }

  async run(unit: Unit, run: BackendRunContext): Promise<unknown> {
    const { identity, registry, js, objects, objectThresholdBytes } = this.ctx;
    const spec = registry.require(unit.kind);
    const input = Buffer.from(canonicalJson(unit.input));
    const manifest = issueManifest(identity, {
      unitId: unit.id,
      kind: unit.kind,
      kindVersion: spec.version,
      input,
      deadlineMs: Math.max(1000, run.deadline - Date.now()),
    });
    const digest = manifestDigest(manifest);
    const dataKey = newDataKey();
    const sealed = encryptWithDataKey(dataKey, input, payloadAad(digest, 'input'));
    const payload = await storePayload(objects, sealed, objectThresholdBytes);
    const result = new Promise<unknown>((resolve, reject) => {
      this.pending.set(digest, { unit, manifest, digest, dataKey, claimedBy: new Set(), resolve, reject });
    });
    // Settled before it is awaited when the attempt is abandoned during the publish below.
    result.catch(() => undefined);
    const abandon = (): void => {
      const p = this.pending.get(digest);
      if (!p) return;
      this.pending.delete(digest);
      p.reject(run.signal.reason ?? new PrechewError('CANCELLED', 'The unit was abandoned.'));
    };
    run.signal.addEventListener('abort', abandon, { once: true });
    try {
      await js.publish(workSubject(unit.kind), encodeJson({ v: 1, manifest, payload }), { msgID: digest });
      this.counters.enqueued++;
    } catch (error) {
      this.pending.delete(digest);
      throw new PrechewError('ENGINE_UNAVAILABLE', `The JetStream work queue did not take the unit (${(error as Error).message}).`, {
        reason: 'unreachable',
      });
    }
    try {
      return await result;
    } finally {
      run.signal.removeEventListener('abort', abandon);
    }
  }

  /** Releases a unit's data key to a trusted worker that claims it while it is pending. */
  private releaseKey(data: Uint8Array): KeyReply {
    const parsed = keyRequestSchema.safeParse(decodeJson(data));
    if (!parsed.success) throw new PrechewError('PEER_REFUSED', 'Malformed key request.', { reason: 'malformed' });
    const { request, signature } = parsed.data;
    const worker = this.ctx.trust.require(request.worker);
    const genuine =
      /^[A-Za-z0-9_-]{86}$/.test(signature) &&
      verify(null, Buffer.from(canonicalJson(request)), worker.signKey, Buffer.from(signature, 'base64url'));
    if (!genuine)
      throw new PrechewError('PEER_REFUSED', 'The key request signature does not verify.', { reason: 'bad-signature' });
    if (Math.abs(request.at - Date.now()) > this.ctx.maxSkewMs)
      throw new PrechewError('PEER_REFUSED', 'The key request is too old or from a skewed clock.', { reason: 'clock-skew' });
    const p = this.pending.get(request.manifestDigest);
    if (!p || p.unit.id !== request.unitId)
      throw new PrechewError('PEER_REFUSED', 'That unit is no longer pending here (done or abandoned).', {
        reason: 'not-pending',
      });
    p.claimedBy.add(worker.name);
    this.counters.keysReleased++;
    const sealedKey = sealPayload(worker.sealKey, p.dataKey, dataKeyAad(p.digest, worker.signPublic));
    return { key: sealedKey.toString('base64') };
  }

  private async collectResults(): Promise<void> {
    const { js, token } = this.ctx;
    while (!this.closed) {
      try {
        const consumer = await js.consumers.get(RESULTS_STREAM, resultDurable(token));
        while (!this.closed) {
          const batch = await consumer.fetch({ max_messages: 256, expires: 1000 });
          for await (const m of batch) {
            try {
              await this.onResult(m.data);
            } catch (error) {
              log.debug('nats: result handling failed', { error });
            }
            m.ack();
          }
        }
      } catch (error) {
        if (this.closed) break;
        log.debug('nats: results consumer unavailable; retrying', { error: (error as Error).message });
        await sleep(500);
      }
    }
  }

  private async onResult(data: Uint8Array): Promise<void> {
    const parsed = resultMessageSchema.safeParse(decodeJson(data));
    if (!parsed.success) {
      this.counters.rejected++;
      log.warn('nats: dropped a malformed result message');
      return;
    }
    const msg: ResultMessage = parsed.data;
    if (msg.type === 'dead') {
      const p = this.pending.get(msg.manifestDigest);
      if (!p) return;
      this.pending.delete(msg.manifestDigest);
      p.reject(
        new PrechewError(
          'ENGINE_FAILED',
          `Unit ${msg.unitId.slice(0, 12)} (${p.unit.kind}) was dead-lettered: delivered ${msg.deliveries} times and no worker finished it.`,
          { reason: 'dead-letter' },
        ),
      );
      return;
    }
    if (msg.type === 'failed') {
      const f = msg.failure.failure;
      const p = this.pending.get(f.manifestDigest);
      if (!p) return;
      const worker = this.ctx.trust.bySigningKey(f.worker);
      const genuine =
        worker !== undefined &&
        verify(null, Buffer.from(canonicalJson(f)), worker.signKey, Buffer.from(msg.failure.signature, 'base64url'));
      if (!genuine) {
        this.counters.rejected++;
        log.warn(`nats: rejected a failure report for unit ${f.unitId.slice(0, 12)}: bad signature or untrusted worker`);
        return;
      }
      this.pending.delete(f.manifestDigest);
      p.reject(
        new PrechewError(
          f.code === 'PEER_REFUSED' ? 'PEER_REFUSED' : 'ENGINE_FAILED',
          `Unit ${f.unitId.slice(0, 12)} (${p.unit.kind}) failed on ${worker.name} after ${f.deliveries} deliveries: ${f.message}`,
          { reason: 'dead-letter' },
        ),
      );
      return;
    }
    const claim = msg.result.claim;
    const p = this.pending.get(claim.manifestDigest);
    if (!p) {
      this.lateResult(msg);
      return;
    }
    let worker;
    try {
      worker = verifyResultClaim(msg.result, { trusted: this.ctx.trust, manifest: p.manifest });
    } catch (error) {
      this.counters.rejected++;
      log.warn(`nats: rejected a result for unit ${claim.unitId.slice(0, 12)}: ${(error as Error).message}`);
      return;
    }
    try {
      const sealed = await loadPayload(this.ctx.objects, msg.payload, this.ctx.maxUnitBytes * 2);
      const bytes = openPayload(this.ctx.identity.sealPrivate, this.ctx.identity.sealPublic, sealed, payloadAad(p.digest, 'output'));
      checkDigest(bytes, claim.outputDigest, 'output');
      const spec = this.ctx.registry.require(p.unit.kind);
      const output = spec.output.safeParse(JSON.parse(bytes.toString('utf8')));
      if (!output.success)
        throw new PrechewError('PEER_REFUSED', `The output does not match the "${p.unit.kind}" schema.`, { reason: 'bad-output' });
      if (!this.pending.delete(p.digest)) return;
      this.remember(claim.unitId, claim.outputDigest, worker.name);
      this.counters.completed++;
      p.resolve(output.data);
    } catch (error) {
      this.counters.rejected++;
      log.warn(`nats: rejected the result of unit ${claim.unitId.slice(0, 12)} from ${worker.name}: ${(error as Error).message}`);
      if (this.pending.delete(p.digest)) p.reject(error);
    }
  }

  private remember(unitId: string, outputDigest: string, worker: string): void {
    this.finished.set(unitId, { outputDigest, worker });
    if (this.finished.size > 50_000) {
      const oldest = this.finished.keys().next().value;
      if (oldest !== undefined) this.finished.delete(oldest);
    }
  }

  /** A result for a unit that is already settled: dropped, or compared under quorum. */
  private lateResult(msg: Extract<ResultMessage, { type: 'result' }>): void {
    this.counters.duplicatesDropped++;
    const claim = msg.result.claim;
    const first = this.finished.get(claim.unitId);
    if (this.ctx.verify !== 'quorum' || !first) return;
    const worker = this.ctx.trust.bySigningKey(claim.worker);
    if (!worker || worker.name === first.worker) return;
    const genuine = verify(null, Buffer.from(canonicalJson(claim)), worker.signKey, Buffer.from(msg.result.signature, 'base64url'));
    if (!genuine) return;
    if (claim.outputDigest !== first.outputDigest && this.ctx.registry.isDeterministic(claim.engine.name)) {
      const reason = `returned a result for unit ${claim.unitId.slice(0, 12)} that differs from ${first.worker}'s`;
      this.disagreements.set(worker.name, reason);
      log.warn(`nats: ${worker.name} ${reason}`);
    }
  }

  close(): void {
    this.closed = true;
    for (const p of this.pending.values())
      p.reject(new PrechewError('CANCELLED', 'The JetStream connection was closed.'));
    this.pending.clear();
  }
}
