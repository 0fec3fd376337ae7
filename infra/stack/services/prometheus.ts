import path from 'node:path';
import { ROOT, serviceDir } from '../paths.js';
import { ensureDebianPackage } from '../debian.js';
import { isPortOpen, startDetached } from '../processes.js';
import type { Service } from '../service.js';

const PORT = 9090;

export function prometheusService(log: (line: string) => void): Service {
  return {
    name: 'prometheus',
    address: `http://127.0.0.1:${PORT}`,
    ports: [PORT],
    readyTimeoutMs: 60_000,

    async install() {
      ensureDebianPackage('prometheus', 'prometheus', log);
    },

    async start() {
      startDetached(
        'prometheus',
        'prometheus',
        [
          `--config.file=${path.join(ROOT, 'observability/prometheus.yml')}`,
          `--storage.tsdb.path=${serviceDir('prometheus', 'data')}`,
          '--storage.tsdb.retention.time=7d',
          `--web.listen-address=127.0.0.1:${PORT}`,
          '--web.enable-lifecycle',
        ],
        { cwd: ROOT },
      );
    },

    async ready() {
      if (!(await isPortOpen(PORT))) return false;
      const response = await fetch(`http://127.0.0.1:${PORT}/-/ready`, { signal: AbortSignal.timeout(2000) });
      return response.ok;
    },
  };
}
