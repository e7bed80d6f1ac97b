/**
 * Condense benchmark: compression and planted-answer retention at several budgets, with and
 * without the question as query, side by side with a BM25-over-chunks baseline; MB/s of the
 * extractive pipeline with its per-step times; short-definition answers kept on real manuals
 * (bash and find man pages) beside the same baseline; redaction MB/s. Prints nothing, asserts nothing.
 */
import { countTokens } from '../src/engines/tokenizer.js';
import { condensePrepared, prepareCorpus } from '../src/text/condense.js';
import { pseudonymize } from '../src/text/privacy.js';
import { Vault } from '../src/text/vault.js';
import { Bm25ChunkBaseline, buildCondenseCorpus, buildPrivacyCorpus } from './condense-corpus.js';
import { keepsAnswer, loadManuals } from './condense-manuals.js';

const BUDGETS = [250, 500, 1000, 2000, 4000];

export async function benchCondense(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  const corpus = buildCondenseCorpus();
  const bytes = corpus.sources.reduce((a, s) => a + Buffer.byteLength(s.text), 0);

  const t0 = performance.now();
  const prepared = await prepareCorpus(corpus.sources);
  const first = condensePrepared(prepared, { query: corpus.facts[0]?.question, budgetTokens: 1000 });
  const pipelineMs = performance.now() - t0;
  out['corpus tokens'] = prepared.tokensIn;
  out['corpus MB'] = Math.round((bytes / 1e6) * 100) / 100;
  out['planted facts'] = corpus.facts.length;
  out['pipeline MB/s (prepare + 1 query)'] = Math.round((bytes / 1e6 / (pipelineMs / 1000)) * 100) / 100;
  for (const step of first.steps) out[`step ${step.name} ms`] = step.ms;

  const baseline = new Bm25ChunkBaseline(corpus.sources);
  let queryMs = 0;
  let queries = 0;
  for (const budget of BUDGETS) {
    let withQuery = 0;
    let withoutQuery = 0;
    let base = 0;
    let tokensOut = 0;
    const noQuery = condensePrepared(prepared, { budgetTokens: budget });
    for (const fact of corpus.facts) {
      const q0 = performance.now();
      const r = condensePrepared(prepared, { query: fact.question, budgetTokens: budget });
      queryMs += performance.now() - q0;
      queries++;
      tokensOut += r.tokensOut;
      if (r.context.includes(fact.answer)) withQuery++;
      if (noQuery.context.includes(fact.answer)) withoutQuery++;
      if (baseline.select(fact.question, budget).includes(fact.answer)) base++;
    }
    const n = corpus.facts.length;
    out[`budget ${budget}: ratio`] = Math.round((prepared.tokensIn / (tokensOut / n)) * 10) / 10;
    out[`budget ${budget}: retained with query %`] = Math.round((withQuery / n) * 1000) / 10;
    out[`budget ${budget}: retained without query %`] = Math.round((withoutQuery / n) * 1000) / 10;
    out[`budget ${budget}: BM25-chunks baseline %`] = Math.round((base / n) * 1000) / 10;
  }
  out['select per query ms (prepared corpus)'] = Math.round((queryMs / queries) * 10) / 10;

  // Real manuals (bash + find man pages): short definitions asked about at small budgets.
  const manuals = loadManuals();
  const manualCorpus = await prepareCorpus(manuals.sources);
  const manualBaseline = new Bm25ChunkBaseline(manuals.sources);
  out['manuals tokens'] = manualCorpus.tokensIn;
  out['manuals questions'] = manuals.questions.length;
  for (const budget of [300, 500, 1000]) {
    let ours = 0;
    let base = 0;
    for (const q of manuals.questions) {
      if (keepsAnswer(condensePrepared(manualCorpus, { query: q.question, budgetTokens: budget }).context, q))
        ours++;
      if (keepsAnswer(manualBaseline.select(q.question, budget), q)) base++;
    }
    out[`manuals budget ${budget}: answers kept`] = `${ours}/${manuals.questions.length}`;
    out[`manuals budget ${budget}: BM25-chunks baseline`] = `${base}/${manuals.questions.length}`;
  }

  const privacy = buildPrivacyCorpus({ records: 400 });
  const pBytes = Buffer.byteLength(privacy.text);
  pseudonymize(privacy.text.slice(0, 2000), new Vault('v_warm'), { terms: privacy.terms });
  const p0 = performance.now();
  const red = pseudonymize(privacy.text, new Vault('v_bench'), { terms: privacy.terms });
  const pMs = performance.now() - p0;
  out['redaction MB/s'] = Math.round((pBytes / 1e6 / (pMs / 1000)) * 100) / 100;
  out['redaction values replaced'] = red.replaced;
  const plain = buildCondenseCorpus({ targetChars: 200_000, facts: 10 })
    .sources.map((s) => s.text)
    .join('\n\n');
  const q0 = performance.now();
  pseudonymize(plain, new Vault('v_prose'), {});
  out['redaction MB/s (business prose)'] =
    Math.round((Buffer.byteLength(plain) / 1e6 / ((performance.now() - q0) / 1000)) * 100) / 100;
  out['tokenizer'] = countTokens('check') > 0 ? 'o200k_base' : '?';
  return out;
}
