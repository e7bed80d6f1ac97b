import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { VaultStore } from '../../src/store/vault.js';
import { pseudonymize, restorePlaceholders } from '../../src/text/privacy.js';
import { tempDir } from '../helpers/app.js';

describe('vault store', () => {
  test('in memory by default, bounded, least recently used dropped first', () => {
    const store = new VaultStore({ maxInMemory: 2 });
    const a = store.create();
    const b = store.create();
    expect(store.get(a.id)).toBe(a);
    store.create();
    expect(store.get(a.id)).toBe(a);
    expect(() => store.get(b.id)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    // Why, and how to keep vaults across processes (`prechew run restore` is a new process).
    expect(() => new VaultStore().get(b.id)).toThrow(
      expect.objectContaining({
        code: 'NOT_FOUND',
        message: expect.stringMatching(/only in the memory of the process[\s\S]*prechew run restore[\s\S]*"persistVaults": true[\s\S]*PRECHEW_VAULT_KEY/),
      }),
    );
    expect(() => store.get('nope')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  test('persisted encrypted with AES-256-GCM: no value on disk, readable with the key only', () => {
    const dir = tempDir();
    const key = 'correct horse battery staple 42';
    const store = new VaultStore({ dir, key });
    const vault = store.create();
    const red = pseudonymize('Write to maria.garcia@example.com or call (415) 555-0132.', vault).text;
    store.save(vault);
    const files = readdirSync(dir);
    expect(files).toEqual([`${vault.id}.vault`]);
    const raw = readFileSync(path.join(dir, files[0]!), 'utf8');
    expect(raw).not.toContain('maria');
    expect(raw).not.toContain('555');
    expect(JSON.parse(raw)).toMatchObject({ alg: 'aes-256-gcm' });

    const reopened = new VaultStore({ dir, key });
    expect(restorePlaceholders(red, reopened.get(vault.id)).text).toBe(
      'Write to maria.garcia@example.com or call (415) 555-0132.',
    );
    const wrongKey = new VaultStore({ dir, key: 'another key entirely' });
    expect(() => wrongKey.get(vault.id)).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND', message: expect.stringContaining('PRECHEW_VAULT_KEY') }),
    );
  });

  test('a persisted vault keeps its people: name parts and longer forms match in a later process', () => {
    const dir = tempDir();
    const key = 'another long secret for the test vault';
    const store = new VaultStore({ dir, key });
    const vault = store.create();
    pseudonymize('Copyright: 1995 Ian Murdock <imurdock@debian.org>\n 1995 Ian A. Murdock wrote the rest.', vault);
    store.save(vault);
    const later = new VaultStore({ dir, key }).get(vault.id);
    const red = pseudonymize("Murdock's notes, and Ian A. Murdock on imurdock@debian.org.", later).text;
    expect(red).toBe("⟦PERSON_1⟧'s notes, and ⟦PERSON_1⟧ on ⟦EMAIL_1⟧.");
    expect(restorePlaceholders(red, later).text).toBe("Ian Murdock's notes, and Ian Murdock on imurdock@debian.org.");
  });

  test('persistence without a key is a config error naming the variable', () => {
    expect(() => new VaultStore({ dir: tempDir() })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('PRECHEW_VAULT_KEY'),
      }),
    );
  });
});
