/**
 * The JetStream mesh with real processes: a `prechew hub` (nats-server child), a requester and
 * workers (`prechew serve --http`) that join it by NKey, on loopback. Skips with a printed reason
 * when nats-server is not installed.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudio } from '../../src/engines/audio.js';
import { tempDir } from '../helpers/app.js';
import { concat, JFK_WAV, makeWav, silence } from '../helpers/audio-fixtures.js';
import { connectHttp, runCli } from '../helpers/cli.js';
import {
  makeMeshNode,
  natsSkipReason,
  startHub,
  startNode,
  waitFor,
  writeMeshConfig,
  type MeshNode,
} from '../helpers/nats-nodes.js';
import { writeTinyGguf } from '../helpers/tiny-gguf.js';
import { randomBytes } from 'node:crypto';
import { jetstream, jetstreamManager, RetentionPolicy } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { issueManifest, manifestDigest, sha256Hex, signResultClaim } from '../../src/mesh/envelope.js';
import { connectNode } from '../../src/mesh/nats/index.js';
import { storePayload } from '../../src/mesh/nats/objects.js';
import { publishEntry } from '../../src/mesh/nats/registry-kv.js';
import {
  inboxPrefix,
  keySubject,
  nodeToken,
  PAYLOAD_BUCKET,
  REGISTRY_BUCKET,
  resultDurable,
  RESULTS_STREAM,
  resultSubject,
  WORK_STREAM,
  workDurable,
  workSubject,
} from '../../src/mesh/nats/subjects.js';
import { workMessageSchema } from '../../src/mesh/nats/wire.js';
import { tinyWhisperModelPath } from '../helpers/tiny-whisper.js';

if (natsSkipReason) console.warn(`mesh-nats tests skipped: ${natsSkipReason}`);

const root = tempDir('prechew-nats-root-');
const modelsDir = tempDir('prechew-nats-models-');
const running: MeshNode[] = [];

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail')
    for (const n of running) {
      const text = (n.server?.stderr() ?? n.hub?.output() ?? '').split('\n').slice(-25).join('\n');
      console.error(`--- ${n.name} ---\n${text}`);
    }
  for (const n of running.splice(0)) {
    n.server?.child.kill('SIGCONT');
    await n.server?.stop('SIGKILL');
    await n.hub?.stop('SIGTERM');
    // Safety net: no nats-server this test started outlives it, even if a hub died uncleanly.
    for (const m of (n.hub?.output() ?? '').matchAll(/pid (\d+)/g)) {
      try {
        if (readFileSync(`/proc/${m[1]}/cmdline`, 'utf8').includes(n.dataDir)) process.kill(Number(m[1]), 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
});

beforeAll(async () => {
  if (natsSkipReason) return;
  const jfk = (await decodeAudio(readFileSync(JFK_WAV))).samples;
  const parts = [];
  for (let i = 0; i < 3; i++) parts.push(jfk, silence(1.2));
  writeFileSync(path.join(root, 'speech.wav'), makeWav([concat(...parts)]));
  writeFileSync(
    path.join(root, 'long.txt'),
    Array.from({ length: 80 }, (_, i) => `Paragraph ${i} explains the budget line ${i} for the new school library in plain words.`).join('\n\n'),
  );
  writeTinyGguf(path.join(modelsDir, 'tiny-llama.gguf'));
  copyFileSync(tinyWhisperModelPath({}, modelsDir), path.join(modelsDir, 'ggml-tiny-test.bin'));
});

const modelConfig = {
  models: {
    dir: modelsDir,
    // Greedy decoding: the same model and input give the same text on every node.
    llm: { gpu: false, threads: 1, temperature: 0, seed: 1 },
    whisper: { unitSeconds: 5, threads: 1, temperatureFallback: false },
  },
};

/** Emails only: quick, deterministic extraction in several units. */
function ticketText(lines: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++)
    out.push(`Ticket ${i}: write to user${i}@example.org about order ${i * 7}, or to team${i % 50}@example.com.\n`);
  return out.join('\n');
}

