/**
 * Lower priority for work done on behalf of peers. Node's os.setPriority takes a process id, but
 * on Linux setpriority(PRIO_PROCESS, id) accepts a thread id and then applies to that one thread
 * (threads have their own nice value there), and /proc/thread-self names the calling thread. So
 * a worker thread can lower its own priority without touching the rest of the process: the event
 * loop that serves MCP requests, checks signatures and seals results keeps its normal priority.
 * Other systems apply a nice value to the whole process, so there nothing is changed.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';

/** The nice value remote units run at (19 is the lowest priority; 10 leaves room below). */
export const REMOTE_UNIT_NICE = 10;

/** The calling thread's id on Linux (undefined elsewhere). */
export function currentThreadId(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Lowers the calling thread's priority to `nice` (never raises it: raising needs privileges and
 * is not ours to do). Returns the nice value now in force, or undefined where threads cannot be
 * lowered one by one.
 */
export function lowerCurrentThreadPriority(nice = REMOTE_UNIT_NICE): number | undefined {
  const tid = currentThreadId();
  if (tid === undefined) return undefined;
  try {
    const now = os.getPriority(tid);
    if (now < nice) os.setPriority(tid, nice);
    return os.getPriority(tid);
  } catch {
    return undefined;
  }
}

/** The calling thread's nice value as the kernel reports it (Linux; undefined elsewhere). */
export function currentThreadNice(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    // Field 19 of stat; the command name (field 2) may hold spaces, so count from its closing ')'.
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const nice = Number(fields[16]);
    return Number.isFinite(nice) ? nice : undefined;
  } catch {
    return undefined;
  }
}

/** A unit function for tests and diagnostics: the priority of the thread it ran on. */
export function reportThreadPriority(): { nice: number | undefined; tid: number | undefined } {
  return { nice: currentThreadNice(), tid: currentThreadId() };
}
