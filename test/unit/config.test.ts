import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFromEnv, loadConfig, maskSecrets, maskUrlUserinfo, parseConfig } from '../../src/config.js';
import { log } from '../../src/log.js';
import { tempDir } from '../helpers/app.js';

describe('config', () => {
  it('fills every section with defaults', () => {
    const c = parseConfig({});
    expect(c.server.host).toBe('127.0.0.1');
    expect(c.server.port).toBe(7777);
    expect(c.limits.maxInputBytes).toBe(50 * 1024 * 1024);
    expect(c.limits.maxOutputTokens).toBe(20_000);
    expect(c.files.roots).toEqual([]);
    expect(c.models.llm.gpu).toBe('auto');
    expect(c.privacy.mode).toBe('off');
  });

  it('merges defaults < file < env < flags', () => {
    const dir = tempDir();
    const file = path.join(dir, 'mcp.config.json');
    writeFileSync(file, JSON.stringify({ server: { port: 1000, allowedHosts: ['a.local'] }, files: { roots: ['docs'] }, limits: { maxOutputTokens: 900 } }));
    const { config } = loadConfig({ cwd: dir, env: { PRECHEW_PORT: '2000', PRECHEW_MAX_OUTPUT_TOKENS: '800' }, flags: { server: { port: 3000 } } });
    expect(config.server.port).toBe(3000);
    expect(config.limits.maxOutputTokens).toBe(800);
    expect(config.server.allowedHosts).toEqual(['a.local']);
    // relative roots resolve against the config file's folder
    expect(config.files.roots).toEqual([path.join(dir, 'docs')]);
  });

  it('names the field, the value and the expectation on invalid input', () => {
    expect(() => parseConfig({ server: { port: 70000 } })).toThrow(/server\.port: got 70000/);
    expect(() => parseConfig({ limits: { maxInputBytes: 'big' } })).toThrow(/limits\.maxInputBytes: got "big"/);
    expect(() => parseConfig({ sever: {} })).toThrow(/sever.*unknown setting/);
    expect(() => parseConfig({ auth: { token: 'short' } })).toThrow(/auth\.token: got \*\*\*.*16 characters/);
  });

  it('parses typed environment variables and rejects bad ones', () => {
    expect(configFromEnv({ PRECHEW_ROOTS: '/a,/b', PRECHEW_CACHE: 'false', PRECHEW_LLM_GPU: 'off' })).toEqual({
      files: { roots: ['/a', '/b'] },
      data: { cache: false },
      models: { llm: { gpu: false } },
    });
    expect(() => configFromEnv({ PRECHEW_PORT: '12.5' })).toThrow(/PRECHEW_PORT="12.5".*integer/);
    expect(() => configFromEnv({ PRECHEW_CACHE: 'maybe' })).toThrow(/PRECHEW_CACHE/);
  });

  it('fails clearly on a missing or broken config file', () => {
    const dir = tempDir();
    expect(() => loadConfig({ cwd: dir, configPath: 'nope.json', env: {} })).toThrow(/Config file not found/);
    writeFileSync(path.join(dir, 'bad.json'), '{ nope');
    expect(() => loadConfig({ cwd: dir, configPath: 'bad.json', env: {} })).toThrow(/not valid JSON/);
  });

  it('masks secrets', () => {
    const c = parseConfig({ auth: { token: 'abcdefghijklmnopqrstuvwxyz' }, cloud: { anthropic: { apiKey: 'sk-ant-secret-value' } } });
    const masked = JSON.stringify(maskSecrets(c));
    expect(masked).not.toContain('abcdefghijklmnop');
    expect(masked).not.toContain('sk-ant-secret');
  });

  it('masks secrets fully, including a password inside a base URL', () => {
    const c = parseConfig({
      auth: { token: 'abcdefghijklmnopqrstuvwxyz' },
      privacy: { vaultKey: 'vault-key-ending-in-QZ' },
      cloud: { openai: { apiKey: 'sk-openai-ending-XY' }, openaiCompatible: { baseURL: 'https://user:hunter2pass@llm.example.com/v1', apiKey: 'compat-key-WV' } },
    });
    const masked = maskSecrets(c) as { auth: { token: string }; cloud: { openaiCompatible: { baseURL: string } } };
    const text = JSON.stringify(masked);
    for (const tail of ['yz', 'QZ', 'XY', 'WV', 'hunter2', 'user:']) expect(text).not.toContain(tail);
    expect(masked.auth.token).toBe('***');
    expect(masked.cloud.openaiCompatible.baseURL).toBe('https://***:***@llm.example.com/v1');
    // A URL without userinfo is shown as is.
    expect(maskUrlUserinfo('https://api.example.com/v1')).toBe('https://api.example.com/v1');
  });

  it('logs never show a password inside a URL or a secret-named field', () => {
    const written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      log.warn('provider at https://bob:pa55word@llm.example.com/v1 failed', { url: 'http://u:pw@host/x', apiKey: 'sk-visible?', error: new Error('GET https://bob:pa55word@h/ refused') });
    } finally {
      process.stderr.write = original;
    }
    const text = written.join('');
    expect(text).toContain('llm.example.com');
    for (const s of ['pa55word', 'u:pw', 'sk-visible']) expect(text).not.toContain(s);
  });

  it('refuses vault persistence without a key, saying what to set', () => {
    expect(() => parseConfig({ privacy: { persistVaults: true } })).toThrow(/privacy\.persistVaults.*PRECHEW_VAULT_KEY/);
    expect(parseConfig({ privacy: { persistVaults: true, vaultKey: 'k'.repeat(32) } }).privacy.persistVaults).toBe(true);
  });

  it('has sane defaults for the HTTP limits', () => {
    const c = parseConfig({});
    expect(c.server.maxSessions).toBeGreaterThan(c.server.maxSessionsPerClient);
    expect(c.server.maxEventStoreBytes).toBeGreaterThan(0);
    expect(c.server.headersTimeoutMs).toBeLessThanOrEqual(c.server.requestTimeoutMs);
    expect(() => parseConfig({ server: { requestTimeoutMs: 0 } })).toThrow(/server\.requestTimeoutMs/);
  });

  it('the example mcp.config.json validates against the schema', () => {
    const { config } = loadConfig({ cwd: path.resolve(import.meta.dirname, '..', '..'), env: {} });
    expect(config.server.host).toBe('127.0.0.1');
  });
});
