/** Issue #14 (9): the config command masks secrets fully; a config that cannot work fails at start with exit 78. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/app.js';

describe('CLI start-up checks', () => {
  it('`serve` with privacy.persistVaults and no key exits 78 and says what to set', async () => {
    const dir = tempDir('prechew-cli-config-');
    const file = path.join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ privacy: { persistVaults: true } }));
    for (const args of [
      ['serve', '--stdio'],
      ['serve', '--http', '--port', '0'],
    ]) {
      const r = await runCli([...args, '--config', file]);
      expect(r.code).toBe(78);
      expect(r.stderr).toMatch(/PRECHEW_VAULT_KEY/);
      expect(r.stdout).toBe('');
    }
    const withKey = await runCli(['config', '--config', file], {
      env: { PRECHEW_VAULT_KEY: 'a-long-random-vault-key-0123456789' },
    });
    expect(withKey.code).toBe(0);
  });

  it('`config` shows no character of any secret, nor a password inside a base URL', async () => {
    const r = await runCli(['config'], {
      env: {
        PRECHEW_TOKEN: 'token-that-ends-with-TK9',
        OPENAI_API_KEY: 'sk-openai-ends-with-OA7',
        PRECHEW_COMPAT_BASE_URL: 'https://alice:s3cretpass@llm.example.com/v1',
        PRECHEW_COMPAT_API_KEY: 'compat-ends-with-CP5',
      },
    });
    expect(r.code).toBe(0);
    for (const fragment of ['K9', 'A7', 'P5', 's3cret', 'alice']) expect(r.stdout).not.toContain(fragment);
    const shown = JSON.parse(r.stdout) as {
      auth: { token: string };
      cloud: { openaiCompatible: { baseURL: string } };
    };
    expect(shown.auth.token).toBe('***');
    expect(shown.cloud.openaiCompatible.baseURL).toBe('https://***:***@llm.example.com/v1');
  });
});
