import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { dispatchUnits, type UnitBackend } from '../../src/jobs/dispatch.js';
import { UnitRegistry } from '../../src/jobs/registry.js';
import { makeUnit, type Unit } from '../../src/jobs/units.js';
import { ConsentGate, DEFAULT_CONSENT, type AcceptMode } from '../../src/mesh/consent.js';
import { issueManifest, manifestDigest } from '../../src/mesh/envelope.js';
import { loadOrCreateIdentity, type NodeIdentity } from '../../src/mesh/identity.js';
import { PeerClient } from '../../src/mesh/peer-client.js';
import { createPeerHttpHandler } from '../../src/mesh/peer-endpoint.js';
import { PeerNode } from '../../src/mesh/peer-node.js';
import { payloadAad } from '../../src/mesh/peer-protocol.js';
import { sealPayload } from '../../src/mesh/seal.js';
import { TrustList } from '../../src/mesh/trust.js';
import { WorkerPolicy, DEFAULT_WORKER_LIMITS } from '../../src/mesh/worker-policy.js';
import { extractEntities } from '../../src/text/entities.js';

// Real nodes in this process: each has its own identity, trust list and HTTP server on loopback,
// and requesters talk to them with the real MCP client over Streamable HTTP.

const KIND = 'entities.batch';
const inputSchema = z.object({ texts: z.array(z.string()).max(1000) });
const outputSchema = z.array(z.array(z.object({ type: z.string(), value: z.string() })));

function entitiesOf(input: z.infer<typeof inputSchema>): z.infer<typeof outputSchema> {
  return input.texts.map((t) =>
    Object.values(extractEntities(t, { types: ['person', 'email', 'organization'] }).entities)
      .flat()
      .map((e) => ({ type: e!.type, value: e!.value })),
  );
}

function registry(): UnitRegistry {
  return new UnitRegistry()
    .register({
      kind: KIND,
      version: '1',
      input: inputSchema,
      output: outputSchema,
      maxInputBytes: 64 * 1024,
      deterministic: true,
      handler: entitiesOf,
    })
    .register({
      kind: 'other.kind',
      version: '1',
      input: z.object({}),
      output: z.object({}),
      maxInputBytes: 1024,
      deterministic: true,
      handler: (_input, ctx) => {
        otherKindRanAsRemote.push(ctx.remote === true);
        return {};
      },
    });
}
/** What the "other.kind" handler was told about where its unit came from, run after run. */
const otherKindRanAsRemote: boolean[] = [];

const newIdentity = (): NodeIdentity =>
  loadOrCreateIdentity(mkdtempSync(path.join(tmpdir(), 'prechew-node-')));

interface TestNode {
  identity: NodeIdentity;
  node: PeerNode;
  url: string;
  bodies: string[];
  server: http.Server;
}

