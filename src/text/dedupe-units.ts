/**
 * Dedupe's unit: a signature batch. Near-duplicate detection spends most of its time computing
 * MinHash signatures; a batch of texts goes out, their LSH band keys (a few bytes per item) come
 * back, and the rest (exact keys, verification of candidate pairs, grouping) stays with the
 * requester, which holds every item. Pure and deterministic: same texts and parameters, same keys
 * on every node, so quorum can compare them.
 */
import { signatureBandKeys, type SignatureParams } from './dedupe.js';

export const DEDUPE_SIGNATURES_UNIT = 'dedupe.signatures';

export interface DedupeSignaturesInput extends SignatureParams {
  texts: string[];
}

export interface DedupeSignaturesOutput {
  /** texts.length × bands band keys, unsigned 32-bit little-endian, base64. */
  keys: string;
}

/** Text per signature batch: about 1 MB, or fewer when the job is cut for more slots. */
export const SIGNATURE_BATCH_CHARS = 1_000_000;

export function dedupeSignaturesUnit(input: DedupeSignaturesInput): DedupeSignaturesOutput {
  const keys = signatureBandKeys(input.texts, input);
  const bytes = Buffer.alloc(keys.length * 4);
  for (let i = 0; i < keys.length; i++) bytes.writeUInt32LE(keys[i] as number, i * 4);
  return { keys: bytes.toString('base64') };
}

export function decodeBandKeys(output: DedupeSignaturesOutput): Uint32Array {
  const bytes = Buffer.from(output.keys, 'base64');
  const keys = new Uint32Array(bytes.length >>> 2);
  for (let i = 0; i < keys.length; i++) keys[i] = bytes.readUInt32LE(i * 4);
  return keys;
}

/** Cuts texts into contiguous batches of about `SIGNATURE_BATCH_CHARS`, and at least `slots` of them. */
export function signatureBatches(texts: readonly string[], slots: number): Array<{ start: number; end: number }> {
  let total = 0;
  for (const t of texts) total += t.length;
  const count = Math.max(1, Math.min(texts.length, Math.max(slots, Math.ceil(total / SIGNATURE_BATCH_CHARS))));
  const target = total / count;
  const batches: Array<{ start: number; end: number }> = [];
  let start = 0;
  let seen = 0;
  for (let i = 0; i < texts.length && batches.length < count - 1; i++) {
    seen += texts[i]!.length;
    // Cut at the running share of the text, or when each batch left needs one of the items left.
    if (seen >= target * (batches.length + 1) || texts.length - (i + 1) === count - batches.length - 1) {
      batches.push({ start, end: i + 1 });
      start = i + 1;
    }
  }
  if (start < texts.length) batches.push({ start, end: texts.length });
  return batches;
}
