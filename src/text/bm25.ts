/**
 * Term tokenization and BM25 (Okapi) scoring, shared by the extractive summarizer (focus-query
 * relevance) and later by condense (ranking passages against a question).
 *
 * Terms are lower-cased words with English stopwords removed and a light suffix stemmer applied
 * ("elections" → "election", "voted" → "vote", "running" → "run"), enough to match inflections
 * without Porter's aggressive conflations.
 *
 * Technical names are terms too, kept whole and case-sensitive next to the words they contain:
 * command-line options (`-e`, `-E`, `--dry-run`) and shell special parameters (`$?`, `$#`, `$!`,
 * `$$`), so "What does `set -e` do?" can match the line that defines `-e` instead of every line
 * with "set" in it. Every pattern here is a single pass without nested quantifiers (linear on
 * any input).
 */

export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    "a about above after again against all also am an and any are aren't as at be because been before being " +
    "below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down " +
    "during each either else ever few for from further had hadn't has hasn't have haven't having he he'd " +
    "he'll he's her here here's hers herself him himself his how how's however i i'd i'll i'm i've if in " +
    "into is isn't it it's its itself just let's may me might more most much must mustn't my myself neither " +
    "no nor not of off on once only or other ought our ours ourselves out over own per same shall shan't she " +
    "she'd she'll she's should shouldn't so some such than that that's the their theirs them themselves " +
    "then there there's these they they'd they'll they're they've this those though through thus to too " +
    "under until up upon us very via was wasn't we we'd we'll we're we've were weren't what what's when " +
    "when's where where's whether which while who who's whom whose why why's will with within without won't " +
    "would wouldn't yet you you'd you'll you're you've your yours yourself yourselves s t said says say " +
    'told according also one its'
  ).split(' '),
);

