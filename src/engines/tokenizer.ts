/**
 * The token counter used for every budget and report. gpt-tokenizer's o200k_base encoding is a
 * real BPE tokenizer close to what current cloud models bill; one counter everywhere keeps
 * "never over budget" checkable.
 */
import { createRequire } from 'node:module';

type O200k = typeof import('gpt-tokenizer/encoding/o200k_base');
const require = createRequire(import.meta.url);
let o200k: O200k | undefined;

/**
 * The encoder, loaded on first use: its tables take over a tenth of a second to load, which
 * start-up (`prechew tools`, an MCP `initialize`) should not pay. Its CommonJS build, so the
 * counters stay synchronous.
 */
function encoder(): O200k {
  return (o200k ??= require('gpt-tokenizer/encoding/o200k_base') as O200k);
}

export function countTokens(text: string): number {
  if (text.length === 0) return 0;
  return encoder().countTokens(text);
}

/** True when text fits in limit tokens; stops counting early for long texts. */
export function fitsInTokens(text: string, limit: number): boolean {
  // Every BPE token covers at least one UTF-8 byte, so a text of no more bytes than the limit
  // fits without running the tokenizer (most tool results, on every call).
  if (Buffer.byteLength(text, 'utf8') <= limit) return true;
  return encoder().isWithinTokenLimit(text, limit) !== false;
}

/** Cut text to at most maxTokens tokens, at a token boundary. */
export function truncateToTokens(text: string, maxTokens: number): string {
  const { encode, decode } = encoder();
  const ids = encode(text);
  if (ids.length <= maxTokens) return text;
  return decode(ids.slice(0, maxTokens));
}

export const tokenizerName = 'o200k_base (gpt-tokenizer)';