async function call(
  node: MeshNode,
  name: string,
  args: Record<string, unknown>,
): Promise<{ content: Record<string, unknown>; progress: string[] }> {
  const client = await connectHttp(node.server!.url);
  const progress: string[] = [];
  try {
    const r = await client.callTool(
      { name, arguments: args },
      { onprogress: (p) => progress.push(p.message ?? ''), timeout: 120_000 },
    );
    expect(r.isError ?? false, JSON.stringify(r.content)).toBe(false);
    return { content: r.structuredContent as Record<string, unknown>, progress };
  } finally {
    await client.close();
  }
}

/** A hub, a requester that leaves units to the queue, and workers; all trust each other. */
async function cluster(
  workers: number,
  opts: {
    worker?: Record<string, unknown>;
    requester?: Record<string, unknown>;
    nats?: Record<string, unknown>;
    models?: boolean;
    /** Identities held by the test itself, trusted by every node. */
    extra?: MeshNode[];
    startWorkers?: boolean;
  } = {},
): Promise<{ hub: MeshNode; requester: MeshNode; workers: MeshNode[] }> {
  const extra = opts.models ? modelConfig : {};
  const hub = makeMeshNode('hub');
  const requester = makeMeshNode('requester', extra);
  const ws = Array.from({ length: workers }, (_, i) => makeMeshNode(`worker${i + 1}`, extra));
  const all = [hub, requester, ...ws, ...(opts.extra ?? [])];
  const nats = { ackWaitMs: 2000, maxDeliver: 4, heartbeatSeconds: 1, ...opts.nats };
  writeMeshConfig(hub, all, { nats: { ...nats, hub: { port: 0 } } });
  running.push(hub);
  const h = await startHub(hub);
  writeMeshConfig(requester, all, {
    offload: 'auto',
    localUnits: false,
    nats: { ...nats, url: h.url },
    ...opts.requester,
  });
  for (const w of ws)
    writeMeshConfig(w, all, {
      accept: 'always',
      worker: { maxConcurrent: 1 },
      nats: { ...nats, url: h.url },
      ...opts.worker,
    });
  running.push(requester, ...ws);
  if (opts.startWorkers === false) {
    await startNode(requester, ['--root', root]);
    return { hub, requester, workers: ws };
  }
  await Promise.all([startNode(requester, ['--root', root]), ...ws.map((w) => startNode(w, ['--root', root]))]);
  // The requester schedules by the node registry: wait until every worker has registered.
  await waitFor(async () => (await jetstreamPeers(requester)).length >= workers, 20_000, 'workers in the registry');
  return { hub, requester, workers: ws };
}

interface PeerJson {
  name: string;
  source: string;
  trusted: boolean;
  accepting: boolean;
  kinds: string[];
  unitsDone: number;
}

async function jetstreamPeers(node: MeshNode): Promise<PeerJson[]> {
  const r = await runCli(['peers', '--json', '--config', node.configPath], { env: { PRECHEW_DATA_DIR: node.dataDir } });
  if (r.code !== 0) return [];
  return (JSON.parse(r.stdout) as { peers: PeerJson[] }).peers.filter((p) => p.source === 'jetstream' && p.name.startsWith('worker'));
}

