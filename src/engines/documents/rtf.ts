/**
 * RTF to text with a small tokenizer: control words and groups are interpreted just enough to
 * keep the visible text — destinations such as font/colour tables, stylesheets, document info and
 * pictures are skipped, \'hh bytes are decoded with the document's code page and \uN escapes
 * (with their \ucN fallback characters) become Unicode.
 */
import { tidyMarkdown } from './markdown.js';
import type { FormatResult } from './types.js';

const SKIP_DESTINATIONS = new Set([
  'fonttbl',
  'colortbl',
  'stylesheet',
  'info',
  'pict',
  'object',
  'header',
  'footer',
  'headerl',
  'headerr',
  'headerf',
  'footerl',
  'footerr',
  'footerf',
  'themedata',
  'colorschememapping',
  'datastore',
  'latentstyles',
  'listtable',
  'listoverridetable',
  'rsidtbl',
  'generator',
  'xmlnstbl',
  'mmathPr',
  'pgdsctbl',
  'fldinst',
  'filetbl',
  'revtbl',
  'userprops',
  'bkmkstart',
  'bkmkend',
  'footnote',
  'annotation',
  'atnid',
  'atnauthor',
  'protusertbl',
  'wgrffmtfilter',
  'nonshppict',
  'shppict',
  'blipuid',
  'listtext',
  'pntext',
  'pntxta',
  'pntxtb',
]);

const SYMBOLS: Record<string, string> = {
  par: '\n\n',
  line: '\n',
  sect: '\n\n',
  page: '\n\n',
  tab: '\t',
  cell: ' | ',
  row: '\n',
  emdash: '—',
  endash: '–',
  lquote: '‘',
  rquote: '’',
  ldblquote: '“',
  rdblquote: '”',
  bullet: '•',
  emspace: ' ',
  enspace: ' ',
  qmspace: ' ',
};

function decoderFor(codepage: number): { decode(input: Uint8Array): string } {
  try {
    return new TextDecoder(codepage === 65001 ? 'utf-8' : `windows-${codepage}`);
  } catch {
    return new TextDecoder('latin1');
  }
}

export function rtfToText(rtf: string): string {
  let out = '';
  let decoder = decoderFor(1252);
  const stack: Array<{ skip: boolean; uc: number }> = [];
  let state = { skip: false, uc: 1 };
  let pendingBytes: number[] = [];
  let skipFallback = 0;
  let groupStart = false;
  const flush = () => {
    if (pendingBytes.length) {
      if (!state.skip) out += decoder.decode(new Uint8Array(pendingBytes));
      pendingBytes = [];
    }
  };
  const emit = (s: string) => {
    flush();
    if (!state.skip) out += s;
  };
  const n = rtf.length;
  let i = 0;
  while (i < n) {
    const c = rtf[i]!;
    if (c === '{') {
      flush();
      stack.push(state);
      state = { ...state };
      groupStart = true;
      i++;
      continue;
    }
    if (c === '}') {
      flush();
      state = stack.pop() ?? { skip: false, uc: 1 };
      groupStart = false;
      i++;
      continue;
    }
    const wasGroupStart = groupStart;
    groupStart = false;
    if (c === '\\') {
      const next = rtf[i + 1];
      if (next === undefined) break;
      if (/[a-zA-Z]/.test(next)) {
        const m = /^([a-zA-Z]{1,32})(-?\d{1,10})? ?/.exec(rtf.slice(i + 1, i + 50))!;
        const word = m[1]!;
        const param = m[2] !== undefined ? Number(m[2]) : undefined;
        i += 1 + m[0].length;
        if (word === 'bin' && param !== undefined && param > 0) {
          i += param;
          continue;
        }
        if (skipFallback > 0) {
          skipFallback--;
          continue;
        }
        if (SKIP_DESTINATIONS.has(word) && wasGroupStart) {
          state.skip = true;
          continue;
        }
        if (word === 'ansicpg' && param !== undefined) decoder = decoderFor(param);
        else if (word === 'uc' && param !== undefined) state.uc = Math.max(0, param);
        else if (word === 'u' && param !== undefined) {
          emit(String.fromCharCode(param < 0 ? param + 65536 : param));
          skipFallback = state.uc;
        } else if (SYMBOLS[word] !== undefined) emit(SYMBOLS[word]);
        continue;
      }
      if (next === "'") {
        const hex = rtf.slice(i + 2, i + 4);
        i += 4;
        if (skipFallback > 0) {
          skipFallback--;
          continue;
        }
        const byte = parseInt(hex, 16);
        if (Number.isFinite(byte) && !state.skip) pendingBytes.push(byte);
        continue;
      }
      i += 2;
      if (next === '*') {
        if (wasGroupStart) state.skip = true;
        continue;
      }
      if (skipFallback > 0) {
        skipFallback--;
        continue;
      }
      if (next === '\\' || next === '{' || next === '}') emit(next);
      else if (next === '~') emit('\u00a0');
      else if (next === '_') emit('-');
      else if (next === '\n' || next === '\r') emit('\n\n');
      continue;
    }
    if (c === '\r' || c === '\n') {
      i++;
      continue;
    }
    if (skipFallback > 0) {
      skipFallback--;
      i++;
      continue;
    }
    emit(c);
    i++;
  }
  flush();
  return out;
}

export function convertRtf(rtf: string): FormatResult {
  const text = rtfToText(rtf)
    .split('\n')
    .map((l) => l.replace(/[ \t]+$/g, '').replace(/^ +/, ''))
    .join('\n');
  return { markdown: tidyMarkdown(text), engine: 'prechew-rtf', warnings: [] };
}
