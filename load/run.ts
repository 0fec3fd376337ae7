/**
 * npm run load -- <scenario> [--rate N] [--duration S]
 * Scenarios: warmup, java-baseline, spike, file-upload, soak, breakpoint, accept, e2e, scale-out.
 * Runs against a running stack and API (npm start). Writes load/reports/<scenario>-latest.json and SVG charts.
 */
import os from 'node:os';
import { ApiClient } from './lib/client.js';
import { cpuProfile } from './lib/cpu.js';
import { LoadMetrics } from './lib/pushgateway.js';
import { Recorder } from './lib/recorder.js';
import { machine, timelineCharts, writeReport } from './lib/report.js';
import type { ScenarioOptions, ScenarioResult } from './lib/scenario.js';
import { accept } from './scenarios/accept.js';
import { breakpoint } from './scenarios/breakpoint.js';
import { e2e } from './scenarios/e2e.js';
import { fileUpload } from './scenarios/file-upload.js';
import { scaleOut } from './scenarios/scale-out.js';
import { javaBaseline } from './scenarios/java-baseline.js';
import { soak } from './scenarios/soak.js';
import { spike } from './scenarios/spike.js';
import { warmup } from './scenarios/warmup.js';

const SCENARIOS: Record<string, (client: ApiClient, options: ScenarioOptions) => Promise<ScenarioResult>> = {
  warmup,
  'java-baseline': javaBaseline,
  spike,
  'file-upload': fileUpload,
  soak,
  breakpoint,
  accept,
  e2e,
  'scale-out': scaleOut,
};

function flag(name: string): number | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : undefined;
}

const name = process.argv[2];
const scenario = name ? SCENARIOS[name] : undefined;
if (!scenario) {
  console.error(`usage: npm run load -- <${Object.keys(SCENARIOS).join(' | ')}> [--rate N] [--duration S]`);
  process.exit(2);
}
const client = new ApiClient();
const metrics = new LoadMetrics(name!);
Recorder.observer = (ok, latencyMs) => metrics.record(ok, latencyMs === undefined ? undefined : latencyMs / 1000);
try {
  const { value: outcome, profile } = await cpuProfile(os.cpus().length, () =>
    scenario(client, { rate: flag('rate'), durationS: flag('duration') }),
  );
  const report = { machine: machine(), at: new Date().toISOString(), ...outcome, cpu: profile };
  writeReport(`${name}-latest.json`, `${JSON.stringify(report, null, 2)}\n`);
  const charts = timelineCharts(name!, outcome.timeline);
  writeReport(`${name}-rate.svg`, charts.rate);
  writeReport(`${name}-latency.svg`, charts.latency);
  console.log(`\n${JSON.stringify({ summary: outcome.summary, ...outcome.extra, cpu_share: profile.share }, null, 2)}`);
} finally {
  await metrics.stop();
  await client.close();
}
process.exit(0);
