/**
 * Zip containers (DOCX, XLSX, PPTX, EPUB, ODT) read defensively: the central directory is read
 * first and the declared entry count and uncompressed total are checked against the limits before
 * anything is inflated; inflation itself streams and stops as soon as the real output passes the
 * budget, so a directory that lies about sizes cannot blow up memory either.
 */
import { Inflate } from 'fflate';
import { PrechewError } from '../../errors.js';

export interface ZipLimits {
  maxUncompressedBytes: number;
  maxZipEntries: number;
}

export interface ZipEntryInfo {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const EOCD_SIG = 0x06054b50;
const CEN_SIG = 0x02014b50;
const LOC_SIG = 0x04034b50;

function mb(n: number): string {
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

export function isZip(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 &&
    bytes[0] === 0x50 &&
    bytes[1] === 0x4b &&
    (bytes[2] === 3 || bytes[2] === 5) &&
    (bytes[3] === 4 || bytes[3] === 6)
  );
}

export class SafeZip {
  readonly entries = new Map<string, ZipEntryInfo>();
  private inflated = 0;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly fileName: string,
    private readonly limits: ZipLimits,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.readDirectory();
  }

  private corrupt(problem: string): PrechewError {
    return new PrechewError(
      'CORRUPT_FILE',
      `${this.fileName} is not a readable zip container (${problem}); the file may be truncated or damaged.`,
    );
  }

  private readDirectory(): void {
    const b = this.bytes;
    const v = this.view;
    let eocd = -1;
    for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 0xffff); i--) {
      if (v.getUint32(i, true) === EOCD_SIG) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw this.corrupt('no end-of-central-directory record');
    const count = v.getUint16(eocd + 10, true);
    const cdSize = v.getUint32(eocd + 12, true);
    const cdOffset = v.getUint32(eocd + 16, true);
    if (count === 0xffff || cdOffset === 0xffffffff) {
      throw new PrechewError(
        'INPUT_TOO_LARGE',
        `${this.fileName} is a ZIP64 container (over 65,535 entries or 4 GB), beyond what prechew converts.`,
      );
    }
    if (count > this.limits.maxZipEntries)
      throw this.bomb(
        `${count} entries, over the ${this.limits.maxZipEntries}-entry limit (limits.maxZipEntries)`,
      );
    if (cdOffset + cdSize > b.length) throw this.corrupt('central directory past the end of the file');
    let p = cdOffset;
    let declared = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > b.length || v.getUint32(p, true) !== CEN_SIG)
        throw this.corrupt('damaged central directory');
      const flags = v.getUint16(p + 8, true);
      const method = v.getUint16(p + 10, true);
      const compressedSize = v.getUint32(p + 20, true);
      const uncompressedSize = v.getUint32(p + 24, true);
      const nameLen = v.getUint16(p + 28, true);
      const extraLen = v.getUint16(p + 30, true);
      const commentLen = v.getUint16(p + 32, true);
      const localHeaderOffset = v.getUint32(p + 42, true);
      const name = new TextDecoder().decode(b.subarray(p + 46, p + 46 + nameLen));
      p += 46 + nameLen + extraLen + commentLen;
      if (uncompressedSize === 0xffffffff || compressedSize === 0xffffffff) {
        throw this.bomb(`entry ${JSON.stringify(name.slice(0, 80))} declares a ZIP64 size (4 GB or more)`);
      }
      declared += uncompressedSize;
      if (declared > this.limits.maxUncompressedBytes) {
        throw this.bomb(
          `its entries declare over ${mb(this.limits.maxUncompressedBytes)} uncompressed (limits.maxUncompressedBytes)`,
        );
      }
      this.entries.set(name, { name, method, flags, compressedSize, uncompressedSize, localHeaderOffset });
    }
  }

  private bomb(what: string): PrechewError {
    return new PrechewError(
      'INPUT_TOO_LARGE',
      `${this.fileName} looks like a zip bomb: ${what}. Refusing to unpack it. If the file is genuine, raise the limit in the config.`,
      { limit: this.limits.maxUncompressedBytes },
    );
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * Inflate one entry, counting its real size against the container's budget. With `maxBytes`,
   * inflation also stops (INPUT_TOO_LARGE, via `tooLarge`) as soon as this entry alone passes it.
   */
  read(name: string, maxBytes?: number, tooLarge?: () => PrechewError): Uint8Array | undefined {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    if (entry.flags & 1) {
      throw new PrechewError(
        'ENCRYPTED_FILE',
        `${this.fileName} is password-protected (encrypted zip entries). Remove the password and try again.`,
      );
    }
    const v = this.view;
    const at = entry.localHeaderOffset;
    if (at + 30 > this.bytes.length || v.getUint32(at, true) !== LOC_SIG)
      throw this.corrupt(`damaged entry ${JSON.stringify(name.slice(0, 80))}`);
    const start = at + 30 + v.getUint16(at + 26, true) + v.getUint16(at + 28, true);
    const end = start + entry.compressedSize;
    if (end > this.bytes.length)
      throw this.corrupt(`entry ${JSON.stringify(name.slice(0, 80))} runs past the end of the file`);
    const data = this.bytes.subarray(start, end);
    const budget = this.limits.maxUncompressedBytes - this.inflated;
    const cap = maxBytes ?? Infinity;
    const overCap = () =>
      tooLarge?.() ??
      new PrechewError(
        'INPUT_TOO_LARGE',
        `${this.fileName}: part ${JSON.stringify(name.slice(0, 80))} unpacks to over ${mb(cap)}, more than prechew converts.`,
      );
    if (entry.uncompressedSize > cap) throw overCap();
    if (entry.method === 0) {
      if (data.length > cap) throw overCap();
      if (data.length > budget) throw this.bomb(`it unpacks to over ${mb(this.limits.maxUncompressedBytes)}`);
      this.inflated += data.length;
      return data;
    }
    if (entry.method !== 8) throw this.corrupt(`entry uses unsupported compression method ${entry.method}`);
    const parts: Uint8Array[] = [];
    let size = 0;
    const inflater = new Inflate((chunk) => {
      size += chunk.length;
      if (size > cap) throw overCap();
      if (size > budget)
        throw this.bomb(
          `it unpacks to over ${mb(this.limits.maxUncompressedBytes)} (limits.maxUncompressedBytes)`,
        );
      parts.push(chunk);
    });
    try {
      const step = 1 << 16;
      for (let off = 0; off < data.length; off += step) {
        const last = off + step >= data.length;
        inflater.push(data.subarray(off, Math.min(off + step, data.length)), last);
      }
      if (data.length === 0) inflater.push(new Uint8Array(0), true);
    } catch (error) {
      if (error instanceof PrechewError) throw error;
      throw this.corrupt(`entry ${JSON.stringify(name.slice(0, 80))} does not inflate`);
    }
    this.inflated += size;
    if (parts.length === 1) return parts[0]!;
    const out = new Uint8Array(size);
    let o = 0;
    for (const part of parts) {
      out.set(part, o);
      o += part.length;
    }
    return out;
  }

  readText(name: string): string | undefined {
    const data = this.read(name);
    return data === undefined ? undefined : decodeText(data);
  }
}

