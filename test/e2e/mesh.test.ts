import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudio } from '../../src/engines/audio.js';
import { tempDir } from '../helpers/app.js';
import { concat, JFK_WAV, makeWav, silence } from '../helpers/audio-fixtures.js';
import { connectHttp, runCli, type HttpChild } from '../helpers/cli.js';
import { makeNode as makeMeshNode, setPeers, startNode, trust, trustEachOther, type MeshNode } from '../helpers/mesh-nodes.js';
import { tinyWhisperModelPath } from '../helpers/tiny-whisper.js';

// Real prechew nodes on loopback, each with its own data directory, keys and trust list: a
// requester that offloads whisper units and workers that take them. The generated whisper model
// gives gibberish text, but the same gibberish for the same audio, so results can be compared.

type Node = MeshNode;

const audioDir = tempDir('prechew-mesh-audio-');
const model = tinyWhisperModelPath();

function makeNode(name: string, mesh: Record<string, unknown>): Promise<Node> {
  return makeMeshNode(name, mesh, { models: { whisper: { path: model, unitSeconds: 5, threads: 1, temperatureFallback: false } } });
}

function start(node: Node, extraEnv: Record<string, string> = {}): Promise<HttpChild> {
  return startNode(node, ['--root', audioDir], extraEnv);
}

async function transcribe(node: Node): Promise<{ text: string; units: number; progress: string[] }> {
  const client = await connectHttp(node.server!.url);
  const progress: string[] = [];
  try {
    const r = await client.callTool(
      { name: 'transcribe', arguments: { path: 'speech.wav', language: 'en', format: 'segments' } },
      { onprogress: (p) => progress.push(p.message ?? ''), timeout: 120_000 },
    );
    expect(r.isError ?? false).toBe(false);
    const s = r.structuredContent as { segments: Array<{ text: string }>; units: number };
    return { text: s.segments.map((x) => x.text).join('|'), units: s.units, progress };
  } finally {
    await client.close();
  }
}

const running: Node[] = [];
afterEach(async () => {
  for (const n of running.splice(0)) await n.server?.stop('SIGKILL');
});

beforeAll(async () => {
  const jfk = (await decodeAudio(readFileSync(JFK_WAV))).samples;
  // Six voiced stretches split by silences: several 5 s units.
  const parts = [];
  for (let i = 0; i < 3; i++) parts.push(jfk, silence(1.2));
  writeFileSync(path.join(audioDir, 'speech.wav'), makeWav([concat(...parts)]));
});

