/**
 * End-to-end sealing of unit payloads to one recipient: ephemeral X25519 key agreement, HKDF-SHA256
 * to a one-time AES-256-GCM key, the caller's associated data (the manifest digest) bound into the
 * tag. Whoever relays the bytes (a proxy, a tailnet, a message broker) sees only ciphertext.
 *
 * Layout: "PCS1" | ephemeral public key (32) | IV (12) | tag (16) | ciphertext.
 */
import {
  createCipheriv,
  createDecipheriv,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { PrechewError } from '../errors.js';
import { publicKeyFromRaw, rawPublicKey } from './keys.js';

const MAGIC = Buffer.from('PCS1', 'ascii');
const HEADER = MAGIC.length + 32 + 12 + 16;
const INFO = Buffer.from('prechew-seal-v1', 'ascii');

function deriveKey(shared: Buffer, ephemeralRaw: Buffer, recipientRaw: Buffer): Buffer {
  // A low-order peer key makes the shared secret all zeros; refuse it rather than encrypt under it.
  if (shared.every((b) => b === 0))
    throw new PrechewError('PEER_REFUSED', 'The sealing key agreement failed (invalid public key).', {
      reason: 'bad-key',
    });
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeralRaw, recipientRaw]), INFO, 32));
}

export function sealPayload(
  recipientSealKey: KeyObject,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
): Buffer {
  const ephemeral = generateKeyPairSync('x25519');
  const ephemeralRaw = Buffer.from(rawPublicKey(ephemeral.publicKey), 'base64url');
  const recipientRaw = Buffer.from(rawPublicKey(recipientSealKey), 'base64url');
  const key = deriveKey(
    diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipientSealKey }),
    ephemeralRaw,
    recipientRaw,
  );
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(associatedData);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([MAGIC, ephemeralRaw, iv, cipher.getAuthTag(), body]);
}

export function openPayload(
  recipientSealPrivate: KeyObject,
  recipientSealPublic: string,
  sealed: Uint8Array,
  associatedData: Uint8Array,
): Buffer {
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (bytes.length < HEADER || !bytes.subarray(0, 4).equals(MAGIC)) {
    throw new PrechewError('PEER_REFUSED', 'The sealed payload is malformed.', { reason: 'bad-seal' });
  }
  const ephemeralRaw = bytes.subarray(4, 36);
  const iv = bytes.subarray(36, 48);
  const tag = bytes.subarray(48, 64);
  let key: Buffer;
  try {
    const ephemeral = publicKeyFromRaw(ephemeralRaw.toString('base64url'), 'X25519');
    key = deriveKey(
      diffieHellman({ privateKey: recipientSealPrivate, publicKey: ephemeral }),
      ephemeralRaw,
      Buffer.from(recipientSealPublic, 'base64url'),
    );
  } catch (error) {
    if (error instanceof PrechewError) throw error;
    throw new PrechewError('PEER_REFUSED', 'The sealed payload is malformed.', { reason: 'bad-seal' });
  }
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(associatedData);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(bytes.subarray(HEADER)), decipher.final()]);
  } catch {
    throw new PrechewError(
      'PEER_REFUSED',
      'The sealed payload failed authentication: it was altered, sealed for another node, or bound to another manifest.',
      { reason: 'bad-seal' },
    );
  }
}
