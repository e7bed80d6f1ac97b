/**
 * `prechew id` and `prechew peers …`: print this node's identity, list peers with their signed
 * status, and edit the trust file. Output goes through the `io` the CLI passes in.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { Config } from '../config.js';
import { PrechewError } from '../errors.js';
import type { UnitRegistry } from '../jobs/registry.js';
import { loadOrCreateIdentity } from './identity.js';
import { parseNodeKey } from './keys.js';
import { MeshService, type PeerRow } from './service.js';
import { readTrustFile, trustFilePath, writeTrustFile } from './trust-file.js';
import { addTrustedEntry, removeTrustedEntry } from './trust.js';

export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

function dataDir(config: Config): string {
  if (!config.data.dir)
    throw new PrechewError('CONFIG_INVALID', 'No data directory is configured (data.dir).');
  return config.data.dir;
}

function nodeName(config: Config): string {
  return config.mesh.name ?? os.hostname();
}

export function idCommand(config: Config, json: boolean, io: CommandIo): number {
  const identity = loadOrCreateIdentity(dataDir(config));
  const name = nodeName(config);
  if (json) {
    io.out(
      JSON.stringify(
        {
          name,
          fingerprint: identity.fingerprint,
          nodeKey: identity.nodeKey,
          signingKey: identity.signPublic,
          sealingKey: identity.sealPublic,
          file: identity.file,
        },
        null,
        2,
      ),
    );
    return 0;
  }
  io.out(
    [
      `name         ${name}`,
      `fingerprint  ${identity.fingerprint}`,
      `signing key  ${identity.signPublic} (Ed25519)`,
      `sealing key  ${identity.sealPublic} (X25519)`,
      `key file     ${identity.file} (keep it private: mode 0600)`,
      '',
      'On each machine that should trust this one, run:',
      `  prechew peers trust ${identity.nodeKey} --name ${name}`,
      '(or save this line to a file and run `prechew peers trust FILE`)',
      `${identity.nodeKey} ${name}`,
    ].join('\n'),
  );
  return 0;
}

/** Reads `prechew1.… name` from the argument, or from a file that holds such a line. */
function keyAndName(arg: string, name: string | undefined): { key: string; name: string } {
  let text = arg;
  if (!arg.startsWith('prechew1.') && existsSync(arg)) {
    const line = readFileSync(arg, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.startsWith('prechew1.'));
    if (!line)
      throw new PrechewError(
        'INVALID_INPUT',
        `${arg} holds no node key (a line starting with "prechew1.", as \`prechew id\` prints).`,
      );
    text = line;
  }
  const [token, comment] = text.trim().split(/\s+/, 2);
  const key = parseNodeKey(token ?? '');
  const chosen = name ?? comment;
  if (!chosen)
    throw new PrechewError('INVALID_INPUT', 'Give the peer a name: prechew peers trust <key> --name laptop');
  return { key: key.nodeKey, name: chosen };
}

