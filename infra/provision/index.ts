import path from 'node:path';
import { getS3 } from '@chat4all/shared/clients/s3.js';
import { createCassandraClient } from '@chat4all/shared/clients/cassandra.js';
import { getKafka } from '@chat4all/shared/clients/kafka.js';
import { config } from '@chat4all/shared/config.js';
import { ROOT } from '../stack/paths.js';
import { migrate } from './cassandra-migrations.js';
import { seedDevUsers } from './dev-users.js';
import { ensureJwtKeys } from './jwt-keys.js';
import { ensureTopics, loadTopics } from './kafka-topics.js';
import { ensureBucket } from './s3-bucket.js';

/** Schema, topics, bucket and development users: everything the functions expect to exist. */
export async function provision(log: (line: string) => void, { seedUsers = true } = {}): Promise<void> {
  ensureJwtKeys(log);
  const db = createCassandraClient();
  try {
    const applied = await migrate(db, {
      keyspace: config.cassandra.keyspace,
      replicationFactor: Number(process.env.CASSANDRA_REPLICATION_FACTOR ?? 1),
      dir: path.join(ROOT, 'infra/cassandra/migrations'),
    });
    log(applied.length > 0 ? `cassandra: applied ${applied.join(', ')}` : 'cassandra: schema up to date');
    if (seedUsers) {
      const seeded = await seedDevUsers(db);
      if (seeded.length > 0) log(`cassandra: seeded development users ${seeded.join(', ')}`);
    }
  } finally {
    await db.shutdown();
  }

  const admin = getKafka().admin();
  await admin.connect();
  try {
    const changes = await ensureTopics(admin, loadTopics(path.join(ROOT, 'infra/kafka/topics.yaml')));
    log(changes.length > 0 ? `kafka: ${changes.join('; ')}` : 'kafka: topics up to date');
  } finally {
    await admin.disconnect();
  }

  // Prometheus reads observability/ at start; a reload picks up edits to its config and rules.
  const reloaded = await fetch('http://127.0.0.1:9090/-/reload', {
    method: 'POST',
    signal: AbortSignal.timeout(5000),
  }).then(
    (response) => response.ok,
    () => false,
  );
  log(
    reloaded
      ? 'prometheus: configuration reloaded'
      : 'prometheus: reload failed (see npm run stack:logs -- prometheus)',
  );

  const created = await ensureBucket(getS3(), config.s3.bucket);
  log(`s3: bucket ${config.s3.bucket} ${created ? 'created' : 'present'}`);
}
