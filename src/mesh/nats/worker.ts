/**
 * The worker side of the JetStream mesh: pulls units from the shared durable consumer of each kind
 * it offers, only while its owner's consent allows and a slot is free — so consent maps onto
 * pulling: a node that is busy or set to `accept: never` does not fetch, and a unit it fetched but
 * has not started when it becomes busy is handed back (nak). Before any work it checks the manifest
 * (signature, trust, clock, deadline), the kind, its policy and size, then claims the data key from
 * the requester, opens the input and checks its digest. Long units send working() heartbeats so
 * they are not redelivered while alive. The result is sealed to the requester and signed; a unit
 * that fails on its last delivery, or can never succeed, is reported to the requester by name.
 */
import { randomBytes } from 'node:crypto';
import type { Consumer, JsMsg } from '@nats-io/jetstream';
import { PrechewError, toSafeError } from '../../errors.js';
import { log } from '../../log.js';
import { canonicalJson } from '../canonical.js';
import type { ConsentGate } from '../consent.js';
import {
  checkDigest,
  manifestDigest,
  NonceCache,
  sha256Hex,
  signResultClaim,
  verifyManifest,
} from '../envelope.js';
import { payloadAad } from '../peer-protocol.js';
import { openPayload, sealPayload } from '../seal.js';
import type { WorkerPolicy } from '../worker-policy.js';
import { sleep, type NatsContext } from './context.js';
import { decryptWithDataKey } from './datakey.js';
import { loadPayload, storePayload } from './objects.js';
import { keySubject, nodeToken, resultSubject, WORK_STREAM, workDurable } from './subjects.js';
import {
  dataKeyAad,
  decodeJson,
  encodeJson,
  keyReplySchema,
  workMessageSchema,
  type ResultMessage,
  type WorkMessage,
} from './wire.js';

export interface NatsWorkerOptions {
  consent: ConsentGate;
  policy: WorkerPolicy;
  /** Kinds this node offers (allowed by policy, with the models they need). */
  kinds: string[];
  models: () => { llm?: string | undefined; whisper?: string | undefined };
  /** Test-only: return wrong outputs. */
  corruptOutputs?: boolean | undefined;
}

/** Refusals that no other delivery can fix: the unit is terminated and its requester told. */
const PERMANENT = new Set([
  'bad-signature',
  'version',
  'wrong-worker',
  'deadline-too-far',
  'expired',
  'digest-mismatch',
  'bad-input',
  'bad-seal',
  'kind-version',
  'too-large',
  'not-pending',
  'malformed',
]);

export class NatsWorker {
  unitsDone = 0;
  unitsFailed = 0;
  private closed = false;
  private readonly active = new Set<JsMsg>();

  constructor(
    private readonly ctx: NatsContext,
    private readonly options: NatsWorkerOptions,
  ) {}

  start(): this {
    void this.pullLoop();
    this.options.consent.onChange((state) => {
      if (!state.accepting) log.info('nats: consent withdrawn; this node stops pulling units');
    });
    return this;
  }

  get running(): number {
    return this.active.size;
  }

  /**
   * One loop over the kinds this node offers, fetching at most as many units as it has free slots,
   * so it never holds a unit it cannot start. With one kind it long-polls that consumer; with
   * several it asks each consumer whether anything waits (a cheap info call) before fetching, so a
   * kind with an empty queue does not hold the slots while another kind's units wait.
   */
  private async pullLoop(): Promise<void> {
    const { js } = this.ctx;
    const { consent, policy, kinds } = this.options;
    if (kinds.length === 0) return;
    const consumers = new Map<string, Consumer>();
    let turn = 0;
    let idleRound = 0;
    let lastError = '';
    while (!this.closed) {
      try {
        const free = policy.freeSlots();
        if (!consent.state().accepting || free <= 0) {
          await sleep(100);
          continue;
        }
        const kind = kinds[turn++ % kinds.length]!;
        let consumer = consumers.get(kind);
        if (!consumer) {
          consumer = await js.consumers.get(WORK_STREAM, workDurable(kind));
          consumers.set(kind, consumer);
        }
        if (kinds.length > 1) {
          const info = await consumer.info(false);
          if (info.num_pending === 0 && info.num_ack_pending === 0) {
            if (++idleRound >= kinds.length) {
              idleRound = 0;
              await sleep(100);
            }
            continue;
          }
        }
        idleRound = 0;
        const batch = await consumer.fetch({ max_messages: free, expires: 1000 });
        for await (const m of batch) {
          if (this.closed) {
            m.nak();
            continue;
          }
          const release = policy.acquire();
          this.active.add(m);
          void this.handle(m)
            .catch((error: unknown) => log.debug('nats: unit handling failed', { error }))
            .finally(() => {
              this.active.delete(m);
              release();
            });
        }
      } catch (error) {
        if (this.closed) break;
        consumers.clear();
        const text = (error as Error).message;
        if (text !== lastError) log.warn(`nats: cannot pull units (${text}); retrying`);
        lastError = text;
        await sleep(500);
      }
    }
  }

