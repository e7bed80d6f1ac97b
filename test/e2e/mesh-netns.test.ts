import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { makeNode, setPeers, startNode, trustEachOther, type MeshNode } from '../helpers/mesh-nodes.js';
import { createNetnsPair, netnsSupport, type NetnsPair } from '../helpers/netns.js';

// Two hosts: a requester and a worker, each in its own network namespace joined by a veth pair
// (no route to the machine's real interfaces). The worker listens on its veth address (with a
// bearer token, as any non-loopback bind needs; peers authenticate by signature); the requester
// listens on the loopback of its own namespace, and the test drives it with an MCP client started
// inside that namespace. Then the worker's link goes down in the middle of a job.

const why = netnsSupport();
if (why) process.stderr.write(`mesh-netns: skipping the two-host tests: ${why}\n`);

const TOKEN = 'netns-test-token-0123456789';
const lines: string[] = [];
for (let i = 0; i < 36_000; i++)
  lines.push(`Ticket ${i}: write to user${i}@example.org about order ${i * 7}, or to team${i % 50}@example.com.\n`);
const bigText = lines.join('\n');

interface CallResult {
  result?: { total: number; counts: unknown; entities: unknown };
  isError?: boolean;
  error?: string;
  progress: string[];
}

/** Runs one extract-entities call from inside namespace `ns` against `url`. */
function callInNamespace(ns: string, url: string, offload: 'auto' | 'off'): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, path.join(repoRoot, 'test/helpers/mcp-call.mjs')], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 200_000);
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(timer);
      const progress: string[] = [];
      let last: Omit<CallResult, 'progress'> = { error: `no answer; output: ${out.slice(0, 500)}` };
      for (const line of out.split('\n').filter(Boolean)) {
        const v = JSON.parse(line) as { progress?: string } & Omit<CallResult, 'progress'>;
        if (v.progress !== undefined) progress.push(v.progress);
        else last = v;
      }
      resolve({ ...last, progress });
    });
    child.stdin.end(JSON.stringify({ url, tool: 'extract-entities', args: { text: bigText, types: ['email'], offload }, timeoutMs: 180_000 }));
  });
}

const digest = (r: CallResult): string => {
  expect(r.error).toBeUndefined();
  expect(r.isError).toBe(false);
  return JSON.stringify([r.result!.total, r.result!.counts, r.result!.entities]);
};

describe.skipIf(why !== undefined)('mesh across network namespaces (two hosts)', { timeout: 300_000 }, () => {
  let pair: NetnsPair;
  let worker: MeshNode;
  let requester: MeshNode;
  let requesterNs: string;

  beforeAll(async () => {
    pair = createNetnsPair();
    requesterNs = pair.names[0];
    worker = await makeNode('nsworker', { accept: 'always', worker: { maxConcurrent: 2 } });
        // Peers are checked again before a job when the last check is over 2 s old.
    requester = await makeNode('nsreq', { offload: 'auto', unitTimeoutMs: 8000, localUnits: false, discovery: { intervalSeconds: 2 } });
    await trustEachOther(worker, requester);
    await startNode(worker, ['--host', pair.addresses[1]], { PRECHEW_TOKEN: TOKEN, PRECHEW_LOG_LEVEL: 'debug' }, ['ip', 'netns', 'exec', pair.names[1]]);
    expect(worker.server!.url).toContain(pair.addresses[1]);
    setPeers(requester, `http://${pair.addresses[1]}:${worker.server!.port}`);
    await startNode(requester, [], {}, ['ip', 'netns', 'exec', requesterNs]);
  }, 60_000);

  afterAll(async () => {
    for (const n of [worker, requester]) await n?.server?.stop('SIGKILL');
    pair?.destroy();
  });

  it('offloads over the veth link to the other host, with the result of a local run', async () => {
    const local = await callInNamespace(requesterNs, requester.server!.url, 'off');
    const meshed = await callInNamespace(requesterNs, requester.server!.url, 'auto');
    expect(local.result!.total).toBeGreaterThan(30_000);
    expect(digest(meshed)).toBe(digest(local));
    expect(meshed.progress.some((m) => / on nsworker/.test(m)), `progress: ${meshed.progress.join(' | ')}\nrequester: ${requester.server!.stderr().slice(-3000)}`).toBe(true);
  });

  it('a worker whose link goes down mid-job costs a re-issue, not the job', async () => {
    const local = await callInNamespace(requesterNs, requester.server!.url, 'off');
    const before = worker.server!.stderr().split('mesh: running a unit for a peer').length;
    let cut = false;
    const watcher = setInterval(() => {
      // Cut the worker's link as soon as it has started a unit of this job.
      if (!cut && worker.server!.stderr().split('mesh: running a unit for a peer').length > before) {
        cut = true;
        pair.setLink(1, false);
      }
    }, 10);
    try {
      const meshed = await callInNamespace(requesterNs, requester.server!.url, 'auto');
      expect(cut).toBe(true);
      expect(digest(meshed)).toBe(digest(local));
      expect(requester.server!.stderr()).toMatch(/mesh: \d+ unit attempt\(s\) re-issued/);
    } finally {
      clearInterval(watcher);
      pair.setLink(1, true);
    }
  });
});
