import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeSentiment, analyzeSentimentBatch, NEUTRAL_BAND } from '../../src/text/sentiment.js';

interface Labelled {
  text: string;
  label: 'positive' | 'negative' | 'neutral';
}
const labelled = JSON.parse(
  readFileSync(new URL('../../fixtures/sentiment/labelled.json', import.meta.url), 'utf8'),
) as Labelled[];

describe('analyzeSentiment', () => {
  it('reaches the measured accuracy on the labelled set', () => {
    const results = analyzeSentimentBatch(labelled.map((l) => l.text));
    const correct = results.filter((r, k) => r.label === labelled[k]!.label).length;
    const accuracy = correct / labelled.length;
    console.info('sentiment accuracy: %d/%d = %s', correct, labelled.length, accuracy.toFixed(3));
    expect(labelled.length).toBeGreaterThanOrEqual(60);
    // Measured 62/66 = 0.939; the floor leaves a margin of about three texts.
    expect(accuracy).toBeGreaterThanOrEqual(0.89);
    for (const label of ['positive', 'negative', 'neutral'] as const) {
      const items = labelled.map((l, k) => [l, results[k]!] as const).filter(([l]) => l.label === label);
      expect(items.filter(([, r]) => r.label === label).length / items.length).toBeGreaterThanOrEqual(0.8);
    }
  });

  it('handles negation, contrast, intensifiers and emphasis', () => {
    expect(analyzeSentiment('The food was good.').label).toBe('positive');
    expect(analyzeSentiment('The food was not good.').label).toBe('negative');
    expect(analyzeSentiment('The food was not bad at all.').label).toBe('positive');
    expect(analyzeSentiment("I don't love it.").label).toBe('negative');
    expect(analyzeSentiment('No problems at all.').label).toBe('positive');
    // "but": the second clause decides.
    expect(analyzeSentiment('The screen is great, but the battery is terrible.').label).toBe('negative');
    expect(analyzeSentiment('The battery is terrible, but the screen is great.').label).toBe('positive');
    const good = analyzeSentiment('It is good.').score;
    expect(analyzeSentiment('It is very good.').score).toBeGreaterThan(good);
    expect(analyzeSentiment('It is slightly good.').score).toBeLessThan(good);
    expect(analyzeSentiment('It is good!!').score).toBeGreaterThan(good);
    expect(analyzeSentiment('It is GOOD.').score).toBeGreaterThan(good);
    // "looks like" is not "like".
    expect(analyzeSentiment('It looks like rain.').label).toBe('neutral');
  });

  it('returns bounded scores and neutral for empty or factual text', () => {
    for (const text of ['', '   ', 'The train leaves at 9.']) {
      const r = analyzeSentiment(text);
      expect(r.label).toBe('neutral');
      expect(Math.abs(r.score)).toBeLessThan(NEUTRAL_BAND);
    }
    const strong = analyzeSentiment('Amazing, wonderful, fantastic, brilliant, superb, I love it!!!');
    expect(strong.score).toBeLessThanOrEqual(1);
    expect(strong.score).toBeGreaterThan(0.9);
    expect(strong.confidence).toBeGreaterThan(0.9);
    for (const r of analyzeSentimentBatch(labelled.map((l) => l.text))) {
      expect(r.score).toBeGreaterThanOrEqual(-1);
      expect(r.score).toBeLessThanOrEqual(1);
      expect(r.confidence).toBeGreaterThanOrEqual(0.5);
      expect(r.confidence).toBeLessThanOrEqual(1);
      expect(Number.isFinite(r.comparative)).toBe(true);
    }
  });

  it('batch results equal single results, in order', () => {
    const texts = ['Great!', 'Awful.', 'It is Tuesday.'];
    expect(analyzeSentimentBatch(texts)).toEqual(texts.map((t) => analyzeSentiment(t)));
    expect(analyzeSentimentBatch([])).toEqual([]);
  });
});
