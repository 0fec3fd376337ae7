/**
 * npm run bench [-- --quick]: in one go on this machine, (a) the ceiling — a no-op Middy handler under
 * the same serverless-offline settings, at saturation; (b) the accept path at its maximum sustainable
 * rate (p99 ≤ 100 ms, no errors) and its ratio to (a); (c) end-to-end deliveries per second with
 * p50/p99, lost and duplicates; (d) java-baseline; (e) module init time and bundle size per function; (f) what one
 * delivered message costs on each path (Cassandra statements, Kafka records, invocations, log lines: the table of the
 * cost-budget test). Before it starts and while it measures it watches what else the machine does: a run during which
 * processes other than the stack and the load generator used more than 5 % of a core is flagged as noisy.
 * Its reports, all under load/reports/: latest.json, bench-latest.md (with the run's row for the history table of
 * docs/performance.md) and SVG charts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { isApiUp, startApi } from '../infra/api.js';
import { startBridge } from '../infra/bridge/process.js';
import { buildFunctions } from '../infra/build.js';
import { loadFunctions } from '../infra/functions.js';
import { up } from '../infra/stack/commands.js';
import { ROOT, STACK_DIR } from '../infra/stack/paths.js';
import { waitUntil } from '../infra/stack/processes.js';
import { ApiClient } from './lib/client.js';
import { progressLine, runClosedModel } from './lib/open-model.js';
import { machine, timelineCharts, writeReport } from './lib/report.js';
import { accept } from './scenarios/accept.js';
import { e2e } from './scenarios/e2e.js';
import { javaBaseline } from './scenarios/java-baseline.js';
import { openConversations, sendFixture } from './lib/fixtures.js';
import { pipelineLag } from './lib/lag.js';
import { machineNoise, NoiseMonitor, NOISY_CORES, type CpuProfile, type MachineNoise } from './lib/cpu.js';
import { costTable, measureCostPaths, type PathCost } from './lib/costs.js';
import os from 'node:os';

const quick = process.argv.includes('--quick');
const ACCEPT_SLO = { p99Ms: 100 };
const log = (line: string) => console.log(`[bench] ${line}`);
const children: ChildProcess[] = [];

async function startNoopServer(): Promise<void> {
  const dir = path.join(ROOT, 'load/bench');
  await build({
    entryPoints: [path.join(dir, 'noop.ts'), path.join(dir, 'noop-metrics.ts')],
    outdir: path.join(dir, 'dist'),
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    tsconfig: path.join(ROOT, 'tsconfig.json'),
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
  const child = spawn(path.join(ROOT, 'node_modules/.bin/osls'), ['offline', 'start'], {
    cwd: dir,
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
    stdio: ['ignore', fs.openSync(path.join(STACK_DIR, 'bench-noop.log'), 'w'), 'inherit'],
  });
  children.push(child);
  await waitUntil('no-op server', async () => (await fetch('http://127.0.0.1:8090/noop', { method: 'POST' })).ok, {
    timeoutMs: 60_000,
  });
}

/** (a) saturation: 64 clients back to back, no think time (`route` /noop, or /noop-metrics with the metrics middleware). */
async function noopCeiling(route = '/noop'): Promise<number> {
  const client = new ApiClient('http://127.0.0.1:8090', 64);
  try {
    await runClosedModel({ vus: 32, durationS: 3, thinkMs: () => 0, fire: noopCall(client, route) }); // warm the workers
    const recorder = await runClosedModel({
      vus: 64,
      durationS: quick ? 8 : 15,
      thinkMs: () => 0,
      fire: noopCall(client, route),
      onSecond: progressLine(route),
    });
    return recorder.summary().achieved_rps;
  } finally {
    await client.close();
  }
}

const noopCall = (client: ApiClient, route: string) => async () => {
  const response = await client.call('POST', route, { body: {} });
  return response.status === 200 ? ({ ok: true } as const) : ({ ok: false, kind: `http_${response.status}` } as const);
};

/**
 * Lets the pipeline catch up between steps (every consumer group, not just the router's), so one step's backlog does
 * not load the next.
 */
