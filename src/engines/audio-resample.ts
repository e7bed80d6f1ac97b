/**
 * Band-limited resampling with a Kaiser-windowed sinc filter, evaluated as a polyphase filter
 * bank. Downsampling low-passes below the new Nyquist frequency first, so content above it is
 * removed instead of folding back into the speech band (naive decimation would alias it).
 */

/** Zeroth-order modified Bessel function of the first kind (series), for the Kaiser window. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const half = x / 2;
  for (let k = 1; k < 50; k++) {
    term *= (half / k) * (half / k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export interface ResampleOptions {
  /** Stopband attenuation in dB (default 70). */
  attenuationDb?: number;
  /** Transition band width as a fraction of the lower of the two rates (default 1/16: 1 kHz at 16 kHz). */
  transition?: number;
}

const MAX_PHASES = 4096;

/**
 * Resample mono float samples from one rate to another. The passband runs to (Nyquist − transition)
 * of the lower rate and the stopband starts at that Nyquist frequency.
 */
export function resample(
  input: Float32Array,
  fromRate: number,
  toRate: number,
  options: ResampleOptions = {},
): Float32Array {
  if (!Number.isFinite(fromRate) || !Number.isFinite(toRate) || fromRate <= 0 || toRate <= 0) {
    throw new RangeError(`invalid sample rates ${fromRate} → ${toRate}`);
  }
  if (fromRate === toRate) return input.slice();
  if (input.length === 0) return new Float32Array(0);
  const attenuation = options.attenuationDb ?? 70;
  const lower = Math.min(fromRate, toRate);
  const transitionHz = lower * (options.transition ?? 1 / 16);
  // Cutoff (−6 dB point) in cycles per input sample, centred in the transition band.
  const cutoff = (lower / 2 - transitionHz / 2) / fromRate;
  const beta =
    attenuation > 50
      ? 0.1102 * (attenuation - 8.7)
      : 0.5842 * (attenuation - 21) ** 0.4 + 0.07886 * (attenuation - 21);
  const taps = Math.ceil((attenuation - 8) / (2.285 * 2 * Math.PI * (transitionHz / fromRate)));
  const half = Math.max(2, Math.ceil(taps / 2));
  const width = 2 * half;

  // Output sample n sits at input position n * step; exact rational phases when they are few.
  const g = gcd(Math.round(fromRate), Math.round(toRate));
  const exact = Number.isInteger(fromRate) && Number.isInteger(toRate) && toRate / g <= MAX_PHASES;
  const phases = exact ? toRate / g : MAX_PHASES;
  const i0Beta = besselI0(beta);
  const table = new Float32Array(phases * width);
  for (let p = 0; p < phases; p++) {
    const frac = p / phases;
    let sum = 0;
    for (let k = 0; k < width; k++) {
      // Tap k multiplies input sample (base - half + 1 + k); t is its distance from the output point.
      const t = k - half + 1 - frac;
      const x = 2 * cutoff * t;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const r = t / half;
      const win = Math.abs(r) >= 1 ? 0 : besselI0(beta * Math.sqrt(1 - r * r)) / i0Beta;
      const h = 2 * cutoff * sinc * win;
      table[p * width + k] = h;
      sum += h;
    }
    // Normalise each phase to unity DC gain so a constant stays constant.
    if (sum !== 0) for (let k = 0; k < width; k++) table[p * width + k]! /= sum;
  }

  const outLength = Math.floor((input.length * toRate) / fromRate);
  const out = new Float32Array(outLength);
  const n = input.length;
  const num = exact ? fromRate / g : 0;
  const den = exact ? toRate / g : 0;
  for (let i = 0; i < outLength; i++) {
    let base: number;
    let phase: number;
    if (exact) {
      const pos = i * num;
      base = Math.floor(pos / den);
      phase = pos - base * den;
    } else {
      const pos = (i * fromRate) / toRate;
      base = Math.floor(pos);
      phase = Math.min(phases - 1, Math.round((pos - base) * phases));
    }
    const offset = phase * width;
    const first = base - half + 1;
    let acc = 0;
    if (first >= 0 && first + width <= n) {
      for (let k = 0; k < width; k++) acc += table[offset + k]! * input[first + k]!;
    } else {
      for (let k = 0; k < width; k++) {
        const j = first + k;
        if (j >= 0 && j < n) acc += table[offset + k]! * input[j]!;
      }
    }
    out[i] = acc;
  }
  return out;
}
