/**
 * File access is allowed only inside configured roots (config files.roots, --root, and the MCP
 * client's roots when it offers them). Every path is checked after realpath so `..` segments and
 * symlinks cannot escape, and the size limit is checked before a single byte is read.
 */
import { promises as fs, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrechewError, quoteInput } from './errors.js';

export interface FileAccessOptions {
  roots: string[];
  maxInputBytes: number;
}

export interface ResolvedFile {
  /** The real, absolute path. */
  path: string;
  size: number;
  /** File name for display and format detection. */
  name: string;
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export function rootFromUri(uri: string): string | undefined {
  if (!uri.startsWith('file://')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

export class FileAccess {
  private readonly configuredRoots: string[];
  private realRoots: Promise<string[]> | undefined;

  constructor(private readonly options: FileAccessOptions) {
    this.configuredRoots = options.roots.map((r) => path.resolve(r));
  }

  get roots(): readonly string[] {
    return this.configuredRoots;
  }

  get maxInputBytes(): number {
    return this.options.maxInputBytes;
  }

  private async resolveRoots(extra: string[]): Promise<string[]> {
    this.realRoots ??= Promise.all(this.configuredRoots.map((r) => fs.realpath(r).catch(() => r)));
    const base = await this.realRoots;
    const more = await Promise.all(extra.map((r) => fs.realpath(path.resolve(r)).catch(() => path.resolve(r))));
    return [...base, ...more];
  }

  /**
   * Client roots that stay inside the configured roots. Over HTTP any local user can announce
   * roots, so they may narrow what the operator allowed but never widen it.
   */
  async rootsWithinConfigured(clientRoots: string[]): Promise<string[]> {
    const base = await this.resolveRoots([]);
    const out: string[] = [];
    for (const r of clientRoots) {
      const real = await fs.realpath(path.resolve(r)).catch(() => undefined);
      if (real && base.some((b) => isInside(real, b))) out.push(real);
    }
    return out;
  }

  /**
   * Check a user-supplied path lexically and through realpath, and return the real path to open.
   * This is a fast first answer with a clear error; the opened descriptor is checked again in read().
   */
  private async locate(userPath: string, roots: string[]): Promise<string> {
    if (typeof userPath !== 'string' || userPath.trim() === '') {
      throw new PrechewError('INVALID_INPUT', 'path is empty: give the path of a file inside an allowed root.');
    }
    if (userPath.includes('\0')) throw new PrechewError('INVALID_INPUT', 'path contains a NUL byte.');
    if (roots.length === 0) {
      throw new PrechewError(
        'NO_ROOTS',
        'Reading files is disabled because no directories are allowed. Allow one with `--root DIR`, the config setting files.roots, or PRECHEW_ROOTS; or pass the content inline as text/data instead.',
      );
    }
    const fromUri = rootFromUri(userPath);
    const candidate = fromUri ?? userPath;
    // Relative paths resolve against the first root, never against the server's working directory.
    const absolute = path.isAbsolute(candidate) ? path.resolve(candidate) : path.resolve(roots[0]!, candidate);
    // Check the lexical path first so a path outside the roots gets the same answer whether or not it exists.
    const lexicallyInside = roots.some((r) => isInside(absolute, r)) || this.configuredRoots.some((r) => isInside(absolute, r));
    let real: string;
    try {
      real = await fs.realpath(absolute);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (!lexicallyInside) throw outsideRoots(userPath);
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw new PrechewError('FILE_NOT_FOUND', `File not found: ${quoteInput(userPath)}. Check the path (relative paths are taken from ${roots[0]}).`);
      }
      throw new PrechewError('FILE_NOT_FOUND', `Cannot open ${quoteInput(userPath)} (${code ?? 'error'}).`);
    }
    if (!roots.some((r) => isInside(real, r))) throw outsideRoots(userPath);
    return real;
  }

  /**
   * Open a file inside the allowed roots and check what was opened, not what the path named a
   * moment earlier: O_NOFOLLOW refuses a symlink swapped in at the last component, O_NONBLOCK keeps
   * a FIFO from blocking a threadpool thread, fstat must say "regular file", and the descriptor's
   * own path (/proc/self/fd/N) must still lie inside a root. The caller reads from the descriptor.
   */
  private async openChecked(userPath: string, roots: string[]): Promise<{ handle: fs.FileHandle; real: string; size: number }> {
    const real = await this.locate(userPath, roots);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(real, fsConstants.O_RDONLY | NOFOLLOW | NONBLOCK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ELOOP' || code === 'EMLINK') throw outsideRoots(userPath); // a symlink appeared after the check
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new PrechewError('FILE_NOT_FOUND', `File not found: ${quoteInput(userPath)}.`);
      if (code === 'EACCES' || code === 'EPERM') {
        throw new PrechewError('FILE_NOT_FOUND', `${quoteInput(userPath)} exists but is not readable by the prechew process (check its permissions).`);
      }
      if (code === 'EISDIR') throw notAFile(userPath);
      throw new PrechewError('FILE_NOT_FOUND', `Cannot open ${quoteInput(userPath)} (${code ?? 'error'}).`);
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw notAFile(userPath);
      const opened = await realPathOfDescriptor(handle, real);
      if (!roots.some((r) => isInside(opened, r))) throw outsideRoots(userPath);
      if (stat.size > this.options.maxInputBytes) throw tooLarge(quoteInput(userPath), stat.size, this.options.maxInputBytes);
      return { handle, real: opened, size: stat.size };
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Resolve a user-supplied path to a real file inside the allowed roots, or throw a typed error
   * that tells the caller how to fix it. extraRoots are the MCP client's roots for this request.
   */
  async resolve(userPath: string, extraRoots: string[] = []): Promise<ResolvedFile> {
    const roots = await this.resolveRoots(extraRoots);
    const { handle, real, size } = await this.openChecked(userPath, roots);
    await handle.close();
    return { path: real, size, name: path.basename(real) };
  }

  /** Open, check and read a file through one descriptor; the size limit is enforced again on what is read. */
  async read(userPath: string, extraRoots: string[] = []): Promise<{ file: ResolvedFile; bytes: Buffer }> {
    const roots = await this.resolveRoots(extraRoots);
    const { handle, real } = await this.openChecked(userPath, roots);
    try {
      // Read at most limit+1 bytes so a file that grew after fstat cannot slip past the limit.
      const limit = this.options.maxInputBytes;
      const chunks: Buffer[] = [];
      let total = 0;
      for (;;) {
        const chunk = Buffer.allocUnsafe(Math.min(1 << 20, limit + 1 - total));
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
        if (bytesRead === 0) break;
        chunks.push(chunk.subarray(0, bytesRead));
        total += bytesRead;
        if (total > limit) throw tooLarge(quoteInput(userPath), total, limit);
      }
      return { file: { path: real, size: total, name: path.basename(real) }, bytes: Buffer.concat(chunks, total) };
    } finally {
      await handle.close();
    }
  }
}

// Linux and macOS have both flags; where one is missing, the descriptor checks below still hold.
const NOFOLLOW = fsConstants.O_NOFOLLOW ?? 0;
const NONBLOCK = fsConstants.O_NONBLOCK ?? 0;

/** The path the kernel has for an open descriptor (Linux /proc); elsewhere, the checked path if it is still the same file. */
async function realPathOfDescriptor(handle: fs.FileHandle, checked: string): Promise<string> {
  try {
    return await fs.readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    const [a, b] = await Promise.all([handle.stat(), fs.stat(checked)]);
    if (a.dev !== b.dev || a.ino !== b.ino) return '\0changed';
    return checked;
  }
}

function notAFile(userPath: string): PrechewError {
  return new PrechewError('NOT_A_FILE', `${quoteInput(userPath)} is not a regular file (a directory, device or pipe). Give a file path.`);
}

function outsideRoots(userPath: string): PrechewError {
  return new PrechewError(
    'PATH_OUTSIDE_ROOTS',
    `Access denied: ${quoteInput(userPath)} is outside the allowed directories. Move the file into an allowed root, or allow its directory with --root / files.roots.`,
  );
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

export function tooLarge(what: string, size: number, limit: number): PrechewError {
  return new PrechewError(
    'INPUT_TOO_LARGE',
    `${what} is ${formatBytes(size)}, over the ${formatBytes(limit)} input limit. Split it, or raise limits.maxInputBytes in the config.`,
    { size, limit },
  );
}
