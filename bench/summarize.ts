/**
 * Extractive summarize benchmark: throughput of `summarizeExtractive` on ~1 MB of news-style
 * English (sentences of the reference set shuffled into new paragraphs by a seeded PRNG), and
 * ROUGE-1/2/L F1 of the extractive engine against lead-3 on fixtures/summaries (3 sentences each,
 * and at lead-3's token count). Prints nothing, asserts nothing: the caller prints the figures.
 */
import { existsSync, readFileSync } from 'node:fs';
import { countTokens } from '../src/engines/tokenizer.js';
import { summarizeExtractive } from '../src/text/extractive-summary.js';
import { lead3, rouge, type RougeResult } from '../src/text/rouge.js';
import { splitSentences } from '../src/text/sentences.js';
import { mulberry32 as makeRandom } from '../test/helpers/random.js';

interface Doc {
  id: string;
  text: string;
  reference: string;
}

function loadSet(): Doc[] {
  return JSON.parse(readFileSync(fixturePath('summaries/set.json'), 'utf8')) as Doc[];
}

/** About targetChars of text built from the reference set's sentences in a seeded random order. */
export function buildSummarizeBenchText(targetChars = 1_000_000, seed = 7): string {
  const sentences = loadSet().flatMap((d) => splitSentences(d.text).map((s) => s.text));
  const rnd = makeRandom(seed);
  const paragraphs: string[] = [];
  let size = 0;
  while (size < targetChars) {
    const n = 2 + Math.floor(rnd() * 4);
    const para: string[] = [];
    for (let k = 0; k < n; k++) para.push(sentences[Math.floor(rnd() * sentences.length)] as string);
    const p = para.join(' ');
    paragraphs.push(p);
    size += p.length + 2;
  }
  return paragraphs.join('\n\n');
}

function meanRouge(results: RougeResult[]): { r1: number; r2: number; rl: number } {
  const mean = (f: (r: RougeResult) => number): number =>
    Math.round((results.reduce((a, r) => a + f(r), 0) / results.length) * 1e4) / 1e4;
  return { r1: mean((r) => r.rouge1.f1), r2: mean((r) => r.rouge2.f1), rl: mean((r) => r.rougeL.f1) };
}

export async function benchSummarize(): Promise<Record<string, number | string>> {
  const text = buildSummarizeBenchText();
  const mb = Buffer.byteLength(text, 'utf8') / 1e6;
  summarizeExtractive(text.slice(0, 50_000)); // warm up JIT and the tokenizer tables
  const runs = 3;
  let started = performance.now();
  for (let k = 0; k < runs; k++) summarizeExtractive(text, { maxSentences: 10 });
  const sentenceSeconds = (performance.now() - started) / 1000 / runs;
  started = performance.now();
  for (let k = 0; k < runs; k++) summarizeExtractive(text, { maxTokens: 500, style: 'key-points' });
  const tokenSeconds = (performance.now() - started) / 1000 / runs;
  started = performance.now();
  for (let k = 0; k < runs; k++) summarizeExtractive(text, { maxTokens: 500, focus: 'power outage repairs' });
  const focusSeconds = (performance.now() - started) / 1000 / runs;

  const set = loadSet();
  const lead = meanRouge(set.map((d) => rouge(lead3(d.text), d.reference)));
  const ext = meanRouge(
    set.map((d) => rouge(summarizeExtractive(d.text, { maxSentences: 3 }).summary, d.reference)),
  );
  const budget = meanRouge(
    set.map((d) =>
      rouge(summarizeExtractive(d.text, { maxTokens: countTokens(lead3(d.text)) }).summary, d.reference),
    ),
  );
  const readable = standaloneShare();
  await Promise.resolve();
  return {
    'real docs: summary lines that stand alone %': readable.share,
    'real docs: summary lines checked': readable.lines,
    'input MB': Math.round(mb * 100) / 100,
    'extractive MB/s (10 sentences)': Math.round((mb / sentenceSeconds) * 100) / 100,
    'extractive MB/s (500 tokens, key-points)': Math.round((mb / tokenSeconds) * 100) / 100,
    'extractive MB/s (500 tokens, focus)': Math.round((mb / focusSeconds) * 100) / 100,
    'reference docs': set.length,
    'ROUGE-1 F1 extractive (3 sentences)': ext.r1,
    'ROUGE-1 F1 lead-3': lead.r1,
    'ROUGE-2 F1 extractive (3 sentences)': ext.r2,
    'ROUGE-2 F1 lead-3': lead.r2,
    'ROUGE-L F1 extractive (3 sentences)': ext.rl,
    'ROUGE-L F1 lead-3': lead.rl,
    'ROUGE-1 F1 extractive (lead-3 token budget)': budget.r1,
    'ROUGE-2 F1 extractive (lead-3 token budget)': budget.r2,
    'ROUGE-L F1 extractive (lead-3 token budget)': budget.rl,
  };
}

/**
 * Share of summary lines on real documents (fixtures/real/condense) that stand alone: not a
 * heading (glued or alone), list marker, table row or markup, not a credit line or a fragment,
 * and not a sentence opening with an anaphor or connective without the sentence before it.
 */
function standaloneShare(): { share: number; lines: number } {
  const docs = ['e2fsprogs-NEWS.txt', 'man-db-NEWS.md', 'zstd-README.md', 'bash.txt'];
  const dependent =
    /^["'(]*(?:this|these|those|that|it|its|they|them|their|however|also|but|and|so|thus|such)\b/i;
  let lines = 0;
  let good = 0;
  for (const name of docs) {
    const text = readFileSync(fixturePath(`real/condense/${name}`), 'utf8');
    for (const options of [{}, { maxTokens: 300 }, { maxSentences: 12 }]) {
      const { sentences } = summarizeExtractive(text, options);
      for (const s of sentences) {
        lines++;
        const bad =
          /^(?:#|[-*+\u2022]\s|\d+[.)]\s|\||<|\[[^\]]+\]:|```|\(|[Tt]hanks\b|\p{Ll})/u.test(s.text) ||
          /\n\s*(?:#{1,6}\s|[-*+\u2022]\s|={3,}|-{3,}\s*$)/.test(s.text) ||
          (dependent.test(s.text) &&
            !sentences.some((t) => t.end <= s.start && !/\p{L}/u.test(text.slice(t.end, s.start))));
        if (!bad) good++;
      }
    }
  }
  return { share: lines ? Math.round((good / lines) * 1000) / 10 : 0, lines };
}

/** fixtures/ from bench/ (sources) or dist/bench/ (compiled). */
function fixturePath(rel: string): URL {
  for (const up of ['../fixtures/', '../../fixtures/']) {
    const url = new URL(up + rel, import.meta.url);
    if (existsSync(url)) return url;
  }
  throw new Error(`fixtures/${rel} not found`);
}
