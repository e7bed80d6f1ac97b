/**
 * Pulling, with a real nats-server (started by the hub code) and the real requester and worker.
 * Consent maps onto pulling, with a real nats-server (started by the hub code) and the real
 * requester and worker: a busy node fetches nothing, and takes the unit once it is idle again.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UnitRegistry } from '../../src/jobs/registry.js';
import { makeUnit } from '../../src/jobs/units.js';
import { ConsentGate, DEFAULT_CONSENT } from '../../src/mesh/consent.js';
import { loadOrCreateIdentity } from '../../src/mesh/identity.js';
import { findNatsServer, NatsHub } from '../../src/mesh/nats/hub.js';
import { connectNode, NatsMesh } from '../../src/mesh/nats/index.js';
import { WORK_STREAM, workDurable } from '../../src/mesh/nats/subjects.js';
import { jetstream } from '@nats-io/jetstream';
import { TrustList } from '../../src/mesh/trust.js';
import { WorkerPolicy } from '../../src/mesh/worker-policy.js';

const skip = findNatsServer() ? undefined : 'nats-server is not installed (apt-get install nats-server)';
if (skip) console.warn(`mesh-nats consent test skipped: ${skip}`);

const ident = (name: string): ReturnType<typeof loadOrCreateIdentity> =>
  loadOrCreateIdentity(mkdtempSync(path.join(os.tmpdir(), `prechew-consent-${name}-`)));
const stops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
});

describe.skipIf(skip !== undefined)('JetStream consent and dead letters', { timeout: 60_000 }, () => {
  it('a worker whose machine is busy does not pull; it takes the unit once idle, and says so in the registry', async () => {
    const registry = new UnitRegistry().register({
      kind: 'test.echo',
      version: '1',
      input: z.object({ n: z.number() }),
      output: z.object({ n: z.number() }),
      maxInputBytes: 1024,
      deterministic: true,
      handler: (input) => input,
    });
    const [hubId, reqId, workerId] = [ident('hub'), ident('req'), ident('worker')];
    const trust = new TrustList([
      { name: 'requester', key: reqId.nodeKey },
      { name: 'worker', key: workerId.nodeKey },
    ]);
    const hub = await NatsHub.start({
      identity: hubId,
      trust,
      registry,
      dataDir: path.dirname(hubId.file),
      host: '127.0.0.1',
      port: 0,
      leafUsers: [],
      topology: { ackWaitMs: 2000, maxDeliver: 4, registryTtlMs: 3000 },
    });
    stops.push(() => hub.stop());
    const nats = { url: hub.url, ackWaitMs: 2000, maxDeliver: 4, objectThresholdBytes: 512 * 1024, maxInFlight: 16, heartbeatSeconds: 1 };
    const consent = new ConsentGate({ ...DEFAULT_CONSENT, accept: 'idle', idleForMs: 0, busyAfterSamples: 1 });
    consent.observe(0.95);
    const common = { trust, registry, version: 'test', verify: 'none' as const, maxSkewMs: 60_000, models: () => ({}) };
    const policy = (): WorkerPolicy => new WorkerPolicy({ kinds: [], maxConcurrent: 2, maxUnitBytes: 1024 * 1024, perPeerPerMinute: 10_000 });
    const worker = await NatsMesh.start({ ...common, nats, identity: workerId, consent, policy: policy(), name: 'worker', work: true, offload: false });
    stops.push(() => worker.stop());
    const requester = await NatsMesh.start({
      ...common,
      nats,
      identity: reqId,
      consent: new ConsentGate({ ...DEFAULT_CONSENT, accept: 'never' }),
      policy: policy(),
      name: 'requester',
      work: false,
      offload: true,
    });
    stops.push(() => requester.stop());

    const [entry] = (await requester.registryNodes(0)).filter((n) => n.entry.name === 'worker');
    expect(entry?.entry.accept).toMatchObject({ mode: 'idle', accepting: false });
    let done = false;
    const result = requester
      .queue!.run(makeUnit('test.echo', { n: 7 }), { signal: new AbortController().signal, deadline: Date.now() + 30_000 })
      .finally(() => (done = true));
    await new Promise((r) => setTimeout(r, 1500));
    expect(done).toBe(false);
    expect(worker.worker!.unitsDone).toBe(0);
    expect(requester.queue!.counters.keysReleased).toBe(0);

    consent.observe(0.01);
    await expect(result).resolves.toEqual({ n: 7 });
    // The worker counts the unit once its ack is confirmed, just after the result went out.
    for (let i = 0; i < 50 && worker.worker!.unitsDone === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(worker.worker!.unitsDone).toBe(1);
    await worker.heartbeat();
    const [after] = (await requester.registryNodes(0)).filter((n) => n.entry.name === 'worker');
    expect(after?.entry).toMatchObject({ accept: { accepting: true }, unitsDone: 1 });
  });

  it('a unit delivered max_deliver times without an answer is dead-lettered by the hub and fails at its requester, named', async () => {
    const registry = new UnitRegistry().register({
      kind: 'test.doomed',
      version: '1',
      input: z.object({ n: z.number() }),
      output: z.object({ n: z.number() }),
      maxInputBytes: 1024,
      deterministic: true,
      handler: (input) => input,
    });
    const [hubId, reqId, workerId] = [ident('hub2'), ident('req2'), ident('worker2')];
    const trust = new TrustList([
      { name: 'requester', key: reqId.nodeKey },
      { name: 'worker', key: workerId.nodeKey },
    ]);
    const hub = await NatsHub.start({
      identity: hubId,
      trust,
      registry,
      dataDir: path.dirname(hubId.file),
      host: '127.0.0.1',
      port: 0,
      leafUsers: [],
      topology: { ackWaitMs: 1000, maxDeliver: 2, registryTtlMs: 3000 },
    });
    stops.push(() => hub.stop());
    const requester = await NatsMesh.start({
      trust,
      registry,
      version: 'test',
      verify: 'none',
      maxSkewMs: 60_000,
      models: () => ({}),
      nats: { url: hub.url, ackWaitMs: 1000, maxDeliver: 2, objectThresholdBytes: 512 * 1024, maxInFlight: 16, heartbeatSeconds: 1 },
      identity: reqId,
      consent: new ConsentGate({ ...DEFAULT_CONSENT, accept: 'never' }),
      policy: new WorkerPolicy({ kinds: [], maxConcurrent: 1, maxUnitBytes: 1024 * 1024, perPeerPerMinute: 10_000 }),
      name: 'requester',
      work: false,
      offload: true,
    });
    stops.push(() => requester.stop());
    const unit = makeUnit('test.doomed', { n: 1 });
    const outcome = requester.queue!.run(unit, { signal: new AbortController().signal, deadline: Date.now() + 30_000 });
    outcome.catch(() => undefined);
    // A worker that takes the unit and dies with it, twice (it never acks).
    const nc = await connectNode({ url: hub.url }, workerId, 'worker');
    stops.push(() => nc.close());
    const consumer = await jetstream(nc).consumers.get(WORK_STREAM, workDurable('test.doomed'));
    const first = await consumer.next({ expires: 5000 });
    const second = await consumer.next({ expires: 10_000 });
    expect(first?.info.deliveryCount).toBe(1);
    expect(second?.info.deliveryCount).toBe(2);
    // Workers keep pulling; the server notices the exhausted unit when it next tries to deliver it.
    expect(await consumer.next({ expires: 4000 })).toBeNull();
    await expect(outcome).rejects.toThrow(new RegExp(`Unit ${unit.id.slice(0, 12)} \\(test.doomed\\) was dead-lettered`));
  });
});
