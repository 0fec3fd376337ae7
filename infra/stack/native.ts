import fs from 'node:fs';
import { serviceDir } from './paths.js';
import { isAlive, isPortOpen, readPid, runningPid, stopProcess, waitUntil } from './processes.js';
import type { Service } from './service.js';

export type ServiceState = 'up' | 'external' | 'starting' | 'down';

export interface ServiceStatus {
  service: Service;
  state: ServiceState;
  pid?: number | undefined;
  detail?: string;
}

async function readyNow(service: Service): Promise<boolean> {
  try {
    return await service.ready();
  } catch {
    return false;
  }
}

/** When the pid file was written: a process younger than its ready timeout may still be starting. */
function startedAgoMs(service: Service): number {
  try {
    return Date.now() - fs.statSync(serviceDir(service.name, `${service.name}.pid`)).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * Brings one service up, idempotently: a ready one is left alone, one still starting is waited for,
 * a half-started one (alive but never ready) is stopped and started again, and one started by
 * something else (for example compose) is used as it is.
 */
export async function ensureUp(service: Service, log: (line: string) => void): Promise<ServiceStatus> {
  await service.install();
  let pid = runningPid(service.name);
  if (pid !== undefined) {
    if (await readyNow(service)) return { service, state: 'up', pid, detail: 'already running' };
    const remaining = service.readyTimeoutMs - startedAgoMs(service);
    if (remaining > 0) {
      log(`still starting (pid ${pid}); waiting for it`);
      try {
        await waitUntil(service.name, () => service.ready(), { timeoutMs: remaining, isDead: () => !isAlive(pid!) });
        return { service, state: 'up', pid, detail: 'started earlier' };
      } catch {
        /* fall through to a restart */
      }
    }
    log(`half-started (pid ${pid} alive but not ready): restarting it`);
    await stopProcess(service.name, 10_000);
    service.reapOrphans?.();
  } else if (await isPortOpen(service.ports[0]!)) {
    if (await readyNow(service)) return { service, state: 'external', detail: 'started outside the stack' };
    throw new Error(
      `${service.name}: port ${service.ports[0]} is taken by another program that is not a working ${service.name}`,
    );
  }
  log('starting');
  const startedAt = Date.now();
  await service.start();
  pid = readPid(service.name);
  await waitUntil(service.name, () => service.ready(), {
    timeoutMs: service.readyTimeoutMs,
    intervalMs: 1000,
    isDead: () => pid === undefined || !isAlive(pid),
  });
  log(`ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  return { service, state: 'up', pid, detail: 'started' };
}

export async function statusOf(service: Service): Promise<ServiceStatus> {
  const pid = runningPid(service.name);
  const ready = await readyNow(service);
  if (ready) return { service, state: pid === undefined ? 'external' : 'up', pid };
  return { service, state: pid === undefined ? 'down' : 'starting', pid };
}

export async function stop(service: Service): Promise<boolean> {
  const stopped = await stopProcess(service.name, 30_000);
  service.reapOrphans?.();
  return stopped;
}
