/**
 * The unit registry: every kind of unit this node can run, known at start. A node that takes units
 * for others validates a remote input against the kind's schema and size limit before any work,
 * and a requester knows which kinds may be verified by comparing outputs (deterministic ones).
 */
import type { z } from 'zod';
import { PrechewError } from '../errors.js';
import type { UnitHandler } from './units.js';

export interface UnitKindSpec<I = unknown, O = unknown> {
  kind: string;
  /** Bumped whenever the output for the same input may change; part of the unit's address. */
  version: string;
  input: z.ZodType<I>;
  output: z.ZodType<O>;
  /** Largest canonical-JSON input accepted, in bytes. */
  maxInputBytes: number;
  /** Same input → byte-identical output on every node (safe to verify by comparing digests). */
  deterministic: boolean;
  /** What the kind needs on a node besides code ("llm", "whisper"); peers advertise what they have. */
  needs?: 'llm' | 'whisper' | undefined;
  handler: UnitHandler<I, O>;
}

export class UnitRegistry {
  private readonly kinds = new Map<string, UnitKindSpec>();

  register<I, O>(spec: UnitKindSpec<I, O>): this {
    if (this.kinds.has(spec.kind))
      throw new PrechewError('INTERNAL', `Unit kind "${spec.kind}" is registered twice.`);
    this.kinds.set(spec.kind, spec as unknown as UnitKindSpec);
    return this;
  }

  get(kind: string): UnitKindSpec | undefined {
    return this.kinds.get(kind);
  }

  require(kind: string): UnitKindSpec {
    const spec = this.kinds.get(kind);
    if (!spec) throw new PrechewError('INVALID_INPUT', `Unknown unit kind "${kind}".`);
    return spec;
  }

  list(): UnitKindSpec[] {
    return [...this.kinds.values()];
  }

  isDeterministic(kind: string): boolean {
    return this.kinds.get(kind)?.deterministic ?? false;
  }
}
