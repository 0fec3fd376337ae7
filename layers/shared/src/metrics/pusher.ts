import crypto from 'node:crypto';
import os from 'node:os';
import { threadId } from 'node:worker_threads';
import { config } from '../config.js';
import { logger } from '../logger.js';
import { registry } from './registry.js';

export const FUNCTIONS_JOB = 'chat4all-functions';
const PUSH_INTERVAL_MS = Number(process.env.METRICS_PUSH_INTERVAL_MS ?? 2000);
const STALE_AFTER_MS = Number(process.env.METRICS_STALE_AFTER_MS ?? 10 * 60_000);
const PUSH_TIMEOUT_MS = Number(process.env.METRICS_PUSH_TIMEOUT_MS ?? 2000);

/**
 * How an invocation's metrics leave the process (METRICS_PUSH):
 * - `invocation`: pushed within the invocation, awaited by the metrics middleware's after/onError. The default
 *   wherever the process may be frozen (or ended) the moment the handler's promise settles: a Lambda sandbox, on
 *   AWS and under LocalStack's executor. Nothing is left for a timer or `beforeExit`.
 * - `coalesced`: at most one push per METRICS_PUSH_INTERVAL_MS, from a timer, flushed on `beforeExit`. Only where
 *   the process really lives on between invocations: serverless-offline (which sets IS_OFFLINE), where many
 *   concurrent invocations share one process and a push per invocation would cost more than the work.
 * - `off`: nothing is pushed.
 */
export type PushMode = 'invocation' | 'coalesced' | 'off';

export function pushModeFrom(env: NodeJS.ProcessEnv = process.env): PushMode {
  const setting = env.METRICS_PUSH?.trim();
  if (setting === 'off' || setting === 'invocation' || setting === 'coalesced') return setting;
  if (setting) throw new Error(`METRICS_PUSH must be invocation, coalesced or off (got ${setting})`);
  return env.IS_OFFLINE === 'true' ? 'coalesced' : 'invocation';
}

export const PUSH_MODE: PushMode = pushModeFrom();

/** This worker's grouping key: a function may run in several workers (or sandboxes) at once. */
const INSTANCE = `${os.hostname()}-${process.pid}-${threadId}-${crypto.randomBytes(3).toString('hex')}`;

let functionName: string | undefined;
let lastPush = 0;
let timer: NodeJS.Timeout | undefined;
let pushing: Promise<void> | undefined;
/** Counted while a push was on its way (after its body was read): another push must follow. */
let countedDuringPush = false;
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
      signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
    });
    if (!response.ok) logger.warn({ status: response.status }, 'metrics push refused');
  } catch (error) {
    logger.debug({ err: (error as Error).message }, 'metrics push failed'); // metrics never fail an invocation
  }
}

/**
 * Called by the metrics middleware at the end of every invocation (after/onError). In `invocation` mode the
 * returned promise settles once the Pushgateway has the metrics (or the push failed: metrics never fail an
 * invocation); the middleware awaits it, so they leave before the handler's promise settles. In `coalesced` mode
 * it only marks the registry dirty: at most one PUT per interval leaves the process, from a timer.
 */
export async function pushInvocationMetrics(fn: string): Promise<void> {
  if (PUSH_MODE === 'off') return;
  functionName = fn;
  if (PUSH_MODE === 'invocation') {
    // The first invocation of a sandbox also removes groups of sandboxes long gone, within the invocation too.
    const cleanup = cleaned ? undefined : ((cleaned = true), removeStaleGroups());
    await Promise.all([push(), cleanup]);
    return;
  }
  if (!cleaned) {
    cleaned = true;
    void removeStaleGroups();
  }
  if (timer) return;
  if (pushing) countedDuringPush = true;
  else schedulePush();
}

/** One push, an interval after the last one; another follows when something was counted while it was on its way. */
function schedulePush(): void {
  const wait = Math.max(0, PUSH_INTERVAL_MS - (Date.now() - lastPush));
  timer = setTimeout(() => {
    pushing = push().finally(() => {
      pushing = undefined;
      if (countedDuringPush) {
        countedDuringPush = false;
        schedulePush();
      }
    });
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
    const response = await fetch(`${config.pushgatewayUrl}/api/v1/metrics`, {
      signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
    });
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
          signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
        }),
      ),
    );
    return stale.length;
  } catch {
    return 0;
  }
}

// A process that lives on (serverless-offline) pushes what its timer has not yet sent when it ends. No signal
// handlers here: in-process, they would keep serverless-offline itself from stopping. In `invocation` mode there
// is nothing left to send: a frozen Lambda sandbox would never get here anyway.
if (PUSH_MODE === 'coalesced') process.once('beforeExit', () => void flushMetrics());
