import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileAccess } from '../../src/files.js';
import { tempDir } from '../helpers/app.js';

function setup() {
  const root = tempDir('root-');
  const outside = tempDir('outside-');
  writeFileSync(path.join(root, 'a.txt'), 'hello');
  mkdirSync(path.join(root, 'dir'));
  writeFileSync(path.join(outside, 'secret.txt'), 'secret');
  symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'escape.txt'));
  symlinkSync(outside, path.join(root, 'escape-dir'));
  writeFileSync(path.join(root, 'big.bin'), Buffer.alloc(2048));
  return { root, outside };
}

describe('FileAccess', () => {
  it('reads files inside the roots, absolute or relative', async () => {
    const { root } = setup();
    const fa = new FileAccess({ roots: [root], maxInputBytes: 1024 });
    expect((await fa.read(path.join(root, 'a.txt'))).bytes.toString()).toBe('hello');
    expect((await fa.read('a.txt')).file.name).toBe('a.txt');
    expect((await fa.read(`file://${path.join(root, 'a.txt')}`)).bytes.toString()).toBe('hello');
  });

  it('refuses .. escapes and symlinks that leave the root', async () => {
    const { root, outside } = setup();
    const fa = new FileAccess({ roots: [root], maxInputBytes: 1024 });
    await expect(fa.read(path.join(root, '..', path.basename(outside), 'secret.txt'))).rejects.toMatchObject({ code: 'PATH_OUTSIDE_ROOTS' });
    await expect(fa.read('../' + path.basename(outside) + '/secret.txt')).rejects.toMatchObject({ code: 'PATH_OUTSIDE_ROOTS' });
    await expect(fa.read(path.join(root, 'escape.txt'))).rejects.toMatchObject({ code: 'PATH_OUTSIDE_ROOTS' });
    await expect(fa.read(path.join(root, 'escape-dir', 'secret.txt'))).rejects.toMatchObject({ code: 'PATH_OUTSIDE_ROOTS' });
    await expect(fa.read('/etc/hostname')).rejects.toMatchObject({ code: 'PATH_OUTSIDE_ROOTS' });
    // A missing file outside the roots is "outside", not "not found": no probing of the file system.
    await expect(fa.read(path.join(outside, 'missing.txt'))).rejects.toMatchObject({ code: 'PATH_OUTSIDE_ROOTS' });
  });

  it('accepts extra (client) roots for a call', async () => {
    const { root, outside } = setup();
    const fa = new FileAccess({ roots: [root], maxInputBytes: 1024 });
    expect((await fa.read(path.join(outside, 'secret.txt'), [outside])).bytes.toString()).toBe('secret');
  });

  it('explains how to allow a directory when no roots are configured', async () => {
    const fa = new FileAccess({ roots: [], maxInputBytes: 1024 });
    await expect(fa.read('/tmp/x')).rejects.toMatchObject({ code: 'NO_ROOTS', message: expect.stringMatching(/--root/) });
  });

  it('checks size before reading and rejects directories and missing files', async () => {
    const { root } = setup();
    const fa = new FileAccess({ roots: [root], maxInputBytes: 1024 });
    await expect(fa.read('big.bin')).rejects.toMatchObject({ code: 'INPUT_TOO_LARGE' });
    await expect(fa.read('dir')).rejects.toMatchObject({ code: 'NOT_A_FILE' });
    await expect(fa.read('missing.txt')).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    await expect(fa.read('')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

/**
 * A separate process swaps paths inside the root between a regular file, a symlink to a secret
 * outside it, and a FIFO, as fast as it can, until it is killed.
 */
function startSwapper(root: string, outside: string): ChildProcess {
  const script = `
const fs = require('node:fs');
const path = require('node:path');
const [root, outside] = process.argv.slice(1);
const target = path.join(root, 'race.txt');
const dir = path.join(root, 'racedir');
for (let i = 0; ; i++) {
  const tmp = path.join(root, '.swap-' + (i % 2));
  try { fs.rmSync(tmp, { force: true, recursive: true }); } catch {}
  switch (i % 4) {
    case 0: fs.symlinkSync(path.join(outside, 'secret.txt'), tmp); fs.renameSync(tmp, target); break;
    case 1: fs.writeFileSync(tmp, 'inside'); fs.renameSync(tmp, target); break;
    case 2: require('node:child_process').execFileSync('mkfifo', [tmp]); fs.renameSync(tmp, target); break;
    case 3: fs.writeFileSync(tmp, 'inside'); fs.renameSync(tmp, target); break;
  }
  const tmpDir = path.join(root, '.swapdir');
  try { fs.rmSync(tmpDir, { force: true, recursive: true }); } catch {}
  if (i % 2 === 0) fs.symlinkSync(outside, tmpDir);
  else { fs.mkdirSync(tmpDir); fs.writeFileSync(path.join(tmpDir, 'secret.txt'), 'inside'); }
  try { fs.rmSync(dir, { recursive: true, force: true }); } catch {}
  try { fs.renameSync(tmpDir, dir); } catch {}
}
`;
  return spawn(process.execPath, ['-e', script, root, outside], { stdio: 'ignore' });
}

describe('FileAccess against paths that change under it', () => {
  it('a racing symlink/FIFO swapper never gets a read outside the root, and no read blocks', async () => {
    const { root, outside } = setup();
    const fa = new FileAccess({ roots: [root], maxInputBytes: 1024 });
    writeFileSync(path.join(root, 'race.txt'), 'inside');
    const swapper = startSwapper(root, outside);
    const outcomes = new Map<string, number>();
    try {
      // Bounded: 2,000 reads of each path (or fewer if the time cap is hit first; this is a stop rule, not an assertion).
      const stopAt = Date.now() + 20_000;
      for (let i = 0; i < 2000 && Date.now() < stopAt; i++) {
        for (const p of ['race.txt', 'racedir/secret.txt']) {
          let outcome: string;
          try {
            outcome = `ok:${(await fa.read(p)).bytes.toString()}`;
          } catch (error) {
            outcome = (error as { code?: string }).code ?? String(error);
          }
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        }
      }
    } finally {
      swapper.kill('SIGKILL');
    }
    expect([...outcomes.keys()].filter((k) => k.startsWith('ok:') && k !== 'ok:inside')).toEqual([]);
    for (const k of outcomes.keys()) expect(k).toMatch(/^(ok:inside|PATH_OUTSIDE_ROOTS|FILE_NOT_FOUND|NOT_A_FILE)$/);
    // The race really happened: both successful reads and refusals were seen.
    expect(outcomes.get('ok:inside')).toBeGreaterThan(0);
    expect((outcomes.get('PATH_OUTSIDE_ROOTS') ?? 0) + (outcomes.get('NOT_A_FILE') ?? 0)).toBeGreaterThan(0);
    // And reading still works afterwards.
    expect((await fa.read('a.txt')).bytes.toString()).toBe('hello');
  }, 60_000);

  it('a FIFO fails fast with NOT_A_FILE instead of blocking a thread', async () => {
    const { root } = setup();
    execFileSync('mkfifo', [path.join(root, 'pipe')]);
    const fa = new FileAccess({ roots: [root], maxInputBytes: 1024 });
    // More reads than libuv has threadpool threads: a blocking open() would hang every later read.
    for (let i = 0; i < 8; i++) await expect(fa.read('pipe')).rejects.toMatchObject({ code: 'NOT_A_FILE', message: expect.stringMatching(/not a regular file/) });
    expect((await fa.read('a.txt')).bytes.toString()).toBe('hello');
  });

  it('client roots narrowed to the configured ones keep only the parts inside', async () => {
    const { root, outside } = setup();
    const fa = new FileAccess({ roots: [root], maxInputBytes: 1024 });
    expect(await fa.rootsWithinConfigured(['/', outside, path.join(root, 'dir'), path.join(root, 'escape-dir')])).toEqual([realpathSync(path.join(root, 'dir'))]);
  });

  it('cuts a very long path in its error message', async () => {
    const { root } = setup();
    const fa = new FileAccess({ roots: [root], maxInputBytes: 1024 });
    const long = 'x'.repeat(100_000);
    const error = (await fa.read(long).catch((e: unknown) => e)) as Error;
    expect(error.message.length).toBeLessThan(1000);
    expect(error.message).toMatch(/characters cut/);
  });
});
