/**
 * Turns a tool's progress updates into MCP progress notifications that keep a long request alive:
 * - the value only ever increases (MCP requires it), even when a tool starts a new phase whose
 *   count restarts at 0 (ask condenses, then waits for the provider): phases are laid end to end;
 * - bursts are thinned (one notification per `minIntervalMs`, the latest sent at the end of the
 *   interval, the final one at once);
 * - when nothing was sent for `heartbeatMs` (one long step: a cloud call, a long native unit),
 *   a heartbeat repeats the last message with a slightly higher value, so a client that resets its
 *   request timeout on progress (Claude Desktop and the SDK's `resetTimeoutOnProgress`) keeps waiting.
 */
import type { ProgressUpdate } from './units.js';

export interface ProgressNotice {
  progress: number;
  total?: number | undefined;
  message?: string | undefined;
}

export interface ProgressSenderOptions {
  send: (notice: ProgressNotice) => void;
  minIntervalMs: number;
  heartbeatMs: number;
}

/**
 * A value above `last` that stays below the next whole step, so a later real update still
 * increases: each call covers a thousandth of what is left (tens of thousands of heartbeats fit).
 */
export function nudge(last: number): number {
  const next = Math.floor(last) + 1;
  const value = last + (next - last) / 1000;
  return value > last ? value : next;
}

export class ProgressSender {
  private lastSent = -Infinity;
  private lastSentAt = 0;
  private lastRaw = -Infinity;
  private offset = 0;
  private total: number | undefined;
  private message: string | undefined;
  private lastRealAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private pending: number | undefined;
  private trail: NodeJS.Timeout | undefined;

  constructor(private readonly options: ProgressSenderOptions) {
    this.arm();
  }

  report(update: ProgressUpdate): void {
    if (this.stopped) return;
    const now = Date.now();
    this.lastRealAt = now;
    if (update.message) this.message = update.message;
    // A count that goes back means a new phase: continue from where the last one ended.
    if (update.progress < this.lastRaw) this.offset = Math.max(this.lastSent, 0);
    this.lastRaw = update.progress;
    let value = this.offset + update.progress;
    const total = update.total !== undefined ? this.offset + update.total : undefined;
    if (total !== undefined) this.total = total;
    const final = total !== undefined && value >= total;
    if (!final && now - this.lastSentAt < this.options.minIntervalMs) {
      // Thinned, not lost: the latest update goes out when the interval is over.
      this.pending = value;
      if (!this.trail) {
        this.trail = setTimeout(() => this.flush(), this.options.minIntervalMs - (now - this.lastSentAt));
        this.trail.unref();
      }
      return;
    }
    this.pending = undefined;
    if (value <= this.lastSent) {
      // The end was already reported: a nudge would go past the total.
      if (final && this.total !== undefined && this.lastSent >= this.total) return;
      value = nudge(this.lastSent);
    }
    this.emit(value, now);
  }

  private flush(): void {
    this.trail = undefined;
    const value = this.pending;
    this.pending = undefined;
    if (this.stopped || value === undefined) return;
    this.emit(value > this.lastSent ? value : nudge(this.lastSent), Date.now());
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.trail) clearTimeout(this.trail);
    this.timer = undefined;
    this.trail = undefined;
  }

  private emit(value: number, now: number): void {
    this.lastSent = value;
    this.lastSentAt = now;
    const total = this.total !== undefined && this.total >= value ? this.total : undefined;
    this.options.send({ progress: value, ...(total !== undefined ? { total } : {}), ...(this.message ? { message: this.message } : {}) });
    this.arm();
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.beat(), this.options.heartbeatMs);
    this.timer.unref();
  }

  private beat(): void {
    if (this.stopped) return;
    const seconds = Math.round((Date.now() - this.lastRealAt) / 1000);
    const saved = this.message;
    this.message = saved ? `${saved} (still working, ${seconds} s)` : `working (${seconds} s)`;
    this.emit(nudge(Math.max(this.lastSent, 0)), Date.now());
    this.message = saved;
  }
}
