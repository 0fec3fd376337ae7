import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
// @ts-expect-error plain ESM without types (infra/node-runtime.mjs): projectNode() is the project's Node 24 binary
import { projectNode } from '../../node-runtime.mjs';
import { dockerEngineAnswers } from '../compose.js';
import { ROOT, serviceDir } from '../paths.js';
import { isPortOpen, startDetached } from '../processes.js';
import type { Service } from '../service.js';

const PORT = 4566;
const READINESS_BUCKET = 'chat4all-readiness';
const LOCK = path.join(ROOT, 'infra/stack/localstack/requirements.lock');
/** Chat4All's LocalStack plugin (infra/stack/localstack/plugin): the host-process Lambda executor, Kafka mappings. */
const PLUGIN_DIR = path.join(ROOT, 'infra/stack/localstack/plugin');
/** The Lambda runtime interface client the host-process executor runs each sandbox with. */
export const RUNTIME_CLIENT = path.join(ROOT, 'infra/stack/localstack/runtime/bootstrap.mjs');

const dir = (...parts: string[]): string => serviceDir('localstack', ...parts);
const python = (): string => dir('venv', 'bin', 'python');

/**
 * A Python 3.12+ for the virtualenv (LocalStack 4.14 uses 3.12 syntax). Looks at CHAT4ALL_PYTHON,
 * python3.13/python3.12/python3 on PATH, then pyenv's installed versions.
 */
function hostPython(): string {
  const pyenvRoot = process.env.PYENV_ROOT ?? path.join(os.homedir(), '.pyenv');
  const pyenvPythons = fs.existsSync(path.join(pyenvRoot, 'versions'))
    ? fs
        .readdirSync(path.join(pyenvRoot, 'versions'))
        .filter((version) => /^3\.1[2-9]\./.test(version))
        .sort()
        .reverse()
        .map((version) => path.join(pyenvRoot, 'versions', version, 'bin', 'python3'))
    : [];
  const candidates = [process.env.CHAT4ALL_PYTHON, 'python3.13', 'python3.12', 'python3', ...pyenvPythons];
  for (const candidate of candidates) {
    if (!candidate) continue;
    const probe = spawnSync(
      candidate,
      ['-c', 'import sys, venv; print(sys.version_info[0] * 100 + sys.version_info[1])'],
      {
        encoding: 'utf8',
      },
    );
    if (probe.status === 0 && Number(probe.stdout.trim()) >= 312) return candidate;
  }
  throw new Error('Python 3.12+ with venv not found: install it (or set CHAT4ALL_PYTHON to its python3)');
}

/** Installs (again, when its files changed) the plugin into the virtualenv; LocalStack loads it when it starts. */
function installPlugin(log: (line: string) => void): void {
  const hash = crypto.createHash('sha256');
  for (const file of fs
    .readdirSync(PLUGIN_DIR)
    .filter((name) => name.endsWith('.py'))
    .sort())
    hash.update(file).update(fs.readFileSync(path.join(PLUGIN_DIR, file)));
  const marker = dir('venv', `.plugin-${hash.digest('hex').slice(0, 16)}`);
  if (fs.existsSync(marker)) return;
  log('installing the Chat4All LocalStack plugin (host-process Lambda executor, self-managed Kafka event sources)');
  execFileSync(python(), [path.join(PLUGIN_DIR, 'install.py')], { stdio: ['ignore', 'ignore', 'pipe'] });
  for (const old of fs.readdirSync(dir('venv')).filter((name) => name.startsWith('.plugin-')))
    fs.rmSync(dir('venv', old));
  fs.writeFileSync(marker, `${new Date().toISOString()}\n`);
}

/**
 * Lambda settings of the deploy target (npm run deploy:local). LocalStack community runs function code only in Docker
 * containers; without a Docker engine, the plugin's `host-process` executor runs each execution environment as a
 * host process of the stage's runtime (Node 24: the project's own binary), laid out as Lambda lays it out, frozen
 * between invocations (docs/deploy.md). With Docker, LocalStack's own executor runs containers on the host network,
 * so the 127.0.0.1 addresses of the functions' environment reach Kafka, Cassandra and LocalStack either way.
 * Both ways the plugin's Kafka poller consumes the self-managed Kafka event source mappings.
 */
