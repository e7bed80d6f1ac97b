/**
 * Messages on the JetStream transport. The signed manifest and result claim are part 1's envelope,
 * unchanged; what is new is how a payload travels (inline or by reference into the Object Store)
 * and the per-unit data key, which the requester releases to the worker that claims the unit.
 */
import { z } from 'zod';
import { signedManifestSchema, signedResultSchema } from '../peer-protocol.js';

const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);
const b64url = z.string().regex(/^[A-Za-z0-9_-]+$/);
const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

export const payloadRefSchema = z.union([
  z.object({ inline: b64 }).strict(),
  z
    .object({
      /** Object Store name; the sha256 of the stored (sealed) bytes is checked on read. */
      object: z.string().min(1).max(200),
      sha256: hex64,
      bytes: z.number().int().nonnegative(),
    })
    .strict(),
]);
export type PayloadRef = z.infer<typeof payloadRefSchema>;

export const workMessageSchema = z
  .object({ v: z.literal(1), manifest: signedManifestSchema, payload: payloadRefSchema })
  .strict();
export type WorkMessage = z.infer<typeof workMessageSchema>;

export const failureSchema = z
  .object({
    v: z.literal(1),
    unitId: z.string().min(1).max(200),
    manifestDigest: hex64,
    worker: b64url,
    code: z.string().max(40),
    message: z.string().max(500),
    deliveries: z.number().int().nonnegative(),
    at: z.number().int(),
  })
  .strict();
export const signedFailureSchema = z.object({ failure: failureSchema, signature: b64url }).strict();
export type SignedFailure = z.infer<typeof signedFailureSchema>;

export const resultMessageSchema = z.discriminatedUnion('type', [
  z.object({ v: z.literal(1), type: z.literal('result'), result: signedResultSchema, payload: payloadRefSchema }).strict(),
  z.object({ v: z.literal(1), type: z.literal('failed'), failure: signedFailureSchema }).strict(),
  /** From the hub: the unit was delivered max_deliver times without an answer (a hint, unsigned). */
  z
    .object({
      v: z.literal(1),
      type: z.literal('dead'),
      unitId: z.string().max(200),
      manifestDigest: hex64,
      deliveries: z.number().int(),
    })
    .strict(),
]);
export type ResultMessage = z.infer<typeof resultMessageSchema>;

export const keyRequestSchema = z
  .object({
    request: z
      .object({
        v: z.literal(1),
        unitId: z.string().min(1).max(200),
        manifestDigest: hex64,
        worker: b64url,
        at: z.number().int(),
        nonce: b64url.max(64),
      })
      .strict(),
    signature: b64url,
  })
  .strict();
export type KeyRequest = z.infer<typeof keyRequestSchema>;

export const keyReplySchema = z.union([
  z.object({ key: b64 }).strict(),
  z.object({ refused: z.string().max(40), message: z.string().max(300) }).strict(),
]);
export type KeyReply = z.infer<typeof keyReplySchema>;

/** Associated data binding a released data key to one manifest and one worker. */
export function dataKeyAad(manifestDigest: string, worker: string): Buffer {
  return Buffer.from(`prechew-unit-key:${manifestDigest}:${worker}`);
}

export function encodeJson(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value));
}

export function decodeJson(data: Uint8Array): unknown {
  return JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
}
