import type { Logger } from 'pino';
import { SESSION_TIMEOUT_MS, type TriggerConsumer } from './consumer.js';

export interface WatchdogOptions {
  /** How long the coordinator may not list a consumer before it is replaced: a rejoin after a rebalance, a broker
   * restart or a stall takes seconds, and kafkajs restarts a consumer after most crashes by itself. */
  graceMs: number;
  /** Replacements in a row that never got the consumer into its group before the bridge gives up (exits). */
  maxRecoveriesWithoutJoin: number;
}

export const DEFAULT_WATCHDOG: WatchdogOptions = {
  graceMs: Number(process.env.BRIDGE_WATCHDOG_GRACE_MS ?? SESSION_TIMEOUT_MS + 15_000),
  maxRecoveriesWithoutJoin: 3,
};

/**
 * The backstop behind kafkajs's own recovery: after each look at the groups' coordinators, a consumer that has not
 * been a member of its group for longer than the grace period is replaced; when replacements keep failing while the
 * coordinator answers, the bridge gives up (exits non-zero, and whatever started it starts it again) rather than stay
 * alive without the consumer.
 */
export class Watchdog {
  constructor(
    private readonly consumers: TriggerConsumer[],
    private readonly log: Logger,
    private readonly giveUp: (reason: string) => void,
    private readonly options: WatchdogOptions = DEFAULT_WATCHDOG,
  ) {}

  /**
   * `members`: the member ids the coordinator lists per group, or undefined when it could not be asked (then nobody
   * is judged). `lag`: each group's lag, for the logs and the status.
   */
  check(members: Map<string, string[]> | undefined, lag: Map<string, number> | undefined, now = Date.now()): void {
    for (const consumer of this.consumers) {
      const { liveness, trigger } = consumer;
      liveness.observe(members?.get(trigger.groupId) ?? (members ? [] : undefined), lag?.get(trigger.groupId), now);
      if (liveness.notMemberForMs(now) < this.options.graceMs) continue;
      if (liveness.recoveriesWithoutJoin >= this.options.maxRecoveriesWithoutJoin) {
        this.giveUp(`${trigger.groupId}: not a member after ${liveness.recoveriesWithoutJoin} replacements`);
        return;
      }
      this.log.error(
        {
          function: trigger.name,
          group: trigger.groupId,
          lag: liveness.lag,
          not_member_for_ms: liveness.notMemberForMs(now),
        },
        'the consumer is not a member of its group',
      );
      void consumer.recover('no_membership');
    }
  }
}