  private async handle(msg: JsMsg): Promise<void> {
    const deliveries = msg.info.deliveryCount;
    let work: WorkMessage | undefined;
    let heartbeat: NodeJS.Timeout | undefined;
    try {
      const parsed = workMessageSchema.safeParse(decodeJson(msg.data));
      if (!parsed.success)
        throw new PrechewError('PEER_REFUSED', 'The work message is malformed.', { reason: 'malformed' });
      work = parsed.data;
      const outcome = await this.runUnit(work, msg, (timer) => (heartbeat = timer));
      if (outcome === 'handed-back') return;
      this.unitsDone++;
    } catch (error) {
      this.unitsFailed++;
      // A NATS failure (the hub restarting, a lost connection) is a transport error, not a bug.
      const safe =
        error instanceof PrechewError || !/nats|jetstream|connection|timeout|closed/i.test((error as Error).name + (error as Error).message)
          ? toSafeError(error)
          : new PrechewError('ENGINE_UNAVAILABLE', `NATS: ${(error as Error).message}`, { reason: 'unreachable' });
      const reason = String((safe.details as { reason?: unknown } | undefined)?.reason ?? '');
      const permanent = PERMANENT.has(reason);
      const last = deliveries >= this.ctx.maxDeliver;
      if (reason === 'not-pending') {
        // Done elsewhere or abandoned by its requester: take it off the queue quietly.
        this.unitsFailed--;
        msg.term();
        return;
      }
      log.warn(
        `nats: unit ${work?.manifest.manifest.unitId.slice(0, 12) ?? '?'} refused or failed here (delivery ${deliveries}): ${safe.message}`,
      );
      // A requester this node does not trust may be trusted by another worker: hand it back.
      if ((permanent || last) && work && reason !== 'untrusted' && reason !== 'bad-signature') {
        await this.reportFailure(work, safe.code, safe.message, deliveries).catch(() => undefined);
      }
      if (permanent || last) msg.term();
      else msg.nak(Math.min(5000, 250 * deliveries));
    } finally {
      if (heartbeat) clearInterval(heartbeat);
    }
  }

  private async runUnit(
    work: WorkMessage,
    msg: JsMsg,
    setHeartbeat: (timer: NodeJS.Timeout) => void,
  ): Promise<'done' | 'handed-back'> {
    const { identity, trust, registry } = this.ctx;
    const { consent, policy } = this.options;
    // Redelivery of the same manifest is legitimate on a queue; replays are stopped by the
    // requester, which releases a unit's key only while the unit is pending.
    const requester = verifyManifest(work.manifest, {
      trusted: trust,
      self: identity.signPublic,
      nonces: new NonceCache(1),
      maxSkewMs: this.ctx.maxSkewMs,
    });
    const m = work.manifest.manifest;
    const spec = registry.get(m.kind);
    if (!spec)
      throw new PrechewError('PEER_REFUSED', `This node does not know unit kind "${m.kind}".`, { reason: 'unknown-kind' });
    if (spec.version !== m.kindVersion)
      throw new PrechewError('PEER_REFUSED', `This node runs "${m.kind}" version ${spec.version}, not ${m.kindVersion}.`, {
        reason: 'kind-version',
      });
    const sealedBytes = 'inline' in work.payload ? Math.ceil((work.payload.inline.length * 3) / 4) : work.payload.bytes;
    policy.check(requester.name, m.kind, Math.max(m.inputBytes, sealedBytes));
    if (m.inputBytes > spec.maxInputBytes)
      throw new PrechewError('PEER_REFUSED', `The "${m.kind}" input is larger than this kind allows.`, { reason: 'too-large' });
    const digest = manifestDigest(work.manifest);
    const sealed = await loadPayload(this.ctx.objects, work.payload, this.ctx.maxUnitBytes + 1024);
    const dataKey = await this.claimKey(requester, m.unitId, digest);
    const inputBytes = decryptWithDataKey(dataKey, sealed, payloadAad(digest, 'input'));
    checkDigest(inputBytes, m.inputDigest, 'input');
    const input = spec.input.safeParse(JSON.parse(inputBytes.toString('utf8')));
    if (!input.success)
      throw new PrechewError('PEER_REFUSED', `The "${m.kind}" input does not match its schema.`, { reason: 'bad-input' });
    // Consent may have been withdrawn while the key was claimed: the unit has not started, hand it back.
    if (!consent.state().accepting) {
      msg.nak();
      return 'handed-back';
    }
    setHeartbeat(setInterval(() => msg.working(), Math.max(200, Math.floor(this.ctx.ackWaitMs / 3))));
    const started = Date.now();
    const deadline = AbortSignal.timeout(Math.max(1, m.deadline - started));
    const output = await spec.handler(input.data, { signal: deadline });
    if (deadline.aborted) throw new PrechewError('TIMEOUT', 'The unit deadline passed while it ran.');
    let outputBytes = Buffer.from(canonicalJson(spec.output.parse(output)));
    if (this.options.corruptOutputs) outputBytes = Buffer.from(canonicalJson({ corrupted: true }));
    const sealedOut = sealPayload(requester.sealKey, outputBytes, payloadAad(digest, 'output'));
    const payload = await storePayload(this.ctx.objects, sealedOut, this.ctx.objectThresholdBytes);
    const models = this.options.models();
    const result = signResultClaim(identity, {
      unitId: m.unitId,
      manifestDigest: digest,
      outputDigest: sha256Hex(outputBytes),
      outputBytes: outputBytes.length,
      engine: { name: m.kind, version: spec.version, model: spec.needs ? models[spec.needs] : undefined },
      startedAt: started,
      finishedAt: Date.now(),
    });
    const message: ResultMessage = { v: 1, type: 'result', result, payload };
    await this.ctx.js.publish(resultSubject(nodeToken(requester.fingerprint)), encodeJson(message), {
      msgID: `${digest}.${nodeToken(identity.fingerprint)}`,
    });
    await msg.ackAck();
    return 'done';
  }

