/**
 * npm run invoke -- <function> [--event <file>] [--target offline|localstack]
 *
 * Invokes one function of serverless.yml with a sample event (default events/<function>.json) on either runtime:
 * `offline`: serverless-offline's Lambda Invoke endpoint (npm start, :3002); `localstack` (default): the deployed
 * stage `local` in LocalStack (npm run deploy:local), through the Lambda API. Prints the result and the
 * invocation's logs (LocalStack: the tail Lambda returns with LogType=Tail; serverless-offline: its own output).
 *
 * Placeholders in an event file, filled in at invoke time:
 *   {{token:<user>:<password>}}   a bearer token of that user, from the authToken function on the same target
 *   {{signature:<channel>}}        X-Hub-Signature-256 of the event's body with that channel's (local) app secret
 *   {{uuid}}                       a fresh UUID (the same one everywhere in one event)
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { InvokeCommand, LambdaClient, LogType } from '@aws-sdk/client-lambda';
import { config } from '../layers/shared/src/config.js';
import { signBody } from '../layers/shared/src/webhooks/signature.js';
import { ENDPOINT, REGION, STAGE } from './deploy/localstack.js';
import { loadFunctions } from './functions.js';
import { ROOT } from './stack/paths.js';

export type Target = 'offline' | 'localstack';

export const OFFLINE_LAMBDA = process.env.CHAT4ALL_OFFLINE_LAMBDA_URL ?? 'http://127.0.0.1:3002';

export interface Invocation {
  function: string;
  target: Target;
  statusCode: number;
  functionError?: string;
  result: unknown;
  logs: string;
  ms: number;
}

function client(target: Target): LambdaClient {
  return new LambdaClient({
    endpoint: target === 'offline' ? OFFLINE_LAMBDA : ENDPOINT,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

async function invokeRaw(target: Target, fn: string, event: unknown): Promise<Invocation> {
  const lambda = client(target);
  const started = performance.now();
  try {
    const response = await lambda.send(
      new InvokeCommand({
        FunctionName: `chat4all-${STAGE}-${fn}`,
        Payload: JSON.stringify(event),
        ...(target === 'localstack' ? { LogType: LogType.Tail } : {}),
      }),
    );
    const text = Buffer.from(response.Payload ?? []).toString('utf8');
    let result: unknown = text;
    try {
      result = JSON.parse(text);
    } catch {
      /* not JSON: shown as it is */
    }
    return {
      function: fn,
      target,
      statusCode: response.StatusCode ?? 0,
      ...(response.FunctionError ? { functionError: response.FunctionError } : {}),
      result,
      logs: response.LogResult
        ? Buffer.from(response.LogResult, 'base64').toString('utf8')
        : target === 'offline'
          ? "(serverless-offline writes the function's logs to its own output: npm start's terminal or .stack/api*.log)"
          : '',
      ms: performance.now() - started,
    };
  } finally {
    lambda.destroy();
  }
}

/** The event of `file` with its placeholders filled in for `target`. */
export async function prepareEvent(file: string, target: Target): Promise<unknown> {
  let text = fs.readFileSync(file, 'utf8').replaceAll('{{uuid}}', crypto.randomUUID());
  for (const [placeholder, user, password] of text.matchAll(/\{\{token:([^:}]+):([^}]+)\}\}/g)) {
    const answer = await invokeRaw(target, 'authToken', {
      httpMethod: 'POST',
      path: '/auth/token',
      resource: '/auth/token',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: user, password }),
      requestContext: { requestId: crypto.randomUUID(), httpMethod: 'POST', path: '/auth/token' },
    });
    const body = (answer.result as { body?: string }).body;
    const token = body ? (JSON.parse(body) as { access_token?: string }).access_token : undefined;
    if (!token) throw new Error(`no token for ${user} from authToken on ${target}: ${JSON.stringify(answer.result)}`);
    text = text.replaceAll(placeholder, token);
  }
  const event = JSON.parse(text) as { body?: string; headers?: Record<string, string> };
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    const match = /^\{\{signature:(whatsapp|instagram)\}\}$/.exec(value);
    if (match) event.headers![name] = signBody(event.body ?? '', config.channels[match[1] as 'whatsapp'].appSecret);
  }
  return event;
}

export const eventFile = (fn: string): string => path.join(ROOT, 'events', `${fn}.json`);

export async function invoke(fn: string, target: Target, file = eventFile(fn)): Promise<Invocation> {
  if (!loadFunctions().some((definition) => definition.name === fn))
    throw new Error(`no function ${fn} in serverless.yml`);
  return invokeRaw(target, fn, await prepareEvent(file, target));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const option = (name: string): string | undefined => {
    const index = args.indexOf(name);
    return index >= 0 ? args.splice(index, 2)[1] : undefined;
  };
  const target = (option('--target') ?? 'localstack') as Target;
  const file = option('--event');
  const fn = args[0];
  if (!fn || !['offline', 'localstack'].includes(target)) {
    console.error('usage: npm run invoke -- <function> [--event <file>] [--target offline|localstack]');
    console.error(
      `functions: ${loadFunctions()
        .map((definition) => definition.name)
        .join(', ')}`,
    );
    process.exit(2);
  }
  try {
    const answer = await invoke(fn, target, file ? path.resolve(file) : undefined);
    console.log(
      `${fn} on ${target}: ${answer.functionError ? `error (${answer.functionError})` : 'ok'} in ${answer.ms.toFixed(0)} ms`,
    );
    console.log(JSON.stringify(answer.result, null, 2));
    if (answer.logs) console.log(`\n--- logs ---\n${answer.logs}`);
    process.exit(answer.functionError ? 1 : 0);
  } catch (error) {
    console.error(`invoke ${fn} on ${target} failed: ${(error as Error).message}`);
    process.exit(1);
  }
}
