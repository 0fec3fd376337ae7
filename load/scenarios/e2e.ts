import os from 'node:os';
import { emulator, newPhoneNumber } from '../../infra/emulators/control.js';
import { ApiClient } from '../lib/client.js';
import { cpuPerMessage, cpuProfile, type CpuProfile } from '../lib/cpu.js';
import { AckingRecipient, DeliveryTracker } from '../lib/e2e.js';
import { openConversations, sendFixture, sender } from '../lib/fixtures.js';
import { progressLine, runOpenModel } from '../lib/open-model.js';
import { result, type ScenarioOptions, type ScenarioResult } from '../lib/scenario.js';

/** What an e2e run reports beside the send summary. */
export type E2eExtra = {
  rate: number;
  recipients: string;
  acknowledged: number;
  delivered: number;
  failed: number;
  lost: number;
  duplicates: number;
  delivered_per_s: number;
  e2e_p50_ms: number | null;
  e2e_p99_ms: number | null;
  /** CPU milliseconds per delivered message, by component, from the first send until the last delivery. */
  cpu_ms_per_delivered: Record<string, number>;
  cpu: CpuProfile;
};

/**
 * Half the conversations go to WhatsApp numbers instead, whose DELIVERED comes from the emulator's receipts,
 * sent the moment it accepted a message (zero injected provider latency).
 */
async function toWhatsapp(conversations: { recipient: string }[]): Promise<string[]> {
  const numbers: string[] = [];
  conversations.forEach((conversation, i) => {
    if (i % 2 === 0) return;
    const number = newPhoneNumber();
    conversation.recipient = `whatsapp:${number}`;
    numbers.push(number);
  });
  const immediate = { order: ['sent', 'delivered'], delaysMs: [0, 0] };
  await emulator('whatsapp').setWebhooks({
    recipients: Object.fromEntries(numbers.map((number) => [number, immediate])),
  });
  return numbers;
}

/**
 * e2e: messages from send to DELIVERED at a fixed arrival rate. Half the recipients are Chat4All users on
 * WebSocket that acknowledge every message at once, half are WhatsApp numbers whose receipts come from the provider
 * emulator; latency comes from the DELIVERED status events, and the run ends with an audit: every accepted message
 * delivered (or FAILED), none lost, duplicates counted (on the WebSockets).
 */
export async function e2e(
  client: ApiClient,
  { rate = 200, durationS = 30 }: ScenarioOptions = {},
): Promise<ScenarioResult<E2eExtra>> {
  const fixture = await sendFixture(client, { senders: 40, recipients: 40 });
  const whatsappNumbers = await toWhatsapp(fixture.conversations);
  const recipients = await Promise.all(fixture.recipients.map((user) => AckingRecipient.connect(user)));
  await openConversations(client, fixture);
  const tracker = new DeliveryTracker();
  await tracker.start();
  try {
    // CPU from the first send until the last delivery (not the fixture's registrations and logins).
    const { value: recorder, profile } = await cpuProfile(os.cpus().length, async () => {
      const recorded = await runOpenModel({
        rate: () => rate,
        durationS,
        fire: sender(client, fixture, (messageId, startedAt) => tracker.accepted(messageId, startedAt)),
        onSecond: progressLine(`e2e@${rate}/s`),
      });
      await tracker.drain(60_000);
      return recorded;
    });
    const at = (p: number) => (tracker.histogram.totalCount ? tracker.histogram.getValueAtPercentile(p) : null);
    return result('e2e', recorder, {
      rate,
      recipients: `${fixture.conversations.length - whatsappNumbers.length} Chat4All users on WebSocket, ${whatsappNumbers.length} WhatsApp numbers`,
      acknowledged: tracker.sentAt.size,
      delivered: tracker.deliveredAt.size,
      failed: tracker.failed.size,
      lost: tracker.lost,
      duplicates: recipients.reduce((sum, recipient) => sum + recipient.duplicates, 0),
      delivered_per_s: Math.round(tracker.deliveredPerSecond * 10) / 10,
      e2e_p50_ms: at(50),
      e2e_p99_ms: at(99),
      cpu_ms_per_delivered: cpuPerMessage(profile, tracker.deliveredAt.size),
      cpu: profile,
    });
  } finally {
    await tracker.stop();
    for (const recipient of recipients) recipient.close();
  }
}
