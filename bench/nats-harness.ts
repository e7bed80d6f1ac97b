/**
 * An in-process JetStream mesh for benchmarks: a real nats-server started by NatsHub, and a
 * requester and workers joined through NatsMesh with their own identities — the same code the
 * `prechew hub` and `prechew serve` processes run, without their start-up cost.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { UnitRegistry, type UnitKindSpec } from '../src/jobs/registry.js';
import { ConsentGate, DEFAULT_CONSENT } from '../src/mesh/consent.js';
import { loadOrCreateIdentity, type NodeIdentity } from '../src/mesh/identity.js';
import { NatsHub } from '../src/mesh/nats/hub.js';
import { NatsMesh } from '../src/mesh/nats/index.js';
import { TrustList } from '../src/mesh/trust.js';
import { WorkerPolicy } from '../src/mesh/worker-policy.js';

export interface Harness {
  hub: NatsHub;
  /** Joins one more worker in this process. */
  addWorker(identity?: NodeIdentity): Promise<NatsMesh>;
  requester: NatsMesh;
  requesterIdentity: NodeIdentity;
  workers: NatsMesh[];
  registry: UnitRegistry;
  stop(): Promise<void>;
}

export const emptyKind: UnitKindSpec<{ n: number; pad?: string }, { n: number; pad?: string }> = {
  kind: 'bench.echo',
  version: '1',
  input: z.object({ n: z.number(), pad: z.string().optional() }),
  output: z.object({ n: z.number(), pad: z.string().optional() }),
  maxInputBytes: 64 * 1024 * 1024,
  deterministic: true,
  handler: (input) => input,
};

/** A unit that waits: long enough to be killed mid-unit. */
export const sleepKind: UnitKindSpec<{ ms: number }, { slept: number }> = {
  kind: 'bench.sleep',
  version: '1',
  input: z.object({ ms: z.number() }),
  output: z.object({ slept: z.number() }),
  maxInputBytes: 1024,
  deterministic: true,
  handler: async (input) => {
    await new Promise((r) => setTimeout(r, input.ms));
    return { slept: input.ms };
  },
};

/** CPU-bound work: repeated sha256 over a buffer, about the same time on every node. */
export const cpuKind: UnitKindSpec<{ rounds: number; seed: number }, { digest: string }> = {
  kind: 'bench.cpu',
  version: '1',
  input: z.object({ rounds: z.number().int(), seed: z.number() }),
  output: z.object({ digest: z.string() }),
  maxInputBytes: 1024,
  deterministic: true,
  handler: (input) => {
    let data = Buffer.alloc(64 * 1024, input.seed);
    for (let i = 0; i < input.rounds; i++) data = Buffer.concat([createHash('sha256').update(data).digest(), data.subarray(32)]);
    return { digest: createHash('sha256').update(data).digest('hex') };
  },
};

export function ident(name: string): NodeIdentity {
  return loadOrCreateIdentity(mkdtempSync(path.join(os.tmpdir(), `prechew-bench-${name}-`)));
}

export async function startHarness(
  workers: number,
  kinds: UnitKindSpec[] = [emptyKind as UnitKindSpec],
  nats: { ackWaitMs?: number; maxInFlight?: number; maxConcurrent?: number } = {},
  /** Identities of workers in other processes, trusted like the rest. */
  outside: NodeIdentity[] = [],
  spare = 0,
): Promise<Harness> {
  const registry = new UnitRegistry();
  for (const k of kinds) registry.register(k);
  const hubId = ident('hub');
  const reqId = ident('req');
  const workerIds = Array.from({ length: workers + spare }, (_, i) => ident(`w${i}`));
  const entries = [reqId, ...workerIds, ...outside].map((id, i) => ({
    name: i === 0 ? 'requester' : `worker${i}`,
    key: id.nodeKey,
  }));
  const trust = new TrustList(entries);
  const ackWaitMs = nats.ackWaitMs ?? 2000;
  const hub = await NatsHub.start({
    identity: hubId,
    trust,
    registry,
    dataDir: path.dirname(hubId.file),
    host: '127.0.0.1',
    port: 0,
    leafUsers: [],
    topology: { ackWaitMs, maxDeliver: 4, registryTtlMs: 3000 },
  });
  const settings = {
    url: hub.url,
    ackWaitMs,
    maxDeliver: 4,
    objectThresholdBytes: 512 * 1024,
    maxInFlight: nats.maxInFlight ?? 4096,
    heartbeatSeconds: 1,
  };
  const join = (identity: NodeIdentity, name: string, work: boolean): Promise<NatsMesh> =>
    NatsMesh.start({
      nats: settings,
      identity,
      trust,
      registry,
      consent: new ConsentGate({ ...DEFAULT_CONSENT, accept: work ? 'always' : 'never' }),
      policy: new WorkerPolicy({
        kinds: [],
        maxConcurrent: nats.maxConcurrent ?? 64,
        maxUnitBytes: 64 * 1024 * 1024,
        perPeerPerMinute: 10_000_000,
      }),
      name,
      version: 'bench',
      verify: 'none',
      maxSkewMs: 60_000,
      work,
      offload: !work,
      models: () => ({}),
    });
  const requester = await join(reqId, 'requester', false);
  const ws = await Promise.all(workerIds.slice(0, workers).map((id, i) => join(id, `worker${i + 1}`, true)));
  const spares = workerIds.slice(workers);
  await requester.registryNodes(0);
  return {
    hub,
    requester,
    requesterIdentity: reqId,
    workers: ws,
    registry,
    async addWorker(identity?: NodeIdentity) {
      const id = identity ?? spares.shift();
      if (!id) throw new Error('no spare worker identity');
      const w = await join(id, `worker${ws.length + 1}`, true);
      ws.push(w);
      return w;
    },
    async stop() {
      for (const w of ws) await w.stop();
      await requester.stop();
      await hub.stop();
    },
  };
}
