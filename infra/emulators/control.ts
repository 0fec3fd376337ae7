import crypto from 'node:crypto';
import type { Faults, Received, WebhookPlan, WebhookSettings } from './common.js';
import { EMULATORS } from './process.js';

/**
 * The control API of a provider emulator: faults, what it received, webhooks, inbound messages. Tests and load
 * scenarios drive the emulators through it.
 */
export function emulator(channel: keyof typeof EMULATORS) {
  const base = `${EMULATORS[channel]}/_control`;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    if (!response.ok)
      throw new Error(`${channel} emulator ${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  return {
    setFaults: (faults: Faults) => call<Faults>('PUT', '/faults', faults),
    clearFaults: () => call<Faults>('DELETE', '/faults'),
    received: async (to?: string) =>
      (await call<{ received: Received[] }>('GET', `/received${to ? `?to=${encodeURIComponent(to)}` : ''}`)).received,
    webhooks: () => call<WebhookSettings>('GET', '/webhooks'),
    setWebhooks: (settings: Partial<WebhookSettings> & { recipients?: Record<string, WebhookPlan> }) =>
      call<WebhookSettings>('PUT', '/webhooks', settings),
    stats: () =>
      call<{ calls: { total: number; byStatus: Record<string, number> }; received: number }>('GET', '/stats'),
    /** A person sends our account a message; resolves once the webhook was delivered (its HTTP status inside). */
    inbound: (body: Record<string, unknown>) =>
      call<{ id: string; webhook_status: number; sender_id?: string }>('POST', '/inbound', body),
  };
}

/** The text messages the emulator accepted with this body text (WhatsApp text.body / Instagram message.text). */
export const textsOf = (received: Received[]): string[] =>
  received.map((entry) => {
    const payload = entry.payload as { text?: { body?: string }; message?: { text?: string } };
    return payload.text?.body ?? payload.message?.text ?? '';
  });

/** A fresh WhatsApp number (E.164, São Paulo mobile) for one test or run: its messages are told apart by it. */
export const newPhoneNumber = (): string => `+55119${crypto.randomInt(10_000_000, 99_999_999)}`;
