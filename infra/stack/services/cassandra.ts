import fs from 'node:fs';
import path from 'node:path';
import { createCassandraClient } from '@chat4all/shared/clients/cassandra.js';
import { java17, resolveJars } from '../java.js';
import { ROOT, serviceDir } from '../paths.js';
import { isPortOpen, startDetached } from '../processes.js';
import type { Service } from '../service.js';
import { renderTemplate } from '../templates.js';

const PORT = 9042;
const STORAGE_PORT = 7000;
const JMX_PORT = 7199;

const dir = (...parts: string[]): string => serviceDir('cassandra', ...parts);

function jvmOptions(): string[] {
  return fs
    .readFileSync(path.join(ROOT, 'infra/stack/config/cassandra-jvm17.options'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}

export function cassandraService(log: (line: string) => void): Service {
  return {
    name: 'cassandra',
    address: `127.0.0.1:${PORT} (CQL)`,
    ports: [PORT, STORAGE_PORT],
    readyTimeoutMs: 180_000,

    async install() {
      resolveJars(path.join(ROOT, 'infra/stack/maven/cassandra/pom.xml'), dir('libs'), log);
      const values = {
        PORT: String(PORT),
        STORAGE_PORT: String(STORAGE_PORT),
        DATA_DIR: dir('data'),
        LOG_DIR: dir('logs'),
      };
      renderTemplate(path.join(ROOT, 'infra/stack/config/cassandra.yaml'), dir('conf', 'cassandra.yaml'), values);
      renderTemplate(path.join(ROOT, 'infra/stack/config/cassandra-logback.xml'), dir('conf', 'logback.xml'), values);
    },

    async start() {
      const jamm = fs.readdirSync(dir('libs')).find((jar) => jar.startsWith('jamm-'));
      startDetached('cassandra', java17(), [
        ...jvmOptions(),
        ...(jamm ? [`-javaagent:${dir('libs', jamm)}`] : []),
        `-Dcassandra.config=file://${dir('conf', 'cassandra.yaml')}`,
        `-Dcassandra.storagedir=${dir('data')}`,
        `-Dcassandra.logdir=${dir('logs')}`,
        `-Dlogback.configurationFile=${dir('conf', 'logback.xml')}`,
        `-Dcassandra.jmx.local.port=${JMX_PORT}`,
        '-Dcassandra-foreground=yes',
        // One node: no peers to wait for.
        '-Dcassandra.skip_wait_for_gossip_to_settle=0',
        '-Dcassandra.ring_delay_ms=0',
        '-cp',
        `${dir('libs')}/*`,
        'org.apache.cassandra.service.CassandraDaemon',
      ]);
    },

    async ready() {
      if (!(await isPortOpen(PORT))) return false;
      const client = createCassandraClient();
      try {
        const result = await client.execute('SELECT release_version FROM system.local');
        return Boolean(result.first()?.get('release_version'));
      } finally {
        await client.shutdown().catch(() => undefined);
      }
    },
  };
}
