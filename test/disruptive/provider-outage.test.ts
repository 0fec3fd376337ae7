import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { deadLetterTopicOf, TOPICS } from '@chat4all/shared/contracts/topics.js';
import { readDeadLetters } from '../../infra/dlq.js';
import { eventually, request } from '../helpers/api.js';
import { devUsers } from '../helpers/auth.js';
import { emulator, newPhoneNumber, textsOf } from '../../infra/emulators/control.js';

/**
 * A 30 s WhatsApp outage (every connection dropped): the connector's circuit opens, the messages wait as PENDING
 * (nothing dropped, nothing dead-lettered), and all of them arrive, once each, after the provider is back.
 * Disruptive: the outage is the whole emulator's, every WhatsApp message of the stack waits through it.
 */

const OUTAGE_SECONDS = 30;
const whatsapp = emulator('whatsapp');
let users: Awaited<ReturnType<typeof devUsers>>;

before(async () => {
  users = await devUsers();
});
after(async () => {
  await whatsapp.clearFaults();
});

const status = async (id: string) =>
  (await request<{ status: string }>('GET', `/v1/messages/${id}`, { headers: users.a.headers })).body.status;

describe('a provider outage', { timeout: 180_000 }, () => {
  it(`keeps messages PENDING through a ${OUTAGE_SECONDS} s outage and delivers every one once after it`, async () => {
    const run = crypto.randomBytes(4).toString('hex');
    const numbers = Array.from({ length: 4 }, newPhoneNumber);
    const outageStarted = Date.now();
    await whatsapp.setFaults({ outageSeconds: OUTAGE_SECONDS, outageMode: 'reset' });
    const sent: { id: string; content: string }[] = [];
    for (let i = 0; i < 12; i++) {
      const content = `outage ${run} ${i}`;
      const response = await request<{ message_id: string }>('POST', '/v1/messages', {
        headers: users.a.headers,
        body: { recipient_id: `whatsapp:${numbers[i % numbers.length]}`, content },
      });
      assert.equal(response.status, 202);
      sent.push({ id: response.body.message_id, content });
    }

    // The circuit opens: every message shows PENDING while the provider is down.
    const pendingAfter = await eventually(
      'all PENDING',
      async () => (await Promise.all(sent.map(({ id }) => status(id)))).every((s) => s === 'PENDING'),
      { timeoutMs: (OUTAGE_SECONDS - 5) * 1000, intervalMs: 250 },
    );
    assert.ok(Date.now() - outageStarted < OUTAGE_SECONDS * 1000, 'PENDING seen during the outage');
    const during = (await Promise.all(numbers.map((to) => whatsapp.received(to)))).flat();
    assert.equal(during.length, 0, 'nothing got through');

    // The outage ends by itself; everything arrives.
    const outageEnds = outageStarted + OUTAGE_SECONDS * 1000;
    await eventually(
      'all sent after the outage',
      async () =>
        (await Promise.all(sent.map(({ id }) => status(id)))).every((s) => ['SENT', 'DELIVERED', 'READ'].includes(s)),
      { timeoutMs: OUTAGE_SECONDS * 1000 + 60_000, intervalMs: 250 },
    );
    const drained = Date.now() - outageEnds;
    const received = textsOf((await Promise.all(numbers.map((to) => whatsapp.received(to)))).flat());
    for (const { content } of sent) assert.equal(received.filter((text) => text === content).length, 1, content);
    const letters = await readDeadLetters(deadLetterTopicOf(TOPICS.whatsappOutbound), { all: true });
    const ids = new Set(sent.map(({ id }) => id));
    assert.equal(letters.filter((letter) => letter.messageId && ids.has(letter.messageId)).length, 0, 'no dead letter');
    console.log(
      `# ${sent.length} messages PENDING ${pendingAfter} ms after the outage began; all SENT ${drained} ms after it ended`,
    );
  });
});
