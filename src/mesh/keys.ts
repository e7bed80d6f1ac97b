/**
 * Node public keys: an Ed25519 key that signs and a separate X25519 key that receives sealed
 * payloads. node:crypto cannot derive one from the other, so a node has both and publishes both as
 * one copyable string, `prechew1.<ed25519>.<x25519>` (raw 32-byte keys, base64url).
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { PrechewError } from '../errors.js';

export const NODE_KEY_PREFIX = 'prechew1';

export interface PublicNodeKey {
  /** The copyable form: `prechew1.<sign>.<seal>`. */
  readonly nodeKey: string;
  /** Raw Ed25519 public key, base64url. */
  readonly signPublic: string;
  /** Raw X25519 public key, base64url. */
  readonly sealPublic: string;
  readonly fingerprint: string;
  readonly signKey: KeyObject;
  readonly sealKey: KeyObject;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding (fingerprints here; NKeys use the same alphabet). */
export function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** A short, human-comparable fingerprint of both public keys (100 bits, five groups of four). */
export function fingerprintOf(signRaw: Uint8Array, sealRaw: Uint8Array): string {
  const digest = createHash('sha256')
    .update('prechew-node-fingerprint-v1\0')
    .update(signRaw)
    .update(sealRaw)
    .digest();
  return (base32(digest).slice(0, 20).match(/.{4}/g) ?? []).join('-');
}

function rawFromBase64url(text: string, what: string): Buffer {
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) {
    throw new PrechewError('INVALID_INPUT', `The ${what} in the node key is not a 32-byte base64url value.`);
  }
  const raw = Buffer.from(text, 'base64url');
  if (raw.length !== 32)
    throw new PrechewError('INVALID_INPUT', `The ${what} in the node key is not 32 bytes.`);
  return raw;
}

export function publicKeyFromRaw(raw: string, curve: 'Ed25519' | 'X25519'): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: curve, x: raw }, format: 'jwk' });
}

export function rawPublicKey(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new TypeError('not an OKP public key');
  return jwk.x;
}

export function makePublicNodeKey(signPublic: string, sealPublic: string): PublicNodeKey {
  const signRaw = rawFromBase64url(signPublic, 'signing key');
  const sealRaw = rawFromBase64url(sealPublic, 'sealing key');
  return {
    nodeKey: `${NODE_KEY_PREFIX}.${signPublic}.${sealPublic}`,
    signPublic,
    sealPublic,
    fingerprint: fingerprintOf(signRaw, sealRaw),
    signKey: publicKeyFromRaw(signPublic, 'Ed25519'),
    sealKey: publicKeyFromRaw(sealPublic, 'X25519'),
  };
}

/** Parses `prechew1.<sign>.<seal>` (surrounding whitespace and a trailing comment are ignored). */
export function parseNodeKey(text: string): PublicNodeKey {
  const token = text.trim().split(/\s+/)[0] ?? '';
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== NODE_KEY_PREFIX) {
    throw new PrechewError(
      'INVALID_INPUT',
      `Not a prechew node key: expected "${NODE_KEY_PREFIX}.<signing key>.<sealing key>" as printed by \`prechew id\`.`,
    );
  }
  return makePublicNodeKey(parts[1] ?? '', parts[2] ?? '');
}
