/**
 * This node's verification verdicts, `<data dir>/mesh-verdicts.json`: the peers a serving node
 * caught returning a wrong result (quorum or spot check) and excluded for the rest of its run.
 * The serving process writes the file whenever it excludes a peer; `prechew peers`, a separate
 * process sharing the data directory, reads it and shows the verdicts beside each peer — but only
 * while the process that wrote them is still running (an exclusion lasts one run, not forever).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const VERDICTS_FILE = 'mesh-verdicts.json';

export interface PeerVerdict {
  /** The peer's name in this node's trust list. */
  name: string;
  fingerprint?: string | undefined;
  reason: string;
  /** When it was excluded (ms since the epoch). */
  at: number;
}

export interface VerdictsFile {
  /** The serving process that reached these verdicts. */
  pid: number;
  startedAt: number;
  excluded: PeerVerdict[];
}

export function verdictsFilePath(dataDir: string): string {
  return path.join(dataDir, VERDICTS_FILE);
}

/** Replaces the file atomically (write, then rename), readable only by the owner. */
export function writeVerdicts(dataDir: string, file: VerdictsFile): void {
  const target = verdictsFilePath(dataDir);
  const temp = `${target}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
  renameSync(temp, target);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The verdicts of the node serving from this data directory, or undefined when there are none or
 * their process has ended. A damaged file reads as no verdicts (it is only a report).
 */
export function readLiveVerdicts(dataDir: string): VerdictsFile | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(verdictsFilePath(dataDir), 'utf8'));
  } catch {
    return undefined;
  }
  const f = parsed as Partial<VerdictsFile> | null;
  if (!f || typeof f.pid !== 'number' || !Array.isArray(f.excluded)) return undefined;
  if (f.pid !== process.pid && !processAlive(f.pid)) return undefined;
  const excluded = f.excluded.filter(
    (v): v is PeerVerdict =>
      typeof v === 'object' && v !== null && typeof v.name === 'string' && typeof v.reason === 'string',
  );
  return { pid: f.pid, startedAt: typeof f.startedAt === 'number' ? f.startedAt : 0, excluded };
}
