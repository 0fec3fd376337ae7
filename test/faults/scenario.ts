import crypto from 'node:crypto';
import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { ApiClient } from '../../load/lib/client.js';
import { delay } from '../../infra/stack/processes.js';
import { serverLinesAbout } from './server-logs.js';
import { audit, countDuplicates, type Audit, type Duplicates } from './audit.js';
import { faultFixture } from './fixture.js';
import { recordFaultResult, type FaultResult } from './report.js';
import { SteadyTraffic } from './traffic.js';

/** Messages per second of the steady load (FAULTS_RATE), spread over Chat4All, WhatsApp and Instagram recipients. */
export const FAULTS_RATE = Number(process.env.FAULTS_RATE ?? 100);
/** Seconds of steady load before the fault, and after the heal. */
const STEADY_S = 10;
/** How long the system gets to deliver everything after the load stopped. */
const DRAIN_MS = 180_000;

export interface FaultScenario {
  name: string;
  /** What breaks, for the report. */
  fault: string;
  /** Breaks something, heals it, and resolves once healed; the load runs throughout. */
  inject: () => Promise<void>;
}

export interface FaultOutcome {
  result: FaultResult;
  duplicates: Duplicates;
  audit: Audit;
  traffic: SteadyTraffic;
}

const perThousand = (count: number, of: number): number => (of === 0 ? 0 : Math.round((count / of) * 10_000) / 10);

/** Seconds from the heal until every message acknowledged before it had arrived (or FAILED). */
function recoverySeconds(messages: { id: string; acceptedAt: number }[], audited: Audit, healedAt: number): number {
  let last = healedAt;
  for (const message of messages) {
    if (message.acceptedAt > healedAt) continue;
    const doneAt = audited.states.get(message.id)?.doneAt;
    if (doneAt !== undefined && Number.isFinite(doneAt)) last = Math.max(last, doneAt);
  }
  return Math.round((last - healedAt) / 100) / 10;
}

/**
 * Steady load → the fault → the heal → more load → drain → audit: every acknowledged message delivered, FAILED with
 * a reason, or lost; duplicates counted at the providers and on the recipients' WebSockets. Records the result in
 * load/reports/faults-latest.json and faults-latest.md.
 */
export async function runFaultScenario(scenario: FaultScenario): Promise<FaultOutcome> {
  const client = new ApiClient();
  const fixture = await faultFixture(client);
  await client.close();
  const traffic = new SteadyTraffic(fixture.targets, `${scenario.name} ${crypto.randomBytes(3).toString('hex')}`);
  try {
    traffic.start(FAULTS_RATE);
    await delay(STEADY_S * 1000);
    console.log(`# ${scenario.name}: ${scenario.fault}`);
    await scenario.inject();
    const healedAt = Date.now();
    await delay(STEADY_S * 1000);
    await traffic.stop();

    const messages = [...traffic.accepted.values()];
    const db = getCassandra();
    let audited = await audit(db, messages);
    const deadline = Date.now() + DRAIN_MS;
    while (audited.lost > 0 && Date.now() < deadline) {
      await delay(1000);
      audited = await audit(db, messages);
    }
    const duplicates = await countDuplicates(fixture, messages);
    const chat4allCount = messages.filter((m) => m.channel === 'chat4all').length;
    const result: FaultResult = {
      name: scenario.name,
      fault: scenario.fault,
      rate: FAULTS_RATE,
      acknowledged: audited.acknowledged,
      delivered: audited.delivered,
      failed: audited.failed,
      lost: audited.lost,
      duplicates: duplicates.whatsapp + duplicates.instagram + duplicates.websocket,
      duplicates_at_provider: duplicates.whatsapp + duplicates.instagram,
      duplicates_by_provider: { whatsapp: duplicates.whatsapp, instagram: duplicates.instagram },
      duplicates_on_websocket: duplicates.websocket,
      websocket_duplicates_per_1000: perThousand(duplicates.websocket, chat4allCount),
      recovery_s: recoverySeconds(messages, audited, healedAt),
      slowest_answer_s: Math.round(traffic.slowestMs / 100) / 10,
      answers: traffic.answers,
      at: new Date().toISOString(),
    };
    recordFaultResult(result);
    // What the WebSocket clients saw of the unfinished examples: no frame (never pushed to them) or which answer.
    const seenByClients = Object.fromEntries(
      audited.unfinishedIds.map((id) => [id, fixture.recipients.map((r) => r.seen(id)).filter((s) => s.frames > 0)]),
    );
    console.log(
      `# ${JSON.stringify({ ...result, unfinished: audited.unfinished, unfinished_seen_by_clients: seenByClients, failure_reasons: audited.failureReasons, gave_up: traffic.gaveUp, refused: traffic.refused })}`,
    );
    if (audited.lost > 0) console.log(serverLinesAbout(audited.unfinishedIds));
    return { result, duplicates, audit: audited, traffic };
  } finally {
    await traffic.stop();
    fixture.close();
    await getCassandra().shutdown();
  }
}
