import fs from 'node:fs';
import { runningApiPid } from '../../infra/api.js';
import { runningBridges } from '../../infra/bridge/process.js';
import { emulatorPidFile } from '../../infra/emulators/process.js';
import { runningPid } from '../../infra/stack/processes.js';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;

/** The processes of a running system, by the component they are. */
function components(): Record<string, number[]> {
  const pid = (value: number | undefined) => (value === undefined ? [] : [value]);
  let emulators: number[] = [];
  try {
    emulators = [Number.parseInt(fs.readFileSync(emulatorPidFile, 'utf8'), 10)];
  } catch {
    /* not started from a pid file */
  }
  return {
    cassandra: pid(runningPid('cassandra')),
    kafka: pid(runningPid('kafka')),
    'serverless-offline (all functions)': pid(runningApiPid()),
    bridge: runningBridges(),
    'provider emulators': emulators,
    'load generator': [process.pid],
    localstack: pid(runningPid('localstack')),
    'prometheus + pushgateway': [...pid(runningPid('prometheus')), ...pid(runningPid('pushgateway'))],
  };
}

/** CPU seconds (user + system) a process used so far, or 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S; // utime, stime (fields 14 and 15 of stat)
  } catch {
    return 0;
  }
}

export interface CpuProfile {
  /** CPU seconds per component over the window. */
  cpu_s: Record<string, number>;
  /** Share of the machine's capacity (cores × wall time) each component used. */
  share: Record<string, number>;
  wall_s: number;
}

/**
 * Where the machine's CPU goes while something runs: CPU seconds of each component's processes, read from /proc
 * before and after (Linux only; elsewhere every figure is 0).
 */
export async function cpuProfile<T>(cores: number, run: () => Promise<T>): Promise<{ value: T; profile: CpuProfile }> {
  const pids = components();
  const before = new Map(Object.values(pids).flatMap((list) => list.map((pid) => [pid, cpuSeconds(pid)] as const)));
  const started = performance.now();
  const value = await run();
  const wall = (performance.now() - started) / 1000;
  const cpu: Record<string, number> = {};
  const share: Record<string, number> = {};
  for (const [name, list] of Object.entries(pids)) {
    const used = list.reduce((sum, pid) => sum + Math.max(0, cpuSeconds(pid) - (before.get(pid) ?? 0)), 0);
    cpu[name] = Math.round(used * 10) / 10;
    share[name] = Math.round((used / (wall * cores)) * 1000) / 1000;
  }
  return { value, profile: { cpu_s: cpu, share, wall_s: Math.round(wall * 10) / 10 } };
}

/** Milliseconds of CPU each component spent per message, and in all (`total`). */
export function cpuPerMessage(profile: CpuProfile, messages: number): Record<string, number> {
  const perMessage = (seconds: number) => (messages > 0 ? Math.round((seconds * 1000 * 100) / messages) / 100 : 0);
  const used = Object.entries(profile.cpu_s).filter(([, seconds]) => seconds > 0);
  const total = used.reduce((sum, [, seconds]) => sum + seconds, 0);
  return {
    ...Object.fromEntries(used.map(([name, seconds]) => [name, perMessage(seconds)])),
    total: perMessage(total),
  };
}

/** Resident memory (MB) of each component's processes now, from /proc/<pid>/status (0 when gone or not Linux). */
export function residentMemoryMb(): Record<string, number> {
  const rssKb = (pid: number): number => {
    try {
      const match = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      return match ? Number(match[1]) : 0;
    } catch {
      return 0;
    }
  };
  return Object.fromEntries(
    Object.entries(components()).map(([name, pids]) => [
      name,
      Math.round(pids.reduce((sum, pid) => sum + rssKb(pid), 0) / 1024),
    ]),
  );
}
