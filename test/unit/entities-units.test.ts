import { describe, expect, it } from 'vitest';
import { extractEntities } from '../../src/text/entities.js';
import { extractEntitiesUnit, mergeEntityUnits, sliceAtParagraphs } from '../../src/text/entities-units.js';

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
