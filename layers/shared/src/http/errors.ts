/** An error a client can act on: it becomes `{"error": message, "code": code}` with `status`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Extra fields of the JSON body, for example the current status of a 409. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string, code = 'bad_request'): HttpError => new HttpError(400, code, message);
export const unauthorized = (message = 'missing or invalid token', code = 'unauthorized'): HttpError =>
  new HttpError(401, code, message, { 'WWW-Authenticate': 'Bearer' });
export const forbidden = (message: string, code = 'forbidden'): HttpError => new HttpError(403, code, message);
export const conflict = (message: string, code = 'conflict'): HttpError => new HttpError(409, code, message);
export const serviceUnavailable = (message: string, retryAfterSeconds: number, code = 'unavailable'): HttpError =>
  new HttpError(503, code, message, { 'Retry-After': String(retryAfterSeconds) });
