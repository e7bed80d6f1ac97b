/**
 * Every tool call passes through here (from invokeTool): it is tracked while it runs (tool,
 * progress, units per node — for the dashboard's live view) and recorded in the savings ledger when
 * it ends. What a call saved is read from the tool's own output by `ledgerFacts`, so tools do not
 * record anything themselves. Only counts leave this module: never arguments, messages or names.
 */
import { EventEmitter } from 'node:events';
import { estimateSavings } from '../cloud/pricing.js';
import type { ProgressUpdate } from '../jobs/units.js';
import { newCallScope, runInCallScope } from '../store/call-scope.js';
import { getLedger, type LedgerEntry } from '../store/ledger.js';
import { getService, type AppServices } from '../services.js';
import type { ToolContext } from './types.js';

export interface RunningCall {
  id: number;
  tool: string;
  started: number;
  progress: number | undefined;
  total: number | undefined;
  /** Units finished so far per node ("local" or a peer's name). */
  units: Record<string, number>;
}

export interface FinishedCall {
  tool: string;
  at: number;
  errorCode: string | undefined;
}

/** Calls running now, and an event on every change ('change') and finished call ('finished'). */
export class ToolActivity extends EventEmitter {
  readonly running = new Map<number, RunningCall>();
  private nextId = 1;

  begin(tool: string): RunningCall {
    const call: RunningCall = { id: this.nextId++, tool, started: Date.now(), progress: undefined, total: undefined, units: {} };
    this.running.set(call.id, call);
    this.emit('change');
    return call;
  }

  update(): void {
    this.emit('change');
  }

  end(call: RunningCall, finished: FinishedCall): void {
    this.running.delete(call.id);
    this.emit('finished', finished);
    this.emit('change');
  }
}

export function getActivity(app: AppServices): ToolActivity {
  return getService(app, 'activity', () => new ToolActivity().setMaxListeners(0));
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {});

/**
 * What a finished call's output says about tokens: what the tool read, what it returned (what would
 * reach a model), and the naive count (what a model would have read without it). Tools without an
 * honest naive baseline (convert, transcribe: the alternative is a file a model cannot read as
 * text) record their output size and cache use but claim no savings.
 */
export function ledgerFacts(tool: string, output: unknown): Partial<LedgerEntry> {
  const o = obj(output);
  switch (tool) {
    case 'condense': {
      const r = obj(o.report);
      return { tokensIn: num(r.tokensIn), tokensOut: num(r.tokensOut), naiveTokens: num(r.tokensIn), cached: r.cached === true };
    }
    case 'summarize':
      return { tokensIn: num(o.tokensIn), tokensOut: num(o.tokensOut), naiveTokens: num(o.tokensIn), cached: o.cached === true };
    case 'dedupe': {
      const s = obj(o.stats);
      return { tokensIn: num(s.tokensBefore), tokensOut: num(s.tokensAfter), naiveTokens: num(s.tokensBefore) };
    }
    case 'ask': {
      const r = obj(o.report);
      const usage = obj(r.usage);
      const naive = obj(r.naive);
      const inputTokens = num(usage.inputTokens) ?? 0;
      return {
        tokensIn: num(obj(r.condense).tokensIn),
        tokensOut: inputTokens,
        naiveTokens: num(naive.inputTokens),
        provider: {
          name: String(r.provider ?? 'unknown'),
          model: String(r.model ?? 'unknown'),
          inputTokens,
          outputTokens: num(usage.outputTokens) ?? 0,
          costUsd: num(r.costUsd),
          naiveCostUsd: num(naive.costUsd),
        },
      };
    }
    case 'convert': {
      const m = obj(o.metadata);
      return { tokensOut: num(m.tokens), cached: m.cached === true };
    }
    case 'transcribe':
      return { cached: o.cached === true };
    default:
      return {};
  }
}

export interface TrackedCall {
  /** The context to run the tool with: progress is observed on its way to the caller. */
  ctx: ToolContext;
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** The tool's whole output (before pagination), when it succeeded. */
  output(value: unknown): void;
  finish(errorCode: string | undefined): void;
}

export function trackToolCall(tool: string, ctx: ToolContext): TrackedCall {
  const app = ctx.app;
  const activity = getActivity(app);
  const call = activity.begin(tool);
  const scope = newCallScope(() => {
    call.units = Object.fromEntries(scope.units);
    activity.update();
  });
  let output: unknown;
  const progress = (update: ProgressUpdate): void => {
    call.progress = update.progress;
    call.total = update.total;
    activity.update();
    ctx.progress(update);
  };
  return {
    ctx: { ...ctx, progress },
    run: (fn) => runInCallScope(scope, fn),
    output(value) {
      output = value;
    },
    finish(errorCode) {
      const at = Date.now();
      activity.end(call, { tool, at, errorCode });
      const facts = errorCode === undefined ? ledgerFacts(tool, output) : {};
      const saved = facts.naiveTokens !== undefined && facts.tokensOut !== undefined ? facts.naiveTokens - facts.tokensOut : 0;
      const cacheHits = Math.max(scope.cacheHits, facts.cached ? 1 : 0);
      getLedger(app).record({
        ...facts,
        at,
        tool,
        errorCode,
        ms: at - call.started,
        cacheHits,
        cacheLookups: Math.max(scope.cacheLookups, cacheHits),
        savings: saved > 0 ? estimateSavings(saved, app.config.cloud.pricing) : undefined,
        units: Object.fromEntries(scope.units),
      });
    },
  };
}
