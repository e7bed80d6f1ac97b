/**
 * The per-unit data key: the requester does not know which worker will claim a unit when it
 * enqueues it, so it seals the input under a random AES-256-GCM key (bound to the manifest) and
 * releases that key later, sealed to the claiming worker's X25519 key (seal.ts), once it has
 * checked that the worker is trusted and the unit is still pending.
 *
 * Layout: "PCK1" | IV (12) | tag (16) | ciphertext.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { PrechewError } from '../../errors.js';

const MAGIC = Buffer.from('PCK1', 'ascii');

export function newDataKey(): Buffer {
  return randomBytes(32);
}

export function encryptWithDataKey(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([MAGIC, iv, cipher.getAuthTag(), body]);
}

export function decryptWithDataKey(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Buffer {
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (bytes.length < 32 || !bytes.subarray(0, 4).equals(MAGIC))
    throw new PrechewError('PEER_REFUSED', 'The unit payload is malformed.', { reason: 'bad-seal' });
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(4, 16));
  decipher.setAAD(aad);
  decipher.setAuthTag(bytes.subarray(16, 32));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(32)), decipher.final()]);
  } catch {
    throw new PrechewError('PEER_REFUSED', 'The unit payload failed authentication (altered, or another unit).', {
      reason: 'bad-seal',
    });
  }
}
