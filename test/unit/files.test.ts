import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
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
