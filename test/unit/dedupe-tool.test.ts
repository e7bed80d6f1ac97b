/**
 * The dedupe tool through invokeTool on a real Debian copyright file: split into paragraphs or
 * lines, every distinct stanza and contributor line survives, and the groups it reports name a
 * kept item the dropped one is itself similar to.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { dedupeTool } from '../../src/tools/dedupe.js';
import { callTool, makeTestApp } from '../helpers/app.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/real/dedupe');
const ADDUSER = readFileSync(path.join(FIXTURES, 'copyright-adduser.txt'), 'utf8');

interface Output {
  stats: { itemsIn: number; itemsOut: number; threshold: number };
  groups: Array<{ kept: { id: string; index: number }; dropped: Array<{ id: string; similarity: number; reason: string }> }>;
  unique: Array<{ id: string; index: number; text?: string }>;
}

describe('dedupe tool', () => {
  const app = makeTestApp();
  afterAll(async () => {
    await app.dispose();
  });

  it('keeps every stanza of a copyright file split into paragraphs', async () => {
    const res = await callTool(app, dedupeTool, { text: ADDUSER });
    expect(res.isError).toBe(false);
    const out = res.structured as unknown as Output;
    const kept = out.unique.map((u) => u.text ?? '').join('\n');
    for (const files of ['Files: doc/adduser.conf.5', 'Files: doc/deluser.conf.5', 'Files: doc/deluser.8', 'Files: doc/adduser.8'])
      expect(kept).toContain(files);
    expect(out.stats.itemsOut).toBe(out.stats.itemsIn);
  });

  it('splits into lines, drops only repeated lines and reports similarity to the kept line', async () => {
    const res = await callTool(app, dedupeTool, { text: ADDUSER, split: 'lines' });
    expect(res.isError).toBe(false);
    const out = res.structured as unknown as Output;
    const lines = ADDUSER.split('\n').filter((l) => l.trim() !== '');
    expect(out.stats.itemsIn).toBe(lines.length);
    expect(out.unique[0]?.id).toBe('l1');
    const kept = new Set(out.unique.map((u) => (u.text ?? '').trim()));
    expect([...kept].some((l) => l.includes('Justin B Rye'))).toBe(true);
    // Each contributor appears in many stanzas; the distinct year ranges stay.
    expect(kept.has('2006-2009 Jörg Hoh <joerg@joerghoh.de>')).toBe(true);
    expect(kept.has('2005-2009 Jörg Hoh <joerg@joerghoh.de>')).toBe(true);
    for (const g of out.groups)
      for (const d of g.dropped) expect(d.similarity).toBeGreaterThanOrEqual(out.stats.threshold);
    expect(res.text).toMatch(/^Deduplicated \d+ items/);
  });

  it('rejects an unknown split with the valid values', async () => {
    const res = await callTool(app, dedupeTool, { text: 'a', split: 'sentences' });
    expect(res.error?.code).toBe('INVALID_INPUT');
    expect(res.text).toContain('"lines"');
  });
});
