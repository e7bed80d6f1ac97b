/**
 * Work is expressed as units: small, self-describing, content-addressed pieces of work
 * ("near-dedupe this band of items", "transcribe seconds 600–900", "summarize chunk 17").
 * A tool splits a request into units, an executor runs each one (locally today, on a peer later),
 * and the tool merges the results. Unit inputs must be JSON-serializable so they can travel.
 */
import { createHash } from 'node:crypto';
import { PrechewError, throwIfCancelled } from '../errors.js';
import { log } from '../log.js';
import { canonicalJson } from '../mesh/canonical.js';
import { noteUnitRan } from '../store/call-scope.js';
import { dispatchUnits, type UnitBackend, type VerifyMode } from './dispatch.js';
import { UnitRegistry, type UnitKindSpec } from './registry.js';

export { canonicalJson };

export interface Unit<I = unknown> {
  /** Names the handler, e.g. "entities.extract" or "whisper.transcribe". */
  kind: string;
  /** Content address: sha256 of kind + canonical input (+ handler version). */
  id: string;
  input: I;
}

export interface ProgressUpdate {
  progress: number;
  total?: number | undefined;
  message?: string | undefined;
  /** Where the unit that just finished ran, when units go to peers ("this node" or a peer's name). */
  ranOn?: string | undefined;
}
export type ProgressReporter = (update: ProgressUpdate) => void;

export interface UnitContext {
  signal?: AbortSignal | undefined;
  /** The unit came from a peer: handlers that can run it at lower priority do (see thread-priority.ts). */
  remote?: boolean | undefined;
  onProgress?: ProgressReporter | undefined;
}

export type UnitHandler<I, O> = (input: I, ctx: UnitContext) => Promise<O> | O;

export interface Executor {
  run<I, O>(unit: Unit<I>, ctx: UnitContext): Promise<O>;
}

export function makeUnit<I>(kind: string, input: I, version = '1'): Unit<I> {
  const id = createHash('sha256').update(kind).update('\0').update(version).update('\0').update(canonicalJson(input)).digest('hex');
  return { kind, id, input };
}

/** Where units may run besides this process: the mesh, when one is configured. */
export interface RemoteBackends {
  /** The backends for one job: `local` plus the peers that may take units now. */
  backends(local: UnitBackend, offload?: 'off' | 'auto'): Promise<UnitBackend[]>;
  readonly verify: VerifyMode;
  readonly spotFraction: number;
  readonly unitTimeoutMs: number;
  /** Told which backends a job caught returning wrong results. */
  noteExcluded(entries: Array<{ backend: string; reason: string }>): void;
  /** Unit slots on reachable, accepting peers right now (so a job can be cut into enough units). */
  peerSlots(): number;
  /** False when this node should leave offloaded work to peers and run units only as a fallback. */
  readonly localUnits: boolean;
}

/** Runs units in this process through registered handlers, and hands them to peers when a mesh is attached. */
export class LocalExecutor implements Executor {
  private readonly handlers = new Map<string, UnitHandler<unknown, unknown>>();
  /** Kinds with schemas and limits: the ones peers may send here and this node may send to peers. */
  readonly registry = new UnitRegistry();
  remote: RemoteBackends | undefined;

  register<I, O>(kind: string, handler: UnitHandler<I, O>): this {
    this.handlers.set(kind, handler as UnitHandler<unknown, unknown>);
    return this;
  }

  /** Registers a kind with its schemas, size limit and determinism, runnable here and on peers. */
  registerKind<I, O>(spec: UnitKindSpec<I, O>): this {
    this.registry.register(spec);
    return this.register(spec.kind, spec.handler);
  }

  has(kind: string): boolean {
    return this.handlers.has(kind);
  }

  async run<I, O>(unit: Unit<I>, ctx: UnitContext): Promise<O> {
    const handler = this.handlers.get(unit.kind);
    if (!handler) throw new PrechewError('INTERNAL', `No handler registered for unit kind "${unit.kind}".`);
    throwIfCancelled(ctx.signal);
    return (await handler(unit.input, ctx)) as O;
  }
}

function localBackend(executor: Executor, slots: number, fallbackOnly = false): UnitBackend {
  return {
    id: 'local',
    label: 'this node',
    local: true,
    fallbackOnly,
    slots: () => slots,
    accepts: () => true,
    run: (unit, ctx) => executor.run(unit, { signal: ctx.signal }),
  };
}

export interface RunUnitsOptions {
  concurrency?: number;
  signal?: AbortSignal | undefined;
  /** Called after each unit completes with (done, total). */
  onProgress?: ProgressReporter | undefined;
  /** Short label used in progress messages, e.g. "chunk". */
  label?: string;
  /** Per-call override of `mesh.offload`. */
  offload?: 'off' | 'auto' | undefined;
}

/**
 * Run units with bounded concurrency, preserving order in the results. Cancellation stops
 * scheduling new units immediately and is passed into running ones.
 */
export async function runUnits<I, O>(executor: Executor, units: Unit<I>[], options: RunUnitsOptions = {}): Promise<O[]> {
  const remote = executor instanceof LocalExecutor ? executor.remote : undefined;
  if (remote && options.offload !== 'off' && units.length > 0) {
    const backends = await remote.backends(localBackend(executor, Math.max(1, options.concurrency ?? 1), !remote.localUnits), options.offload);
    if (backends.length > 1) {
      const registry = (executor as LocalExecutor).registry;
      const { results, report } = await dispatchUnits<O>(units, backends, {
        signal: options.signal,
        onProgress: options.onProgress,
        label: options.label,
        verify: remote.verify,
        spotFraction: remote.spotFraction,
        unitTimeoutMs: remote.unitTimeoutMs,
        deterministic: (kind) => registry.isDeterministic(kind),
      });
      remote.noteExcluded(report.excluded);
      if (report.reissued > 0)
        log.info(`mesh: ${report.reissued} ${options.label ?? 'unit'} attempt(s) re-issued after a failure, a timeout or a straggling peer; all ${units.length} completed`);
      return results;
    }
  }
  const total = units.length;
  const results = new Array<O>(total);
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 1, total || 1));
  let next = 0;
  let done = 0;
  const label = options.label ?? 'unit';
  const worker = async (): Promise<void> => {
    while (next < total) {
      throwIfCancelled(options.signal);
      const index = next++;
      const unit = units[index]!;
      results[index] = await executor.run<I, O>(unit, { signal: options.signal });
      noteUnitRan('local');
      done++;
      options.onProgress?.({ progress: done, total, message: `${label} ${done}/${total}` });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

/** Yield to the event loop so cancellation and other requests get a turn during CPU-bound loops. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
