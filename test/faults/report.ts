import fs from 'node:fs';
import path from 'node:path';
import { machine, REPORTS_DIR } from '../../load/lib/report.js';
import { ROOT } from '../../infra/stack/paths.js';

/** One scenario's line of load/reports/faults-latest.json. */
export interface FaultResult {
  name: string;
  fault: string;
  rate: number;
  acknowledged: number;
  delivered: number;
  failed: number;
  lost: number;
  duplicates: number;
  duplicates_at_provider: number;
  duplicates_on_websocket: number;
  /** Seconds from the heal until every message acknowledged before it had arrived. */
  recovery_s: number;
  /** The slowest answer any request got (a hang counts as HANG_MS), in seconds. */
  slowest_answer_s?: number;
  answers: Record<string, number>;
  at: string;
}

interface FaultsReport {
  machine: string;
  at: string;
  scenarios: FaultResult[];
}

export const FAULTS_REPORT = path.join(REPORTS_DIR, 'faults-latest.json');
const README = path.join(ROOT, 'README.md');
const MARKER = '<!-- faults-results -->';

function readReport(): FaultsReport {
  try {
    return JSON.parse(fs.readFileSync(FAULTS_REPORT, 'utf8')) as FaultsReport;
  } catch {
    return { machine: machine(), at: new Date().toISOString(), scenarios: [] };
  }
}

/** The README table of the report: one row per scenario. */
export function faultsTable(report: FaultsReport): string {
  const answers = (counts: Record<string, number>) =>
    Object.entries(counts)
      .filter(([status]) => status !== '202')
      .map(([status, n]) => `${n}× ${status}`)
      .join(', ') || 'none';
  return [
    `Measured ${report.at.slice(0, 10)} on ${report.machine}.`,
    '',
    '| scenario | fault | msg/s | acknowledged | delivered | failed | lost | duplicates (provider / WebSocket) | recovery s | slowest answer s | answers other than 202 (retried) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...report.scenarios.map(
      (s) =>
        `| ${s.name} | ${s.fault} | ${s.rate} | ${s.acknowledged} | ${s.delivered} | ${s.failed} | ${s.lost} | ${s.duplicates_at_provider} / ${s.duplicates_on_websocket} | ${s.recovery_s} | ${s.slowest_answer_s ?? '-'} | ${answers(s.answers)} |`,
    ),
  ].join('\n');
}

/**
 * Records one scenario's result (replacing its previous one) and renews the README table, unless FAULTS_README=0 (a
 * run whose numbers are not meant for the README, or a tree where others are editing it).
 */
export function recordFaultResult(result: FaultResult): void {
  const report = readReport();
  report.machine = machine();
  report.at = new Date().toISOString();
  report.scenarios = [...report.scenarios.filter((s) => s.name !== result.name), result].sort((a, b) =>
    a.name.localeCompare(b.name),
  );
  fs.mkdirSync(REPORTS_DIR, { recursive: true });
  fs.writeFileSync(FAULTS_REPORT, `${JSON.stringify(report, null, 2)}\n`);
  if (process.env.FAULTS_README === '0') return;
  const readme = fs.readFileSync(README, 'utf8');
  const start = readme.indexOf(MARKER);
  const end = readme.indexOf(`${MARKER.replace('<!-- ', '<!-- /')}`);
  if (start < 0 || end < 0) return;
  fs.writeFileSync(README, `${readme.slice(0, start + MARKER.length)}\n${faultsTable(report)}\n${readme.slice(end)}`);
}
