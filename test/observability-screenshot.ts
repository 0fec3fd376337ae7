/**
 * The screenshot of docs/observability.md of Prometheus during a load run:
 *   npx tsx test/observability-screenshot.ts [--minutes 3] [--rate 4] [--no-load]
 * drives the dashboards test's load (test/helpers/observability-load.ts, in rounds of 30 messages) at `rate`
 * messages a second for `minutes` against a running stack and API (npm start), then renders Prometheus's graph of accepted vs delivered messages
 * (the recording rules chat4all:messages_accepted:rate1m and chat4all:messages_delivered:rate1m, last 15 minutes)
 * with headless Chromium (Debian's `chromium` package) into docs/prometheus-accepted-vs-delivered.png.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../infra/stack/paths.js';
import { runObservabilityLoad } from './helpers/observability-load.js';

const PROMETHEUS_URL = process.env.PROMETHEUS_URL ?? 'http://127.0.0.1:9090';
const OUTPUT = path.join(ROOT, 'docs', 'prometheus-accepted-vs-delivered.png');

function flag(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

const EXPR = '{__name__=~"chat4all:messages_(accepted|delivered):rate1m"}';

/** Prometheus's graph page with one graph of both series over the last 15 minutes. */
export function graphUrl(base = PROMETHEUS_URL): string {
  const params = new URLSearchParams({
    'g0.expr': EXPR,
    'g0.tab': '0',
    'g0.stacked': '0',
    'g0.show_exemplars': '0',
    'g0.range_input': '15m',
  });
  return `${base}/graph?${params}`;
}

/**
 * Rounds of 30 messages until `minutes` have passed, to a Chat4All user and a WhatsApp number: both report DELIVERED
 * (Instagram has no delivered receipt, so it would only widen the gap between the lines). A round that fails (the API
 * restarting) is logged and skipped.
 */
async function drive(minutes: number, rate: number): Promise<void> {
  const until = Date.now() + minutes * 60_000;
  let accepted = 0;
  while (Date.now() < until) {
    try {
      accepted += (
        await runObservabilityLoad({ messages: 30, channels: ['user', 'whatsapp'], intervalMs: 1000 / rate })
      ).accepted;
      console.log(`${accepted} messages accepted`);
    } catch (error) {
      console.log(`round failed (${(error as Error).message}); retrying in 5 s`);
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    }
  }
}

if (!process.argv.includes('--no-load')) {
  const minutes = flag('minutes', 3);
  const rate = flag('rate', 4);
  console.log(`sending ~${rate} messages a second for ${minutes} minutes`);
  await drive(minutes, rate);
  // Let the last deliveries and two rule evaluations land, so both lines end where the load ended.
  await new Promise((resolve) => setTimeout(resolve, 15_000));
}

/** Both lines must have something to show: each series above zero for at least a minute of the last 15. */
async function checkSeries(): Promise<void> {
  const end = Math.floor(Date.now() / 1000);
  const params = new URLSearchParams({ query: EXPR, start: String(end - 900), end: String(end), step: '15' });
  const response = await fetch(`${PROMETHEUS_URL}/api/v1/query_range?${params}`, {
    signal: AbortSignal.timeout(10_000),
  }).catch((error: Error) => {
    throw new Error(`Prometheus does not answer at ${PROMETHEUS_URL}: ${error.message}`);
  });
  const body = (await response.json()) as {
    data: { result: { metric: Record<string, string>; values: [number, string][] }[] };
  };
  for (const name of ['chat4all:messages_accepted:rate1m', 'chat4all:messages_delivered:rate1m']) {
    const series = body.data.result.find((r) => r.metric.__name__ === name);
    const busy = series?.values.filter(([, value]) => Number(value) > 0).length ?? 0;
    if (busy < 4) throw new Error(`${name} is above zero for ${busy} of the last 60 steps: nothing to show`);
  }
}

await checkSeries();
fs.mkdirSync(path.dirname(OUTPUT), { recursive: true });
// Chromium exits 0 even when the page failed to load: only a new file proves the screenshot.
const shot = path.join(os.tmpdir(), `prometheus-${process.pid}.png`);
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-'));
try {
  execFileSync(
    'chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      `--user-data-dir=${profile}`,
      '--window-size=1400,800',
      '--virtual-time-budget=10000',
      `--screenshot=${shot}`,
      graphUrl(),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 },
  );
} finally {
  fs.rmSync(profile, { recursive: true, force: true });
}
if (!fs.existsSync(shot)) throw new Error('Chromium wrote no screenshot');
fs.copyFileSync(shot, OUTPUT);
fs.rmSync(shot);
console.log(`wrote ${path.relative(ROOT, OUTPUT)}`);
process.exit(0);
