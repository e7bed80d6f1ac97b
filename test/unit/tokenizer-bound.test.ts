import { describe, expect, it } from 'vitest';
import { countTokens, fitsInTokens } from '../../src/engines/tokenizer.js';

/** Deterministic text mixing ASCII, accents, CJK, emoji and control characters. */
function mixedText(seed: number, length: number): string {
  const alphabet = ['a', 'Z', ' ', '\n', 'é', 'ß', '中', '文', '🙂', '𝕏', '\u0000', '{', '"', '1', 'ت'];
  let x = seed;
  let out = '';
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out += alphabet[x % alphabet.length];
  }
  return out;
}

describe('fitsInTokens', () => {
  it('agrees with countTokens at and around the limit, including the byte-length shortcut', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const text = mixedText(seed, 20 + seed * 7);
      const tokens = countTokens(text);
      for (const limit of [tokens - 1, tokens, tokens + 1, Buffer.byteLength(text), Buffer.byteLength(text) - 1]) {
        if (limit < 0) continue;
        expect(fitsInTokens(text, limit), `seed ${seed}, limit ${limit}, tokens ${tokens}`).toBe(tokens <= limit);
      }
    }
  });

  it('never counts more tokens than UTF-8 bytes (what the shortcut relies on)', () => {
    for (let seed = 100; seed < 140; seed++) {
      const text = mixedText(seed, 300);
      expect(countTokens(text)).toBeLessThanOrEqual(Buffer.byteLength(text, 'utf8'));
    }
  });
});
