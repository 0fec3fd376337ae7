import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import { withTimeout } from '@chat4all/shared/timeout.js';
import type { TriggerConsumer } from './consumer.js';
import { measureLag, measureMembers } from './metrics.js';
import { writeBridgeStatus } from './status-file.js';
import type { KafkaTrigger } from './triggers.js';
import type { Watchdog } from './watchdog.js';

/** What the coordinator cannot tell within this long (a stalled broker) counts as unknown, not as "no member". */
const LOOK_TIMEOUT_MS = 10_000;

export interface MonitorDeps {
  admin: Admin;
  /** Every trigger of serverless.yml: lag and members are measured for all, also those this bridge does not consume. */
  triggers: KafkaTrigger[];
  consumers: TriggerConsumer[];
  watchdog: Watchdog;
  log: Logger;
  intervalMs: number;
  metricsPort: number;
}

/**
 * Every few seconds: the lag and the members of every trigger's group, the watchdog's judgement of this bridge's
 * consumers, and the status file. One look at a time: the next is scheduled when the last one ended.
 */
export class GroupMonitor {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly startedAt = new Date().toISOString();

  constructor(private readonly deps: MonitorDeps) {}

  async start(): Promise<void> {
    await this.look();
    this.scheduleNext();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.look()
        .catch((error: Error) => this.deps.log.error({ err: error.message }, 'looking at the groups failed'))
        .finally(() => this.scheduleNext());
    }, this.deps.intervalMs);
  }

  private async look(): Promise<void> {
    const { admin, triggers, consumers, watchdog } = this.deps;
    const [lag, members] = await Promise.all([
      this.bounded('lag measurement', measureLag(admin, triggers)),
      this.bounded('group description', measureMembers(admin, triggers)),
    ]);
    watchdog.check(members, lag);
    writeBridgeStatus({
      pid: process.pid,
      metricsPort: this.deps.metricsPort,
      startedAt: this.startedAt,
      updatedAt: new Date().toISOString(),
      groups: consumers.map((consumer) => consumer.liveness.snapshot()),
    });
  }

  private bounded<T>(what: string, work: Promise<T>): Promise<T | undefined> {
    return withTimeout(work, LOOK_TIMEOUT_MS, what).catch((error: Error) => {
      this.deps.log.warn({ err: error.message }, `${what} failed`);
      return undefined;
    });
  }
}
