/**
 * The node registry: each node on the JetStream mesh writes a signed entry (name, kinds, models,
 * consent, slots, load, units done) to the KV bucket under its own node token, refreshed by a
 * heartbeat; the bucket's TTL drops a node that stops refreshing. Readers believe an entry only
 * when it is signed by the trusted node whose token it is stored under.
 */
import { verify } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import { z } from 'zod';
import { canonicalJson } from '../canonical.js';
import type { NodeIdentity } from '../identity.js';
import type { TrustedPeer, TrustList } from '../trust.js';
import { nodeToken } from './subjects.js';

export const nodeEntrySchema = z
  .object({
    v: z.literal(1),
    nodeKey: z.string().max(200),
    fingerprint: z.string().max(40),
    name: z.string().max(100),
    version: z.string().max(50),
    accept: z
      .object({ mode: z.enum(['never', 'idle', 'always']), accepting: z.boolean(), reason: z.string().max(300) })
      .strict(),
    slots: z.object({ max: z.number().int().nonnegative(), free: z.number().int().nonnegative() }).strict(),
    kinds: z.array(z.string().max(100)).max(200),
    models: z.object({ llm: z.string().max(300).optional(), whisper: z.string().max(300).optional() }).strict(),
    unitsDone: z.number().int().nonnegative(),
    unitsFailed: z.number().int().nonnegative(),
    load: z.number().min(0).max(1).optional(),
    at: z.number().int(),
  })
  .strict();
export type NodeEntry = z.infer<typeof nodeEntrySchema>;

const signedEntrySchema = z.object({ entry: nodeEntrySchema, signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/) }).strict();

export async function publishEntry(kv: KV, identity: NodeIdentity, entry: NodeEntry): Promise<void> {
  const signature = identity.signBytes(Buffer.from(canonicalJson(entry)));
  await kv.put(nodeToken(identity.fingerprint), JSON.stringify({ entry, signature }));
}

export interface RegistryNode {
  peer: TrustedPeer | undefined;
  entry: NodeEntry;
  self: boolean;
}

/** Reads the entries of every trusted node (and this one), keeping only validly signed ones. */
export async function readEntries(kv: KV, trust: TrustList, identity: NodeIdentity): Promise<RegistryNode[]> {
  const wanted: Array<{ peer: TrustedPeer | undefined; signKey: TrustedPeer['signKey']; token: string; self: boolean }> = [
    ...trust.peers().map((p) => ({ peer: p, signKey: p.signKey, token: nodeToken(p.fingerprint), self: false })),
  ];
  if (!trust.bySigningKey(identity.signPublic))
    wanted.push({ peer: undefined, signKey: identity.signKey, token: nodeToken(identity.fingerprint), self: true });
  const found = await Promise.all(
    wanted.map(async (w) => {
      try {
        const e = await kv.get(w.token);
        if (!e || e.operation !== 'PUT') return undefined;
        const parsed = signedEntrySchema.safeParse(e.json());
        if (!parsed.success) return undefined;
        const ok = verify(
          null,
          Buffer.from(canonicalJson(parsed.data.entry)),
          w.signKey,
          Buffer.from(parsed.data.signature, 'base64url'),
        );
        if (!ok || nodeToken(parsed.data.entry.fingerprint) !== w.token) return undefined;
        return { peer: w.peer, entry: parsed.data.entry, self: w.self || w.peer?.signPublic === identity.signPublic };
      } catch {
        return undefined;
      }
    }),
  );
  return found.filter((x): x is RegistryNode => x !== undefined);
}
