/**
 * Real prechew nodes for tests that need a mesh: each with its own data dir, config, keys and
 * trust list, started as `prechew serve --http` children (the same steps a user takes).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './app.js';
import { runCli, startHttpChild, type HttpChild } from './cli.js';

export interface TestNode {
  name: string;
  dataDir: string;
  configPath: string;
  key: string;
  fingerprint: string;
  mesh: Record<string, unknown>;
  server?: HttpChild;
}

export async function makeNode(name: string, mesh: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<TestNode> {
  const dataDir = tempDir(`prechew-node-${name}-`);
  const configPath = path.join(dataDir, 'mcp.config.json');
  writeFileSync(configPath, JSON.stringify({ mesh: { name, ...mesh }, data: { dir: dataDir }, ...extra }));
  const id = await runCli(['id', '--json', '--config', configPath], { env: { PRECHEW_DATA_DIR: dataDir } });
  if (id.code !== 0) throw new Error(`prechew id failed: ${id.stderr}`);
  const parsed = JSON.parse(id.stdout) as { nodeKey: string; fingerprint: string };
  return { name, dataDir, configPath, key: parsed.nodeKey, fingerprint: parsed.fingerprint, mesh: { name, ...mesh } };
}

export async function trust(node: TestNode, other: TestNode): Promise<void> {
  const r = await runCli(['peers', 'trust', other.key, '--name', other.name, '--config', node.configPath], { env: { PRECHEW_DATA_DIR: node.dataDir } });
  if (r.code !== 0) throw new Error(`prechew peers trust failed: ${r.stderr}`);
}

/** Points a node at running workers (mesh.peers); call before starting it. */
export function setPeers(node: TestNode, ...workers: TestNode[]): void {
  const config = JSON.parse(readFileSync(node.configPath, 'utf8')) as Record<string, unknown>;
  const peers = workers.map((w) => `http://127.0.0.1:${w.server!.port}`);
  writeFileSync(node.configPath, JSON.stringify({ ...config, mesh: { ...node.mesh, peers } }));
}

export async function startNode(node: TestNode, args: string[] = [], env: Record<string, string> = {}): Promise<HttpChild> {
  node.server = await startHttpChild(['--config', node.configPath, ...args], { PRECHEW_DATA_DIR: node.dataDir, ...env });
  return node.server;
}
