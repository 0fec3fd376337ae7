import middy from '@middy/core';
import jsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { metrics } from '../metrics/middleware.js';
import { bodyLimit } from '../middleware/body-limit.js';
import { correlationId } from '../middleware/correlation-id.js';
import { httpErrors } from '../middleware/http-errors.js';
import { normalizeHeaders } from '../middleware/normalize-headers.js';
import { wellFormedText } from '../middleware/well-formed-text.js';

export type HttpEvent = APIGatewayProxyEvent;
export type HttpResult = APIGatewayProxyResult;
export type HttpHandler<E extends HttpEvent = HttpEvent> = (event: E, context: Context) => Promise<HttpResult>;

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
  const wrapped = middy<HttpEvent, HttpResult>()
    .use(metrics() as middy.MiddlewareObj<HttpEvent, HttpResult>)
    .use(correlationId())
    .use(httpErrors())
    .use(normalizeHeaders())
    .use(bodyLimit());
  if (options.jsonBody) wrapped.use(jsonBodyParser()).use(wellFormedText());
  for (const middleware of options.use ?? []) wrapped.use(middleware);
  return wrapped.handler(handler as unknown as HttpHandler);
}
