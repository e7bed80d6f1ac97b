/**
 * What one tool call did besides its output, gathered while it runs: units per node and cache
 * lookups. The scope travels with the call through AsyncLocalStorage, so the executor and the
 * cache note facts without every tool passing a counter around; concurrent calls never mix.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface CallScope {
  /** Units finished per node: "local" for this process, otherwise the peer's name. */
  units: Map<string, number>;
  cacheHits: number;
  cacheLookups: number;
  /** Called after every change (the dashboard shows running calls live). */
  onChange?: (() => void) | undefined;
}

const storage = new AsyncLocalStorage<CallScope>();

export function newCallScope(onChange?: () => void): CallScope {
  return { units: new Map(), cacheHits: 0, cacheLookups: 0, onChange };
}

export function runInCallScope<T>(scope: CallScope, fn: () => Promise<T>): Promise<T> {
  return storage.run(scope, fn);
}

/** A unit finished on `node` ("local" or a peer's name); outside a tool call it is not counted. */
export function noteUnitRan(node: string): void {
  const scope = storage.getStore();
  if (!scope) return;
  scope.units.set(node, (scope.units.get(node) ?? 0) + 1);
  scope.onChange?.();
}

/** A result-cache lookup, hit or miss. */
export function noteCacheLookup(hit: boolean): void {
  const scope = storage.getStore();
  if (!scope) return;
  scope.cacheLookups++;
  if (hit) scope.cacheHits++;
}
