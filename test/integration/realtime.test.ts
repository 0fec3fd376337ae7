import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { connectionsOf, removeConnection } from '@chat4all/shared/realtime/connections.js';
import { removeFromInbox } from '@chat4all/shared/realtime/inbox.js';
import { eventually, request } from '../helpers/api.js';
import { newPerson, type Person } from '../helpers/people.js';
import { TestSocket, type Frame } from '../helpers/websocket.js';

const sockets: TestSocket[] = [];
async function connect(person: Person): Promise<TestSocket> {
  const socket = await TestSocket.open(person.token);
  sockets.push(socket);
  return socket;
}
after(async () => {
  await Promise.all(sockets.map((socket) => socket.close()));
  await getCassandra().shutdown();
});

let alice: Person;
let bob: Person;
before(async () => {
  [alice, bob] = await Promise.all([newPerson('alice'), newPerson('bob')]);
});

const send = (from: Person, conversationId: string, to: Person, content: string) =>
  request<{ message_id: string }>('POST', '/v1/messages', {
    body: { conversation_id: conversationId, recipient_id: to.id, content },
    headers: from.headers,
  });

const isNew = (messageId: string) => (frame: Frame) => frame.type === 'new_message' && frame.message_id === messageId;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('realtime over WebSocket', { timeout: 120_000 }, () => {
  it('refuses a bad token at the handshake and answers ping with pong', async () => {
    await assert.rejects(TestSocket.open('not-a-token'), /handshake refused: 401/);
    await assert.rejects(TestSocket.open(undefined), /handshake refused: 401/);
    const socket = await TestSocket.open(alice.token, { viaHeader: true });
    sockets.push(socket);
    socket.send({ type: 'ping' });
    await socket.waitFor((frame) => frame.type === 'pong');
  });

  it('pushes new_message to every device within 200 ms (median), then DELIVERED on ack and READ live to the sender', async () => {
    const conversationId = `it-rt-${crypto.randomUUID()}`;
    const [phone, laptop, alicesPhone] = [await connect(bob), await connect(bob), await connect(alice)];
    const latencies: number[] = [];
    let lastId = '';
    for (let i = 0; i < 11; i++) {
      const response = await send(alice, conversationId, bob, `live ${i}`);
      const acceptedAt = performance.now();
      assert.equal(response.status, 202);
      lastId = response.body.message_id;
      for (const device of [phone, laptop]) {
        const { at, frame } = await device.waitFor(isNew(lastId));
        assert.equal(frame.content, `live ${i}`);
        assert.equal(frame.sender_id, alice.id);
        assert.equal(frame.conversation_id, conversationId);
        latencies.push(Math.max(0, at - acceptedAt));
      }
    }
    const medianMs = median(latencies);
    console.log(
      `# new_message after 202: median ${medianMs.toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms over ${latencies.length} deliveries`,
    );
    assert.ok(medianMs <= 200, `median ${medianMs} ms`);

    await eventually(
      'SENT once pushed',
      async () =>
        (await request<{ status: string }>('GET', `/v1/messages/${lastId}`, { headers: alice.headers })).body.status ===
        'SENT',
      {
        timeoutMs: 10_000,
      },
    );
    phone.send({ type: 'ack', message_id: lastId });
    await phone.waitFor((frame) => frame.type === 'acked' && frame.message_id === lastId);
    await alicesPhone.waitFor(
      (frame) => frame.type === 'status_update' && frame.message_id === lastId && frame.status === 'DELIVERED',
    );
    assert.equal(
      (await request<{ status: string }>('GET', `/v1/messages/${lastId}`, { headers: bob.headers })).body.status,
      'DELIVERED',
    );

    const read = await request('POST', `/v1/messages/${lastId}/read`, { headers: bob.headers });
    assert.equal(read.status, 200);
    await alicesPhone.waitFor(
      (frame) => frame.type === 'status_update' && frame.message_id === lastId && frame.status === 'READ',
    );

    laptop.send({ type: 'ack', message_id: crypto.randomUUID() });
    await laptop.waitFor((frame) => frame.type === 'error' && frame.code === 'not_in_inbox');
  });

  it('keeps 50 messages for an offline user and gives them all, in order, on reconnect', async () => {
    const carol = await newPerson('carol');
    const conversationId = `it-rt-offline-${crypto.randomUUID()}`;
    const first = await connect(carol);
    await first.close();
    const sent: string[] = [];
    for (let i = 0; i < 50; i++) {
      const response = await send(alice, conversationId, carol, `while offline ${i}`);
      assert.equal(response.status, 202);
      sent.push(response.body.message_id);
    }
    await eventually(
      'all 50 routed',
      async () =>
        (
          await request<{ messages: unknown[] }>('GET', `/v1/conversations/${conversationId}/messages?limit=100`, {
            headers: carol.headers,
          })
        ).body.messages.length === 50,
      { timeoutMs: 30_000 },
    );
    const back = await connect(carol);
    await back.waitFor(isNew(sent[49]!), 30_000);
    const received = back.frames
      .filter(({ frame }) => frame.type === 'new_message' && frame.conversation_id === conversationId)
      .map(({ frame }) => frame.message_id);
    assert.deepEqual([...new Set(received)], sent);
  });
});