const WORD = /[\p{L}\p{N}]+(?:['\u2019][\p{L}]+)*/gu;
/**
 * An option (`-e`, `--dry-run`, `-print0`) where a word can start (after whitespace, a bracket,
 * a quote or a comma), or a special parameter (`$?`, `$#`, `$!`, `$$`, `$@`, `$*`, `$-`, `$_`,
 * `$0`) not followed by a word character.
 */
const SYMBOL =
  /(?<=^|[\s([{"'`\u2018\u201c,=|])(--?[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*)|(\$[?#!$@*_0-](?![A-Za-z0-9_]))/g;

/** Options and special parameters of a text, as written (`-e`, `--dry-run`, `$?`), in order. */
export function symbolTerms(text: string): string[] {
  const out: string[] = [];
  SYMBOL.lastIndex = 0;
  for (let m = SYMBOL.exec(text); m !== null; m = SYMBOL.exec(text)) out.push((m[1] ?? m[2]) as string);
  return out;
}

const STEM_EXCEPTIONS = new Set([
  'news',
  'series',
  'species',
  'always',
  'perhaps',
  'lens',
  'bias',
  'gas',
  'plus',
  'thus',
  'less',
]);

/** Light English stemmer: strips common inflectional suffixes, then a final "e" ("votes", "voted", "voting" → "vot"). */
export function stem(word: string): string {
  if (word.length <= 3 || STEM_EXCEPTIONS.has(word)) return word;
  let w = word;
  if (w.endsWith("'s")) w = w.slice(0, -2);
  const n = w.length;
  if (n > 4 && w.endsWith('ies')) w = w.slice(0, -3) + 'y';
  else if (n > 4 && w.endsWith('sses')) w = w.slice(0, -2);
  else if (n > 5 && w.endsWith('ness')) w = w.slice(0, -4);
  else if (n > 6 && w.endsWith('ments')) w = w.slice(0, -5);
  else if (n > 5 && w.endsWith('ment')) w = w.slice(0, -4);
  else if (n > 5 && w.endsWith('ings')) w = undouble(w.slice(0, -4));
  else if (n > 5 && w.endsWith('ing')) w = undouble(w.slice(0, -3));
  else if (n > 4 && w.endsWith('ed') && !w.endsWith('eed')) w = undouble(w.slice(0, -2));
  else if (n > 4 && w.endsWith('ly')) w = w.slice(0, -2);
  else if (n > 4 && /(?:xes|ches|shes|zes)$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(?:ss|us|is)$/.test(w)) w = w.slice(0, -1);
  if (w.length >= 4 && w.endsWith('e')) w = w.slice(0, -1);
  return w;
}

/** "stopp" → "stop", "plann" → "plan" (but "fall", "miss", "buzz" keep their double letter). */
function undouble(s: string): string {
  const n = s.length;
  if (n >= 4 && s[n - 1] === s[n - 2] && !'lsz'.includes(s[n - 1] as string)) return s.slice(0, -1);
  return s;
}

export interface TokenizeOptions {
  /** Drop stopwords (default true). */
  stopwords?: boolean;
  /** Apply the light stemmer (default true). */
  stem?: boolean;
  /** Add options and special parameters as terms (default true; only with stopwords dropped). */
  symbols?: boolean;
}

/**
 * Lower-cased, stopword-free, stemmed terms of a text, in order, followed by its options and
 * special parameters (see symbolTerms).
 */
export function tokenize(text: string, options: TokenizeOptions = {}): string[] {
  const words =
    text
      .toLowerCase()
      .replace(/\u2019/g, "'")
      .match(WORD) ?? [];
  if (options.stopwords === false) return options.stem === false ? words : words.map(stem);
  const terms = termsOf(words, options.stem ?? true);
  if (options.symbols === false) return terms;
  for (const symbol of symbolTerms(text)) terms.push(symbol);
  return terms;
}

/** Terms from lower-cased words (as `tokenize(text, { stopwords: false, stem: false })` gives them). */
export function termsOf(words: readonly string[], doStem = true): string[] {
  const out: string[] = [];
  for (const word of words) {
    if (STOPWORDS.has(word)) continue;
    if (word.length === 1 && !/\d/.test(word)) continue;
    out.push(doStem ? stem(word) : word);
  }
  return out;
}

export interface Bm25Options {
  /** Term-frequency saturation (default 1.2). */
  k1?: number;
  /** Length normalisation (default 0.75). */
  b?: number;
}

/**
 * An in-memory BM25 index over pre-tokenized documents. `scores` walks only the postings of the
 * query terms, so scoring a short query against 100k sentences is cheap.
 */
export class Bm25Index {
  readonly size: number;
  readonly avgLength: number;
  private readonly k1: number;
  private readonly b: number;
  private readonly lengths: Float64Array;
  /** term → [docIndex, termFrequency, docIndex, termFrequency, ...] */
  private readonly postings = new Map<string, number[]>();

  constructor(docs: string[][], options: Bm25Options = {}) {
    this.k1 = options.k1 ?? 1.2;
    this.b = options.b ?? 0.75;
    this.size = docs.length;
    this.lengths = new Float64Array(docs.length);
    let total = 0;
    const counts = new Map<string, number>();
    docs.forEach((doc, i) => {
      this.lengths[i] = doc.length;
      total += doc.length;
      counts.clear();
      for (const term of doc) counts.set(term, (counts.get(term) ?? 0) + 1);
      for (const [term, tf] of counts) {
        let list = this.postings.get(term);
        if (!list) this.postings.set(term, (list = []));
        list.push(i, tf);
      }
    });
    this.avgLength = docs.length > 0 ? total / docs.length : 0;
  }

  /** Number of documents containing term. */
  documentFrequency(term: string): number {
    return (this.postings.get(term)?.length ?? 0) / 2;
  }

  /** BM25 idf with the +1 inside the log so it is never negative. */
  idf(term: string): number {
    const df = this.documentFrequency(term);
    return Math.log(1 + (this.size - df + 0.5) / (df + 0.5));
  }

  /** BM25 score of one document for the query terms (repeated query terms count once each time). */
  score(query: string[], docIndex: number): number {
    if (docIndex < 0 || docIndex >= this.size)
      throw new RangeError(`docIndex ${docIndex} is outside 0..${this.size - 1}`);
    let total = 0;
    for (const term of query) {
      const list = this.postings.get(term);
      if (!list) continue;
      for (let j = 0; j < list.length; j += 2) {
        if (list[j] === docIndex) {
          total += this.termScore(term, list[j + 1] as number, docIndex);
          break;
        }
      }
    }
    return total;
  }

  /** Scores of every document for the query (zero where no query term occurs). */
  scores(query: string[]): Float64Array {
    const out = new Float64Array(this.size);
    for (const term of query) {
      const list = this.postings.get(term);
      if (!list) continue;
      for (let j = 0; j < list.length; j += 2) {
        const doc = list[j] as number;
        out[doc] = (out[doc] as number) + this.termScore(term, list[j + 1] as number, doc);
      }
    }
    return out;
  }

  private termScore(term: string, tf: number, doc: number): number {
    const norm = this.avgLength > 0 ? (this.lengths[doc] as number) / this.avgLength : 1;
    return (this.idf(term) * (tf * (this.k1 + 1))) / (tf + this.k1 * (1 - this.b + this.b * norm));
  }
}
