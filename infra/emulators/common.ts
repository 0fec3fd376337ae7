/**
 * What the provider emulators share: an HTTP server with a control API (faults, what was received, webhook
 * behaviour, simulated inbound messages) and a webhook sender that signs like Meta (X-Hub-Signature-256) and
 * delivers again when our endpoint does not answer 2xx.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Json = Record<string, unknown>;

/** Faults injected into the provider API (never into the control API). */
export interface Faults {
  /** Probability per call of answering with a status code, e.g. {"500": 0.2, "429": 0.05}. */
  errorRates?: Record<string, number>;
  /** Retry-After (seconds) on injected 429 and 503 answers. */
  retryAfterSeconds?: number;
  /** Extra latency of every call. */
  latencyMs?: number;
  /** Probability per call of never answering (the caller's timeout fires). */
  timeoutRate?: number;
  /** A full outage for this many seconds from now: every call fails (see outageMode). */
  outageSeconds?: number;
  /** `503`: Service Unavailable answers; `reset`: connections are dropped without an answer. */
  outageMode?: '503' | 'reset';
  /** Recipients the rates, latency and timeouts apply to (all when absent). */
  only?: string[];
  /** Recipients the provider refuses for good (WhatsApp 131026 undeliverable, Instagram 551 unavailable). */
  rejectRecipients?: string[];
  /** Recipients whose messages are accepted, then reported failed by webhook (WhatsApp only). */
  failAsyncRecipients?: string[];
}

/** Which receipts the emulator sends after accepting a message, in what order, how long after the send. */
export interface WebhookPlan {
  order: string[];
  delaysMs: number[];
}

export interface WebhookSettings extends WebhookPlan {
  /** Per recipient (as the API received it), replacing the default plan. */
  recipients?: Record<string, WebhookPlan>;
}

export interface Received {
  id: string;
  to: string;
  payload: unknown;
  at: string;
}

export interface Delivery {
  url: string;
  kind: string;
  status: number | string;
  attempts: number;
  at: string;
}

const MAX_LOG = 50_000; // a fault run sends thousands per provider; the audit counts them all

/** Meta's JSON: non-ASCII characters and `/` escaped, which is why signatures must be checked on the raw bytes. */
export const metaJson = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/\//g, '\\/')
    .replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);

