import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { APP_COLUMNS, appStatusRows } from '../app-processes.js';
import { runningBridges } from '../bridge/process.js';
import { BRIDGE_COLUMNS, bridgeReport } from '../bridge/status-report.js';
import { provision } from '../provision/index.js';
import { compose, stackMode } from './compose.js';
import { ensureUp, statusOf, stop, type ServiceStatus } from './native.js';
import { serviceDir } from './paths.js';
import { logFile } from './processes.js';
import { allServices, SERVICE_NAMES } from './services/index.js';
import type { Service } from './service.js';

const started = Date.now();
const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)}s`.padStart(7);
export const log = (service: string, line: string): void => console.log(`${elapsed()}  ${service.padEnd(11)} ${line}`);

function printRows(header: readonly string[], rows: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  console.log(`\n${line(header)}\n${line(widths.map((width) => '-'.repeat(width)))}`);
  for (const row of rows) console.log(line(row));
  console.log('');
}

function printTable(statuses: ServiceStatus[]): void {
  const rows = statuses.map((status) => [
    status.service.name,
    status.state,
    status.pid === undefined ? '-' : String(status.pid),
    status.service.address,
    status.detail ?? '',
  ]);
  printRows(['service', 'state', 'pid', 'where', 'note'], rows);
}

export async function up(): Promise<ServiceStatus[]> {
  const mode = stackMode();
  const services = allServices(log);
  let statuses: ServiceStatus[];
  if (mode === 'compose') {
    log('stack', 'STACK=compose: docker compose up');
    compose(['up', '-d']);
    statuses = await Promise.all(services.map((service) => waitReady(service)));
  } else {
    statuses = await Promise.all(services.map((service) => ensureUp(service, (line) => log(service.name, line))));
  }
  await provision((line) => log('provision', line));
  printTable(statuses);
  log('stack', `up (${mode})`);
  return statuses;
}

async function waitReady(service: Service): Promise<ServiceStatus> {
  const deadline = Date.now() + service.readyTimeoutMs;
  while (Date.now() < deadline) {
    const status = await statusOf(service);
    if (status.state === 'up' || status.state === 'external') return status;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`${service.name} was not ready within ${service.readyTimeoutMs / 1000} s`);
}

export async function down(only?: string): Promise<void> {
  if (stackMode() === 'compose' && !only) {
    compose(['down']);
    return;
  }
  const services = allServices(log)
    .filter((service) => !only || service.name === only)
    .reverse();
  for (const service of services) {
    log(service.name, (await stop(service)) ? 'stopped' : 'was not running (under this stack)');
  }
}

/** The services, then each running bridge's consumer groups; non-zero when a service is down or a bridge unwell. */
export async function status(): Promise<number> {
  const statuses = await Promise.all(allServices(log).map((service) => statusOf(service)));
  printTable(statuses);
  printRows(APP_COLUMNS, await appStatusRows());
  const bridges = bridgeReport(runningBridges());
  if (bridges.rows.length > 0) printRows(BRIDGE_COLUMNS, bridges.rows);
  else console.log('no event-source bridge runs (npm start runs one)\n');
  return statuses.every((s) => s.state === 'up' || s.state === 'external') && bridges.healthy ? 0 : 1;
}

export function logs(args: string[]): void {
  const follow = args.includes('-f') || args.includes('--follow');
  const names = args.filter((arg) => !arg.startsWith('-'));
  const wanted = names.length > 0 ? names : [...SERVICE_NAMES];
  const files = wanted.flatMap((name) => {
    const candidates = [logFile(name), serviceDir(name, 'logs', 'server.log'), serviceDir(name, 'logs', 'system.log')];
    return candidates.filter((file) => fs.existsSync(file));
  });
  if (files.length === 0) {
    console.log('no logs yet: run npm run stack:up');
    return;
  }
  spawn('tail', ['-n', '40', ...(follow ? ['-F'] : []), ...files], { stdio: 'inherit' });
}
