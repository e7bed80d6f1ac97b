/**
 * The node's trust file, `<data dir>/trusted-peers.json`: the list that `prechew peers trust` and
 * `prechew peers untrust` edit (like ~/.ssh/authorized_keys). Entries in `mesh.trusted` in the
 * config are trusted too; a name may appear in only one of the two.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { PrechewError } from '../errors.js';
import type { TrustedPeerEntry } from './trust.js';

export const TRUST_FILE = 'trusted-peers.json';

export function trustFilePath(dataDir: string): string {
  return path.join(dataDir, TRUST_FILE);
}

export function readTrustFile(dataDir: string): TrustedPeerEntry[] {
  const file = trustFilePath(dataDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as { peers?: unknown };
    const peers = Array.isArray(parsed.peers) ? parsed.peers : [];
    return peers.filter(
      (p): p is TrustedPeerEntry =>
        typeof p === 'object' &&
        p !== null &&
        typeof (p as TrustedPeerEntry).name === 'string' &&
        typeof (p as TrustedPeerEntry).key === 'string',
    );
  } catch {
    throw new PrechewError(
      'CONFIG_INVALID',
      `${file} is not valid JSON; fix it or remove it (then trust peers again with \`prechew peers trust\`).`,
    );
  }
}

/** Writes the trust file atomically (temp file, fsync, rename) with mode 0600. */
export function writeTrustFile(dataDir: string, peers: TrustedPeerEntry[]): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = trustFilePath(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify({ peers }, null, 2) + '\n');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, file);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    throw error;
  }
}
