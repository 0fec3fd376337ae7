import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { getKafka } from '@chat4all/shared/clients/kafka.js';
import { ROOT, STACK_DIR } from '../stack/paths.js';
import { isProcessOf, waitUntil } from '../stack/processes.js';
import { loadTriggers } from './triggers.js';

const BRIDGE_DIR = path.join(STACK_DIR, 'bridge');

export const bridgePidFile = (pid: number): string => path.join(BRIDGE_DIR, `${pid}.pid`);

/** Pids of the bridge processes running now (from their pid files; stale ones are removed). */
export function runningBridges(): number[] {
  if (!fs.existsSync(BRIDGE_DIR)) return [];
  return fs
    .readdirSync(BRIDGE_DIR)
    .filter((file) => file.endsWith('.pid'))
    .map((file) => Number.parseInt(file, 10))
    .filter((pid) => {
      if (isProcessOf(pid, 'infra/bridge/main.ts')) return true;
      fs.rmSync(bridgePidFile(pid), { force: true });
      return false;
    });
}

/**
 * Whether every trigger's consumer group (or those of `functions`) is stable with members, and,
 * given a bridge's pid, whether that bridge is one of them (its Kafka client id names the pid).
 */
export async function bridgeGroupsStable({
  pid,
  functions,
}: { pid?: number; functions?: string[] } = {}): Promise<boolean> {
  const admin = getKafka().admin();
  await admin.connect();
  try {
    const triggers = loadTriggers().filter((trigger) => !functions || functions.includes(trigger.name));
    const groupIds = [...new Set(triggers.map((trigger) => trigger.groupId))];
    const { groups } = await admin.describeGroups(groupIds);
    return (
      groups.length === groupIds.length &&
      groups.every(
        (group) =>
          group.state === 'Stable' &&
          group.members.length > 0 &&
          (pid === undefined || group.members.some((member) => member.clientId === bridgeClientId(pid))),
      )
    );
  } finally {
    await admin.disconnect();
  }
}

export const bridgeClientId = (pid: number): string => `chat4all-bridge-${pid}`;

/** Starts a bridge process and resolves once it is a member of all its stable consumer groups. */
export async function startBridge(
  stdio: 'inherit' | number = 'inherit',
  { detached = false, env = {} }: { detached?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'infra/bridge/main.ts')], {
    cwd: ROOT,
    stdio: ['ignore', stdio, stdio],
    env: { ...process.env, ...env },
    detached,
  });
  if (detached) child.unref();
  let exited = false;
  child.once('exit', () => (exited = true));
  const functions = env.BRIDGE_FUNCTIONS?.split(',').filter(Boolean);
  await waitUntil('bridge consumer groups', () => bridgeGroupsStable({ pid: child.pid!, functions }), {
    timeoutMs: 90_000,
    intervalMs: 500,
    isDead: () => exited,
  });
  return child;
}
