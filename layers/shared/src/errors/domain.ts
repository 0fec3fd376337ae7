/**
 * What kind of failure a caller met, in the domain's terms: the HTTP error middleware gives each kind its status, so
 * domain code never names a transport.
 */
export type DomainErrorKind =
  | 'invalid'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'unsupported_type'
  | 'unprocessable'
  | 'rate_limited'
  | 'unavailable';

export interface DomainErrorOptions {
  /** When trying again may succeed (a rate limit, an outage). */
  retryAfterSeconds?: number;
  /** Facts a caller can act on besides the code, for example a message's current status. */
  details?: Record<string, unknown>;
}

/** A failure a caller can act on: a machine `code` and a message for people. */
export class DomainError extends Error {
  readonly retryAfterSeconds: number | undefined;
  readonly details: Record<string, unknown>;

  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    readonly code: string,
    options: DomainErrorOptions = {},
  ) {
    super(message);
    this.name = 'DomainError';
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.details = options.details ?? {};
  }
}