describe('mesh: real nodes on loopback', { timeout: 240_000 }, () => {
  it('identity and trust through the CLI: id, trust, untrust, refusals', async () => {
    const a = await makeNode('alpha', {});
    const b = await makeNode('beta', {});
    expect(a.key).toMatch(/^prechew1\./);
    await trust(a, b);
    const again = await runCli(['peers', 'trust', b.key, '--name', 'beta2', '--config', a.configPath], {
      env: { PRECHEW_DATA_DIR: a.dataDir },
    });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already trusted as "beta"/);
    const bad = await runCli(['peers', 'trust', 'ssh-ed25519 AAAA', '--config', a.configPath], {
      env: { PRECHEW_DATA_DIR: a.dataDir },
    });
    expect(bad.stderr).toMatch(/Not a prechew node key/);
    const untrust = await runCli(['peers', 'untrust', 'beta', '--config', a.configPath], {
      env: { PRECHEW_DATA_DIR: a.dataDir },
    });
    expect(untrust.stdout).toMatch(/no longer trusted/);
  });

  it('offloads whisper units to a trusted worker, with results identical to a local run, and lists it in `prechew peers`', async () => {
    const worker = await makeNode('worker1', { accept: 'always', worker: { maxConcurrent: 2 } });
    const requester = await makeNode('requester', { offload: 'auto' });
    const plain = await makeNode('plain', {});
    await trustEachOther(worker, requester);
    running.push(worker, requester, plain);
    await start(worker);
    await start(plain);
    setPeers(requester, worker);
    await start(requester);

    const local = await transcribe(plain);
    const remote = await transcribe(requester);
    expect(local.units).toBeGreaterThan(2);
    expect(remote.text).toBe(local.text);
    expect(remote.progress.some((m) => / on worker1/.test(m))).toBe(true);

    const peers = await runCli(['peers', '--json', '--config', requester.configPath], {
      env: { PRECHEW_DATA_DIR: requester.dataDir },
    });
    const listed = (
      JSON.parse(peers.stdout) as {
        peers: Array<{
          name: string;
          trusted: boolean;
          reachable: boolean;
          unitsDone: number;
          accepting: boolean;
          kinds: string[];
        }>;
      }
    ).peers;
    expect(listed).toEqual([
      expect.objectContaining({ name: 'worker1', trusted: true, reachable: true, accepting: true }),
    ]);
    expect(listed[0]!.unitsDone).toBeGreaterThan(0);
    expect(listed[0]!.kinds).toContain('whisper.transcribe');
  });

  it('a worker that does not accept, or does not trust the requester, gets no units', async () => {
    const never = await makeNode('never', { accept: 'never', offload: 'auto' });
    const picky = await makeNode('picky', { accept: 'always' });
    const requester = await makeNode('req2', { offload: 'auto' });
    await trustEachOther(never, requester);
    await trust(requester, picky);
    running.push(never, picky, requester);
    await start(never);
    await start(picky);
    setPeers(requester, never, picky);
    await start(requester);
    const r = await transcribe(requester);
    expect(r.progress.every((m) => !/ on (never|picky)/.test(m))).toBe(true);
    const listing = await runCli(['peers', '--json', '--config', requester.configPath], {
      env: { PRECHEW_DATA_DIR: requester.dataDir },
    });
    const rows = (
      JSON.parse(listing.stdout) as {
        peers: Array<{
          name: string;
          url: string;
          reachable: boolean;
          accepting?: boolean;
          acceptReason?: string;
          error?: string;
        }>;
      }
    ).peers;
    const neverRow = rows.find((row) => row.url.includes(String(never.server!.port)));
    const pickyRow = rows.find((row) => row.url.includes(String(picky.server!.port)));
    // "never" trusts req2 and says so in its signed status, but takes nothing.
    expect(neverRow).toMatchObject({ name: 'never', reachable: true, accepting: false });
    expect(neverRow?.acceptReason).toMatch(/never/);
    // "picky" does not trust req2, so it refuses even to tell its status.
    expect(pickyRow).toMatchObject({ reachable: false });
    expect(pickyRow?.error).toMatch(/not trusted/);
  });

  it('a worker killed mid-job costs only time: every unit completes', async () => {
    const worker = await makeNode('doomed', { accept: 'always', worker: { maxConcurrent: 2 } });
    const requester = await makeNode('req3', { offload: 'auto', unitTimeoutMs: 20_000 });
    const plain = await makeNode('plain3', {});
    await trustEachOther(worker, requester);
    running.push(worker, requester, plain);
    await start(worker, { PRECHEW_LOG_LEVEL: 'debug' });
    await start(plain);
    setPeers(requester, worker);
    await start(requester);
    const local = await transcribe(plain);
    const client = await connectHttp(requester.server!.url);
    // SIGKILL the worker as soon as it has started a unit for the requester.
    let killed = false;
    const watcher = setInterval(() => {
      if (!killed && /mesh: running a unit for a peer/.test(worker.server!.stderr())) {
        killed = true;
        void worker.server!.stop('SIGKILL');
      }
    }, 10);
    const r = await client.callTool(
      { name: 'transcribe', arguments: { path: 'speech.wav', language: 'en', format: 'segments' } },
      { timeout: 120_000 },
    );
    clearInterval(watcher);
    await client.close();
    expect(killed).toBe(true);
    expect(r.isError ?? false).toBe(false);
    const s = r.structuredContent as { segments: Array<{ text: string }> };
    expect(s.segments.map((x) => x.text).join('|')).toBe(local.text);
  });
});

