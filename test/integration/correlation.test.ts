import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { after, describe, it } from 'node:test';
import { eventually, request } from '../helpers/api.js';
import { newPerson } from '../helpers/people.js';
import { TestSocket } from '../helpers/websocket.js';

interface LogLine {
  correlation_id?: string;
  correlation_ids?: string[];
  function?: string;
  component?: string;
  msg?: string;
}

function linesOf(file: string): LogLine[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    });
}

const sockets: TestSocket[] = [];
after(async () => Promise.all(sockets.map((socket) => socket.close())));

describe('correlated logs', { timeout: 60_000 }, () => {
  it('follows one message by its X-Correlation-Id through the API, the bridge, the router, realtime and status', async (t) => {
    const apiLog = process.env.CHAT4ALL_API_LOG;
    const bridgeLog = process.env.CHAT4ALL_BRIDGE_LOG;
    if (!apiLog || !bridgeLog) {
      t.skip('the API and bridge were not started by npm test, so their logs are not files this test can read');
      return;
    }
    const [sender, recipient] = await Promise.all([newPerson('trace_from'), newPerson('trace_to')]);
    const socket = await TestSocket.open(recipient.token);
    sockets.push(socket);
    const correlationId = `trace-${crypto.randomUUID()}`;
    const sent = await request<{ message_id: string }>('POST', '/v1/messages', {
      body: { recipient_id: recipient.id, content: 'follow me' },
      headers: { ...sender.headers, 'X-Correlation-Id': correlationId },
    });
    assert.equal(sent.status, 202);
    assert.equal(sent.headers.get('x-correlation-id'), correlationId, 'the response carries the id back');
    await socket.waitFor((frame) => frame.type === 'new_message' && frame.message_id === sent.body.message_id);
    socket.send({ type: 'ack', message_id: sent.body.message_id });
    await socket.waitFor((frame) => frame.type === 'acked');

    const expected = ['messagesSend', 'router', 'realtimeNotify', 'statusApply'];
    await eventually(
      'every stage logged the correlation id',
      async () => {
        const functions = new Set(
          linesOf(apiLog)
            .filter((l) => l.correlation_id === correlationId)
            .map((l) => l.function),
        );
        const bridged = linesOf(bridgeLog)
          .filter((l) => l.correlation_ids?.includes(correlationId))
          .map((l) => l.function);
        return (
          expected.every((fn) => functions.has(fn)) &&
          ['router', 'realtimeNotify', 'statusApply'].every((fn) => bridged.includes(fn))
        );
      },
      { timeoutMs: 20_000, intervalMs: 500 },
    );
    const everything = fs.readFileSync(apiLog, 'utf8') + fs.readFileSync(bridgeLog, 'utf8');
    assert.ok(!everything.includes(sender.token), 'no access token in any log line');
  });
});
