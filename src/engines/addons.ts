/**
 * The optional native add-ons (node-llama-cpp for local LLM tools, @fugood/whisper.node for
 * transcription). They are `optionalDependencies`: a light install (`npm install --omit=optional`)
 * leaves them out, and every model-free tool still works. Loading goes through here so a missing
 * add-on becomes one clear ENGINE_UNAVAILABLE error that names the exact install command.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { PrechewError } from '../errors.js';

export type AddonName = 'node-llama-cpp' | '@fugood/whisper.node';

const PURPOSE: Record<AddonName, string> = {
  'node-llama-cpp': 'local LLM tools (summarize with a model, ask, classify, condense with a model)',
  '@fugood/whisper.node': 'transcription (transcribe)',
};

/** The directory holding prechew's package.json (dist/src/engines → ../../..; src/engines → ../..). */
export function packageRoot(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const rel of ['../../..', '../..']) {
    const dir = path.resolve(here, rel);
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'prechew') return dir;
    } catch {
      // try the next candidate
    }
  }
  return undefined;
}

/** The version range prechew's package.json asks for, so the install command matches it. */
function wantedRange(name: AddonName, root: string | undefined): string | undefined {
  if (!root) return undefined;
  try {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      optionalDependencies?: Record<string, string>;
      dependencies?: Record<string, string>;
    };
    return pkg.optionalDependencies?.[name] ?? pkg.dependencies?.[name];
  } catch {
    return undefined;
  }
}

/** The exact command that adds the add-on next to this prechew installation. */
export function addonInstallCommand(name: AddonName): string {
  const root = packageRoot();
  const range = wantedRange(name, root);
  const spec = range ? `${name}@${quoteIfNeeded(range)}` : name;
  return root ? `npm install --prefix ${quoteIfNeeded(root)} ${spec}` : `npm install ${spec}`;
}

function quoteIfNeeded(text: string): string {
  return /^[\w@./:=+^-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** True when the error says the package itself is absent (not that it failed to initialise). */
export function isModuleMissing(error: unknown, name: string): boolean {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  if (!e || (e.code !== 'ERR_MODULE_NOT_FOUND' && e.code !== 'MODULE_NOT_FOUND')) return false;
  return typeof e.message === 'string' && e.message.includes(`'${name}'`);
}

export function addonMissingError(name: AddonName): PrechewError {
  return new PrechewError(
    'ENGINE_UNAVAILABLE',
    `${name} is not installed (a light install leaves it out); it is needed for ${PURPOSE[name]}. Install it with: ${addonInstallCommand(name)}`,
    { addon: name, install: addonInstallCommand(name) },
  );
}

/** Whether the add-on's package can be found from prechew's own location (without loading it). */
export function addonInstalled(name: AddonName): boolean {
  try {
    import.meta.resolve(name);
    return true;
  } catch {
    return false;
  }
}

/** Import an optional add-on; a missing package becomes ENGINE_UNAVAILABLE with the install command. */
export async function importAddon<T>(name: AddonName, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isModuleMissing(error, name)) throw addonMissingError(name);
    throw error;
  }
}
