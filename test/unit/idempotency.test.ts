import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  keyReused,
  requestFingerprint,
  storedFingerprint,
  typeOf,
  type FingerprintedRequest,
} from '@chat4all/shared/messages/idempotency.js';
import type { AcceptedMessage } from '@chat4all/shared/messages/model.js';
import { DOMAIN_ERROR_STATUS } from '@chat4all/shared/middleware/http-errors.js';

const base: FingerprintedRequest = {
  conversation_id: 'it-1',
  recipient: '0193b000-0000-7000-8000-00000000000b',
  content: 'hello',
  file_id: null,
  type: 'text',
};

const stored = (over: Partial<AcceptedMessage> = {}): AcceptedMessage => ({
  message_id: '0193d000-0000-7000-8000-00000000000d',
  conversation_id: base.conversation_id,
  sender_id: '0193a000-0000-7000-8000-00000000000a',
  recipient: base.recipient,
  channel: 'chat4all',
  content: base.content,
  file_id: null,
  created_at: '2026-01-01T00:00:00.000Z',
  ...over,
});

describe('Idempotency-Key fingerprints', () => {
  it('are equal for a retry of the same request', () => {
    assert.equal(requestFingerprint(base), requestFingerprint({ ...base }));
    assert.equal(requestFingerprint({ ...base, content: '' }), requestFingerprint({ ...base, content: null }));
    const file = '0193f000-0000-7000-8000-00000000000f';
    assert.equal(
      requestFingerprint({ ...base, file_id: file.toUpperCase(), type: 'file' }),
      requestFingerprint({ ...base, file_id: file, type: 'file' }),
    );
  });

  it('differ when the conversation, recipient, content, file or type differs', () => {
    const variants: FingerprintedRequest[] = [
      base,
      { ...base, conversation_id: 'it-2' },
      { ...base, recipient: null },
      { ...base, recipient: 'whatsapp:+5511999999999' },
      { ...base, content: 'hello!' },
      { ...base, content: null },
      { ...base, file_id: '0193f000-0000-7000-8000-00000000000f' },
      { ...base, type: 'file' },
      // Field boundaries cannot be shifted: the same characters split differently are another request.
      { ...base, conversation_id: 'it-1", "x', content: 'hello' },
    ];
    const prints = variants.map(requestFingerprint);
    assert.equal(new Set(prints).size, variants.length, 'all different');
  });

  it('read a request’s type from file_id when the body names none', () => {
    assert.equal(typeOf(undefined, null), 'text');
    assert.equal(typeOf(undefined, '0193f000-0000-7000-8000-00000000000f'), 'file');
    assert.equal(typeOf('text', '0193f000-0000-7000-8000-00000000000f'), 'text');
    assert.equal(typeOf('file', undefined), 'file');
  });

  it('take a claim written before fingerprints from its stored message, whatever the type', () => {
    const retry = requestFingerprint(base);
    assert.equal(storedFingerprint(null, stored(), 'text'), retry, 'the same request: the first message again');
    assert.equal(storedFingerprint(undefined, stored(), 'text'), retry);
    assert.notEqual(storedFingerprint(null, stored({ content: 'something else' }), 'text'), retry);
    assert.notEqual(storedFingerprint(null, stored({ recipient: null }), 'text'), retry);
    assert.notEqual(storedFingerprint(null, stored({ conversation_id: 'it-2' }), 'text'), retry);
    assert.equal(storedFingerprint('recorded', stored({ content: 'x' }), 'text'), 'recorded', 'a recorded one wins');
  });

  it('answer a reused key with 422 idempotency_key_reused', () => {
    const error = keyReused();
    assert.equal(DOMAIN_ERROR_STATUS[error.kind], 422);
    assert.equal(error.code, 'idempotency_key_reused');
  });
});
