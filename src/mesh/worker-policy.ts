/**
 * What a worker node lets peers do, checked after the envelope and before any work: kinds allowed,
 * unit size, concurrent remote units, and a per-peer rate limit (token bucket).
 */
import { PrechewError } from '../errors.js';

export interface WorkerLimits {
  /** Kinds peers may send; empty means every registered kind. */
  kinds: string[];
  maxConcurrent: number;
  maxUnitBytes: number;
  /** Units per minute a single peer may start. */
  perPeerPerMinute: number;
}

export const DEFAULT_WORKER_LIMITS: WorkerLimits = {
  kinds: [],
  maxConcurrent: 1,
  maxUnitBytes: 8 * 1024 * 1024,
  perPeerPerMinute: 600,
};

function refuse(reason: string, message: string): PrechewError {
  return new PrechewError('PEER_REFUSED', message, { reason });
}

export class WorkerPolicy {
  private running = 0;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly limits: WorkerLimits,
    private readonly now: () => number = Date.now,
  ) {}

  get inFlight(): number {
    return this.running;
  }

  freeSlots(): number {
    return Math.max(0, this.limits.maxConcurrent - this.running);
  }

  allowsKind(kind: string): boolean {
    return this.limits.kinds.length === 0 || this.limits.kinds.includes(kind);
  }

  /** Checks kind, size and rate for one unit from `peer`; throws PEER_REFUSED with the reason. */
  check(peer: string, kind: string, bytes: number): void {
    if (!this.allowsKind(kind))
      throw refuse(
        'kind-not-allowed',
        `This node does not take "${kind}" units from peers (mesh.worker.kinds).`,
      );
    if (bytes > this.limits.maxUnitBytes) {
      throw refuse(
        'too-large',
        `The unit is ${bytes} bytes; this node takes units up to ${this.limits.maxUnitBytes} bytes (mesh.worker.maxUnitBytes).`,
      );
    }
    const now = this.now();
    const capacity = Math.max(1, this.limits.perPeerPerMinute);
    const bucket = this.buckets.get(peer) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 60_000) * capacity);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.buckets.set(peer, bucket);
      throw refuse('rate-limited', 'Too many units from this peer; slow down.');
    }
    bucket.tokens -= 1;
    this.buckets.set(peer, bucket);
  }

  /** Takes a slot for a remote unit; the returned function gives it back. */
  acquire(): () => void {
    if (this.running >= this.limits.maxConcurrent)
      throw refuse('no-slot', 'This node has no free slot for another unit right now.');
    this.running++;
    let released = false;
    return () => {
      if (!released) this.running--;
      released = true;
    };
  }
}
