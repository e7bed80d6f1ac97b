/**
 * Where vaults live. By default only in this process's memory (a bounded map, least recently
 * used dropped first). With privacy.persistVaults, each vault is also written to
 * <data dir>/vaults/<id>.vault encrypted with AES-256-GCM (key derived from privacy.vaultKey,
 * which PRECHEW_VAULT_KEY feeds, with scrypt and a random salt per file). Vaults never leave
 * the machine.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { PrechewError, isDiskFullError } from '../errors.js';
import { log } from '../log.js';
import { getService, type AppServices } from '../services.js';
import { Vault, type VaultSnapshot } from '../text/vault.js';

export const MAX_VAULTS_IN_MEMORY = 1000;
const VAULT_ID = /^v_[0-9a-f]{24}$/;
const FILE_VERSION = 1;

interface EncryptedFile {
  v: number;
  alg: 'aes-256-gcm';
  salt: string;
  iv: string;
  tag: string;
  data: string;
}

function deriveKey(secret: string, salt: Buffer): Buffer {
  return scryptSync(secret, salt, 32, { N: 1 << 14, r: 8, p: 1 });
}

export function encryptVault(snapshot: VaultSnapshot, secret: string): EncryptedFile {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(secret, salt), iv);
  cipher.setAAD(Buffer.from(`prechew-vault:${snapshot.id}`));
  const data = Buffer.concat([cipher.update(JSON.stringify(snapshot), 'utf8'), cipher.final()]);
  return {
    v: FILE_VERSION,
    alg: 'aes-256-gcm',
    salt: salt.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
}

export function decryptVault(file: EncryptedFile, id: string, secret: string): VaultSnapshot {
  const decipher = createDecipheriv(
    'aes-256-gcm',
    deriveKey(secret, Buffer.from(file.salt, 'base64')),
    Buffer.from(file.iv, 'base64'),
  );
  decipher.setAAD(Buffer.from(`prechew-vault:${id}`));
  decipher.setAuthTag(Buffer.from(file.tag, 'base64'));
  const plain = Buffer.concat([decipher.update(Buffer.from(file.data, 'base64')), decipher.final()]);
  return JSON.parse(plain.toString('utf8')) as VaultSnapshot;
}

export interface VaultStoreOptions {
  /** Folder for encrypted vault files; unset keeps vaults in memory only. */
  dir?: string | undefined;
  key?: string | undefined;
  maxInMemory?: number;
}

export class VaultStore {
  private readonly vaults = new Map<string, Vault>();
  private readonly max: number;

  constructor(private readonly options: VaultStoreOptions = {}) {
    this.max = options.maxInMemory ?? MAX_VAULTS_IN_MEMORY;
    if (options.dir && !options.key) {
      throw new PrechewError(
        'CONFIG_INVALID',
        'privacy.persistVaults is on but no vault key is set: set PRECHEW_VAULT_KEY (or privacy.vaultKey) to a long random secret, or turn persistVaults off.',
      );
    }
  }

  get persistent(): boolean {
    return this.options.dir !== undefined;
  }

  create(): Vault {
    const vault = new Vault(`v_${randomBytes(12).toString('hex')}`);
    this.remember(vault);
    return vault;
  }

  /** The vault with this id; NOT_FOUND when it is unknown (expired from memory, another process, wrong key). */
  get(id: string): Vault {
    if (!VAULT_ID.test(id))
      throw new PrechewError(
        'INVALID_INPUT',
        'vaultId must look like "v_" followed by 24 hex digits, as returned by redact, condense or ask.',
      );
    const cached = this.vaults.get(id);
    if (cached) {
      this.vaults.delete(id);
      this.vaults.set(id, cached);
      return cached;
    }
    const loaded = this.load(id);
    if (loaded) {
      this.remember(loaded);
      return loaded;
    }
    throw new PrechewError(
      'NOT_FOUND',
      this.persistent
        ? `No vault ${id} here: it is neither in this process's memory nor in the encrypted vault folder (it was created by another installation or data directory, or before privacy.persistVaults was turned on). Redact the text again to get a new vault.`
        : `No vault ${id} in this process. Vaults live only in the memory of the process that created them (at most ${this.max}, least recently used dropped first) because privacy.persistVaults is off, so a new process — such as \`prechew run restore\` after \`prechew run redact\` — or a restarted server cannot see them. To keep vaults across processes, set "privacy": { "persistVaults": true } in mcp.config.json and PRECHEW_VAULT_KEY to a long random secret (they are stored encrypted), then redact again; or call restore on the same running server that redacted.`,
    );
  }

