import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { condensePrepared, prepareCorpus, prepareSource, type CondenseSource, type PreparedSource } from '../../src/text/condense.js';

// Condense's per-source preparation is the unit a mesh sends to peers: prepared elsewhere and
// sent back as JSON, it must give the context an in-process run gives, byte for byte.
const dir = new URL('../../fixtures/real/condense/', import.meta.url);
const sources: CondenseSource[] = ['bash.txt', 'find.txt', 'man-db-NEWS.md', 'zstd-README.md'].map((name) => ({
  name,
  text: readFileSync(new URL(name, dir), 'utf8'),
}));
// A converted document with page markers, so locators travel too.
sources.push({ name: 'report.pdf', text: '<!-- page 1 -->\nThe budget grew by 4% in 2024.\n\n<!-- page 2 -->\nThe council met on Tuesday. Rent is due monthly.\n' });

describe('condense: per-source preparation as units', () => {
  it('prepared through a JSON round trip, the corpus and the context equal the in-process ones', async () => {
    let calls = 0;
    const local = await prepareCorpus(sources);
    const remote = await prepareCorpus(sources, {
      prepareSources: (list) => {
        calls++;
        return Promise.resolve(list.map((s) => JSON.parse(JSON.stringify(prepareSource(s))) as PreparedSource));
      },
    });
    expect(calls).toBe(1);
    expect(local.sentences.length).toBeGreaterThan(1000);
    const strip = (c: typeof local) => ({ ...c, steps: c.steps.map((s) => ({ name: s.name, tokensAfter: s.tokensAfter })) });
    expect(JSON.stringify(strip(remote))).toBe(JSON.stringify(strip(local)));
    for (const query of [undefined, 'How do I delete files older than 7 days?', 'budget growth']) {
      const a = condensePrepared(local, { query, budgetTokens: 800 });
      const b = condensePrepared(remote, { query, budgetTokens: 800 });
      expect(b.context).toBe(a.context);
    }
    expect(condensePrepared(remote, { query: 'budget', budgetTokens: 800 }).context).toMatch(/p\.1/);
  });

  it('a preparation that loses a source is refused', async () => {
    await expect(prepareCorpus(sources, { prepareSources: (list) => Promise.resolve(list.slice(1).map(prepareSource)) })).rejects.toThrow(/returned 4 sources for 5/);
  });
});
