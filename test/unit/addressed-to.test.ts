import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAddressedTo } from '@chat4all/shared/messages/recipients.js';

const SENDER = 'u-sender';
const BOB = 'u-bob';
const CAROL = 'u-carol';

describe('isAddressedTo', () => {
  it('never counts the sender', () => {
    assert.equal(isAddressedTo({ sender_id: SENDER, channel: 'chat4all', recipient: null }, SENDER), false);
    assert.equal(isAddressedTo({ sender_id: SENDER, channel: 'whatsapp', recipient: '+5511' }, SENDER), false);
  });

  it('counts only the named recipient of a private Chat4All message', () => {
    assert.equal(isAddressedTo({ sender_id: SENDER, channel: 'chat4all', recipient: BOB }, BOB), true);
    assert.equal(isAddressedTo({ sender_id: SENDER, channel: 'chat4all', recipient: BOB }, CAROL), false);
  });

  it('counts anyone but the sender when no recipient is named (a group), or the recipient is a provider address', () => {
    assert.equal(isAddressedTo({ sender_id: SENDER, channel: 'chat4all', recipient: null }, CAROL), true);
    assert.equal(isAddressedTo({ sender_id: SENDER, channel: 'whatsapp', recipient: '+5511' }, BOB), true);
  });
});