export const signature = (body: string, secret: string): string =>
  `sha256=${crypto.createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export interface EmulatorOptions {
  name: string;
  port: number;
  webhookUrl: string;
  appSecret: string;
  defaultWebhooks: WebhookPlan;
}

/** The state and plumbing of one emulator; the channel's routes are given to `listen`. */
export class Emulator {
  faults: Faults & { outageUntil?: number } = {};
  webhooks: WebhookSettings;
  readonly received: Received[] = [];
  readonly deliveries: Delivery[] = [];
  readonly calls = { total: 0, byStatus: {} as Record<string, number> };
  private server: http.Server | undefined;

  constructor(readonly options: EmulatorOptions) {
    this.webhooks = { ...options.defaultWebhooks };
  }

  /** Whether a fault of the `only` scope applies to this recipient. */
  private inScope(to: string | undefined): boolean {
    return !this.faults.only || (to !== undefined && this.faults.only.includes(to));
  }

  outage(): boolean {
    return this.faults.outageUntil !== undefined && Date.now() < this.faults.outageUntil;
  }

  /**
   * The injected fault for one call, if any: a status code to answer with, `timeout` (never answer) or nothing.
   * Latency is applied before.
   */
  async injected(to: string | undefined): Promise<number | 'timeout' | undefined> {
    if (!this.inScope(to)) return undefined;
    if (this.faults.latencyMs) await sleep(this.faults.latencyMs);
    let roll = Math.random();
    if (this.faults.timeoutRate && roll < this.faults.timeoutRate) return 'timeout';
    roll = Math.random();
    for (const [status, rate] of Object.entries(this.faults.errorRates ?? {})) {
      if (roll < rate) return Number(status);
      roll -= rate;
    }
    return undefined;
  }

  record(entry: Omit<Received, 'at'>): void {
    this.received.push({ ...entry, at: new Date().toISOString() });
    if (this.received.length > MAX_LOG) this.received.splice(0, this.received.length - MAX_LOG);
  }

  plan(to: string): WebhookPlan {
    return this.webhooks.recipients?.[to] ?? this.webhooks;
  }

  /**
   * POSTs a webhook signed with X-Hub-Signature-256, like Meta: delivered again while the endpoint does not answer
   * 2xx, backing off (with jitter, so a recovering endpoint is not met by every retry at once) up to 10 s between
   * tries. Meta keeps trying for days; 20 tries span about 3 minutes here, longer than a restart of our API under load,
   * whose receipts settle the sends it was making when it died.
   */
  async sendWebhook(kind: string, payload: unknown, { attempts = 20 }: { attempts?: number } = {}): Promise<number> {
    const body = metaJson(payload);
    let last: number | string = 'not sent';
    let tries = 0;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      tries = attempt;
      try {
        const response = await fetch(this.options.webhookUrl, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'User-Agent': 'facebookexternalua',
            'X-Hub-Signature-256': signature(body, this.options.appSecret),
          },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        await response.arrayBuffer();
        last = response.status;
        if (response.ok) break;
      } catch (error) {
        last = (error as Error).message;
      }
      if (attempt < attempts) await sleep(Math.min(10_000, 500 * 2 ** (attempt - 1)) * (0.75 + Math.random() / 2));
    }
    this.deliveries.push({
      url: this.options.webhookUrl,
      kind,
      status: last,
      attempts: tries,
      at: new Date().toISOString(),
    });
    if (this.deliveries.length > MAX_LOG) this.deliveries.splice(0, this.deliveries.length - MAX_LOG);
    return typeof last === 'number' ? last : 0;
  }

  /** Schedules the receipts of an accepted message: each `kind` of the plan after its delay. */
  scheduleWebhooks(to: string, build: (kind: string) => unknown | undefined, plan: WebhookPlan = this.plan(to)): void {
    plan.order.forEach((kind, index) => {
      const delay = plan.delaysMs[index] ?? plan.delaysMs.at(-1) ?? 0;
      setTimeout(() => {
        const payload = build(kind); // built when sent: its timestamp is when the receipt happens
        if (payload !== undefined) void this.sendWebhook(kind, payload);
      }, delay).unref();
    });
  }

  private control(method: string, path: string, query: URLSearchParams, body: unknown): HttpAnswer | undefined {
    const route = `${method} ${path}`;
    switch (route) {
      case 'GET /_control/health':
        return new HttpAnswer(200, { status: 'up', emulator: this.options.name });
      case 'GET /_control/faults':
        return new HttpAnswer(200, this.faults);
      case 'PUT /_control/faults': {
        const faults = (body ?? {}) as Faults;
        this.faults = {
          ...faults,
          ...(faults.outageSeconds ? { outageUntil: Date.now() + faults.outageSeconds * 1000 } : {}),
        };
        return new HttpAnswer(200, this.faults);
      }
      case 'DELETE /_control/faults':
        this.faults = {};
        return new HttpAnswer(200, this.faults);
      case 'GET /_control/received': {
        const to = query.get('to');
        return new HttpAnswer(200, { received: to ? this.received.filter((r) => r.to === to) : this.received });
      }
      case 'DELETE /_control/received':
        this.received.length = 0;
        return new HttpAnswer(200, { received: [] });
      case 'GET /_control/webhooks':
        return new HttpAnswer(200, this.webhooks);
      case 'PUT /_control/webhooks': {
        const settings = (body ?? {}) as Partial<WebhookSettings>;
        this.webhooks = {
          order: settings.order ?? this.webhooks.order,
          delaysMs: settings.delaysMs ?? this.webhooks.delaysMs,
          recipients: { ...this.webhooks.recipients, ...settings.recipients },
        };
        return new HttpAnswer(200, this.webhooks);
      }
      case 'DELETE /_control/webhooks':
        this.webhooks = { ...this.options.defaultWebhooks };
        return new HttpAnswer(200, this.webhooks);
      case 'GET /_control/deliveries':
        return new HttpAnswer(200, { deliveries: this.deliveries });
      case 'GET /_control/stats':
        return new HttpAnswer(200, { calls: this.calls, received: this.received.length });
      default:
        return undefined;
    }
  }

  /** Serves the control API and the channel's API (`api`, which answers undefined for routes it does not know). */
  async listen(
    api: (request: ApiRequest) => Promise<HttpAnswer | 'timeout' | 'reset' | undefined>,
    inbound: (body: Json) => Promise<HttpAnswer>,
  ): Promise<number> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        void (async () => {
          const url = new URL(req.url ?? '/', 'http://emulator');
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = { __invalid_json: text.slice(0, 100) };
          }
          const method = req.method ?? 'GET';
          let answer: HttpAnswer | 'timeout' | 'reset' | undefined;
          try {
            if (url.pathname.startsWith('/_control/')) {
              answer =
                method === 'POST' && url.pathname === '/_control/inbound'
                  ? await inbound((body ?? {}) as Json)
                  : this.control(method, url.pathname, url.searchParams, body);
            } else {
              this.calls.total += 1;
              answer = await api({ method, path: url.pathname, query: url.searchParams, headers: req.headers, body });
            }
          } catch (error) {
            answer = new HttpAnswer(500, { error: { message: (error as Error).message, code: 1 } });
          }
          answer ??= new HttpAnswer(404, {
            error: { message: `Unknown path components: ${url.pathname}`, code: 2500, type: 'OAuthException' },
          });
          if (answer === 'reset') return void req.socket.destroy();
          if (answer === 'timeout') {
            // Never answer; drop the connection after a minute if the caller has not given up first.
            const timer = setTimeout(() => req.socket.destroy(), 60_000);
            req.socket.once('close', () => clearTimeout(timer));
            return;
          }
          if (!url.pathname.startsWith('/_control/')) {
            const key = String(answer.status);
            this.calls.byStatus[key] = (this.calls.byStatus[key] ?? 0) + 1;
          }
          const json = JSON.stringify(answer.body);
          res.writeHead(answer.status, {
            'Content-Type': 'application/json; charset=UTF-8',
            'Content-Length': Buffer.byteLength(json),
            ...answer.headers,
          });
          res.end(json);
        })();
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port, '127.0.0.1', () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** The Graph API's error answer. */
export const graphError = (
  status: number,
  code: number,
  message: string,
  extra: Json = {},
  headers: Record<string, string> = {},
): HttpAnswer =>
  new HttpAnswer(
    status,
    {
      error: {
        message,
        type: 'OAuthException',
        code,
        ...extra,
        fbtrace_id: crypto.randomBytes(12).toString('base64url'),
      },
    },
    headers,
  );

/** The bearer token of a call (Authorization header or access_token query parameter). */
export const bearerToken = (request: ApiRequest): string | undefined => {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header) : null;
  return match?.[1]?.trim() ?? request.query.get('access_token') ?? undefined;
};
