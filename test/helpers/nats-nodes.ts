/**
 * Real prechew nodes on a real nats-server: a `prechew hub` child, `prechew serve --http` nodes
 * that join it by `mesh.nats.url`, each with its own data directory and node key. Trust is written
 * into each node's config (mesh.trusted), as a user would list the keys `prechew id` prints.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { findNatsServer } from '../../src/mesh/nats/hub.js';
import { loadOrCreateIdentity, type NodeIdentity } from '../../src/mesh/identity.js';
import { tempDir } from './app.js';
import { childEnv, cliPath, assertBuilt, startHttpChild, type HttpChild } from './cli.js';

export const natsServer = findNatsServer();
export const natsSkipReason = natsServer
  ? undefined
  : 'nats-server is not installed (apt-get install nats-server; .ci/run installs it)';

export interface MeshNode {
  name: string;
  dataDir: string;
  configPath: string;
  identity: NodeIdentity;
  config: Record<string, unknown>;
  server?: HttpChild;
  hub?: HubChild;
}

export function makeMeshNode(name: string, config: Record<string, unknown> = {}): MeshNode {
  const dataDir = tempDir(`prechew-nats-${name}-`);
  return {
    name,
    dataDir,
    configPath: path.join(dataDir, 'mcp.config.json'),
    identity: loadOrCreateIdentity(dataDir),
    config,
  };
}

/** Writes the node's config with its mesh settings, the given trusted nodes and the NATS URL. */
export function writeMeshConfig(node: MeshNode, trusted: MeshNode[], mesh: Record<string, unknown>): void {
  const base = node.config;
  const baseMesh = (base.mesh ?? {}) as Record<string, unknown>;
  writeFileSync(
    node.configPath,
    JSON.stringify({
      ...base,
      data: { dir: node.dataDir, cache: false },
      mesh: {
        name: node.name,
        ...baseMesh,
        ...mesh,
        nats: { ...((baseMesh.nats ?? {}) as object), ...((mesh.nats ?? {}) as object) },
        trusted: trusted.filter((t) => t !== node).map((t) => ({ name: t.name, key: t.identity.nodeKey })),
      },
    }),
  );
}

export interface HubChild {
  url: string;
  natsPid: number;
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  /** Exit code, or the signal that ended it. */
  stop(signal?: NodeJS.Signals): Promise<number | string | null>;
}

export async function startHub(node: MeshNode, args: string[] = []): Promise<HubChild> {
  assertBuilt();
  const child = spawn(process.execPath, [cliPath, 'hub', '--config', node.configPath, ...args], {
    env: childEnv({ PRECHEW_DATA_DIR: node.dataDir, PRECHEW_LOG_LEVEL: 'info' }),
    cwd: node.dataDir,
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const m = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start; output:\n${output}`)), 30_000);
    const check = (): void => {
      const found = /listening on (nats:\/\/\S+) \(nats-server pid (\d+)/.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`hub exited with ${code}; output:\n${output}`));
    });
  });
  const hub: HubChild = {
    url: m[1]!,
    natsPid: Number(m[2]),
    child,
    output: () => output,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
  node.hub = hub;
  return hub;
}

export async function startNode(node: MeshNode, args: string[] = [], env: Record<string, string> = {}): Promise<HttpChild> {
  node.server = await startHttpChild(['--config', node.configPath, ...args], { PRECHEW_DATA_DIR: node.dataDir, ...env });
  return node.server;
}

/** Waits until `probe` is true, checking every 200 ms, at most `ms`. */
export async function waitFor(probe: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}
