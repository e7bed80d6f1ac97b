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

  test('persistence without a key is a config error naming the variable', () => {
    expect(() => new VaultStore({ dir: tempDir() })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('PRECHEW_VAULT_KEY'),
      }),
    );
  });
});
