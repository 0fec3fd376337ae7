import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { config } from '@chat4all/shared/config.js';
import { signBody } from '@chat4all/shared/webhooks/signature.js';
import { ROOT } from '../../infra/stack/paths.js';
import { API_URL } from '../helpers/api.js';
import { apiOperations, fillRoute, type ApiOperation } from '../helpers/operations.js';
import { AUTHORIZATION, securityFixture, type SecurityFixture } from '../helpers/security.js';

/**
 * Property-based fuzzing (fast-check) of every HTTP operation (docs/openapi.yaml, plus routes serverless.yml adds
 * first): arbitrary and mutated JSON bodies, path and query parameters, headers, content types, tokens. Whatever
 * comes in, the answer is never a 5xx, always passes through our Middy stack (X-Correlation-Id), is a JSON
 * `{error, code}` on 4xx, and never shows a stack trace or an internal path. Then the documented limits, exactly.
 * FUZZ_RUNS (default 40) runs per operation; FUZZ_SEED replays a failure.
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const operations = apiOperations();
const MB = 1024 * 1024;

let f: SecurityFixture;
before(async () => {
  f = await securityFixture('fuzz');
});

// ---------- what goes in ----------

const SHORT_NASTY = [
  ' ',
  '\u0000',
  '\ud800',
  '\r\n',
  '../../etc/passwd',
  '%00',
  '%2e%2e%2f',
  "' OR '1'='1",
  '"; DROP TABLE users; --',
  '${jndi:ldap://x/a}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'null',
  'true',
  '[]',
  '{}',
  '-1',
  '0',
  '1e999',
  'NaN',
  'whatsapp:+15550001111',
  'instagram:@someone',
  'private:a:b',
  '00000000-0000-0000-0000-000000000000',
  'ＡＢＣ',
  '😀',
  'é',
];
const NASTY = [
  ...SHORT_NASTY,
  'x'.repeat(10_241),
  'é'.repeat(5_121),
  '😀'.repeat(3_000),
  'a'.repeat(70_000), // over Cassandra's 64 KiB partition key
];
const NUMBERS = [0, -0, -1, 1, 0.5, 100, 101, 1e21, -1e308, 1e308, 2 ** 53 + 1, 2147483648, 2147483649, 104857601];

const printable = (maxLength: number) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength });

/** Replaces lone surrogates, which no URL can carry (bodies keep them: JSON escapes them). */
const wellFormed = (value: string) => value.replace(/[\ud800-\udfff]/gu, '\ufffd');

const ids = () => [f.conversationId, f.messageId, f.fileId, f.owner.id, f.member.id, f.outsider.id, f.owner.username];

const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 2, arbitrary: fc.constantFrom('x'.repeat(10_241), 'a'.repeat(70_000), 'é'.repeat(40_000)) },
  { weight: 2, arbitrary: fc.constantFrom(...NUMBERS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(...SHORT_NASTY), { maxLength: 300 }) },
  { weight: 2, arbitrary: fc.nat().map((i) => ids()[i % 7]) },
);

type JsonPath = (string | number)[];

/** Every place in a JSON value, root first. */
function places(value: unknown, at: JsonPath = []): JsonPath[] {
  const here = [at];
  if (Array.isArray(value)) return here.concat(value.flatMap((item, i) => places(item, [...at, i])));
  if (value && typeof value === 'object')
    return here.concat(Object.entries(value).flatMap(([key, item]) => places(item, [...at, key])));
  return here;
}

type Mutation = { pick: number; kind: 'set' | 'delete' | 'add'; key: string; value: unknown };

/** The base value with each mutation applied at a place chosen by `pick`. */
function mutate(base: unknown, mutations: Mutation[]): unknown {
  let root = structuredClone(base);
  for (const mutation of mutations) {
    // The root itself only when there is nothing inside: replacing everything is what bodyArb's other branches do.
    const all = places(root);
    const inside = all.length > 1 ? all.slice(1) : all;
    const at = inside[mutation.pick % inside.length]!;
    if (at.length === 0) {
      if (mutation.kind === 'set') root = mutation.value;
      else if (mutation.kind === 'add' && root && typeof root === 'object' && !Array.isArray(root))
        (root as Record<string, unknown>)[mutation.key] = mutation.value;
      continue;
    }
    const parent = at.slice(0, -1).reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], root) as
      Record<string, unknown> | unknown[];
    const key = at[at.length - 1]!;
    if (mutation.kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key as string];
    } else if (mutation.kind === 'add' && !Array.isArray(parent)) parent[mutation.key] = mutation.value;
    else (parent as Record<string | number, unknown>)[key] = mutation.value;
  }
  return root;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  pick: fc.nat(),
  kind: fc.constantFrom<Mutation['kind']>('set', 'set', 'set', 'delete', 'add'),
  key: fc.oneof(
    fc.constantFrom('__proto__', 'constructor', 'sender_id', 'admin', 'role'),
    fc.string({ maxLength: 20 }),
  ),
  value: weirdValue,
});

