import { describe, expect, it } from 'vitest';
import { PrechewError } from '../../src/errors.js';
import {
  DEFAULT_DEDUPE_THRESHOLD,
  DEFAULT_NUM_HASHES,
  DEFAULT_SHINGLE_SIZE,
  dedupeItems,
  passesVerification,
  type DedupeItem,
  type DedupeResult,
} from '../../src/text/dedupe.js';
import { foldPunctuation, foldWhitespace, normalizeText, tokenizeWords } from '../../src/text/normalize.js';
import { splitChunks, splitParagraphs, splitSentences } from '../../src/text/split.js';
import { jaccard, shingleSet } from '../../src/text/minhash.js';
import { generateNearDupCorpus } from '../../bench/near-dup-corpus.js';

const PASSAGE_A =
  'The committee reviewed the quarterly budget before the meeting on Tuesday. Several members asked why ' +
  'the maintenance line had doubled since last spring, and the treasurer explained that the old boiler ' +
  'in the east wing failed twice during the winter. After a long discussion the committee agreed to ' +
  'replace it in May, to ask three contractors for quotes, and to report back to the council before ' +
  'the summer recess. The library renovation was postponed until the next financial year.';
const PASSAGE_B =
  'Our neighbour spent the weekend repairing the fence behind the orchard. The storm in early March had ' +
  'knocked down four posts and most of the wire, so the sheep kept wandering into the vegetable garden. ' +
  'He borrowed a post driver from the farmer across the valley, bought new wire in town, and finished ' +
  'the job on Sunday evening just before the rain came back. The sheep were not impressed.';

const items = (...texts: string[]): DedupeItem[] => texts.map((text, i) => ({ id: `i${i}`, text }));

function droppedOf(result: DedupeResult): Map<number, { kept: number; reason: string; similarity: number }> {
  const out = new Map<number, { kept: number; reason: string; similarity: number }>();
  for (const g of result.groups) {
    for (const d of g.dropped)
      out.set(d.index, { kept: g.keptIndex, reason: d.reason, similarity: d.similarity });
  }
  return out;
}

/** Replaces every `step`-th word (a ~1/step edit rate). */
function editEveryNth(text: string, step: number): string {
  return text
    .split(' ')
    .map((w, i) => (i % step === step - 1 ? 'edited' : w))
    .join(' ');
}

describe('normalize', () => {
  it('folds case, whitespace, punctuation and Unicode compatibility forms', () => {
    expect(tokenizeWords('Hello,  WORLD!\n\tIt’s   fine.')).toEqual(['hello', 'world', 'its', 'fine']);
    expect(normalizeText('ＨＥＬＬＯ　ｗｏｒｌｄ')).toBe('hello world');
    expect(normalizeText('ﬁle — “quoted” (x)')).toBe('file quoted x');
    expect(normalizeText("'quoted' don't")).toBe('quoted dont');
    expect(normalizeText('Café naïve')).toBe(normalizeText('CAFÉ NAÏVE'));
    expect(normalizeText('10.0.3.7:8080 status=200')).toBe('10 0 3 7 8080 status 200');
    expect(tokenizeWords('')).toEqual([]);
    expect(tokenizeWords('--- *** ...')).toEqual([]);
  });

  it('splits unspaced scripts into one token per character', () => {
    expect(tokenizeWords('東京都に住む')).toEqual(['東', '京', '都', 'に', '住', 'む']);
    expect(tokenizeWords('hello 世界 ok')).toEqual(['hello', '世', '界', 'ok']);
    expect(tokenizeWords('emoji 😀 here 𝒳')).toEqual(['emoji', 'here', 'x']);
  });

  it('exposes the individual folds', () => {
    expect(foldWhitespace('  a \n\t b  ')).toBe('a b');
    expect(foldPunctuation('Hello, world! (It’s) fine.')).toBe('Hello world Its fine');
  });
});

