import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  decodeAudio,
  encodeWav16,
  parseWavHeader,
  resample,
  sniffAudioFormat,
} from '../../src/engines/audio.js';
import { PrechewError } from '../../src/errors.js';
import { tempDir } from '../helpers/app.js';
import {
  concat,
  convertAudio,
  espeakWav,
  JFK_WAV,
  makeWav,
  silence,
  tone,
  toneAmplitude,
  tools,
} from '../helpers/audio-fixtures.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (error) {
    return error instanceof PrechewError
      ? `${error.code}: ${error.message}`
      : `non-prechew: ${String(error)}`;
  }
}

/** Dominant frequency by scanning candidate tones (coarse but exact enough for these tests). */
function peakFrequency(samples: Float32Array, rate: number, candidates: number[]): number {
  let best = candidates[0]!;
  let bestAmp = -1;
  for (const f of candidates) {
    const a = toneAmplitude(samples, f, rate);
    if (a > bestAmp) [best, bestAmp] = [f, a];
  }
  return best;
}

describe('resampler', () => {
  test('a 1 kHz tone keeps its frequency and level from 44.1 kHz, 48 kHz and 8 kHz', () => {
    for (const rate of [44100, 48000, 22050, 8000]) {
      const out = resample(tone(1000, 1, rate, 0.5), rate, 16000);
      expect(out.length).toBe(16000);
      const mid = out.subarray(2000, 14000);
      expect(peakFrequency(mid, 16000, [500, 900, 1000, 1100, 2000, 3000])).toBe(1000);
      expect(toneAmplitude(mid, 1000, 16000)).toBeGreaterThan(0.5 * 0.97);
      expect(toneAmplitude(mid, 1000, 16000)).toBeLessThan(0.5 * 1.03);
    }
  });

  test('content above the new Nyquist frequency is removed, not aliased', () => {
    // 10 kHz at 44.1 kHz would fold to 6 kHz with naive decimation; 9 kHz would fold to 7 kHz.
    for (const [freq, alias] of [
      [10000, 6000],
      [9000, 7000],
      [12000, 4000],
    ] as const) {
      const input = tone(freq, 1, 44100, 0.5);
      const out = resample(input, 44100, 16000).subarray(2000, 14000);
      const aliased = toneAmplitude(out, alias, 16000);
      expect(aliased).toBeLessThan(0.5 * 10 ** (-50 / 20)); // at least 50 dB down
      // Naive decimation (pick nearest samples) does alias: the test would catch it.
      const naive = new Float32Array(16000)
        .map((_, i) => input[Math.floor((i * 44100) / 16000)]!)
        .subarray(2000, 14000);
      expect(toneAmplitude(naive, alias, 16000)).toBeGreaterThan(0.2);
    }
  });

  test('band edges: up to 7 kHz passes, above the new 8 kHz Nyquist is stopped (8.5 kHz would alias to 7.5 kHz)', () => {
    const through = (freq: number, at: number): number =>
      toneAmplitude(resample(tone(freq, 1, 44100, 0.5), 44100, 16000).subarray(2000, 14000), at, 16000);
    expect(through(3000, 3000)).toBeGreaterThan(0.49);
    expect(through(7000, 7000)).toBeGreaterThan(0.5 * 10 ** (-1 / 20)); // within 1 dB
    expect(through(7500, 7500)).toBeLessThan(0.4); // transition band
    expect(through(8500, 7500)).toBeLessThan(0.5 * 10 ** (-50 / 20));
  });

  test('odd rates (no small rational ratio) still resample correctly', () => {
    const out = resample(tone(440, 1, 44101, 0.5), 44101, 16000);
    expect(Math.abs(out.length - 16000)).toBeLessThanOrEqual(1);
    expect(toneAmplitude(out.subarray(2000, 14000), 440, 16000)).toBeGreaterThan(0.48);
  });
});

