/**
 * Mesh benchmark: what the peer protocol costs. Nodes are real HTTP servers with their own
 * identities and trust lists, reached with the real MCP client over loopback; they share this
 * process (and this machine's two cores), so the figures measure protocol overhead, not scaling.
 * Prints figures, asserts nothing.
 */
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { dispatchUnits, type UnitBackend } from '../src/jobs/dispatch.js';
import { UnitRegistry } from '../src/jobs/registry.js';
import { makeUnit, type Unit } from '../src/jobs/units.js';
import { ConsentGate, DEFAULT_CONSENT } from '../src/mesh/consent.js';
import {
  issueManifest,
  manifestDigest,
  signResultClaim,
  sha256Hex,
  verifyManifest,
  NonceCache,
} from '../src/mesh/envelope.js';
import { loadOrCreateIdentity, type NodeIdentity } from '../src/mesh/identity.js';
import { PeerClient } from '../src/mesh/peer-client.js';
import { createPeerHttpHandler } from '../src/mesh/peer-endpoint.js';
import { PeerNode } from '../src/mesh/peer-node.js';
import { openPayload, sealPayload } from '../src/mesh/seal.js';
import { TrustList } from '../src/mesh/trust.js';
import { DEFAULT_WORKER_LIMITS, WorkerPolicy } from '../src/mesh/worker-policy.js';
import { benchMeshNodes } from './mesh-nodes.js';

const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;
const pct = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const newIdentity = (): NodeIdentity =>
  loadOrCreateIdentity(mkdtempSync(path.join(tmpdir(), 'prechew-bench-node-')));

const KIND = 'bench.echo';
let slowMs = 0;
function registry(): UnitRegistry {
  return new UnitRegistry().register({
    kind: KIND,
    version: '1',
    input: z.object({ n: z.number(), pad: z.string() }),
    output: z.object({ n: z.number() }),
    maxInputBytes: 1024 * 1024,
    deterministic: true,
    handler: async (input) => {
      if (slowMs) await new Promise((r) => setTimeout(r, slowMs));
      return { n: input.n };
    },
  });
}