async function startNode(
  name: string,
  trustedKeys: Array<{ name: string; key: string }>,
  opts: { accept?: AcceptMode; corrupt?: boolean; kinds?: string[] } = {},
): Promise<TestNode> {
  const identity = newIdentity();
  const consent = new ConsentGate({ ...DEFAULT_CONSENT, accept: opts.accept ?? 'always' });
  consent.observe(0);
  const node = new PeerNode({
    identity,
    trusted: new TrustList(trustedKeys),
    registry: registry(),
    consent,
    policy: new WorkerPolicy({
      ...DEFAULT_WORKER_LIMITS,
      maxConcurrent: 2,
      maxUnitBytes: 32 * 1024,
      kinds: opts.kinds ?? [],
    }),
    name,
    version: 'test',
    corruptOutputs: opts.corrupt,
  });
  const handler = createPeerHttpHandler(node, 'test', 4 * 1024 * 1024);
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    // Record what crosses the wire in both directions.
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (chunk) bodies.push(String(chunk));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof res.write;
    res.end = ((chunk: unknown, ...rest: unknown[]) => {
      if (chunk && typeof chunk !== 'function') bodies.push(String(chunk));
      return (end as (...a: unknown[]) => http.ServerResponse)(chunk, ...rest);
    }) as typeof res.end;
    req.on('end', () => bodies.push(Buffer.concat(chunks).toString('utf8')));
    void handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mesh`;
  return { identity, node, url, bodies, server };
}

const localBackend = (delayMs = 0): UnitBackend => ({
  id: 'local',
  label: 'this node',
  local: true,
  slots: () => 1,
  accepts: () => true,
  run: async (u: Unit) => {
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    return entitiesOf(u.input as z.infer<typeof inputSchema>);
  },
});

const TEXTS = [
  'Ada Lovelace wrote to Charles Babbage at ada@example.org about the Analytical Engine.',
  'Grace Hopper joined Remington Rand; mail grace.hopper@example.com.',
  'Linus Torvalds released Linux while at the University of Helsinki.',
  'Margaret Hamilton led software engineering at MIT for Apollo.',
];
const units = (n: number): Unit[] =>
  Array.from({ length: n }, (_, i) =>
    makeUnit(KIND, {
      texts: [TEXTS[i % TEXTS.length]!, `Batch ${i}: contact Jane Roe <jane.roe${i}@example.net>.`],
    }),
  );

describe('mesh peers over MCP on loopback', () => {
  const requester = newIdentity();
  const nodes: TestNode[] = [];
  const trustRequester = [{ name: 'requester', key: requester.nodeKey }];
  let good: TestNode;
  let liar: TestNode;
  let never: TestNode;
  let third: TestNode;

  beforeAll(async () => {
    good = await startNode('good', trustRequester);
    liar = await startNode('liar', trustRequester, { corrupt: true });
    never = await startNode('never', trustRequester, { accept: 'never' });
    third = await startNode('third', trustRequester, { kinds: [KIND] });
    nodes.push(good, liar, never, third);
  });
  afterAll(async () => {
    for (const n of nodes) await new Promise((r) => n.server.close(r));
  });

  const trustAll = (): TrustList =>
    new TrustList(
      nodes.map((n) => ({
        name: n.node === good.node ? 'good' : n === liar ? 'liar' : n === never ? 'never' : 'third',
        key: n.identity.nodeKey,
      })),
    );
  const clientFor = (n: TestNode, trust = trustAll()): PeerClient =>
    new PeerClient({
      identity: requester,
      trusted: trust,
      registry: registry(),
      peer: trust.bySigningKey(n.identity.signPublic)!,
      url: n.url,
      version: 'test',
    });

  it('reports signed status, and runs units remotely with results identical to a local run', async () => {
    const peer = clientFor(good);
    const health = await peer.checkStatus();
    expect(health).toMatchObject({
      reachable: true,
      status: { name: 'good', accept: { accepting: true }, slots: { max: 2 } },
    });
    expect(health.status?.kinds).toEqual([KIND, 'other.kind']);
    const work = units(6);
    const local = await dispatchUnits(work, [localBackend()]);
    const remote = await dispatchUnits(work, [{ ...localBackend(), slots: () => 0 }, peer]);
    expect(remote.results).toEqual(local.results);
    expect(remote.report.unitsPerBackend).toEqual({ good: 6 });
    await peer.close();
  });

  it("tells the handler that a unit came from a peer (so it can run at lower priority)", async () => {
    const peer = clientFor(good);
    await peer.checkStatus();
    otherKindRanAsRemote.length = 0;
    await dispatchUnits([makeUnit('other.kind', {})], [{ ...localBackend(), slots: () => 0 }, peer]);
    expect(otherKindRanAsRemote).toEqual([true]);
    await peer.close();
  });

  it('puts only ciphertext on the wire', async () => {
    const peer = clientFor(good);
    await peer.checkStatus();
    good.bodies.length = 0;
    await dispatchUnits(units(2), [{ ...localBackend(), slots: () => 0 }, peer]);
    const wire = good.bodies.join('\n');
    expect(wire).toContain('run-unit');
    for (const secret of [
      'Ada Lovelace',
      'Charles Babbage',
      'ada@example.org',
      'jane.roe0',
      'Jane Roe',
      'Analytical',
    ])
      expect(wire).not.toContain(secret);
    await peer.close();
  });

  it('refuses strangers, replays, expired and oversized units, disallowed kinds and a node that does not accept', async () => {
    const stranger = newIdentity();
    const strangerTrust = new TrustList([{ name: 'good', key: good.identity.nodeKey }]);
    const asStranger = new PeerClient({
      identity: stranger,
      trusted: strangerTrust,
      registry: registry(),
      peer: strangerTrust.byPeerName('good')!,
      url: good.url,
      version: 'test',
    });
    expect((await asStranger.checkStatus()).error).toMatch(/not trusted/);

    // Raw calls, to send exactly the manifest we want.
    const client = new Client({ name: 't', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(good.url)));
    const send = async (
      input: Buffer,
      overrides: { deadlineMs?: number; kind?: string; sameAs?: ReturnType<typeof issueManifest> } = {},
    ): Promise<string> => {
      const manifest =
        overrides.sameAs ??
        issueManifest(requester, {
          unitId: 'u',
          kind: overrides.kind ?? KIND,
          kindVersion: '1',
          input,
          deadlineMs: overrides.deadlineMs ?? 10_000,
          worker: good.identity.signPublic,
        });
      const payload = sealPayload(
        good.identity.sealKey,
        input,
        payloadAad(manifestDigest(manifest), 'input'),
      ).toString('base64');
      const r = await client.callTool({ name: 'run-unit', arguments: { manifest, payload } });
      return r.isError ? JSON.stringify(r.content) : 'ok';
    };
    const ok = Buffer.from(JSON.stringify({ texts: ['Ada Lovelace'] }));
    const first = issueManifest(requester, {
      unitId: 'r',
      kind: KIND,
      kindVersion: '1',
      input: ok,
      deadlineMs: 10_000,
      worker: good.identity.signPublic,
    });
    expect(await send(ok, { sameAs: first })).toBe('ok');
    expect(await send(ok, { sameAs: first })).toMatch(/PEER_REFUSED.*\(replay\)/);
    expect(await send(Buffer.from(JSON.stringify({ texts: ['x'.repeat(40_000)] })))).toMatch(/\(too-large\)/);
    expect(await send(Buffer.from(JSON.stringify({ texts: 'not a list' })))).toMatch(/\(bad-input\)/);
    const expired = issueManifest(requester, {
      unitId: 'e',
      kind: KIND,
      kindVersion: '1',
      input: ok,
      deadlineMs: 1,
      worker: good.identity.signPublic,
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(await send(ok, { sameAs: expired })).toMatch(/\(expired\)/);
    await client.close();

    const thirdClient = new Client({ name: 't', version: '1' });
    await thirdClient.connect(new StreamableHTTPClientTransport(new URL(third.url)));
    const otherInput = Buffer.from('{}');
    const m = issueManifest(requester, {
      unitId: 'k',
      kind: 'other.kind',
      kindVersion: '1',
      input: otherInput,
      deadlineMs: 10_000,
      worker: third.identity.signPublic,
    });
    const r = await thirdClient.callTool({
      name: 'run-unit',
      arguments: {
        manifest: m,
        payload: sealPayload(
          third.identity.sealKey,
          otherInput,
          payloadAad(manifestDigest(m), 'input'),
        ).toString('base64'),
      },
    });
    expect(JSON.stringify(r.content)).toMatch(/\(kind-not-allowed\)/);
    await thirdClient.close();

    const neverPeer = clientFor(never);
    const status = await neverPeer.checkStatus();
    expect(status.status?.accept).toMatchObject({ accepting: false, mode: 'never' });
    expect(neverPeer.slots()).toBe(0);
    await neverPeer.close();
  });

  it('quorum catches a node that returns wrong results and excludes it', async () => {
    const peers = [clientFor(good), clientFor(liar), clientFor(third)];
    for (const p of peers) await p.checkStatus();
    const work = units(8);
    const local = await dispatchUnits(work, [localBackend()]);
    const { results, report } = await dispatchUnits(work, [localBackend(500), ...peers], {
      verify: 'quorum',
      deterministic: (k) => registry().isDeterministic(k),
    });
    expect(results).toEqual(local.results);
    expect(report.excluded.map((e) => e.backend)).toEqual(['peer:liar']);
    for (const p of peers) await p.close();
  });

  it('a peer whose server is gone costs only a re-issue', async () => {
    const doomed = await startNode('doomed', trustRequester);
    const trust = new TrustList([{ name: 'doomed', key: doomed.identity.nodeKey }]);
    const peer = clientFor(doomed, trust);
    await peer.checkStatus();
    doomed.server.closeAllConnections();
    await new Promise((r) => doomed.server.close(r));
    const work = units(3);
    const { results, report } = await dispatchUnits(work, [localBackend(), peer]);
    expect(results).toEqual((await dispatchUnits(work, [localBackend()])).results);
    expect(report.unitsPerBackend['this node']).toBe(3);
  });
});