describe('WAV decoding', () => {
  const signal = tone(440, 0.5, 16000, 0.5);
  const layouts = [
    { bits: 8 },
    { bits: 16 },
    { bits: 24 },
    { bits: 32 },
    { bits: 32, float: true },
    { bits: 64, float: true },
    { bits: 16, extensible: true },
    { bits: 32, float: true, extensible: true },
    { bits: 16, rf64: true },
    { bits: 16, extraChunk: true },
  ] as const;
  for (const layout of layouts) {
    test(`mono ${JSON.stringify(layout)}`, async () => {
      const decoded = await decodeAudio(makeWav([signal], layout));
      expect(decoded.decoder).toBe('wav');
      expect(decoded.samples.length).toBe(signal.length);
      const tolerance = layout.bits === 8 ? 0.02 : 0.0002;
      let maxErr = 0;
      for (let i = 0; i < signal.length; i++)
        maxErr = Math.max(maxErr, Math.abs(decoded.samples[i]! - signal[i]!));
      expect(maxErr).toBeLessThan(tolerance);
    });
  }

  test('stereo is averaged to mono; 44.1k/48k/8k become 16 kHz', async () => {
    for (const rate of [44100, 48000, 8000]) {
      const left = tone(1000, 1, rate, 0.6);
      const right = new Float32Array(left.length); // silent right channel halves the level
      const decoded = await decodeAudio(makeWav([left, right], { rate, bits: 16 }));
      expect(decoded.description).toContain(`${rate} Hz, 2 channels`);
      expect(decoded.samples.length).toBe(16000);
      expect(toneAmplitude(decoded.samples.subarray(2000, 14000), 1000, 16000)).toBeCloseTo(0.3, 2);
    }
  });

  test('six channels decode (any channel count)', async () => {
    const chans = Array.from({ length: 6 }, () => tone(500, 0.2, 48000, 0.3));
    const decoded = await decodeAudio(makeWav(chans, { rate: 48000, bits: 24, extensible: true }));
    expect(decoded.samples.length).toBe(3200);
    expect(toneAmplitude(decoded.samples.subarray(500, 2700), 500, 16000)).toBeCloseTo(0.3, 2);
  });

  test('the JFK fixture decodes to 11 s of 16 kHz mono', async () => {
    const decoded = await decodeAudio(readFileSync(JFK_WAV), { name: 'jfk.wav' });
    expect(decoded.durationSeconds).toBeCloseTo(11, 0);
    expect(decoded.description).toBe('WAV PCM 16-bit, 16000 Hz, 1 channel');
  });
});

describe('bad input', () => {
  test('zero-length input → INVALID_INPUT', async () => {
    expect(await codeOf(decodeAudio(Buffer.alloc(0), { name: 'empty.wav' }))).toMatch(
      /^INVALID_INPUT: empty.wav is empty/,
    );
  });

  test('a WAV with an empty data chunk → INVALID_INPUT', async () => {
    expect(await codeOf(decodeAudio(makeWav([new Float32Array(0)]), { name: 'x.wav' }))).toMatch(
      /^INVALID_INPUT: .*no audio samples/,
    );
  });

  test('a truncated WAV → CORRUPT_FILE naming the announced and present sizes', async () => {
    const wav = makeWav([tone(440, 1)]);
    const msg = await codeOf(decodeAudio(wav.subarray(0, 10_000), { name: 'cut.wav' }));
    expect(msg).toMatch(/^CORRUPT_FILE: cut.wav .*truncated.*31.3 KB.*9.7 KB/);
    expect(await codeOf(decodeAudio(wav.subarray(0, 30), { name: 'cut.wav' }))).toMatch(
      /^CORRUPT_FILE: .*fmt/,
    );
  });

  test('oversize by bytes and by duration → INPUT_TOO_LARGE', async () => {
    const wav = makeWav([tone(440, 3)]);
    expect(await codeOf(decodeAudio(wav, { maxBytes: 1000, name: 'big.wav' }))).toMatch(
      /^INPUT_TOO_LARGE: big.wav is 93.8 KB, over the 1000 B/,
    );
    expect(await codeOf(decodeAudio(wav, { maxDurationSeconds: 2, name: 'long.wav' }))).toMatch(
      /^INPUT_TOO_LARGE: long.wav is 3 s long, over the 2 s limit/,
    );
  });

  test('unknown bytes without ffmpeg → UNSUPPORTED_FORMAT saying to install ffmpeg', async () => {
    const msg = await codeOf(
      decodeAudio(Buffer.from('just some text, not audio at all'), { ffmpeg: false, name: 'notes.txt' }),
    );
    expect(msg).toMatch(/^UNSUPPORTED_FORMAT: notes.txt .*install ffmpeg/);
  });

  test('a format that needs ffmpeg, with ffmpeg missing from PATH → UNSUPPORTED_FORMAT naming the format', async () => {
    // Sun AU: recognised, but only ffmpeg decodes it.
    const au = Buffer.alloc(64);
    au.write('.snd', 0, 'ascii');
    for (const ffmpeg of [false, '/nonexistent/bin/ffmpeg'] as const) {
      const msg = await codeOf(decodeAudio(au, { ffmpeg, name: 'clip.au' }));
      expect(msg).toMatch(/^UNSUPPORTED_FORMAT: clip.au is Sun AU audio, which needs ffmpeg: install ffmpeg/);
    }
  });

  test('compressed WAV codecs are refused with a clear message when ffmpeg is absent', async () => {
    const wav = makeWav([tone(440, 0.1)]);
    wav.writeUInt16LE(2, 20); // MS ADPCM tag
    expect(() => parseWavHeader(wav, 'adpcm.wav')).toThrow(/codec 0x0002/);
    expect(await codeOf(decodeAudio(wav, { ffmpeg: false, name: 'adpcm.wav' }))).toMatch(
      /^UNSUPPORTED_FORMAT: adpcm.wav is a WAV file with codec 0x0002/,
    );
  });
});

