import { spawn, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { serviceDir } from './paths.js';

/** Processes the stack started, tracked by pid files in .stack/<service>/<service>.pid. */

const pidFile = (service: string): string => serviceDir(service, `${service}.pid`);
export const logFile = (service: string): string => serviceDir(service, 'logs', 'stdout.log');

export function readPid(service: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(pidFile(service), 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process exists and is not a zombie (an exited child its parent has not reaped yet). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): kill(0) is all we can know
  }
}

/**
 * Whether `pid` is alive and its command line contains `marker`: a pid file outlives its process, and the kernel
 * hands the pid to the next process (a Kafka broker, say), which must never be signalled in its place.
 */
export function isProcessOf(pid: number, marker: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return true; // no /proc (macOS): kill(0) is all we can know
  }
}

/** The pid in `file` when that process is still ours (its command line has `marker`); a stale file is removed. */
export function livePidFrom(file: string, marker: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
    if (Number.isInteger(pid) && pid > 0 && isProcessOf(pid, marker)) return pid;
  } catch {
    return undefined;
  }
  fs.rmSync(file, { force: true }); // a stale pid file
  return undefined;
}

/** The pid of the service's process when it is alive, else undefined (and a stale pid file is removed). */
export function runningPid(service: string): number | undefined {
  const pid = readPid(service);
  if (pid === undefined) return undefined;
  if (isAlive(pid)) return pid;
  fs.rmSync(pidFile(service), { force: true });
  return undefined;
}

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Starts a detached process whose output goes to the service's log and records its pid. */
export function startDetached(service: string, command: string, args: string[], options: StartOptions = {}): number {
  const log = logFile(service);
  fs.mkdirSync(path.dirname(log), { recursive: true });
  const out = fs.openSync(log, 'a');
  fs.writeSync(out, `\n==== ${new Date().toISOString()} starting ${command} ${args.join(' ')}\n`);
  const spawnOptions: SpawnOptions = {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    detached: true,
    stdio: ['ignore', out, out],
  };
  const child = spawn(command, args, spawnOptions);
  fs.closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${service} (${command})`);
  child.unref();
  lowerSessionPriority(child.pid);
  fs.writeFileSync(pidFile(service), `${child.pid}\n`);
  return child.pid;
}

/**
 * How much the services (Kafka, Cassandra, LocalStack, Prometheus) yield the CPU to the app's processes when both want
 * it: the nice value of each service's session. Linux shares the CPU between sessions first (autogroups), so a JVM
 * starting up with a dozen busy threads gets no more than one session's share either way; but co-located on a small
 * machine, the API's single event loop must come first, or a broker restart starves it until callers' connects time out
 * (the fault suite's Kafka restart saw answers after 15 s while the API was idle for want of CPU). 0 turns it off.
 */
const SERVICE_NICE = Number(process.env.CHAT4ALL_SERVICE_NICE ?? 10);

/** A detached child leads its own session: setting its autogroup's nice value (Linux) lowers the whole service. */
function lowerSessionPriority(pid: number): void {
  if (!SERVICE_NICE) return;
  try {
    fs.writeFileSync(`/proc/${pid}/autogroup`, String(SERVICE_NICE));
  } catch {
    /* not Linux, or autogroups off: per-process nice would not help between sessions anyway */
  }
}

/** Stops the service's process group: SIGTERM, then SIGKILL after `graceMs`. Returns whether it was running. */
export async function stopProcess(service: string, graceMs = 20_000): Promise<boolean> {
  const pid = runningPid(service);
  if (pid === undefined) return false;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await delay(200);
  if (isAlive(pid)) signalGroup(pid, 'SIGKILL');
  while (isAlive(pid)) await delay(100);
  fs.rmSync(pidFile(service), { force: true });
  return true;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether something accepts TCP connections on host:port. */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Polls `check` until it resolves true, or throws after `timeoutMs` with the last error. */
export async function waitUntil(
  label: string,
  check: () => Promise<boolean>,
  { timeoutMs, intervalMs = 500, isDead }: { timeoutMs: number; intervalMs?: number; isDead?: () => boolean },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (isDead?.()) throw new Error(`${label}: the process exited while starting`);
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`${label} was not ready within ${Math.round(timeoutMs / 1000)} s${reason}`);
    }
    await delay(intervalMs);
  }
}
