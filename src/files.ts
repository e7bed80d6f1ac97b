/**
 * File access is allowed only inside configured roots (config files.roots, --root, and the MCP
 * client's roots when it offers them). Every path is checked after realpath so `..` segments and
 * symlinks cannot escape, and the size limit is checked before a single byte is read.
 */
import { promises as fs, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrechewError } from './errors.js';

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
   * Resolve a user-supplied path to a real file inside the allowed roots, or throw a typed error
   * that tells the caller how to fix it. extraRoots are the MCP client's roots for this request.
   */
  async resolve(userPath: string, extraRoots: string[] = []): Promise<ResolvedFile> {
    if (typeof userPath !== 'string' || userPath.trim() === '') {
      throw new PrechewError('INVALID_INPUT', 'path is empty: give the path of a file inside an allowed root.');
    }
    if (userPath.includes('\0')) throw new PrechewError('INVALID_INPUT', 'path contains a NUL byte.');
    const roots = await this.resolveRoots(extraRoots);
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
        throw new PrechewError('FILE_NOT_FOUND', `File not found: ${userPath}. Check the path (relative paths are taken from ${roots[0]}).`);
      }
      throw new PrechewError('FILE_NOT_FOUND', `Cannot open ${userPath} (${code ?? 'error'}).`);
    }
    if (!roots.some((r) => isInside(real, r))) throw outsideRoots(userPath);
    const stat = await fs.stat(real);
    if (!stat.isFile()) throw new PrechewError('NOT_A_FILE', `${userPath} is not a regular file (a directory or device). Give a file path.`);
    if (stat.size > this.options.maxInputBytes) throw tooLarge(userPath, stat.size, this.options.maxInputBytes);
    try {
      await fs.access(real, fsConstants.R_OK);
    } catch {
      throw new PrechewError('FILE_NOT_FOUND', `${userPath} exists but is not readable by the prechew process (check its permissions).`);
    }
    return { path: real, size: stat.size, name: path.basename(real) };
  }

  /** Resolve and read a file; the size limit is enforced again on what is actually read. */
  async read(userPath: string, extraRoots: string[] = []): Promise<{ file: ResolvedFile; bytes: Buffer }> {
    const file = await this.resolve(userPath, extraRoots);
    const handle = await fs.open(file.path, 'r');
    try {
      // Read at most limit+1 bytes so a file that grew after stat cannot slip past the limit.
      const limit = this.options.maxInputBytes;
      const chunks: Buffer[] = [];
      let total = 0;
      for (;;) {
        const chunk = Buffer.allocUnsafe(Math.min(1 << 20, limit + 1 - total));
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
        if (bytesRead === 0) break;
        chunks.push(chunk.subarray(0, bytesRead));
        total += bytesRead;
        if (total > limit) throw tooLarge(userPath, total, limit);
      }
      return { file: { ...file, size: total }, bytes: Buffer.concat(chunks, total) };
    } finally {
      await handle.close();
    }
  }
}

function outsideRoots(userPath: string): PrechewError {
  return new PrechewError(
    'PATH_OUTSIDE_ROOTS',
    `Access denied: ${userPath} is outside the allowed directories. Move the file into an allowed root, or allow its directory with --root / files.roots.`,
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
