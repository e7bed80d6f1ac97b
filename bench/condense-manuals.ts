/**
 * Real manuals (fixtures/real/condense: the bash and find man pages) with questions whose
 * answer is a short definition inside a long reference section. Shared by the condense test
 * and benchmark: how many answers a context keeps at a budget, for prechew and a BM25-chunk
 * baseline.
 */
import { existsSync, readFileSync } from 'node:fs';

export interface ManualQuestion {
  source: string;
  question: string;
  /** Key phrase of the answer, whitespace folded. */
  answer: string;
}

export interface Manuals {
  sources: Array<{ name: string; text: string }>;
  questions: ManualQuestion[];
}

/** fixtures/ from bench/ or test/ (sources) or dist/bench/ (compiled). */
function fixturePath(rel: string): URL {
  for (const up of ['../fixtures/', '../../fixtures/']) {
    const url = new URL(up + rel, import.meta.url);
    if (existsSync(url)) return url;
  }
  throw new Error(`fixtures/${rel} not found`);
}

export function loadManuals(): Manuals {
  const questions = JSON.parse(
    readFileSync(fixturePath('real/condense/questions.json'), 'utf8'),
  ) as ManualQuestion[];
  const names = [...new Set(questions.map((q) => q.source))];
  const sources = names.map((name) => ({
    name,
    text: readFileSync(fixturePath(`real/condense/${name}`), 'utf8'),
  }));
  return { sources, questions };
}

/** Whitespace folded and line-break hyphens (ASCII or U+2010) joined, so a key phrase matches across wraps. */
export function foldForMatch(text: string): string {
  return text.replace(/(\p{L})[-\u2010]\n\s*(\p{Ll})/gu, '$1$2').replace(/\s+/g, ' ');
}

/** Does the context keep the answer's key phrase? */
export function keepsAnswer(context: string, q: ManualQuestion): boolean {
  return foldForMatch(context).includes(foldForMatch(q.answer));
}
