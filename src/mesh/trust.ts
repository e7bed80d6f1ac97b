/**
 * The trust list: like SSH's authorized_keys, only the node keys listed here (with a name each) may
 * send units to this node or return results to it. There is no trust on first use.
 */
import { PrechewError } from '../errors.js';
import { parseNodeKey, type PublicNodeKey } from './keys.js';

export interface TrustedPeerEntry {
  name: string;
  key: string;
}

export interface TrustedPeer extends PublicNodeKey {
  readonly name: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function validPeerName(name: string): boolean {
  return NAME.test(name);
}

export class TrustList {
  private readonly bySign = new Map<string, TrustedPeer>();
  private readonly byName = new Map<string, TrustedPeer>();

  constructor(entries: readonly TrustedPeerEntry[] = []) {
    for (const entry of entries) {
      if (!validPeerName(entry.name)) {
        throw new PrechewError(
          'CONFIG_INVALID',
          `mesh.trusted: "${entry.name}" is not a valid peer name (letters, digits, '.', '_', '-').`,
        );
      }
      let key: PublicNodeKey;
      try {
        key = parseNodeKey(entry.key);
      } catch (error) {
        throw new PrechewError(
          'CONFIG_INVALID',
          `mesh.trusted: the key of "${entry.name}" is invalid: ${(error as Error).message}`,
        );
      }
      if (this.byName.has(entry.name))
        throw new PrechewError('CONFIG_INVALID', `mesh.trusted: the name "${entry.name}" is listed twice.`);
      const peer: TrustedPeer = { ...key, name: entry.name };
      this.bySign.set(key.signPublic, peer);
      this.byName.set(entry.name, peer);
    }
  }

  get size(): number {
    return this.byName.size;
  }

  peers(): TrustedPeer[] {
    return [...this.byName.values()];
  }

  /** The trusted peer that owns this Ed25519 public key, or undefined. */
  bySigningKey(signPublic: string): TrustedPeer | undefined {
    return this.bySign.get(signPublic);
  }

  byPeerName(name: string): TrustedPeer | undefined {
    return this.byName.get(name);
  }

  /** Like bySigningKey, but refuses an unknown key with a clear error. */
  require(signPublic: string): TrustedPeer {
    const peer = this.bySign.get(signPublic);
    if (!peer) {
      throw new PrechewError(
        'PEER_REFUSED',
        'The sending node is not trusted here. Its owner can print its key with `prechew id`; trust it with `prechew peers trust <key>`.',
        {
          reason: 'untrusted',
        },
      );
    }
    return peer;
  }
}

/** Returns the entries with `entry` added (a new name, or the same key under a new name is refused). */
export function addTrustedEntry(
  entries: readonly TrustedPeerEntry[],
  entry: TrustedPeerEntry,
): TrustedPeerEntry[] {
  const key = parseNodeKey(entry.key);
  if (!validPeerName(entry.name))
    throw new PrechewError(
      'INVALID_INPUT',
      `"${entry.name}" is not a valid peer name (letters, digits, '.', '_', '-', at most 63).`,
    );
  for (const existing of entries) {
    if (existing.name === entry.name)
      throw new PrechewError(
        'INVALID_INPUT',
        `A peer named "${entry.name}" is already trusted; untrust it first or pick another name.`,
      );
    if (parseNodeKey(existing.key).signPublic === key.signPublic) {
      throw new PrechewError('INVALID_INPUT', `This key is already trusted as "${existing.name}".`);
    }
  }
  return [...entries, { name: entry.name, key: key.nodeKey }];
}

export function removeTrustedEntry(entries: readonly TrustedPeerEntry[], name: string): TrustedPeerEntry[] {
  const rest = entries.filter((e) => e.name !== name);
  if (rest.length === entries.length)
    throw new PrechewError('NOT_FOUND', `No trusted peer is named "${name}". \`prechew peers\` lists them.`);
  return rest;
}