describe.skipIf(natsSkipReason !== undefined)('mesh over NATS JetStream: real hub, real nodes', { timeout: 180_000 }, () => {
  it('a requester and three workers through a hub: entities, transcribe and summarize equal a local run; `prechew peers` lists the workers', async () => {
    const { requester } = await cluster(3, { models: true });
    const text = ticketText(8000);
    const localEntities = await call(requester, 'extract-entities', { text, types: ['email'], offload: 'off' });
    const meshEntities = await call(requester, 'extract-entities', { text, types: ['email'], offload: 'auto' });
    expect(meshEntities.content.total).toBe(localEntities.content.total);
    expect(JSON.stringify(meshEntities.content.entities)).toBe(JSON.stringify(localEntities.content.entities));
    expect(meshEntities.progress.some((m) => / on JetStream/.test(m))).toBe(true);

    const args = { path: 'speech.wav', language: 'en', format: 'segments' };
    const localSpeech = await call(requester, 'transcribe', { ...args, offload: 'off' });
    const meshSpeech = await call(requester, 'transcribe', { ...args, offload: 'auto' });
    expect(meshSpeech.content.units).toBeGreaterThan(2);
    expect(JSON.stringify(meshSpeech.content.segments)).toBe(JSON.stringify(localSpeech.content.segments));
    expect(meshSpeech.progress.some((m) => / on JetStream/.test(m))).toBe(true);

    const sargs = { path: 'long.txt', engine: 'llm', maxOutputTokens: 24 };
    const localSummary = await call(requester, 'summarize', { ...sargs, offload: 'off' });
    const meshSummary = await call(requester, 'summarize', { ...sargs, offload: 'auto' });
    expect(meshSummary.content.summary).toBe(localSummary.content.summary);
    expect(meshSummary.progress.some((m) => / on JetStream/.test(m))).toBe(true);

    const peers = await jetstreamPeers(requester);
    expect(peers.map((p) => p.name).sort()).toEqual(['worker1', 'worker2', 'worker3']);
    for (const p of peers) {
      expect(p).toMatchObject({ trusted: true, accepting: true });
      expect(p.kinds).toEqual(expect.arrayContaining(['entities.extract', 'whisper.transcribe']));
    }
    expect(peers.reduce((sum, p) => sum + p.unitsDone, 0)).toBeGreaterThan(3);
  });
});

/** Calls extract-entities and runs `onFirstProgress` once the first unit has come back. */
async function entitiesWithFault(
  node: MeshNode,
  text: string,
  onFirstProgress: () => void,
): Promise<{ content: Record<string, unknown>; progress: string[] }> {
  const client = await connectHttp(node.server!.url);
  const progress: string[] = [];
  let fired = false;
  try {
    const r = await client.callTool(
      { name: 'extract-entities', arguments: { text, types: ['email'], offload: 'auto' } },
      {
        onprogress: (p) => {
          progress.push(p.message ?? '');
          if (!fired && /extracted unit/.test(p.message ?? '')) {
            fired = true;
            onFirstProgress();
          }
        },
        timeout: 120_000,
      },
    );
    expect(r.isError ?? false, JSON.stringify(r.content)).toBe(false);
    expect(fired).toBe(true);
    return { content: r.structuredContent as Record<string, unknown>, progress };
  } finally {
    await client.close();
  }
}

/**
 * Every unit done exactly once from the requester's view: the done count rises strictly (progress
 * may be coalesced, so some counts can be skipped; heartbeats repeat one) and ends at the job's unit count, never past it.
 */
function expectEachUnitOnce(progress: string[], units: unknown): void {
  const done = progress.map((m) => /extracted unit (\d+) of (\d+)/.exec(m)).filter((m) => m !== null);
  // A progress heartbeat repeats the last message while a unit runs long: drop those repeats.
  const counts = done.map((m) => Number(m[1])).filter((n, i, all) => i === 0 || n !== all[i - 1]);
  const total = Number(done[0]![2]);
  expect(total).toBe(units);
  for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThan(counts[i - 1]!);
  expect(counts.at(-1)).toBe(total);
}

