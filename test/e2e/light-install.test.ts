/**
 * The light install: prechew without its optional add-ons (node-llama-cpp, @fugood/whisper.node).
 * A package directory is laid out as `npm install --omit=optional` leaves it — the built dist/,
 * package.json and a node_modules holding every dependency except the two add-ons — and the real
 * CLI runs from it: model-free tools work, `doctor` names each missing add-on with the exact
 * install command, and a tool that needs one fails with ENGINE_UNAVAILABLE and that command.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, childEnv, repoRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/app.js';

const ADDONS = new Set(['node-llama-cpp', '@fugood/whisper.node']);
// Platform binary packages that only the add-ons pull in, and pdfjs-dist's optional canvas.
const ADDON_SCOPES = new Set(['@node-llama-cpp', '@napi-rs']);

let pkg = '';

function layOutLightInstall(): string {
  const dir = path.join(tempDir('prechew-light-'), 'prechew');
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(repoRoot, 'package.json'), path.join(dir, 'package.json'));
  cpSync(path.join(repoRoot, 'dist', 'src'), path.join(dir, 'dist', 'src'), { recursive: true });
  const shared = realpathSync(path.join(repoRoot, 'node_modules'));
  const target = path.join(dir, 'node_modules');
  mkdirSync(target);
  for (const entry of readdirSync(shared)) {
    if (entry.startsWith('.') || ADDONS.has(entry) || ADDON_SCOPES.has(entry)) continue;
    if (entry.startsWith('@')) {
      mkdirSync(path.join(target, entry));
      for (const sub of readdirSync(path.join(shared, entry))) {
        if (ADDONS.has(`${entry}/${sub}`) || (entry === '@fugood' && sub.startsWith('node-whisper'))) continue;
        symlinkSync(path.join(shared, entry, sub), path.join(target, entry, sub));
      }
    } else {
      symlinkSync(path.join(shared, entry), path.join(target, entry));
    }
  }
  return dir;
}

function runLight(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(pkg, 'dist', 'src', 'cli.js'), ...args], { env: childEnv(env), cwd: tempDir() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end();
  });
}

describe('light install (no optional add-ons)', () => {
  beforeAll(() => {
    assertBuilt();
    pkg = layOutLightInstall();
  });

  it('lists every tool and runs a model-free one', async () => {
    const tools = await runLight(['tools']);
    expect(tools.code).toBe(0);
    expect(tools.stdout).toMatch(/^transcribe /m);
    expect(tools.stdout).toMatch(/^redact /m);
    const redact = await runLight(['run', 'redact', '--text', 'Write to jane.doe@example.com tomorrow.', '--json']);
    expect(redact.code).toBe(0);
    expect(redact.stdout).not.toContain('jane.doe@example.com');
    expect(JSON.parse(redact.stdout).counts).toBeTruthy();
  });

  it('converts a PDF without @napi-rs/canvas (pdfjs-dist gets a DOMMatrix from prechew)', async () => {
    const pdf = path.join(repoRoot, 'fixtures', 'real', 'pdf', 'bzip2-manual.pdf');
    // pdfjs, not pdftotext, even where poppler-utils is installed.
    const result = await runLight(['run', 'convert', '--path', pdf, '--arg', 'pages="1-2"'], { PRECHEW_PDF_ENGINE: 'pdfjs' });
    expect(result.stderr).not.toContain('CORRUPT_FILE');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('bzip2 and libbzip2');
  });

  it('doctor names each missing add-on with the exact install command', async () => {
    const doctor = await runLight(['doctor']);
    expect(doctor.stdout).toContain(`node-llama-cpp (local LLM): not installed (light install) — add it with: npm install --prefix ${pkg} node-llama-cpp@3.22`);
    expect(doctor.stdout).toContain(`npm install --prefix ${pkg} @fugood/whisper.node@^1.1.3`);
    // The add-ons are optional: a light install is a healthy install.
    expect(doctor.code).toBe(0);
  });

  it('transcribe fails with ENGINE_UNAVAILABLE naming the install command, before asking for a model', async () => {
    const dir = tempDir();
    const wav = path.join(dir, 'a.wav');
    writeFileSync(wav, Buffer.alloc(64));
    const result = await runLight(['run', 'transcribe', '--path', wav, '--json']);
    expect(result.code).toBe(1);
    const error = JSON.parse(result.stdout).error as { code: string; message: string };
    expect(error.code).toBe('ENGINE_UNAVAILABLE');
    expect(error.message).toContain(`npm install --prefix ${pkg} @fugood/whisper.node@^1.1.3`);
  });
});