async function settle(): Promise<void> {
  const deadline = Date.now() + (quick ? 60_000 : 120_000);
  while (Date.now() < deadline && (await pipelineLag()) > 100) {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * (b) rising arrival rates (×1.5 per step) until one breaks p99 ≤ 100 ms with no errors, then two
 * bisection steps between the last rate that held and the one that broke.
 */
async function acceptMax(client: ApiClient, ceiling: number) {
  const fixture = await sendFixture(client, { senders: 16, recipients: 16 });
  await openConversations(client, fixture);
  const stepS = quick ? 6 : 12;
  let best: { rate: number; result: Awaited<ReturnType<typeof accept>> } | undefined;
  const attempt = async (rate: number): Promise<boolean> => {
    await settle();
    const run = await accept(client, { rate, durationS: stepS }, fixture);
    const held = run.summary.errors === 0 && run.summary.p99_ms <= ACCEPT_SLO.p99Ms;
    log(
      `accept at ${rate}/s: p99 ${run.summary.p99_ms} ms, errors ${run.summary.errors} → ${held ? 'holds' : 'breaks'}`,
    );
    if (held && (!best || rate > best.rate)) best = { rate, result: run };
    return held;
  };
  // Not measured: the first sends of a process pay for its JIT and its connections' first statements, and one
  // step's p99 is its slowest 1 %.
  log('accept warm-up at 50/s');
  await accept(client, { rate: 50, durationS: quick ? 5 : 10 }, fixture);
  let rate = 50; // from low: the send path does far more than the no-op (auth, three reads, a Kafka publish)
  let broke: number | undefined;
  while (rate <= ceiling * 1.2) {
    if (!(await attempt(rate))) {
      broke = rate;
      break;
    }
    rate = Math.round(rate * 1.5);
  }
  for (let i = 0; broke !== undefined && best && i < 2; i++) {
    const middle = Math.round((best.rate + broke) / 2);
    if (middle - best.rate < 10) break;
    if (!(await attempt(middle))) broke = middle;
  }
  return { rate: best?.rate ?? 0, result: best?.result };
}

/**
 * (c) end to end at rising rates, then one step halfway between the last that held and the first that broke: the
 * highest rate the pipeline sustained (delivered ≥ 95 % of offered, all of it drained with p99 ≤ 5 s), with where
 * the CPU went during it.
 */
async function e2eMax(client: ApiClient) {
  let best: { rate: number; run: Awaited<ReturnType<typeof e2e>>; profile: CpuProfile } | undefined;
  const attempt = async (rate: number): Promise<boolean> => {
    await settle();
    log(`(c) end to end at ${rate}/s`);
    const run = await e2e(client, { rate, durationS: quick ? 25 : 60 });
    const x = run.extra;
    const held = x.delivered_per_s >= rate * 0.95 && (x.e2e_p99_ms ?? Infinity) <= 5000 && x.lost === 0;
    log(`(c) ${rate}/s: ${x.delivered_per_s} delivered/s, p99 ${x.e2e_p99_ms} ms → ${held ? 'holds' : 'breaks'}`);
    if (!best || (held && rate > best.rate)) best = { rate, run, profile: x.cpu };
    return held;
  };
  let lastHeld: number | undefined;
  let broke: number | undefined;
  for (const rate of quick ? [60, 100] : [60, 100, 140, 180]) {
    if (!(await attempt(rate))) {
      broke = rate;
      break;
    }
    lastHeld = rate;
  }
  if (lastHeld !== undefined && broke !== undefined) await attempt(Math.round((lastHeld + broke) / 2));
  return best!;
}

/** (e) the time to load and initialise each function's bundle in a fresh Node process (a cold start's init). */
function coldStarts(sizes: Record<string, number>): Record<string, { cold_start_ms: number; bundle_kb: number }> {
  const out: Record<string, { cold_start_ms: number; bundle_kb: number }> = {};
  for (const fn of loadFunctions()) {
    const script = `const t=performance.now();await import(${JSON.stringify(path.join(ROOT, fn.bundle))});console.log(performance.now()-t)`;
    const runs = [0, 1, 2].map(() =>
      Number(
        spawnSync(process.execPath, ['--input-type=module', '-e', script], {
          cwd: ROOT,
          encoding: 'utf8',
        }).stdout.trim(),
      ),
    );
    out[fn.name] = {
      cold_start_ms: Math.round(Math.min(...runs) * 10) / 10,
      bundle_kb: Math.round(sizes[fn.name]! / 1024),
    };
  }
  return out;
}

const profileLine = (profile: CpuProfile): string =>
  Object.entries(profile.share)
    .sort(([, a], [, b]) => b - a)
    .map(([name, share]) => `${name} ${Math.round(share * 100)} %`)
    .join(', ') + ` of ${os.cpus().length} cores over ${profile.wall_s} s`;

interface BenchRow {
  noop_ceiling_rps: number;
  accept_max_rps: number;
  accept_p99_ms: number | null;
  e2e_max_msgs_per_s: number;
  e2e_p50_ms: number;
  e2e_p99_ms: number;
  lost: number;
  duplicates: number;
  java_baseline: { msgs_per_min: number; p95_ms: number };
}

/** The run as a row of the history table in docs/performance.md, under that table's header. */
function historyTable(r: BenchRow, noisy: boolean): string {
  return [
    '| date | mode | (a) no-op req/s | (b) accept msg/s (of a) | accept p99 ms | (c) delivered/s | e2e p50 / p99 ms | lost / dup | (d) java-baseline |',
    '|---|---|---|---|---|---|---|---|---|',
    `| ${new Date().toISOString().slice(0, 10)} | ${quick ? 'quick' : 'full'}${noisy ? ' (noisy)' : ''} | ${r.noop_ceiling_rps} | ${r.accept_max_rps} (${Math.round((r.accept_max_rps / r.noop_ceiling_rps) * 100)} %) | ${r.accept_p99_ms} | ${r.e2e_max_msgs_per_s} | ${r.e2e_p50_ms} / ${r.e2e_p99_ms} | ${r.lost} / ${r.duplicates} | ${r.java_baseline.msgs_per_min} msg/min, p95 ${r.java_baseline.p95_ms} ms |`,
  ].join('\n');
}

const percentOfCore = (cores: number): string => `${Math.round(cores * 1000) / 10} %`;

/** One line on what else the machine did, naming the busiest other processes. */
const noiseLine = (noise: MachineNoise): string =>
  `${percentOfCore(noise.others_cores)} of a core over ${noise.wall_s} s, load average ${noise.load_average.join(' / ')}` +
  (noise.top.length > 0
    ? `; busiest: ${noise.top.map((p) => `${p.name.replaceAll('|', '/')} (pid ${p.pid}) ${percentOfCore(p.cores)}`).join('; ')}`
    : '');

// What the machine does before anything starts: a busy machine is seen before the run, not guessed at after it.
const quietBefore = await machineNoise(5);
log(`before the bench, other processes: ${noiseLine(quietBefore)}`);
let noise: NoiseMonitor | undefined;

const started = Date.now();
let api: ChildProcess | undefined;
let bridge: ChildProcess | undefined;
try {
  if (!(await isApiUp())) {
    log('starting the stack, the API and the bridge');
    await up();
    api = await startApi(fs.openSync(path.join(STACK_DIR, 'bench-api.log'), 'w'));
    bridge = await startBridge(fs.openSync(path.join(STACK_DIR, 'bench-bridge.log'), 'w'));
  }
  const sizes = await buildFunctions({ quiet: true });
  await startNoopServer();
  const client = new ApiClient();
  noise = new NoiseMonitor();

  log('(a) no-op ceiling');
  const ceiling = await noopCeiling();
  log(`(a) ${ceiling} req/s`);
  const withMetrics = await noopCeiling('/noop-metrics');
  const metricsOverhead = Math.round((1 - withMetrics / ceiling) * 1000) / 1000;
  log(`(a') with the metrics middleware: ${withMetrics} req/s, overhead ${Math.round(metricsOverhead * 1000) / 10} %`);

  log('(b) accept path');
  const acceptRun = await acceptMax(client, ceiling);

  const { rate: e2eRate, run: e2eRun, profile } = await e2eMax(client);
  log(`(c) CPU by component: ${JSON.stringify(profile.share)}`);

  log('(d) java-baseline');
  await settle();
  const java = await javaBaseline(client, { durationS: quick ? 30 : 120 });

  log('(f) cost per delivered message, by path');
  // A failure here (another deployment consuming the same topics, a path that never delivered) is reported, and the
  // rest of the bench still written.
  let costs: PathCost[] = [];
  let costsError: string | undefined;
  try {
    costs = await measureCostPaths({
      log,
      ...(quick ? { messages: { websocket: 5, whatsapp: 5, group: 2, offline: 5, read: 5 } } : {}),
    });
  } catch (error) {
    costsError = (error as Error).message;
    log(`(f) not measured: ${costsError}`);
  }
  const during = noise.stop();
  const noisy = during.others_cores > NOISY_CORES;
  log(`during the measurement, other processes: ${noiseLine(during)}${noisy ? ' → NOISY RUN' : ''}`);

  log('(e) cold starts and bundle sizes');
  const functions = coldStarts(sizes);
  await client.close();

  const x = e2eRun.extra;
  const num = (value: number | null | undefined): number => value ?? 0;
  const report = {
    machine: machine(),
    at: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    noop_ceiling_rps: ceiling,
    noop_with_metrics_rps: withMetrics,
    metrics_overhead: metricsOverhead,
    accept_max_rps: acceptRun.rate,
    accept_ratio_to_ceiling: Math.round((acceptRun.rate / ceiling) * 1000) / 1000,
    accept_p99_ms: acceptRun.result?.summary.p99_ms ?? null,
    e2e_rate_offered: e2eRate,
    e2e_max_msgs_per_s: num(x.delivered_per_s),
    e2e_p50_ms: num(x.e2e_p50_ms),
    e2e_p99_ms: num(x.e2e_p99_ms),
    lost: num(x.lost),
    duplicates: num(x.duplicates),
    java_baseline: {
      msgs_per_min: (java.extra as { msgs_per_min: number }).msgs_per_min,
      p95_ms: java.summary.p95_ms,
      p99_ms: java.summary.p99_ms,
      errors: java.summary.errors,
    },
    e2e_cpu_profile: {
      ...profile,
      cpu_ms_per_message: e2eRun.extra.cpu_ms_per_delivered,
    },
    functions,
    cost_per_delivery: costsError ? { error: costsError } : costs,
    machine_noise: {
      threshold_cores: NOISY_CORES,
      noisy,
      before: quietBefore,
      during,
    },
    duration_s: Math.round((Date.now() - started) / 1000),
  };
  writeReport('latest.json', `${JSON.stringify(report, null, 2)}\n`);
  for (const run of [acceptRun.result, e2eRun, java]) {
    if (!run) continue;
    const charts = timelineCharts(run.name, run.timeline);
    writeReport(`bench-${run.name}-rate.svg`, charts.rate);
    writeReport(`bench-${run.name}-latency.svg`, charts.latency);
  }
  writeReport(
    'bench-latest.md',
    `# Chat4All bench (${report.mode}), ${report.at}\n\nMachine: ${report.machine}\n\n` +
      (noisy
        ? `**Noisy run: processes other than the stack and the load generator used ${percentOfCore(during.others_cores)} of a core while it measured (more than ${percentOfCore(NOISY_CORES)}): do not compare it with quiet runs.** ${noiseLine(during)}.\n\n`
        : `Quiet run: processes other than the stack and the load generator used ${noiseLine(during)} while it measured (at most ${percentOfCore(NOISY_CORES)}).\n\n`) +
      `Before it started: ${noiseLine(quietBefore)}.\n\n` +
      `| measure | value |\n|---|---|\n` +
      `| (a) no-op ceiling | ${ceiling} req/s |\n| (a') no-op with the metrics middleware | ${withMetrics} req/s: overhead ${Math.round(metricsOverhead * 1000) / 10} % of throughput |\n| (b) accept max (p99 ≤ 100 ms, 0 errors) | ${acceptRun.rate} msg/s = ${Math.round(report.accept_ratio_to_ceiling * 100)} % of (a), p99 ${report.accept_p99_ms} ms |\n` +
      `| (c) end to end | ${x.delivered_per_s} delivered/s offered ${e2eRate}/s, p50 ${x.e2e_p50_ms} ms, p99 ${x.e2e_p99_ms} ms, lost ${x.lost}, duplicates ${x.duplicates} |\n` +
      `| (c') where the CPU went during (c) | ${profileLine(profile)} |\n` +
      `| (d) java-baseline | ${report.java_baseline.msgs_per_min} msg/min (Java: 753), p95 ${report.java_baseline.p95_ms} ms (Java: 2.39), p99 ${report.java_baseline.p99_ms} ms (Java: 4.85), errors ${report.java_baseline.errors} |\n\n` +
      `## Row for the history in docs/performance.md\n\n${historyTable(report, noisy)}\n\n` +
      `## Functions\n\n| function | init (cold start) ms | bundle KB |\n|---|---|---|\n` +
      Object.entries(functions)
        .map(([name, f]) => `| ${name} | ${f.cold_start_ms} | ${f.bundle_kb} |`)
        .join('\n') +
      `\n\n## (f) Cost per delivered message, by path\n\nCounted at the source (Cassandra client, Kafka producer, function invocations, the functions' log lines), ` +
      `messages sent one at a time, each followed until delivered and the pipeline caught up; the cost-budget test ` +
      `(test/integration/cost-budget.test.ts) holds each path to its budget.\n\n${costsError ? `Not measured: ${costsError}\n` : costTable(costs)}\n` +
      costs.map((c) => `- ${c.path}: ${c.description}`).join('\n') +
      `\n\n![accept rate](bench-accept-rate.svg) ![accept latency](bench-accept-latency.svg)\n![e2e rate](bench-e2e-rate.svg) ![e2e latency](bench-e2e-latency.svg)\n`,
  );
  console.log(JSON.stringify(report, null, 2));
} finally {
  noise?.stop();
  for (const child of children) child.kill('SIGTERM');
  bridge?.kill('SIGTERM');
  api?.kill('SIGTERM');
}
process.exit(0);
