/** Where the tests reach the API (serverless-offline started by test/run.ts or npm start). */
export const API_URL = process.env.API_URL ?? 'http://127.0.0.1:8080';

export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export async function request<T = Record<string, unknown>>(
  method: string,
  path: string,
  { body, headers = {} }: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const response = await fetch(`${API_URL}${path}`, {
    method,
    headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as T };
}

/**
 * A request as a careful client sends it under the per-user rate limit: a 429 is tried again after its Retry-After.
 * For tests that build a backlog as fast as the API takes it.
 */
export async function requestWithinRateLimit<T = Record<string, unknown>>(
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  for (;;) {
    const response = await request<T>(method, path, options);
    if (response.status !== 429) return response;
    const seconds = Number(response.headers.get('retry-after'));
    await new Promise((resolve) => setTimeout(resolve, (Number.isFinite(seconds) && seconds > 0 ? seconds : 1) * 1000));
  }
}

/** Polls until `predicate` holds, returning the elapsed milliseconds; fails after `timeoutMs`. */
export async function eventually(
  label: string,
  predicate: () => Promise<boolean>,
  { timeoutMs, intervalMs = 100 }: { timeoutMs: number; intervalMs?: number },
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await predicate().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${label}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
