import crypto from 'node:crypto';
import os from 'node:os';
import { threadId } from 'node:worker_threads';
import { config } from '../config.js';
import { logger } from '../logger.js';
import { registry } from './registry.js';

export const FUNCTIONS_JOB = 'chat4all-functions';
const PUSH_INTERVAL_MS = Number(process.env.METRICS_PUSH_INTERVAL_MS ?? 2000);
const STALE_AFTER_MS = Number(process.env.METRICS_STALE_AFTER_MS ?? 10 * 60_000);
const enabled = process.env.METRICS_PUSH !== 'off';

/** This worker's grouping key: a function may run in several workers (or sandboxes) at once. */
const INSTANCE = `${os.hostname()}-${process.pid}-${threadId}-${crypto.randomBytes(3).toString('hex')}`;

let functionName: string | undefined;
let lastPush = 0;
let timer: NodeJS.Timeout | undefined;
let pushing: Promise<void> | undefined;
let cleaned = false;

const groupUrl = (fn: string, instance: string): string =>
  `${config.pushgatewayUrl}/metrics/job/${FUNCTIONS_JOB}/function/${encodeURIComponent(fn)}/instance/${encodeURIComponent(instance)}`;

async function push(): Promise<void> {
  if (!functionName) return;
  timer = undefined;
  lastPush = Date.now();
  try {
    const response = await fetch(groupUrl(functionName, INSTANCE), {
      method: 'PUT',
      headers: { 'Content-Type': registry.contentType },
      body: await registry.metrics(),
      signal: AbortSignal.timeout(2000),
    });
    if (!response.ok) logger.warn({ status: response.status }, 'metrics push refused');
  } catch (error) {
    logger.debug({ err: (error as Error).message }, 'metrics push failed'); // metrics never fail an invocation
  }
}

/**
 * Coalesced pushes: an invocation marks the registry dirty; at most one PUT per interval leaves
 * the worker (immediately when the last one is older than that, else on a timer).
 */
export function schedulePush(fn: string): void {
  if (!enabled) return;
  functionName = fn;
  if (!cleaned) {
    cleaned = true;
    void removeStaleGroups();
  }
  if (timer || pushing) return;
  const wait = Math.max(0, PUSH_INTERVAL_MS - (Date.now() - lastPush));
  timer = setTimeout(() => {
    pushing = push().finally(() => (pushing = undefined));
  }, wait);
  timer.unref?.();
}

/** Pushes now (a worker that is about to end). */
export async function flushMetrics(): Promise<void> {
  if (timer) clearTimeout(timer);
  await pushing;
  await push();
}

interface PushgatewayGroup {
  labels: Record<string, string>;
  push_time_seconds?: { metrics?: { value: string }[] };
}

/** Deletes the groups of workers that stopped pushing long ago, so Prometheus keeps no stale series. */
export async function removeStaleGroups(now = Date.now()): Promise<number> {
  try {
    const response = await fetch(`${config.pushgatewayUrl}/api/v1/metrics`, { signal: AbortSignal.timeout(2000) });
    const { data } = (await response.json()) as { data: PushgatewayGroup[] };
    const stale = data.filter((group) => {
      const pushed = Number(group.push_time_seconds?.metrics?.[0]?.value ?? 0) * 1000;
      return (
        group.labels.job === FUNCTIONS_JOB &&
        group.labels.function &&
        group.labels.instance &&
        now - pushed > STALE_AFTER_MS
      );
    });
    await Promise.all(
      stale.map((group) =>
        fetch(groupUrl(group.labels.function!, group.labels.instance!), {
          method: 'DELETE',
          signal: AbortSignal.timeout(2000),
        }),
      ),
    );
    return stale.length;
  } catch {
    return 0;
  }
}

// No signal handlers here: in-process, they would keep serverless-offline itself from stopping.
process.once('beforeExit', () => void flushMetrics());
