import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { API, SECOND_API, runningApiPid, startSecondApi } from '../../infra/api.js';
import { stopPid } from '../../infra/app-processes.js';
import { runningBridges, startBridge } from '../../infra/bridge/process.js';
import { STACK_DIR } from '../../infra/stack/paths.js';
import { ApiClient } from '../lib/client.js';
import { cpuSeconds } from '../lib/cpu.js';
import type { ScenarioOptions, ScenarioResult } from '../lib/scenario.js';
import { e2e, type E2eExtra } from './e2e.js';

/** One e2e run, reduced to what the comparison needs, with the CPU seconds of each API and bridge process. */
type Phase = Pick<
  E2eExtra,
  'rate' | 'acknowledged' | 'delivered' | 'lost' | 'duplicates' | 'delivered_per_s' | 'e2e_p50_ms' | 'e2e_p99_ms'
> & {
  cpu_ms_per_delivered: number;
  /** CPU seconds each process used over the phase: the evidence that both instances did a share of the work. */
  cpu_s_by_process: Record<string, number>;
};

export type ScaleOutExtra = { one_instance: Phase; two_instances: Phase; throughput_ratio: number | null };

async function measuredPhase(client: ApiClient, options: ScenarioOptions, processes: Record<string, number>) {
  const before = Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const run = await e2e(client, options);
  const extra = run.extra;
  const phase: Phase = {
    rate: extra.rate,
    acknowledged: extra.acknowledged,
    delivered: extra.delivered,
    lost: extra.lost,
    duplicates: extra.duplicates,
    delivered_per_s: extra.delivered_per_s,
    e2e_p50_ms: extra.e2e_p50_ms,
    e2e_p99_ms: extra.e2e_p99_ms,
    cpu_ms_per_delivered: extra.cpu_ms_per_delivered.total ?? 0,
    cpu_s_by_process: Object.fromEntries(
      Object.entries(processes).map(([name, pid]) => [name, Math.round((cpuSeconds(pid) - before[name]!) * 10) / 10]),
    ),
  };
  return { run, phase };
}

/**
 * scale-out: the same e2e load, first on one API process and one bridge (npm start's), then with a second of each in
 * the same consumer groups: the second bridge invokes the second API's functions, and sends alternate between the
 * two. It shows that instances share the load with nothing lost or duplicated, and how throughput changes on this
 * machine (on 2 cores every process already competes for the same CPU, so it need not grow).
 */
export async function scaleOut(
  client: ApiClient,
  options: ScenarioOptions = {},
): Promise<ScenarioResult<ScaleOutExtra>> {
  const firstApi = runningApiPid();
  const bridges = runningBridges();
  const [firstBridge] = bridges;
  if (firstApi === undefined || firstBridge === undefined || bridges.length !== 1) {
    throw new Error('scale-out needs npm start running: one API and one bridge');
  }
  const one = await measuredPhase(client, options, { 'api 1': firstApi, 'bridge 1': firstBridge });

  const logDir = path.join(STACK_DIR, 'api');
  fs.mkdirSync(logDir, { recursive: true });
  const log = fs.openSync(path.join(logDir, 'scale-out.log'), 'a');
  let secondApi: ChildProcess | undefined;
  let secondBridge: ChildProcess | undefined;
  const both = new ApiClient([API.http, SECOND_API.http]);
  try {
    secondApi = await startSecondApi(log);
    secondBridge = await startBridge(log, {
      detached: true,
      env: { LAMBDA_ENDPOINT: SECOND_API.lambda, BRIDGE_METRICS_PORT: '9465' },
    });
    const two = await measuredPhase(both, options, {
      'api 1': firstApi,
      'api 2': secondApi.pid!,
      'bridge 1': firstBridge,
      'bridge 2': secondBridge.pid!,
    });
    const ratio = one.phase.delivered_per_s > 0 ? two.phase.delivered_per_s / one.phase.delivered_per_s : null;
    return {
      ...two.run,
      name: 'scale-out',
      extra: {
        one_instance: one.phase,
        two_instances: two.phase,
        throughput_ratio: ratio === null ? null : Math.round(ratio * 100) / 100,
      },
    };
  } finally {
    await both.close();
    if (secondBridge?.pid) await stopPid(secondBridge.pid);
    if (secondApi?.pid) await stopPid(secondApi.pid);
    fs.rmSync(path.join(logDir, SECOND_API.pidFile), { force: true });
    fs.closeSync(log);
  }
}
