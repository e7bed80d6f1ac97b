/**
 * `prechew doctor`: what works on this machine — Node, native bindings, models, system tools,
 * data directory and roots — with a hint for each problem.
 */
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config.js';
import { formatBytes } from './files.js';
import { listModels, modelSearchPaths } from './engines/models.js';
import { addonInstallCommand, isModuleMissing, type AddonName } from './engines/addons.js';
import { ensureDomMatrix } from './engines/documents/dom-matrix.js';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** Optional checks do not fail the doctor run. */
  optional?: boolean;
}

export function findOnPath(binary: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function checkImport(name: string, load: () => Promise<unknown>, addon?: AddonName): Promise<Check> {
  try {
    await load();
    return { name, ok: true, detail: 'loads' };
  } catch (error) {
    if (addon && isModuleMissing(error, addon)) return { name, ok: false, detail: addonMissing(addon) };
    return { name, ok: false, detail: `does not load: ${(error as Error).message.split('\n')[0]}` };
  }
}

/** The line for an optional add-on a light install left out: what it is for and the exact command. */
function addonMissing(addon: AddonName): string {
  return `not installed (light install) — add it with: ${addonInstallCommand(addon)}`;
}

/** Load node-llama-cpp's prebuilt native binding (no model) and report the compute backend. */
async function checkLlama(config: Config): Promise<Check> {
  const name = 'node-llama-cpp (local LLM)';
  try {
    const { getLlama } = await import('node-llama-cpp');
    const gpu = config.models.llm.gpu === false ? false : 'auto';
    const llama = await getLlama({ gpu, build: 'never', progressLogs: false });
    const devices = llama.gpu === false ? [] : await llama.getGpuDeviceNames();
    const backend = llama.gpu === false || devices.length === 0 ? 'CPU' : `${llama.gpu} (${devices.join(', ')})`;
    await llama.dispose();
    return { name, ok: true, detail: `native binding loads; backend ${backend}` };
  } catch (error) {
    if (isModuleMissing(error, 'node-llama-cpp')) return { name, ok: false, detail: addonMissing('node-llama-cpp') };
    return { name, ok: false, detail: `native binding does not load: ${(error as Error).message.split('\n')[0]} — reinstall with npm ci; prebuilt binaries come from @node-llama-cpp/* packages` };
  }
}

export async function runDoctor(config: Config): Promise<{ ok: boolean; text: string }> {
  const checks: Check[] = [];
  const major = Number(process.versions.node.split('.')[0]);
  checks.push({ name: 'Node.js', ok: major >= 20, detail: `${process.version}${major >= 20 ? '' : ' — prechew needs Node 20 or newer'}` });
  checks.push(
    await checkImport('better-sqlite3 (cache)', async () => {
      const { default: Database } = await import('better-sqlite3');
      new Database(':memory:').close();
    }),
  );
  checks.push({ ...(await checkLlama(config)), optional: true });
  checks.push({ ...(await checkImport('@fugood/whisper.node (transcription)', () => import('@fugood/whisper.node'), '@fugood/whisper.node')), optional: true });
  checks.push({ ...(await checkImport('pdfjs-dist (PDF)', () => {
    ensureDomMatrix();
    return import('pdfjs-dist/legacy/build/pdf.mjs');
  })), optional: true });
  const models = await listModels(config);
  checks.push({
    name: 'models',
    ok: true,
    optional: true,
    detail: models.length
      ? models.map((m) => `${m.path} (${m.kind}, ${formatBytes(m.bytes)})`).join('; ')
      : `none found in ${modelSearchPaths(config).join(', ')} — model-free engines still work; see models/README.md`,
  });
  for (const tool of ['pdftotext', 'ffmpeg']) {
    const where = findOnPath(tool);
    checks.push({ name: tool, ok: Boolean(where), optional: true, detail: where ?? 'not found (optional; install it with your package manager for faster PDF / more audio formats)' });
  }
  try {
    mkdirSync(config.data.dir!, { recursive: true });
    accessSync(config.data.dir!, constants.W_OK);
    checks.push({ name: 'data directory', ok: true, detail: config.data.dir! });
  } catch {
    checks.push({ name: 'data directory', ok: false, detail: `${config.data.dir} is not writable — set data.dir or PRECHEW_DATA_DIR` });
  }
  const roots = config.files.roots;
  checks.push({
    name: 'file roots',
    ok: roots.every((r) => existsSync(r)),
    optional: roots.length === 0,
    detail: roots.length ? roots.map((r) => (existsSync(r) ? r : `${r} (missing)`)).join(', ') : 'none — tools take inline text only; allow a directory with --root',
  });
  const lines = checks.map((c) => `${c.ok ? 'ok  ' : c.optional ? 'warn' : 'FAIL'}  ${c.name}: ${c.detail}`);
  const ok = checks.every((c) => c.ok || c.optional);
  return { ok, text: lines.join('\n') };
}
