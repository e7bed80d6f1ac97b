import { describe, expect, it } from 'vitest';
import { MAX_SENTENCE_CHARS, splitSentences } from '../../src/text/sentences.js';

function texts(source: string): string[] {
  const out = splitSentences(source);
  for (const s of out) expect(source.slice(s.start, s.end)).toBe(s.text);
  return out.map((s) => s.text);
}

describe('splitSentences', () => {
  it('cuts one 40-million-character run without spaces into bounded pieces that cover it', () => {
    // Sized so that a search back to the start of the text per window (quadratic) would run for
    // minutes and hit the test timeout; the linear splitter takes well under a second.
    const text = 'a'.repeat(40_000_000);
    const pieces = splitSentences(text);
    expect(pieces.every((p) => p.end - p.start <= MAX_SENTENCE_CHARS)).toBe(true);
    expect(pieces[0]?.start).toBe(0);
    expect(pieces.at(-1)?.end).toBe(text.length);
    for (let i = 1; i < pieces.length; i++) expect(pieces[i]!.start).toBe(pieces[i - 1]!.end);
  });

  it('keeps titles, initials, decimals and abbreviations inside sentences', () => {
    const source =
      'Mr. Smith met Dr. Jones at 3.5 p.m. in the U.S. capital. Prices rose 2.5% to $3.14 on Jan. 5, e.g. for bread. ' +
      'J. R. R. Tolkien wrote it at No. 5 St. James St. in Oxford. The U.S. Senate voted. She works for Acme Inc. and lives nearby.';
    expect(texts(source)).toEqual([
      'Mr. Smith met Dr. Jones at 3.5 p.m. in the U.S. capital.',
      'Prices rose 2.5% to $3.14 on Jan. 5, e.g. for bread.',
      'J. R. R. Tolkien wrote it at No. 5 St. James St. in Oxford.',
      'The U.S. Senate voted.',
      'She works for Acme Inc. and lives nearby.',
    ]);
  });

  it('ends a sentence after an ambiguous abbreviation when a new sentence starts', () => {
    expect(texts('He joined Acme Inc. The firm grew. Then he moved to the U.S. It was cold.')).toEqual([
      'He joined Acme Inc.',
      'The firm grew.',
      'Then he moved to the U.S.',
      'It was cold.',
    ]);
  });

  it('breaks at paragraphs and headings, joins hard-wrapped lines, handles ! ? and quotes', () => {
    const source =
      'Storm Warning\n\nWinds rose overnight!  Did the river flood?\n"It was terrifying," said one\nresident of the town.\n\nMore follows';
    expect(texts(source)).toEqual([
      'Storm Warning',
      'Winds rose overnight!',
      'Did the river flood?',
      '"It was terrifying," said one\nresident of the town.',
      'More follows',
    ]);
  });

  it('returns nothing for empty or blank text and trims whitespace', () => {
    expect(splitSentences('')).toEqual([]);
    expect(splitSentences('  \n\n \t ')).toEqual([]);
    expect(splitSentences('  Hello there.  ')).toEqual([{ text: 'Hello there.', start: 2, end: 14 }]);
  });

  it('cuts runaway text without punctuation into bounded pieces', () => {
    const source = 'word '.repeat(5000);
    const out = splitSentences(source);
    expect(out.length).toBeGreaterThan(10);
    for (const s of out) {
      expect(s.text.length).toBeLessThanOrEqual(MAX_SENTENCE_CHARS);
      expect(source.slice(s.start, s.end)).toBe(s.text);
      expect(s.text.startsWith('word')).toBe(true);
    }
    expect(out.map((s) => s.text).join(' ')).toBe(source.trim());
  });

  it('segments long paragraphs exactly across internal windows', () => {
    const made: string[] = [];
    for (let i = 0; i < 2000; i++)
      made.push(`Sentence number ${i} mentions Dr. Lee and ${i % 7}.${i % 10} percent growth.`);
    const source = made.join(' ');
    expect(texts(source)).toEqual(made);
  });

  it('joins a word hyphenated across a line break and a wrapped line that starts with code', () => {
    const manual =
      'If the executed command changes the value of any of READLINE_LINE, READ\u2010\nLINE_POINT, or READLINE_MARK, those new values are used.';
    expect(texts(manual)).toEqual([manual]);
    const notes =
      'If run with no arguments, `man` now suggests running\n`man man`. Fix build with\n`--disable-cache`.';
    expect(texts(notes)).toEqual([
      'If run with no arguments, `man` now suggests running\n`man man`.',
      'Fix build with\n`--disable-cache`.',
    ]);
    // A capitalised code span on a new line after a finished sentence still starts a new one.
    expect(texts('The cache is rebuilt.\n`Mandb` runs nightly.')).toEqual([
      'The cache is rebuilt.',
      '`Mandb` runs nightly.',
    ]);
  });
});