function table(rows: PeerRow[]): string {
  if (rows.length === 0)
    return 'No peers found. Add mesh.peers URLs, or turn on mesh.discovery.mdns / mesh.discovery.tailscale.';
  const ms = (v: number | undefined): string => (v === undefined ? '-' : `${Math.round(v)} ms`);
  const ago = (t: number | undefined): string =>
    t === undefined ? 'never' : `${Math.max(0, Math.round((Date.now() - t) / 1000))} s ago`;
  const header = [
    'name',
    'fingerprint',
    'trusted',
    'reachable',
    'latency',
    'free',
    'state',
    'units done/failed',
    'kinds',
    'models',
    'last seen',
    'source',
  ];
  const lines = rows.map((r) => [
    r.name,
    r.fingerprint ?? '-',
    r.trusted ? 'yes' : 'no',
    r.reachable ? 'yes' : 'no',
    ms(r.latencyMs),
    r.freeSlots === undefined ? '-' : String(r.freeSlots),
    r.excluded
      ? `EXCLUDED: ${r.excluded}`
      : r.accepting === undefined
        ? (r.error ?? '-')
        : r.accepting
          ? 'accepting'
          : `busy: ${r.acceptReason ?? ''}`,
    r.unitsDone === undefined ? '-' : `${r.unitsDone}/${r.unitsFailed ?? 0}`,
    r.kinds.join(',') || '-',
    [r.models.llm, r.models.whisper].filter(Boolean).join(', ') || '-',
    ago(r.lastSeen),
    `${r.source} ${r.url}`,
  ]);
  const widths = header.map((h, i) => Math.min(48, Math.max(h.length, ...lines.map((l) => l[i]!.length))));
  const fmt = (cells: string[]): string =>
    cells
      .map((c, i) => (c.length > widths[i]! ? c.slice(0, widths[i]! - 1) + '…' : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(header), ...lines.map(fmt)].join('\n');
}

export async function peersCommand(
  argv: string[],
  config: Config,
  registry: UnitRegistry,
  version: string,
  io: CommandIo,
): Promise<number> {
  const [sub, ...rest] = argv;
  const flag = (name: string): string | undefined => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const dir = dataDir(config);
  if (sub === 'trust') {
    const arg = rest.find((a, i) => !a.startsWith('--') && rest[i - 1] !== '--name');
    if (!arg)
      throw new PrechewError('INVALID_INPUT', 'Usage: prechew peers trust <node key | file> [--name NAME]');
    const entry = keyAndName(arg, flag('--name'));
    if (config.mesh.trusted.some((t) => t.name === entry.name))
      throw new PrechewError(
        'INVALID_INPUT',
        `"${entry.name}" is already trusted in the config file (mesh.trusted).`,
      );
    writeTrustFile(dir, addTrustedEntry(readTrustFile(dir), entry));
    io.out(
      `Trusted "${entry.name}" (${parseNodeKey(entry.key).fingerprint}). Saved in ${trustFilePath(dir)}; a running prechew picks it up when restarted.`,
    );
    return 0;
  }
  if (sub === 'untrust') {
    const name = rest[0];
    if (!name) throw new PrechewError('INVALID_INPUT', 'Usage: prechew peers untrust <name>');
    if (config.mesh.trusted.some((t) => t.name === name))
      throw new PrechewError(
        'INVALID_INPUT',
        `"${name}" is trusted in the config file (mesh.trusted): remove it there.`,
      );
    writeTrustFile(dir, removeTrustedEntry(readTrustFile(dir), name));
    io.out(`"${name}" is no longer trusted.`);
    return 0;
  }
  if (sub !== undefined && sub !== 'list' && !sub.startsWith('--'))
    throw new PrechewError('INVALID_INPUT', `Unknown peers command "${sub}": use list, trust or untrust.`);
  const json = argv.includes('--json');
  const waitSeconds = Number(flag('--wait') ?? (config.mesh.discovery.mdns ? 3 : 0));
  const m = config.mesh;
  const mesh = await MeshService.start({
    settings: { ...m, name: nodeName(config), accept: 'never', offload: 'off', corruptOutputs: false },
    dataDir: dir,
    registry,
    version,
  });
  try {
    if (m.nats.url) {
      // JetStream nodes come from the registry in KV, beside the direct peers.
      const { attachNats } = await import('./nats/attach.js');
      await attachNats(mesh, m, {
        work: false,
        offload: false,
        version,
        name: nodeName(config),
        models: () => ({}),
        wait: true,
      }).catch((error: unknown) => io.err(`prechew: JetStream nodes not listed: ${(error as Error).message}`));
    }
    if (waitSeconds > 0) await new Promise((r) => setTimeout(r, waitSeconds * 1000));
    await mesh.refresh();
    const rows = await mesh.allPeerRows();
    // Verdicts of the node serving from this data directory (peers it caught returning wrong results).
    const excluded = mesh.exclusions();
    const notListed = excluded.filter((v) => !rows.some((r) => r.excluded !== undefined && r.name === v.name));
    io.out(
      json
        ? JSON.stringify(
            { self: { name: nodeName(config), fingerprint: mesh.identity.fingerprint }, peers: rows, excluded },
            null,
            2,
          )
        : [
            table(rows),
            ...notListed.map((v) => `EXCLUDED (not reachable now): ${v.name}${v.fingerprint ? ` (${v.fingerprint})` : ''}: ${v.reason}`),
          ].join('\n'),
    );
  } finally {
    await mesh.stop();
  }
  return 0;
}
