import { bridgeMetrics } from './metrics.js';
import type { KafkaTrigger } from './triggers.js';

/** What the status file and `npm run stack:status` show of one consumer group of this bridge. */
export interface GroupLivenessSnapshot {
  function: string;
  group: string;
  topic: string;
  /** Whether the coordinator listed this bridge's member at the last check (null: not checked yet or unreachable). */
  member: boolean | null;
  memberId: string | null;
  /** Records the group has yet to commit, over all partitions (null: not measured yet). */
  lag: number | null;
  lastJoinAt: string | null;
  lastFetchAt: string | null;
  lastCommitAt: string | null;
  /** Since when the coordinator has not listed this bridge's member (null: it is a member). */
  notMemberSince: string | null;
  recoveries: number;
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/**
 * The liveness of one consumer group of this bridge: its member id, when it last joined, fetched and committed, and
 * whether the group's coordinator lists it. Mirrored into the bridge's metrics.
 */
export class GroupLiveness {
  memberId: string | undefined;
  member: boolean | undefined;
  notMemberSince: number | undefined;
  lag: number | undefined;
  recoveries = 0;
  /** Recoveries since the consumer last joined its group. */
  recoveriesWithoutJoin = 0;
  private lastJoinAt: number | undefined;
  private lastFetchAt: number | undefined;
  private lastCommitAt: number | undefined;
  private readonly labels: { function: string; group: string };

  constructor(private readonly trigger: KafkaTrigger) {
    this.labels = { function: trigger.name, group: trigger.groupId };
    bridgeMetrics.member.set(this.labels, 0);
    // From the start, so "no commit for a minute" means a minute of this process, not "never since 1970".
    const now = Date.now() / 1000;
    bridgeMetrics.lastFetch.set(this.labels, now);
    bridgeMetrics.lastCommit.set(this.labels, now);
    for (const reason of ['crash', 'no_membership'] as const)
      bridgeMetrics.recoveries.inc({ ...this.labels, reason }, 0);
  }

  joined(memberId: string): void {
    this.memberId = memberId;
    this.lastJoinAt = Date.now();
    this.recoveriesWithoutJoin = 0;
  }

  /** The consumer stopped or crashed: whatever member id it had is gone. */
  left(): void {
    this.memberId = undefined;
  }

  fetched(): void {
    this.lastFetchAt = Date.now();
    bridgeMetrics.lastFetch.set(this.labels, this.lastFetchAt / 1000);
  }

  committed(): void {
    this.lastCommitAt = Date.now();
    bridgeMetrics.lastCommit.set(this.labels, this.lastCommitAt / 1000);
  }

  /** The consumer is being replaced: it gets a full grace period to join before the watchdog judges it again. */
  recovering(reason: 'crash' | 'no_membership'): void {
    this.recoveries++;
    this.recoveriesWithoutJoin++;
    if (this.notMemberSince !== undefined) this.notMemberSince = Date.now();
    bridgeMetrics.recoveries.inc({ ...this.labels, reason });
  }

  /** The coordinator's list of the group's member ids, or undefined when it could not be asked. */
  observe(memberIds: string[] | undefined, lag: number | undefined, now = Date.now()): void {
    this.lag = lag;
    if (memberIds === undefined) return;
    this.member = this.memberId !== undefined && memberIds.includes(this.memberId);
    this.notMemberSince = this.member ? undefined : (this.notMemberSince ?? now);
    bridgeMetrics.member.set(this.labels, this.member ? 1 : 0);
  }

  /** How long the coordinator has not listed this consumer, in ms (0 while it is a member or unknown). */
  notMemberForMs(now = Date.now()): number {
    return this.notMemberSince === undefined ? 0 : now - this.notMemberSince;
  }

  snapshot(): GroupLivenessSnapshot {
    return {
      function: this.trigger.name,
      group: this.trigger.groupId,
      topic: this.trigger.topic,
      member: this.member ?? null,
      memberId: this.memberId ?? null,
      lag: this.lag ?? null,
      lastJoinAt: iso(this.lastJoinAt),
      lastFetchAt: iso(this.lastFetchAt),
      lastCommitAt: iso(this.lastCommitAt),
      notMemberSince: iso(this.notMemberSince),
      recoveries: this.recoveries,
    };
  }
}
