import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitParagraphs } from '../../src/text/split.js';
import { childEnv, cliPath, repoRoot, runCli, startHttpChild } from '../helpers/cli.js';
import { tempDir } from '../helpers/app.js';

/** Over 300 KB of real text: the dedupe fixtures (Debian copyright files and man pages), three times. */
function realText(): string {
  const dir = path.join(repoRoot, 'fixtures', 'real', 'dedupe');
  const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();
  const once = files.map((f) => readFileSync(path.join(dir, f), 'utf8')).join('\n\n');
  return [once, once, once].join('\n\n');
}

/**
 * A producer process that writes `file` to its stdout in 16 KB chunks with a pause between them,
 * like a slow disk or network, piped by a real shell into `prechew <args>`.
 */
function runPipedFromSlowProducer(file: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const producer = [
    "const fs = require('fs');",
    'const data = fs.readFileSync(process.argv[1]);',
    'let at = 0;',
    'const next = () => { if (at >= data.length) return; process.stdout.write(data.subarray(at, at + 16384), () => setTimeout(next, 15)); at += 16384; };',
    'next();',
  ].join(' ');
  const quote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;
  const command = `${quote(process.execPath)} -e ${quote(producer)} ${quote(file)} | ${quote(process.execPath)} ${quote(cliPath)} ${args.map(quote).join(' ')}`;
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { env: childEnv(env), cwd: tempDir() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end();
  });
}

/** `prechew <args>` with stdin closed (`<&-`) or at /dev/null, as under cron or a service manager. */
function runWithoutStdin(args: string[], how: 'closed' | 'devnull'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const quote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;
  const redirect = how === 'closed' ? '<&-' : '</dev/null';
  const command = `exec ${quote(process.execPath)} ${quote(cliPath)} ${args.map(quote).join(' ')} ${redirect}`;
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { env: childEnv(), cwd: tempDir(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

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

  it('ends quietly when the reader closes stdout early (prechew tools | head -1)', async () => {
    const child = spawn(process.execPath, [cliPath, 'tools'], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // The reader is gone before the first line is written.
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
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
    // A bare host is reported as written: no scheme is invented.
    expect(out.entities.url?.[0]?.value).toBe('example.org/about');
  });

  it('reads a large stdin from a slow producer completely (dedupe and extract-entities)', async () => {
    const text = realText();
    expect(Buffer.byteLength(text)).toBeGreaterThan(300_000);
    const file = path.join(tempDir(), 'real.txt');
    writeFileSync(file, text);
    const dedupe = await runPipedFromSlowProducer(file, ['run', 'dedupe', '-', '--json']);
    expect(dedupe.stderr).toBe('');
    expect(dedupe.code).toBe(0);
    const stats = (JSON.parse(dedupe.stdout) as { stats: { itemsIn: number; itemsOut: number } }).stats;
    expect(stats.itemsIn).toBe(splitParagraphs(text).length);
    // The text is three copies of one document: every paragraph of the second and third goes.
    expect(stats.itemsOut).toBeLessThanOrEqual(stats.itemsIn / 3 + 1);
    const entities = await runPipedFromSlowProducer(file, ['run', 'extract-entities', '-', '--json', '--arg', 'types=email']);
    expect(entities.stderr).toBe('');
    expect(entities.code).toBe(0);
    const emails = (JSON.parse(entities.stdout) as { entities: { email?: Array<{ value: string }> } }).entities.email ?? [];
    expect(emails.map((e) => e.value)).toContain('jbr@edlug.org.uk');
  });

  it('refuses stdin over the input limit, and empty or closed stdin, with a clear error', async () => {
    const file = path.join(tempDir(), 'big.txt');
    writeFileSync(file, realText());
    const tooBig = await runPipedFromSlowProducer(file, ['run', 'dedupe', '-'], { PRECHEW_MAX_INPUT_BYTES: '100000' });
    expect(tooBig.code).toBe(1);
    expect(tooBig.stderr).toMatch(/^prechew: \[INPUT_TOO_LARGE\] The text on stdin is over the .* input limit/);
    expect(tooBig.stdout).toBe('');

    const empty = await runCli(['run', 'dedupe', '-'], { input: '' });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/^prechew: \[INVALID_INPUT\] No text arrived on stdin/);
    const emptyJson = await runCli(['run', 'dedupe', '-', '--json'], { input: '  \n' });
    expect(emptyJson.code).toBe(1);
    expect((JSON.parse(emptyJson.stdout) as { error: { code: string } }).error.code).toBe('INVALID_INPUT');

    for (const how of ['closed', 'devnull'] as const) {
      const r = await runWithoutStdin(['run', 'extract-entities', '-'], how);
      expect(r.code, how).toBe(1);
      expect(r.stderr, how).toMatch(/^prechew: \[INVALID_INPUT\] No text arrived on stdin/);
    }
  });

  it('accepts a comma list for array arguments and names the valid values otherwise', async () => {
    const text = 'Ada Lovelace wrote to ops@example.com on May 3, 2025.';
    const one = await runCli(['run', 'extract-entities', '--text', text, '--arg', 'types=person', '--json']);
    expect(one.stderr).toBe('');
    expect(Object.keys((JSON.parse(one.stdout) as { entities: object }).entities)).toEqual(['person']);
    const two = await runCli(['run', 'extract-entities', '--text', text, '--arg', 'types=person, email', '--json']);
    expect(Object.keys((JSON.parse(two.stdout) as { entities: object }).entities).sort()).toEqual(['email', 'person']);
    const sentiment = await runCli(['run', 'classify', '--text', 'I love this, it works perfectly!', '--json']);
    expect(sentiment.code).toBe(0);
    expect(JSON.parse(sentiment.stdout)).toMatchObject({ task: 'sentiment', items: [{ label: 'positive' }] });
    const badTask = await runCli(['run', 'classify', '--text', 'x', '--arg', 'task=topics']);
    expect(badTask.code).toBe(1);
    expect(badTask.stderr).toMatch(/task/);
    expect(badTask.stderr).toMatch(/"labels"/);
    expect(badTask.stderr).toMatch(/"sentiment"/);
  });

  it('prints a Claude Desktop snippet with exactly the configured roots', async () => {
    const none = await startHttpChild();
    try {
      expect(none.stderr()).toMatch(/no file roots allowed/);
      expect(none.stderr()).toContain('"serve",');
      expect(none.stderr()).not.toContain('"--root"');
    } finally {
      await none.stop();
    }
    const root = tempDir('prechew-root-');
    const one = await startHttpChild(['--root', root]);
    try {
      expect(one.stderr()).not.toMatch(/no file roots allowed/);
      expect(one.stderr()).toMatch(new RegExp(`"--root",\\s*${JSON.stringify(root).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      expect(one.stderr().match(/"--root"/g)).toHaveLength(1);
    } finally {
      await one.stop();
    }
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
