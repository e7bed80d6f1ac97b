import { spawnSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readLiveVerdicts, verdictsFilePath, writeVerdicts } from '../../src/mesh/verdicts.js';
import { tempDir } from '../helpers/app.js';

describe('mesh verdicts file (what `prechew peers` reads from the serving node)', () => {
  it('round-trips the verdicts of a live process, owner-only', () => {
    const dir = tempDir('prechew-verdicts-');
    writeVerdicts(dir, { pid: process.pid, startedAt: 1, excluded: [{ name: 'liar', reason: 'returned a wrong result', at: 2 }] });
    expect(readLiveVerdicts(dir)?.excluded).toEqual([{ name: 'liar', reason: 'returned a wrong result', at: 2 }]);
    if (process.platform !== 'win32') expect(statSync(verdictsFilePath(dir)).mode & 0o777).toBe(0o600);
  });

  it('ignores the verdicts of a process that has ended, and a damaged file', () => {
    const dir = tempDir('prechew-verdicts-');
    // A real process that has exited: its pid is no longer alive.
    const ended = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const pid = Number(ended.stdout);
    expect(pid).toBeGreaterThan(0);
    writeVerdicts(dir, { pid, startedAt: 1, excluded: [{ name: 'liar', reason: 'returned a wrong result', at: 2 }] });
    expect(readLiveVerdicts(dir)).toBeUndefined();
    writeFileSync(verdictsFilePath(dir), '{not json');
    expect(readLiveVerdicts(dir)).toBeUndefined();
    expect(readLiveVerdicts(tempDir('prechew-verdicts-empty-'))).toBeUndefined();
  });
});
