import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { buildFunctions } from './build.js';
import { isPortOpen, waitUntil } from './stack/processes.js';
import { ROOT } from './stack/paths.js';

export const API = {
  http: 'http://127.0.0.1:8080',
  websocket: 'ws://127.0.0.1:3001',
  lambda: 'http://127.0.0.1:3002',
  httpPort: 8080,
} as const;

export const isApiUp = (): Promise<boolean> => isPortOpen(API.httpPort);

// osls must not reach the network: no telemetry, no update or dashboard notifications.
const OFFLINE_ENV = {
  SLS_TELEMETRY_DISABLED: '1',
  SLS_NOTIFICATIONS_MODE: 'off',
  SLS_DEPRECATION_DISABLE: '*',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/**
 * Builds the bundles and starts serverless-offline (HTTP 8080, WebSocket 3001, Lambda Invoke 3002),
 * resolving once /health answers. Its output goes to `stdio` (inherit in npm start, a log file in tests).
 */
export async function startApi(stdio: 'inherit' | number = 'inherit'): Promise<ChildProcess> {
  await buildFunctions({ quiet: stdio !== 'inherit' });
  const child = spawn(path.join(ROOT, 'node_modules/.bin/osls'), ['offline', 'start', '--stage', 'local'], {
    cwd: ROOT,
    env: { ...process.env, ...OFFLINE_ENV },
    stdio: ['ignore', stdio, stdio],
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  await waitUntil(
    'serverless-offline',
    async () => {
      const response = await fetch(`${API.http}/health`, { signal: AbortSignal.timeout(5000) });
      return response.status === 200 || response.status === 503;
    },
    { timeoutMs: 90_000, intervalMs: 500, isDead: () => exited },
  );
  return child;
}
