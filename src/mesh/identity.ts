/**
 * This node's identity: an Ed25519 signing key and an X25519 sealing key, created on first run in
 * the data directory (file mode 0600) and loaded on later runs. Private keys never leave this module
 * except as KeyObjects handed to the signing and sealing functions.
 */
import { generateKeyPairSync, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { PrechewError } from '../errors.js';
import { log } from '../log.js';
import { makePublicNodeKey, rawPublicKey, type PublicNodeKey } from './keys.js';

export const IDENTITY_FILE = 'node-identity.json';

export interface NodeIdentity extends PublicNodeKey {
  /** Signs bytes with the Ed25519 key; returns the signature in base64url. */
  signBytes(data: Uint8Array): string;
  /** The X25519 private key, for opening sealed payloads addressed to this node. */
  readonly sealPrivate: KeyObject;
  readonly file: string;
}

interface IdentityFile {
  version: 1;
  created: string;
  sign: { d: string; x: string };
  seal: { d: string; x: string };
}

function fromPrivateKeys(signPrivate: KeyObject, sealPrivate: KeyObject, file: string): NodeIdentity {
  const pub = makePublicNodeKey(
    rawPublicKey(createPublicKey(signPrivate)),
    rawPublicKey(createPublicKey(sealPrivate)),
  );
  return {
    ...pub,
    sealPrivate,
    file,
    signBytes: (data) => sign(null, data, signPrivate).toString('base64url'),
  };
}

function privateFromJwk(curve: 'Ed25519' | 'X25519', part: { d: string; x: string }): KeyObject {
  return createPrivateKey({ key: { kty: 'OKP', crv: curve, d: part.d, x: part.x }, format: 'jwk' });
}

function readIdentity(file: string): NodeIdentity {
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) {
    log.warn(`mesh: ${file} was readable by other users (mode ${mode.toString(8)}); setting it to 0600`);
    chmodSync(file, 0o600);
  }
  let parsed: IdentityFile;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as IdentityFile;
    if (parsed.version !== 1) throw new Error('version');
    return fromPrivateKeys(
      privateFromJwk('Ed25519', parsed.sign),
      privateFromJwk('X25519', parsed.seal),
      file,
    );
  } catch {
    throw new PrechewError(
      'CONFIG_INVALID',
      `The node identity file ${file} is unreadable or damaged. Restore it from a backup, or move it aside to create a new identity (peers must then trust the new key).`,
    );
  }
}

function privateJwk(key: KeyObject): { d: string; x: string } {
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.d !== 'string' || typeof jwk.x !== 'string') throw new TypeError('not an OKP private key');
  return { d: jwk.d, x: jwk.x };
}

/**
 * Loads the node identity from `dataDir`, creating it on first run. Two processes starting at once
 * agree on one identity: the file is written under a temporary name and hard-linked into place,
 * which fails if the other process got there first, and then its identity is read.
 */
export function loadOrCreateIdentity(dataDir: string): NodeIdentity {
  const file = path.join(dataDir, IDENTITY_FILE);
  try {
    return readIdentity(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const signPair = generateKeyPairSync('ed25519');
  const sealPair = generateKeyPairSync('x25519');
  const body: IdentityFile = {
    version: 1,
    created: new Date().toISOString(),
    sign: privateJwk(signPair.privateKey),
    seal: privateJwk(sealPair.privateKey),
  };
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify(body, null, 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(tmp);
  }
  return readIdentity(file);
}
