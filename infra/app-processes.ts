/**
 * The project's own long-running processes besides the stack's services: npm start's supervisor, the API
 * (serverless-offline), the bridges and the provider emulators. Each is found from its pid file and checked against
 * /proc/<pid>/cmdline, so a pid the kernel handed to another program is never taken for ours.
 */
import path from 'node:path';
import { API, runningApiPid, runningSecondApiPid } from './api.js';
import { runningBridges } from './bridge/process.js';
import { emulatorPidFile } from './emulators/process.js';
import { STACK_DIR } from './stack/paths.js';
import { delay, isAlive, isPortOpen, livePidFrom } from './stack/processes.js';

export const supervisorPidFile = path.join(STACK_DIR, 'start.pid');

/** The running npm start (its supervisor process), if any. */
export const runningSupervisor = (): number | undefined => livePidFrom(supervisorPidFile, 'infra/start.ts');

export const runningEmulators = (): number | undefined => livePidFrom(emulatorPidFile, 'infra/emulators/main.ts');

export interface AppProcess {
  name: string;
  pid: number;
}

/** The API, bridges and emulators running now, whoever started them. */
export function runningAppProcesses(): AppProcess[] {
  const api = runningApiPid();
  const secondApi = runningSecondApiPid();
  const emulators = runningEmulators();
  return [
    ...(api === undefined ? [] : [{ name: 'api', pid: api }]),
    ...(secondApi === undefined ? [] : [{ name: 'second api', pid: secondApi }]),
    ...runningBridges().map((pid) => ({ name: 'bridge', pid })),
    ...(emulators === undefined ? [] : [{ name: 'emulators', pid: emulators }]),
  ];
}

/** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
export async function stopPid(pid: number, graceMs = 15_000): Promise<void> {
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      /* already gone */
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await delay(100);
  if (isAlive(pid)) signal('SIGKILL');
  while (isAlive(pid)) await delay(100);
}

/** The ports npm start serves on; one still open after ours are stopped belongs to another program. */
export const APP_PORTS = [API.httpPort, 3001, 3002, 4010, 4011] as const;

export async function busyPorts(): Promise<number[]> {
  const open = await Promise.all(APP_PORTS.map(async (port) => ((await isPortOpen(port)) ? port : undefined)));
  return open.filter((port): port is (typeof APP_PORTS)[number] => port !== undefined);
}

export const APP_COLUMNS = ['process', 'pid', 'health'] as const;

async function answers(url: string): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return `${response.status === 200 ? 'up' : 'degraded'} (${url} → ${response.status})`;
  } catch {
    return `no answer (${url})`;
  }
}

/** npm start, the API and the emulators, with their pids and whether they answer (bridges have their own table). */
export async function appStatusRows(): Promise<string[][]> {
  const supervisor = runningSupervisor();
  const api = runningApiPid();
  const emulators = runningEmulators();
  const bridges = runningBridges();
  return [
    [
      'npm start',
      supervisor === undefined ? '-' : String(supervisor),
      supervisor === undefined ? 'not running' : 'supervising',
    ],
    [
      'api',
      api === undefined ? '-' : String(api),
      api === undefined ? 'not running' : await answers(`${API.http}/health`),
    ],
    [
      'emulators',
      emulators === undefined ? '-' : String(emulators),
      emulators === undefined ? 'not running' : await answers('http://127.0.0.1:4010/_control/health'),
    ],
    ['bridges', bridges.length === 0 ? '-' : bridges.join(' '), bridges.length === 0 ? 'not running' : 'see below'],
  ];
}
