/**
 * The JetStream objects the mesh uses, created by whoever may administer them (the hub, or a node
 * given admin credentials on an existing deployment):
 *
 * - PRECHEW_WORK: work-queue retention, file storage, a subject per unit kind and one shared
 *   durable pull consumer per kind (explicit ack, short ack_wait, max_deliver with backoff);
 * - PRECHEW_RESULTS: work-queue retention, a subject and a durable consumer per node, a duplicate
 *   window so a result published twice (Nats-Msg-Id) is stored once;
 * - KV `prechew-nodes` (entries expire unless refreshed) and Object Store `prechew-payloads`.
 */
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { log } from '../../log.js';
import type { TrustList } from '../trust.js';
import {
  PAYLOAD_BUCKET,
  REGISTRY_BUCKET,
  RESULT_PREFIX,
  resultDurable,
  resultSubject,
  RESULTS_STREAM,
  nodeToken,
  WORK_PREFIX,
  WORK_STREAM,
  workDurable,
  workSubject,
} from './subjects.js';
import { decodeJson, encodeJson, workMessageSchema, type ResultMessage } from './wire.js';
import { manifestDigest } from '../envelope.js';

export interface TopologyOptions {
  kinds: string[];
  nodeTokens: string[];
  ackWaitMs: number;
  maxDeliver: number;
  /** How long registry entries live without a refresh. */
  registryTtlMs: number;
}

const ns = (ms: number): number => Math.round(ms * 1_000_000);

async function ensureStream(jsm: JetStreamManager, name: string, subjects: string[]): Promise<void> {
  const config = {
    name,
    subjects,
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    duplicate_window: ns(120_000),
    max_msg_size: 1024 * 1024,
  };
  try {
    await jsm.streams.info(name);
    await jsm.streams.update(name, config);
  } catch {
    await jsm.streams.add(config);
  }
}

async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: Parameters<JetStreamManager['consumers']['add']>[1] & { durable_name: string },
): Promise<void> {
  try {
    await jsm.consumers.info(stream, config.durable_name);
    await jsm.consumers.update(stream, config.durable_name, config);
  } catch {
    await jsm.consumers.add(stream, config);
  }
}

/** Backoff for redeliveries after a missed ack: ack_wait, then doubling up to a minute. */
export function redeliveryBackoff(ackWaitMs: number, maxDeliver: number): number[] {
  const steps: number[] = [];
  for (let i = 0; i < Math.max(1, maxDeliver - 1); i++) steps.push(ns(Math.min(60_000, ackWaitMs * 2 ** i)));
  return steps;
}

export async function ensureTopology(nc: NatsConnection, o: TopologyOptions): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await ensureStream(jsm, WORK_STREAM, [`${WORK_PREFIX}.>`]);
  await ensureStream(jsm, RESULTS_STREAM, [`${RESULT_PREFIX}.*`]);
  for (const kind of o.kinds) {
    await ensureConsumer(jsm, WORK_STREAM, {
      durable_name: workDurable(kind),
      filter_subject: workSubject(kind),
      ack_policy: AckPolicy.Explicit,
      ack_wait: ns(o.ackWaitMs),
      max_deliver: o.maxDeliver,
      backoff: o.maxDeliver > 1 ? redeliveryBackoff(o.ackWaitMs, o.maxDeliver) : undefined,
      max_ack_pending: 20_000,
      max_waiting: 4096,
    });
  }
  for (const token of new Set(o.nodeTokens)) {
    await ensureConsumer(jsm, RESULTS_STREAM, {
      durable_name: resultDurable(token),
      filter_subject: resultSubject(token),
      ack_policy: AckPolicy.Explicit,
      ack_wait: ns(30_000),
      max_ack_pending: 20_000,
      max_waiting: 4096,
    });
  }
  const js = jetstream(nc);
  await new Kvm(js).create(REGISTRY_BUCKET, {
    history: 1,
    ttl: o.registryTtlMs,
    storage: StorageType.File,
  });
  await new Objm(js).create(PAYLOAD_BUCKET, { storage: StorageType.File, ttl: ns(3_600_000) });
  log.debug('nats: streams, consumers and buckets are in place', { kinds: o.kinds.length });
}

/**
 * A unit delivered max_deliver times without an answer (every worker that took it died or hung)
 * is taken off the queue and its requester told, naming the unit, so it fails fast instead of
 * waiting for its deadline.
 */
export function relayDeadLetters(nc: NatsConnection, trust: TrustList): void {
  const sub = nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${WORK_STREAM}.*`);
  void (async () => {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    for await (const m of sub) {
      try {
        const advisory = decodeJson(m.data) as { stream_seq?: number; deliveries?: number };
        if (typeof advisory.stream_seq !== 'number') continue;
        const stored = await jsm.streams.getMessage(WORK_STREAM, { seq: advisory.stream_seq });
        if (!stored) continue;
        const work = workMessageSchema.safeParse(decodeJson(stored.data));
        await jsm.streams.deleteMessage(WORK_STREAM, advisory.stream_seq).catch(() => false);
        if (!work.success) continue;
        const requester = trust.bySigningKey(work.data.manifest.manifest.requester);
        if (!requester) continue;
        const digest = manifestDigest(work.data.manifest);
        const notice: ResultMessage = {
          v: 1,
          type: 'dead',
          unitId: work.data.manifest.manifest.unitId,
          manifestDigest: digest,
          deliveries: advisory.deliveries ?? 0,
        };
        await js.publish(resultSubject(nodeToken(requester.fingerprint)), encodeJson(notice), {
          msgID: `dead:${digest}`,
        });
        log.warn(`hub: unit ${notice.unitId.slice(0, 12)} was dead-lettered after ${notice.deliveries} deliveries`);
      } catch (error) {
        log.debug('hub: dead-letter relay failed', { error });
      }
    }
  })();
}
