import crypto from 'node:crypto';
import * as hdr from 'hdr-histogram-js';
import type { Consumer } from 'kafkajs';
import WebSocket from 'ws';
import { getKafka } from '@chat4all/shared/clients/kafka.js';
import { TOPICS } from '@chat4all/shared/contracts/topics.js';
import type { StatusEvent } from '@chat4all/shared/messages/model.js';
import type { LoadUser } from './client.js';

const WS_URL = process.env.WS_URL ?? 'ws://127.0.0.1:3001';
/** An ack the server did not answer within this is sent again. */
const ACK_TIMEOUT_MS = 5000;

/**
 * A recipient that stays connected and acknowledges every message at once (→ DELIVERED), as a careful client does:
 * an ack the server could not record (`unavailable`) or did not answer is sent again, and when the server drops the
 * socket (for example a restarted API) it connects again and the server replays what it missed.
 */
export class AckingRecipient {
  readonly frames = new Map<string, number>();
  /** The server's last answer to this client's ack of each message ('acked', or an error frame's code). */
  readonly answers = new Map<string, string>();
  /** Acks sent and not answered yet (`acked`, or an error saying why not), with the timer that sends them again. */
  private readonly unanswered = new Map<string, NodeJS.Timeout>();
  reconnects = 0;
  private socket: WebSocket;
  private closed = false;

  private constructor(
    private readonly user: LoadUser,
    socket: WebSocket,
  ) {
    this.socket = socket;
    this.attach(socket);
  }

  static async connect(user: LoadUser): Promise<AckingRecipient> {
    return new AckingRecipient(user, await AckingRecipient.open(user));
  }

  private static open(user: LoadUser): Promise<WebSocket> {
    const socket = new WebSocket(`${WS_URL}?token=${encodeURIComponent(user.token)}`);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
    });
  }

  private attach(socket: WebSocket): void {
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as {
        type: string;
        code?: string;
        message_id?: string;
        retry_after_ms?: number;
      };
      if (!frame.message_id) return;
      if (frame.type === 'new_message') {
        this.frames.set(frame.message_id, (this.frames.get(frame.message_id) ?? 0) + 1);
        this.ack(frame.message_id);
      } else if (frame.type === 'error' && frame.code === 'unavailable') {
        this.answers.set(frame.message_id, 'unavailable');
        this.ack(frame.message_id, frame.retry_after_ms ?? 2000); // the server could not record it: again, later
      } else if (frame.type === 'acked' || frame.type === 'error') {
        this.answers.set(frame.message_id, frame.code ?? frame.type);
        clearTimeout(this.unanswered.get(frame.message_id));
        this.unanswered.delete(frame.message_id);
      }
    });
    socket.on('error', () => undefined); // 'close' follows, and reconnects
    socket.on('close', () => void this.reconnect());
  }

  /** Sends an ack (after `delayMs`), and again when no answer came within ACK_TIMEOUT_MS. */
  private ack(messageId: string, delayMs = 0): void {
    clearTimeout(this.unanswered.get(messageId));
    const send = () => {
      if (this.closed) return;
      if (this.socket.readyState === WebSocket.OPEN)
        this.socket.send(JSON.stringify({ type: 'ack', message_id: messageId }));
      this.unanswered.set(
        messageId,
        setTimeout(() => this.ack(messageId), ACK_TIMEOUT_MS),
      );
    };
    if (delayMs > 0) this.unanswered.set(messageId, setTimeout(send, delayMs));
    else send();
  }

  private async reconnect(): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 100 * 2 ** attempt)));
      if (this.closed) return;
      try {
        this.socket = await AckingRecipient.open(this.user);
        this.reconnects++;
        this.attach(this.socket);
        return;
      } catch {
        /* the server is still down: try again */
      }
    }
  }

  /** What this client saw of one message: new_message frames received and the last answer to its ack. */
  seen(messageId: string): { frames: number; answer: string | undefined } {
    return { frames: this.frames.get(messageId) ?? 0, answer: this.answers.get(messageId) };
  }

  get duplicates(): number {
    let extra = 0;
    for (const count of this.frames.values()) extra += count - 1;
    return extra;
  }

  close(): void {
    this.closed = true;
    for (const timer of this.unanswered.values()) clearTimeout(timer);
    this.socket.close();
  }
}

/**
 * Follows `status-updates` from now on and records, per tracked message, the time from the client's
 * send to its DELIVERED event: the end-to-end latency, measured from the status events themselves.
 */
export class DeliveryTracker {
  readonly sentAt = new Map<string, number>();
  readonly deliveredAt = new Map<string, number>();
  readonly failed = new Map<string, string>();
  /**
   * Outcomes seen before their 202 reached the load generator: a message can be delivered before its sender's
   * response arrives (the API answers late under load), and must not then count as lost.
   */
  private readonly early = new Map<string, StatusEvent>();
  readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000,
    numberOfSignificantValueDigits: 3,
  });
  private consumer: Consumer | undefined;

  async start(): Promise<void> {
    const admin = getKafka().admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(TOPICS.statusUpdates);
    await admin.disconnect();
    this.consumer = getKafka().consumer({ groupId: `load-tracker-${crypto.randomUUID()}`, maxWaitTimeInMs: 100 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: TOPICS.statusUpdates, fromBeginning: false });
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        const event = JSON.parse(message.value!.toString()) as StatusEvent;
        if (event.status !== 'DELIVERED' && event.status !== 'FAILED') return;
        if (this.sentAt.has(event.message_id)) this.record(event);
        else if (!this.early.has(event.message_id)) this.early.set(event.message_id, event);
      },
    });
    for (const end of ends)
      this.consumer.seek({ topic: TOPICS.statusUpdates, partition: end.partition, offset: end.high });
  }

  /** A message the API accepted (202) at `startedAt` (when its send was scheduled). */
  accepted(messageId: string, startedAt: number): void {
    this.sentAt.set(messageId, startedAt);
    const early = this.early.get(messageId);
    if (early) {
      this.early.delete(messageId);
      this.record(early);
    }
  }

  private record(event: StatusEvent): void {
    if (event.status === 'DELIVERED' && !this.deliveredAt.has(event.message_id)) {
      const at = Date.parse(event.at);
      this.deliveredAt.set(event.message_id, at);
      this.histogram.recordValue(Math.max(1, at - this.sentAt.get(event.message_id)!));
    } else if (event.status === 'FAILED') {
      this.failed.set(event.message_id, event.reason ?? 'failed');
    }
  }

  /** Waits until every tracked message is DELIVERED or FAILED, or `timeoutMs` passes. */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.deliveredAt.size + this.failed.size < this.sentAt.size) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  get lost(): number {
    return this.sentAt.size - this.deliveredAt.size - this.failed.size;
  }

  /** Delivered messages per second, from the first send to the last delivery. */
  get deliveredPerSecond(): number {
    if (this.deliveredAt.size === 0) return 0;
    let first = Number.POSITIVE_INFINITY;
    let last = 0;
    for (const sent of this.sentAt.values()) first = Math.min(first, sent);
    for (const delivered of this.deliveredAt.values()) last = Math.max(last, delivered);
    return this.deliveredAt.size / Math.max(0.001, (last - first) / 1000);
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
