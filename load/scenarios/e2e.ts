import { ApiClient } from '../lib/client.js';
import { AckingRecipient, DeliveryTracker } from '../lib/e2e.js';
import { openConversations, sendFixture, sender } from '../lib/fixtures.js';
import { progressLine, runOpenModel } from '../lib/open-model.js';
import { result, type ScenarioOptions, type ScenarioResult } from '../lib/scenario.js';

/**
 * e2e: messages from send to DELIVERED at a fixed arrival rate. Recipients are Chat4All users on
 * WebSocket that acknowledge every message at once; latency comes from the DELIVERED status events,
 * and the run ends with an audit: every accepted message delivered (or FAILED), none lost, duplicates counted.
 */
export async function e2e(
  client: ApiClient,
  { rate = 200, durationS = 30 }: ScenarioOptions = {},
): Promise<ScenarioResult> {
  const fixture = await sendFixture(client, { senders: 10, recipients: 10 });
  const recipients = await Promise.all(fixture.recipients.map((user) => AckingRecipient.connect(user)));
  await openConversations(client, fixture);
  const tracker = new DeliveryTracker();
  await tracker.start();
  try {
    const recorder = await runOpenModel({
      rate: () => rate,
      durationS,
      fire: sender(client, fixture, (messageId, startedAt) => tracker.sentAt.set(messageId, startedAt)),
      onSecond: progressLine(`e2e@${rate}/s`),
    });
    await tracker.drain(60_000);
    const at = (p: number) => (tracker.histogram.totalCount ? tracker.histogram.getValueAtPercentile(p) : null);
    return result('e2e', recorder, {
      rate,
      acknowledged: tracker.sentAt.size,
      delivered: tracker.deliveredAt.size,
      failed: tracker.failed.size,
      lost: tracker.lost,
      duplicates: recipients.reduce((sum, recipient) => sum + recipient.duplicates, 0),
      delivered_per_s: Math.round(tracker.deliveredPerSecond * 10) / 10,
      e2e_p50_ms: at(50),
      e2e_p99_ms: at(99),
    });
  } finally {
    await tracker.stop();
    for (const recipient of recipients) recipient.close();
  }
}
