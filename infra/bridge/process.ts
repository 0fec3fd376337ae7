import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { getKafka } from '@chat4all/shared/clients/kafka.js';
import { ROOT, STACK_DIR } from '../stack/paths.js';
import { isAlive, waitUntil } from '../stack/processes.js';
import { loadTriggers } from './triggers.js';

const BRIDGE_DIR = path.join(STACK_DIR, 'bridge');

export const bridgePidFile = (pid: number): string => path.join(BRIDGE_DIR, `${pid}.pid`);

/** Pids of the bridge processes running now (from their pid files). */
export function runningBridges(): number[] {
  if (!fs.existsSync(BRIDGE_DIR)) return [];
  return fs
    .readdirSync(BRIDGE_DIR)
    .filter((file) => file.endsWith('.pid'))
    .map((file) => Number.parseInt(file, 10))
    .filter((pid) => {
      if (isAlive(pid)) return true;
      fs.rmSync(bridgePidFile(pid), { force: true });
      return false;
    });
}

/** Whether every trigger's consumer group has members and a settled assignment. */
export async function bridgeGroupsStable(): Promise<boolean> {
  const admin = getKafka().admin();
  await admin.connect();
  try {
    const groupIds = [...new Set(loadTriggers().map((trigger) => trigger.groupId))];
    const { groups } = await admin.describeGroups(groupIds);
    return (
      groups.length === groupIds.length && groups.every((group) => group.state === 'Stable' && group.members.length > 0)
    );
  } finally {
    await admin.disconnect();
  }
}

/** Starts a bridge process and resolves once all its consumer groups are stable. */
export async function startBridge(
  stdio: 'inherit' | number = 'inherit',
  { detached = false }: { detached?: boolean } = {},
): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'infra/bridge/main.ts')], {
    cwd: ROOT,
    stdio: ['ignore', stdio, stdio],
    detached,
  });
  if (detached) child.unref();
  let exited = false;
  child.once('exit', () => (exited = true));
  await waitUntil('bridge consumer groups', bridgeGroupsStable, {
    timeoutMs: 60_000,
    intervalMs: 500,
    isDead: () => exited,
  });
  return child;
}
