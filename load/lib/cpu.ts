import fs from 'node:fs';
import os from 'node:os';
import { runningApiPid, runningSecondApiPid } from '../../infra/api.js';
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
    'serverless-offline (all functions)': [...pid(runningApiPid()), ...pid(runningSecondApiPid())],
    bridge: runningBridges(),
    'provider emulators': emulators,
    'load generator': [process.pid],
    localstack: pid(runningPid('localstack')),
    'prometheus + pushgateway': [...pid(runningPid('prometheus')), ...pid(runningPid('pushgateway'))],
  };
}

/** CPU seconds (user + system) a process used so far, or 0 once it is gone. */
export function cpuSeconds(pid: number): number {
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

// ---------------------------------------------------------------------------------------------------------------
// A quiet machine: the CPU of processes other than the stack's and the load generator's, so that a run
// disturbed by something else on the machine is never mistaken for a regression.

/** One process as /proc/<pid>/stat shows it; CPU in seconds. */
export interface ProcessSample {
  pid: number;
  ppid: number;
  name: string;
  /** Start time (clock ticks after boot): with the pid, tells a process from a later one that reused its pid. */
  start: number;
  /** CPU seconds it used itself (utime + stime). */
  self: number;
  /** CPU seconds of its children it waited for (cutime + cstime): short-lived children end up here. */
  children: number;
}

/** Parses /proc/<pid>/stat (the name, in parentheses, may hold spaces and parentheses). */
export function parseStat(stat: string): ProcessSample | undefined {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const fields = stat
    .slice(close + 2)
    .trim()
    .split(' ');
  const tick = (index: number) => Number(fields[index]) / TICKS_PER_S;
  return {
    pid: Number(stat.slice(0, open).trim()),
    name: stat.slice(open + 1, close),
    ppid: Number(fields[1]),
    self: tick(11) + tick(12),
    children: tick(13) + tick(14),
    start: Number(fields[19]),
  };
}

/** Every process now, keyed by pid and start time (empty off Linux). */
function processTable(): Map<string, ProcessSample> {
  const table = new Map<string, ProcessSample>();
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return table;
  }
  for (const pid of pids) {
    try {
      const sample = parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
      if (sample) table.set(`${sample.pid}:${sample.start}`, sample);
    } catch {
      /* gone meanwhile */
    }
  }
  return table;
}

/** `roots` and every process descending from one of them. */
export function descendants(processes: Iterable<ProcessSample>, roots: Iterable<number>): Set<number> {
  const children = new Map<number, number[]>();
  for (const { pid, ppid } of processes) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const found = new Set<number>();
  const queue = [...roots];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    if (found.has(pid)) continue;
    found.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/**
 * CPU seconds each process outside `tracked` used between two tables. A process first seen in `now` started in
 * between: all of its time counts. A parent's waited-for children count, less those already counted themselves.
 */
export function untrackedUsage(
  before: Map<string, ProcessSample>,
  now: Map<string, ProcessSample>,
  tracked: ReadonlySet<number>,
): Map<string, { sample: ProcessSample; cpu_s: number }> {
  const reapedByParent = new Map<number, number>();
  for (const [key, gone] of before)
    if (!now.has(key)) reapedByParent.set(gone.ppid, (reapedByParent.get(gone.ppid) ?? 0) + gone.self + gone.children);
  const usage = new Map<string, { sample: ProcessSample; cpu_s: number }>();
  for (const [key, sample] of now) {
    if (tracked.has(sample.pid)) continue;
    const previous = before.get(key);
    const used = previous
      ? sample.self -
        previous.self +
        Math.max(0, sample.children - previous.children - (reapedByParent.get(sample.pid) ?? 0))
      : sample.self + sample.children;
    if (used > 0) usage.set(key, { sample, cpu_s: used });
  }
  return usage;
}

export interface MachineNoise {
  /** Wall seconds observed. */
  wall_s: number;
  /** Cores' worth of CPU that processes other than the stack's and the load generator's used, on average. */
  others_cores: number;
  /** The busiest of those processes, with the cores they used on average over the window. */
  top: { pid: number; name: string; cores: number }[];
  /** The load average (1, 5, 15 minutes) at the end of the window. */
  load_average: number[];
}

/** A process's command line, shortened, else its name. */
function commandOf(sample: ProcessSample): string {
  try {
    const command = fs.readFileSync(`/proc/${sample.pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    if (command) return command.length > 120 ? `${command.slice(0, 117)}...` : command;
  } catch {
    /* gone */
  }
  return sample.name;
}

/**
 * Watches, every `intervalMs`, the CPU of every process that is neither one of the stack's components (nor descends
 * from one) nor this process and its children: what else the machine was doing while the bench measured.
 */
export class NoiseMonitor {
  private last = processTable();
  private readonly used = new Map<string, { sample: ProcessSample; name: string; cpu_s: number }>();
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = 1000) {
    this.timer = setInterval(() => this.scan(), intervalMs);
    this.timer.unref();
  }

  private scan(): void {
    const now = processTable();
    const roots = [...Object.values(components()).flat(), process.pid];
    const tracked = descendants([...now.values(), ...this.last.values()], roots);
    for (const [key, { sample, cpu_s }] of untrackedUsage(this.last, now, tracked)) {
      const entry = this.used.get(key);
      if (entry) entry.cpu_s += cpu_s;
      else this.used.set(key, { sample, name: commandOf(sample), cpu_s });
    }
    this.last = now;
  }

  stop(): MachineNoise {
    clearInterval(this.timer);
    this.scan();
    const wall = (performance.now() - this.started) / 1000;
    const total = [...this.used.values()].reduce((sum, entry) => sum + entry.cpu_s, 0);
    const cores = (seconds: number) => Math.round((seconds / Math.max(0.001, wall)) * 1000) / 1000;
    return {
      wall_s: Math.round(wall * 10) / 10,
      others_cores: cores(total),
      top: [...this.used.values()]
        .sort((a, b) => b.cpu_s - a.cpu_s)
        .slice(0, 5)
        .filter((entry) => cores(entry.cpu_s) >= 0.005)
        .map((entry) => ({ pid: entry.sample.pid, name: entry.name, cores: cores(entry.cpu_s) })),
      load_average: os.loadavg().map((value) => Math.round(value * 100) / 100),
    };
  }
}

/** What else the machine does now, watched for `seconds` (before a bench starts). */
export async function machineNoise(seconds = 5): Promise<MachineNoise> {
  const monitor = new NoiseMonitor(500);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  return monitor.stop();
}

/** Above this, in cores, processes other than the stack and the load generator make a run noisy. */
export const NOISY_CORES = 0.05;
