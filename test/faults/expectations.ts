import assert from 'node:assert/strict';
import type { FaultOutcome } from './scenario.js';

/**
 * What every fault scenario must show: each acknowledged message arrived or FAILED with a reason (none lost), no
 * answer was a 500, and every message the load offered was acknowledged in the end (the client retried).
 */
export function assertNothingLost(
  { result, audit, traffic, duplicates }: FaultOutcome,
  { noHangs = false }: { noHangs?: boolean } = {},
): void {
  assert.ok(result.acknowledged > 0, 'the load got messages through');
  assert.equal(
    result.lost,
    0,
    `lost messages, by where they stopped: ${JSON.stringify(audit.unfinished)}, for example ${audit.unfinishedIds.join(' ')}`,
  );
  assert.equal(audit.failureReasons['no reason'] ?? 0, 0, 'every FAILED message says why');
  assert.equal(result.answers['500'] ?? 0, 0, 'no 500 answers');
  // Hangs are counted for every fault (the report shows them); where the fault is one the API must answer fast (a
  // broker outage: 503 at once), none is allowed.
  if (noHangs) assert.equal(result.answers.hang ?? 0, 0, 'no request hung');
  // Nobody gets the same message twice (docs/channels.md, "Once at the provider").
  assert.equal(duplicates.whatsapp, 0, 'no WhatsApp user got a message twice');
  assert.equal(duplicates.instagram, 0, 'no Instagram user got a message twice');
  assert.equal(traffic.withoutRetryAfter, 0, 'every 429 and 503 says when to retry');
  assert.equal(traffic.refused, 0, 'no message refused for good');
  assert.equal(traffic.gaveUp, 0, 'no message given up on');
  assert.equal(result.acknowledged, traffic.offered, 'every offered message acknowledged');
}
