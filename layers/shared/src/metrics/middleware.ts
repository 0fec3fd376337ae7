import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { pushInvocationMetrics } from './pusher.js';
import { counter, histogram, secondsSince } from './registry.js';

let coldStart = true;

/** The short name of the function: serverless names them <service>-<stage>-<function>. */
export const shortFunctionName = (context: Pick<Context, 'functionName'>): string =>
  (context.functionName ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'unknown').replace(/^chat4all-[^-]+-/, '');

const invocations = () => counter('function_invocations_total', 'Invocations by outcome', ['function', 'outcome']);
const duration = () => histogram('function_duration_seconds', 'Invocation duration', ['function']);
const coldStarts = () =>
  counter('function_cold_starts_total', 'Cold starts (first invocation of a worker)', ['function']);
const httpDuration = () =>
  histogram('http_request_duration_seconds', 'HTTP request duration', ['method', 'route', 'status']);
const httpRejections = () =>
  counter('http_rejections_total', 'HTTP 4xx answers by error code', ['route', 'status', 'code']);

interface Timed {
  metricsStartedAt?: number;
}

function isHttpEvent(event: unknown): event is APIGatewayProxyEvent {
  return typeof event === 'object' && event !== null && 'httpMethod' in event;
}

function errorCode(response: APIGatewayProxyResult): string {
  try {
    return String((JSON.parse(response.body) as { code?: unknown }).code ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

/**
 * Per-invocation metrics for every function: invocations by outcome, duration, cold starts, and
 * for HTTP functions request duration by route and status plus 4xx by error code. Use it first
 * (outermost), so it sees the response the other middlewares made.
 */
export const metrics = (): middy.MiddlewareObj<unknown, unknown> => {
  const record = async (request: middy.Request<unknown, unknown>, failed: boolean): Promise<void> => {
    const fn = shortFunctionName(request.context);
    const started = (request.internal as Timed).metricsStartedAt ?? performance.now();
    const seconds = secondsSince(started);
    const response = request.response as APIGatewayProxyResult | undefined;
    const outcome = failed && !response ? 'error' : response && response.statusCode >= 500 ? 'error' : 'success';
    invocations().inc({ function: fn, outcome });
    duration().observe({ function: fn }, seconds);
    if (isHttpEvent(request.event)) {
      const status = String(response?.statusCode ?? 500);
      const route = request.event.resource ?? request.event.path ?? 'unknown';
      httpDuration().observe({ method: request.event.httpMethod, route, status }, seconds);
      if (response && response.statusCode >= 400 && response.statusCode < 500) {
        httpRejections().inc({ route, status, code: errorCode(response) });
      }
    }
    // Within the invocation (awaited): a Lambda sandbox is frozen the moment the handler's promise settles.
    await pushInvocationMetrics(fn);
  };
  return {
    before: async (request) => {
      (request.internal as Timed).metricsStartedAt = performance.now();
      if (coldStart) {
        coldStart = false;
        coldStarts().inc({ function: shortFunctionName(request.context) });
      }
    },
    after: (request) => record(request, false),
    onError: (request) => record(request, true),
  };
};
