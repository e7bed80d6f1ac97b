import { describe, expect, test } from 'vitest';
import { detectSilences, splitAtSilences } from '../../src/engines/vad.js';
import { concat, silence, tone } from '../helpers/audio-fixtures.js';

const RATE = 16000;
const FRAME = 160; // 10 ms
const sec = (s: number): number => Math.round(s * RATE);

function noisy(signal: Float32Array, level: number, seed = 7): Float32Array {
  let a = seed;
  const out = Float32Array.from(signal);
  for (let i = 0; i < out.length; i++) {
    a = (a * 1103515245 + 12345) & 0x7fffffff;
    out[i]! += ((a / 0x7fffffff) * 2 - 1) * level;
  }
  return out;
}

function expectCuts(actual: number[], expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((cut, i) => expect(Math.abs(cut - sec(expected[i]!))).toBeLessThanOrEqual(FRAME));
}

describe('detectSilences', () => {
  test('finds pauses of at least minSilenceMs, ignoring shorter ones', () => {
    const audio = concat(
      tone(300, 1),
      silence(0.5),
      tone(500, 1),
      silence(0.2),
      tone(700, 1),
      silence(0.4),
      tone(300, 0.5),
    );
    const found = detectSilences(audio, 300);
    expect(found.map((s) => [s.start, s.end])).toEqual([
      [sec(1), sec(1.5)],
      [sec(3.7), sec(4.1)],
    ]);
  });
});

describe('splitAtSilences', () => {
  // A: 0–2 tone | 2.0–2.6 pause | B: 2.6–5.0 | 5.0–5.4 pause | C: 5.4–9.0 | 9.0–9.2 (too short) | D: 9.2–16.0
  const audio = concat(
    tone(220, 2),
    silence(0.6),
    tone(330, 2.4),
    silence(0.4),
    tone(440, 3.6),
    silence(0.2),
    tone(550, 6.8),
  );

  test('cuts in the middle of the pause nearest the target; hard cut at maxSeconds when no pause is in reach', () => {
    const spans = splitAtSilences(audio, { targetSeconds: 3, maxSeconds: 5, minSilenceMs: 300 });
    expectCuts(
      spans.slice(0, -1).map((s) => s.end),
      [2.3, 5.2, 10.2, 15.2],
    );
    // Spans tile the audio exactly, in order.
    expect(spans[0]!.start).toBe(0);
    expect(spans[spans.length - 1]!.end).toBe(audio.length);
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.start).toBe(spans[i - 1]!.end);
    expect(spans.every((s) => s.endSeconds - s.startSeconds <= 5 + 1e-9)).toBe(true);
  });

  test('prefers the pause closest to the target among several in reach', () => {
    const two = concat(tone(300, 1), silence(0.5), tone(300, 2), silence(0.5), tone(300, 4));
    const spans = splitAtSilences(two, { targetSeconds: 3, maxSeconds: 5, minSilenceMs: 300 });
    expectCuts(
      spans.slice(0, -1).map((s) => s.end),
      [3.75],
    );
  });

  test('never cuts inside sound when a pause is within maxSeconds, even far from the target', () => {
    const far = concat(tone(300, 4.5), silence(0.4), tone(300, 4.5));
    const spans = splitAtSilences(far, { targetSeconds: 2, maxSeconds: 6, minSilenceMs: 300 });
    expectCuts(
      spans.slice(0, -1).map((s) => s.end),
      [4.7],
    );
  });

  test('works over a noise floor (pauses are quiet, not digital zero)', () => {
    const withNoise = noisy(audio, 0.002);
    const spans = splitAtSilences(withNoise, { targetSeconds: 3, maxSeconds: 5, minSilenceMs: 300 });
    expectCuts(
      spans.slice(0, -1).map((s) => s.end),
      [2.3, 5.2, 10.2, 15.2],
    );
  });

  test('short audio is one span; all-silent spans are flagged', () => {
    expect(splitAtSilences(tone(300, 2), { targetSeconds: 3, maxSeconds: 5 })).toHaveLength(1);
    const spans = splitAtSilences(concat(tone(300, 2), silence(0.5), silence(6)), {
      targetSeconds: 2,
      maxSeconds: 3,
    });
    expect(spans[0]!.voiced).toBe(true);
    expect(spans.slice(1).every((s) => !s.voiced)).toBe(true);
  });

  test('continuous sound with no pause at all is hard-cut at maxSeconds', () => {
    const spans = splitAtSilences(tone(300, 10), { targetSeconds: 3, maxSeconds: 4 });
    expect(spans.map((s) => s.end)).toEqual([sec(4), sec(8), sec(10)]);
    expect(spans.every((s) => s.voiced)).toBe(true);
  });
});
