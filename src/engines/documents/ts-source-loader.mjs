/**
 * Module hooks that let a sandbox worker load the TypeScript sources directly (tests and
 * `vitest` run from src/, where the compiled worker does not exist): `.js` imports resolve to
 * the `.ts` file beside them and TypeScript is transpiled on load. The compiled build never
 * uses this file.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import process from 'node:process';
import path from 'node:path';
import { fileURLToPath, URL } from 'node:url';

// Transpiled modules are cached on disk (keyed by path, size and mtime) so that a fresh worker
// does not have to load the TypeScript compiler at all once the sources are unchanged.
const cacheDir = path.join(os.tmpdir(), `prechew-ts-cache-${process.getuid?.() ?? 'user'}`);
let compiler;

export async function resolve(specifier, context, nextResolve) {
  if (context.parentURL?.endsWith('.ts') && specifier.endsWith('.js') && /^(\.|file:)/.test(specifier)) {
    const url = new URL(specifier, context.parentURL);
    if (!existsSync(fileURLToPath(url))) {
      const tsUrl = new URL(url.href.replace(/\.js$/, '.ts'));
      if (existsSync(fileURLToPath(tsUrl))) return { url: tsUrl.href, format: 'module', shortCircuit: true };
    }
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith('.ts')) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const info = await stat(file);
  const key = createHash('sha256').update(`${file}\0${info.size}\0${info.mtimeMs}`).digest('hex');
  const cached = path.join(cacheDir, `${key}.mjs`);
  try {
    return { format: 'module', source: await readFile(cached, 'utf8'), shortCircuit: true };
  } catch {
    // not cached yet
  }
  compiler ??= (await import('typescript')).default;
  const { outputText } = compiler.transpileModule(await readFile(file, 'utf8'), {
    fileName: file,
    compilerOptions: {
      module: compiler.ModuleKind.ESNext,
      target: compiler.ScriptTarget.ES2022,
      sourceMap: false,
    },
  });
  try {
    await mkdir(cacheDir, { recursive: true, mode: 0o700 });
    const temp = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    await writeFile(temp, outputText, { mode: 0o600 });
    await rename(temp, cached);
  } catch {
    // an unwritable temp dir only costs speed
  }
  return { format: 'module', source: outputText, shortCircuit: true };
}