describe(
  'mesh: deterministic units, verification and hung workers (real nodes)',
  { timeout: 240_000 },
  () => {
    // 4 units of about 900 KB: emails only, so extraction is quick and the output deterministic.
    const lines: string[] = [];
    for (let i = 0; i < 36_000; i++)
      lines.push(
        `Ticket ${i}: write to user${i}@example.org about order ${i * 7}, or to team${i % 50}@example.com.\n`,
      );
    const bigText = lines.join('\n');

    // The result is paginated; the first page (the most frequent emails, with every offset), the
    // total and the counts are compared.
    async function entities(
      node: Node,
      offload: 'auto' | 'off',
    ): Promise<{ total: number; digest: string; progress: string[] }> {
      const client = await connectHttp(node.server!.url);
      const progress: string[] = [];
      try {
        const r = await client.callTool(
          { name: 'extract-entities', arguments: { text: bigText, types: ['email'], offload } },
          { onprogress: (p) => progress.push(p.message ?? ''), timeout: 180_000 },
        );
        expect(r.isError ?? false).toBe(false);
        const s = r.structuredContent as { total: number; counts: unknown; entities: unknown };
        return { total: s.total, digest: JSON.stringify([s.total, s.counts, s.entities]), progress };
      } finally {
        await client.close();
      }
    }

    it('quorum catches a worker that returns wrong results, excludes it, and the result equals a local run', async () => {
      const honest = await makeNode('honest', { accept: 'always', worker: { maxConcurrent: 2 } });
      const liar = await makeNode('liar', {
        accept: 'always',
        worker: { maxConcurrent: 2 },
        testCorruptOutputs: true,
      });
      const requester = await makeNode('req4', { offload: 'auto', verify: 'quorum', localUnits: false });
      for (const w of [honest, liar]) await trustEachOther(w, requester);
      running.push(honest, liar, requester);
      await start(honest);
      await start(liar);
      setPeers(requester, honest, liar);
      await start(requester);
      const local = await entities(requester, 'off');
      expect(local.total).toBeGreaterThan(30_000);
      expect(local.progress.some((m) => / on /.test(m))).toBe(false);
      // On a loaded machine the liar's attempts can all time out or straggle before a result of
      // its is compared; each job gives it another chance to be caught (at most three jobs), and
      // every job's result must equal the local one whatever it did.
      const caught = /mesh: excluded peer:liar for the rest of this run: it returned a wrong result/;
      let ranOnHonest = false;
      for (let job = 0; job < 3 && !caught.test(requester.server!.stderr()); job++) {
        const meshed = await entities(requester, 'auto');
        expect(meshed.digest).toBe(local.digest);
        ranOnHonest ||= meshed.progress.some((m) => / on honest/.test(m));
      }
      expect(ranOnHonest).toBe(true);
      expect(requester.server!.stderr()).toMatch(
        /mesh: excluded peer:liar for the rest of this run: it returned a wrong result/,
      );

      // `prechew peers` shows the running node's verdict beside the peer, in JSON and in the table.
      const env = { env: { PRECHEW_DATA_DIR: requester.dataDir } };
      const listing = await runCli(['peers', '--json', '--config', requester.configPath], env);
      const shown = JSON.parse(listing.stdout) as {
        peers: Array<{ name: string; excluded?: string }>;
        excluded: Array<{ name: string; reason: string; fingerprint?: string }>;
      };
      expect(shown.excluded).toEqual([
        expect.objectContaining({ name: 'liar', reason: expect.stringMatching(/wrong result/) as unknown }),
      ]);
      expect(shown.peers.find((p) => p.name === 'liar')?.excluded).toMatch(/wrong result/);
      expect(shown.peers.find((p) => p.name === 'honest')?.excluded).toBeUndefined();
      const table = await runCli(['peers', '--config', requester.configPath], env);
      expect(table.stdout).toMatch(/^liar .*EXCLUDED: .*wrong result/m);
      expect(table.stdout).toMatch(/^honest .*accepting/m);
      // An exclusion lasts the node's run: once it stops, the verdict is no longer reported.
      await requester.server!.stop('SIGTERM');
      const after = await runCli(['peers', '--json', '--config', requester.configPath], env);
      expect((JSON.parse(after.stdout) as { excluded: unknown[] }).excluded).toEqual([]);
    });

    it('a worker that hangs (SIGSTOP) costs a re-issue, not the job', async () => {
      const sleepy = await makeNode('sleepy', { accept: 'always', worker: { maxConcurrent: 2 } });
      const requester = await makeNode('req5', { offload: 'auto', unitTimeoutMs: 8000 });
      await trustEachOther(sleepy, requester);
      running.push(sleepy, requester);
      await start(sleepy);
      setPeers(requester, sleepy);
      await start(requester);
      const local = await entities(requester, 'off');
      // The requester has seen the worker alive; now it stops answering mid-way.
      sleepy.server!.child.kill('SIGSTOP');
      try {
        const meshed = await entities(requester, 'auto');
        expect(local.total).toBeGreaterThan(30_000);
        expect(meshed.digest).toBe(local.digest);
      } finally {
        sleepy.server!.child.kill('SIGCONT');
      }
    });
  },
);
