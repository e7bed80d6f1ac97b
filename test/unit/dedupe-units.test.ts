import { describe, expect, it } from 'vitest';
import { DEFAULT_NUM_HASHES, DEFAULT_SHINGLE_SIZE, dedupeItems, signatureBandKeys, type SignatureParams } from '../../src/text/dedupe.js';
import { decodeBandKeys, dedupeSignaturesUnit, signatureBatches } from '../../src/text/dedupe-units.js';
import { generateNearDupCorpus } from '../../bench/near-dup-corpus.js';

// Dedupe's signature batches (the unit a mesh sends to peers) must give the result an
// in-process run gives, byte for byte.
describe('dedupe signature batches', () => {
  const corpus = generateNearDupCorpus({ bases: 120, copiesPerBase: 3, seed: 7 });
  const items = corpus.items.map((it, i) => ({ id: `i${i}`, text: it.text }));

  it('batched band keys (encoded as a unit output and decoded) equal the in-process ones', async () => {
    let seen: SignatureParams | undefined;
    let calls = 0;
    const local = await dedupeItems(items, { mode: 'near' });
    const batched = await dedupeItems(items, {
      mode: 'near',
      computeBandKeys: (texts, params) => {
        calls++;
        seen = params;
        const batches = signatureBatches(texts, 5);
        expect(batches.length).toBeGreaterThanOrEqual(5);
        expect(batches[0]!.start).toBe(0);
        expect(batches.at(-1)!.end).toBe(texts.length);
        const keys = new Uint32Array(texts.length * params.bands);
        for (const b of batches) {
          const out = dedupeSignaturesUnit({ texts: texts.slice(b.start, b.end), ...params });
          keys.set(decodeBandKeys(JSON.parse(JSON.stringify(out)) as typeof out), b.start * params.bands);
        }
        return Promise.resolve(keys);
      },
    });
    expect(calls).toBe(1);
    expect(seen).toMatchObject({ shingleSize: DEFAULT_SHINGLE_SIZE, numHashes: DEFAULT_NUM_HASHES });
    expect(local.groups.length).toBeGreaterThan(20);
    expect(JSON.stringify(batched)).toBe(JSON.stringify(local));
  });

  it('wrong keys from a batch change the result (the keys are really used) and a short answer is refused', async () => {
    const local = await dedupeItems(items, { mode: 'near' });
    const scrambled = await dedupeItems(items, {
      mode: 'near',
      computeBandKeys: (texts, params) => Promise.resolve(signatureBandKeys(texts.map((_, i) => `unrelated ${i}`), params)),
    });
    expect(scrambled.keptIndices.length).toBeGreaterThan(local.keptIndices.length);
    await expect(dedupeItems(items, { mode: 'near', computeBandKeys: () => Promise.resolve(new Uint32Array(3)) })).rejects.toThrow(/band keys/);
  });

  it('batches cover every text once, in order', () => {
    const texts = Array.from({ length: 101 }, (_, i) => 'x'.repeat(1 + (i % 7)));
    for (const slots of [1, 3, 50, 200]) {
      const b = signatureBatches(texts, slots);
      expect(b.length).toBe(Math.min(texts.length, slots));
      for (let i = 1; i < b.length; i++) expect(b[i]!.start).toBe(b[i - 1]!.end);
      expect(b.at(-1)!.end).toBe(101);
    }
  });
});
