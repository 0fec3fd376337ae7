import type { Channel } from '../contracts/records.js';
import { DomainError } from '../errors/domain.js';
import { UUID_PATTERN } from '../ids.js';

/** Who a message goes to: a Chat4All user (by username or id), a WhatsApp number or an Instagram handle. */
export type Recipient =
  { kind: 'user'; ref: string } | { kind: 'whatsapp'; phone: string } | { kind: 'instagram'; handle: string };

export type { Channel };

const E164 = /^\+[1-9]\d{6,14}$/;
const INSTAGRAM_HANDLE = /^[A-Za-z0-9._]{1,30}$/;
const USERNAME = /^[A-Za-z0-9_]{3,50}$/;

export function parseRecipient(raw: string): Recipient {
  if (raw.startsWith('whatsapp:')) {
    const phone = raw.slice('whatsapp:'.length);
    if (!E164.test(phone))
      throw new DomainError('invalid', 'a WhatsApp recipient is whatsapp:+<E.164 number>', 'invalid_recipient');
    return { kind: 'whatsapp', phone };
  }
  if (raw.startsWith('instagram:')) {
    const handle = raw.slice('instagram:'.length).replace(/^@/, '');
    if (!INSTAGRAM_HANDLE.test(handle))
      throw new DomainError('invalid', 'an Instagram recipient is instagram:@<handle>', 'invalid_recipient');
    return { kind: 'instagram', handle };
  }
  if (UUID_PATTERN.test(raw) || USERNAME.test(raw)) return { kind: 'user', ref: raw };
  throw new DomainError(
    'invalid',
    'recipient_id is a username, a user id, whatsapp:+<E.164> or instagram:@<handle>',
    'invalid_recipient',
  );
}

export function formatRecipient(recipient: Recipient): string {
  switch (recipient.kind) {
    case 'whatsapp':
      return `whatsapp:${recipient.phone}`;
    case 'instagram':
      return `instagram:@${recipient.handle}`;
    case 'user':
      return recipient.ref;
  }
}

export const channelOf = (recipient: Recipient | undefined): Channel =>
  recipient === undefined || recipient.kind === 'user' ? 'chat4all' : recipient.kind;
