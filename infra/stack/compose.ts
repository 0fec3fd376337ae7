import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './paths.js';

/** Whether a Docker engine answers (not just a docker client on PATH). */
export function dockerEngineAnswers(): boolean {
  const result = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore', timeout: 5000 });
  return result.status === 0;
}

export type StackMode = 'native' | 'compose';

/** STACK=native|compose; by default native, or compose when a Docker engine answers. */
export function stackMode(): StackMode {
  const chosen = process.env.STACK;
  if (chosen === 'native' || chosen === 'compose') return chosen;
  if (chosen) throw new Error(`STACK must be "native" or "compose", not "${chosen}"`);
  return dockerEngineAnswers() ? 'compose' : 'native';
}

export function compose(args: string[]): void {
  execFileSync('docker', ['compose', '-f', path.join(ROOT, 'docker-compose.yml'), ...args], {
    stdio: 'inherit',
    cwd: ROOT,
  });
}
