import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { getKafka } from '@chat4all/shared/clients/kafka.js';
import { ROOT, STACK_DIR } from '../stack/paths.js';
import { isProcessOf, waitUntil } from '../stack/processes.js';
import { removeBridgeStatus } from './status-file.js';
import { loadTriggers } from './triggers.js';
import { Supervisor } from '../supervisor.js';

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
      removeBridgeStatus(pid);
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

type BridgeOptions = { detached?: boolean; env?: NodeJS.ProcessEnv };

function spawnBridge(stdio: 'inherit' | number, { detached = false, env = {} }: BridgeOptions): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'infra/bridge/main.ts')], {
    cwd: ROOT,
    stdio: ['ignore', stdio, stdio],
    env: { ...process.env, ...env },
    detached,
  });
  if (detached) child.unref();
  return child;
}

/** Starts a bridge process and resolves once it is a member of all its stable consumer groups. */
export async function startBridge(
  stdio: 'inherit' | number = 'inherit',
  options: BridgeOptions = {},
): Promise<ChildProcess> {
  const child = spawnBridge(stdio, options);
  let exited = false;
  child.once('exit', () => (exited = true));
  const functions = options.env?.BRIDGE_FUNCTIONS?.split(',').filter(Boolean);
  await waitUntil('bridge consumer groups', () => bridgeGroupsStable({ pid: child.pid!, functions }), {
    timeoutMs: 90_000,
    intervalMs: 500,
    isDead: () => exited,
  });
  return child;
}

export interface SupervisedBridge {
  /** The bridge process running now: a new one after each restart. */
  readonly current: ChildProcess | undefined;
  /** Stops the bridge for good (no restart after this). */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts a bridge (resolving once it is a member of its groups) under a Supervisor (infra/supervisor.ts), which starts
 * it again whenever it exits with a failure: a bridge whose watchdog cannot recover a consumer exits 1 rather than live
 * on without it. For the test harness (test/run.ts): unlike npm start, it leaves alone a bridge ended by a signal or
 * exiting 0, because tests stop and kill bridges on purpose.
 */
export async function superviseBridge(
  stdio: 'inherit' | number,
  options: BridgeOptions = {},
  log: (line: string) => void = console.error,
): Promise<SupervisedBridge> {
  const supervisor = new Supervisor({ log });
  await supervisor.add({
    name: 'bridge',
    start: () => startBridge(stdio, options),
    restartWhen: (code) => code !== null && code !== 0,
  });
  return {
    get current() {
      return supervisor.child('bridge');
    },
    stop: (signal = 'SIGTERM') => supervisor.stop(20_000, signal),
  };
}
