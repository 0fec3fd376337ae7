import { HeadBucketCommand } from '@aws-sdk/client-s3';
import type { Admin } from 'kafkajs';
import { getCassandra } from '../clients/cassandra.js';
import { getKafka } from '../clients/kafka.js';
import { getS3 } from '../clients/s3.js';
import { config } from '../config.js';
import { withTimeout } from '../timeout.js';

export interface DependencyHealth {
  status: 'up' | 'down';
  latency_ms: number;
  error?: string;
}

export type HealthCheck = () => Promise<void>;

const CHECK_TIMEOUT_MS = 2000;

/** Runs one check against its deadline and reports up or down with the time it took. */
export async function runCheck(name: string, check: HealthCheck): Promise<DependencyHealth> {
  const started = performance.now();
  try {
    await withTimeout(check(), CHECK_TIMEOUT_MS, name);
    return { status: 'up', latency_ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { status: 'down', latency_ms: Math.round(performance.now() - started), error: (error as Error).message };
  }
}

let admin: Admin | undefined;

/** Asks the broker for the cluster's metadata over the shared admin connection. */
export const checkKafka: HealthCheck = async () => {
  admin ??= getKafka().admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (error) {
    const broken = admin;
    admin = undefined;
    void broken.disconnect().catch(() => undefined);
    throw error;
  }
};

export const checkCassandra: HealthCheck = async () => {
  await getCassandra().execute('SELECT release_version FROM system.local');
};

export const checkS3: HealthCheck = async () => {
  await getS3().send(new HeadBucketCommand({ Bucket: config.s3.bucket }), {
    abortSignal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
  });
};

export const DEPENDENCY_CHECKS: Record<string, HealthCheck> = {
  kafka: checkKafka,
  cassandra: checkCassandra,
  s3: checkS3,
};

export interface HealthReport {
  status: 'up' | 'down';
  dependencies: Record<string, DependencyHealth>;
  down?: string[];
}

export async function healthReport(checks: Record<string, HealthCheck> = DEPENDENCY_CHECKS): Promise<HealthReport> {
  const names = Object.keys(checks);
  const results = await Promise.all(names.map((name) => runCheck(name, checks[name]!)));
  const dependencies = Object.fromEntries(names.map((name, index) => [name, results[index]!]));
  const down = names.filter((name) => dependencies[name]!.status === 'down');
  return down.length === 0 ? { status: 'up', dependencies } : { status: 'down', dependencies, down };
}
