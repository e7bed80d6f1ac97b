/**
 * The heart of condense: planted facts in a 130k-token generated corpus, one user-style question
 * each. Extractive condense (no model) must keep the answer for ≥95% of questions at ≥100×
 * compression and never keep fewer answers than a plain BM25-over-chunks baseline.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { Bm25ChunkBaseline, buildCondenseCorpus, type CondenseCorpus } from '../../bench/condense-corpus.js';
import { countTokens } from '../../src/engines/tokenizer.js';
import { condensePrepared, prepareCorpus, type PreparedCorpus } from '../../src/text/condense.js';

const BUDGETS = [250, 500, 1000, 2000];

describe('condense quality on planted facts', () => {
  let corpus: CondenseCorpus;
  let prepared: PreparedCorpus;
  let baseline: Bm25ChunkBaseline;

  beforeAll(async () => {
    corpus = buildCondenseCorpus();
    prepared = await prepareCorpus(corpus.sources);
    baseline = new Bm25ChunkBaseline(corpus.sources);
  });

  test('the corpus is long, with boilerplate and near duplicates, and questions do not copy the answer sentence', () => {
    expect(prepared.tokensIn).toBeGreaterThan(100_000);
    expect(corpus.facts.length).toBeGreaterThanOrEqual(40);
    const dedupe = prepared.steps.find((s) => s.name === 'dedupe')!;
    const normalize = prepared.steps.find((s) => s.name === 'normalize')!;
    expect(normalize.tokensAfter).toBeLessThan(prepared.tokensIn);
    expect(dedupe.tokensAfter).toBeLessThan(normalize.tokensAfter);
    for (const f of corpus.facts) {
      expect(f.question).not.toContain(f.answer);
      expect(f.sentence).toContain(f.answer);
      // Phrased differently: most of the question's words are not in the sentence.
      const sentenceWords = new Set(f.sentence.toLowerCase().match(/[a-z]+/g));
      const questionWords = f.question.toLowerCase().match(/[a-z]+/g) ?? [];
      const shared = questionWords.filter((w) => sentenceWords.has(w)).length;
      expect(shared / questionWords.length).toBeLessThan(0.75);
    }
  });

  test('keeps ≥95% of answers at ≥100× compression and never fewer than the BM25-chunks baseline', () => {
    const kept: Record<number, { ours: number; baseline: number }> = {};
    for (const budget of BUDGETS) {
      let ours = 0;
      let theirs = 0;
      for (const fact of corpus.facts) {
        const result = condensePrepared(prepared, { query: fact.question, budgetTokens: budget });
        expect(countTokens(result.context)).toBeLessThanOrEqual(budget);
        expect(result.tokensOut).toBe(countTokens(result.context));
        if (result.context.includes(fact.answer)) ours++;
        const base = baseline.select(fact.question, budget);
        expect(countTokens(base)).toBeLessThanOrEqual(budget);
        if (base.includes(fact.answer)) theirs++;
      }
      kept[budget] = { ours, baseline: theirs };
      expect(ours, `budget ${budget}: ours ${ours}, baseline ${theirs}`).toBeGreaterThanOrEqual(theirs);
    }
    expect(prepared.tokensIn / 1000).toBeGreaterThanOrEqual(100);
    expect(kept[1000]!.ours / corpus.facts.length).toBeGreaterThanOrEqual(0.95);
  });

  test('the context is readable: whole sentences, cited, in document order within a source', () => {
    for (const fact of corpus.facts.slice(0, 10)) {
      const result = condensePrepared(prepared, { query: fact.question, budgetTokens: 1000 });
      expect(result.selected.length).toBeGreaterThan(3);
      const lastOffset = new Map<number, number>();
      for (const s of result.selected) {
        const source = prepared.normalized[s.source]!;
        // Whole sentence: exactly a span of the normalized source, ending in sentence punctuation.
        expect(source.text.slice(s.start, s.end)).toBe(s.text);
        // Ends like a sentence, or is a whole line (a heading, an email subject).
        const wholeLine =
          (s.start === 0 || source.text[s.start - 1] === '\n') &&
          (s.end === source.text.length || source.text[s.end] === '\n');
        expect(/[.!?]["')\]]*$/.test(s.text) || wholeLine, s.text).toBe(true);
        expect(/^[A-Z"'([]/.test(s.text), s.text).toBe(true);
        expect(result.context).toContain(s.text);
        // Cited with the source name and, for the paged report and the transcript, a locator.
        expect(s.citation.startsWith(source.name)).toBe(true);
        if (source.name.endsWith('.pdf')) expect(s.citation).toMatch(/ p\.\d+$/);
        if (source.name.endsWith('.m4a')) expect(s.citation).toMatch(/ \d\d:\d\d:\d\d$/);
        expect(result.context).toContain(`[${s.citation}]`);
        expect(s.start).toBeGreaterThan(lastOffset.get(s.source) ?? -1);
        lastOffset.set(s.source, s.start);
      }
      // Sentences of one source appear in the context in document order.
      for (const [source] of lastOffset) {
        let at = 0;
        for (const s of result.selected.filter((x) => x.source === source)) {
          const found = result.context.indexOf(s.text, at);
          expect(found, s.text).toBeGreaterThanOrEqual(at);
          at = found + s.text.length;
        }
      }
    }
  });

  test('without a query it still fills the budget with central sentences and stays within it', () => {
    for (const budget of [50, 300, 4000]) {
      const result = condensePrepared(prepared, { budgetTokens: budget });
      expect(result.tokensOut).toBeLessThanOrEqual(budget);
      expect(result.tokensOut).toBeGreaterThan(budget * (budget < 100 ? 0.3 : 0.6));
    }
  });
});