const RAW_BODIES = [
  '',
  ' ',
  'null',
  '"a string"',
  '42',
  '[]',
  '{',
  '{"a":1,}',
  "{'single':'quotes'}",
  '{"__proto__":{"admin":true},"constructor":{"prototype":{"admin":true}}}',
  `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
  `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`,
  '{"content":"\\ud800\\udfff\\u0000"}',
  '1e99999',
  '\ufeff{}',
];

/** The valid request body of each operation to mutate (webhooks: a realistic provider payload). */
function baseBody(op: ApiOperation): unknown {
  const valid = AUTHORIZATION[op.key]?.valid(f).body;
  if (valid !== undefined) return valid;
  if (op.key === 'POST /auth/register')
    return {
      username: `fuzz_${crypto.randomBytes(3).toString('hex')}`,
      password: 'correct horse battery',
      email: 'fuzz@example.com',
    };
  if (op.key === 'POST /auth/token') return { username: f.owner.username, password: 'not the password' };
  if (op.route === '/webhooks/whatsapp')
    return {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '100000000000001',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { phone_number_id: '100000000000001' },
                statuses: [
                  { id: 'wamid.fuzz', status: 'delivered', timestamp: '1700000000', recipient_id: '15550001111' },
                ],
                messages: [
                  { id: 'wamid.in', from: '15550001111', timestamp: '1700000000', type: 'text', text: { body: 'hi' } },
                ],
              },
            },
          ],
        },
      ],
    };
  if (op.route === '/webhooks/instagram')
    return {
      object: 'instagram',
      entry: [
        {
          id: '17841400000000001',
          time: 1700000000000,
          messaging: [
            {
              sender: { id: '17841400000000001' },
              recipient: { id: '1234' },
              timestamp: 1700000000000,
              message: { mid: 'm_echo', is_echo: true },
            },
            {
              sender: { id: '1234' },
              recipient: { id: '17841400000000001' },
              timestamp: 1700000000000,
              read: { mid: 'm_read' },
            },
          ],
        },
      ],
    };
  return {};
}

const bodyArb = (op: ApiOperation): fc.Arbitrary<string> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .array(mutationArb, { minLength: 1, maxLength: 3 })
        .map((m) => JSON.stringify(mutate(baseBody(op), m)) ?? ''),
    },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_BODIES) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  );

function validParam(op: ApiOperation, name: string): string {
  if (name === 'userId') return f.member.id;
  if (op.route.startsWith('/v1/conversations/')) return f.conversationId;
  if (op.route.startsWith('/v1/messages/')) return f.messageId;
  if (op.route.startsWith('/v1/files/')) return f.fileId;
  return f.conversationId;
}

const pathValueArb = (valid: string) =>
  fc
    .oneof(
      { weight: 3, arbitrary: fc.constant(valid) },
      { weight: 1, arbitrary: fc.constant(valid.toUpperCase()) },
      { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 150 }) },
      { weight: 2, arbitrary: fc.constantFrom(...SHORT_NASTY, 'x'.repeat(2_000), `${valid}/x`, `${valid}%`) },
      { weight: 1, arbitrary: fc.uuid() },
    )
    .map(wellFormed)
    // A '.' or '..' segment is resolved away by the URL itself: the request would go to another route.
    .filter((value) => value !== '.' && value !== '..');

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value) ?? '').toString('base64url');
const queryValueArb = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.constantFrom('0', '1', '100', '101', '10000', '10001', '-0', '1e2', '0x10', ' 5', '5 ', '', '9'.repeat(400)),
  fc.string({ unit: 'binary', maxLength: 100 }).map(wellFormed),
  fc.jsonValue({ maxDepth: 2 }).map(cursorOf),
  fc
    .oneof(
      fc.string({ maxLength: 60 }),
      fc.uuid(),
      fc.nat().map((i) => ids()[i % 7]!),
    )
    .map((after) => cursorOf({ after })),
);

/** Query parameters the operation knows (from the spec; webhooks' handshake; the matrix's valid request). */
function queryNames(op: ApiOperation): string[] {
  const names = new Set(op.query.map((parameter) => parameter.name));
  for (const name of Object.keys(AUTHORIZATION[op.key]?.valid(f).query ?? {})) names.add(name);
  if (op.webhook && op.method === 'GET')
    for (const name of ['hub.mode', 'hub.verify_token', 'hub.challenge']) names.add(name);
  return [...names];
}

interface Input {
  /** What this run fuzzes; everything else is the operation's valid request. */
  focus: Focus;
  params: Record<string, string>;
  query: [string, string][];
  body: string | undefined;
  contentType: string | undefined;
  correlationId: string | undefined;
  idempotencyKey: string | undefined;
  caller: 'owner' | 'outsider' | 'nobody';
  sign: boolean;
}

type Focus = 'body' | 'path' | 'query' | 'headers' | 'everything';

/** A body is part of the valid request when the operation describes one (or is a webhook POST). */
const validBody = (op: ApiOperation): string | undefined =>
  op.body && op.method !== 'GET' ? JSON.stringify(baseBody(op)) : undefined;

function validQuery(op: ApiOperation): [string, string][] {
  if (op.webhook && op.method === 'GET')
    return [
      ['hub.mode', 'subscribe'],
      ['hub.challenge', '42'],
    ];
  return Object.entries(AUTHORIZATION[op.key]?.valid(f).query ?? {});
}

function inputArb(op: ApiOperation): fc.Arbitrary<Input> {
  const focuses: fc.WeightedArbitrary<Focus>[] = [
    { weight: op.method === 'GET' ? 0 : 5, arbitrary: fc.constant('body') },
    { weight: op.pathParams.length > 0 ? 3 : 0, arbitrary: fc.constant('path') },
    { weight: queryNames(op).length > 0 ? 3 : 1, arbitrary: fc.constant('query') },
    { weight: 1, arbitrary: fc.constant('headers') },
    { weight: 1, arbitrary: fc.constant('everything') },
  ];
  const valid = {
    params: fc.constant(Object.fromEntries(op.pathParams.map((name) => [name, validParam(op, name)]))),
    query: fc.constant(null).map(() => validQuery(op)),
    body: fc.constant(null).map(() => validBody(op)),
    contentType: fc.constant<string | undefined>('application/json'),
    correlationId: fc.constant(undefined),
    idempotencyKey: fc.constant(undefined),
    caller: fc.constant<Input['caller']>(op.protected ? 'owner' : 'nobody'),
    sign: fc.constant(true),
  };
  const fuzzed = {
    params: fc.record(Object.fromEntries(op.pathParams.map((name) => [name, pathValueArb(validParam(op, name))]))),
    query: fc
      .tuple(
        fc.tuple(
          ...queryNames(op).map((name) =>
            fc.option(
              queryValueArb.map((value): [string, string] => [name, value]),
              { nil: undefined },
            ),
          ),
        ),
        fc.array(fc.tuple(fc.string({ maxLength: 12 }).map(wellFormed), fc.string({ maxLength: 30 }).map(wellFormed)), {
          maxLength: 2,
        }),
      )
      .map(([known, extra]) => [...known.filter((entry): entry is [string, string] => entry !== undefined), ...extra]),
    body: op.method === 'GET' ? fc.constant(undefined) : fc.option(bodyArb(op), { nil: undefined, freq: 8 }),
    contentType: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/vnd.api+json',
          undefined,
        ),
      },
    ),
    correlationId: fc.option(printable(200), { nil: undefined }),
    idempotencyKey:
      op.key === 'POST /v1/messages' ? fc.option(printable(300), { nil: undefined }) : fc.constant(undefined),
    caller: op.protected
      ? fc.constantFrom<Input['caller']>('owner', 'owner', 'owner', 'outsider')
      : fc.constant<Input['caller']>('nobody'),
    sign: fc.boolean(),
  };
  const parts: Record<Exclude<Focus, 'everything'>, (keyof typeof valid)[]> = {
    body: ['body', 'contentType'],
    path: ['params'],
    query: ['query'],
    headers: ['correlationId', 'idempotencyKey', 'caller', 'sign', 'contentType'],
  };
  return fc.oneof(...focuses).chain((focus) => {
    const chosen = focus === 'everything' ? Object.keys(valid) : parts[focus];
    return fc.record({
      focus: fc.constant(focus),
      ...Object.fromEntries(
        (Object.keys(valid) as (keyof typeof valid)[]).map((name) => [
          name,
          chosen.includes(name) ? fuzzed[name] : valid[name],
        ]),
      ),
    }) as fc.Arbitrary<Input>;
  });
}

const appSecretOf = (route: string): string | undefined =>
  (config.channels as Record<string, { appSecret?: string } | undefined>)[route.split('/').pop() ?? '']?.appSecret;

// ---------- what must come out ----------

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

async function send(op: ApiOperation, input: Input): Promise<Answer> {
  const query = new URLSearchParams(input.query).toString();
  const headers: Record<string, string> = {};
  if (input.contentType && input.body !== undefined) headers['Content-Type'] = input.contentType;
  if (input.correlationId !== undefined) headers['X-Correlation-Id'] = input.correlationId;
  if (input.idempotencyKey !== undefined) headers['Idempotency-Key'] = input.idempotencyKey;
  if (input.caller !== 'nobody') headers.Authorization = f[input.caller].headers.Authorization!;
  const secret = appSecretOf(op.route);
  if (op.webhook && input.sign && secret) headers['X-Hub-Signature-256'] = signBody(input.body ?? '', secret);
  const response = await fetch(`${API_URL}${fillRoute(op.route, input.params)}${query ? `?${query}` : ''}`, {
    method: op.method,
    headers,
    body: input.body,
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** A stack frame, a source position, or where the code lives. */
const LEAKS: [RegExp, string][] = [
  [/\n\s+at /, 'a stack trace'],
  [/\bat [\w$.<>[\] ]+ \(.*:\d+:\d+\)/, 'a stack frame'],
  [/\.(?:ts|mjs|cjs|js):\d+:\d+/, 'a source position'],
  [/node_modules/, 'node_modules'],
  [/\/work\//, 'an internal path'],
  [new RegExp(ROOT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'the repository path'],
  [/(?:TypeError|ReferenceError|RangeError|SyntaxError): /, 'a JavaScript error'],
  [/ResponseError|NoHostAvailable|cassandra-driver|kafkajs|KafkaJS/i, 'a driver error'],
];

/** What is wrong with an answer, or undefined. */
export function problemWith(answer: Answer): string | undefined {
  if (answer.status >= 500) {
    const documented503 =
      answer.status === 503 &&
      answer.headers.get('retry-after') &&
      /"code":"unknown_provider_message"/.test(answer.text);
    if (!documented503) return `a ${answer.status}`;
  }
  if (!answer.headers.get('x-correlation-id'))
    return 'no X-Correlation-Id: the answer did not come from our Middy stack';
  for (const [pattern, what] of LEAKS) if (pattern.test(answer.text)) return `${what} in the body`;
  if (answer.status >= 400) {
    let body: unknown;
    try {
      body = JSON.parse(answer.text);
    } catch {
      return 'a 4xx that is not JSON';
    }
    const { error, code } = (body ?? {}) as { error?: unknown; code?: unknown };
    if (typeof error !== 'string' || typeof code !== 'string' || !/^[a-z_]+$/.test(code))
      return 'a 4xx without {error, code}';
  }
  return undefined;
}

const show = (input: Input) =>
  JSON.stringify(input, (_, value: unknown) =>
    typeof value === 'string' && value.length > 300 ? `${value.slice(0, 300)}…(${value.length})` : value,
  );

describe('HTTP fuzzing: never a 5xx, never internals, always {error, code}', { timeout: 300_000 }, () => {
  it('fuzzes every operation of the spec and serverless.yml', () => {
    assert.ok(operations.length >= 17, `${operations.length} operations`);
  });
  for (const op of operations) {
    it(`${op.key} (${RUNS} runs)`, async (t) => {
      const statuses = new Map<number, number>();
      let failure: string | undefined;
      const details = await fc.check(
        fc.asyncProperty(inputArb(op), async (input) => {
          const answer = await send(op, input);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          const problem = problemWith(answer);
          if (problem) failure = `${problem}: ${answer.status} ${answer.text.slice(0, 500)}\ninput: ${show(input)}`;
          return problem === undefined;
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      t.diagnostic(
        `${op.key} statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`,
      );
      // fast-check's own report prints the whole counterexample (up to megabytes); this one is cut to size.
      if (details.failed)
        assert.fail(
          `${failure ?? String(details.errorInstance)}\nreplay: FUZZ_SEED=${details.seed} (path ${details.counterexamplePath})`,
        );
    });
  }
});

// ---------- the limits, exactly ----------

async function call(method: string, path: string, body: string | undefined, headers: Record<string, string>) {
  const response = await fetch(`${API_URL}${path}`, {
    method,
    headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
    body,
  });
  const answer = { status: response.status, headers: response.headers, text: await response.text() };
  const problem = problemWith(answer);
  assert.equal(problem, undefined, `${method} ${path}: ${problem}`);
  return { ...answer, json: (answer.text ? JSON.parse(answer.text) : {}) as Record<string, unknown> };
}

describe('limits', { timeout: 120_000 }, () => {
  it('content: 10240 UTF-8 bytes pass, 10241 are a 400 content_too_long', async () => {
    const send = (content: string) =>
      call('POST', '/v1/messages', JSON.stringify({ conversation_id: f.conversationId, content }), f.owner.headers);
    assert.equal((await send('é'.repeat(5_120))).status, 202, '5120 × é = 10240 bytes');
    const over = await send(`${'é'.repeat(5_120)}a`);
    assert.equal(over.status, 400);
    assert.equal(over.json.code, 'content_too_long');
    assert.equal((await send('😀'.repeat(2_561))).json.code, 'content_too_long', '2561 × 4 bytes');
  });

  const paged = operations.filter((op) => op.method === 'GET' && op.query.some((q) => q.name === 'limit'));
  it(`limit: 1..100, anything else a 400 (${paged.map((op) => op.key).join(', ')})`, async () => {
    assert.ok(paged.length >= 2);
    for (const op of paged) {
      const path = fillRoute(op.route, Object.fromEntries(op.pathParams.map((name) => [name, validParam(op, name)])));
      assert.equal((await call('GET', `${path}?limit=100`, undefined, f.owner.headers)).status, 200);
      assert.equal((await call('GET', `${path}?limit=1`, undefined, f.owner.headers)).status, 200);
      for (const limit of ['101', '0', '-1', '1000000', '1e2', 'ten', '9'.repeat(30)]) {
        const answer = await call('GET', `${path}?limit=${limit}`, undefined, f.owner.headers);
        assert.equal(answer.status, 400, `${op.key} limit=${limit}`);
        assert.equal(answer.json.code, 'invalid_parameter');
      }
    }
    const history = `/v1/conversations/${f.conversationId}/messages`;
    assert.equal((await call('GET', `${history}?offset=10001`, undefined, f.owner.headers)).status, 400);
  });

  const withBodies = operations.filter((op) => op.method !== 'GET');
  it(`bodies over 1 MB: 413 payload_too_large on every operation that takes one (${withBodies.length})`, async () => {
    const padded = (bytes: number) => {
      const text = JSON.stringify({ pad: '' });
      return JSON.stringify({ pad: 'x'.repeat(bytes - text.length) });
    };
    for (const op of withBodies) {
      const path = fillRoute(op.route, Object.fromEntries(op.pathParams.map((name) => [name, validParam(op, name)])));
      const headers = op.protected ? f.owner.headers : {};
      for (const bytes of [MB + 1, 5 * MB]) {
        const answer = await call(op.method, path, padded(bytes), headers);
        assert.equal(answer.status, 413, `${op.key}, ${bytes} bytes: ${answer.text.slice(0, 200)}`);
        assert.equal(answer.json.code, 'payload_too_large');
      }
    }
    // Exactly 1 MB is within the limit (refused for its content, not its size).
    const exact = await call('POST', '/v1/messages', padded(MB), f.owner.headers);
    assert.equal(exact.status, 400);
  });

  it('other documented limits: files over 2 GiB (413), 257 members (400), long passwords (400)', async () => {
    const file = await call(
      'POST',
      '/v1/files',
      JSON.stringify({
        conversation_id: f.conversationId,
        filename: 'big.bin',
        content_type: 'application/zip',
        size_bytes: 2 ** 31 + 1,
      }),
      f.owner.headers,
    );
    assert.equal(file.status, 413);
    assert.equal(file.json.code, 'file_too_large');
    const members = Array.from({ length: 256 }, (_, i) => `nobody_${i}`);
    const group = await call(
      'POST',
      '/v1/conversations',
      JSON.stringify({ type: 'group', member_ids: members }),
      f.owner.headers,
    );
    assert.equal(group.status, 400, 'the caller plus 256 others is over 256');
    const password = await call(
      'POST',
      '/auth/register',
      JSON.stringify({
        username: `long_${crypto.randomBytes(3).toString('hex')}`,
        password: 'p'.repeat(129),
        email: 'long@example.com',
      }),
      {},
    );
    assert.equal(password.status, 400);
  });
});

// ---------- what the fuzzing found, pinned ----------

describe('regressions found by the fuzzing', { timeout: 60_000 }, () => {
  it('a user reference Cassandra cannot look up (empty after trimming, over 64 KiB) is simply nobody', async () => {
    const admins = `/v1/conversations/${f.conversationId}/admins`;
    const huge = await call('POST', admins, JSON.stringify({ user_id: 'a'.repeat(70_000) }), f.owner.headers);
    assert.equal(huge.status, 404);
    assert.equal(huge.json.code, 'user_not_found');
    for (const blank of ['\r\n', ' ', '\t']) {
      const members = await call(
        'POST',
        `/v1/conversations/${f.conversationId}/members`,
        JSON.stringify({ member_ids: [blank] }),
        f.owner.headers,
      );
      assert.equal(members.status, 404, JSON.stringify(blank));
      const created = await call(
        'POST',
        '/v1/conversations',
        JSON.stringify({ type: 'group', member_ids: [blank] }),
        f.owner.headers,
      );
      assert.equal(created.status, 404);
      const token = await call('POST', '/auth/token', JSON.stringify({ username: blank, password: 'x' }), {});
      assert.equal(token.status, 401);
    }
  });

  const webhook = async (route: string, payload: unknown) => {
    const secret = appSecretOf(route);
    const body = JSON.stringify(payload);
    return call('POST', route, body, secret ? { 'X-Hub-Signature-256': signBody(body, secret) } : {});
  };

  it('a signed WhatsApp webhook with nulls, absurd timestamps or impossible ids is answered, not a 500', async (t) => {
    if (!operations.some((op) => op.key === 'POST /webhooks/whatsapp')) return t.skip('no WhatsApp webhook');
    const value = (statuses: unknown[], messages: unknown[] = []) => ({
      object: 'whatsapp_business_account',
      entry: [{ id: '1', changes: [null, { field: 'messages', value: { statuses, messages } }] }, null, 7],
    });
    const status = (id: unknown, timestamp: unknown = '1700000000') => ({ id, status: 'delivered', timestamp });
    for (const payload of [
      { object: 'whatsapp_business_account', entry: [null] },
      value([null, 'x', status('wamid.a', '1e300'), status('wamid.b', -5)]),
      value([status('a'.repeat(70_000)), status('')]),
      value([], [{ id: '', from: '15550001111', timestamp: '1e300', type: 'text', text: { body: 'hi' } }]),
      value([], [{ id: 'a'.repeat(70_000), from: '15550001111', timestamp: '1', type: 'text', text: { body: 'hi' } }]),
    ]) {
      const answer = await webhook('/webhooks/whatsapp', payload);
      // 503 unknown_provider_message: recent receipts of ids not known yet are asked for again (call() checks it).
      assert.ok([200, 503].includes(answer.status), answer.text);
    }
  });

  it('a signed Instagram webhook with nulls, absurd timestamps or impossible ids is answered, not a 500', async (t) => {
    if (!operations.some((op) => op.key === 'POST /webhooks/instagram')) return t.skip('no Instagram webhook');
    const entry = (messaging: unknown[]) => ({ object: 'instagram', entry: [null, { id: '1', messaging }] });
    for (const payload of [
      entry([null, 3, { timestamp: 1e300, read: { mid: 'm_x' } }]),
      entry([{ timestamp: 1, message: { mid: 'a'.repeat(70_000), is_echo: true } }]),
      entry([{ timestamp: 1, read: { mid: '' } }]),
    ]) {
      const answer = await webhook('/webhooks/instagram', payload);
      // 503 unknown_provider_message: recent receipts of ids not known yet are asked for again (call() checks it).
      assert.ok([200, 503].includes(answer.status), answer.text);
    }
  });
});
