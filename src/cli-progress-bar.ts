/**
 * The progress bar of `prechew run`: a bar with percentage, ETA and the tool's own message
 * ("page 12 of 397", "transcribed unit 3/9 on lab-pc"), drawn on stderr only when both stdout and
 * stderr are terminals, so piped or redirected output stays exactly the result.
 */
import cliProgress from 'cli-progress';
import { ProgressSender } from './jobs/progress.js';
import type { ProgressReporter } from './jobs/units.js';

export interface TerminalProgress {
  report: ProgressReporter;
  stop(): void;
}

export function isInteractive(): boolean {
  return Boolean(process.stdout.isTTY && process.stderr.isTTY);
}

export function terminalProgress(label: string, enabled = isInteractive()): TerminalProgress {
  if (!enabled) return { report: () => undefined, stop: () => undefined };
  let bar: cliProgress.SingleBar | undefined;
  let shownTotal = 0;
  // The same shaping as MCP progress: phases laid end to end, bursts thinned, a heartbeat in long steps.
  const sender = new ProgressSender({
    minIntervalMs: 100,
    heartbeatMs: 5000,
    send: ({ progress, total, message }) => {
      const t = Math.max(total ?? progress + 1, progress, 1);
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: `${label} {bar} {percentage}% | ETA {eta_formatted} | {message}`,
            barsize: 24,
            hideCursor: true,
            clearOnComplete: true,
            etaBuffer: 20,
            fps: 5,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(t, progress, { message: message ?? '' });
        shownTotal = t;
        return;
      }
      if (t !== shownTotal) {
        bar.setTotal(t);
        shownTotal = t;
      }
      bar.update(progress, { message: message ?? '' });
    },
  });
  return {
    report: (update) => sender.report(update),
    stop: () => {
      sender.stop();
      bar?.stop();
    },
  };
}
