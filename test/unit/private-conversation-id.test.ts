import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isPrivateNamespace,
  privateConversationId,
  requireOwnConversationId,
  sameParty,
} from '@chat4all/shared/conversations/private-id.js';
import { DomainError } from '@chat4all/shared/errors/domain.js';
import { DOMAIN_ERROR_STATUS } from '@chat4all/shared/middleware/http-errors.js';

const A = '0193a000-0000-7000-8000-00000000000a';
const B = '0193b000-0000-7000-8000-00000000000b';
const C = '0193c000-0000-7000-8000-00000000000c';

const reserved = (error: unknown) =>
  error instanceof DomainError && DOMAIN_ERROR_STATUS[error.kind] === 400 && error.code === 'reserved_conversation_id';

describe('the private: namespace of conversation ids', () => {
  it('derives one id for two parties, whoever sends first', () => {
    assert.equal(privateConversationId(A, B), `private:${A}:${B}`);
    assert.equal(privateConversationId(B, A), privateConversationId(A, B));
    assert.equal(privateConversationId(A, 'whatsapp:+5511999999999'), `private:${A}:whatsapp:+5511999999999`);
  });

  it('is reserved in any letter case; other ids are free to choose', () => {
    for (const id of [privateConversationId(A, B), 'private:x', 'PRIVATE:x', 'Private:x'])
      assert.ok(isPrivateNamespace(id));
    for (const id of ['demo-1', 'privately', 'it-private:x', 'private', A]) {
      assert.ok(!isPrivateNamespace(id), id);
      assert.doesNotThrow(() => requireOwnConversationId(id, C, B));
      assert.doesNotThrow(() => requireOwnConversationId(id, C));
    }
  });

  it('refuses the reproduced squat: user_c naming the private conversation of user_a and user_b, to user_b', () => {
    assert.throws(() => requireOwnConversationId(`private:${B}:${A}`, C, B), reserved);
    assert.throws(() => requireOwnConversationId(privateConversationId(A, B), C, B), reserved);
    assert.throws(() => requireOwnConversationId(privateConversationId(A, B), C), reserved, 'without a recipient');
    assert.throws(
      () => requireOwnConversationId(privateConversationId(A, C), C, B),
      reserved,
      'a party, but not with B',
    );
    assert.throws(() => requireOwnConversationId(privateConversationId(A, B).toUpperCase(), A, B), reserved);
    assert.throws(() => requireOwnConversationId(`PRIVATE:${A}:${B}`, A, B), reserved, 'a look-alike');
    assert.throws(() => requireOwnConversationId(`private:${B}:${A}`, A, B), reserved, 'not the derived order');
    assert.throws(() => requireOwnConversationId(`private:${A}`, A), reserved);
    assert.throws(() => requireOwnConversationId(`private:${A}:`, A), reserved);
  });

  it('accepts the derived id for its parties, with or without the recipient named', () => {
    const id = privateConversationId(A, B);
    assert.doesNotThrow(() => requireOwnConversationId(id, A, B));
    assert.doesNotThrow(() => requireOwnConversationId(id, B, A));
    assert.doesNotThrow(() => requireOwnConversationId(id, A));
    assert.doesNotThrow(() => requireOwnConversationId(id, B));
  });

  it('guards the conversation of a channel identity the same way (a linked number’s conversation)', () => {
    const id = privateConversationId(A, 'whatsapp:+5511999999999');
    assert.doesNotThrow(() => requireOwnConversationId(id, A, 'whatsapp:+5511999999999'));
    assert.doesNotThrow(() => requireOwnConversationId(id, A));
    assert.throws(() => requireOwnConversationId(id, C, 'whatsapp:+5511999999999'), reserved);
    assert.throws(() => requireOwnConversationId(id, C), reserved);
    assert.throws(() => requireOwnConversationId(id, A, 'whatsapp:+5511999999998'), reserved);
    // Instagram handles are case-insensitive: the identity's (lower-case) id and the one named as sent both fit.
    const lower = privateConversationId(A, 'instagram:@maria_silva');
    assert.doesNotThrow(() => requireOwnConversationId(lower, A, 'instagram:@Maria_Silva'));
    assert.doesNotThrow(() =>
      requireOwnConversationId(privateConversationId(A, 'instagram:@Maria_Silva'), A, 'instagram:@Maria_Silva'),
    );
  });

  it('names the id the caller may use in the error', () => {
    assert.throws(
      () => requireOwnConversationId(privateConversationId(A, B), C, B),
      (error: unknown) => reserved(error) && (error as Error).message.includes(privateConversationId(C, B)),
    );
  });

  it('compares parties with Instagram handles case-insensitively only', () => {
    assert.ok(sameParty('instagram:@Maria', 'instagram:@maria'));
    assert.ok(sameParty('whatsapp:+5511999999999', 'whatsapp:+5511999999999'));
    assert.ok(!sameParty('whatsapp:+5511999999999', 'whatsapp:+5511999999998'));
    assert.ok(!sameParty(null, 'whatsapp:+5511999999999'));
    assert.ok(!sameParty(A.toUpperCase(), A));
  });
});
