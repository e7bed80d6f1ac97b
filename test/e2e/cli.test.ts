import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/app.js';

describe('prechew CLI', () => {
  it('prints version and help', async () => {
    const v = await runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const h = await runCli(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/prechew run <tool>/);
  });

  it('lists tools', async () => {
    const r = await runCli(['tools']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^extract-entities\s+\S/m);
    expect(r.stdout).toMatch(/^dedupe\s+\S/m);
  });

  it('runs a tool with --text, human-readable and --json', async () => {
    const human = await runCli(['run', 'extract-entities', '--text', 'Write to ops@example.com by 2024-06-01.']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/ops@example\.com/);
    const json = await runCli(['run', 'extract-entities', '--text', 'Write to ops@example.com by 2024-06-01.', '--arg', 'types=["email"]', '--json']);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { entities: Record<string, Array<{ value: string }>> };
    expect(parsed.entities.email?.[0]?.value).toBe('ops@example.com');
    expect(parsed.entities.date).toBeUndefined();
  });

  it('reads stdin with - and a file with --path', async () => {
    const stdin = await runCli(['run', 'dedupe', '-', '--json'], { input: 'Alpha beta gamma delta.\n\nalpha  BETA gamma delta\n\nSomething else.' });
    expect(stdin.code).toBe(0);
    expect((JSON.parse(stdin.stdout) as { stats: { itemsOut: number } }).stats.itemsOut).toBe(2);
    const dir = tempDir();
    const file = path.join(dir, 'doc.txt');
    writeFileSync(file, 'Contact +44 20 7946 0958 or visit example.org/about.');
    const r = await runCli(['run', 'extract-entities', '--path', file, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { entities: Record<string, Array<{ value: string }>> };
    expect(out.entities.phone?.[0]?.value).toBe('+442079460958');
    expect(out.entities.url?.[0]?.value).toMatch(/^https:\/\/example\.org\/about/);
  });

  it('extracts entities from a large text in parallel units with the same result as one pass', async () => {
    const { extractEntities } = await import('../../src/text/entities.js');
    const paragraphs = Array.from({ length: 2400 }, (_, i) => `Report ${i}: contact desk${i % 97}@example.org or +1 212 555 ${String(1000 + (i % 400)).padStart(4, '0')} before May ${(i % 28) + 1}, 2025; budget $${i % 50},000 (${i % 30}% over).`);
    const text = paragraphs.join('\n\n');
    const dir = tempDir();
    const file = path.join(dir, 'big.txt');
    writeFileSync(file, text);
    const r = await runCli(['run', 'extract-entities', '--path', file, '--json', '--arg', 'types=["email","phone","date","money","percent"]']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { units: number; entities: Record<string, Array<{ value: string; count: number; occurrences: unknown[] }>> };
    expect(out.units).toBeGreaterThan(1);
    const whole = extractEntities(text, { types: ['email', 'phone', 'date', 'money', 'percent'] });
    for (const type of ['email', 'phone', 'date', 'money', 'percent'] as const) {
      expect(out.entities[type]?.map((e) => [e.value, e.count, e.occurrences])).toEqual(whole.entities[type]?.map((e) => [e.value, e.count, e.occurrences]));
    }
  });

  it('exits non-zero with a one-line reason on errors', async () => {
    const unknown = await runCli(['run', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown tool "nope"/);
    const badFlag = await runCli(['--bogus']);
    expect(badFlag.code).toBe(2);
    const toolError = await runCli(['run', 'extract-entities']);
    expect(toolError.code).toBe(1);
    expect(toolError.stderr).toMatch(/INVALID_INPUT/);
  });

  it('validates config and names the field, value and expectation', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'mcp.config.json'), JSON.stringify({ server: { port: 'seven' } }));
    const r = await runCli(['config'], { cwd: dir });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/server\.port/);
    expect(r.stderr).toMatch(/"seven"/);
    const env = await runCli(['config'], { env: { PRECHEW_PORT: 'abc' } });
    expect(env.code).not.toBe(0);
    expect(env.stderr).toMatch(/PRECHEW_PORT/);
  });

  it('merges defaults < file < env < flags and masks secrets', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'mcp.config.json'), JSON.stringify({ server: { port: 8000, host: '127.0.0.2' }, limits: { maxOutputTokens: 5000 } }));
    const r = await runCli(['config', '--port', '9000'], { cwd: dir, env: { PRECHEW_HOST: '127.0.0.3', PRECHEW_TOKEN: 'supersecret-token-value-123', ANTHROPIC_API_KEY: 'sk-ant-abcdefghijklmnop' } });
    expect(r.code).toBe(0);
    const cfg = JSON.parse(r.stdout) as { server: { port: number; host: string }; limits: { maxOutputTokens: number }; auth: { token: string } };
    expect(cfg.server.port).toBe(9000);
    expect(cfg.server.host).toBe('127.0.0.3');
    expect(cfg.limits.maxOutputTokens).toBe(5000);
    expect(r.stdout).not.toContain('supersecret-token-value-123');
    expect(r.stdout).not.toContain('sk-ant-abcdefghijklmnop');
    expect(cfg.auth.token).toMatch(/^\*\*\*/);
  });

  it('doctor reports the runtime and bindings', async () => {
    const r = await runCli(['doctor']);
    expect(r.stdout).toMatch(/Node\.js: v\d+/);
    expect(r.stdout).toMatch(/better-sqlite3/);
    expect(r.stdout).toMatch(/pdftotext/);
    expect(r.stdout).toMatch(/ffmpeg/);
  });
});
