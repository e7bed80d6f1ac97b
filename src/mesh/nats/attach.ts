/**
 * Joins a node's mesh service to a NATS deployment (`mesh.nats.url`): the JetStream queue becomes
 * one more backend for offloaded jobs, the worker pulls when consent allows, and the registry's
 * nodes appear in `prechew peers` beside the direct peers. Joining is retried in the background,
 * so a node started before its hub joins when the hub comes up.
 */
import type { MeshConfig } from '../../config.js';
import type { UnitBackend } from '../../jobs/dispatch.js';
import { log } from '../../log.js';
import type { MeshService, MeshTransport, PeerRow } from '../service.js';
import { NatsMesh } from './index.js';
import type { RegistryNode } from './registry-kv.js';

export interface AttachOptions {
  work: boolean;
  offload: boolean;
  version: string;
  name: string;
  models: () => { llm?: string | undefined; whisper?: string | undefined };
  /** Wait for the first connection (commands), instead of joining in the background (serve). */
  wait?: boolean;
}

export function registryRows(nodes: RegistryNode[], url: string): PeerRow[] {
  return nodes.map((n) => ({
    name: n.peer?.name ?? n.entry.name,
    url,
    source: 'jetstream' as const,
    fingerprint: n.entry.fingerprint,
    trusted: n.peer !== undefined || n.self,
    reachable: true,
    latencyMs: undefined,
    accepting: n.entry.accept.accepting,
    acceptReason: n.entry.accept.reason,
    freeSlots: n.entry.slots.free,
    kinds: n.entry.kinds,
    models: n.entry.models,
    unitsDone: n.entry.unitsDone,
    unitsFailed: n.entry.unitsFailed,
    lastSeen: n.entry.at,
    excluded: undefined,
    error: undefined,
  }));
}

export async function attachNats(mesh: MeshService, config: MeshConfig, o: AttachOptions): Promise<MeshTransport | undefined> {
  const url = config.nats.url;
  if (!url) return undefined;
  let nats: NatsMesh | undefined;
  let stopped = false;
  const join = async (): Promise<NatsMesh> =>
    NatsMesh.start({
      nats: { ...config.nats, url },
      identity: mesh.identity,
      trust: mesh.trust,
      registry: mesh.registry,
      consent: mesh.consent,
      policy: mesh.policy,
      name: o.name,
      version: o.version,
      verify: config.verify,
      maxSkewMs: config.maxSkewMs,
      work: o.work,
      offload: o.offload,
      models: o.models,
      corruptOutputs: config.testCorruptOutputs,
    });
  const transport: MeshTransport = {
    backend: async (): Promise<UnitBackend | undefined> => {
      if (!nats?.queue) return undefined;
      await nats.registryNodes();
      const disagreed = [...nats.queue.disagreements.keys()];
      if (disagreed.length > 0) log.debug('nats: workers that disagreed under quorum', { disagreed });
      return nats.queue;
    },
    slots: () => nats?.queue?.slots() ?? 0,
    rows: async () => {
      if (!nats) return [];
      const rows = registryRows(await nats.registryNodes(0), url);
      for (const r of rows) r.excluded = nats.queue?.disagreements.get(r.name);
      return rows;
    },
    stop: async () => {
      stopped = true;
      await nats?.stop();
    },
  };
  mesh.addTransport(transport);
  const attempt = async (): Promise<void> => {
    for (let i = 0; !stopped; i++) {
      try {
        nats = await join();
        if (stopped) await nats.stop();
        return;
      } catch (error) {
        if (o.wait) throw error;
        if (i === 0) log.warn(`nats: ${(error as Error).message} Retrying in the background.`);
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  };
  if (o.wait) await attempt();
  else void attempt();
  return transport;
}
