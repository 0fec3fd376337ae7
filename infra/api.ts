import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildFunctions } from './build.js';
import { isPortOpen, isProcessOf, livePidFrom, readPid, waitUntil } from './stack/processes.js';
import { ROOT, serviceDir } from './stack/paths.js';

export const API = {
  http: 'http://127.0.0.1:8080',
  websocket: 'ws://127.0.0.1:3001',
  lambda: 'http://127.0.0.1:3002',
  httpPort: 8080,
} as const;

/**
 * A second serverless-offline process, for the scale-out demonstration (load/scenarios/scale-out.ts): its own HTTP and
 * Lambda ports. WebSocket clients stay on the first, as they would on one API Gateway endpoint; functions running here
 * push through the first's management endpoint (WEBSOCKET_MANAGEMENT_ENDPOINT).
 */
export const SECOND_API = {
  http: 'http://127.0.0.1:8081',
  lambda: 'http://127.0.0.1:3012',
  httpPort: 8081,
  websocketPort: 3011,
  lambdaPort: 3012,
  pidFile: 'api-2.pid',
} as const;

export const isApiUp = (): Promise<boolean> => isPortOpen(API.httpPort);

// osls must not reach the network: no telemetry, no update or dashboard notifications. Its own two lines per
// invocation (route, then RequestId and Duration) cost the API's single thread about 5 % of its CPU under load and
// say less than our access log: warnings and errors only (SLS_LOG_LEVEL=notice brings them back).
const OFFLINE_ENV = {
  SLS_LOG_LEVEL: process.env.SLS_LOG_LEVEL ?? 'warning',
  SLS_TELEMETRY_DISABLED: '1',
  SLS_NOTIFICATIONS_MODE: 'off',
};

/** The serverless-offline process started by startApi, while it runs (its pid file is .stack/api/api.pid). */
export function runningApiPid(): number | undefined {
  const pid = readPid('api');
  return pid !== undefined && isProcessOf(pid, 'osls') ? pid : undefined;
}

/** The second serverless-offline process (startSecondApi), while it runs. */
export function runningSecondApiPid(): number | undefined {
  return livePidFrom(serviceDir('api', SECOND_API.pidFile), 'osls');
}

/**
 * Builds the bundles and starts serverless-offline (HTTP 8080, WebSocket 3001, Lambda Invoke 3002),
 * resolving once /health answers. Its output goes to `stdio` (inherit in npm start, a log file in tests).
 */
export async function startApi(
  stdio: 'inherit' | number = 'inherit',
  {
    detached = false,
    build = true,
    readyTimeoutMs = 120_000,
  }: { detached?: boolean; build?: boolean; readyTimeoutMs?: number } = {},
): Promise<ChildProcess> {
  if (build) await buildFunctions({ quiet: stdio !== 'inherit' });
  return startOffline(
    { args: [], pidFile: 'api.pid', healthUrl: `${API.http}/health` },
    stdio,
    detached,
    readyTimeoutMs,
  );
}

/** Starts the second serverless-offline process on the bundles built already (see SECOND_API). */
export function startSecondApi(stdio: 'inherit' | number): Promise<ChildProcess> {
  const args = [
    '--httpPort',
    `${SECOND_API.httpPort}`,
    '--websocketPort',
    `${SECOND_API.websocketPort}`,
    '--lambdaPort',
    `${SECOND_API.lambdaPort}`,
  ];
  return startOffline(
    { args, pidFile: SECOND_API.pidFile, healthUrl: `${SECOND_API.http}/health` },
    stdio,
    true,
    120_000,
  );
}

async function startOffline(
  instance: { args: string[]; pidFile: string; healthUrl: string },
  stdio: 'inherit' | number,
  detached: boolean,
  readyTimeoutMs: number,
): Promise<ChildProcess> {
  const child = spawn(
    path.join(ROOT, 'node_modules/.bin/osls'),
    ['offline', 'start', '--stage', 'local', ...instance.args],
    {
      cwd: ROOT,
      env: { ...process.env, ...OFFLINE_ENV },
      stdio: ['ignore', stdio, stdio],
      detached,
    },
  );
  if (detached) child.unref();
  fs.mkdirSync(serviceDir('api'), { recursive: true });
  fs.writeFileSync(serviceDir('api', instance.pidFile), `${child.pid}\n`);
  let exited = false;
  child.once('exit', () => (exited = true));
  await waitUntil(
    'serverless-offline',
    async () => {
      // Generous: a process restarted under load meets every client's retry at once before it answers this (the fault
      // suite's restart has seen /health answer after 26 s; an attempt abandoned sooner is never answered).
      const response = await fetch(instance.healthUrl, { signal: AbortSignal.timeout(60_000) });
      return response.status === 200 || response.status === 503;
    },
    { timeoutMs: readyTimeoutMs, intervalMs: 500, isDead: () => exited },
  );
  return child;
}
