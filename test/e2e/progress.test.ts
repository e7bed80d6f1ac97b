/**
 * Progress that means something, seen by real clients: an MCP client over stdio gets per-page
 * progress for a long PDF and per-source/per-step progress for condense; `prechew run` draws a bar
 * with an ETA on a terminal and writes nothing but the result when its output is piped.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/client';
import { childEnv, cliPath, connectStdio, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/app.js';
import { makeReportPdf } from '../helpers/make-documents.js';

const PAGES = 80;

interface Seen {
  progress: number;
  total?: number | undefined;
  message?: string | undefined;
}

function expectIncreasing(seen: Seen[]): void {
  for (let i = 1; i < seen.length; i++) expect(seen[i]!.progress).toBeGreaterThan(seen[i - 1]!.progress);
}

describe('progress over MCP (stdio child process)', () => {
  let root: string;
  let client: Client;

  beforeAll(async () => {
    root = tempDir('prechew-progress-root-');
    writeFileSync(path.join(root, 'long.pdf'), await makeReportPdf({ pages: PAGES }));
    writeFileSync(path.join(root, 'a.txt'), 'The east wing closes at noon on Fridays. Visitors sign in at the front desk.\n\n'.repeat(40));
    writeFileSync(path.join(root, 'b.txt'), 'Deliveries arrive at the loading dock before eight. The dock manager signs for them.\n\n'.repeat(40));
    ({ client } = await connectStdio(['--root', root]));
  });
  afterAll(async () => {
    await client?.close();
  });

  it('reports a long PDF conversion per page', async () => {
    const seen: Seen[] = [];
    const r = await client.callTool({ name: 'convert', arguments: { path: path.join(root, 'long.pdf') } }, { onprogress: (p) => seen.push(p), timeout: 120_000 });
    expect(r.isError).toBeFalsy();
    const pages = new Set(seen.map((s) => /^page (\d+) of (\d+)$/.exec(s.message ?? '')).filter((m) => m && Number(m[2]) === PAGES).map((m) => Number(m![1])));
    // Not `0/1 converting…` then `1/1 done`: pages out of the real page count. The server thins
    // bursts to one notification per 100 ms, so how many pages show depends on the machine's speed.
    expect(pages.size).toBeGreaterThanOrEqual(1);
    expect([...pages].every((p) => p >= 1 && p <= PAGES)).toBe(true);
    expect(seen.filter((s) => /^page /.test(s.message ?? '')).every((s) => s.total === PAGES + 1)).toBe(true);
    expect(seen.at(-1)).toMatchObject({ progress: PAGES + 1, total: PAGES + 1, message: 'done' });
    expectIncreasing(seen);
  });

  it('reports condense per source and per step', async () => {
    const seen: Seen[] = [];
    const sources = [{ path: path.join(root, 'a.txt') }, { path: path.join(root, 'b.txt') }, { text: 'Fire drills happen monthly.', name: 'memo' }];
    const r = await client.callTool({ name: 'condense', arguments: { sources, query: 'When do deliveries arrive?', budgetTokens: 200 } }, { onprogress: (p) => seen.push(p), timeout: 120_000 });
    expect(r.isError).toBeFalsy();
    const messages = seen.map((s) => s.message ?? '');
    // The server thins bursts to one notification per 100 ms, so fast steps may be merged; the final one always arrives.
    expect(messages.filter((m) => /^reading source \d of 3: /.test(m)).length + messages.filter((m) => /^condense: .* done \(step \d of 5\)$/.test(m)).length).toBeGreaterThanOrEqual(1);
    expect(messages.every((m) => /^(reading source \d of 3: .+|read 3 source\(s\)|condense: .+|done)$/.test(m))).toBe(true);
    expect(seen.every((s) => s.total === 3 + 5 + 1)).toBe(true);
    expect(seen.at(-1)).toMatchObject({ progress: 9, total: 9, message: 'done' });
    expectIncreasing(seen);
  });
});

describe('prechew run progress bar', () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('prechew-progress-cli-');
    writeFileSync(path.join(dir, 'long.pdf'), await makeReportPdf({ pages: PAGES }));
  });

  it('stays quiet when its output is not a terminal', async () => {
    const r = await runCli(['run', 'convert', '--path', path.join(dir, 'long.pdf'), '--root', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Marker sentence for page 80.');
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(/ETA|\r/);
    expect(r.stdout).not.toContain('\u001b[');
  });

  const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
  if (!hasScript) console.warn('skipping the terminal progress bar test: `script` (util-linux) is not installed, so no pseudo-terminal can be made');
  it.skipIf(!hasScript)('draws a bar with ETA on a terminal (pseudo-terminal from `script`)', async () => {
    const command = [process.execPath, cliPath, 'run', 'convert', '--path', path.join(dir, 'long.pdf'), '--root', dir].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], { env: { ...childEnv(), COLUMNS: '120', TERM: 'xterm' }, cwd: dir });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.stderr.on('data', (d: Buffer) => (text += d.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`script did not finish; output so far:\n${text}`));
      }, 90_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(text);
        else reject(new Error(`script exited with ${code}:\n${text}`));
      });
    });
    expect(out).toMatch(/convert .*\d+% \| ETA /);
    expect(out).toContain('Marker sentence for page 80.');
  });
});
