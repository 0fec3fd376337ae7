import { readBridgeStatus, type BridgeStatus } from './status-file.js';

/** A bridge renews its status every few seconds; one that has not for this long is stopped (SIGSTOP) or hung. */
const STALE_AFTER_MS = 30_000;

export const BRIDGE_COLUMNS = [
  'bridge',
  'metrics',
  'group',
  'member',
  'lag',
  'last fetch',
  'last commit',
  'recoveries',
  'note',
] as const;

export interface BridgeReport {
  rows: string[][];
  /** False when a bridge stopped renewing its status or one of its consumers is not a member of its group. */
  healthy: boolean;
}

const ago = (iso: string | null, now: number): string =>
  iso === null ? 'never' : `${Math.max(0, Math.round((now - Date.parse(iso)) / 1000))} s ago`;

function rowsOf(pid: number, status: BridgeStatus | undefined, now: number): BridgeReport {
  if (!status)
    return { rows: [[String(pid), '-', '-', '-', '-', '-', '-', '-', 'starting: no status yet']], healthy: true };
  const staleMs = now - Date.parse(status.updatedAt);
  const stale = staleMs > STALE_AFTER_MS;
  const metrics = status.metricsPort === null ? '-' : `127.0.0.1:${status.metricsPort}`;
  let healthy = !stale;
  const rows = status.groups.map((group) => {
    const member = group.member === null ? '?' : group.member ? 'yes' : 'NO';
    if (group.member === false) healthy = false;
    const notes = [
      stale ? `no update for ${Math.round(staleMs / 1000)} s: stopped or hung?` : '',
      group.notMemberSince ? `not a member since ${ago(group.notMemberSince, now)}` : '',
    ].filter(Boolean);
    return [
      String(pid),
      metrics,
      `${group.group} (${group.function})`,
      member,
      group.lag === null ? '?' : String(group.lag),
      ago(group.lastFetchAt, now),
      ago(group.lastCommitAt, now),
      String(group.recoveries),
      notes.join('; '),
    ];
  });
  return { rows, healthy };
}

/** One row per consumer group of each running bridge, from the status file each bridge keeps renewing. */
export function bridgeReport(pids: number[], now = Date.now()): BridgeReport {
  const reports = pids.map((pid) => rowsOf(pid, readBridgeStatus(pid), now));
  return { rows: reports.flatMap((report) => report.rows), healthy: reports.every((report) => report.healthy) };
}
