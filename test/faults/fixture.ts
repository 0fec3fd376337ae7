import crypto from 'node:crypto';
import { newPhoneNumber } from '../../infra/emulators/control.js';
import { ApiClient, registerUser, type LoadUser } from '../../load/lib/client.js';
import { AckingRecipient } from '../../load/lib/e2e.js';

export type Channel = 'chat4all' | 'whatsapp' | 'instagram';

/** One conversation of the steady load: a sender and whom it writes to. */
export interface Target {
  channel: Channel;
  sender: LoadUser;
  /** recipient_id of POST /v1/messages. */
  recipientRef: string;
  /** Where the provider emulator records it (a number or a handle); the user id for Chat4All. */
  address: string;
}

export interface FaultFixture {
  targets: Target[];
  /** Chat4All recipients, connected over WebSocket, acknowledging what they receive. */
  recipients: AckingRecipient[];
  close(): void;
}

const handle = (): string => `fault.${crypto.randomBytes(5).toString('hex')}`;

/**
 * Fresh senders, each writing to one Chat4All user (on a WebSocket), one WhatsApp number and one Instagram handle:
 * a run's messages are told apart from every other run's by their addresses.
 */
export async function faultFixture(client: ApiClient, senders = 6): Promise<FaultFixture> {
  const senderUsers = await Promise.all(Array.from({ length: senders }, () => registerUser(client, 'fault_from')));
  const recipientUsers = await Promise.all(Array.from({ length: senders }, () => registerUser(client, 'fault_to')));
  const recipients = await Promise.all(recipientUsers.map((user) => AckingRecipient.connect(user)));
  const targets = senderUsers.flatMap((sender, i): Target[] => {
    const number = newPhoneNumber();
    const igHandle = handle();
    return [
      { channel: 'chat4all', sender, recipientRef: recipientUsers[i]!.id, address: recipientUsers[i]!.id },
      { channel: 'whatsapp', sender, recipientRef: `whatsapp:${number}`, address: number },
      { channel: 'instagram', sender, recipientRef: `instagram:@${igHandle}`, address: igHandle },
    ];
  });
  return {
    targets,
    recipients,
    close: () => {
      for (const recipient of recipients) recipient.close();
    },
  };
}
