/**
 * Runs a job's units across backends — this process, worker threads, trusted peers — so that no
 * unit is lost and no unverified remote result is used:
 *
 * - Every backend slot pulls the next pending unit, so fast backends take more and the local node
 *   stays busy beside its peers.
 * - A failed, refused or timed-out attempt puts the unit back at the front of the queue for another
 *   backend; after `maxAttempts` remote tries it runs locally. A backend that fails repeatedly is
 *   benched for the rest of the job.
 * - When the queue is empty and a slot is idle, a unit that has been running on a peer for much
 *   longer than the job's typical unit is issued again (first valid result wins), so a hung or
 *   vanished peer costs time, not the job.
 * - `verify: 'quorum'` runs deterministic units on two backends and compares output digests (a
 *   third run breaks a tie between two peers; the local node's answer is the requester's own and
 *   wins against a peer). `verify: 'spot'` re-runs a fraction of remote results locally. A backend
 *   caught returning a different result is excluded and reported.
 *
 * Results come back in unit order; progress counts units done and says where each ran.
 */
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { PrechewError, throwIfCancelled } from '../errors.js';
import { canonicalJson } from '../mesh/canonical.js';
import { noteUnitRan } from '../store/call-scope.js';
import type { ProgressReporter, Unit } from './units.js';

export type VerifyMode = 'none' | 'quorum' | 'spot';

export interface BackendRunContext {
  signal: AbortSignal;
  /** Absolute time (ms since epoch) by which this attempt must finish. */
  deadline: number;
}

export interface UnitBackend {
  /** Stable id for reports: "local", "workers", "peer:<name>". */
  readonly id: string;
  /** Display name ("this node", a peer's name). */
  readonly label: string;
  /** True for this machine (its results are the requester's own). */
  readonly local: boolean;
  /**
   * Local only: run units only when no peer can take them (all tried, excluded or unfit) and to
   * settle a disagreement, so a node that wants to keep its own cores free still loses nothing.
   */
  readonly fallbackOnly?: boolean | undefined;
  /** How many units it may run at once right now. */
  slots(): number;
  accepts(kind: string): boolean;
  run(unit: Unit, ctx: BackendRunContext): Promise<unknown>;
}

export interface DispatchOptions {
  signal?: AbortSignal | undefined;
  onProgress?: ProgressReporter | undefined;
  label?: string;
  verify?: VerifyMode;
  /** Which kinds give byte-identical output for identical input (only these are compared). */
  deterministic?: (kind: string) => boolean;
  /** Fraction of remote results re-run locally under `spot`. */
  spotFraction?: number;
  /** Deadline of one attempt. */
  unitTimeoutMs?: number;
  /** Remote attempts per unit before it runs locally. */
  maxAttempts?: number;
  /** A unit running this many times longer than the median finished unit is issued again. */
  stragglerFactor?: number;
  /** Random source for spot checks (tests pass a fixed one). */
  random?: () => number;
}

export interface UnitOutcome {
  /** Backend ids whose result was used (two under quorum). */
  ranOn: string[];
  attempts: number;
  verified: 'none' | 'quorum' | 'spot' | 'local';
}

export interface DispatchReport {
  outcomes: UnitOutcome[];
  reissued: number;
  /** Backends excluded during the job and why ("wrong result", "failed 3 times"). */
  excluded: Array<{ backend: string; reason: string }>;
  unitsPerBackend: Record<string, number>;
}

interface Attempt {
  backend: UnitBackend;
  started: number;
  controller: AbortController;
}

interface UnitState {
  index: number;
  unit: Unit;
  done: boolean;
  results: Array<{ backend: UnitBackend; digest: string; output: unknown }>;
  tried: Set<string>;
  running: Attempt[];
  attempts: number;
  needed: number;
  spot: boolean;
  lastError: unknown;
}

export function outputDigest(output: unknown): string {
  return createHash('sha256').update(canonicalJson(output)).digest('hex');
}

const BENCH_AFTER_FAILURES = 3;