export function lambdaEnvironment(docker = dockerEngineAnswers(), sandboxDir = dir('lambda')): Record<string, string> {
  // Kafka mappings: the poller long-polls the broker itself, so the worker's pause between rounds stays short.
  const common = { LAMBDA_EVENT_SOURCE_MAPPING_POLL_INTERVAL_SEC: '0.05' };
  if (docker) return { ...common, LAMBDA_DOCKER_NETWORK: 'host' };
  return {
    ...common,
    LAMBDA_RUNTIME_EXECUTOR: 'host-process',
    CHAT4ALL_LAMBDA_RUNTIMES: JSON.stringify({ 'nodejs24.x': projectNode() as string }),
    CHAT4ALL_LAMBDA_RUNTIME_CLIENT: RUNTIME_CLIENT,
    CHAT4ALL_LAMBDA_DIR: sandboxDir,
  };
}

export function localstackService(log: (line: string) => void): Service {
  return {
    name: 'localstack',
    address: `http://127.0.0.1:${PORT} (S3 with SigV4 validation, deploy target)`,
    ports: [PORT],
    readyTimeoutMs: 90_000,

    async install() {
      const hash = crypto.createHash('sha256').update(fs.readFileSync(LOCK)).digest('hex').slice(0, 16);
      const marker = dir('venv', `.installed-${hash}`);
      if (fs.existsSync(marker)) return installPlugin(log);
      // A lock that changed is synced into the existing virtualenv (pip adds or replaces only what differs), never by
      // removing it: a LocalStack running from it (a colleague's stack) keeps running until it is restarted.
      const usable = fs.existsSync(python()) && spawnSync(python(), ['-c', 'import localstack']).status === 0;
      log(
        `${usable ? 'updating' : 'installing'} LocalStack (localstack-core and plugin packages, pinned) in a project-local virtualenv`,
      );
      if (!usable) {
        fs.rmSync(dir('venv'), { recursive: true, force: true });
        execFileSync(hostPython(), ['-m', 'venv', dir('venv')], { stdio: 'inherit' });
      }
      execFileSync(
        python(),
        ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '-r', LOCK],
        {
          stdio: 'inherit',
        },
      );
      for (const old of fs.readdirSync(dir('venv')).filter((name) => name.startsWith('.installed-')))
        fs.rmSync(dir('venv', old));
      fs.writeFileSync(marker, `${new Date().toISOString()}\n`);
      installPlugin(log);
    },

    async start() {
      fs.mkdirSync(dir('volume'), { recursive: true });
      startDetached('localstack', python(), ['-m', 'localstack.runtime.main'], {
        cwd: dir(),
        env: {
          GATEWAY_LISTEN: `127.0.0.1:${PORT}`,
          // Presigned URLs must really be checked: a tampered or expired one is refused.
          S3_SKIP_SIGNATURE_VALIDATION: '0',
          LOCALSTACK_VOLUME_DIR: dir('volume'),
          DNS_ADDRESS: '0',
          SKIP_SSL_CERT_DOWNLOAD: '1',
          DISABLE_EVENTS: '1',
          // The WebSocket API of a deploy (AWS::ApiGatewayV2::*) is a LocalStack Pro feature: skipped, not an error.
          CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES: '1',
          ...lambdaEnvironment(),
        },
      });
    },

    async ready() {
      if (!(await isPortOpen(PORT))) return false;
      return s3PutGetRoundTrip(`http://127.0.0.1:${PORT}`);
    },

    reapOrphans: reapLambdaSandboxes,
  };
}

/**
 * The host-process executor's Lambda sandboxes run in process groups of their own and are frozen (SIGSTOP) between
 * invocations, so a LocalStack that ends without stopping them (killed, or out of time to shut down) leaves them
 * frozen forever. SIGKILL is the one signal a frozen process acts on.
 */
export function reapLambdaSandboxes(): void {
  for (const pid of processesRunning(RUNTIME_CLIENT)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** The processes whose command line names `file`. */
function processesRunning(file: string): number[] {
  const pids: number[] = [];
  if (!fs.existsSync('/proc')) return pids; // no /proc (macOS): nothing to find
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(file)) pids.push(Number(entry));
    } catch {
      /* ended meanwhile */
    }
  }
  return pids;
}

/** Puts a unique object and reads it back through the S3 API. */
export async function s3PutGetRoundTrip(endpoint: string): Promise<boolean> {
  const s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: READINESS_BUCKET })).catch((error: Error) => {
      if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
    });
    const body = crypto.randomUUID();
    await s3.send(new PutObjectCommand({ Bucket: READINESS_BUCKET, Key: 'readiness', Body: body }));
    const got = await s3.send(new GetObjectCommand({ Bucket: READINESS_BUCKET, Key: 'readiness' }));
    return (await got.Body?.transformToString()) === body;
  } finally {
    s3.destroy();
  }
}
