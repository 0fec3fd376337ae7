import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelOf, formatRecipient, parseRecipient } from '@chat4all/shared/channels/recipient.js';
import { DomainError } from '@chat4all/shared/errors/domain.js';
import { DOMAIN_ERROR_STATUS } from '@chat4all/shared/middleware/http-errors.js';

describe('recipients', () => {
  it('parses the Java system’s recipient forms', () => {
    assert.deepEqual(parseRecipient('whatsapp:+5511999999999'), { kind: 'whatsapp', phone: '+5511999999999' });
    assert.deepEqual(parseRecipient('instagram:@maria_silva'), { kind: 'instagram', handle: 'maria_silva' });
    assert.deepEqual(parseRecipient('user_b'), { kind: 'user', ref: 'user_b' });
    assert.equal(channelOf(parseRecipient('instagram:@maria_silva')), 'instagram');
    assert.equal(channelOf(undefined), 'chat4all');
    assert.equal(formatRecipient(parseRecipient('instagram:maria.silva')), 'instagram:@maria.silva');
  });

  it('refuses malformed addresses with a 400', () => {
    for (const bad of ['whatsapp:5511999', 'whatsapp:+0123456789', 'instagram:@', 'instagram:@has space', 'a b', 'x']) {
      assert.throws(
        () => parseRecipient(bad),
        (error: unknown) => error instanceof DomainError && DOMAIN_ERROR_STATUS[error.kind] === 400,
        bad,
      );
    }
  });
});
