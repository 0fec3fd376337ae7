import fs from 'node:fs';
import path from 'node:path';
import { STACK_DIR } from '../stack/paths.js';
import type { GroupLivenessSnapshot } from './liveness.js';

/** What a running bridge writes after each look at its groups, for `npm run stack:status` and the tests. */
export interface BridgeStatus {
  pid: number;
  metricsPort: number | null;
  startedAt: string;
  /** When the bridge last wrote this file: a stalled or hung bridge stops renewing it. */
  updatedAt: string;
  groups: GroupLivenessSnapshot[];
}

const statusFile = (pid: number): string => path.join(STACK_DIR, 'bridge', `${pid}.status.json`);

/** Replaced atomically (write, then rename), so a reader never sees half a file. */
export function writeBridgeStatus(status: BridgeStatus): void {
  const file = statusFile(status.pid);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(status, null, 2)}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

export function removeBridgeStatus(pid: number): void {
  fs.rmSync(statusFile(pid), { force: true });
}

export function readBridgeStatus(pid: number): BridgeStatus | undefined {
  try {
    return JSON.parse(fs.readFileSync(statusFile(pid), 'utf8')) as BridgeStatus;
  } catch {
    return undefined;
  }
}
