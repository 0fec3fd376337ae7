import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { config } from '@chat4all/shared/config.js';
import { ROOT, STACK_DIR } from '../stack/paths.js';
import { waitUntil } from '../stack/processes.js';

export const emulatorPidFile = path.join(STACK_DIR, 'emulators', 'emulators.pid');

/** The control URLs of the emulators (the providers' base URLs, which point at them locally). */
export const EMULATORS = {
  whatsapp: config.channels.whatsapp.apiUrl,
  instagram: config.channels.instagram.apiUrl,
} as const;

/** Whether both emulators answer their health check. */
export async function emulatorsUp(): Promise<boolean> {
  const answers = await Promise.all(
    Object.values(EMULATORS).map((base) =>
      fetch(`${base}/_control/health`, { signal: AbortSignal.timeout(1000) })
        .then((response) => response.ok)
        .catch(() => false),
    ),
  );
  return answers.every(Boolean);
}

/**
 * Starts the provider emulators unless they already run, resolving once both answer; the child process when this
 * call started it (the caller stops it), undefined when they were running already.
 */
export async function startEmulators(stdio: 'inherit' | number = 'inherit'): Promise<ChildProcess | undefined> {
  if (await emulatorsUp()) return undefined;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'infra/emulators/main.ts')], {
    cwd: ROOT,
    stdio: ['ignore', stdio, stdio],
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  await waitUntil('provider emulators', emulatorsUp, { timeoutMs: 30_000, intervalMs: 250, isDead: () => exited });
  return child;
}
