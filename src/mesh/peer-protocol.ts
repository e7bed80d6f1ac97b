/**
 * The messages peers exchange over MCP (tools `run-unit` and `node-status` on the `/mesh`
 * endpoint). Everything a peer sends is checked against these schemas before it is believed.
 */
import { z } from 'zod';

const b64url = z.string().regex(/^[A-Za-z0-9_-]+$/);
const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

export const manifestSchema = z
  .object({
    v: z.literal(1),
    unitId: z.string().min(1).max(200),
    kind: z.string().min(1).max(100),
    kindVersion: z.string().min(1).max(50),
    inputDigest: hex64,
    inputBytes: z.number().int().nonnegative(),
    requester: b64url,
    worker: b64url.optional(),
    issuedAt: z.number().int(),
    deadline: z.number().int(),
    nonce: b64url.max(64),
  })
  .strict();

export const signedManifestSchema = z.object({ manifest: manifestSchema, signature: b64url }).strict();

export const resultClaimSchema = z
  .object({
    v: z.literal(1),
    unitId: z.string().min(1).max(200),
    manifestDigest: hex64,
    outputDigest: hex64,
    outputBytes: z.number().int().nonnegative(),
    worker: b64url,
    engine: z
      .object({
        name: z.string().max(100),
        version: z.string().max(100),
        model: z.string().max(300).optional(),
      })
      .strict(),
    startedAt: z.number().int(),
    finishedAt: z.number().int(),
  })
  .strict();

export const signedResultSchema = z.object({ claim: resultClaimSchema, signature: b64url }).strict();

export const runUnitInputSchema = z.object({
  manifest: signedManifestSchema,
  /** The unit input (canonical JSON), sealed to the worker, base64. */
  payload: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/),
});

export const runUnitOutputSchema = z.object({
  result: signedResultSchema,
  /** The unit output (canonical JSON), sealed to the requester, base64. */
  payload: z.string(),
});

export const statusRequestSchema = z
  .object({
    from: b64url,
    nonce: b64url.max(64),
    at: z.number().int(),
    signature: b64url,
  })
  .strict();

export const nodeStatusSchema = z
  .object({
    v: z.literal(1),
    nodeKey: z.string(),
    fingerprint: z.string(),
    name: z.string().max(100),
    version: z.string().max(50),
    accept: z
      .object({
        mode: z.enum(['never', 'idle', 'always']),
        accepting: z.boolean(),
        reason: z.string().max(300),
      })
      .strict(),
    slots: z.object({ max: z.number().int().nonnegative(), free: z.number().int().nonnegative() }).strict(),
    kinds: z.array(z.string().max(100)).max(200),
    models: z
      .object({ llm: z.string().max(300).optional(), whisper: z.string().max(300).optional() })
      .strict(),
    unitsDone: z.number().int().nonnegative(),
    unitsFailed: z.number().int().nonnegative(),
    load: z.number().min(0).max(1).optional(),
    /** The nonce of the request this answers, so an old status cannot be replayed as fresh. */
    requestNonce: b64url.max(64),
    at: z.number().int(),
  })
  .strict();

export const signedStatusSchema = z.object({ status: nodeStatusSchema, signature: b64url }).strict();

export type NodeStatus = z.infer<typeof nodeStatusSchema>;
export type SignedStatus = z.infer<typeof signedStatusSchema>;
export type StatusRequest = z.infer<typeof statusRequestSchema>;

/** Associated data binding a sealed payload to one manifest and one direction. */
export function payloadAad(manifestDigest: string, direction: 'input' | 'output'): Buffer {
  return Buffer.from(`prechew-unit:${direction}:${manifestDigest}`);
}
