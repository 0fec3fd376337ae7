import fs from 'node:fs';
import path from 'node:path';
import { machine, REPORTS_DIR } from '../../load/lib/report.js';

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
  /** The same, by provider. */
  duplicates_by_provider?: { whatsapp: number; instagram: number };
  duplicates_on_websocket: number;
  /** WebSocket duplicates per 1,000 messages sent to Chat4All users. */
  websocket_duplicates_per_1000?: number;
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
/** The same report as a Markdown table, the form docs/faults.md records. */
export const FAULTS_TABLE = path.join(REPORTS_DIR, 'faults-latest.md');

function readReport(): FaultsReport {
  try {
    return JSON.parse(fs.readFileSync(FAULTS_REPORT, 'utf8')) as FaultsReport;
  } catch {
    return { machine: machine(), at: new Date().toISOString(), scenarios: [] };
  }
}

/** The report as a Markdown table: one row per scenario. */
export function faultsTable(report: FaultsReport): string {
  const answers = (counts: Record<string, number>) =>
    Object.entries(counts)
      .filter(([status]) => status !== '202')
      .map(([status, n]) => `${n}× ${status}`)
      .join(', ') || 'none';
  return [
    `Measured ${report.at.slice(0, 10)} on ${report.machine}.`,
    '',
    '| scenario | fault | msg/s | acknowledged | delivered | failed | lost | duplicates at providers (WhatsApp + Instagram) | WebSocket duplicates per 1,000 | recovery s | slowest answer s | answers other than 202 (retried) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...report.scenarios.map(
      (s) =>
        `| ${s.name} | ${s.fault} | ${s.rate} | ${s.acknowledged} | ${s.delivered} | ${s.failed} | ${s.lost} | ${s.duplicates_at_provider}${s.duplicates_by_provider ? ` (${s.duplicates_by_provider.whatsapp} + ${s.duplicates_by_provider.instagram})` : ''} | ${s.websocket_duplicates_per_1000 ?? '-'} | ${s.recovery_s} | ${s.slowest_answer_s ?? '-'} | ${answers(s.answers)} |`,
    ),
  ].join('\n');
}

/**
 * Records one scenario's result (replacing its previous one) in load/reports/faults-latest.json and renews
 * load/reports/faults-latest.md; nothing outside load/reports/ is written.
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
  fs.writeFileSync(FAULTS_TABLE, `# Fault suite: the latest result of each scenario\n\n${faultsTable(report)}\n`);
}
