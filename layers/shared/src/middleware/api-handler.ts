import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import jsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { serviceUnavailable } from '../http/errors.js';
import { metrics } from '../metrics/middleware.js';
import { bodyLimit } from './body-limit.js';
import { correlationId } from './correlation-id.js';
import { httpErrors } from './http-errors.js';
import { wellFormedText } from './well-formed-text.js';

export type HttpEvent = APIGatewayProxyEvent;
export type HttpResult = APIGatewayProxyResult;
export type HttpHandler<E extends HttpEvent = HttpEvent> = (event: E, context: Context) => Promise<HttpResult>;

/**
 * A handler still working this long before the function's timeout answers 503 with Retry-After instead: a dependency
 * that stalls (a frozen Cassandra or broker keeps its sockets open, so nothing fails fast) must not leave the caller
 * waiting for the platform's timeout, which drops the connection (serverless-offline) or answers 502/504 (API
 * Gateway). Middy's own default, 5 ms before, would throw an error the error middleware answers with a 500.
 */
const DEADLINE_MARGIN_MS = Number(process.env.HTTP_DEADLINE_MARGIN_MS ?? 3000);

export interface ApiHandlerOptions {
  /** Parse a JSON body (POST/PUT): 400 when malformed or holding a lone surrogate, 415 when not application/json. */
  jsonBody?: boolean;
  /** Extra middlewares, run after the common ones (for example authenticate()). */
  use?: middy.MiddlewareObj<HttpEvent, HttpResult>[];
}

/**
 * The common Middy stack of every HTTP function: per-invocation metrics, a correlation id, JSON errors, a 1 MB body limit, optional JSON
 * body parsing (well-formed text only), then the function's own middlewares. The handler only parses, authorizes,
 * calls domain code and responds.
 */
export function apiHandler<E extends HttpEvent = HttpEvent>(handler: HttpHandler<E>, options: ApiHandlerOptions = {}) {
  // correlationId comes first so that its onError (Middy runs those last-to-first) sees httpErrors' response.
  const wrapped = middy<HttpEvent, HttpResult>({
    timeoutEarlyInMillis: DEADLINE_MARGIN_MS,
    timeoutEarlyResponse: () => {
      throw serviceUnavailable('the request took too long; retry shortly', 5, 'timeout');
    },
  })
    .use(metrics() as middy.MiddlewareObj<HttpEvent, HttpResult>)
    .use(correlationId())
    .use(httpErrors())
    // Lower-case header names: HTTP says they are case-insensitive, API Gateway passes them as the client spelled them.
    .use(httpHeaderNormalizer())
    .use(bodyLimit());
  if (options.jsonBody) wrapped.use(jsonBodyParser()).use(wellFormedText());
  for (const middleware of options.use ?? []) wrapped.use(middleware);
  return wrapped.handler(handler as unknown as HttpHandler);
}
