import { DomainError } from '../errors/domain.js';

/**
 * The `private:` namespace of conversation ids. An id in it is derived from the two parties of a private conversation
 * (`private:<a>:<b>`, the parties sorted), so whoever could create it first would sit inside the conversation its
 * parties later reach by that same derivation. No client chooses one: a client-named id in it is accepted only when
 * it is the one derived from the caller and the other party. Pure, so it costs nothing on the send path.
 */

const PREFIX = 'private:';
const CODE = 'reserved_conversation_id';

/** A stable id for the private conversation of two parties (user ids or channel addresses). */
export function privateConversationId(party: string, other: string): string {
  return `${PREFIX}${[party, other].sort().join(':')}`.slice(0, 128);
}

/** Whether the id is in the reserved namespace, in any letter case (a look-alike is no less misleading). */
export const isPrivateNamespace = (conversationId: string): boolean =>
  conversationId.slice(0, PREFIX.length).toLowerCase() === PREFIX;

/** Instagram handles are case-insensitive (identities store them in lower case); numbers and user ids have one spelling. */
const spellings = (address: string): string[] =>
  address.startsWith('instagram:') ? [address, address.toLowerCase()] : [address];

/** Whether two parties (user ids or channel addresses) are the same one. */
export const sameParty = (a: string | null | undefined, b: string): boolean =>
  typeof a === 'string' && (a === b || (a.startsWith('instagram:') && a.toLowerCase() === b.toLowerCase()));

/** Whether `conversationId` is derived from `party` and some other party (`private:<party>:<x>` or `…:<x>:<party>`). */
function hasParty(conversationId: string, party: string): boolean {
  const rest = conversationId.slice(PREFIX.length);
  const others = [
    rest.startsWith(`${party}:`) ? rest.slice(party.length + 1) : undefined,
    rest.endsWith(`:${party}`) ? rest.slice(0, -(party.length + 1)) : undefined,
  ];
  return others.some((other) => other !== undefined && privateConversationId(party, other) === conversationId);
}

/**
 * 400 reserved_conversation_id unless a client-named `conversationId` may be used by `callerId`: any id outside the
 * `private:` namespace; inside it, exactly the id derived from the caller and `counterpart` (the other party: a user
 * id or a channel address), or, with no counterpart named, an id derived from the caller and someone.
 */
export function requireOwnConversationId(conversationId: string, callerId: string, counterpart?: string | null): void {
  if (!isPrivateNamespace(conversationId)) return;
  if (counterpart === undefined || counterpart === null) {
    if (hasParty(conversationId, callerId)) return;
    throw new DomainError(
      'invalid',
      'conversation ids starting with "private:" are reserved for the private conversation of two parties, and this one is not yours',
      CODE,
    );
  }
  if (spellings(counterpart).some((other) => privateConversationId(callerId, other) === conversationId)) return;
  throw new DomainError(
    'invalid',
    `conversation ids starting with "private:" are reserved: yours with this recipient is ${privateConversationId(callerId, counterpart)} (or leave conversation_id out)`,
    CODE,
  );
}