  /**
   * Write the vault's current state (encrypted) when persistence is on: to a temp file, fsync,
   * then rename over the old file, so a crash or a full disk never leaves a half-written vault.
   * When the write fails the temp file is removed and the change is rolled back: the vault is
   * dropped from memory, so the next use reloads the last saved state from disk.
   */
  save(vault: Vault): void {
    const { dir, key } = this.options;
    if (!dir || !key) return;
    const file = path.join(dir, `${vault.id}.vault`);
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    let fd: number | undefined;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      fd = openSync(tmp, 'wx', 0o600);
      writeFullySync(fd, Buffer.from(JSON.stringify(encryptVault(vault.toJSON(), key))));
      fsyncSync(fd);
      closeSync(fd);
      fd = undefined;
      renameSync(tmp, file);
      syncDirectory(dir);
    } catch (error) {
      if (fd !== undefined) {
        try {
          closeSync(fd);
        } catch {
          // already closed
        }
      }
      try {
        rmSync(tmp, { force: true });
      } catch {
        // the temp file was never created (e.g. the folder is missing or not a folder)
      }
      if (this.vaults.get(vault.id) === vault) this.vaults.delete(vault.id);
      if (isDiskFullError(error)) {
        log.warn('vault not saved: the disk is full', { dir });
        throw new PrechewError(
          'DISK_FULL',
          `The disk holding the vault folder (${dir}) is full, so the vault could not be saved; nothing was changed. Free some space and try again.`,
          undefined,
          { cause: error },
        );
      }
      log.error('vault not saved', { dir, error });
      throw new PrechewError(
        'INTERNAL',
        `The vault could not be saved to ${dir} (${(error as NodeJS.ErrnoException).code ?? 'error'}); nothing was changed. Check that the folder is writable.`,
        undefined,
        { cause: error },
      );
    }
  }

  private load(id: string): Vault | undefined {
    const { dir, key } = this.options;
    if (!dir || !key) return undefined;
    let raw: string;
    try {
      raw = readFileSync(path.join(dir, `${id}.vault`), 'utf8');
    } catch {
      return undefined;
    }
    try {
      return Vault.fromJSON(decryptVault(JSON.parse(raw) as EncryptedFile, id, key));
    } catch (error) {
      log.warn('a vault file could not be decrypted (wrong key or damaged file)', { id, error });
      throw new PrechewError(
        'NOT_FOUND',
        `Vault ${id} exists but cannot be decrypted: the vault key (PRECHEW_VAULT_KEY) differs from the one it was written with, or the file is damaged.`,
      );
    }
  }

  private remember(vault: Vault): void {
    this.vaults.set(vault.id, vault);
    while (this.vaults.size > this.max) {
      const oldest = this.vaults.keys().next().value as string;
      this.vaults.delete(oldest);
    }
  }
}

function writeFullySync(fd: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
}

/** fsync the folder so the rename itself survives a crash; not every platform allows it. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // best effort (e.g. Windows cannot open a directory)
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The process-wide vault store, configured from privacy.* on first use. */
export function getVaultStore(app: AppServices): VaultStore {
  return getService(app, 'vaults', () => {
    const p = app.config.privacy;
    return new VaultStore(
      p.persistVaults ? { dir: path.join(app.config.data.dir ?? '.', 'vaults'), key: p.vaultKey } : {},
    );
  });
}
