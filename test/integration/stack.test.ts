import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { verifyPassword } from '@chat4all/shared/auth/password.js';
import { createCassandraClient } from '@chat4all/shared/clients/cassandra.js';
import { getKafka } from '@chat4all/shared/clients/kafka.js';
import { getS3 } from '@chat4all/shared/clients/s3.js';
import { config } from '@chat4all/shared/config.js';
import { findUserByUsername } from '@chat4all/shared/users/repository.js';
import { loadMigrations } from '../../infra/provision/cassandra-migrations.js';
import { DEV_USERS } from '../../infra/provision/dev-users.js';
import { loadTopics } from '../../infra/provision/kafka-topics.js';
import { ROOT } from '../../infra/stack/paths.js';
import { pushAndReadBack } from '../../infra/stack/services/pushgateway.js';
import { eventually } from '../helpers/api.js';

const stackCli = (command: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'infra/stack/cli.ts'), command], {
    cwd: ROOT,
    encoding: 'utf8',
  });

const db = createCassandraClient({ keyspace: config.cassandra.keyspace });
after(() => db.shutdown());

describe('the native stack', () => {
  it('stack:status exits 0 and lists every service up', () => {
    const result = stackCli('status');
    assert.equal(result.status, 0, result.stdout + result.stderr);
    for (const service of ['kafka', 'cassandra', 'localstack', 'prometheus', 'pushgateway']) {
      assert.match(result.stdout, new RegExp(`^${service}\\s+(up|external)\\b`, 'm'));
    }
  });

  it('stack:up is idempotent: a second run starts nothing', () => {
    const result = stackCli('up');
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.doesNotMatch(result.stdout, /\bstarting\b/);
    assert.match(result.stdout, /topics up to date/);
    assert.match(result.stdout, /schema up to date/);
  });

  it('Kafka has the declared topics with their partitions', async () => {
    const admin = getKafka().admin();
    await admin.connect();
    try {
      const declared = loadTopics(path.join(ROOT, 'infra/kafka/topics.yaml'));
      const metadata = await admin.fetchTopicMetadata({ topics: declared.map((topic) => topic.name) });
      for (const topic of declared) {
        const partitions = metadata.topics.find((t) => t.name === topic.name)?.partitions.length;
        assert.equal(partitions, topic.partitions, topic.name);
      }
    } finally {
      await admin.disconnect();
    }
  });

  it('Cassandra has every migration recorded and the development users with verifiable scrypt hashes', async () => {
    const recorded = (await db.execute('SELECT version FROM schema_migrations')).rows.map((row) => row.get('version'));
    const files = loadMigrations(path.join(ROOT, 'infra/cassandra/migrations')).map((migration) => migration.version);
    assert.deepEqual([...recorded].sort(), files);
    for (const devUser of DEV_USERS) {
      const user = await findUserByUsername(db, devUser.username);
      assert.ok(user, `${devUser.username} is seeded`);
      assert.ok(user.passwordHash.startsWith('scrypt$'));
      assert.equal(await verifyPassword(devUser.password, user.passwordHash), true);
    }
  });

  it('S3 accepts a presigned PUT and refuses one whose signature was tampered with', async () => {
    const key = `stack-test/${crypto.randomUUID()}`;
    const url = await getSignedUrl(getS3(), new PutObjectCommand({ Bucket: config.s3.bucket, Key: key }), {
      expiresIn: 60,
    });
    const ok = await fetch(url, { method: 'PUT', body: 'hello' });
    assert.equal(ok.status, 200);

    const tampered = new URL(url);
    const signature = tampered.searchParams.get('X-Amz-Signature')!;
    tampered.searchParams.set(
      'X-Amz-Signature',
      signature.replace(/^./, (c) => (c === '0' ? '1' : '0')),
    );
    const refused = await fetch(tampered, { method: 'PUT', body: 'hello' });
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /SignatureDoesNotMatch/);
  });

  it('the Pushgateway takes a push and Prometheus scrapes it', async () => {
    assert.equal(await pushAndReadBack('http://127.0.0.1:9091'), true);
    await eventually(
      'prometheus reports the pushgateway target up',
      async () => {
        const response = await fetch('http://127.0.0.1:9090/api/v1/query?query=up%7Bjob%3D%22pushgateway%22%7D');
        const body = (await response.json()) as { data: { result: { value: [number, string] }[] } };
        return body.data.result[0]?.value[1] === '1';
      },
      { timeoutMs: 20_000, intervalMs: 500 },
    );
  });
});
