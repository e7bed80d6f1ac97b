/**
 * Format detection: magic bytes and container contents first, the file extension second, so a
 * misnamed file still converts and a renamed binary fails with a clear message.
 */
import { PrechewError } from '../../errors.js';
import { isZip, type SafeZip } from './zip.js';
import type { DocumentFormat } from './types.js';

const EXTENSIONS: Record<string, DocumentFormat> = {
  pdf: 'pdf',
  docx: 'docx',
  docm: 'docx',
  pptx: 'pptx',
  pptm: 'pptx',
  xlsx: 'xlsx',
  xlsm: 'xlsx',
  odt: 'odt',
  epub: 'epub',
  rtf: 'rtf',
  html: 'html',
  htm: 'html',
  xhtml: 'html',
  md: 'markdown',
  markdown: 'markdown',
  mdx: 'markdown',
  txt: 'text',
  text: 'text',
  log: 'text',
  csv: 'csv',
  tsv: 'tsv',
  tab: 'tsv',
  json: 'json',
};

export function extensionFormat(name: string): DocumentFormat | undefined {
  const m = /\.([a-z0-9]+)$/i.exec(name);
  return m ? EXTENSIONS[m[1]!.toLowerCase()] : undefined;
}

/** Known binary signatures that prechew does not convert, for a helpful refusal. */
const OTHER_BINARIES: Array<[number[], string]> = [
  [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
  [[0xff, 0xd8, 0xff], 'a JPEG image'],
  [[0x47, 0x49, 0x46, 0x38], 'a GIF image'],
  [[0x1f, 0x8b], 'a gzip archive'],
  [[0x42, 0x5a, 0x68], 'a bzip2 archive'],
  [[0x37, 0x7a, 0xbc, 0xaf], 'a 7-Zip archive'],
  [[0x52, 0x61, 0x72, 0x21], 'a RAR archive'],
  [[0x7f, 0x45, 0x4c, 0x46], 'an executable (ELF)'],
  [[0x49, 0x44, 0x33], 'an MP3 audio file'],
  [[0x4f, 0x67, 0x67, 0x53], 'an Ogg audio file'],
  [[0x66, 0x4c, 0x61, 0x43], 'a FLAC audio file'],
];

function startsWith(bytes: Uint8Array, sig: number[]): boolean {
  return sig.every((b, i) => bytes[i] === b);
}

function utf16(text: string): Buffer {
  return Buffer.from(text, 'utf16le');
}

export type Sniffed =
  | { kind: 'zip' }
  | { kind: 'binary'; format: DocumentFormat }
  | { kind: 'text'; format: DocumentFormat | undefined };

/** Look at the leading bytes. Text formats are refined later from the decoded text. */
export function sniffBytes(bytes: Uint8Array, name: string): Sniffed {
  const head = Buffer.from(bytes.subarray(0, 1024)).toString('latin1');
  if (head.includes('%PDF-')) return { kind: 'binary', format: 'pdf' };
  if (isZip(bytes)) return { kind: 'zip' };
  if (/^\s*\{\\rtf/.test(head)) return { kind: 'binary', format: 'rtf' };
  if (startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (buf.includes(utf16('EncryptedPackage')) || buf.includes(utf16('EncryptionInfo'))) {
      throw new PrechewError(
        'ENCRYPTED_FILE',
        `${name} is a password-protected Office document. Open it, remove the password, save, and convert again.`,
      );
    }
    throw new PrechewError(
      'UNSUPPORTED_FORMAT',
      `${name} is a legacy binary Office file (.doc/.xls/.ppt). Save it as .docx/.xlsx/.pptx (or PDF) and convert that.`,
    );
  }
  for (const [sig, what] of OTHER_BINARIES) {
    if (startsWith(bytes, sig)) {
      throw new PrechewError(
        'UNSUPPORTED_FORMAT',
        `${name} is ${what}, not a document prechew converts. Supported: PDF, DOCX, PPTX, XLSX, ODT, EPUB, RTF, HTML, Markdown, text, CSV/TSV, JSON.`,
      );
    }
  }
  const ext = extensionFormat(name);
  if (looksBinary(bytes)) {
    if (
      ext &&
      ext !== 'text' &&
      ext !== 'markdown' &&
      ext !== 'csv' &&
      ext !== 'tsv' &&
      ext !== 'json' &&
      ext !== 'html'
    ) {
      throw new PrechewError(
        'CORRUPT_FILE',
        `${name} is named like a ${ext.toUpperCase()} file but its contents are not one (no ${ext.toUpperCase()} signature); the file is damaged or not what its name says.`,
      );
    }
    throw new PrechewError(
      'UNSUPPORTED_FORMAT',
      `${name} is a binary file of a kind prechew does not recognise. Supported: PDF, DOCX, PPTX, XLSX, ODT, EPUB, RTF, HTML, Markdown, text, CSV/TSV, JSON.`,
    );
  }
  return { kind: 'text', format: ext };
}

export function looksBinary(bytes: Uint8Array): boolean {
  const sample = bytes.subarray(0, 8192);
  if (
    sample.length >= 2 &&
    ((sample[0] === 0xff && sample[1] === 0xfe) || (sample[0] === 0xfe && sample[1] === 0xff))
  )
    return false;
  let suspicious = 0;
  for (const b of sample) {
    if (b === 0) return true;
    if (b < 7 || (b > 13 && b < 32)) suspicious++;
  }
  if (sample.length > 0 && suspicious / sample.length > 0.05) return true;
  // Invalid UTF-8 in most of the sample also means binary (random bytes rarely form valid UTF-8).
  const decoded = new TextDecoder('utf-8').decode(sample);
  const bad = (decoded.match(/\uFFFD/g) ?? []).length;
  return bad > Math.max(8, sample.length * 0.1);
}

/** Which office format a zip holds, from its parts. */
export function zipFormat(zip: SafeZip, name: string): DocumentFormat {
  if (zip.has('word/document.xml')) return 'docx';
  if (zip.has('ppt/presentation.xml')) return 'pptx';
  if (zip.has('xl/workbook.xml')) return 'xlsx';
  const mimetype = zip.has('mimetype') ? (zip.readText('mimetype') ?? '').trim() : '';
  if (mimetype === 'application/epub+zip' || zip.has('META-INF/container.xml')) return 'epub';
  if (mimetype === 'application/vnd.oasis.opendocument.text' || (zip.has('content.xml') && !mimetype))
    return 'odt';
  if (mimetype.startsWith('application/vnd.oasis.opendocument.')) {
    throw new PrechewError(
      'UNSUPPORTED_FORMAT',
      `${name} is an OpenDocument ${mimetype.split('.').pop()} file; prechew converts OpenDocument text (.odt). Export it as PDF or an Office format.`,
    );
  }
  const ext = extensionFormat(name);
  if (ext === 'docx' || ext === 'pptx' || ext === 'xlsx' || ext === 'odt' || ext === 'epub') {
    throw new PrechewError(
      'CORRUPT_FILE',
      `${name} is a zip file without the parts a ${ext.toUpperCase()} file must have; it is damaged or not really a ${ext.toUpperCase()}.`,
    );
  }
  throw new PrechewError(
    'UNSUPPORTED_FORMAT',
    `${name} is a zip archive, not a document. Unpack it and convert the documents inside.`,
  );
}

/** Refine a text file's format from its contents when the extension does not say. */
export function textFormat(text: string, ext: DocumentFormat | undefined): DocumentFormat {
  const head = text.slice(0, 2048).trimStart();
  const looksHtml =
    /^(<!doctype html|<html[\s>])/i.test(head) || (/^<\?xml/i.test(head) && /<html[\s>]/i.test(head));
  if (looksHtml && ext !== 'markdown') return 'html';
  if (ext) return ext;
  if (/^[[{]/.test(head)) {
    try {
      JSON.parse(text);
      return 'json';
    } catch {
      // not JSON
    }
  }
  if (/<(body|div|p|h1|table)[\s>]/i.test(head) && /<\/(body|div|p|h1|table)>/i.test(text.slice(0, 20_000)))
    return 'html';
  return 'text';
}
