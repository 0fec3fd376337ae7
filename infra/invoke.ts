/**
 * npm run invoke -- <function> [--event <file>] [--target offline|localstack]
 *
 * Invokes one function of serverless.yml with a sample event (default events/<function>.json) on either runtime:
 * `offline`: serverless-offline's Lambda Invoke endpoint (npm start, :3002); `localstack` (default): the deployed
 * stage `local` in LocalStack (npm run deploy:local), through the Lambda API. Prints the result and the
 * invocation's logs (LocalStack: the tail Lambda returns with LogType=Tail; serverless-offline: its own output).
 *
 * Placeholders in an event file, filled in at invoke time:
 *   {{token:<user>:<password>}}   a bearer token of that user, from the authToken function on the same target; a user
 *                                 that does not exist there yet is registered first (authRegister), so a sample can
 *                                 act as a user of its own (realtimeConnect's: one nobody sends messages to)
 *   {{signature:<channel>}}        X-Hub-Signature-256 of the event's body with that channel's (local) app secret
 *   {{uuid}}                       a fresh UUID (the same one everywhere in one event)
 *   {{uuid:<name>}}                a fresh UUID per name (the same one wherever that name appears in one event)
 *   {{hex}}                        {{uuid}} as 32 hex digits, where a hyphen is not allowed (usernames)
 *   {{now}}                        the time of the invocation, ISO 8601 (a record's created_at or at)
 * In a SelfManagedKafka event, the uuid, hex and now placeholders are also filled in inside each record's base64 key
 * and value and its header values (byte arrays): decoded, filled in, encoded again, as the bridge would deliver them.
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

/** An API Gateway proxy event of a JSON POST, as the token placeholder sends it to authToken and authRegister. */
const postEvent = (route: string, body: unknown) => ({
  httpMethod: 'POST',
  path: route,
  resource: route,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
  requestContext: { requestId: crypto.randomUUID(), httpMethod: 'POST', path: route },
});

const statusOf = (answer: Invocation): number | undefined =>
  (answer.result as { statusCode?: number } | null)?.statusCode;

/** A bearer token of `user` on `target`; the user is registered first when that target has no such user yet. */
async function bearerToken(target: Target, user: string, password: string): Promise<string> {
  const logIn = () => invokeRaw(target, 'authToken', postEvent('/auth/token', { username: user, password }));
  let answer = await logIn();
  if (statusOf(answer) === 401) {
    const registered = await invokeRaw(
      target,
      'authRegister',
      postEvent('/auth/register', { username: user, password, email: `${user}@chat4all.local` }),
    );
    // 409: registered meanwhile (or taken, and then the password is wrong: the second login says so).
    if (statusOf(registered) === 201 || statusOf(registered) === 409) answer = await logIn();
  }
  const body = (answer.result as { body?: string } | null)?.body;
  const token = body ? (JSON.parse(body) as { access_token?: string }).access_token : undefined;
  if (!token) throw new Error(`no token for ${user} from authToken on ${target}: ${JSON.stringify(answer.result)}`);
  return token;
}

/** Fills in {{uuid}}, {{uuid:<name>}}, {{hex}} and {{now}}: the same values for every text of one event. */
function freshValues(): (text: string) => string {
  const uuid = crypto.randomUUID();
  const now = new Date().toISOString();
  const named = new Map<string, string>();
  const uuidOf = (name: string): string => named.get(name) ?? named.set(name, crypto.randomUUID()).get(name)!;
  return (text) =>
    text
      .replaceAll('{{uuid}}', uuid)
      .replaceAll('{{hex}}', uuid.replaceAll('-', ''))
      .replaceAll('{{now}}', now)
      .replace(/\{\{uuid:([^}]+)\}\}/g, (_, name: string) => uuidOf(name));
}

interface KafkaSample {
  eventSource?: string;
  records?: Record<string, { key?: string; value?: string; headers?: Record<string, number[]>[] }[]>;
}

/** The placeholders inside a SelfManagedKafka event's records (base64 key and value, byte-array header values). */
function fillRecords(event: KafkaSample, fill: (text: string) => string): void {
  const filled = (bytes: Buffer): Buffer => {
    const text = bytes.toString('utf8');
    return text.includes('{{') ? Buffer.from(fill(text), 'utf8') : bytes;
  };
  for (const records of Object.values(event.records ?? {}))
    for (const record of records) {
      if (record.key) record.key = filled(Buffer.from(record.key, 'base64')).toString('base64');
      if (record.value) record.value = filled(Buffer.from(record.value, 'base64')).toString('base64');
      record.headers = record.headers?.map((header) =>
        Object.fromEntries(Object.entries(header).map(([name, bytes]) => [name, [...filled(Buffer.from(bytes))]])),
      );
    }
}

/** The event of `file` with its placeholders filled in for `target`. */
export async function prepareEvent(file: string, target: Target): Promise<unknown> {
  const fill = freshValues();
  let text = fill(fs.readFileSync(file, 'utf8'));
  const tokens = new Map<string, string>();
  for (const [placeholder, user, password] of text.matchAll(/\{\{token:([^:}]+):([^}]+)\}\}/g))
    if (!tokens.has(placeholder)) tokens.set(placeholder, await bearerToken(target, user!, password!));
  for (const [placeholder, token] of tokens) text = text.replaceAll(placeholder, token);
  const event = JSON.parse(text) as {
    body?: string;
    headers?: Record<string, string>;
    multiValueHeaders?: Record<string, string[]>;
  } & KafkaSample;
  const signed = (value: string): string => {
    const match = /^\{\{signature:(whatsapp|instagram)\}\}$/.exec(value);
    return match ? signBody(event.body ?? '', config.channels[match[1] as 'whatsapp'].appSecret) : value;
  };
  for (const [name, value] of Object.entries(event.headers ?? {})) event.headers![name] = signed(value);
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {}))
    event.multiValueHeaders![name] = values.map(signed);
  if (event.eventSource === 'SelfManagedKafka') fillRecords(event, fill);
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
