/**
 * Splitting a document into pieces with their offsets in the original string, so a tool can cite
 * or re-assemble exactly what it kept. `text` is always `source.slice(start, end)`.
 */

export interface TextPiece {
  text: string;
  /** UTF-16 offset of the first character in the source. */
  start: number;
  /** UTF-16 offset just past the last character. */
  end: number;
}

const PARAGRAPH_BREAK = /\r?\n[ \t\f\v\u00a0]*(?:\r?\n[ \t\f\v\u00a0]*)+/g;
/**
 * After ., !, ? or … (plus closing quotes/brackets) and whitespace; or at a line break. Each
 * alternative may only start where its run starts (the lookbehinds): otherwise a long run of
 * dots or spaces with no break after it is rescanned from every position in it (quadratic).
 */
const SENTENCE_END =
  /(?<![.!?\u2026\u3002\uff01\uff1f])[.!?\u2026\u3002\uff01\uff1f]+["'\u201d\u2019)\]]*[ \t\u00a0]+|(?<![ \t])[ \t]*\r?\n/g;

function piece(source: string, start: number, end: number): TextPiece | undefined {
  // Trim whitespace at both ends; offsets follow the trimmed span.
  while (start < end && /\s/.test(source.charAt(start))) start++;
  while (end > start && /\s/.test(source.charAt(end - 1))) end--;
  return end > start ? { text: source.slice(start, end), start, end } : undefined;
}

function splitOn(source: string, start: number, end: number, separator: RegExp): TextPiece[] {
  const out: TextPiece[] = [];
  const span = source.slice(start, end);
  separator.lastIndex = 0;
  let from = 0;
  for (let m = separator.exec(span); m !== null; m = separator.exec(span)) {
    if (m[0].length === 0) {
      separator.lastIndex++;
      continue;
    }
    const p = piece(source, start + from, start + m.index + m[0].length);
    if (p) out.push(p);
    from = m.index + m[0].length;
  }
  const last = piece(source, start + from, end);
  if (last) out.push(last);
  return out;
}

/** Paragraphs: runs of text separated by one or more blank lines. Empty paragraphs are skipped. */
export function splitParagraphs(text: string): TextPiece[] {
  return splitOn(text, 0, text.length, PARAGRAPH_BREAK);
}

/** Sentences (and lines) of a span; the terminal punctuation stays with its sentence. */
export function splitSentences(text: string, start = 0, end = text.length): TextPiece[] {
  return splitOn(text, start, end, SENTENCE_END);
}

/** Cuts a span longer than maxChars at whitespace near the limit, or hard (never inside a surrogate pair). */
function splitHard(source: string, start: number, end: number, maxChars: number): TextPiece[] {
  const out: TextPiece[] = [];
  let from = start;
  while (end - from > maxChars) {
    let cut = from + maxChars;
    const space = source.lastIndexOf(' ', cut);
    const newline = source.lastIndexOf('\n', cut);
    const ws = Math.max(space, newline);
    if (ws > from + maxChars / 2) cut = ws;
    else {
      const code = source.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut--;
      if (cut <= from) cut = Math.min(end, from + 2);
    }
    const p = piece(source, from, cut);
    if (p) out.push(p);
    from = cut;
  }
  const last = piece(source, from, end);
  if (last) out.push(last);
  return out;
}

/**
 * Chunks of at most maxChars characters, cut on paragraph boundaries where possible, else on
 * sentence boundaries, else at whitespace. Consecutive pieces are packed greedily into one chunk
 * (the chunk's text is the original span, separators included).
 */
export function splitChunks(text: string, maxChars: number): TextPiece[] {
  if (!Number.isFinite(maxChars) || maxChars < 1) throw new RangeError('maxChars must be at least 1');
  const limit = Math.floor(maxChars);
  const units: TextPiece[] = [];
  for (const para of splitParagraphs(text)) {
    if (para.text.length <= limit) {
      units.push(para);
      continue;
    }
    for (const sentence of splitSentences(text, para.start, para.end)) {
      if (sentence.text.length <= limit) units.push(sentence);
      else units.push(...splitHard(text, sentence.start, sentence.end, limit));
    }
  }
  const chunks: TextPiece[] = [];
  let current: TextPiece | undefined;
  for (const unit of units) {
    if (current && unit.end - current.start <= limit) {
      current = { text: '', start: current.start, end: unit.end };
    } else {
      if (current) chunks.push({ ...current, text: text.slice(current.start, current.end) });
      current = { ...unit };
    }
  }
  if (current) chunks.push({ ...current, text: text.slice(current.start, current.end) });
  return chunks;
}
