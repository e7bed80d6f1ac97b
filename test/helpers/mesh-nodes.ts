/**
 * Real prechew nodes for mesh tests: each with its own data directory, keys and config file, made
 * and trusted through the CLI as a user would, and served as `prechew serve --http` children.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { tempDir } from './app.js';
import { runCli, startHttpChild, type HttpChild } from './cli.js';

export interface MeshNode {
  name: string;
  dataDir: string;
  configPath: string;
  key: string;
  /** Short fingerprint of the node's key, as `prechew id` prints it. */
  fingerprint: string;
  mesh: Record<string, unknown>;
  server?: HttpChild;
}

/** A node with its config (`mesh` settings plus any other config sections; the cache is off unless `config.data` turns it on) and a fresh identity. */
export async function makeNode(name: string, mesh: Record<string, unknown>, config: Record<string, unknown> = {}): Promise<MeshNode> {
  const dataDir = tempDir(`prechew-mesh-${name}-`);
  const configPath = path.join(dataDir, 'mcp.config.json');
  writeFileSync(configPath, JSON.stringify({ ...config, mesh: { name, ...mesh }, data: { dir: dataDir, cache: false, ...(config.data as Record<string, unknown> | undefined) } }));
  const id = await runCli(['id', '--json', '--config', configPath], { env: { PRECHEW_DATA_DIR: dataDir } });
  expect(id.code).toBe(0);
  const parsed = JSON.parse(id.stdout) as { nodeKey: string; fingerprint: string };
  return { name, dataDir, configPath, key: parsed.nodeKey, fingerprint: parsed.fingerprint, mesh: { name, ...mesh } };
}

/** `prechew peers trust` on `node` for `other`'s key. */
export async function trust(node: MeshNode, other: MeshNode): Promise<void> {
  const r = await runCli(['peers', 'trust', other.key, '--name', other.name, '--config', node.configPath], {
    env: { PRECHEW_DATA_DIR: node.dataDir },
  });
  expect(r.stderr).toBe('');
  expect(r.stdout).toMatch(new RegExp(`Trusted "${other.name}"`));
}

/** Both nodes trust each other's key (one command on each, as a user would). */
export async function trustEachOther(a: MeshNode, b: MeshNode): Promise<void> {
  await trust(a, b);
  await trust(b, a);
}

/** Points a node at workers (mesh.peers: running workers, or given base URLs); call before start. */
export function setPeers(node: MeshNode, ...workers: Array<MeshNode | string>): void {
  const config = JSON.parse(readFileSync(node.configPath, 'utf8')) as Record<string, unknown>;
  const peers = workers.map((w) => (typeof w === 'string' ? w : `http://127.0.0.1:${w.server!.port}`));
  writeFileSync(node.configPath, JSON.stringify({ ...config, mesh: { ...node.mesh, peers } }));
}

/** Serves the node over HTTP (loopback unless args say --host; `prefix` as for startHttpChild). */
export async function startNode(node: MeshNode, args: string[] = [], env: Record<string, string> = {}, prefix: string[] = []): Promise<HttpChild> {
  node.server = await startHttpChild(['--config', node.configPath, ...args], { PRECHEW_DATA_DIR: node.dataDir, ...env }, prefix);
  return node.server;
}