describe('split', () => {
  const doc =
    'First paragraph line one.\nLine two.\n\n  \r\nSecond paragraph. It has two sentences!\n\n\nThird.';

  it('splits paragraphs with offsets into the source', () => {
    const paragraphs = splitParagraphs(doc);
    expect(paragraphs.map((p) => p.text)).toEqual([
      'First paragraph line one.\nLine two.',
      'Second paragraph. It has two sentences!',
      'Third.',
    ]);
    for (const p of paragraphs) expect(doc.slice(p.start, p.end)).toBe(p.text);
    expect(splitParagraphs('')).toEqual([]);
    expect(splitParagraphs('  \n\n  ')).toEqual([]);
  });

  it('splits sentences and lines', () => {
    expect(splitSentences('One. Two! "Three?" Four\nFive').map((s) => s.text)).toEqual([
      'One.',
      'Two!',
      '"Three?"',
      'Four',
      'Five',
    ]);
  });

  it('packs chunks up to maxChars on paragraph, then sentence, then word boundaries', () => {
    const long = Array.from({ length: 40 }, (_, i) => `Sentence number ${i} is here.`).join(' ');
    const text = `Short intro.\n\n${long}\n\nTail paragraph.`;
    const chunks = splitChunks(text, 120);
    for (const c of chunks) {
      expect(c.text.length).toBeLessThanOrEqual(120);
      expect(text.slice(c.start, c.end)).toBe(c.text);
    }
    // Nothing lost: every word of the source is in some chunk, in order.
    expect(
      chunks
        .map((c) => c.text)
        .join(' ')
        .split(/\s+/),
    ).toEqual(text.split(/\s+/));
    // Sentence boundaries are respected inside the long paragraph.
    for (const c of chunks) expect(/[.!?]$/.test(c.text)).toBe(true);
    // Small paragraphs are packed together.
    expect(splitChunks('a.\n\nb.\n\nc.', 100)).toEqual([{ text: 'a.\n\nb.\n\nc.', start: 0, end: 10 }]);
  });

  it('cuts a single over-long sentence at whitespace, and a word hard without splitting surrogates', () => {
    const sentence = Array.from({ length: 50 }, () => 'word').join(' ');
    const chunks = splitChunks(sentence, 32);
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(32);
    expect(chunks.map((c) => c.text).join(' ')).toBe(sentence);
    const emoji = '😀'.repeat(10);
    const pieces = splitChunks(emoji, 3);
    expect(pieces.map((p) => p.text).join('')).toBe(emoji);
    for (const p of pieces) expect(p.text).not.toMatch(/^[\udc00-\udfff]|[\ud800-\udbff]$/);
    expect(() => splitChunks('x', 0)).toThrow(RangeError);
  });
});

describe('dedupeItems — exact', () => {
  it('groups texts equal after folding case, whitespace and punctuation, keeping the first', async () => {
    const result = await dedupeItems(
      items(
        PASSAGE_A,
        PASSAGE_B,
        PASSAGE_A.toUpperCase(),
        `  ${PASSAGE_A.replace(/,/g, '').replace(/ /g, '\n ')}  `,
      ),
      { mode: 'exact' },
    );
    expect(result.keptIndices).toEqual([0, 1]);
    expect(result.groups).toEqual([
      {
        keptIndex: 0,
        keptId: 'i0',
        dropped: [
          { index: 2, id: 'i2', similarity: 1, reason: 'exact' },
          { index: 3, id: 'i3', similarity: 1, reason: 'exact' },
        ],
      },
    ]);
    expect(result.params.mode).toBe('exact');
    expect(result.params.threshold).toBe(1);
  });

  it('does not drop near duplicates in exact mode', async () => {
    const result = await dedupeItems(items(PASSAGE_A, editEveryNth(PASSAGE_A, 30)), { mode: 'exact' });
    expect(result.keptIndices).toEqual([0, 1]);
    expect(result.groups).toEqual([]);
  });

  it('handles empty input, empty texts and punctuation-only texts', async () => {
    expect(await dedupeItems([])).toMatchObject({ keptIndices: [], groups: [] });
    const result = await dedupeItems(items('', '   \n', '---', '***', '---'));
    expect(result.keptIndices).toEqual([0, 2, 3]);
    expect(droppedOf(result)).toEqual(
      new Map([
        [1, { kept: 0, reason: 'exact', similarity: 1 }],
        [4, { kept: 2, reason: 'exact', similarity: 1 }],
      ]),
    );
  });
});

