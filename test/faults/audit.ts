import type { CassandraClient } from '@chat4all/shared/clients/cassandra.js';
import type { Received } from '../../infra/emulators/common.js';
import { emulator, textsOf } from '../../infra/emulators/control.js';
import type { Channel, FaultFixture } from './fixture.js';
import type { AcceptedMessage } from './traffic.js';

/**
 * Where a message's journey ends, per channel: a Chat4All recipient's client acknowledged it (DELIVERED), WhatsApp
 * reported it delivered, Instagram echoed it (Instagram has no delivered receipt, only the echo and `read`).
 */
const ARRIVED: Record<Channel, Set<string>> = {
  chat4all: new Set(['DELIVERED', 'READ']),
  whatsapp: new Set(['DELIVERED', 'READ']),
  instagram: new Set(['SENT', 'DELIVERED', 'READ']),
};

export interface MessageState {
  status: string | undefined;
  failureReason: string | undefined;
  /** When it arrived (or FAILED), from the message's own *_at columns. */
  doneAt: number | undefined;
}

export interface Audit {
  acknowledged: number;
  delivered: number;
  failed: number;
  lost: number;
  failureReasons: Record<string, number>;
  /** Messages still on their way when the audit was taken, by channel and status ('none': no row, never routed). */
  unfinished: Record<string, number>;
  /** A few of them, to look up. */
  unfinishedIds: string[];
  states: Map<string, MessageState>;
}

const time = (value: Date | null | undefined): number | undefined => (value ? value.getTime() : undefined);

/** The current state of each message, read from messages_by_id (what GET /v1/messages/{id} answers). */
export async function readStates(db: CassandraClient, ids: string[]): Promise<Map<string, MessageState>> {
  const states = new Map<string, MessageState>();
  for (let i = 0; i < ids.length; i += 100) {
    const result = await db.execute(
      'SELECT message_id, status, failure_reason, sent_at, delivered_at, read_at, failed_at FROM messages_by_id WHERE message_id IN ?',
      [ids.slice(i, i + 100)],
    );
    for (const row of result.rows) {
      const status = row.get('status') as string | null;
      const at = (column: string) => time(row.get(column) as Date | null);
      states.set(row.get('message_id') as string, {
        status: status ?? undefined,
        failureReason: (row.get('failure_reason') as string | null) ?? undefined,
        doneAt:
          status === 'FAILED'
            ? at('failed_at')
            : Math.min(...[at('delivered_at'), at('read_at'), at('sent_at')].filter((t) => t !== undefined)),
      });
    }
  }
  return states;
}

const hasArrived = (message: AcceptedMessage, state: MessageState | undefined): boolean =>
  state?.status !== undefined && ARRIVED[message.channel].has(state.status);

/** Every acknowledged message: arrived, FAILED (with its reason), or lost (anything else). */
export async function audit(db: CassandraClient, messages: AcceptedMessage[]): Promise<Audit> {
  const states = await readStates(
    db,
    messages.map((message) => message.id),
  );
  const result: Audit = {
    acknowledged: messages.length,
    delivered: 0,
    failed: 0,
    lost: 0,
    failureReasons: {},
    unfinished: {},
    unfinishedIds: [],
    states,
  };
  for (const message of messages) {
    const state = states.get(message.id);
    if (hasArrived(message, state)) {
      result.delivered++;
    } else if (state?.status === 'FAILED') {
      result.failed++;
      const reason = state.failureReason ?? 'no reason';
      result.failureReasons[reason] = (result.failureReasons[reason] ?? 0) + 1;
    } else {
      result.lost++;
      const key = `${message.channel} ${state?.status ?? 'none'}`;
      result.unfinished[key] = (result.unfinished[key] ?? 0) + 1;
      if (result.unfinishedIds.length < 5) result.unfinishedIds.push(message.id);
    }
  }
  return result;
}

export interface Duplicates {
  /** Copies beyond the first that a provider received (a person got the same message twice). */
  whatsapp: number;
  instagram: number;
  /** new_message frames beyond the first on the recipients' WebSockets (clients dedupe these by message_id). */
  websocket: number;
}

/** Copies of one message beyond the first, at each provider and on the recipients' WebSockets. */
export async function countDuplicates(fixture: FaultFixture, messages: AcceptedMessage[]): Promise<Duplicates> {
  const extra = (counts: Map<string, number>) => [...counts.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0);
  const atProvider = async (channel: 'whatsapp' | 'instagram'): Promise<number> => {
    const addresses = [...new Set(fixture.targets.filter((t) => t.channel === channel).map((t) => t.address))];
    const received: Received[] = (await Promise.all(addresses.map((to) => emulator(channel).received(to)))).flat();
    const counts = new Map<string, number>();
    for (const text of textsOf(received)) counts.set(text, (counts.get(text) ?? 0) + 1);
    const sentTexts = new Set(messages.filter((m) => m.channel === channel).map((m) => m.content));
    for (const text of counts.keys()) if (!sentTexts.has(text)) counts.delete(text);
    return extra(counts);
  };
  const ids = new Set(messages.filter((m) => m.channel === 'chat4all').map((m) => m.id));
  let websocket = 0;
  for (const recipient of fixture.recipients)
    for (const [id, count] of recipient.frames) if (ids.has(id)) websocket += Math.max(0, count - 1);
  return { whatsapp: await atProvider('whatsapp'), instagram: await atProvider('instagram'), websocket };
}