async function startNode(
  requester: NodeIdentity,
): Promise<{ identity: NodeIdentity; url: string; server: http.Server }> {
  const identity = newIdentity();
  const consent = new ConsentGate({ ...DEFAULT_CONSENT, accept: 'always' });
  consent.observe(0);
  const node = new PeerNode({
    identity,
    trusted: new TrustList([{ name: 'requester', key: requester.nodeKey }]),
    registry: registry(),
    consent,
    policy: new WorkerPolicy({ ...DEFAULT_WORKER_LIMITS, maxConcurrent: 4, perPeerPerMinute: 1_000_000 }),
    name: 'bench',
    version: 'bench',
  });
  const handler = createPeerHttpHandler(node, 'bench', 8 * 1024 * 1024);
  const server = http.createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { identity, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mesh`, server };
}

const local: UnitBackend = {
  id: 'local',
  label: 'this node',
  local: true,
  slots: () => 1,
  accepts: () => true,
  run: async (u) => ({ n: (u.input as { n: number }).n }),
};
const noLocal: UnitBackend = { ...local, slots: () => 0 };
const units = (count: number, pad = ''): Unit[] =>
  Array.from({ length: count }, (_, n) => makeUnit(KIND, { n, pad }));

export async function benchMesh(): Promise<Record<string, number | string>> {
  const figures: Record<string, number | string> = {};
  const requester = newIdentity();

  // Crypto per MB: sign+verify a manifest over 1 MB of input, seal+open 1 MB.
  const mb = Buffer.alloc(1024 * 1024, 7);
  const peer = newIdentity();
  const trust = new TrustList([{ name: 'r', key: requester.nodeKey }]);
  let started = performance.now();
  const rounds = 20;
  for (let i = 0; i < rounds; i++) {
    const m = issueManifest(requester, {
      unitId: `u${i}`,
      kind: KIND,
      kindVersion: '1',
      input: mb,
      deadlineMs: 60_000,
      worker: peer.signPublic,
    });
    verifyManifest(m, { trusted: trust, self: peer.signPublic, nonces: new NonceCache() });
    signResultClaim(peer, {
      unitId: `u${i}`,
      manifestDigest: manifestDigest(m),
      outputDigest: sha256Hex(mb),
      outputBytes: mb.length,
      engine: { name: KIND, version: '1' },
      startedAt: 0,
      finishedAt: 0,
    });
  }
  figures['sign + verify (manifest and result, sha256 of 1 MB) ms/MB'] = round(
    (performance.now() - started) / rounds,
  );
  started = performance.now();
  for (let i = 0; i < rounds; i++)
    openPayload(
      peer.sealPrivate,
      peer.sealPublic,
      sealPayload(peer.sealKey, mb, Buffer.from('aad')),
      Buffer.from('aad'),
    );
  figures['seal + open ms/MB'] = round((performance.now() - started) / rounds);
  const small = Buffer.alloc(1024, 7);
  started = performance.now();
  for (let i = 0; i < 500; i++)
    openPayload(
      peer.sealPrivate,
      peer.sealPublic,
      sealPayload(peer.sealKey, small, Buffer.from('aad')),
      Buffer.from('aad'),
    );
  figures['seal + open ms/KB'] = round((performance.now() - started) / 500, 3);

  const nodes = [await startNode(requester), await startNode(requester), await startNode(requester)];
  const trusted = new TrustList(nodes.map((n, i) => ({ name: `node${i + 1}`, key: n.identity.nodeKey })));
  const clients = nodes.map(
    (n) =>
      new PeerClient({ identity: requester, trusted, registry: registry(), url: n.url, version: 'bench' }),
  );
  for (const c of clients) await c.checkStatus();

  // Dispatch overhead per empty unit, one at a time, over one peer.
  const latencies: number[] = [];
  for (const u of units(300)) {
    const t = performance.now();
    await dispatchUnits([u], [noLocal, clients[0]!]);
    latencies.push(performance.now() - t);
  }
  figures['empty unit via a peer, one at a time: p50 ms'] = round(pct(latencies, 0.5));
  figures['empty unit via a peer, one at a time: p99 ms'] = round(pct(latencies, 0.99));
  const inProcess: number[] = [];
  for (const u of units(300)) {
    const t = performance.now();
    await dispatchUnits([u], [local]);
    inProcess.push(performance.now() - t);
  }
  figures['empty unit in this process (baseline): p50 ms'] = round(pct(inProcess, 0.5), 3);

  // Throughput with 1–3 peers (4 slots each) for 1,000 empty units; then verification overhead.
  for (const count of [1, 2, 3]) {
    started = performance.now();
    await dispatchUnits(units(1000), [noLocal, ...clients.slice(0, count)]);
    figures[`1,000 empty units over ${count} peer(s): units/s`] = Math.round(
      1000 / ((performance.now() - started) / 1000),
    );
  }
  for (const verify of ['none', 'quorum', 'spot'] as const) {
    started = performance.now();
    await dispatchUnits(units(500), [local, ...clients], {
      verify,
      deterministic: () => true,
      spotFraction: 0.1,
    });
    figures[`500 empty units, 3 peers + local, verify=${verify}: s`] = round(
      (performance.now() - started) / 1000,
    );
  }
  // A 64 KB unit (a few seconds of audio would be far more; this is the per-byte cost on loopback).
  started = performance.now();
  await dispatchUnits(units(100, 'x'.repeat(64 * 1024)), [noLocal, clients[0]!]);
  figures['100 units of 64 KB via one peer: MB/s'] = round(
    (100 * 64) / 1024 / ((performance.now() - started) / 1000),
  );

  // A peer that vanishes mid-unit: time from its sockets dying to the unit finishing elsewhere.
  slowMs = 2000;
  const doomed = await startNode(requester);
  const doomedTrust = new TrustList([{ name: 'doomed', key: doomed.identity.nodeKey }]);
  const doomedClient = new PeerClient({
    identity: requester,
    trusted: doomedTrust,
    registry: registry(),
    url: doomed.url,
    version: 'bench',
  });
  await doomedClient.checkStatus();
  let killedAt = 0;
  const lateLocal: UnitBackend = { ...local, slots: () => (killedAt ? 1 : 0) };
  setTimeout(() => {
    killedAt = performance.now();
    doomed.server.closeAllConnections();
    doomed.server.close();
  }, 300);
  await dispatchUnits(units(1), [lateLocal, doomedClient]);
  figures['peer killed mid-unit → unit done elsewhere: ms'] = round(performance.now() - killedAt, 0);
  slowMs = 0;

  for (const c of [...clients, doomedClient]) await c.close();
  for (const n of nodes) n.server.close();
  figures['note'] = 'nodes share this process and 2 cores: protocol overhead, not multi-machine scaling';

  // Real nodes (separate processes) and a CPU-bound job split across 1, 2 and 3 of them.
  Object.assign(figures, await benchMeshNodes());
  return figures;
}