describe('dedupeItems — near', () => {
  it('uses the documented defaults', async () => {
    const result = await dedupeItems(items(PASSAGE_A));
    expect(result.params).toEqual({
      mode: 'near',
      threshold: DEFAULT_DEDUPE_THRESHOLD,
      shingleSize: DEFAULT_SHINGLE_SIZE,
      numHashes: DEFAULT_NUM_HASHES,
      bands: 42,
      rows: 3,
    });
    expect(DEFAULT_DEDUPE_THRESHOLD).toBe(0.4);
    expect(DEFAULT_SHINGLE_SIZE).toBe(3);
  });

  it('catches edited, trimmed and reformatted copies and keeps distinct passages', async () => {
    const sentences = PASSAGE_A.split(/(?<=\.) /);
    const dropped = sentences.filter((_, i) => i !== 2).join(' ');
    const moved = [...sentences.slice(1), sentences[0]].join(' ');
    const texts = [
      PASSAGE_A, // 0
      PASSAGE_B, // 1
      editEveryNth(PASSAGE_A, 10), // 2: 10% of words replaced
      dropped.toLowerCase().replace(/[.,]/g, ''), // 3: a sentence dropped, case and punctuation changed
      moved, // 4: sentences reordered
      editEveryNth(PASSAGE_B, 20).toUpperCase(), // 5
      PASSAGE_A, // 6: exact copy
    ];
    const result = await dedupeItems(items(...texts));
    expect(result.keptIndices).toEqual([0, 1]);
    const dropped_ = droppedOf(result);
    expect([...dropped_.keys()].sort()).toEqual([2, 3, 4, 5, 6]);
    expect(dropped_.get(6)).toEqual({ kept: 0, reason: 'exact', similarity: 1 });
    for (const i of [2, 3, 4]) {
      const d = dropped_.get(i)!;
      expect(d.kept).toBe(0);
      expect(d.reason).toBe('near');
      const words = (t: string): string[] => tokenizeWords(t);
      expect(d.similarity).toBeCloseTo(
        jaccard(shingleSet(words(texts[i]!), 3), shingleSet(words(PASSAGE_A), 3)),
        3,
      );
      expect(d.similarity).toBeGreaterThanOrEqual(DEFAULT_DEDUPE_THRESHOLD);
    }
    expect(dropped_.get(5)?.kept).toBe(1);
  });

  it('never chains: an item is dropped only for an item it is itself similar to', async () => {
    // Five passages that overlap like roof tiles: each shares 40 of 60 words with its neighbours
    // (J = 0.49) and 20 with the next but one (J = 0.18). Union-find used to merge all five and
    // report the last one against the first at J = 0.
    const vocabulary = PASSAGE_A.split(' ').concat(PASSAGE_B.split(' ')).map((w, i) => `${w.replace(/\W/g, '')}x${i}`);
    const tiles = [0, 20, 40, 60, 80].map((start) => vocabulary.slice(start, start + 60).join(' '));
    const result = await dedupeItems(items(...tiles));
    const sets = tiles.map((t) => shingleSet(tokenizeWords(t), 3));
    expect(jaccard(sets[0]!, sets[1]!)).toBeGreaterThan(0.4);
    expect(jaccard(sets[0]!, sets[2]!)).toBeLessThan(0.2);
    for (const g of result.groups) {
      for (const d of g.dropped) {
        expect(d.similarity).toBeGreaterThanOrEqual(DEFAULT_DEDUPE_THRESHOLD);
        expect(jaccard(sets[g.keptIndex]!, sets[d.index]!)).toBeCloseTo(d.similarity, 3);
      }
    }
    // The best-connected tiles (1 and 3) are kept, each with its direct neighbours.
    expect(result.keptIndices).toEqual([1, 3]);
  });

  it('keeps the first item of a group even when it is the edited copy', async () => {
    const result = await dedupeItems(items(editEveryNth(PASSAGE_B, 12), PASSAGE_A, PASSAGE_B));
    expect(result.keptIndices).toEqual([0, 1]);
    expect(result.groups).toMatchObject([
      { keptIndex: 0, keptId: 'i0', dropped: [{ index: 2, reason: 'near' }] },
    ]);
  });

  it('drops a trimmed copy by containment when Jaccard is too low', async () => {
    // The copy keeps a third of the base's sentences: Jaccard ≈ 0.35 (below the threshold), containment 1.
    const { items: corpus } = generateNearDupCorpus({
      seed: 3,
      bases: 12,
      copiesPerBase: 0,
      targetChars: 1400,
      shuffle: false,
    });
    const bases = corpus.filter((c) => c.kind === 'prose').map((c) => c.text);
    const trimmed = bases.map((t) => {
      const sentences = t.split(/(?<=\.) /);
      return sentences.slice(2, 2 + Math.round(sentences.length * 0.35)).join(' ');
    });
    const result = await dedupeItems(items(...bases, ...trimmed));
    const dropped = droppedOf(result);
    let caught = 0;
    for (let i = 0; i < trimmed.length; i++) {
      const d = dropped.get(bases.length + i);
      if (!d) continue;
      caught++;
      expect(d).toMatchObject({ kept: i, reason: 'containment' });
      expect(d.similarity).toBeGreaterThanOrEqual(0.8);
    }
    expect(caught).toBeGreaterThanOrEqual(3); // LSH finds a J≈0.35 pair with probability ~0.8
    for (let i = 0; i < bases.length; i++) expect(dropped.has(i)).toBe(false);
  });

  it('checks containment and Jaccard exactly', () => {
    const big = Uint32Array.from({ length: 100 }, (_, i) => i * 2);
    const inside = big.slice(10, 30); // 20 of 100: J = 0.2, containment 1
    expect(passesVerification(big, inside, 0.4, 0.8)).toBe(true);
    expect(passesVerification(big, big.slice(0, 8), 0.4, 0.8)).toBe(false); // too small to trust containment
    expect(passesVerification(big, big.slice(0, 45), 0.4, 0.8)).toBe(true); // J = 0.45
    const half = Uint32Array.from([
      ...big.slice(0, 40),
      ...Array.from({ length: 60 }, (_, i) => 1001 + i * 2),
    ]);
    expect(passesVerification(big, half, 0.25, 0.8)).toBe(true); // J = 40/160 = 0.25
    expect(passesVerification(big, half, 0.26, 0.8)).toBe(false);
    expect(passesVerification(new Uint32Array(0), big, 0.4, 0.8)).toBe(false);
  });

  it('handles items shorter than the shingle size', async () => {
    const result = await dedupeItems(
      items('OK', 'ok!', 'Build failed', 'build  FAILED.', 'Build passed', 'x', 'Yes'),
    );
    expect(result.keptIndices).toEqual([0, 2, 4, 5, 6]);
    expect(droppedOf(result)).toEqual(
      new Map([
        [1, { kept: 0, reason: 'exact', similarity: 1 }],
        [3, { kept: 2, reason: 'exact', similarity: 1 }],
      ]),
    );
  });

  it('matches short lines only when they are long enough and differ in no name or path', async () => {
    // Lines under ~10 words (8 shingles) match exactly or not at all: "file" and "folder" share
    // most of their few shingles and still say different things. (This used to drop line 3 as a
    // near duplicate of line 2 at J = 0.71.)
    const lines = [
      'Click Save to keep your changes.',
      'Click Cancel to discard your changes.',
      'Press Delete to remove the selected file.',
      'Press Delete to remove the selected folder.',
      'The nightly backup of the billing database finished without errors on the primary server',
      'The nightly backup of the billing database finished without any errors on the primary server', // one word inserted: J = 0.67
      'The nightly backup of the billing database finished without errors on the primary server in Frankfurt',
      'The nightly backup of the billing database finished without errors on the primary server in Dublin', // another place: kept
    ];
    const result = await dedupeItems(items(...lines));
    const dropped = droppedOf(result);
    expect(result.keptIndices).toEqual([0, 1, 2, 3, 4, 6, 7]);
    expect(dropped.get(5)).toMatchObject({ kept: 4, reason: 'near' });
    expect(dropped.get(5)!.similarity).toBeCloseTo(0.6667, 3);
  });

  it('keeps distinct passages of one templated document apart', async () => {
    // Documentation sections and log excerpts written from the same templates, no copies.
    const { items: corpus } = generateNearDupCorpus({
      seed: 4,
      bases: 300,
      copiesPerBase: 0,
      kinds: ['docs', 'logs'],
    });
    const result = await dedupeItems(corpus.map(({ id, text }) => ({ id, text })));
    expect(result.groups).toEqual([]);
  });

  it('is deterministic for a seed', async () => {
    const { items: corpus } = generateNearDupCorpus({ seed: 5, bases: 100, copiesPerBase: 2 });
    const input = corpus.map(({ id, text }) => ({ id, text }));
    const a = await dedupeItems(input, { seed: 11 });
    const b = await dedupeItems(input, { seed: 11 });
    expect(b).toEqual(a);
    const c = await dedupeItems(input, { seed: 12 });
    expect(c.keptIndices.length).toBeGreaterThan(95);
    expect(c.keptIndices.length).toBeLessThan(105);
  });

  it('honours threshold, shingleSize and numHashes', async () => {
    const copy = editEveryNth(PASSAGE_A, 6);
    const similarity = jaccard(shingleSet(tokenizeWords(copy), 3), shingleSet(tokenizeWords(PASSAGE_A), 3));
    const loose = await dedupeItems(items(PASSAGE_A, copy), { threshold: similarity - 0.05 });
    const strict = await dedupeItems(items(PASSAGE_A, copy), { threshold: similarity + 0.05 });
    expect(loose.keptIndices).toEqual([0]);
    expect(strict.keptIndices).toEqual([0, 1]);
    const custom = await dedupeItems(items(PASSAGE_A), { shingleSize: 5, numHashes: 64, threshold: 0.7 });
    expect(custom.params).toMatchObject({ shingleSize: 5, numHashes: 64, threshold: 0.7 });
    expect(custom.params.bands * custom.params.rows).toBeLessThanOrEqual(64);
  });

  it('rejects invalid options with INVALID_INPUT', async () => {
    for (const options of [
      { threshold: 0 },
      { threshold: 1.5 },
      { threshold: Number.NaN },
      { shingleSize: 0 },
      { shingleSize: 2.5 },
      { numHashes: 4 },
      { mode: 'fuzzy' as never },
    ]) {
      await expect(dedupeItems(items('a'), options)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
    await expect(dedupeItems([{ id: 'x', text: 42 as never }])).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });
});

describe('dedupeItems — responsiveness', () => {
  const many = (n: number): DedupeItem[] => {
    const { items: corpus } = generateNearDupCorpus({ seed: 8, bases: Math.ceil(n / 2), copiesPerBase: 1 });
    return corpus.slice(0, n).map(({ id, text }) => ({ id, text }));
  };

  it('reports monotonic progress ending at total', async () => {
    const calls: Array<[number, number]> = [];
    const input = many(5000);
    await dedupeItems(input, { onProgress: (done, total) => calls.push([done, total]) });
    expect(calls.length).toBeGreaterThan(3);
    for (let i = 1; i < calls.length; i++) expect(calls[i]![0]).toBeGreaterThanOrEqual(calls[i - 1]![0]);
    const last = calls[calls.length - 1]!;
    expect(last[0]).toBe(last[1]);
    expect(last[1]).toBe(5000 + 42);
  });

  it('yields to the event loop while it works', async () => {
    let timerFired = false;
    let firedBeforeEnd = false;
    setTimeout(() => (timerFired = true), 0);
    await dedupeItems(many(6000), {
      onProgress: (done, total) => {
        if (done < total && timerFired) firedBeforeEnd = true;
      },
    });
    expect(firedBeforeEnd).toBe(true);
  });

  it('throws CANCELLED when aborted before or during the work', async () => {
    const before = new AbortController();
    before.abort();
    await expect(dedupeItems(items(PASSAGE_A), { signal: before.signal })).rejects.toMatchObject({
      code: 'CANCELLED',
    });

    const during = new AbortController();
    const promise = dedupeItems(many(6000), {
      signal: during.signal,
      onProgress: (done) => {
        if (done > 0) during.abort();
      },
    });
    await expect(promise).rejects.toBeInstanceOf(PrechewError);
    await expect(promise).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('stays linear when thousands of items are near-identical', async () => {
    // 20k log lines that differ only in a counter: one huge LSH bucket per band.
    const input = Array.from({ length: 20_000 }, (_, i) => ({
      id: String(i),
      text: `worker 7 processed the nightly reindex batch for tenant acme and wrote the summary to the audit table, batch ${i}`,
    }));
    const result = await dedupeItems(input);
    expect(result.keptIndices).toEqual([0]);
    expect(result.groups[0]?.dropped.length).toBe(19_999);
    expect(result.groups[0]?.dropped.every((d) => d.reason === 'near' && d.similarity >= 0.8)).toBe(true);
  });
});