describe('sniffing', () => {
  test('magic bytes, not names, decide the format', () => {
    expect(sniffAudioFormat(encodeWav16(tone(1, 0.01)))).toBe('wav');
    expect(sniffAudioFormat(Buffer.from('fLaC\0\0\0\x22'))).toBe('flac');
    expect(sniffAudioFormat(Buffer.from('ID3\x04\0\0\0\0\0\0'))).toBe('mp3');
    expect(sniffAudioFormat(Buffer.from([0xff, 0xfb, 0x90, 0x00]))).toBe('mp3');
    expect(sniffAudioFormat(Buffer.from([0xff, 0xf1, 0x50, 0x80]))).toBe('aac');
    expect(sniffAudioFormat(Buffer.from('\0\0\0\x20ftypM4A \0\0\0\0'))).toBe('m4a');
    expect(sniffAudioFormat(Buffer.from('hello world, plain text'))).toBeUndefined();
    expect(sniffAudioFormat(Buffer.from('%PDF-1.7'))).toBeUndefined();
  });
});

describe.skipIf(!tools.ffmpeg && !tools.sox)('compressed formats (made with ffmpeg/sox in the test)', () => {
  const dir = tempDir('prechew-audio-');
  const source = path.join(dir, 'tone.wav');
  // 1 kHz for 1 s, silence, 2 kHz for 1 s at 44.1 kHz stereo.
  const left = concat(tone(1000, 1, 44100, 0.5), silence(0.5, 44100), tone(2000, 1, 44100, 0.5));
  writeFileSync(source, makeWav([left, left], { rate: 44100 }));

  for (const ext of ['mp3', 'ogg', 'opus', 'flac', 'm4a']) {
    test(`${ext} decodes to 16 kHz mono with the tones where they belong`, async (ctx) => {
      const file = convertAudio(source, path.join(dir, `tone.${ext}`));
      if (!file) {
        console.log(`skipped: neither ffmpeg nor sox can write ${ext} here`);
        ctx.skip();
        return;
      }
      const decoded = await decodeAudio(readFileSync(file), { name: `tone.${ext}` });
      expect(decoded.durationSeconds).toBeGreaterThan(2.4);
      expect(decoded.durationSeconds).toBeLessThan(2.7);
      const first = decoded.samples.subarray(3200, 12800);
      const second = decoded.samples.subarray(Math.round(1.7 * 16000), Math.round(2.3 * 16000));
      expect(peakFrequency(first, 16000, [500, 1000, 1500, 2000])).toBe(1000);
      expect(peakFrequency(second, 16000, [500, 1000, 1500, 2000])).toBe(2000);
      if (ext === 'm4a') expect(decoded.decoder).toBe('ffmpeg');
      else expect(decoded.decoder).toBe('audio-decode');
    });
  }

  test('m4a without ffmpeg still decodes through the WASM AAC decoder, or says to install ffmpeg', async (ctx) => {
    const file = convertAudio(source, path.join(dir, 'again.m4a'));
    if (!file) return ctx.skip();
    const msg = await codeOf(decodeAudio(readFileSync(file), { ffmpeg: false, name: 'again.m4a' }));
    expect(
      msg === 'ok' || /UNSUPPORTED_FORMAT: again.m4a is MP4\/M4A \(AAC\) audio, which needs ffmpeg/.test(msg),
    ).toBe(true);
  });

  test('a truncated MP3 header / damaged FLAC gives CORRUPT_FILE, not a crash', async (ctx) => {
    const file = convertAudio(source, path.join(dir, 'bad.flac'));
    if (!file) return ctx.skip();
    const bytes = readFileSync(file);
    const damaged = Buffer.concat([bytes.subarray(0, 8), Buffer.alloc(200, 0x55)]);
    const msg = await codeOf(decodeAudio(damaged, { name: 'bad.flac', ffmpeg: false }));
    expect(msg).toMatch(/^(CORRUPT_FILE|INVALID_INPUT): bad.flac/);
  });
});

describe.skipIf(!tools.espeak)('espeak-ng speech', () => {
  test('generated speech decodes and resamples from 22.05 kHz', async () => {
    const dir = tempDir('prechew-espeak-');
    const file = espeakWav('The quick brown fox jumps over the lazy dog.', path.join(dir, 'fox.wav'))!;
    const decoded = await decodeAudio(readFileSync(file), { name: 'fox.wav' });
    expect(decoded.description).toMatch(/22050 Hz, 1 channel/);
    expect(decoded.durationSeconds).toBeGreaterThan(1.5);
  });
});

if (!tools.ffmpeg && !tools.sox) console.log('skipped compressed-format tests: install ffmpeg or sox');
if (!tools.espeak) console.log('skipped espeak-ng tests: install espeak-ng');
