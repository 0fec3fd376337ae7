import crypto from 'node:crypto';
import { Pool } from 'undici';

export const API_URL = process.env.API_URL ?? 'http://127.0.0.1:8080';

export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Keep-alive connection pools to the API: the load generator must not be the bottleneck. Given several base URLs
 * (API processes behind one address in production), calls go to each in turn.
 */
export class ApiClient {
  private readonly pools: Pool[];
  private next = 0;

  constructor(
    baseUrls: string | string[] = API_URL,
    connections = 128,
    private readonly timeoutMs = 30_000,
  ) {
    this.pools = [baseUrls]
      .flat()
      .map((baseUrl) => new Pool(baseUrl, { connections, pipelining: 1, keepAliveTimeout: 30_000 }));
  }

  async call<T = Record<string, unknown>>(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    { body, headers = {} }: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Reply<T>> {
    const pool = this.pools[this.next++ % this.pools.length]!;
    const response = await pool.request({
      method,
      path,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    const text = await response.body.text();
    return { status: response.statusCode, body: (text ? JSON.parse(text) : {}) as T, headers: response.headers };
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((pool) => pool.close()));
  }
}

export interface LoadUser {
  id: string;
  username: string;
  token: string;
  headers: Record<string, string>;
}

/**
 * Registers a fresh user for a run (its inbox holds only this run's messages). A 503 is retried after Retry-After
 * with the same body, as any client would: the server finishes an attempt that was cut off part way.
 */
export async function registerUser(client: ApiClient, prefix: string): Promise<LoadUser> {
  const username = `${prefix}_${crypto.randomBytes(4).toString('hex')}`;
  const password = crypto.randomBytes(12).toString('base64url');
  for (let attempt = 1; ; attempt++) {
    const registered = await client.call<{ user_id: string }>('POST', '/auth/register', {
      body: { username, password, email: `${username}@load.example.com` },
    });
    if (registered.status === 201) return login(client, username, password, registered.body.user_id);
    if (registered.status !== 503 || attempt >= 5)
      throw new Error(`register ${username}: ${registered.status} ${JSON.stringify(registered.body)}`);
    const retryAfterS = Number(registered.headers['retry-after'] ?? 1);
    await new Promise((resolve) => setTimeout(resolve, Math.min(10, retryAfterS || 1) * 1000));
  }
}

export async function login(client: ApiClient, username: string, password: string, id?: string): Promise<LoadUser> {
  const token = await client.call<{ access_token: string }>('POST', '/auth/token', { body: { username, password } });
  if (token.status !== 200) throw new Error(`token ${username}: ${token.status}`);
  const subject =
    id ?? (JSON.parse(Buffer.from(token.body.access_token.split('.')[1]!, 'base64url').toString()).sub as string);
  return {
    id: subject,
    username,
    token: token.body.access_token,
    headers: { authorization: `Bearer ${token.body.access_token}` },
  };
}