export async function dispatchUnits<O>(
  units: Unit[],
  backends: UnitBackend[],
  options: DispatchOptions = {},
): Promise<{ results: O[]; report: DispatchReport }> {
  const local = backends.find((b) => b.local);
  if (!local) throw new PrechewError('INTERNAL', 'dispatchUnits needs a local backend.');
  const verify = options.verify ?? 'none';
  const deterministic = options.deterministic ?? (() => false);
  const unitTimeoutMs = options.unitTimeoutMs ?? 10 * 60_000;
  const maxAttempts = options.maxAttempts ?? 3;
  const stragglerFactor = options.stragglerFactor ?? 4;
  const random = options.random ?? Math.random;
  const label = options.label ?? 'unit';
  const jobAbort = new AbortController();
  // One listener per running attempt: a job over many peer slots legitimately has more than ten.
  setMaxListeners(0, jobAbort.signal);
  const onOuterAbort = (): void => jobAbort.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });

  const states: UnitState[] = units.map((unit, index) => ({
    index,
    unit,
    done: false,
    results: [],
    tried: new Set(),
    running: [],
    attempts: 0,
    needed: verify === 'quorum' && deterministic(unit.kind) ? 2 : 1,
    spot: false,
    lastError: undefined,
  }));
  const pending: UnitState[] = [...states];
  const excluded = new Map<string, string>();
  const failures = new Map<string, number>();
  const inUse = new Map<string, number>();
  const unitsPerBackend: Record<string, number> = {};
  const durations: number[] = [];
  let done = 0;
  let reissued = 0;
  let fatal: unknown;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const usable = (b: UnitBackend): boolean => !excluded.has(b.id);
  const free = (b: UnitBackend): boolean => usable(b) && (inUse.get(b.id) ?? 0) < b.slots();

  /** May this backend take this unit now? */
  const eligible = (b: UnitBackend, s: UnitState): boolean => {
    if (s.done || !b.accepts(s.unit.kind)) return false;
    if (s.running.some((a) => a.backend.id === b.id) || s.results.some((r) => r.backend.id === b.id))
      return false;
    if (b.local) return true;
    // Remote tries are bounded; a backend that failed this unit is not asked again.
    return s.attempts < maxAttempts && !s.tried.has(b.id) && !s.spot;
  };

  const unitDone = (s: UnitState, output: unknown): void => {
    s.done = true;
    for (const a of s.running) a.controller.abort();
    results[s.index] = output as O;
    done++;
    const where = [...new Set(s.results.map((r) => r.backend.label))].join(' + ');
    options.onProgress?.({
      progress: done,
      total: states.length,
      message: `${label} ${done}/${states.length} done on ${where}`,
      ranOn: where,
    });
  };

  const exclude = (b: UnitBackend, reason: string): void => {
    if (b.local || excluded.has(b.id)) return;
    excluded.set(b.id, reason);
    for (const s of states) {
      if (s.done) continue;
      // Results from an excluded backend no longer count; its running attempts are abandoned.
      s.results = s.results.filter((r) => r.backend.id !== b.id);
      for (const a of s.running)
        if (a.backend.id === b.id)
          a.controller.abort(new PrechewError('PEER_REFUSED', `${b.label} was excluded: ${reason}.`));
      if (s.running.every((a) => a.backend.id === b.id) && !pending.includes(s)) pending.unshift(s);
    }
  };

  /** Called with each finished result; decides whether the unit is done, needs more, or caught a liar. */
  const settle = (s: UnitState, backend: UnitBackend, output: unknown): void => {
    const digest = outputDigest(output);
    s.results.push({ backend, digest, output });
    if (s.done) return;
    const byDigest = new Map<string, UnitState['results']>();
    for (const r of s.results) byDigest.set(r.digest, [...(byDigest.get(r.digest) ?? []), r]);
    const localResult = s.results.find((r) => r.backend.local);
    if (byDigest.size > 1) {
      // Disagreement: the local answer is authoritative; between peers, the majority is.
      const truth = localResult?.digest ?? [...byDigest.entries()].find(([, rs]) => rs.length >= 2)?.[0];
      if (truth === undefined) {
        s.needed = Math.max(s.needed, s.results.length + 1);
        queueForMore(s, backend);
        return;
      }
      for (const r of s.results)
        if (r.digest !== truth) exclude(r.backend, `returned a wrong result for ${label} ${s.index + 1}`);
      s.results = s.results.filter((r) => r.digest === truth);
    }
    // The local node's answer is the requester's own: it needs no second opinion.
    const own = s.results.find((r) => r.backend.local);
    if (own) {
      unitDone(s, own.output);
      return;
    }
    if (s.results.length >= s.needed) {
      unitDone(s, s.results[0]!.output);
      return;
    }
    queueForMore(s, backend);
  };

  /** Queues a unit for another opinion unless enough attempts besides the one just finished are running. */
  const queueForMore = (s: UnitState, finished: UnitBackend): void => {
    const others = s.running.filter((a) => a.backend.id !== finished.id).length;
    if (s.results.length + others < s.needed && !pending.includes(s)) pending.unshift(s);
  };

  const results = new Array<O>(states.length);

  const requeue = (s: UnitState): void => {
    if (!s.done && !pending.includes(s)) pending.unshift(s);
  };

  const runAttempt = async (b: UnitBackend, s: UnitState): Promise<void> => {
    const controller = new AbortController();
    const onJobAbort = (): void => controller.abort();
    jobAbort.signal.addEventListener('abort', onJobAbort, { once: true });
    const attempt: Attempt = { backend: b, started: Date.now(), controller };
    s.running.push(attempt);
    if (!b.local) s.attempts++;
    s.tried.add(b.id);
    inUse.set(b.id, (inUse.get(b.id) ?? 0) + 1);
    const timer = setTimeout(
      () =>
        controller.abort(
          new PrechewError('TIMEOUT', `${b.label} did not finish ${label} ${s.index + 1} in time.`),
        ),
      unitTimeoutMs,
    );
    try {
      // A backend that ignores its signal (a hung peer) is abandoned, not waited for.
      const output = await new Promise<unknown>((resolve, reject) => {
        controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), {
          once: true,
        });
        b.run(s.unit, { signal: controller.signal, deadline: attempt.started + unitTimeoutMs }).then(
          resolve,
          reject,
        );
      });
      if (excluded.has(b.id)) {
        requeue(s);
        return;
      }
      durations.push(Date.now() - attempt.started);
      unitsPerBackend[b.label] = (unitsPerBackend[b.label] ?? 0) + 1;
      noteUnitRan(b.local ? 'local' : b.label);
      failures.set(b.id, 0);
      if (
        !b.local &&
        !s.done &&
        s.needed === 1 &&
        verify === 'spot' &&
        deterministic(s.unit.kind) &&
        random() < (options.spotFraction ?? 0.1)
      ) {
        // Spot check: this remote result counts only once the local node has produced the same.
        s.spot = true;
        s.needed = 2;
      }
      settle(s, b, output);
    } catch (error) {
      if (jobAbort.signal.aborted || s.done) return;
      s.lastError = error;
      if (b.local) {
        // The local node is the last resort: its failure is the unit's failure.
        fatal ??= error;
        return;
      }
      const count = (failures.get(b.id) ?? 0) + 1;
      failures.set(b.id, count);
      if (count >= BENCH_AFTER_FAILURES) exclude(b, `failed ${count} units in a row`);
      reissued++;
      requeue(s);
    } finally {
      clearTimeout(timer);
      jobAbort.signal.removeEventListener('abort', onJobAbort);
      s.running = s.running.filter((x) => x !== attempt);
      inUse.set(b.id, (inUse.get(b.id) ?? 1) - 1);
      notify();
    }
  };

  const pickStraggler = (b: UnitBackend): UnitState | undefined => {
    if (durations.length === 0) return undefined;
    const sorted = [...durations].sort((x, y) => x - y);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    const now = Date.now();
    let worst: UnitState | undefined;
    let worstAge = Math.max(median * stragglerFactor, 250);
    for (const s of states) {
      if (s.done || s.running.length !== 1 || s.running[0]!.backend.local || !eligible(b, s)) continue;
      const age = now - s.running[0]!.started;
      if (age > worstAge) {
        worst = s;
        worstAge = age;
      }
    }
    return worst;
  };

  const schedule = (): void => {
    for (const b of backends) {
      while (free(b)) {
        const peerCanTake = (s: UnitState): boolean => backends.some((p) => !p.local && usable(p) && p.slots() > 0 && eligible(p, s));
        const index = pending.findIndex((s) => eligible(b, s) && !(b.fallbackOnly && peerCanTake(s)));
        if (index < 0) {
          // An idle slot with nothing queued backs up a unit stuck on a slow or vanished peer.
          const straggler = pickStraggler(b);
          if (!straggler) break;
          reissued++;
          void runAttempt(b, straggler);
          continue;
        }
        const s = pending[index]!;
        pending.splice(index, 1);
        void runAttempt(b, s);
        // Under quorum a unit sent to a peer stays queued for a second, different backend.
        if (!b.local && s.needed > s.results.length + s.running.length) pending.splice(index, 0, s);
      }
    }
    // Units no usable remote backend can take any more go to the local node.
    for (const s of pending) {
      if (
        !s.done &&
        s.running.length === 0 &&
        !backends.some((b) => free(b) && eligible(b, s)) &&
        !local.accepts(s.unit.kind)
      ) {
        fatal ??= new PrechewError(
          'ENGINE_UNAVAILABLE',
          `No node can run ${label} ${s.index + 1} (kind "${s.unit.kind}").`,
        );
      }
    }
  };

  try {
    while (done < states.length) {
      throwIfCancelled(options.signal);
      if (fatal !== undefined) throw fatal;
      for (let i = pending.length - 1; i >= 0; i--) if (pending[i]!.done) pending.splice(i, 1);
      schedule();
      if (done >= states.length) break;
      if (fatal !== undefined) throw fatal;
      // Wake on any finished attempt, or periodically to look for stragglers.
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 200).unref();
      });
    }
  } finally {
    jobAbort.abort();
    options.signal?.removeEventListener('abort', onOuterAbort);
  }

  return {
    results,
    report: {
      outcomes: states.map((s) => ({
        ranOn: [...new Set(s.results.map((r) => r.backend.id))],
        attempts: s.tried.size,
        verified:
          s.results.length >= 2
            ? s.spot
              ? 'spot'
              : 'quorum'
            : s.results[0]?.backend.local
              ? 'local'
              : 'none',
      })),
      reissued,
      excluded: [...excluded.entries()].map(([backend, reason]) => ({ backend, reason })),
      unitsPerBackend,
    },
  };
}
