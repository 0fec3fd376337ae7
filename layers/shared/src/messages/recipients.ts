import type { StoredMessage } from './repository.js';

/**
 * Whether the message was sent to `userId`, by its own fields: never its sender; for a Chat4All message, its named
 * recipient, or anyone else when none is named (a group). A provider message's `recipient` is an external address,
 * so any member but the sender counts. Membership of the conversation is the caller's check.
 */
export function isAddressedTo(
  message: Pick<StoredMessage, 'sender_id' | 'channel' | 'recipient'>,
  userId: string,
): boolean {
  if (message.sender_id === userId) return false;
  return message.channel !== 'chat4all' || message.recipient === null || message.recipient === userId;
}
