/**
 * Consent on the worker side: whether this node takes units from peers right now.
 *
 * `never` (the default) takes nothing; `always` takes units whenever slots are free; `idle` takes
 * units only while the rest of the machine has been quiet for a sustained period (and, optionally,
 * inside configured hours). "The rest of the machine" excludes this process's own CPU time, so the
 * units it runs for peers never make it look busy, while its owner's compile or video call does
 * within a few samples.
 */
import os from 'node:os';

export type AcceptMode = 'never' | 'idle' | 'always';

export interface ConsentSettings {
  accept: AcceptMode;
  /** Busy fraction of all cores (0–1), from other processes, below which the machine counts as idle. */
  idleBelow: number;
  /** How long the machine must stay under `idleBelow` before units are taken. */
  idleForMs: number;
  /** Samples above `idleBelow` in a row that count as "busy now" (a sample per `sampleMs`). */
  busyAfterSamples: number;
  sampleMs: number;
  /** Local-time window such as "22:00-07:00" (may wrap midnight); unset means any time. */
  hours?: string | undefined;
}

export const DEFAULT_CONSENT: ConsentSettings = {
  accept: 'never',
  idleBelow: 0.25,
  idleForMs: 60_000,
  busyAfterSamples: 2,
  sampleMs: 1000,
};

export interface ConsentState {
  accepting: boolean;
  /** Why not, in words a person understands; empty when accepting. */
  reason: string;
  mode: AcceptMode;
  /** Last measured busy fraction of the machine excluding this process, 0–1. */
  othersLoad: number | undefined;
  idleSinceMs: number | undefined;
}

/** CPU time used by the whole machine and by this process, in microseconds of core time. */
export interface CpuSample {
  atMs: number;
  machineBusyUs: number;
  machineTotalUs: number;
  selfUs: number;
}

export function sampleCpu(): CpuSample {
  let busy = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    const all = t.user + t.nice + t.sys + t.irq + t.idle;
    total += all;
    busy += all - t.idle;
  }
  const self = process.cpuUsage();
  // os.cpus() reports milliseconds; process.cpuUsage() microseconds.
  return {
    atMs: Date.now(),
    machineBusyUs: busy * 1000,
    machineTotalUs: total * 1000,
    selfUs: self.user + self.system,
  };
}

/** Busy fraction of the machine between two samples, with this process's own CPU time removed. */
export function othersLoadBetween(a: CpuSample, b: CpuSample): number | undefined {
  const total = b.machineTotalUs - a.machineTotalUs;
  if (total <= 0) return undefined;
  const others = b.machineBusyUs - a.machineBusyUs - (b.selfUs - a.selfUs);
  return Math.min(1, Math.max(0, others / total));
}

const HOURS = /^([01]?\d|2[0-3]):([0-5]\d)-([01]?\d|2[0-3]):([0-5]\d)$/;

/** Parses "HH:MM-HH:MM"; returns minutes after midnight [start, end). */
export function parseHours(text: string): [number, number] {
  const m = HOURS.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a time window like "22:00-07:00"`);
  return [Number(m[1]) * 60 + Number(m[2]), Number(m[3]) * 60 + Number(m[4])];
}

export function insideHours(window: [number, number], date: Date): boolean {
  const minute = date.getHours() * 60 + date.getMinutes();
  const [start, end] = window;
  if (start === end) return true;
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

/**
 * Follows the machine's load and answers whether units may be taken. `observe` takes a load
 * reading (the sampler calls it; tests call it with chosen values), so the decision logic is the
 * same code whichever clock drives it.
 */
export class ConsentGate {
  private readonly window: [number, number] | undefined;
  private lastLoad: number | undefined;
  private idleSince: number | undefined;
  private busyStreak = 0;
  private reported = false;
  private timer: NodeJS.Timeout | undefined;
  private previous: CpuSample | undefined;
  private readonly listeners = new Set<(state: ConsentState) => void>();

  constructor(
    private readonly settings: ConsentSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.window = settings.hours ? parseHours(settings.hours) : undefined;
  }

  /** Starts sampling the CPU (only needed for `idle`). The timer never keeps the process alive. */
  start(): this {
    if (this.settings.accept !== 'idle' || this.timer) return this;
    this.previous = sampleCpu();
    this.timer = setInterval(() => {
      const sample = sampleCpu();
      const load = this.previous ? othersLoadBetween(this.previous, sample) : undefined;
      this.previous = sample;
      if (load !== undefined) this.observe(load);
    }, this.settings.sampleMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Called when the node turns busy (so running peers' units that have not started go back). */
  onChange(listener: (state: ConsentState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  observe(load: number): void {
    const at = this.now();
    this.lastLoad = load;
    if (load < this.settings.idleBelow) {
      this.busyStreak = 0;
      this.idleSince ??= at;
    } else {
      this.busyStreak++;
      if (this.busyStreak >= this.settings.busyAfterSamples) this.idleSince = undefined;
    }
    const after = this.state();
    if (after.accepting !== this.reported) {
      this.reported = after.accepting;
      for (const listener of this.listeners) listener(after);
    }
  }

  state(): ConsentState {
    const base = { mode: this.settings.accept, othersLoad: this.lastLoad, idleSinceMs: this.idleSince };
    switch (this.settings.accept) {
      case 'never':
        return {
          ...base,
          accepting: false,
          reason: 'this node takes no units from peers (mesh.accept is "never")',
        };
      case 'always':
        return this.hoursState(base) ?? { ...base, accepting: true, reason: '' };
      case 'idle': {
        const outside = this.hoursState(base);
        if (outside) return outside;
        if (this.idleSince === undefined) {
          const load =
            this.lastLoad === undefined ? 'not measured yet' : `${Math.round(this.lastLoad * 100)} % busy`;
          return {
            ...base,
            accepting: false,
            reason: `the machine is in use (${load}; idle means under ${Math.round(this.settings.idleBelow * 100)} %)`,
          };
        }
        const idleFor = this.now() - this.idleSince;
        if (idleFor < this.settings.idleForMs) {
          return {
            ...base,
            accepting: false,
            reason: `idle for ${Math.round(idleFor / 1000)} s of the ${Math.round(this.settings.idleForMs / 1000)} s required`,
          };
        }
        return { ...base, accepting: true, reason: '' };
      }
    }
  }

  private hoursState(base: Omit<ConsentState, 'accepting' | 'reason'>): ConsentState | undefined {
    if (!this.window || insideHours(this.window, new Date(this.now()))) return undefined;
    return {
      ...base,
      accepting: false,
      reason: `outside the hours this node works for peers (${this.settings.hours ?? ''})`,
    };
  }
}
