import crypto from 'node:crypto';
import { ensureDebianPackage } from '../debian.js';
import { serviceDir } from '../paths.js';
import { isPortOpen, startDetached } from '../processes.js';
import type { Service } from '../service.js';

const PORT = 9091;

export function pushgatewayService(log: (line: string) => void): Service {
  return {
    name: 'pushgateway',
    address: `http://127.0.0.1:${PORT}`,
    ports: [PORT],
    readyTimeoutMs: 30_000,

    async install() {
      ensureDebianPackage('prometheus-pushgateway', 'prometheus-pushgateway', log);
    },

    async start() {
      startDetached('pushgateway', 'prometheus-pushgateway', [
        `--web.listen-address=127.0.0.1:${PORT}`,
        `--persistence.file=${serviceDir('pushgateway', 'metrics.db')}`,
        '--persistence.interval=30s',
      ]);
    },

    async ready() {
      if (!(await isPortOpen(PORT))) return false;
      return pushAndReadBack(`http://127.0.0.1:${PORT}`);
    },
  };
}

/** Pushes a unique sample, finds it in /metrics, then deletes the group. */
export async function pushAndReadBack(baseUrl: string): Promise<boolean> {
  const group = `${baseUrl}/metrics/job/chat4all_readiness`;
  const value = crypto.randomInt(1, 100_000);
  const signal = AbortSignal.timeout(3000);
  const pushed = await fetch(group, { method: 'PUT', body: `chat4all_readiness_probe ${value}\n`, signal });
  if (!pushed.ok) return false;
  const metrics = await (await fetch(`${baseUrl}/metrics`, { signal })).text();
  await fetch(group, { method: 'DELETE', signal });
  return metrics.includes(`chat4all_readiness_probe{instance="",job="chat4all_readiness"} ${value}`);
}
