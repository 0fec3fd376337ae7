/**
 * The stack runs on the Node major that serverless.yml declares as the Lambda runtime (nodejs24.x → 24): the API
 * (serverless-offline runs the functions in its own process), every bridge, the provider emulators, and this test
 * process, which is the Node the load generator and the bench run on too.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { runningApiPid } from '../../infra/api.js';
import { emulatorPidFile } from '../../infra/emulators/process.js';
import { runningBridges } from '../../infra/bridge/process.js';
import { ROOT } from '../../infra/stack/paths.js';

function declaredMajor(): number {
  const runtime = YAML.parse(fs.readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8')).provider.runtime as string;
  const match = /^nodejs(\d+)\.x$/.exec(runtime);
  assert.ok(match, `provider.runtime is ${runtime}`);
  return Number(match[1]);
}

/** The version the binary of a running process answers (`/proc/<pid>/exe --version`). */
function nodeVersionOf(pid: number): string {
  const result = spawnSync(fs.readlinkSync(`/proc/${pid}/exe`), ['--version'], { encoding: 'utf8' });
  assert.equal(result.status, 0, `pid ${pid}: ${result.stderr}`);
  return result.stdout.trim();
}

const majorOf = (version: string) => Number(version.replace(/^v/, '').split('.')[0]);

describe('Node runtime', () => {
  const major = declaredMajor();

  it('serverless.yml declares the same runtime for the functions and the shared layer', () => {
    const yml = YAML.parse(fs.readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8'));
    assert.deepEqual(yml.layers.shared.compatibleRuntimes, [yml.provider.runtime]);
  });

  it('the tests and the load generator run on it', () => {
    assert.equal(majorOf(process.version), major);
  });

  it('the API, where the functions run, runs on it', () => {
    const pid = runningApiPid();
    assert.ok(pid, 'serverless-offline is running (started by npm test)');
    assert.equal(majorOf(nodeVersionOf(pid)), major);
  });

  it('every bridge runs on it', () => {
    const pids = runningBridges();
    assert.ok(pids.length > 0, 'a bridge is running');
    for (const pid of pids) assert.equal(majorOf(nodeVersionOf(pid)), major, `bridge ${pid}`);
  });

  it('the provider emulators run on it', () => {
    const pid = Number.parseInt(fs.readFileSync(emulatorPidFile, 'utf8'), 10);
    assert.equal(majorOf(nodeVersionOf(pid)), major);
  });
});
