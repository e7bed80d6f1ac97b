/**
 * The mesh with real nodes: `prechew serve --http` child processes with their own data
 * directories, keys and trust lists, on loopback. A CPU-bound job (extract-entities on a large
 * generated text, read from a file) runs on 1 node (offload off), then split across 2 and 3 nodes.
 * All nodes share this machine's cores, so the figures show what the mesh costs and how units
 * spread, not the speed-up of separate machines. Prints figures, asserts nothing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { buildBenchText } from './entities.js';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');

interface BenchNode {
  name: string;
  dir: string;
  key: string;
  child?: ChildProcess;
  url?: string;
}

function makeNode(name: string): BenchNode {
  const dir = mkdtempSync(path.join(os.tmpdir(), `prechew-bench-${name}-`));
  const r = spawnSync(process.execPath, [cli, 'id', '--json'], { env: { PATH: process.env.PATH ?? '', PRECHEW_DATA_DIR: dir }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`prechew id failed: ${r.stderr}`);
  return { name, dir, key: (JSON.parse(r.stdout) as { nodeKey: string }).nodeKey };
}

async function serve(node: BenchNode, mesh: Record<string, unknown>, trusted: BenchNode[], root: string): Promise<void> {
  const config = path.join(node.dir, 'mcp.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      mesh: { name: node.name, ...mesh, trusted: trusted.map((t) => ({ name: t.name, key: t.key })) },
      data: { dir: node.dir, cache: false },
    }),
  );
  const child = spawn(process.execPath, [cli, 'serve', '--http', '--port', '0', '--config', config, '--root', root], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PRECHEW_DATA_DIR: node.dir, PRECHEW_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  node.child = child;
  node.url = await new Promise<string>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${node.name} did not start: ${err}`)), 30_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (\S+\/mcp)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
}

async function timedCall(url: string, args: Record<string, unknown>): Promise<{ seconds: number; ranOn: Record<string, number>; units: number }> {
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  const ranOn: Record<string, number> = {};
  try {
    const t = performance.now();
    const r = await client.callTool(
      { name: 'extract-entities', arguments: args },
      {
        timeout: 300_000,
        onprogress: (p) => {
          const m = / on (\S+)$/.exec(p.message ?? '');
          if (/^extracted unit/.test(p.message ?? '')) ranOn[m?.[1] ?? 'this node'] = (ranOn[m?.[1] ?? 'this node'] ?? 0) + 1;
        },
      },
    );
    const seconds = (performance.now() - t) / 1000;
    if (r.isError) throw new Error(`extract-entities failed: ${JSON.stringify(r.content)}`);
    return { seconds, ranOn, units: (r.structuredContent as { units?: number }).units ?? 0 };
  } finally {
    await client.close();
  }
}

export async function benchMeshNodes(megabytes = 2): Promise<Record<string, number | string>> {
  const figures: Record<string, number | string> = {};
  const cores = os.availableParallelism();
  const root = mkdtempSync(path.join(os.tmpdir(), 'prechew-bench-mesh-root-'));
  writeFileSync(path.join(root, 'big.txt'), buildBenchText(megabytes * 1_000_000));
  writeFileSync(path.join(root, 'warm.txt'), buildBenchText(300_000, 7));

  const w1 = makeNode('worker1');
  const w2 = makeNode('worker2');
  const r2 = makeNode('req2');
  const r3 = makeNode('req3');
  const nodes = [w1, w2, r2, r3];
  try {
    const worker = { accept: 'always', worker: { maxConcurrent: 2 } };
    await serve(w1, worker, [r2, r3], root);
    await serve(w2, worker, [r3], root);
    const peerUrl = (n: BenchNode): string => n.url!.replace(/\/mcp$/, '');
    await serve(r2, { offload: 'auto', peers: [peerUrl(w1)] }, [w1], root);
    await serve(r3, { offload: 'auto', peers: [peerUrl(w1), peerUrl(w2)] }, [w1, w2], root);

    const runs: Array<[string, string, 'off' | 'auto']> = [
      ['1 node (this one, its worker threads)', r2.url!, 'off'],
      ['2 nodes (this one + worker1)', r2.url!, 'auto'],
      ['3 nodes (this one + worker1 + worker2)', r3.url!, 'auto'],
    ];
    // Warm every path once (worker threads started, code compiled, peers checked).
    for (const [, url, offload] of runs) await timedCall(url, { path: 'warm.txt', offload });
    for (const [label, url, offload] of runs) {
      const r = await timedCall(url, { path: 'big.txt', offload });
      figures[`extract-entities ${megabytes} MB, ${label}: s`] = Math.round(r.seconds * 100) / 100;
      figures[`extract-entities ${megabytes} MB, ${label}: MB/s`] = Math.round((megabytes / r.seconds) * 100) / 100;
      figures[`extract-entities ${megabytes} MB, ${label}: units per node`] = Object.entries(r.ranOn)
        .map(([n, c]) => `${n} ${c}`)
        .join(', ');
    }
    figures['real nodes: cores on this machine'] = cores;
    figures['real nodes: load average (1 min) at the end'] = Math.round(os.loadavg()[0]! * 10) / 10;
    figures['real nodes: note'] =
      `all nodes run on this one machine with ${cores} cores, so 2 and 3 nodes share the same ${cores} cores: the figures show the mesh's overhead and how units spread, not the speed-up of separate machines (each extra machine adds its own cores). Workers run peers' units at nice 10, so on a busy machine they get what other work leaves`;
  } finally {
    for (const n of nodes) n.child?.kill('SIGTERM');
  }
  return figures;
}
