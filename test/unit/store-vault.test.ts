/**
 * Vault persistence: a change is saved (temp file, fsync, rename) or rolled back, and a failed
 * save leaves no temp file behind. The full-disk case runs on a real tmpfs in
 * test/e2e/hardening-disk.test.ts; here the folder is made unwritable by putting a file where a
 * directory is expected.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VaultStore } from '../../src/store/vault.js';
import { pseudonymize, restorePlaceholders } from '../../src/text/privacy.js';
import { tempDir } from '../helpers/app.js';

const KEY = 'a-long-random-vault-key-for-unit-tests';

describe('vault persistence', () => {
  it('rolls a change back when it cannot be saved, and saves it once the folder is usable', () => {
    const base = tempDir('prechew-vault-');
    const dir = path.join(base, 'vaults');
    const store = new VaultStore({ dir, key: KEY });
    const vault = store.create();
    pseudonymize('Call Maria Garcia today.', vault);
    store.save(vault);
    expect(readdirSync(dir)).toEqual([`${vault.id}.vault`]);

    // Break the folder: replace it with a plain file.
    rmSync(dir, { recursive: true });
    writeFileSync(dir, 'not a folder');
    const changed = store.get(vault.id);
    const red = pseudonymize('Write to maria.garcia@example.com', changed).text;
    expect(() => store.save(changed)).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/nothing was changed/) }),
    );
    expect(readdirSync(base).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    // Restore the folder with the last saved file: the failed change is gone, the saved state is back.
    rmSync(dir);
    mkdirSync(dir);
    const again = new VaultStore({ dir, key: KEY });
    expect(() => again.get(vault.id)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    // In the original store the vault was dropped from memory, so it is reloaded from disk (gone here too).
    expect(() => store.get(vault.id)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));

    // A fresh vault saves normally into the restored folder, and its values round-trip.
    const fresh = store.create();
    const text = pseudonymize('Write to maria.garcia@example.com', fresh).text;
    store.save(fresh);
    expect(restorePlaceholders(text, new VaultStore({ dir, key: KEY }).get(fresh.id)).text).toBe(
      'Write to maria.garcia@example.com',
    );
    expect(red).toContain('⟦EMAIL_1⟧');
  });

  it('a failed save of a vault that was saved before brings back the saved state', () => {
    const dir = tempDir('prechew-vault-');
    const store = new VaultStore({ dir, key: KEY });
    const vault = store.create();
    pseudonymize('Call Maria Garcia today.', vault);
    store.save(vault);
    const target = path.join(dir, `${vault.id}.vault`);
    const saved = readFileSync(target);
    // Make the rename fail: the target is now a non-empty directory.
    rmSync(target);
    mkdirSync(target);
    writeFileSync(path.join(target, 'x'), 'x');
    const changed = store.get(vault.id);
    pseudonymize('Write to maria.garcia@example.com', changed);
    expect(() => store.save(changed)).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/nothing was changed/) }),
    );
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // Put the saved file back: the store reloads it, with the person but without the failed e-mail.
    rmSync(target, { recursive: true });
    writeFileSync(target, saved);
    const reloaded = store.get(vault.id);
    expect(reloaded).not.toBe(changed);
    expect(restorePlaceholders('⟦PERSON_1⟧ at ⟦EMAIL_1⟧', reloaded).text).toBe('Maria Garcia at ⟦EMAIL_1⟧');
  });
});
