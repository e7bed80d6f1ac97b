/**
 * Model-free sentiment: the `sentiment` package (AFINN-165 word valences, -5..+5) run with our
 * own scoring strategy, adding the VADER rules (Hutto & Gilbert, 2014) that matter most on short
 * reviews and tickets:
 * - negation anywhere in the three words before a sentiment word ("not good", "wasn't very
 *   helpful", "no problems") flips and shrinks its valence (x -0.74, as VADER does);
 * - boosters and dampeners ("very", "extremely", "slightly", "kind of") scale the next word;
 * - contrast: in "X but Y" the clause before "but"/"however" counts half, the one after 1.5x;
 * - emphasis: words in ALL CAPS (in mixed-case text) and up to four "!" strengthen the score.
 * A small set of review words AFINN lacks ("buggy", "crashed", "unusable") is added.
 *
 * The summed valence is squashed to a compound score in [-1, 1] (VADER's s / sqrt(s^2 + 15));
 * |compound| below NEUTRAL_BAND is neutral. Pure and synchronous; the package is CommonJS
 * without types, so it is loaded through createRequire with a narrow local type.
 */
import { createRequire } from 'node:module';

export type SentimentLabel = 'positive' | 'negative' | 'neutral';

export interface SentimentResult {
  label: SentimentLabel;
  /** Compound score in [-1, 1]: the summed valence, normalised. */
  score: number;
  /** Summed (adjusted) AFINN valence per word of the text. */
  comparative: number;
  /** How sure the label is, in [0, 1]. */
  confidence: number;
}

interface AfinnAnalysis {
  score: number;
  tokens: string[];
}
interface AfinnAnalyzer {
  analyze(phrase: string, options?: { language?: string }): AfinnAnalysis;
  registerLanguage(
    code: string,
    language: { labels: Record<string, number>; scoringStrategy: ScoringStrategy },
  ): void;
}
interface ScoringStrategy {
  apply(tokens: string[], cursor: number, tokenScore: number): number;
}

/** |compound| below this is neutral. Measured on fixtures/sentiment/labelled.json. */
export const NEUTRAL_BAND = 0.2;
const NEGATION_SCALAR = -0.74;
const BOOST = 0.3;
const CAPS_BOOST = 0.3;
const EXCLAMATION_BOOST = 0.3;
const LANGUAGE = 'prechew-en';

// prettier-ignore
const NEGATORS = new Set([
  'not', 'no', 'never', 'none', 'nobody', 'nothing', 'neither', 'nor', 'nowhere', 'without', 'cannot', 'cant', 'dont',
  'doesnt', 'didnt', 'isnt', 'wasnt', 'arent', 'werent', 'wont', 'wouldnt', 'couldnt', 'shouldnt', 'hasnt', 'havent',
  'hadnt', 'aint', 'least', 'hardly', 'barely', 'rarely', 'seldom', 'lacks', 'lacking', 'lack',
]);
// prettier-ignore
const BOOSTERS = new Map<string, number>([
  ['very', 1], ['really', 1], ['extremely', 1.3], ['incredibly', 1.3], ['absolutely', 1.3], ['totally', 1], ['so', 1],
  ['super', 1], ['truly', 1], ['highly', 1], ['utterly', 1.3], ['completely', 1], ['especially', 1], ['exceptionally', 1.3],
  ['remarkably', 1], ['most', 1], ['too', 0.7], ['pretty', 0.5], ['quite', 0.5], ['seriously', 1], ['insanely', 1.3],
  ['slightly', -1], ['somewhat', -1], ['marginally', -1], ['mildly', -1], ['partly', -1], ['little', -0.7], ['bit', -0.7],
  ['fairly', -0.5], ['kinda', -1], ['sorta', -1],
]);
/** "looks like", "feels like": the preposition, not the verb. */
const LIKE_AS_PREPOSITION = new Set([
  'look',
  'looks',
  'looked',
  'feel',
  'feels',
  'felt',
  'seem',
  'seems',
  'seemed',
  'sound',
  'sounds',
  'just',
  'something',
  'anything',
  'more',
  'less',
]);
/** Review words missing from AFINN-165, and words AFINN scores that mostly act as function words here. */
// prettier-ignore
const EXTRA_LABELS: Record<string, number> = {
  buggy: -2, crashes: -2, crashed: -2, crashing: -2, unusable: -3, unhelpful: -2, mediocre: -1, overpriced: -2,
  laggy: -2, stale: -1, flawless: 3, flawlessly: 3, broken: -2, waste: -2, refunded: 1, works: 1, worked: 1,
  smoothly: 2, quickly: 1, slow: -1, slower: -1, rude: -2, outdated: -1, pointless: -2, ripoff: -3, scam: -3,
  expensive: -1, pricey: -1, no: 0, kind: 0, pretty: 0, super: 0, joke: 0, please: 0, quality: 0, gray: 0, grey: 0,
};
const CONTRAST = /\b(?:but|however)\b/i;