/** The charset a document declares in its first bytes (HTML meta, XML declaration), if any. */
function declaredCharset(data: Uint8Array): string | undefined {
  const head = Buffer.from(data.subarray(0, 4096)).toString('latin1');
  const m =
    /<meta[^>]+charset\s*=\s*["']?\s*([\w:.-]+)/i.exec(head) ??
    /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([\w:.-]+)["']/i.exec(head);
  return m?.[1]?.toLowerCase();
}

// Windows-1252 bytes 0x80–0x9F (undefined ones map to themselves, as in the WHATWG table).
const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/**
 * Windows-1252, done by hand: Node 20's TextDecoder decodes "windows-1252" (and the labels that
 * alias it, such as "iso-8859-1") as plain Latin-1, leaving C1 control characters where € – ’ …
 * should be.
 */
function decodeWindows1252(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    .toString('latin1')
    .replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!);
}

const WINDOWS_1252_LABELS =
  /^(windows-1252|cp1252|x-cp1252|iso-8859-1|iso8859-1|iso_8859-1|latin1|l1|ascii|us-ascii|iso-ir-100|ibm819|cp819|csisolatin1)$/;

/** Decode with a named charset; undefined when the runtime does not know the label. */
function decodeAs(label: string, data: Uint8Array): string | undefined {
  if (WINDOWS_1252_LABELS.test(label)) return decodeWindows1252(data);
  let decoder: { decode(input: Uint8Array): string };
  try {
    decoder = new TextDecoder(label);
  } catch {
    return undefined;
  }
  return decoder.decode(data);
}

/**
 * Decode bytes as text: a UTF-8 or UTF-16 byte-order mark wins; valid UTF-8 is UTF-8; otherwise
 * the charset the document declares (HTML meta / XML declaration), and for undeclared legacy
 * files Windows-1252 (a superset of Latin-1) instead of a text full of U+FFFD.
 */
export function decodeText(data: Uint8Array): string {
  if (data.length >= 2 && data[0] === 0xff && data[1] === 0xfe)
    return new TextDecoder('utf-16le').decode(data.subarray(2));
  if (data.length >= 2 && data[0] === 0xfe && data[1] === 0xff)
    return new TextDecoder('utf-16be').decode(data.subarray(2));
  if (data.length >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf)
    return new TextDecoder('utf-8').decode(data.subarray(3));
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    // not valid UTF-8: look further
  }
  const declared = declaredCharset(data);
  const utf8 = new TextDecoder('utf-8').decode(data);
  if (declared && !/^utf-?8$/.test(declared)) {
    const decoded = decodeAs(declared, data);
    if (decoded !== undefined) return decoded;
  }
  // Mostly-valid UTF-8 with a few stray bytes stays UTF-8; a file whose non-ASCII bytes mostly
  // fail as UTF-8 is a legacy 8-bit encoding.
  const bad = (utf8.match(/\uFFFD/g) ?? []).length;
  const good = (utf8.match(/[^\p{ASCII}\uFFFD]/gu) ?? []).length;
  if (declared && /^utf-?8$/.test(declared) && good > 0) return utf8;
  return bad > good ? decodeWindows1252(data) : utf8;
}

export function openZip(bytes: Uint8Array, fileName: string, limits: ZipLimits): SafeZip {
  return new SafeZip(bytes, fileName, limits);
}

/** Resolve a relationship/manifest target relative to the part that references it. */
export function resolvePart(base: string, target: string): string {
  if (target.startsWith('/')) return target.slice(1);
  const dir = base.includes('/') ? base.slice(0, base.lastIndexOf('/') + 1) : '';
  const parts = (dir + target).split('/');
  const out: string[] = [];
  for (const part of parts) {
    if (part === '..') out.pop();
    else if (part !== '.' && part !== '') out.push(part);
  }
  let joined = out.join('/');
  try {
    joined = decodeURIComponent(joined);
  } catch {
    // keep as is
  }
  return joined;
}
