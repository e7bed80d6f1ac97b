/**
 * Payloads too large for one message (1 MiB by default) go through the Object Store; the message
 * carries a reference with the sha256 of the stored bytes, which the reader checks before it
 * opens anything. Stored bytes are always sealed, so the bucket holds only ciphertext.
 */
import { randomBytes } from 'node:crypto';
import type { ObjectStore } from '@nats-io/obj';
import { PrechewError } from '../../errors.js';
import { sha256Hex } from '../envelope.js';
import type { PayloadRef } from './wire.js';

export async function storePayload(
  store: () => Promise<ObjectStore>,
  sealed: Uint8Array,
  thresholdBytes: number,
): Promise<PayloadRef> {
  if (sealed.byteLength <= thresholdBytes) return { inline: Buffer.from(sealed).toString('base64') };
  const digest = sha256Hex(sealed);
  const name = `${digest}.${randomBytes(6).toString('hex')}`;
  await (await store()).putBlob({ name }, sealed);
  return { object: name, sha256: digest, bytes: sealed.byteLength };
}

export async function loadPayload(
  store: () => Promise<ObjectStore>,
  ref: PayloadRef,
  maxBytes: number,
): Promise<Buffer> {
  if ('inline' in ref) return Buffer.from(ref.inline, 'base64');
  if (ref.bytes > maxBytes)
    throw new PrechewError('PEER_REFUSED', `The payload (${ref.bytes} bytes) is over this node's limit.`, {
      reason: 'too-large',
    });
  let blob: Uint8Array | null;
  try {
    blob = await (await store()).getBlob(ref.object);
  } catch (error) {
    // The store checks its own chunk digest too; a mismatch there is the same refusal.
    if (/digest/i.test((error as Error).message))
      throw new PrechewError(
        'PEER_REFUSED',
        'The Object Store payload does not match the digest in its message (altered or corrupted).',
        { reason: 'digest-mismatch' },
      );
    throw error;
  }
  if (!blob)
    throw new PrechewError('PEER_REFUSED', `The payload ${ref.object.slice(0, 16)}… is missing from the Object Store.`, {
      reason: 'payload-missing',
    });
  const bytes = Buffer.from(blob);
  if (bytes.length !== ref.bytes || sha256Hex(bytes) !== ref.sha256)
    throw new PrechewError(
      'PEER_REFUSED',
      'The Object Store payload does not match the digest in its message (altered or corrupted).',
      { reason: 'digest-mismatch' },
    );
  return bytes;
}

