/**
 * Decompression-bomb guard for PDFs. pdfjs inflates Flate streams whole and on demand, so a small
 * file holding a stream that inflates to gigabytes would exhaust memory (ArrayBuffers live outside
 * the V8 heap, so a worker's heap cap alone does not stop it). Before pdfjs sees the bytes, every
 * Flate-filtered stream is inflated here as a stream, discarding the output and counting it, and
 * the document is refused once the total passes the budget (limits.maxUncompressedBytes). Image
 * streams are not counted: text extraction never decodes them.
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createInflate, inflateSync } from 'node:zlib';
import { PrechewError } from '../../errors.js';

/** Chained Flate filters ([/FlateDecode /FlateDecode]) are followed this deep. */
const MAX_CHAIN = 4;

class BudgetExceeded extends Error {}

function mb(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}

/** How many leading Flate filters a stream dictionary names (0 when it is not Flate-first). */
export function leadingFlateFilters(dict: string): number {
  const m = /\/Filter\s*(\[[^\]]*\]|\/[A-Za-z0-9]+)/.exec(dict);
  if (!m) return 0;
  const names = m[1]!.match(/\/[A-Za-z0-9]+/g) ?? [];
  let n = 0;
  for (const f of names) {
    if (f === '/FlateDecode' || f === '/Fl') n++;
    else break;
  }
  return Math.min(n, MAX_CHAIN);
}

/** Below this many compressed bytes a stream is inflated in one call (at most ~16 MB out). */
const SMALL_STREAM = 16 * 1024;

/**
 * Inflate `data` through `depth` chained Flate layers, counting the output. Truncated data counts
 * what it yields (pdfjs would use it too); other damage ends the count where it happens.
 */
async function countInflated(data: Uint8Array, depth: number, budget: number): Promise<number> {
  const input = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (data.length <= SMALL_STREAM) {
    let out = input;
    for (let layer = 0; layer < depth; layer++) {
      try {
        out = inflateSync(out, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: budget + 1 });
      } catch (error) {
        if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new BudgetExceeded();
        return 0;
      }
    }
    if (out.length > budget) throw new BudgetExceeded();
    return out.length;
  }
  let produced = 0;
  const sink = new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _encoding, done) {
      produced += chunk.length;
      done(produced > budget ? new BudgetExceeded() : null);
    },
  });
  const layers = Array.from({ length: depth }, () =>
    createInflate({ chunkSize: 256 * 1024, finishFlush: zlibConstants.Z_SYNC_FLUSH }),
  );
  try {
    await pipeline([Readable.from([input]), ...layers, sink]);
  } catch (error) {
    if (error instanceof BudgetExceeded) throw error;
  }
  return produced;
}

/** Object numbers that pages use as content streams (`/Contents 12 0 R` or `[12 0 R 13 0 R]`). */
function contentRefs(text: string, into: Set<number>): void {
  for (const m of text.matchAll(/\/Contents\s*(?:(\d+)\s+\d+\s+R|\[([^\]]*)\])/g)) {
    if (m[1]) into.add(Number(m[1]));
    else for (const r of (m[2] ?? '').matchAll(/(\d+)\s+\d+\s+R/g)) into.add(Number(r[1]));
  }
}

interface FoundStream {
  objectNumber: number | undefined;
  start: number;
  end: number;
  depth: number;
  image: boolean;
  objectStream: boolean;
}

function tooLarge(name: string, maxBytes: number): PrechewError {
  return new PrechewError(
    'INPUT_TOO_LARGE',
    `${name} holds compressed streams that inflate to over ${mb(maxBytes)} (limits.maxUncompressedBytes); it looks like a decompression bomb and was not converted. Raise the limit only for a file you trust.`,
    { limit: maxBytes },
  );
}

/**
 * Throws INPUT_TOO_LARGE when the PDF's Flate streams inflate to more than `maxBytes` in total.
 * Streams are found by their `stream`/`endstream` keywords, not by /Length (often indirect, and a
 * lie costs nothing to tell). Image streams are skipped (text extraction never decodes them)
 * unless a page names them as its content, where pdfjs would inflate them whatever they claim.
 */
export async function guardPdfStreams(bytes: Uint8Array, name: string, maxBytes: number): Promise<void> {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const streams: FoundStream[] = [];
  const re = /stream(?:\r\n|\n|\r)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const keyword = m.index;
    // "endstream" also ends in "stream"; only a keyword after a dictionary starts one.
    if (text.slice(Math.max(0, keyword - 3), keyword) === 'end') continue;
    const before = text.slice(Math.max(0, keyword - 4096), keyword);
    const dictStart = before.lastIndexOf('obj');
    const dict = before.slice(dictStart < 0 ? 0 : dictStart);
    if (!/>>\s*$/.test(dict)) continue;
    const start = keyword + m[0].length;
    let end = text.indexOf('endstream', start);
    if (end < 0) end = text.length;
    re.lastIndex = end + 'endstream'.length;
    const depth = leadingFlateFilters(dict);
    if (depth === 0) continue;
    const number = dictStart < 0 ? undefined : /(\d+)\s+\d+\s+$/.exec(before.slice(0, dictStart));
    streams.push({
      objectNumber: number ? Number(number[1]) : undefined,
      start,
      end,
      depth,
      image: /\/Subtype\s*\/Image\b/.test(dict),
      objectStream: /\/Type\s*\/ObjStm\b/.test(dict),
    });
  }
  const contents = new Set<number>();
  contentRefs(text, contents);
  let total = 0;
  // Object streams first: the page objects (and their /Contents) may sit inside them.
  for (const s of streams.filter((f) => f.objectStream)) {
    let out: Buffer = Buffer.from(bytes.buffer, bytes.byteOffset + s.start, s.end - s.start);
    try {
      for (let layer = 0; layer < s.depth; layer++)
        out = inflateSync(out, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: maxBytes - total + 1 });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(name, maxBytes);
      continue;
    }
    total += out.length;
    if (total > maxBytes) throw tooLarge(name, maxBytes);
    contentRefs(out.toString('latin1'), contents);
  }
  for (const s of streams) {
    if (s.objectStream) continue;
    if (s.image && !(s.objectNumber !== undefined && contents.has(s.objectNumber))) continue;
    try {
      total += await countInflated(bytes.subarray(s.start, s.end), s.depth, maxBytes - total);
    } catch (error) {
      if (error instanceof BudgetExceeded) throw tooLarge(name, maxBytes);
      throw error;
    }
  }
}
