/**
 * JetStream mesh benchmark (`npm run bench -- mesh` runs it after the direct-peer figures): a real
 * nats-server started by the hub code, a requester and workers joined by NKey — in this process,
 * except the worker that is SIGKILLed, which runs in its own. Everything shares this machine's
 * cores, so the figures measure the transport's overhead and recovery times, not scaling.
 * Prints figures, asserts nothing.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { jetstream } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import { dispatchUnits, type UnitBackend } from '../src/jobs/dispatch.js';
import { UnitRegistry, type UnitKindSpec } from '../src/jobs/registry.js';
import { makeUnit, type Unit } from '../src/jobs/units.js';
import { ConsentGate, DEFAULT_CONSENT } from '../src/mesh/consent.js';
import { findNatsServer, NATS_INSTALL_HINT } from '../src/mesh/nats/hub.js';
import { loadPayload, storePayload } from '../src/mesh/nats/objects.js';
import { PAYLOAD_BUCKET } from '../src/mesh/nats/subjects.js';
import { PeerClient } from '../src/mesh/peer-client.js';
import { createPeerHttpHandler } from '../src/mesh/peer-endpoint.js';
import { PeerNode } from '../src/mesh/peer-node.js';
import { TrustList } from '../src/mesh/trust.js';
import { DEFAULT_WORKER_LIMITS, WorkerPolicy } from '../src/mesh/worker-policy.js';
import { cpuKind, emptyKind, ident, sleepKind, startHarness } from './nats-harness.js';

const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;
const pct = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const kinds = [emptyKind, sleepKind, cpuKind] as UnitKindSpec[];

function registry(): UnitRegistry {
  const r = new UnitRegistry();
  for (const k of kinds) r.register(k);
  return r;
}

const localBackend = (reg: UnitRegistry): UnitBackend => ({
  id: 'local',
  label: 'this node',
  local: true,
  slots: () => 1,
  accepts: () => true,
  run: async (u) => reg.require(u.kind).handler(u.input, {}),
});

/** A part-1 peer (HTTP /mesh endpoint) in this process, for the direct-vs-JetStream comparison. */
async function directPeer(requesterKey: string): Promise<{ url: string; server: http.Server; key: string }> {
  const identity = ident('direct');
  const consent = new ConsentGate({ ...DEFAULT_CONSENT, accept: 'always' });
  consent.observe(0);
  const node = new PeerNode({
    identity,
    trusted: new TrustList([{ name: 'requester', key: requesterKey }]),
    registry: registry(),
    consent,
    policy: new WorkerPolicy({ ...DEFAULT_WORKER_LIMITS, maxConcurrent: 1, perPeerPerMinute: 1_000_000 }),
    name: 'direct',
    version: 'bench',
  });
  const handler = createPeerHttpHandler(node, 'bench', 8 * 1024 * 1024);
  const server = http.createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mesh`, server, key: identity.nodeKey };
}

export async function benchMeshNats(): Promise<Record<string, number | string>> {
  if (!findNatsServer()) return { skipped: NATS_INSTALL_HINT };
  const figures: Record<string, number | string> = {};
  const doomed = ident('doomed');
  const ackWaitMs = 2000;
  const h = await startHarness(1, kinds, { ackWaitMs, maxConcurrent: 64 }, [doomed], 1);
  try {
    const queue = h.requester.queue!;
    const run = (u: Unit): Promise<unknown> =>
      queue.run(u, { signal: new AbortController().signal, deadline: Date.now() + 120_000 });

    // Enqueue → result for empty units, one at a time.
    for (let i = 0; i < 30; i++) await run(makeUnit(emptyKind.kind, { n: -i - 1 }));
    const one: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t = performance.now();
      await run(makeUnit(emptyKind.kind, { n: i }));
      one.push(performance.now() - t);
    }
    figures['empty unit, one at a time: p50 ms'] = round(pct(one, 0.5));
    figures['empty unit, one at a time: p99 ms'] = round(pct(one, 0.99));

    // Bursts of 2,000 empty units, all enqueued at once.
    for (let burst = 1; burst <= 2; burst++) {
      const lat: number[] = [];
      const started = performance.now();
      await Promise.all(
        Array.from({ length: 2000 }, async (_, i) => {
          const t = performance.now();
          await run(makeUnit(emptyKind.kind, { n: burst * 100_000 + i }));
          lat.push(performance.now() - t);
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      figures[`burst ${burst} of 2,000 empty units: p50 ms`] = round(pct(lat, 0.5));
      figures[`burst ${burst} of 2,000 empty units: p99 ms`] = round(pct(lat, 0.99));
      figures[`burst ${burst} of 2,000 empty units: units/s`] = Math.round(2000 / seconds);
    }

    // Object Store: a 10 MB (sealed) payload in and out, digest checked on the way out.
    const js = jetstream(h.requester.nc);
    const objects = await new Objm(js).open(PAYLOAD_BUCKET);
    const store = async (): Promise<typeof objects> => objects;
    const tenMb = Buffer.alloc(10 * 1024 * 1024, 3);
    let t = performance.now();
    const ref = await storePayload(store, tenMb, 512 * 1024);
    const putS = (performance.now() - t) / 1000;
    t = performance.now();
    await loadPayload(store, ref, 64 * 1024 * 1024);
    const getS = (performance.now() - t) / 1000;
    figures['Object Store 10 MB put: MB/s'] = round(10 / putS, 1);
    figures['Object Store 10 MB get + digest check: MB/s'] = round(10 / getS, 1);
    t = performance.now();
    await run(makeUnit(emptyKind.kind, { n: 1, pad: 'x'.repeat(10 * 1024 * 1024) }));
    figures['10 MB unit end to end (sealed, Object Store both ways): s'] = round((performance.now() - t) / 1000);

    // The same CPU-bound units locally, through a direct peer, and through JetStream (one worker each).
    const reg = registry();
    const local = localBackend(reg);
    const noLocal: UnitBackend = { ...local, slots: () => 0 };
    const cpuUnits = (): Unit[] => Array.from({ length: 40 }, (_, i) => makeUnit(cpuKind.kind, { rounds: 1000, seed: i }));
    t = performance.now();
    await dispatchUnits(cpuUnits(), [local]);
    figures['40 CPU-bound units, local: s'] = round((performance.now() - t) / 1000);
    const peer = await directPeer(h.requesterIdentity.nodeKey);
    const client = new PeerClient({
      identity: h.requesterIdentity,
      trusted: new TrustList([{ name: 'direct', key: peer.key }]),
      registry: reg,
      url: peer.url,
      version: 'bench',
    });
    await client.checkStatus();
    t = performance.now();
    await dispatchUnits(cpuUnits(), [noLocal, client]);
    figures['40 CPU-bound units, one direct peer: s'] = round((performance.now() - t) / 1000);
    await client.close();
    peer.server.close();
    const oneSlot: UnitBackend = Object.assign(Object.create(queue) as UnitBackend, { slots: () => 1 });
    t = performance.now();
    await dispatchUnits(cpuUnits(), [noLocal, oneSlot]);
    figures['40 CPU-bound units, JetStream (one worker): s'] = round((performance.now() - t) / 1000);

    // SIGKILL a worker (its own process) mid-unit: time until another worker claims the unit.
    await h.workers[0]!.stop();
    h.workers.length = 0;
    const child = spawn(process.execPath, [path.join(path.dirname(fileURLToPath(import.meta.url)), 'nats-child.js')], {
      env: {
        ...process.env,
        PRECHEW_BENCH_CHILD: JSON.stringify({
          url: h.hub.url,
          dataDir: path.dirname(doomed.file),
          trusted: [{ name: 'requester', key: h.requesterIdentity.nodeKey }],
          ackWaitMs,
        }),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
    const claimedBefore = queue.counters.keysReleased;
    const result = run(makeUnit(sleepKind.kind, { ms: 3000 }));
    while (queue.counters.keysReleased === claimedBefore) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 200));
    const killedAt = performance.now();
    child.kill('SIGKILL');
    await h.addWorker();
    while (queue.counters.keysReleased === claimedBefore + 1) await new Promise((r) => setTimeout(r, 5));
    figures[`SIGKILL mid-unit → redelivered to another worker (ack_wait ${ackWaitMs} ms): ms`] = Math.round(
      performance.now() - killedAt,
    );
    await result;
    figures['SIGKILL mid-unit → unit done (3 s unit): ms'] = Math.round(performance.now() - killedAt);
    figures['note'] =
      'hub, requester and workers share this machine; JetStream adds a broker hop, a key request and file-store writes per unit';
  } finally {
    await h.stop();
  }
  return figures;
}