let analyzer: AfinnAnalyzer | undefined;
/** Words written in capitals in the clause being scored (read by the strategy, synchronously). */
let emphasized: ReadonlySet<string> = new Set();

const strategy: ScoringStrategy = {
  apply(tokens, cursor, tokenScore) {
    const token = (tokens[cursor] ?? '').replace(/'/g, '');
    const prev = (k: number): string => (tokens[cursor - k] ?? '').replace(/'/g, '');
    const next = tokens[cursor + 1];
    // An intensifier that happens to have a valence ("pretty", "super") modifies, it does not score.
    if (BOOSTERS.has(token) && next !== undefined && isSentimentWord(next)) return 0;
    if (token === 'like' && LIKE_AS_PREPOSITION.has(prev(1))) return 0;
    let score = tokenScore;
    for (let k = 1; k <= 2; k++) {
      const boost = BOOSTERS.get(prev(k));
      if (boost !== undefined) score *= 1 + BOOST * boost * (k === 1 ? 1 : 0.5);
    }
    if (emphasized.has(tokens[cursor] ?? '')) score *= 1 + CAPS_BOOST;
    for (let k = 1; k <= 3; k++) {
      const word = prev(k);
      if (NEGATORS.has(word) || (tokens[cursor - k] ?? '').endsWith("n't")) {
        // "not only good but great" is not a negation; "at least" is not either.
        if (word === 'not' && tokens[cursor - k + 1] === 'only') break;
        if (word === 'least' && prev(k + 1) === 'at') break;
        score *= NEGATION_SCALAR;
        break;
      }
    }
    return score;
  },
};

let labels: Record<string, number> | undefined;
function isSentimentWord(token: string): boolean {
  const value = labels?.[token];
  return value !== undefined && value !== 0;
}

function getAnalyzer(): AfinnAnalyzer {
  if (analyzer) return analyzer;
  const require = createRequire(import.meta.url);
  const Sentiment = require('sentiment') as new () => AfinnAnalyzer;
  const afinn = require('sentiment/languages/en/labels.json') as Record<string, number>;
  labels = { ...afinn, ...EXTRA_LABELS };
  const instance = new Sentiment();
  instance.registerLanguage(LANGUAGE, { labels, scoringStrategy: strategy });
  analyzer = instance;
  return instance;
}

function clauseScore(a: AfinnAnalyzer, clause: string, mixedCase: boolean): { score: number; words: number } {
  emphasized = mixedCase
    ? new Set((clause.match(/\b[A-Z]{2,}\b/g) ?? []).map((w) => w.toLowerCase()))
    : new Set();
  const result = a.analyze(clause, { language: LANGUAGE });
  emphasized = new Set();
  return { score: result.score, words: result.tokens.filter((t) => t.length > 0).length };
}

/** Summed adjusted valence and word count of a text. */
function valence(text: string): { score: number; words: number } {
  const a = getAnalyzer();
  const normalized = text.replace(/[\u2018\u2019\u02bc]/g, "'");
  const mixedCase = /\p{Ll}/u.test(normalized);
  let total = 0;
  let words = 0;
  for (const sentence of normalized.split(/(?<=[.!?;])\s+|\n+/)) {
    if (sentence.trim() === '') continue;
    const m = CONTRAST.exec(sentence);
    if (m) {
      const before = clauseScore(a, sentence.slice(0, m.index), mixedCase);
      const after = clauseScore(a, sentence.slice(m.index + m[0].length), mixedCase);
      total += 0.5 * before.score + 1.5 * after.score;
      words += before.words + after.words + 1;
    } else {
      const whole = clauseScore(a, sentence, mixedCase);
      total += whole.score;
      words += whole.words;
    }
  }
  const bangs = Math.min(4, (normalized.match(/!/g) ?? []).length);
  if (total !== 0 && bangs > 0) total += Math.sign(total) * EXCLAMATION_BOOST * bangs;
  return { score: total, words };
}

/** Sentiment of one text (a review, a ticket, a post). Empty text is neutral. */
export function analyzeSentiment(text: string): SentimentResult {
  const { score: raw, words } = valence(text);
  const compound = raw / Math.sqrt(raw * raw + 15);
  const magnitude = Math.abs(compound);
  const label: SentimentLabel = magnitude < NEUTRAL_BAND ? 'neutral' : compound > 0 ? 'positive' : 'negative';
  // Polar: grows from 0.5 at the band edge to 1; neutral: 1 at zero, 0.5 at the band edge.
  const confidence =
    label === 'neutral'
      ? 1 - (0.5 * magnitude) / NEUTRAL_BAND
      : 0.5 + (0.5 * (magnitude - NEUTRAL_BAND)) / (1 - NEUTRAL_BAND);
  const round = (x: number): number => Math.round(x * 1e4) / 1e4;
  return {
    label,
    score: round(compound),
    comparative: round(words > 0 ? raw / words : 0),
    confidence: round(confidence),
  };
}

/** Sentiment of many short texts, in input order. */
export function analyzeSentimentBatch(texts: readonly string[]): SentimentResult[] {
  return texts.map(analyzeSentiment);
}
