import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { isDatabaseUnavailable } from '../errors/dependency.js';
import { DomainError, type DomainErrorKind } from '../errors/domain.js';
import { HttpError } from '../http/errors.js';
import { json } from '../http/response.js';
import { logger } from '../logger.js';

type Request = middy.Request<APIGatewayProxyEvent, APIGatewayProxyResult>;

/** Middy's own http errors (for example from the JSON body parser) carry a statusCode and `expose`. */
interface MiddyHttpError {
  statusCode: number;
  expose?: boolean;
  message: string;
}

const isMiddyHttpError = (error: unknown): error is MiddyHttpError =>
  typeof error === 'object' && error !== null && typeof (error as MiddyHttpError).statusCode === 'number';

/** The HTTP status of each kind of domain error. */
export const DOMAIN_ERROR_STATUS: Record<DomainErrorKind, number> = {
  invalid: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
};

const retryAfter = (error: DomainError): Record<string, string> =>
  error.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(error.retryAfterSeconds) };

/** Middy's body parser answers 415 for malformed JSON too; a client is better served by 400 there. */
function describeClientError(error: MiddyHttpError): [number, string, string] {
  if (/malformed JSON/i.test(error.message)) return [400, 'invalid_json', 'the body is not valid JSON'];
  if (error.statusCode === 415) return [415, 'unsupported_media_type', 'send the body as application/json'];
  if (error.statusCode === 413) return [413, 'payload_too_large', error.message];
  return [error.statusCode, 'bad_request', error.message];
}

/**
 * Turns any error into a JSON answer: HttpError as it says, a DomainError with the status of its kind, Middy's
 * client errors as 4xx, anything else as a 500 that names no internals (the details go to the log only).
 */
export const httpErrors = (): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => ({
  onError: async (request: Request) => {
    const error = request.error;
    if (error instanceof HttpError || error instanceof DomainError) {
      const [status, headers]: [number, Record<string, string>] =
        error instanceof HttpError
          ? [error.status, error.headers]
          : [DOMAIN_ERROR_STATUS[error.kind], retryAfter(error)];
      request.response = json(status, { error: error.message, code: error.code, ...error.details }, headers);
      return;
    }
    if (isMiddyHttpError(error) && error.statusCode >= 400 && error.statusCode < 500) {
      const [status, code, message] = describeClientError(error);
      request.response = json(status, { error: message, code });
      return;
    }
    if (isDatabaseUnavailable(error)) {
      logger.warn({ err: error, function: request.context.functionName }, 'database unavailable');
      request.response = json(
        503,
        { error: 'the database is unavailable; retry shortly', code: 'database_unavailable' },
        { 'Retry-After': '5' }, // a Cassandra restart takes tens of seconds: retries sooner only add load
      );
      return;
    }
    logger.error({ err: error, function: request.context.functionName }, 'unhandled error');
    request.response = json(500, { error: 'internal error', code: 'internal' });
  },
});
