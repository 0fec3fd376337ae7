import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ROOT, serviceDir } from '../paths.js';
import { isPortOpen, startDetached } from '../processes.js';
import type { Service } from '../service.js';

const PORT = 4566;
const READINESS_BUCKET = 'chat4all-readiness';
const LOCK = path.join(ROOT, 'infra/stack/localstack/requirements.lock');

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

export function localstackService(log: (line: string) => void): Service {
  return {
    name: 'localstack',
    address: `http://127.0.0.1:${PORT} (S3 with SigV4 validation, deploy target)`,
    ports: [PORT],
    readyTimeoutMs: 90_000,

    async install() {
      const hash = crypto.createHash('sha256').update(fs.readFileSync(LOCK)).digest('hex').slice(0, 16);
      const marker = dir('venv', `.installed-${hash}`);
      if (fs.existsSync(marker)) return;
      log('installing LocalStack (localstack-core, pinned) into a project-local virtualenv');
      fs.rmSync(dir('venv'), { recursive: true, force: true });
      execFileSync(hostPython(), ['-m', 'venv', dir('venv')], { stdio: 'inherit' });
      execFileSync(
        python(),
        ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '-r', LOCK],
        {
          stdio: 'inherit',
        },
      );
      fs.writeFileSync(marker, `${new Date().toISOString()}\n`);
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
        },
      });
    },

    async ready() {
      if (!(await isPortOpen(PORT))) return false;
      return s3PutGetRoundTrip(`http://127.0.0.1:${PORT}`);
    },
  };
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
