/** What the JetStream requester and worker share: the connection, this node and its trust. */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import type { VerifyMode } from '../../jobs/dispatch.js';
import type { UnitRegistry } from '../../jobs/registry.js';
import type { NodeIdentity } from '../identity.js';
import type { TrustList } from '../trust.js';

export interface NatsContext {
  nc: NatsConnection;
  js: JetStreamClient;
  objects: () => Promise<ObjectStore>;
  identity: NodeIdentity;
  token: string;
  trust: TrustList;
  registry: UnitRegistry;
  verify: VerifyMode;
  maxSkewMs: number;
  ackWaitMs: number;
  maxDeliver: number;
  objectThresholdBytes: number;
  maxUnitBytes: number;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
