/**
 * A small voice-activity detector (frame energy + zero-crossing rate) on 16 kHz mono audio, used
 * to split long recordings into units at pauses so no word is cut in half. It is deliberately
 * simple: it only has to find pauses, not to tell speech from music.
 */
import { TARGET_SAMPLE_RATE } from './audio.js';

export const FRAME_MS = 10;

export interface VadOptions {
  sampleRate?: number;
  /** Frames quieter than this (dBFS) are always silence. Default −55. */
  floorDb?: number;
}

export interface FrameAnalysis {
  frameSamples: number;
  /** Per frame: true when it looks like speech (or any other sound). */
  voiced: Uint8Array;
  energyDb: Float32Array;
}

/** Classify fixed 10 ms frames as voiced or silent with an adaptive energy threshold. */
export function analyzeFrames(samples: Float32Array, options: VadOptions = {}): FrameAnalysis {
  const rate = options.sampleRate ?? TARGET_SAMPLE_RATE;
  const frameSamples = Math.max(1, Math.round((rate * FRAME_MS) / 1000));
  const count = Math.ceil(samples.length / frameSamples);
  const energyDb = new Float32Array(count);
  const zcr = new Float32Array(count);
  for (let f = 0; f < count; f++) {
    const start = f * frameSamples;
    const end = Math.min(samples.length, start + frameSamples);
    let sum = 0;
    let crossings = 0;
    let prev = samples[start]!;
    for (let i = start; i < end; i++) {
      const v = samples[i]!;
      sum += v * v;
      if (v >= 0 !== prev >= 0) crossings++;
      prev = v;
    }
    const n = Math.max(1, end - start);
    energyDb[f] = 10 * Math.log10(sum / n + 1e-12);
    zcr[f] = crossings / n;
  }
  // Adaptive threshold between the noise floor (10th percentile) and the loud level (95th).
  const sorted = Float32Array.from(energyDb).sort();
  const noise = sorted[Math.floor(sorted.length * 0.1)] ?? -120;
  const loud = sorted[Math.floor(sorted.length * 0.95)] ?? -120;
  const floor = options.floorDb ?? -55;
  // Capped below the loud level so a recording with few pauses still has voiced frames.
  const threshold = Math.max(floor, Math.min(noise + Math.max(6, (loud - noise) * 0.3), loud - 10));
  const voiced = new Uint8Array(count);
  for (let f = 0; f < count; f++) {
    const e = energyDb[f]!;
    // Unvoiced consonants (s, f, sh) are quieter but noisy: a high zero-crossing rate keeps them in.
    voiced[f] = e > threshold || (e > threshold - 10 && e > floor && zcr[f]! > 0.3) ? 1 : 0;
  }
  return { frameSamples, voiced, energyDb };
}

export interface Silence {
  /** Sample range [start, end). */
  start: number;
  end: number;
}

/** Runs of silent frames at least minSilenceMs long, in samples. */
export function detectSilences(
  samples: Float32Array,
  minSilenceMs = 300,
  options: VadOptions = {},
): Silence[] {
  const { frameSamples, voiced } = analyzeFrames(samples, options);
  const minFrames = Math.max(1, Math.ceil(minSilenceMs / FRAME_MS));
  const out: Silence[] = [];
  let runStart = -1;
  for (let f = 0; f <= voiced.length; f++) {
    const silent = f < voiced.length && voiced[f] === 0;
    if (silent && runStart < 0) runStart = f;
    if (!silent && runStart >= 0) {
      if (f - runStart >= minFrames)
        out.push({ start: runStart * frameSamples, end: Math.min(samples.length, f * frameSamples) });
      runStart = -1;
    }
  }
  return out;
}

export interface SplitOptions {
  /** Preferred unit length in seconds. */
  targetSeconds: number;
  /** Never longer than this: a hard cut when no pause is in reach. */
  maxSeconds: number;
  /** Shortest pause that counts as a place to cut (default 300 ms). */
  minSilenceMs?: number;
  sampleRate?: number;
}

export interface AudioSpan {
  /** Sample range [start, end). */
  start: number;
  end: number;
  startSeconds: number;
  endSeconds: number;
  /** False when the span holds no voiced frame at all (it can be skipped). */
  voiced: boolean;
}

/**
 * Split audio into spans of about targetSeconds, cutting in the middle of the pause nearest the
 * target, never inside sound when a pause lies within maxSeconds; hard cut at maxSeconds otherwise.
 */
export function splitAtSilences(samples: Float32Array, options: SplitOptions): AudioSpan[] {
  const rate = options.sampleRate ?? TARGET_SAMPLE_RATE;
  const target = Math.max(1, Math.round(options.targetSeconds * rate));
  const max = Math.max(target, Math.round(options.maxSeconds * rate));
  const total = samples.length;
  const analysis = analyzeFrames(samples, { sampleRate: rate });
  const silences = detectSilences(samples, options.minSilenceMs ?? 300, { sampleRate: rate });
  const cuts: number[] = [];
  let start = 0;
  let si = 0;
  // A unit shorter than a quarter of the target is not worth a cut.
  const minUnit = Math.floor(target / 4);
  while (total - start > target) {
    let best: number | undefined;
    while (si < silences.length && silences[si]!.end <= start) si++;
    for (let j = si; j < silences.length; j++) {
      const s = silences[j]!;
      const mid = Math.floor((s.start + s.end) / 2);
      if (mid > start + max) break;
      if (mid <= start + minUnit) continue;
      if (best === undefined || Math.abs(mid - (start + target)) < Math.abs(best - (start + target)))
        best = mid;
    }
    const cut = best ?? start + max;
    if (cut >= total) break;
    cuts.push(cut);
    start = cut;
  }
  const bounds = [0, ...cuts, total];
  const spans: AudioSpan[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const s = bounds[i]!;
    const e = bounds[i + 1]!;
    let voiced = false;
    const f0 = Math.floor(s / analysis.frameSamples);
    const f1 = Math.ceil(e / analysis.frameSamples);
    for (let f = f0; f < f1 && !voiced; f++) voiced = analysis.voiced[f] === 1;
    spans.push({ start: s, end: e, startSeconds: s / rate, endSeconds: e / rate, voiced });
  }
  return spans;
}
