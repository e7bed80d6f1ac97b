/**
 * Privacy benchmark: recall and precision per type on a hand-labelled set built from real text
 * (Debian copyright files with their maintainers' names and emails, news- and ticket-style
 * sentences with addresses and phone numbers in several countries' formats), throughput on prose
 * and on dense tickets, and detector time against input size on adversarial runs (a quadratic
 * detector shows up as 10× per step). Prints nothing, asserts nothing.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { extractEntities } from '../src/text/entities.js';
import { detectPrivateData, pseudonymize } from '../src/text/privacy.js';
import { PRIVATE_TYPES, Vault, type PrivateType } from '../src/text/vault.js';
import { buildCondenseCorpus, buildPrivacyCorpus } from './condense-corpus.js';

interface Labelled {
  documents: Array<{ source: string; text: string; spans: Array<{ type: PrivateType; value: string }> }>;
}

/** Every occurrence of each labelled value, as [start, end) spans. */
function goldSpans(text: string, spans: Labelled['documents'][number]['spans']): Array<{ type: PrivateType; start: number; end: number }> {
  const out: Array<{ type: PrivateType; start: number; end: number }> = [];
  const seen = new Set<string>();
  for (const { type, value } of spans) {
    if (seen.has(`${type}\u0000${value}`)) continue;
    seen.add(`${type}\u0000${value}`);
    for (let at = text.indexOf(value); at >= 0; at = text.indexOf(value, at + value.length))
      out.push({ type, start: at, end: at + value.length });
  }
  return out;
}

const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;

export async function benchPrivacy(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  const set = JSON.parse(
    readFileSync(path.resolve('fixtures/real/privacy/labelled.json'), 'utf8'),
  ) as Labelled;
  const scored: PrivateType[] = ['PERSON', 'EMAIL', 'PHONE', 'ADDRESS', 'IP', 'CARD', 'IBAN'];
  const tp = new Map<PrivateType, number>();
  const fn = new Map<PrivateType, number>();
  const fp = new Map<PrivateType, number>();
  const inc = (m: Map<PrivateType, number>, t: PrivateType): void => {
    m.set(t, (m.get(t) ?? 0) + 1);
  };
  for (const doc of set.documents) {
    const gold = goldSpans(doc.text, doc.spans);
    const found = detectPrivateData(doc.text).filter((s) => scored.includes(s.type));
    // A labelled span is found when one detected span of its type covers it whole.
    for (const g of gold) {
      if (found.some((f) => f.type === g.type && f.start <= g.start && f.end >= g.end)) inc(tp, g.type);
      else inc(fn, g.type);
    }
    // A detected span is right when it overlaps a labelled span of its type.
    for (const f of found) if (!gold.some((g) => g.type === f.type && f.start < g.end && g.start < f.end)) inc(fp, f.type);
  }
  let allTp = 0;
  let allFn = 0;
  let allFp = 0;
  for (const t of scored) {
    const a = tp.get(t) ?? 0;
    const b = fn.get(t) ?? 0;
    const c = fp.get(t) ?? 0;
    allTp += a;
    allFn += b;
    allFp += c;
    out[`${t} recall / precision`] = `${a + b ? round(a / (a + b)) : '-'} / ${a + c ? round(a / (a + c)) : '-'} (${a + b} labelled, ${c} false)`;
  }
  out['overall recall / precision'] = `${round(allTp / (allTp + allFn))} / ${round(allTp / (allTp + allFp))} (${allTp + allFn} labelled spans in ${set.documents.length} documents)`;

  const tickets = buildPrivacyCorpus({ records: 400 });
  const prose = buildCondenseCorpus({ targetChars: 200_000, facts: 10 })
    .sources.map((s) => s.text)
    .join('\n\n');
  pseudonymize(prose.slice(0, 5000), new Vault('v_warm'));
  for (const [name, text, terms] of [
    ['dense tickets', tickets.text, tickets.terms],
    ['business prose', prose, []],
  ] as const) {
    const t0 = performance.now();
    const r = pseudonymize(text, new Vault('v_bench'), { terms });
    const s = (performance.now() - t0) / 1000;
    out[`pseudonymize ${name} MB/s`] = `${round(Buffer.byteLength(text) / 1e6 / s, 2)} (${r.replaced} values in ${round(text.length / 1e6, 2)} MB)`;
    // The person tagger alone on the same text, same process: most of the time above is its.
    const e0 = performance.now();
    extractEntities(text, { types: ['person'], merge: true });
    out[`  person tagger alone on ${name} MB/s`] = round(Buffer.byteLength(text) / 1e6 / ((performance.now() - e0) / 1000), 2);
  }

  // Adversarial runs: all detectors, time per size. Linear detectors grow 10× per step.
  for (const unit of ['.', ' ', '@', '-', '1.', '1 ', 'a@', 'a.', '1:']) {
    const times: string[] = [];
    for (const size of [10_000, 100_000, 1_000_000]) {
      const text = unit.repeat(Math.ceil(size / unit.length));
      const t0 = performance.now();
      detectPrivateData(text);
      times.push(`${Math.round(performance.now() - t0)} ms`);
    }
    out[`adversarial ${JSON.stringify(unit)} 10k / 100k / 1M chars`] = times.join(' / ');
  }
  // Capitalised words reach the entity tagger: its cost per character, not the pattern's, sets this one.
  {
    const times: string[] = [];
    for (const size of [10_000, 100_000]) {
      const text = 'Ab '.repeat(Math.ceil(size / 3));
      const t0 = performance.now();
      detectPrivateData(text);
      times.push(`${Math.round(performance.now() - t0)} ms`);
    }
    out['adversarial "Ab " 10k / 100k chars'] = times.join(' / ');
  }
  out['types'] = PRIVATE_TYPES.join(' ');
  return out;
}
