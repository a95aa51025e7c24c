import type { ReplayProgress } from './replayer.js';

export interface ProgressSink {
  readonly isTTY?: boolean;
  write(text: string): boolean;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}:${String(r).padStart(2, '0')}`;
}

function formatSimulated(time: number | null, formatTime: (ms: number) => string): string {
  return time === null ? '—' : formatTime(time);
}

/**
 * Shows a replay's progress: on a terminal, one line redrawn in place with a bar, the simulated
 * clock, events/s and the time left; elsewhere (CI, a pipe) a plain line every `intervalMs`.
 */
export class ProgressReporter {
  private lastLine = -Infinity;
  private drewBar = false;

  constructor(
    private readonly sink: ProgressSink,
    private readonly formatTime: (ms: number) => string,
    private readonly now: () => number = () => Date.now(),
    private readonly intervalMs = 5_000,
  ) {}

  update(p: ReplayProgress): void {
    const done = p.appended + p.alreadyInLog;
    const fraction = p.total === 0 ? 1 : done / p.total;
    const remaining = p.total - done;
    const eta = p.eventsPerSecond > 0 ? remaining / p.eventsPerSecond : Infinity;
    const rate = `${Math.round(p.eventsPerSecond).toLocaleString('en-US')} ev/s`;
    const clock = formatSimulated(p.simulatedTime, this.formatTime);
    if (this.sink.isTTY === true) {
      const width = 28;
      const filled = Math.round(fraction * width);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
      const line = `${bar} ${(fraction * 100).toFixed(1).padStart(5)}%  ${done.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')}  sim ${clock}  ${rate}  ETA ${formatDuration(eta)}`;
      this.sink.write(`\r\x1b[2K${line}`);
      this.drewBar = true;
      return;
    }
    const t = this.now();
    if (t - this.lastLine < this.intervalMs && done < p.total) return;
    this.lastLine = t;
    this.sink.write(
      `replay: ${done}/${p.total} events (${(fraction * 100).toFixed(1)}%), simulated clock ${clock}, ${rate}, ETA ${formatDuration(eta)}\n`,
    );
  }

  /** Ends the progress display (moves off the redrawn line). */
  finish(): void {
    if (this.drewBar) this.sink.write('\n');
    this.drewBar = false;
  }
}