describe('acks the server cannot match', { timeout: 60_000 }, () => {
  const statusOf = async (messageId: string, viewer: Person) =>
    (await request<{ status: string }>('GET', `/v1/messages/${messageId}`, { headers: viewer.headers })).body.status;

  it('records DELIVERED when a recipient acks an undelivered message missing from its inbox; not for anyone else', async () => {
    const [sender, recipient] = [await newPerson('lost_row_from'), await newPerson('lost_row_to')];
    const [device, sendersDevice] = [await connect(recipient), await connect(sender)];
    const conversationId = `it-rt-lost-row-${crypto.randomUUID()}`;
    const sent = await send(sender, conversationId, recipient, 'its inbox row goes missing');
    assert.equal(sent.status, 202);
    const messageId = sent.body.message_id;
    await device.waitFor(isNew(messageId));
    await eventually('SENT once pushed', async () => (await statusOf(messageId, sender)) === 'SENT', {
      timeoutMs: 10_000,
    });
    await removeFromInbox(getCassandra(), recipient.id, messageId);

    sendersDevice.send({ type: 'ack', message_id: messageId }); // the sender is no recipient: nothing changes
    await sendersDevice.waitFor((frame) => frame.code === 'not_in_inbox' && frame.message_id === messageId);
    assert.equal(await statusOf(messageId, sender), 'SENT');

    device.send({ type: 'ack', message_id: messageId });
    await device.waitFor((frame) => frame.type === 'acked' && frame.message_id === messageId);
    await eventually('DELIVERED from the ack', async () => (await statusOf(messageId, sender)) === 'DELIVERED', {
      timeoutMs: 10_000,
    });
    device.send({ type: 'ack', message_id: messageId }); // delivered now: a repeated ack has nothing to do
    await device.waitFor((frame) => frame.code === 'not_in_inbox' && frame.message_id === messageId);
  });

  it('closes a connection whose row is gone when it acks; connecting again replays what is waiting', async () => {
    const [sender, recipient] = [await newPerson('lost_conn_from'), await newPerson('lost_conn_to')];
    const device = await connect(recipient);
    const conversationId = `it-rt-lost-conn-${crypto.randomUUID()}`;
    const sent = await send(sender, conversationId, recipient, 'its connection row goes missing');
    assert.equal(sent.status, 202);
    const messageId = sent.body.message_id;
    await device.waitFor(isNew(messageId));
    const db = getCassandra();
    for (const { connectionId } of await connectionsOf(db, recipient.id))
      await removeConnection(db, connectionId, recipient.id);

    const closed = new Promise<void>((resolve) => device.socket.once('close', () => resolve()));
    device.send({ type: 'ack', message_id: messageId });
    await closed;
    assert.equal(await statusOf(messageId, sender), 'SENT', 'an ack from an unknown connection records nothing');

    const again = await connect(recipient);
    await again.waitFor(isNew(messageId));
    again.send({ type: 'ack', message_id: messageId });
    await again.waitFor((frame) => frame.type === 'acked' && frame.message_id === messageId);
    await eventually('DELIVERED', async () => (await statusOf(messageId, sender)) === 'DELIVERED', {
      timeoutMs: 10_000,
    });
  });
});

describe('realtime attachments', { timeout: 60_000 }, () => {
  it('gives new_message the file’s metadata and a fresh download URL that works', async () => {
    const [owner, reader] = [await newPerson('file_from'), await newPerson('file_to')];
    const conversationId = `it-rt-file-${crypto.randomUUID()}`;
    const bytes = crypto.randomBytes(2048);
    assert.equal((await send(owner, conversationId, reader, 'a file follows')).status, 202);
    const declared = await request<{ file_id: string; upload: { url: string; headers: Record<string, string> } }>(
      'POST',
      '/v1/files',
      {
        headers: owner.headers,
        body: {
          conversation_id: conversationId,
          filename: 'photo.png',
          content_type: 'image/png',
          size_bytes: bytes.length,
          checksum_sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
        },
      },
    );
    assert.equal(declared.status, 201, JSON.stringify(declared.body));
    const put = await fetch(declared.body.upload.url, {
      method: 'PUT',
      headers: declared.body.upload.headers,
      body: bytes,
    });
    assert.equal(put.status, 200);
    assert.equal(
      (await request('POST', `/v1/files/${declared.body.file_id}/complete`, { headers: owner.headers, body: {} }))
        .status,
      200,
    );

    const socket = await connect(reader);
    const sent = await request<{ message_id: string }>('POST', '/v1/messages', {
      headers: owner.headers,
      body: { conversation_id: conversationId, recipient_id: reader.id, file_id: declared.body.file_id },
    });
    assert.equal(sent.status, 202);
    const { frame } = await socket.waitFor(isNew(sent.body.message_id));
    const file = frame.file as { file_id: string; filename: string; size_bytes: number; download_url: string };
    assert.equal(file.file_id, declared.body.file_id);
    assert.equal(file.filename, 'photo.png');
    assert.equal(file.size_bytes, bytes.length);
    const downloaded = Buffer.from(await (await fetch(file.download_url)).arrayBuffer());
    assert.ok(downloaded.equals(bytes), 'the pushed download URL serves the uploaded bytes');
  });
});
