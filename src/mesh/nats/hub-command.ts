/**
 * `prechew hub [--port P] [--leaf-port P]`: runs the JetStream hub in the foreground until
 * SIGINT/SIGTERM, then stops nats-server cleanly.
 */
import os from 'node:os';
import type { Config } from '../../config.js';
import { PrechewError } from '../../errors.js';
import type { UnitRegistry } from '../../jobs/registry.js';
import { loadOrCreateIdentity } from '../identity.js';
import { readTrustFile } from '../trust-file.js';
import { TrustList } from '../trust.js';
import { NatsHub } from './hub.js';

export interface HubIo {
  out(text: string): void;
  err(text: string): void;
}

export async function hubCommand(argv: string[], config: Config, registry: UnitRegistry, io: HubIo): Promise<number> {
  const flag = (name: string): number | undefined => {
    const i = argv.indexOf(name);
    if (i < 0) return undefined;
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n < 0 || n > 65535)
      throw new PrechewError('INVALID_INPUT', `${name} needs a port number (0 picks a free one).`);
    return n;
  };
  const dataDir = config.data.dir;
  if (!dataDir) throw new PrechewError('CONFIG_INVALID', 'No data directory is configured (data.dir).');
  const identity = loadOrCreateIdentity(dataDir);
  const m = config.mesh;
  const trust = new TrustList([
    ...m.trusted,
    ...readTrustFile(dataDir).filter((e) => !m.trusted.some((t) => t.name === e.name)),
  ]);
  const h = m.nats.hub;
  // Listen before starting: a signal during start-up must still stop nats-server, not kill this
  // process and orphan its child. The listeners stay for the whole stop, so a second signal does
  // not kill the hub before its child either.
  const stopRequested = new Promise<string>((resolve) => {
    process.on('SIGINT', () => resolve('SIGINT'));
    process.on('SIGTERM', () => resolve('SIGTERM'));
  });
  const hub = await NatsHub.start({
    identity,
    trust,
    registry,
    dataDir,
    host: h.host,
    port: flag('--port') ?? h.port,
    binary: h.binary,
    leafPort: flag('--leaf-port') ?? h.leafPort,
    leafUsers: h.leafUsers,
    leafRemote: h.leafRemote,
    topology: {
      ackWaitMs: m.nats.ackWaitMs,
      maxDeliver: m.nats.maxDeliver,
      registryTtlMs: m.nats.heartbeatSeconds * 3000,
    },
  });
  io.out(
    `prechew hub ${m.name ?? os.hostname()} listening on ${hub.url} (nats-server pid ${hub.pid ?? '?'}; ${hub.jetstream ? 'JetStream store in ' + dataDir : 'leaf of ' + (h.leafRemote?.url ?? '')}; ${trust.size} trusted node(s))`,
  );
  io.out(`Nodes join with: mesh.nats.url = "${hub.url}" (their keys must be trusted here: prechew peers trust <key>)`);
  const signal = await stopRequested;
  io.err(`prechew hub: ${signal}, stopping nats-server`);
  await hub.stop();
  io.err('prechew hub stopped');
  return 0;
}
