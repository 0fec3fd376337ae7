// Every npm script goes through this file, so `npm start` and `npm test` are the only commands a newcomer needs:
// it brings the project's Node (infra/node-runtime.mjs), installs the Node dependencies with it when they are missing
// or older than package-lock.json (npm ci), then runs the command on that Node.
//   node infra/bootstrap.mjs <entry.ts> [args]     a TypeScript entry point, with tsx
//   node infra/bootstrap.mjs --exec <cmd> [args]   any command (eslint, tsc, ...), the project's Node first on PATH
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectEnv, projectNode } from './node-runtime.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

let node;
try {
  node = projectNode();
} catch (error) {
  console.error(`chat4all: ${error.message}`);
  process.exit(1);
}
const env = projectEnv(node);

const installed = path.join(root, 'node_modules', '.package-lock.json');
const lock = path.join(root, 'package-lock.json');
const stale = !fs.existsSync(installed) || fs.statSync(installed).mtimeMs < fs.statSync(lock).mtimeMs;
if (stale) {
  console.log('installing Node dependencies (npm ci)...');
  // `npm` is a `#!/usr/bin/env node` script: with the project's Node first on PATH, npm itself runs on it.
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const [first, ...rest] = process.argv.slice(2);
const [command, args] =
  first === '--exec' ? [rest[0], rest.slice(1)] : [node, ['--import', 'tsx', path.resolve(root, first), ...rest]];
const child = spawn(command, args, { stdio: 'inherit', cwd: root, env });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
