import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import WebSocket from 'ws';
import { eventually, request } from './api.js';
import { newPerson, type Person } from './people.js';
import { WS_URL } from './websocket.js';

/**
 * A small, realistic load that touches every metric of the dashboards: messages to a Chat4All user (connected over
 * WebSocket, acknowledging each message, so they reach DELIVERED), to a WhatsApp number and to an Instagram handle;
 * a few requests the API rejects (one of each of several error codes); a verified file upload; a read receipt.
 * Used by test/integration/dashboards-data.test.ts and test/observability-screenshot.ts.
 */
export interface ObservabilityLoadOptions {
  /** Messages to send, round-robin over the three recipients. */
  messages: number;
  /**
   * Who receives them, round-robin (default: all three; the Chat4All user always, for the rejections, the file and
   * the read receipt). Instagram has no delivered receipt: its messages go SENT, then READ.
   */
  channels?: ('user' | 'whatsapp' | 'instagram')[];
  /** Pause between two sends (0: as fast as the API answers). */
  intervalMs?: number;
  log?: (line: string) => void;
}

export interface ObservabilityLoadResult {
  accepted: number;
  rejected: Record<string, number>;
  acknowledged: number;
}

/** A recipient that stays connected and acknowledges every new message (→ DELIVERED). */
class AckingRecipient {
  readonly acked = new Set<string>();
  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { type: string; message_id?: string };
      if (frame.type !== 'new_message' || !frame.message_id) return;
      socket.send(JSON.stringify({ type: 'ack', message_id: frame.message_id }));
      this.acked.add(frame.message_id);
    });
  }

  static connect(person: Person): Promise<AckingRecipient> {
    const socket = new WebSocket(`${WS_URL}?token=${encodeURIComponent(person.token)}`);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new AckingRecipient(socket)));
      socket.once('error', reject);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function uploadFile(sender: Person, conversationId: string): Promise<void> {
  const bytes = Buffer.from(`observability ${crypto.randomUUID()}\n`);
  const created = await request<{ file_id: string; upload: { url: string; headers: Record<string, string> } }>(
    'POST',
    '/v1/files',
    {
      body: {
        conversation_id: conversationId,
        filename: 'observability.txt',
        content_type: 'text/plain',
        size_bytes: bytes.length,
      },
      headers: sender.headers,
    },
  );
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const put = await fetch(created.body.upload.url, {
    method: 'PUT',
    headers: created.body.upload.headers,
    body: bytes,
    signal: AbortSignal.timeout(15_000),
  });
  assert.equal(put.status, 200, await put.text());
  const completed = await request('POST', `/v1/files/${created.body.file_id}/complete`, { headers: sender.headers });
  assert.equal(completed.status, 200, JSON.stringify(completed.body));
}

export async function runObservabilityLoad({
  messages,
  channels = ['user', 'whatsapp', 'instagram'],
  intervalMs = 0,
  log = () => {},
}: ObservabilityLoadOptions): Promise<ObservabilityLoadResult> {
  assert.ok(channels.includes('user'), 'the load needs its Chat4All recipient');
  const [sender, recipient] = await Promise.all([newPerson('obs_sender'), newPerson('obs_recipient')]);
  const socket = await AckingRecipient.connect(recipient);
  try {
    const tag = crypto.randomBytes(3).toString('hex');
    const digits = String(crypto.randomInt(10_000_000, 99_999_999));
    const user = { conversation_id: `obs-user-${tag}`, recipient_id: recipient.id };
    const byChannel = {
      user,
      whatsapp: { conversation_id: `obs-wa-${tag}`, recipient_id: `whatsapp:+55119${digits}` },
      instagram: { conversation_id: `obs-ig-${tag}`, recipient_id: `instagram:@obs_${tag}` },
    };
    const targets = channels.map((channel) => byChannel[channel]);
    const toUser: string[] = [];
    let accepted = 0;
    for (let i = 0; i < messages; i++) {
      const target = targets[i % targets.length]!;
      const response = await request<{ message_id: string }>('POST', '/v1/messages', {
        body: { ...target, content: `observability load ${i}` },
        headers: { ...sender.headers, 'Idempotency-Key': crypto.randomUUID() },
      });
      assert.equal(response.status, 202, JSON.stringify(response.body));
      accepted++;
      if (target === user) toUser.push(response.body.message_id);
      if ((i + 1) % 30 === 0) log(`${i + 1}/${messages} messages accepted`);
      if (intervalMs > 0) await sleep(intervalMs);
    }

    // Requests the API turns down, each for its own reason (http_rejections_total{code}).
    const rejected: Record<string, number> = {};
    const reject = async (expected: number, body: Record<string, unknown>, headers = sender.headers) => {
      const response = await request<{ code: string }>('POST', '/v1/messages', { body, headers });
      assert.equal(response.status, expected, JSON.stringify(response.body));
      rejected[response.body.code] = (rejected[response.body.code] ?? 0) + 1;
    };
    await reject(400, { ...user, content: 'x'.repeat(10_241) });
    await reject(403, { ...user, content: 'not mine', sender_id: recipient.id });
    await reject(404, { conversation_id: `obs-missing-${tag}`, content: 'nobody here' });
    await reject(401, { ...user, content: 'who am I' }, { Authorization: 'Bearer not-a-token' });

    await uploadFile(sender, user.conversation_id);

    await eventually(
      'the recipient acknowledged every message',
      async () => toUser.every((id) => socket.acked.has(id)),
      {
        timeoutMs: 30_000,
        intervalMs: 200,
      },
    );
    // A read receipt once the first message is DELIVERED.
    await eventually(
      'a read receipt',
      async () =>
        (await request('POST', `/v1/messages/${toUser[0]}/read`, { headers: recipient.headers })).status === 200,
      { timeoutMs: 15_000, intervalMs: 250 },
    );
    log(`${accepted} accepted, ${toUser.length} acknowledged by the recipient, rejected ${JSON.stringify(rejected)}`);
    return { accepted, rejected, acknowledged: toUser.length };
  } finally {
    await socket.close();
  }
}
