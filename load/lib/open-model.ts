import { Recorder, type Second } from './recorder.js';

export type Outcome = { ok: true } | { ok: false; kind: string };

export interface OpenModelOptions {
  /** Arrivals per second at `t` seconds into the run (ramps and steps are functions of t). */
  rate: (t: number) => number;
  durationS: number;
  /** One request; resolves with its outcome (never rejects). */
  fire: () => Promise<Outcome>;
  /** A bound on requests in flight, so an overloaded system cannot exhaust the generator's memory. */
  maxInFlight?: number;
  onSecond?: (second: Second, inFlight: number) => void;
}

/**
 * Open model: requests arrive on a schedule whatever the responses do, and each latency is
 * measured from its scheduled time (so a slow system cannot slow the load down or hide its
 * queueing: no coordinated omission). Arrivals over maxInFlight count as `overloaded` errors.
 */
export async function runOpenModel(options: OpenModelOptions): Promise<Recorder> {
  const recorder = new Recorder();
  const maxInFlight = options.maxInFlight ?? 5000;
  const start = performance.now();
  let inFlight = 0;
  let scheduled = 0; // arrivals scheduled so far (fractional accumulation of rate × dt)
  let due = 0;
  const pending = new Set<Promise<void>>();
  let nextSecond = 1;
  let lastTick = start;

  const launch = (intendedAt: number): void => {
    recorder.offer();
    if (inFlight >= maxInFlight) {
      recorder.failure('overloaded');
      return;
    }
    inFlight++;
    const request = options
      .fire()
      .then((outcome) => {
        if (outcome.ok) recorder.success(performance.now() - intendedAt);
        else recorder.failure(outcome.kind);
      })
      .finally(() => {
        inFlight--;
        pending.delete(request);
      });
    pending.add(request);
  };

  for (;;) {
    const now = performance.now();
    const t = (now - start) / 1000;
    if (t >= options.durationS) break;
    due += (options.rate(t) * (now - lastTick)) / 1000; // timers drift: integrate over the real elapsed time
    lastTick = now;
    while (scheduled < Math.floor(due)) {
      scheduled++;
      launch(now);
    }
    if (t >= nextSecond) {
      nextSecond++;
      options.onSecond?.(recorder.tick(), inFlight);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await Promise.all(pending);
  recorder.tick();
  return recorder;
}

/** Runs `vus` virtual users, each looping request → think time, for `durationS` (the Java system's closed model). */
export async function runClosedModel(options: {
  vus: number;
  durationS: number;
  thinkMs: () => number;
  fire: (vu: number) => Promise<Outcome>;
  onSecond?: (second: Second, inFlight: number) => void;
}): Promise<Recorder> {
  const recorder = new Recorder();
  const end = performance.now() + options.durationS * 1000;
  const ticker = setInterval(() => options.onSecond?.(recorder.tick(), options.vus), 1000);
  await Promise.all(
    Array.from({ length: options.vus }, async (_, vu) => {
      while (performance.now() < end) {
        recorder.offer();
        const started = performance.now();
        const outcome = await options.fire(vu);
        if (outcome.ok) recorder.success(performance.now() - started);
        else recorder.failure(outcome.kind);
        await new Promise((resolve) => setTimeout(resolve, options.thinkMs()));
      }
    }),
  );
  clearInterval(ticker);
  recorder.tick();
  return recorder;
}

/** The progress line: one line per second, overwritten in a terminal. */
export function progressLine(label: string): (second: Second, inFlight: number) => void {
  return (second, inFlight) => {
    const line = `${label} t=${String(second.t).padStart(4)}s offered=${second.offered}/s ok=${second.ok}/s errors=${second.errors} p50=${second.p50_ms.toFixed(1)}ms p99=${second.p99_ms.toFixed(1)}ms in-flight=${inFlight}`;
    if (process.stderr.isTTY) process.stderr.write(`\r${line.padEnd(110)}`);
    else process.stderr.write(`${line}\n`);
  };
}