  /** Asks the requester for the unit's data key, sealed to this node. */
  private async claimKey(
    requester: { fingerprint: string; signPublic: string },
    unitId: string,
    digest: string,
  ): Promise<Buffer> {
    const { identity, nc } = this.ctx;
    const request = {
      v: 1 as const,
      unitId,
      manifestDigest: digest,
      worker: identity.signPublic,
      at: Date.now(),
      nonce: randomBytes(12).toString('base64url'),
    };
    const signature = identity.signBytes(Buffer.from(canonicalJson(request)));
    let replyData: Uint8Array;
    try {
      const reply = await nc.request(keySubject(nodeToken(requester.fingerprint)), encodeJson({ request, signature }), {
        timeout: 5000,
      });
      replyData = reply.data;
    } catch {
      throw new PrechewError('ENGINE_UNAVAILABLE', 'The requester did not answer the key request.', {
        reason: 'requester-unreachable',
      });
    }
    const reply = keyReplySchema.safeParse(decodeJson(replyData));
    if (!reply.success)
      throw new PrechewError('PEER_REFUSED', 'The requester sent a malformed key reply.', { reason: 'malformed' });
    if ('refused' in reply.data)
      throw new PrechewError('PEER_REFUSED', `The requester refused the data key: ${reply.data.message}`, {
        reason: reply.data.refused === 'not-pending' ? 'not-pending' : 'key-refused',
      });
    return openPayload(
      identity.sealPrivate,
      identity.sealPublic,
      Buffer.from(reply.data.key, 'base64'),
      dataKeyAad(digest, identity.signPublic),
    );
  }

  private async reportFailure(work: WorkMessage, code: string, message: string, deliveries: number): Promise<void> {
    const { identity, trust, js } = this.ctx;
    const requester = trust.bySigningKey(work.manifest.manifest.requester);
    if (!requester) return;
    const digest = manifestDigest(work.manifest);
    const failure = {
      v: 1 as const,
      unitId: work.manifest.manifest.unitId,
      manifestDigest: digest,
      worker: identity.signPublic,
      code,
      message: message.slice(0, 500),
      deliveries,
      at: Date.now(),
    };
    const signed = { failure, signature: identity.signBytes(Buffer.from(canonicalJson(failure))) };
    const out: ResultMessage = { v: 1, type: 'failed', failure: signed };
    await js.publish(resultSubject(nodeToken(requester.fingerprint)), encodeJson(out), {
      msgID: `failed.${digest}.${nodeToken(identity.fingerprint)}`,
    });
  }

  /** Stops pulling and hands back every unit in progress (nak), so another worker takes it at once. */
  close(): void {
    this.closed = true;
    for (const msg of this.active) msg.nak();
  }
}
