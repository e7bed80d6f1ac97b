import { readFileSync } from 'node:fs';

function readVersion(): string {
  try {
    // dist/src/version.js → ../../package.json; src/version.ts (tests) → ../package.json
    for (const rel of ['../../package.json', '../package.json']) {
      try {
        const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'prechew' && pkg.version) return pkg.version;
      } catch {
        // try the next candidate
      }
    }
  } catch {
    // fall through
  }
  return '0.0.0';
}

export const version = readVersion();
