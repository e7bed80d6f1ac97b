import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { extractEntities } from '../../src/text/entities.js';
import { ENTITY_UNIT_CHARS, entityUnitCount, extractEntitiesUnit, mergeEntityUnits, sliceAtParagraphs } from '../../src/text/entities-units.js';
import { extractEntitiesTool } from '../../src/tools/extract-entities.js';
import { callTool, makeTestApp } from '../helpers/app.js';

export function corpus(paragraphs: number): string {
  const out: string[] = [];
  for (let i = 0; i < paragraphs; i++) {
    out.push(
      `Dr. Alice Moreno of Northwind Analytics Inc. wrote to client${i % 7}@example.com on March ${(i % 27) + 1}, 2024 about invoice ${i}. ` +
        `The contract was worth $${(i % 9) + 1}.5 million, up ${i % 40}% from last year; call +1 415 555 ${String(1000 + (i % 50)).padStart(4, '0')}. ` +
        `See https://northwind.example/reports/${i} and follow @northwind${i % 3} #q${i % 4}. Bob Chen from Lisbon agreed.`,
    );
  }
  return out.join('\n\n');
}

describe('entity extraction as units', () => {
  it('slices at paragraph breaks and covers the text exactly', () => {
    const text = corpus(300);
    const slices = sliceAtParagraphs(text, 4);
    expect(slices.length).toBeGreaterThanOrEqual(3);
    expect(slices.map((s) => s.text).join('')).toBe(text);
    for (const s of slices.slice(1)) expect(text.slice(s.offset - 2, s.offset)).toBe('\n\n');
  });

  it('merged units report what one call over the whole text reports', () => {
    const text = corpus(200);
    const whole = extractEntities(text, {});
    const parts = sliceAtParagraphs(text, 3).map((s) => extractEntitiesUnit({ text: s.text, offset: s.offset, options: {} }));
    const merged = mergeEntityUnits(parts, true, undefined);
    for (const type of ['email', 'url', 'phone', 'date', 'money', 'percent', 'hashtag', 'mention'] as const) {
      const a = (whole.entities[type] ?? []).map((e) => [e.value, e.count, e.occurrences]);
      const b = (merged.entities[type] ?? []).map((e) => [e.value, e.count, e.occurrences]);
      expect(b).toEqual(a);
    }
    const people = new Set((whole.entities.person ?? []).map((e) => e.value));
    const mergedPeople = (merged.entities.person ?? []).map((e) => e.value);
    expect(mergedPeople.filter((v) => people.has(v)).length).toBeGreaterThanOrEqual(Math.floor(people.size * 0.9));
  });

  it('keeps mention order when merge is off', () => {
    const text = corpus(40);
    const parts = sliceAtParagraphs(text, 2).map((s) => extractEntitiesUnit({ text: s.text, offset: s.offset, options: { merge: false, types: ['email'] } }));
    const merged = mergeEntityUnits(parts, false, ['email']);
    const starts = (merged.entities.email ?? []).map((e) => e.occurrences[0]!.start);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(starts.length).toBe(40);
    for (const e of merged.entities.email ?? []) expect(text.slice(e.occurrences[0]!.start, e.occurrences[0]!.end)).toBe(e.text);
  });
});

describe('large texts as units', () => {
  it('merges units whose entities have hundreds of thousands of occurrences', () => {
    const occurrences = Array.from({ length: 300_000 }, (_, i) => ({ start: i * 10, end: i * 10 + 6 }));
    const entity = { type: 'email' as const, text: 'a@b.co', value: 'a@b.co', count: occurrences.length, occurrences };
    const part = (offset: number) => ({ offset, result: { entities: { email: [{ ...entity, occurrences: [...occurrences] }] }, counts: { email: 1 }, total: 1 } });
    const merged = mergeEntityUnits([part(0), part(3_000_000)], true, ['email']);
    expect(merged.entities.email?.[0]?.count).toBe(600_000);
    expect(merged.entities.email?.[0]?.occurrences).toHaveLength(600_000);
  });

  it('cuts a big text into units of about a megabyte that cover it exactly', () => {
    const text = corpus(12_000);
    const slices = sliceAtParagraphs(text, entityUnitCount(text.length, 2));
    expect(slices.length).toBe(Math.ceil(text.length / ENTITY_UNIT_CHARS));
    expect(slices.map((s) => s.text).join('')).toBe(text);
    for (const s of slices) expect(s.text.length).toBeLessThan(ENTITY_UNIT_CHARS * 1.3);
  });

  const apps: App[] = [];
  afterEach(async () => {
    for (const a of apps.splice(0)) await a.dispose();
  });

  it('runs a multi-megabyte text through the tool as units, and stops between units when cancelled', async () => {
    const app = makeTestApp();
    apps.push(app);
    const line = 'mail ops@example.com on 2024-03-05, pay $5.00 or 12% now.\n';
    const text = line.repeat(Math.ceil(3_500_000 / line.length));
    const r = await callTool(app, extractEntitiesTool, { text, types: ['email', 'money'] });
    expect(r.isError).toBe(false);
    const out = r.structured as { units: number; entities: Record<string, Array<{ value: string; count: number }>> };
    expect(out.units).toBeGreaterThanOrEqual(4);
    expect(out.entities.email?.[0]).toMatchObject({ value: 'ops@example.com', count: Math.ceil(3_500_000 / line.length) });

    const controller = new AbortController();
    const updates: number[] = [];
    const cancelled = await callTool(app, extractEntitiesTool, { text }, {
      signal: controller.signal,
      onProgress: (p) => {
        updates.push(p.progress);
        if (p.progress === 1 && p.total !== undefined && p.total > 1) controller.abort();
      },
    });
    expect(cancelled.isError).toBe(true);
    expect(cancelled.error?.code).toBe('CANCELLED');
    expect(updates).toEqual([0, 1]);
  });
});
