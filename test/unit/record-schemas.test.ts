import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DLQ_HEADERS } from '@chat4all/shared/contracts/headers.js';
import {
  acceptedMessageSchema,
  notificationSchema,
  outboundMessageSchema,
  statusEventSchema,
  type AcceptedMessage,
} from '@chat4all/shared/contracts/records.js';
import { deadLetterTopicOf, TOPICS } from '@chat4all/shared/contracts/topics.js';
import { checkRecordValue } from '@chat4all/shared/contracts/validate.js';
import { deadLetter } from '@chat4all/shared/kafka/dead-letter.js';
import type { DecodedRecord } from '@chat4all/shared/kafka/event.js';
import { checkRecords } from '@chat4all/shared/kafka/records.js';

const accepted: AcceptedMessage = {
  message_id: '0193aaaa-0000-7000-8000-000000000001',
  conversation_id: 'conv-1',
  sender_id: '11111111-1111-4111-8111-111111111111',
  recipient: null,
  channel: 'chat4all',
  content: 'hello',
  file_id: null,
  created_at: '2026-11-30T01:00:00.000Z',
};
const outbound = { ...accepted, channel: 'whatsapp', recipient: 'whatsapp:+5511999999999', to: '+5511999999999' };
const statusEvent = {
  message_id: accepted.message_id,
  status: 'DELIVERED',
  at: '2026-11-30T01:00:01Z',
  source: 'test',
};
const statusUpdate = {
  kind: 'status_update',
  to: accepted.sender_id,
  update: { type: 'status_update', message_id: accepted.message_id, conversation_id: 'conv-1', status: 'SENT', at: '' },
};
const replay = { kind: 'replay', to: accepted.sender_id, connection_id: 'abc=' };

const reasonOf = (schema: Parameters<typeof checkRecordValue>[0], value: unknown): string => {
  const checked = checkRecordValue(schema, value);
  assert.equal(checked.ok, false, `refused: ${JSON.stringify(value)}`);
  return checked.ok ? '' : checked.reason;
};

describe('record schemas', () => {
  it('accept a valid record of each shape as it is, unknown fields included', () => {
    assert.deepEqual(checkRecordValue(acceptedMessageSchema, { ...accepted, extra: 1 }), {
      ok: true,
      value: { ...accepted, extra: 1 },
    });
    assert.deepEqual(checkRecordValue(outboundMessageSchema, outbound), { ok: true, value: outbound });
    const forwarded = checkRecordValue(outboundMessageSchema, outbound);
    assert.equal(
      forwarded.ok && JSON.stringify(forwarded.value),
      JSON.stringify(outbound),
      'the same JSON on the wire',
    );
    assert.deepEqual(checkRecordValue(statusEventSchema, statusEvent), { ok: true, value: statusEvent });
    const newMessage = { kind: 'new_message', ...accepted, to: 'user-b' };
    assert.deepEqual(checkRecordValue(notificationSchema, newMessage), { ok: true, value: newMessage });
    assert.deepEqual(checkRecordValue(notificationSchema, statusUpdate), { ok: true, value: statusUpdate });
    assert.deepEqual(checkRecordValue(notificationSchema, replay), { ok: true, value: replay });
  });

  it('read a notification without kind, as written before kind existed, as a new message', () => {
    const legacy = { ...accepted, to: 'user-b' };
    assert.deepEqual(checkRecordValue(notificationSchema, legacy), {
      ok: true,
      value: { kind: 'new_message', ...legacy },
    });
  });

  it('refuse malformed records with a reason naming the field and the problem', () => {
    assert.equal(
      reasonOf(acceptedMessageSchema, { ...accepted, channel: 'sms' }),
      'channel: Invalid option: expected one of "chat4all"|"whatsapp"|"instagram"',
    );
    assert.equal(
      reasonOf(acceptedMessageSchema, { ...accepted, message_id: 7 }),
      'message_id: Invalid input: expected string, received number',
    );
    assert.equal(
      reasonOf(outboundMessageSchema, { ...outbound, to: '' }),
      'to: Too small: expected string to have >=1 characters',
    );
    assert.equal(
      reasonOf(outboundMessageSchema, { ...outbound, content: null }),
      'content: content or file_id is required',
    );
    assert.match(
      reasonOf(statusEventSchema, { ...statusEvent, status: 'LOST' }),
      /^status: Invalid option: expected one of "ACCEPTED"/,
    );
    assert.equal(reasonOf(statusEventSchema, { ...statusEvent, at: 'yesterday' }), 'at: Invalid date');
    assert.equal(
      reasonOf(notificationSchema, { ...replay, kind: 'wave' }),
      `kind: Invalid discriminator value. Expected 'new_message' | 'status_update' | 'replay'`,
    );
    assert.equal(
      reasonOf(notificationSchema, { kind: 'replay', to: 'u' }),
      'connection_id: Invalid input: expected string, received undefined',
    );
    assert.equal(reasonOf(statusEventSchema, null), 'value: Invalid input: expected object, received null');
  });
});

describe('records entering a function', () => {
  const record = (offset: number, value: unknown, raw = JSON.stringify(value)): DecodedRecord<unknown> => ({
    topic: TOPICS.statusUpdates,
    partition: 2,
    offset,
    key: accepted.message_id,
    value,
    raw,
    headers: { correlation_id: `c-${offset}`, [DLQ_HEADERS.reason]: 'an earlier trip' },
  });

  it('keep the valid ones in order and give each other one its reason, never failing the batch', () => {
    const batch = [
      record(1, statusEvent),
      record(2, { ...statusEvent, status: 'LOST' }),
      record(3, null, 'not json'),
      record(4, { ...statusEvent, status: 'READ' }),
    ];
    const { valid, invalid } = checkRecords(batch, statusEventSchema, 'a status event');
    assert.deepEqual(
      valid.map((r) => [r.offset, r.value.status]),
      [
        [1, 'DELIVERED'],
        [4, 'READ'],
      ],
    );
    assert.deepEqual(
      invalid.map(({ record: r, reason }) => [r.offset, reason.split(':')[0]]),
      [
        [2, 'not a status event'],
        [3, 'not a status event'],
      ],
    );
  });

  it('dead-letter a refused record to its twin with the reason, the original value and its origin', () => {
    const at = new Date('2026-11-30T02:00:00.000Z');
    const refused = record(3, null, 'not json');
    const letter = deadLetter(refused, 'not a status event: value: Invalid input', 'statusApply', {}, at);
    assert.equal(letter.topic, deadLetterTopicOf(TOPICS.statusUpdates));
    assert.deepEqual(letter.record, {
      key: accepted.message_id,
      value: { raw: 'not json' },
      headers: {
        correlation_id: 'c-3',
        [DLQ_HEADERS.reason]: 'not a status event: value: Invalid input',
        [DLQ_HEADERS.function]: 'statusApply',
        [DLQ_HEADERS.sourceTopic]: TOPICS.statusUpdates,
        [DLQ_HEADERS.sourcePartition]: '2',
        [DLQ_HEADERS.sourceOffset]: '3',
        [DLQ_HEADERS.at]: at.toISOString(),
      },
    });
  });
});
