import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { config } from '@chat4all/shared/config.js';
import { loadTopics } from '../../infra/provision/kafka-topics.js';
import { ROOT } from '../../infra/stack/paths.js';
import { allServices } from '../../infra/stack/services/index.js';

interface ComposeService {
  ports?: string[];
  network_mode?: string;
  command?: string[] | string;
  volumes?: string[];
}

// docker-compose cannot run here (no Docker engine), so this test keeps it honest against the native stack.
const compose = YAML.parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
};
const commandText = (service: ComposeService): string =>
  Array.isArray(service.command) ? service.command.join(' ') : (service.command ?? '');

/** Whether the compose service serves `port` on the host like the native one does. */
function servesOnHost(service: ComposeService, port: number): boolean {
  if (service.network_mode === 'host') return commandText(service).includes(`:${port}`);
  return (service.ports ?? []).some((mapping) => mapping === `${port}:${port}`);
}

describe('docker-compose.yml agrees with the native stack', () => {
  it('runs every native service on the same client port', () => {
    for (const service of allServices(() => undefined)) {
      const containerised = compose.services[service.name];
      assert.ok(containerised, `compose has ${service.name}`);
      assert.ok(servesOnHost(containerised, service.ports[0]!), `${service.name} on port ${service.ports[0]}`);
    }
  });

  it('creates exactly the topics of infra/kafka/topics.yaml with their partition counts', () => {
    const init = commandText(compose.services['kafka-init']!);
    const created = [...init.matchAll(/--topic (\S+) --partitions (\d+)/g)].map(([, name, partitions]) => ({
      name,
      partitions: Number(partitions),
    }));
    const declared = loadTopics(path.join(ROOT, 'infra/kafka/topics.yaml')).map(({ name, partitions }) => ({
      name,
      partitions,
    }));
    assert.deepEqual(created, declared);
  });

  it('creates the bucket the functions use and keeps S3 signature validation on', () => {
    assert.match(commandText(compose.services['minio-init']!), new RegExp(`local/${config.s3.bucket}\\b`));
    const localstack = YAML.stringify(compose.services.localstack);
    assert.match(localstack, /S3_SKIP_SIGNATURE_VALIDATION: "0"/);
  });

  it('mounts config files that exist in the repository', () => {
    const mounts = Object.values(compose.services).flatMap((service) => service.volumes ?? []);
    assert.ok(mounts.length >= 3);
    for (const mount of mounts) {
      const source = mount.split(':')[0]!;
      if (source.startsWith('./.stack/')) continue; // written at run time by the stack and the bridges
      if (path.isAbsolute(source)) continue; // a host path such as the Docker socket, not a file of ours
      assert.ok(fs.existsSync(path.join(ROOT, source)), `${source} exists`);
    }
    assert.ok(mounts.some((mount) => mount.startsWith('./observability/prometheus.yml:')));
  });

  it('offers Grafana with the provisioning from observability/', () => {
    assert.ok(
      compose.services.grafana?.volumes?.some((mount) => mount.startsWith('./observability/grafana/provisioning:')),
    );
  });
});
