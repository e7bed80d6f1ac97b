/**
 * Dedupe on real structured text: Debian copyright files (DEP-5 paragraphs of `Files:`,
 * `Copyright:` and `License:` fields) and rendered man pages (option lists, variable lists),
 * copied into fixtures/real/dedupe (see SOURCES.md there). Such text is built from templates, so
 * distinct entries share most of their words; dedupe must drop only what is really repeated.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DEDUPE_THRESHOLD, dedupeItems, type DedupeResult } from '../../src/text/dedupe.js';
import { containment, jaccard, shingleSet } from '../../src/text/minhash.js';
import { foldCase, foldWhitespace, normalizeText, tokenizeWords } from '../../src/text/normalize.js';
import { splitParagraphs } from '../../src/text/split.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/real/dedupe');
const read = (name: string): string => readFileSync(path.join(FIXTURES, name), 'utf8');
const COPYRIGHTS = readdirSync(FIXTURES).filter((f) => f.startsWith('copyright-'));
const MAN_PAGES = readdirSync(FIXTURES).filter((f) => f.startsWith('man-'));

type Split = 'paragraphs' | 'lines';
function piecesOf(text: string, split: Split): string[] {
  return split === 'lines'
    ? text.split('\n').filter((line) => line.trim() !== '')
    : splitParagraphs(text).map((p) => p.text);
}

async function dedupe(pieces: string[]): Promise<DedupeResult> {
  return dedupeItems(pieces.map((text, i) => ({ id: `p${i + 1}`, text })));
}

const shingles = (text: string): Uint32Array => shingleSet(tokenizeWords(text), 3);
const sameText = (a: string, b: string): boolean =>
  normalizeText(a) === normalizeText(b) && (normalizeText(a) !== '' || foldWhitespace(foldCase(a)) === foldWhitespace(foldCase(b)));

/**
 * Every dropped item is the same text as its kept item (modulo case, whitespace, punctuation) or
 * is itself near-identical to it: the reported similarity is measured to the kept item, is at or
 * above the threshold and matches an independent computation, and the dropped item says almost
 * nothing the kept one does not.
 */
function expectNothingDistinctDropped(pieces: string[], result: DedupeResult): void {
  for (const group of result.groups) {
    const kept = pieces[group.keptIndex]!;
    for (const d of group.dropped) {
      const dropped = pieces[d.index]!;
      const where = `${d.id} ← kept ${group.keptId}:\n  kept:    ${kept.slice(0, 200)}\n  dropped: ${dropped.slice(0, 200)}`;
      expect(result.keptIndices, where).not.toContain(d.index);
      if (d.reason === 'exact') {
        expect(sameText(dropped, kept), where).toBe(true);
        continue;
      }
      expect(d.similarity, where).toBeGreaterThanOrEqual(DEFAULT_DEDUPE_THRESHOLD);
      const a = shingles(kept);
      const b = shingles(dropped);
      const measured = d.reason === 'near' ? jaccard(a, b) : containment(a, b);
      expect(measured, where).toBeCloseTo(d.similarity, 3);
      const keptWords = new Set(tokenizeWords(kept));
      const droppedWords = new Set(tokenizeWords(dropped));
      const lost = [...droppedWords].filter((w) => !keptWords.has(w));
      expect(lost.length, `${where}\n  words lost: ${lost.join(' ')}`).toBeLessThanOrEqual(Math.max(1, droppedWords.size * 0.1));
    }
  }
}

function keptTexts(pieces: string[], result: DedupeResult): string[] {
  return result.keptIndices.map((i) => pieces[i]!);
}

describe('dedupe on Debian copyright files and man pages', () => {
  for (const split of ['paragraphs', 'lines'] as const) {
    for (const file of [...COPYRIGHTS, ...MAN_PAGES]) {
      it(`drops nothing distinct from ${file} split into ${split}`, async () => {
        const pieces = piecesOf(read(file), split);
        expectNothingDistinctDropped(pieces, await dedupe(pieces));
      });
    }

    it(`drops nothing distinct from all copyright files together, split into ${split}`, async () => {
      const pieces = COPYRIGHTS.flatMap((f) => piecesOf(read(f), split));
      expectNothingDistinctDropped(pieces, await dedupe(pieces));
    });

    it(`drops nothing distinct from all man page excerpts together, split into ${split}`, async () => {
      const pieces = MAN_PAGES.flatMap((f) => piecesOf(read(f), split));
      expectNothingDistinctDropped(pieces, await dedupe(pieces));
    });
  }

  it('keeps the fields, paths and names that used to disappear', async () => {
    for (const split of ['paragraphs', 'lines'] as const) {
      const pieces = COPYRIGHTS.flatMap((f) => piecesOf(read(f), split));
      const kept = keptTexts(pieces, await dedupe(pieces)).join('\n');
      expect(kept).toContain('Upstream-Name: base-passwd');
      expect(kept).toContain('Files: doc/adduser.conf.5');
      expect(kept).toContain('Justin B Rye');
    }
  });

  it('keeps every DEP-5 paragraph that is about other files', async () => {
    for (const file of COPYRIGHTS) {
      const pieces = piecesOf(read(file), 'paragraphs');
      const result = await dedupe(pieces);
      const filesValue = (p: string): string | undefined => /^Files:([^\n]*(?:\n[ \t][^\n]*)*)/.exec(p)?.[1]?.trim();
      const wanted = new Set(pieces.map(filesValue).filter((v) => v !== undefined));
      const survived = new Set(keptTexts(pieces, result).map(filesValue).filter((v) => v !== undefined));
      expect([...survived].sort(), file).toEqual([...wanted].sort());
    }
  });

  it('keeps test operators that differ in one word, and GPL-2 apart from GPL-3', async () => {
    const lines = piecesOf(read('man-bash-expressions.txt'), 'lines').map((l) => l.trim());
    const kept = new Set(keptTexts(lines, await dedupe(lines)));
    for (const line of [
      'True if file exists and is a block special file.',
      'True if file exists and is a character special file.',
      'True if file exists and is a directory.',
      'True if file exists and is readable.',
      'True if file exists and is writable.',
    ])
      expect(kept.has(line), line).toBe(true);

    const bash = piecesOf(read('copyright-bash.txt'), 'lines');
    const keptBash = keptTexts(bash, await dedupe(bash)).join('\n');
    expect(keptBash).toContain('/usr/share/common-licenses/GPL-2');
    expect(keptBash).toContain('/usr/share/common-licenses/GPL-3');
  });
});
