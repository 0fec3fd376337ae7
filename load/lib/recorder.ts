import * as hdr from 'hdr-histogram-js';

/** One second of a run: what was offered, what completed, and the latencies of that second. */
export interface Second {
  t: number;
  offered: number;
  ok: number;
  errors: number;
  p50_ms: number;
  p99_ms: number;
}

export interface Summary {
  offered: number;
  ok: number;
  errors: number;
  duration_s: number;
  achieved_rps: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
  error_rate: number;
  errors_by_kind: Record<string, number>;
}

const newHistogram = () =>
  hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });

/** Latencies in microseconds in HDR histograms: one for the run, one per second for the timeline. */
export class Recorder {
  /** Sees every outcome of every recorder (run.ts pushes them to the Pushgateway). */
  static observer: ((ok: boolean, latencyMs?: number) => void) | undefined;
  private readonly total = newHistogram();
  private second = newHistogram();
  private readonly started = performance.now();
  private current = { offered: 0, ok: 0, errors: 0 };
  readonly timeline: Second[] = [];
  readonly errorsByKind: Record<string, number> = {};
  offered = 0;
  ok = 0;
  errors = 0;

  offer(): void {
    this.offered++;
    this.current.offered++;
  }

  success(latencyMs: number): void {
    const micros = Math.max(1, Math.round(latencyMs * 1000));
    this.total.recordValue(micros);
    this.second.recordValue(micros);
    this.ok++;
    this.current.ok++;
    Recorder.observer?.(true, latencyMs);
  }

  failure(kind: string): void {
    this.errors++;
    this.current.errors++;
    this.errorsByKind[kind] = (this.errorsByKind[kind] ?? 0) + 1;
    Recorder.observer?.(false);
  }

  /** Closes the current second (called once a second by the runner). */
  tick(): Second {
    const entry: Second = {
      t: Math.round((performance.now() - this.started) / 1000),
      ...this.current,
      p50_ms: this.second.totalCount ? this.second.getValueAtPercentile(50) / 1000 : 0,
      p99_ms: this.second.totalCount ? this.second.getValueAtPercentile(99) / 1000 : 0,
    };
    this.timeline.push(entry);
    this.second.reset();
    this.current = { offered: 0, ok: 0, errors: 0 };
    return entry;
  }

  summary(): Summary {
    const duration = (performance.now() - this.started) / 1000;
    const at = (p: number) => (this.total.totalCount ? Math.round(this.total.getValueAtPercentile(p)) / 1000 : 0);
    return {
      offered: this.offered,
      ok: this.ok,
      errors: this.errors,
      duration_s: Math.round(duration * 10) / 10,
      achieved_rps: Math.round((this.ok / duration) * 10) / 10,
      p50_ms: at(50),
      p95_ms: at(95),
      p99_ms: at(99),
      max_ms: this.total.totalCount ? this.total.maxValue / 1000 : 0,
      error_rate: this.offered ? this.errors / this.offered : 0,
      errors_by_kind: this.errorsByKind,
    };
  }
}
