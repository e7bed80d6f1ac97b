/**
 * The token counter used for every budget and report. gpt-tokenizer's o200k_base encoding is a
 * real BPE tokenizer close to what current cloud models bill; one counter everywhere keeps
 * "never over budget" checkable.
 */
import { countTokens as countO200k, encode, decode, isWithinTokenLimit } from 'gpt-tokenizer/encoding/o200k_base';

export function countTokens(text: string): number {
  if (text.length === 0) return 0;
  return countO200k(text);
}

/** True when text fits in limit tokens; stops counting early for long texts. */
export function fitsInTokens(text: string, limit: number): boolean {
  return isWithinTokenLimit(text, limit) !== false;
}

/** Cut text to at most maxTokens tokens, at a token boundary. */
export function truncateToTokens(text: string, maxTokens: number): string {
  const ids = encode(text);
  if (ids.length <= maxTokens) return text;
  return decode(ids.slice(0, maxTokens));
}

export const tokenizerName = 'o200k_base (gpt-tokenizer)';
