import type { ChildProcess } from 'node:child_process';

/** A process npm start keeps running: how to start it (resolving once it is ready). */
export interface Supervised {
  name: string;
  start: (attempt: number) => Promise<ChildProcess>;
  /** Whether an exit calls for a restart; by default every exit the supervisor did not ask for does. */
  restartWhen?: (code: number | null, signal: NodeJS.Signals | null) => boolean;
}

export interface SupervisorOptions {
  log: (line: string) => void;
  /** First restart delay, doubled after each quick failure up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A child that ran this long before exiting is restarted at the base delay again. */
  healthyAfterMs?: number;
  now?: () => number;
}

interface Running {
  spec: Supervised;
  child: ChildProcess | undefined;
  startedAt: number;
  failures: number;
}

const describeExit = (code: number | null, signal: NodeJS.Signals | null): string =>
  signal ? `was killed by ${signal}` : `exited with code ${code}`;

/**
 * Starts its children in order and restarts any that exits without being asked to, with a growing delay (1 s, 2 s,
 * 4 s, ... 30 s; back to 1 s once a child has run for a minute), saying why in a log line. stop() ends them all.
 */
export class Supervisor {
  private readonly running = new Map<string, Running>();
  private stopping = false;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly healthyAfterMs: number;
  private readonly now: () => number;

  constructor(private readonly options: SupervisorOptions) {
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.healthyAfterMs = options.healthyAfterMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Starts `spec` and keeps it running; resolves once its first start is ready (throws when that fails). */
  async add(spec: Supervised): Promise<ChildProcess> {
    const entry: Running = { spec, child: undefined, startedAt: this.now(), failures: 0 };
    this.running.set(spec.name, entry);
    const child = await spec.start(1);
    this.watch(entry, child);
    return child;
  }

  /** The pid of each child now. */
  pids(): Record<string, number | undefined> {
    return Object.fromEntries([...this.running].map(([name, entry]) => [name, entry.child?.pid]));
  }

  /** The child running now under `name` (a new one after each restart), if any. */
  child(name: string): ChildProcess | undefined {
    return this.running.get(name)?.child;
  }

  private watch(entry: Running, child: ChildProcess): void {
    entry.child = child;
    entry.startedAt = this.now();
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      if (this.stopping) return;
      entry.child = undefined;
      if (entry.spec.restartWhen && !entry.spec.restartWhen(code, signal)) {
        this.options.log(`${entry.spec.name} ${describeExit(code, signal)}: not starting it again`);
        return;
      }
      const ranMs = this.now() - entry.startedAt;
      entry.failures = ranMs >= this.healthyAfterMs ? 1 : entry.failures + 1;
      void this.restart(entry, `${describeExit(code, signal)} after ${Math.round(ranMs / 1000)} s`);
    };
    // A child can die after it looked ready and before this runs (a bridge killed right after it joined its groups:
    // Kafka lists a dead member until its session times out): its 'exit' was emitted already and will not come again.
    if (child.exitCode !== null || child.signalCode !== null) onExit(child.exitCode, child.signalCode);
    else child.once('exit', onExit);
  }

  private async restart(entry: Running, why: string): Promise<void> {
    const delayMs = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (entry.failures - 1));
    this.options.log(`${entry.spec.name} ${why}: starting it again in ${delayMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (this.stopping) return;
    try {
      const child = await entry.spec.start(entry.failures + 1);
      if (this.stopping) {
        child.kill('SIGTERM');
        return;
      }
      this.options.log(`${entry.spec.name} is running again (pid ${child.pid})`);
      this.watch(entry, child);
    } catch (error) {
      entry.failures += 1;
      await this.restart(entry, `did not start (${(error as Error).message})`);
    }
  }

  /** Stops every child: `signal` (SIGTERM), then SIGKILL after graceMs; resolves once all have exited. */
  async stop(graceMs = 20_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.stopping = true;
    const children = [...this.running.values()]
      .map((entry) => entry.child)
      .filter((child): child is ChildProcess => child !== undefined && child.exitCode === null && !child.signalCode);
    await Promise.all(
      children.reverse().map(
        (child) =>
          new Promise<void>((resolve) => {
            const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
            child.once('exit', () => {
              clearTimeout(force);
              resolve();
            });
            child.kill(signal);
          }),
      ),
    );
  }
}