function alive(pid: number): boolean {
  try {
    // A killed child that nobody has reaped yet (its parent died) is a zombie: not running.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

describe.skipIf(natsSkipReason !== undefined)('mesh over NATS JetStream: faults', { timeout: 180_000 }, () => {
  const text = ticketText(16_000);

  it('a worker SIGKILLed mid-unit and another SIGSTOPped: every unit completes exactly once, equal to a local run', async () => {
    const { requester, workers } = await cluster(3);
    const local = await call(requester, 'extract-entities', { text, types: ['email'], offload: 'off' });
    const meshed = await entitiesWithFault(requester, text, () => {
      workers[0]!.server!.child.kill('SIGKILL');
      workers[1]!.server!.child.kill('SIGSTOP');
    });
    expect(JSON.stringify(meshed.content.entities)).toBe(JSON.stringify(local.content.entities));
    expect(meshed.content.total).toBe(local.content.total);
    expectEachUnitOnce(meshed.progress, meshed.content.units);
    expect(meshed.progress.some((m) => / on JetStream/.test(m))).toBe(true);
  });

  it('nats-server killed mid-job, then the hub process itself: restarted, the jobs resume from the file store, nothing lost; the hub stops cleanly', async () => {
    const { hub, requester } = await cluster(2);
    const local = await call(requester, 'extract-entities', { text, types: ['email'], offload: 'off' });
    const firstPid = hub.hub!.natsPid;
    const meshed = await entitiesWithFault(requester, text, () => process.kill(firstPid, 'SIGKILL'));
    expect(JSON.stringify(meshed.content.entities)).toBe(JSON.stringify(local.content.entities));
    expectEachUnitOnce(meshed.progress, meshed.content.units);
    await waitFor(() => /nats-server restarted/.test(hub.hub!.output()), 10_000, 'the restart message');
    expect(hub.hub!.output()).toMatch(/nats-server exited \(SIGKILL\); restarting/);
    const restartedPid = Number(/pid (\d+)\)/.exec(hub.hub!.output().split('nats-server restarted')[1] ?? '')?.[1]);
    expect(alive(restartedPid)).toBe(true);

    // The hub process itself killed outright mid-job (its nats-server orphaned), then started
    // again on the same port and data directory: it replaces the orphan, the job resumes.
    const port = new URL(hub.hub!.url).port;
    let restarted: Promise<unknown> | undefined;
    const again = await entitiesWithFault(requester, text + '\nOne more line for another job.', () => {
      hub.hub!.child.kill('SIGKILL');
      restarted = startHub(hub, ['--port', port]);
    });
    await restarted;
    expect(JSON.stringify(again.content.total)).toBe(JSON.stringify(local.content.total));
    expectEachUnitOnce(again.progress, again.content.units);
    expect(hub.hub!.output()).toMatch(/stopping a nats-server \(pid \d+\) left by an earlier hub/);
    const finalPid = hub.hub!.natsPid;
    expect(await hub.hub!.stop('SIGTERM')).toBe(0);
    expect(alive(finalPid)).toBe(false);
    expect(alive(restartedPid)).toBe(false);
  });
});

async function closedWithError(sub: { closed: Promise<void | Error> }): Promise<string> {
  const r = await Promise.race([sub.closed, new Promise<string>((resolve) => setTimeout(() => resolve('still open'), 5000))]);
  return r instanceof Error ? r.message : String(r);
}

describe.skipIf(natsSkipReason !== undefined)('mesh over NATS JetStream: refusals', { timeout: 180_000 }, () => {
  it('unknown keys cannot connect; a trusted node cannot administer streams or read another node\'s subjects; bad signatures and a corrupted Object Store payload are refused', async () => {
    const probe = makeMeshNode('probe');
    const stranger = makeMeshNode('stranger');
    const { hub, requester, workers } = await cluster(1, { extra: [probe], startWorkers: false });
    const url = hub.hub!.url;

    // An unknown NKey is turned away at the door.
    await expect(connectNode({ url }, stranger.identity, 'stranger')).rejects.toThrow(/not in the hub's trust list/);

    const nc = await connectNode({ url }, probe.identity, 'probe');
    try {
      const jsm = await jetstreamManager(nc, { timeout: 3000 });
      const js = jetstream(nc, { timeout: 3000 });
      // No stream or consumer administration for a node.
      await expect(jsm.streams.delete(WORK_STREAM)).rejects.toThrow();
      await expect(jsm.streams.add({ name: 'EVIL', subjects: ['evil.>'], retention: RetentionPolicy.Limits })).rejects.toThrow();
      await expect(jsm.consumers.add(WORK_STREAM, { durable_name: 'evil', filter_subject: workSubject('entities.extract') })).rejects.toThrow();
      await expect(jsm.streams.purge(RESULTS_STREAM)).rejects.toThrow();
      expect((await jsm.streams.info(WORK_STREAM)).config.name).toBe(WORK_STREAM);
      // Another node's inbox, key requests and result consumer are out of reach.
      const reqToken = nodeToken(requester.identity.fingerprint);
      expect(await closedWithError(nc.subscribe(`${inboxPrefix(reqToken)}.>`))).toMatch(/permission/i);
      expect(await closedWithError(nc.subscribe(keySubject(reqToken)))).toMatch(/permission/i);
      await expect(js.consumers.get(RESULTS_STREAM, resultDurable(reqToken))).rejects.toThrow();

      // The probe advertises itself in the registry (its own key only), so the requester enqueues units.
      const kv = await new Kvm(js).open(REGISTRY_BUCKET);
      await expect(kv.put(nodeToken(requester.identity.fingerprint), 'forged')).rejects.toThrow();
      const advertise = (): Promise<void> => publishEntry(kv, probe.identity, {
        v: 1,
        nodeKey: probe.identity.nodeKey,
        fingerprint: probe.identity.fingerprint,
        name: 'probe',
        version: 'test',
        accept: { mode: 'always', accepting: true, reason: '' },
        slots: { max: 2, free: 2 },
        kinds: ['entities.extract'],
        models: {},
        unitsDone: 0,
        unitsFailed: 0,
        at: Date.now(),
      });
      await advertise();
      // Entries expire unless refreshed, like a real node's heartbeat.
      const heartbeat = setInterval(() => void advertise().catch(() => undefined), 1000);
      await new Promise((r) => setTimeout(r, 2500));
      const text = ticketText(8000);
      const local = await call(requester, 'extract-entities', { text, types: ['email'], offload: 'off' });
      const job = call(requester, 'extract-entities', { text, types: ['email'], offload: 'auto' });

      // Claim a real unit and answer it with a result whose signature does not verify.
      const consumer = await js.consumers.get(WORK_STREAM, workDurable('entities.extract'));
      const m = await consumer.next({ expires: 20_000 });
      expect(m).not.toBeNull();
      const work = workMessageSchema.parse(JSON.parse(Buffer.from(m!.data).toString('utf8')));
      const digest = manifestDigest(work.manifest);
      const forged = signResultClaim(probe.identity, {
        unitId: work.manifest.manifest.unitId,
        manifestDigest: digest,
        outputDigest: sha256Hex('{}'),
        outputBytes: 2,
        engine: { name: 'entities.extract', version: '1' },
        startedAt: Date.now(),
        finishedAt: Date.now(),
      });
      const badSignature = (forged.signature.startsWith('A') ? 'B' : 'A') + forged.signature.slice(1);
      await js.publish(
        resultSubject(reqToken),
        JSON.stringify({ v: 1, type: 'result', result: { ...forged, signature: badSignature }, payload: { inline: '' } }),
      );
      m!.nak();
      clearInterval(heartbeat);

      // Units from the probe itself: one with a bad manifest signature, one whose Object Store
      // payload does not match the digest in its message.
      const input = Buffer.from('{"text":"x"}');
      const bad = issueManifest(probe.identity, { unitId: 'bad-signature-unit', kind: 'entities.extract', kindVersion: '1', input, deadlineMs: 60_000 });
      bad.signature = (bad.signature.startsWith('A') ? 'B' : 'A') + bad.signature.slice(1);
      await js.publish(workSubject('entities.extract'), JSON.stringify({ v: 1, manifest: bad, payload: { inline: input.toString('base64') } }));
      const objects = await new Objm(js).open(PAYLOAD_BUCKET);
      const ref = await storePayload(async () => objects, randomBytes(700 * 1024), 512 * 1024);
      expect('object' in ref).toBe(true);
      const corrupted = { ...ref, sha256: sha256Hex('something else') };
      const honest = issueManifest(probe.identity, { unitId: 'corrupted-object-unit', kind: 'entities.extract', kindVersion: '1', input, deadlineMs: 60_000 });
      await js.publish(workSubject('entities.extract'), JSON.stringify({ v: 1, manifest: honest, payload: corrupted }));

      // Now a real worker joins and drains the queue.
      running.push(...workers);
      await startNode(workers[0]!, ['--root', root]);
      const meshed = await job;
      expect(JSON.stringify(meshed.content.entities)).toBe(JSON.stringify(local.content.entities));
      expect(requester.server!.stderr()).toMatch(/rejected a result for unit [0-9a-f]+: The result signature does not verify/);
      await waitFor(() => /does not match the digest in its message/.test(workers[0]!.server!.stderr()), 20_000, 'the digest refusal');
      expect(workers[0]!.server!.stderr()).toMatch(/The unit manifest signature does not verify/);
      // A unit that can never succeed is reported to its requester (here the probe), naming it.
      const mine = await js.consumers.get(RESULTS_STREAM, resultDurable(nodeToken(probe.identity.fingerprint)));
      let failure: { unitId: string; message: string } | undefined;
      for (let i = 0; i < 10 && !failure; i++) {
        const r = await mine.next({ expires: 2000 });
        if (!r) continue;
        const body = JSON.parse(Buffer.from(r.data).toString('utf8')) as {
          type: string;
          failure?: { failure: { unitId: string; message: string } };
        };
        if (body.type === 'failed') failure = body.failure!.failure;
        r.ack();
      }
      expect(failure?.unitId).toBe('corrupted-object-unit');
      expect(failure?.message).toMatch(/does not match the digest/);
    } finally {
      await nc.close();
    }
  });
});

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

describe.skipIf(natsSkipReason !== undefined)('mesh over NATS JetStream: two sites', { timeout: 180_000 }, () => {
  it('a site hub connects out to the central hub as a leaf node; a worker behind it drains the central queue', async () => {
    const central = makeMeshNode('central');
    const site = makeMeshNode('site');
    const requester = makeMeshNode('requester');
    const worker = makeMeshNode('worker-site');
    const all = [central, site, requester, worker];
    const nats = { ackWaitMs: 2000, maxDeliver: 4, heartbeatSeconds: 1 };
    const leafPort = await freePort();
    const password = randomBytes(12).toString('base64url');
    writeMeshConfig(central, all, {
      nats: { ...nats, hub: { port: 0, leafPort, leafUsers: [{ user: 'school', password }] } },
    });
    running.push(central);
    const c = await startHub(central);
    writeMeshConfig(site, all, {
      nats: { ...nats, hub: { port: 0, leafRemote: { url: `nats-leaf://127.0.0.1:${leafPort}`, user: 'school', password } } },
    });
    running.push(site);
    const s = await startHub(site);
    expect(s.output()).toMatch(/leaf of nats-leaf:\/\/127\.0\.0\.1/);
    expect(s.output()).not.toContain(password);
    writeMeshConfig(requester, all, { offload: 'auto', localUnits: false, nats: { ...nats, url: c.url } });
    // Behind a leaf hub, a node reaches the central JetStream through its domain.
    writeMeshConfig(worker, all, {
      accept: 'always',
      worker: { maxConcurrent: 2 },
      nats: { ...nats, url: s.url, domain: 'prechew' },
    });
    running.push(requester, worker);
    await Promise.all([startNode(requester, ['--root', root]), startNode(worker, ['--root', root])]);
    await waitFor(
      async () => (await jetstreamPeersNamed(requester, 'worker-site')).length === 1,
      30_000,
      'the site worker in the central registry',
    );
    const text = ticketText(8000);
    const local = await call(requester, 'extract-entities', { text, types: ['email'], offload: 'off' });
    // On a loaded machine a unit can pass its deadline on the way through the leaf link and run
    // here instead (localUnits: false keeps this node only as the fallback); every job must still
    // equal the local run, and within three jobs the site worker must have taken units.
    const siteDone = async (): Promise<number> => (await jetstreamPeersNamed(requester, 'worker-site'))[0]?.unitsDone ?? 0;
    let viaJetStream = false;
    for (let job = 0; job < 3 && !viaJetStream; job++) {
      const meshed = await call(requester, 'extract-entities', { text, types: ['email'], offload: 'auto' });
      expect(JSON.stringify(meshed.content.entities)).toBe(JSON.stringify(local.content.entities));
      viaJetStream = meshed.progress.some((m) => / on JetStream/.test(m));
    }
    expect(viaJetStream).toBe(true);
    // The registry entry carries the worker's count from its next heartbeat on.
    await waitFor(async () => (await siteDone()) > 0, 30_000, "the site worker's units done in the central registry");
  });
});

async function jetstreamPeersNamed(node: MeshNode, name: string): Promise<PeerJson[]> {
  const r = await runCli(['peers', '--json', '--config', node.configPath], { env: { PRECHEW_DATA_DIR: node.dataDir } });
  if (r.code !== 0) return [];
  return (JSON.parse(r.stdout) as { peers: PeerJson[] }).peers.filter((p) => p.source === 'jetstream' && p.name === name);
}
