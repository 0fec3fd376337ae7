import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import YAML from 'yaml';
import { config } from '@chat4all/shared/config.js';
import { TOPICS } from '@chat4all/shared/contracts/topics.js';
import { privateConversationId } from '@chat4all/shared/conversations/private-id.js';
import { uuidv7 } from '@chat4all/shared/ids.js';
import { signBody } from '@chat4all/shared/webhooks/signature.js';
import { ROOT } from '../../infra/stack/paths.js';
import { newPhoneNumber } from '../../infra/emulators/control.js';
import { eventually, request, type JsonResponse } from '../helpers/api.js';
import { devUsers } from '../helpers/auth.js';
import { produce } from '../helpers/kafka.js';

/**
 * The running handlers against docs/openapi.yaml: every operation's success path and its error paths, with real
 * requests, each answer's status documented and its body valid against that status's schema (Ajv, JSON Schema
 * 2020-12), the documented headers present. Conversations are this file's own (`it-<uuid>`).
 */

type Json = Record<string, unknown>;
interface Operation {
  operationId: string;
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, Json>;
}
interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components: Json;
}

const SPEC_ID = 'https://chat4all.local/openapi.json';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
/** Operations no client input can fail (see test/unit/openapi.test.ts). */
const NO_CLIENT_ERRORS = new Set(['getHealth', 'getJwks']);

const spec = YAML.parse(fs.readFileSync(path.join(ROOT, 'docs/openapi.yaml'), 'utf8')) as Spec;

const ajv = new Ajv2020({ allErrors: true, strictTypes: false, allowUnionTypes: true });
addFormats.default(ajv);
// OpenAPI's own annotations, and the holder of the spec's schemas: no validation of their own.
for (const keyword of ['components', 'example', 'externalDocs', 'xml']) ajv.addKeyword({ keyword });

/**
 * A schema for Ajv: local '#/components/...' references point into the schema registered as SPEC_ID, and OpenAPI
 * `x-` extensions (which strict mode would refuse as unknown keywords) are left out.
 */
const anchored = (schema: unknown): Json =>
  JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${SPEC_ID}#/components/`), (key, value) =>
    key.startsWith('x-') ? undefined : value,
  ) as Json;
ajv.addSchema(anchored({ $id: SPEC_ID, components: spec.components }));

function follow<T = Json>(node: unknown): T {
  let current = node as Json;
  while (typeof current.$ref === 'string') {
    current = (current.$ref as string)
      .slice(2)
      .split('/')
      .reduce<Json>((at, part) => at[part] as Json, spec as unknown as Json);
  }
  return current as T;
}

const operations = new Map(
  Object.entries(spec.paths).flatMap(([route, item]) =>
    METHODS.filter((method) => item[method]).map((method) => {
      const op = item[method]!;
      return [op.operationId, { method: method.toUpperCase(), route, op }] as const;
    }),
  ),
);

const validators = new Map<string, ValidateFunction>();
function validator(key: string, schema: unknown): ValidateFunction {
  let validate = validators.get(key);
  if (!validate) validators.set(key, (validate = ajv.compile(anchored(schema))));
  return validate;
}

const describeErrors = (validate: ValidateFunction) =>
  (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message}`).join('; ');

/** Which statuses each operation was seen answering, to prove the coverage at the end. */
const exercised = new Map<string, Set<number>>();

interface Call {
  params?: Record<string, string>;
  query?: Record<string, string>;
  /** An object is sent as JSON; a string as it is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Whether the spec's request schema accepts `body` (checked when given; by default true for a 2xx). */
  bodyMatchesSpec?: boolean;
}

/**
 * Calls an operation by its operationId and checks the answer against the spec: the expected status, documented
 * for this operation, its body valid against that status's schema, its required headers present and valid.
 */
async function call<T = Json>(operationId: string, expected: number, options: Call = {}): Promise<JsonResponse<T>> {
  const found = operations.get(operationId);
  assert.ok(found, `${operationId} is in the spec`);
  const { method, route, op } = found;
  const label = `${operationId} → ${expected}`;

  const bodyMatchesSpec =
    options.bodyMatchesSpec ?? (expected < 300 && typeof options.body === 'object' ? true : undefined);
  if (bodyMatchesSpec !== undefined) {
    const schema = op.requestBody?.content['application/json']?.schema;
    assert.ok(schema, `${operationId} documents a JSON request body`);
    const validate = validator(`${operationId} request`, schema);
    assert.equal(
      validate(options.body),
      bodyMatchesSpec,
      `${label}: the spec's request schema agrees (${describeErrors(validate)})`,
    );
  }

  let url = route.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = options.params?.[name];
    assert.ok(value !== undefined, `${label}: path parameter ${name}`);
    return encodeURIComponent(value);
  });
  if (options.query) url += `?${new URLSearchParams(options.query)}`;
  const response = await request<T>(method, url, { body: options.body, headers: options.headers ?? {} });
  assert.equal(response.status, expected, `${label}: ${JSON.stringify(response.body)}`);

  const documented = op.responses[String(expected)];
  assert.ok(documented, `${operationId} documents ${expected}`);
  const answer = follow<{ headers?: Record<string, Json>; content?: Record<string, { schema: unknown }> }>(documented);
  const schema = answer.content?.['application/json']?.schema;
  if (schema) {
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/, `${label}: JSON`);
    const validate = validator(`${operationId} ${expected}`, schema);
    assert.ok(
      validate(response.body),
      `${label}: body matches the spec: ${describeErrors(validate)}\n${JSON.stringify(response.body)}`,
    );
  } else if (answer.content?.['text/plain']) {
    // The webhook handshakes answer hub.challenge as text (the helper parsed the numeric challenge as JSON).
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/, `${label}: text`);
  } else {
    assert.deepEqual(response.body, {}, `${label}: no body`);
  }
  for (const [name, header] of Object.entries(answer.headers ?? {})) {
    const definition = follow<{ required?: boolean; schema: unknown }>(header);
    const value = response.headers.get(name);
    if (!definition.required) continue;
    assert.ok(value !== null, `${label}: header ${name}`);
    const validate = validator(`header ${name}`, definition.schema);
    assert.ok(validate(value), `${label}: header ${name}=${value} matches the spec`);
  }

  if (!exercised.has(operationId)) exercised.set(operationId, new Set());
  exercised.get(operationId)!.add(expected);
  return response;
}

type Users = Awaited<ReturnType<typeof devUsers>>;
let users: Users;
const newConversationId = () => `it-${crypto.randomUUID()}`;
const tooLarge = `{"content":"${'x'.repeat(1024 * 1024)}"}`;
const garbageToken = { Authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl' };

interface Receipt {
  message_id: string;
  conversation_id: string;
}
interface StoredMessage {
  status: string;
  read_at: string | null;
}
interface Conversation {
  conversation_id: string;
  members: { user_id: string; role: string }[];
}

before(async () => {
  users = await devUsers();
});

describe('the API against docs/openapi.yaml', { timeout: 180_000 }, () => {
  // Fixtures: a group of a (admin), b and c; a private conversation of a and b.
  let group = '';
  let privateConversation = '';
  // A user of this file only: no other test's WebSocket client acknowledges (delivers) its messages.
  let registered = { user_id: '', username: '', password: '', headers: {} as Record<string, string> };

  it('GET /health answers the health report', async () => {
    await call('getHealth', 200);
  });

  it('registers a user; refuses taken names and emails, invalid bodies, other media types and bodies over 1 MB', async () => {
    const username = `it_${crypto.randomBytes(8).toString('hex')}`;
    const password = 'correct horse battery';
    const body = { username, password, email: `${username}@example.com` };
    const created = await call<{ user_id: string }>('registerUser', 201, { body });
    registered = { user_id: created.body.user_id, username, password, headers: {} };

    const taken = await call('registerUser', 409, { body: { ...body, email: `other_${body.email}` } });
    assert.equal(taken.body.code, 'username_taken');
    const emailTaken = await call('registerUser', 409, { body: { ...body, username: `${username}_2` } });
    assert.equal(emailTaken.body.code, 'email_taken');

    const unknown = await call('registerUser', 400, { body: { ...body, admin: true }, bodyMatchesSpec: false });
    assert.equal(unknown.body.code, 'unknown_field');
    const badName = await call('registerUser', 400, { body: { ...body, username: 'a b' }, bodyMatchesSpec: false });
    assert.equal(badName.body.code, 'invalid_field');
    const shortPassword = await call('registerUser', 400, {
      body: { ...body, password: 'short' },
      bodyMatchesSpec: false,
    });
    assert.equal(shortPassword.body.code, 'invalid_field');
    const malformed = await call('registerUser', 400, { body: '{"username":' });
    assert.equal(malformed.body.code, 'invalid_json');
    await call('registerUser', 415, { body: JSON.stringify(body), headers: { 'Content-Type': 'text/plain' } });
    await call('registerUser', 413, { body: tooLarge });
  });

  it('issues a token for the right password only, verifiable with the JWKS', async () => {
    const token = await call<{ access_token: string }>('issueToken', 200, {
      body: { username: registered.username, password: registered.password },
    });
    registered.headers = { Authorization: `Bearer ${token.body.access_token}` };
    const header = JSON.parse(Buffer.from(token.body.access_token.split('.')[0]!, 'base64url').toString('utf8'));
    const jwks = await call<{ keys: { kid: string }[] }>('getJwks', 200);
    assert.ok(
      jwks.body.keys.some((key) => key.kid === header.kid),
      'the token names a published key',
    );

    const wrong = await call('issueToken', 401, {
      body: { username: registered.username, password: 'not the password' },
    });
    assert.equal(wrong.body.code, 'invalid_credentials');
    const nobody = await call('issueToken', 401, {
      body: { username: `nobody_${crypto.randomUUID().slice(0, 8)}`, password: 'x' },
    });
    assert.deepEqual(nobody.body, wrong.body, 'an unknown user gets the same answer');
    const missing = await call('issueToken', 400, { body: { username: 'user_a' }, bodyMatchesSpec: false });
    assert.equal(missing.body.code, 'missing_field');
    await call('issueToken', 415, { body: '{}', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    await call('issueToken', 413, { body: tooLarge });
  });

  it('creates group and private conversations; refuses duplicates, unknown members and bad bodies', async () => {
    group = newConversationId();
    const created = await call<Conversation>('createConversation', 201, {
      headers: users.a.headers,
      body: { type: 'group', name: 'contract', conversation_id: group, member_ids: ['user_b', users.c.id] },
    });
    assert.deepEqual(
      created.body.members.map((m) => [m.user_id, m.role]).sort(),
      [
        [users.a.id, 'admin'],
        [users.b.id, 'member'],
        [users.c.id, 'member'],
      ].sort(),
    );
    privateConversation = newConversationId();
    await call('createConversation', 201, {
      headers: users.a.headers,
      body: { type: 'private', conversation_id: privateConversation, member_ids: ['user_b'] },
    });

    const duplicate = await call('createConversation', 409, {
      headers: users.a.headers,
      body: { type: 'group', conversation_id: group, member_ids: ['user_b'] },
    });
    assert.equal(duplicate.body.code, 'conversation_exists');
    const twoOthers = await call('createConversation', 400, {
      headers: users.a.headers,
      body: { type: 'private', member_ids: ['user_b', 'user_c'] },
    });
    assert.equal(twoOthers.body.code, 'invalid_members');
    const reserved = await call('createConversation', 400, {
      headers: users.c.headers,
      body: { type: 'private', conversation_id: privateConversationId(users.a.id, users.b.id), member_ids: ['user_b'] },
    });
    assert.equal(reserved.body.code, 'reserved_conversation_id');
    const unknownUser = await call('createConversation', 404, {
      headers: users.a.headers,
      body: { type: 'group', member_ids: [`nobody_${crypto.randomUUID().slice(0, 8)}`] },
    });
    assert.equal(unknownUser.body.code, 'user_not_found');
    const badType = await call('createConversation', 400, {
      headers: users.a.headers,
      body: { type: 'channel', member_ids: ['user_b'] },
      bodyMatchesSpec: false,
    });
    assert.equal(badType.body.code, 'invalid_field');
    const extra = await call('createConversation', 400, {
      headers: users.a.headers,
      body: { type: 'group', member_ids: ['user_b'], topic: 'x' },
      bodyMatchesSpec: false,
    });
    assert.equal(extra.body.code, 'unknown_field');
    await call('createConversation', 401, { body: { type: 'group', member_ids: ['user_b'] } });
    await call('createConversation', 401, { headers: garbageToken, body: { type: 'group', member_ids: ['user_b'] } });
    await call('createConversation', 415, {
      headers: { ...users.a.headers, 'Content-Type': 'text/plain' },
      body: '{}',
    });
    await call('createConversation', 413, { headers: users.a.headers, body: tooLarge });
  });

  it('lists the caller’s conversations, cursor paged', async () => {
    const first = await call<{ next_cursor: string | null }>('listConversations', 200, {
      headers: users.b.headers,
      query: { limit: '1' },
    });
    assert.ok(first.body.next_cursor, 'user_b has more than one conversation');
    await call('listConversations', 200, {
      headers: users.b.headers,
      query: { limit: '100', cursor: first.body.next_cursor },
    });
    const badLimit = await call('listConversations', 400, { headers: users.b.headers, query: { limit: '0' } });
    assert.equal(badLimit.body.code, 'invalid_parameter');
    const badCursor = await call('listConversations', 400, { headers: users.b.headers, query: { cursor: 'not-ours' } });
    assert.equal(badCursor.body.code, 'invalid_cursor');
    await call('listConversations', 401);
  });

  it('gets a conversation for its members only', async () => {
    const got = await call<Conversation>('getConversation', 200, { headers: users.b.headers, params: { id: group } });
    assert.equal(got.body.members.length, 3);
    const outsider = await call('getConversation', 403, {
      headers: users.c.headers,
      params: { id: privateConversation },
    });
    assert.equal(outsider.body.code, 'not_a_member');
    await call('getConversation', 404, { headers: users.a.headers, params: { id: newConversationId() } });
    await call('getConversation', 400, { headers: users.a.headers, params: { id: 'not a valid id!' } });
    await call('getConversation', 401, { params: { id: group } });
  });

  it('adds members, promotes admins, removes members and lets members leave', async () => {
    const team = newConversationId();
    await call('createConversation', 201, {
      headers: users.a.headers,
      body: { type: 'group', conversation_id: team, member_ids: ['user_b'] },
    });

    // add
    const notAdmin = await call('addConversationMembers', 403, {
      headers: users.b.headers,
      params: { id: team },
      body: { member_ids: ['user_c'] },
    });
    assert.equal(notAdmin.body.code, 'not_an_admin');
    const added = await call<Conversation>('addConversationMembers', 200, {
      headers: users.a.headers,
      params: { id: team },
      body: { member_ids: ['user_c', 'user_b'] },
    });
    assert.equal(added.body.members.length, 3, 'members already there are not added twice');
    const notGroup = await call('addConversationMembers', 409, {
      headers: users.a.headers,
      params: { id: privateConversation },
      body: { member_ids: ['user_c'] },
    });
    assert.equal(notGroup.body.code, 'not_a_group');
    const noConversation = await call('addConversationMembers', 404, {
      headers: users.a.headers,
      params: { id: newConversationId() },
      body: { member_ids: ['user_c'] },
    });
    assert.equal(noConversation.body.code, 'conversation_not_found');
    const empty = await call('addConversationMembers', 400, {
      headers: users.a.headers,
      params: { id: team },
      body: { member_ids: [] },
      bodyMatchesSpec: false,
    });
    assert.equal(empty.body.code, 'invalid_field');
    await call('addConversationMembers', 401, { params: { id: team }, body: { member_ids: ['user_c'] } });
    await call('addConversationMembers', 415, {
      headers: { ...users.a.headers, 'Content-Type': 'text/plain' },
      params: { id: team },
      body: '{}',
    });

    // promote
    const memberPromotes = await call('promoteConversationAdmin', 403, {
      headers: users.c.headers,
      params: { id: team },
      body: { user_id: 'user_b' },
    });
    assert.equal(memberPromotes.body.code, 'not_an_admin');
    const promoted = await call<{ user_id: string; role: string }>('promoteConversationAdmin', 200, {
      headers: users.a.headers,
      params: { id: team },
      body: { user_id: 'user_b' },
    });
    assert.deepEqual([promoted.body.user_id, promoted.body.role], [users.b.id, 'admin']);
    const notMember = await call('promoteConversationAdmin', 404, {
      headers: users.a.headers,
      params: { id: team },
      body: { user_id: registered.user_id },
    });
    assert.equal(notMember.body.code, 'member_not_found');
    const missing = await call('promoteConversationAdmin', 400, {
      headers: users.a.headers,
      params: { id: team },
      body: {},
      bodyMatchesSpec: false,
    });
    assert.equal(missing.body.code, 'missing_field');
    await call('promoteConversationAdmin', 409, {
      headers: users.a.headers,
      params: { id: privateConversation },
      body: { user_id: 'user_b' },
    });
    await call('promoteConversationAdmin', 401, { params: { id: team }, body: { user_id: 'user_b' } });

    // remove and leave
    const memberRemoves = await call('removeConversationMember', 403, {
      headers: users.c.headers,
      params: { id: team, userId: users.b.id },
    });
    assert.equal(memberRemoves.body.code, 'not_an_admin');
    await call('removeConversationMember', 204, { headers: users.b.headers, params: { id: team, userId: users.c.id } });
    const gone = await call('removeConversationMember', 404, {
      headers: users.a.headers,
      params: { id: team, userId: users.c.id },
    });
    assert.equal(gone.body.code, 'member_not_found');
    await call('removeConversationMember', 204, { headers: users.b.headers, params: { id: team, userId: users.b.id } });
    await call('getConversation', 403, { headers: users.b.headers, params: { id: team } });
    await call('removeConversationMember', 409, {
      headers: users.a.headers,
      params: { id: privateConversation, userId: users.b.id },
    });
    await call('removeConversationMember', 400, { headers: users.a.headers, params: { id: team, userId: 'user_b' } });
    await call('removeConversationMember', 401, { params: { id: team, userId: users.a.id } });
  });

  let sent: Receipt;
  let privateMessage: Receipt;

  it('sends messages (202 once published), idempotently with Idempotency-Key, echoing X-Correlation-Id', async () => {
    const idempotencyKey = `it-${crypto.randomUUID()}`;
    const correlationId = `it-corr-${crypto.randomUUID()}`;
    const body = { conversation_id: group, content: 'hello, contract' };
    const first = await call<Receipt>('sendMessage', 202, {
      headers: { ...users.a.headers, 'Idempotency-Key': idempotencyKey, 'X-Correlation-Id': correlationId },
      body,
    });
    assert.equal(first.headers.get('x-correlation-id'), correlationId);
    const retry = await call<Receipt>('sendMessage', 202, {
      headers: { ...users.a.headers, 'Idempotency-Key': idempotencyKey },
      body,
    });
    assert.equal(retry.body.message_id, first.body.message_id, 'the same key is the same message');
    const reused = await call('sendMessage', 422, {
      headers: { ...users.a.headers, 'Idempotency-Key': idempotencyKey },
      body: { ...body, content: 'another message' },
    });
    assert.equal(reused.body.code, 'idempotency_key_reused');
    sent = first.body;
    // A new conversation_id with a recipient creates the private conversation of the two.
    const readConversation = newConversationId();
    privateMessage = (
      await call<Receipt>('sendMessage', 202, {
        headers: users.a.headers,
        body: {
          conversation_id: readConversation,
          recipient_id: registered.username,
          content: 'read me',
          sender_id: users.a.id,
        },
      })
    ).body;
    assert.equal(privateMessage.conversation_id, readConversation);

    const impostor = await call('sendMessage', 403, {
      headers: users.a.headers,
      body: { ...body, sender_id: users.b.id },
    });
    assert.equal(impostor.body.code, 'sender_mismatch');
    const outsider = await call('sendMessage', 403, {
      headers: users.c.headers,
      body: { conversation_id: privateConversation, content: 'let me in' },
    });
    assert.equal(outsider.body.code, 'not_a_member');
    const nowhere = await call('sendMessage', 404, {
      headers: users.a.headers,
      body: { conversation_id: newConversationId(), content: 'to no one' },
      bodyMatchesSpec: true,
    });
    assert.equal(nowhere.body.code, 'conversation_not_found');
    const empty = await call('sendMessage', 400, {
      headers: users.a.headers,
      body: { conversation_id: group },
      bodyMatchesSpec: false,
    });
    assert.equal(empty.body.code, 'missing_field');
    const unknown = await call('sendMessage', 400, {
      headers: users.a.headers,
      body: { ...body, priority: 'high' },
      bodyMatchesSpec: false,
    });
    assert.equal(unknown.body.code, 'unknown_field');
    const badRecipient = await call('sendMessage', 400, {
      headers: users.a.headers,
      body: { recipient_id: 'whatsapp:12345', content: 'hi' },
    });
    assert.equal(badRecipient.body.code, 'invalid_recipient');
    const badKey = await call('sendMessage', 400, {
      headers: { ...users.a.headers, 'Idempotency-Key': 'has spaces' },
      body,
    });
    assert.equal(badKey.body.code, 'invalid_idempotency_key');
    const squat = await call('sendMessage', 400, {
      headers: users.c.headers,
      body: { conversation_id: privateConversationId(users.a.id, users.b.id), recipient_id: 'user_b', content: 'mine' },
    });
    assert.equal(squat.body.code, 'reserved_conversation_id');
    const loneSurrogate = await call('sendMessage', 400, {
      headers: users.a.headers,
      body: `{"conversation_id":"${group}","content":"\\ud800"}`,
    });
    assert.equal(loneSurrogate.body.code, 'invalid_text');
    const tooLong = await call('sendMessage', 400, {
      headers: users.a.headers,
      body: { conversation_id: group, content: 'é'.repeat(5121) },
    });
    assert.equal(tooLong.body.code, 'content_too_long');
    await call('sendMessage', 401, { body });
    await call('sendMessage', 415, { headers: { ...users.a.headers, 'Content-Type': 'text/plain' }, body: '{}' });
    await call('sendMessage', 413, { headers: users.a.headers, body: tooLarge });
  });

  it('pages a conversation’s history once the router stored the messages', async () => {
    await eventually(
      'the message in the history',
      async () => {
        const page = await request<{ messages: { message_id: string }[] }>(
          'GET',
          `/v1/conversations/${encodeURIComponent(group)}/messages`,
          { headers: users.b.headers },
        );
        return page.status === 200 && page.body.messages.some((m) => m.message_id === sent.message_id);
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const page = await call<{ messages: { message_id: string }[]; next_cursor: string | null }>(
      'listConversationMessages',
      200,
      { headers: users.b.headers, params: { id: group }, query: { limit: '10' } },
    );
    assert.deepEqual(
      page.body.messages.map((m) => m.message_id),
      [sent.message_id],
      'one message, despite the retry',
    );
    assert.equal(page.body.next_cursor, null);

    const badLimit = await call('listConversationMessages', 400, {
      headers: users.b.headers,
      params: { id: group },
      query: { limit: '101' },
    });
    assert.equal(badLimit.body.code, 'invalid_parameter');
    const cursor = Buffer.from(JSON.stringify({ after: sent.message_id })).toString('base64url');
    const both = await call('listConversationMessages', 400, {
      headers: users.b.headers,
      params: { id: group },
      query: { cursor, offset: '1' },
    });
    assert.equal(both.body.code, 'invalid_parameter');
    await call('listConversationMessages', 403, { headers: users.c.headers, params: { id: privateConversation } });
    await call('listConversationMessages', 404, { headers: users.b.headers, params: { id: newConversationId() } });
    await call('listConversationMessages', 401, { params: { id: group } });
  });

  it('gets a message with its status, timestamps and channel, for members only', async () => {
    await eventually(
      'the message stored',
      async () =>
        (await request('GET', `/v1/messages/${sent.message_id}`, { headers: users.b.headers })).status === 200,
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const message = await call<StoredMessage>('getMessage', 200, {
      headers: users.c.headers,
      params: { id: sent.message_id },
    });
    assert.ok(message.body.status);
    const unknown = await call('getMessage', 404, { headers: users.a.headers, params: { id: uuidv7() } });
    assert.equal(unknown.body.code, 'message_not_found');
    await eventually(
      'the private message stored',
      async () =>
        (await request('GET', `/v1/messages/${privateMessage.message_id}`, { headers: users.a.headers })).status ===
        200,
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    await call('getMessage', 403, { headers: users.c.headers, params: { id: privateMessage.message_id } });
    await call('getMessage', 400, { headers: users.a.headers, params: { id: 'not-a-uuid' } });
    await call('getMessage', 401, { params: { id: sent.message_id } });
  });

  it('marks a delivered message read, for a recipient only, and names the status it is in before that', async () => {
    const id = privateMessage.message_id;
    const early = await call<{ status: string }>('markMessageRead', 409, {
      headers: registered.headers,
      params: { id },
    });
    assert.ok(['ACCEPTED', 'PENDING', 'SENT'].includes(early.body.status), `not delivered yet: ${early.body.status}`);
    const sender = await call('markMessageRead', 403, { headers: users.a.headers, params: { id } });
    assert.equal(sender.body.code, 'not_a_recipient');
    await call('markMessageRead', 403, { headers: users.c.headers, params: { id } });
    await call('markMessageRead', 404, { headers: registered.headers, params: { id: uuidv7() } });
    await call('markMessageRead', 400, { headers: registered.headers, params: { id: 'not-a-uuid' } });
    await call('markMessageRead', 401, { params: { id } });

    // A connector reports delivery on status-updates (no connector runs in the tests).
    await produce(TOPICS.statusUpdates, [
      { key: id, value: { message_id: id, status: 'DELIVERED', at: new Date().toISOString(), source: 'test' } },
    ]);
    await eventually(
      'delivered',
      async () =>
        (await request<StoredMessage>('GET', `/v1/messages/${id}`, { headers: registered.headers })).body.status ===
        'DELIVERED',
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const read = await call<StoredMessage>('markMessageRead', 200, { headers: registered.headers, params: { id } });
    const again = await call<StoredMessage>('markMessageRead', 200, { headers: registered.headers, params: { id } });
    assert.equal(again.body.read_at, read.body.read_at, 'a repeated call answers the first read_at');
    const stored = await call<StoredMessage>('getMessage', 200, { headers: users.a.headers, params: { id } });
    assert.equal(stored.body.status, 'READ');
  });

  it('declares, uploads (presigned PUT), completes, describes and downloads a file, and attaches it to a message', async () => {
    const conversationId = newConversationId();
    await call('createConversation', 201, {
      headers: users.a.headers,
      body: { type: 'group', conversation_id: conversationId, member_ids: ['user_b'] },
    });
    const bytes = crypto.randomBytes(4096);
    const declaration = {
      conversation_id: conversationId,
      filename: 'contract.png',
      content_type: 'image/png',
      size_bytes: bytes.length,
      checksum_sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    };
    const created = await call<{ file_id: string; upload: { url: string; headers: Record<string, string> } }>(
      'createFileUpload',
      201,
      { headers: users.a.headers, body: declaration },
    );
    const id = { id: created.body.file_id };
    const huge = await call('createFileUpload', 413, {
      headers: users.a.headers,
      body: { ...declaration, size_bytes: 3 * 1024 ** 3 },
      bodyMatchesSpec: false,
    });
    assert.equal(huge.body.code, 'file_too_large');
    const html = await call('createFileUpload', 415, {
      headers: users.a.headers,
      body: { ...declaration, content_type: 'text/html' },
    });
    assert.equal(html.body.code, 'content_type_not_allowed');
    await call('createFileUpload', 400, {
      headers: users.a.headers,
      body: { ...declaration, size_bytes: 0 },
      bodyMatchesSpec: false,
    });
    await call('createFileUpload', 403, { headers: users.c.headers, body: declaration });
    await call('createFileUpload', 404, {
      headers: users.a.headers,
      body: { ...declaration, conversation_id: newConversationId() },
    });
    await call('createFileUpload', 401, { body: declaration });

    const pending = await call<{ status: string }>('getFile', 200, { headers: users.b.headers, params: id });
    assert.equal(pending.body.status, 'PENDING');
    await call('downloadFile', 409, { headers: users.b.headers, params: id });
    await call('completeFileUpload', 409, { headers: users.a.headers, params: id });
    const sentEarly = await call('sendMessage', 409, {
      headers: users.a.headers,
      body: { conversation_id: conversationId, file_id: created.body.file_id },
    });
    assert.equal(sentEarly.body.code, 'file_not_available');

    const uploaded = await fetch(created.body.upload.url, {
      method: 'PUT',
      headers: created.body.upload.headers,
      body: bytes,
    });
    assert.equal(uploaded.status, 200);
    const notUploader = await call('completeFileUpload', 403, { headers: users.b.headers, params: id });
    assert.equal(notUploader.body.code, 'not_the_uploader');
    await call('completeFileUpload', 415, {
      headers: { ...users.a.headers, 'Content-Type': 'text/plain' },
      params: id,
      body: '{}',
    });
    await call('completeFileUpload', 413, { headers: users.a.headers, params: id, body: tooLarge });
    await call('completeFileUpload', 400, { headers: users.a.headers, params: id, body: { parts: [] } });
    const completed = await call<{ status: string }>('completeFileUpload', 200, {
      headers: users.a.headers,
      params: id,
    });
    assert.equal(completed.body.status, 'AVAILABLE');
    await call('completeFileUpload', 404, { headers: users.a.headers, params: { id: uuidv7() } });
    await call('completeFileUpload', 401, { params: id });

    await call('getFile', 403, { headers: users.c.headers, params: id });
    await call('getFile', 404, { headers: users.a.headers, params: { id: uuidv7() } });
    await call('getFile', 400, { headers: users.a.headers, params: { id: 'not-a-uuid' } });
    await call('getFile', 401, { params: id });

    const download = await call<{ download_url: string }>('downloadFile', 200, {
      headers: users.b.headers,
      params: id,
    });
    const fetched = Buffer.from(await (await fetch(download.body.download_url)).arrayBuffer());
    assert.ok(fetched.equals(bytes), 'the download URL serves the uploaded bytes');
    await call('downloadFile', 403, { headers: users.c.headers, params: id });
    await call('downloadFile', 404, { headers: users.a.headers, params: { id: uuidv7() } });
    await call('downloadFile', 400, { headers: users.a.headers, params: { id: 'not-a-uuid' } });
    await call('downloadFile', 401, { params: id });

    const missing = await call('sendMessage', 404, {
      headers: users.a.headers,
      body: { conversation_id: conversationId, file_id: uuidv7() },
    });
    assert.equal(missing.body.code, 'file_not_found');
    const withFile = await call<Receipt>('sendMessage', 202, {
      headers: users.a.headers,
      body: { conversation_id: conversationId, file_id: created.body.file_id, type: 'file' },
    });
    await eventually(
      'the message with a file stored',
      async () =>
        (await request('GET', `/v1/messages/${withFile.body.message_id}`, { headers: users.b.headers })).status === 200,
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const message = await call<{ file: { download_url: string } | null }>('getMessage', 200, {
      headers: users.b.headers,
      params: { id: withFile.body.message_id },
    });
    assert.ok(message.body.file?.download_url, 'the message carries a download URL');
    const page = await call<{ messages: { file?: unknown }[] }>('listConversationMessages', 200, {
      headers: users.b.headers,
      params: { id: conversationId },
    });
    assert.ok(
      page.body.messages.some((m) => m.file),
      'the history carries the file',
    );
  });

  it('links, lists and unlinks channel identities; webhooks verify the handshake and X-Hub-Signature-256', async () => {
    const identity = `whatsapp:${newPhoneNumber()}`;
    const linked = await call<{ identity: string }>('linkIdentity', 201, {
      headers: users.a.headers,
      body: { identity },
    });
    assert.equal(linked.body.identity, identity);
    await call('linkIdentity', 200, { headers: users.a.headers, body: { identity } });
    await call('linkIdentity', 409, { headers: users.b.headers, body: { identity } });
    await call('linkIdentity', 400, { headers: users.a.headers, body: { identity: 'user_b' }, bodyMatchesSpec: false });
    await call('linkIdentity', 400, { headers: users.a.headers, body: { identity, extra: 1 }, bodyMatchesSpec: false });
    await call('linkIdentity', 401, { headers: garbageToken, body: { identity } });
    await call('linkIdentity', 413, { headers: users.a.headers, body: tooLarge });
    await call('linkIdentity', 415, { headers: { ...users.a.headers, 'Content-Type': 'text/plain' }, body: 'x' });
    const listed = await call<{ identities: { identity: string }[] }>('listIdentities', 200, {
      headers: users.a.headers,
    });
    assert.ok(listed.body.identities.some((entry) => entry.identity === identity));
    await call('listIdentities', 401, { headers: garbageToken });
    await call('unlinkIdentity', 204, { headers: users.a.headers, query: { identity } });
    await call('unlinkIdentity', 404, { headers: users.a.headers, query: { identity } });
    await call('unlinkIdentity', 400, { headers: users.a.headers, query: { identity: 'nobody' } });
    await call('unlinkIdentity', 401, { headers: garbageToken, query: { identity } });

    for (const [channel, object] of [
      ['Whatsapp', 'whatsapp_business_account'],
      ['Instagram', 'instagram'],
    ] as const) {
      const settings = config.channels[channel === 'Whatsapp' ? 'whatsapp' : 'instagram'];
      const handshake = { 'hub.mode': 'subscribe', 'hub.challenge': '1158201444' };
      const verified = await call(`verify${channel}Webhook`, 200, {
        query: { ...handshake, 'hub.verify_token': settings.verifyToken },
      });
      assert.equal(verified.body, 1158201444 as unknown);
      await call(`verify${channel}Webhook`, 403, { query: { ...handshake, 'hub.verify_token': 'wrong' } });
      await call(`verify${channel}Webhook`, 400, { query: { 'hub.verify_token': settings.verifyToken } });

      const body = JSON.stringify({ object, entry: [] });
      const signed = (text: string) => ({ 'X-Hub-Signature-256': signBody(text, settings.appSecret) });
      await call(`receive${channel}Webhook`, 200, { body, headers: signed(body) });
      await call(`receive${channel}Webhook`, 401, { body, headers: { 'X-Hub-Signature-256': signBody(body, 'x') } });
      await call(`receive${channel}Webhook`, 401, { body });
      const notJson = '{"object":';
      await call(`receive${channel}Webhook`, 400, { body: notJson, headers: signed(notJson) });
      const other = JSON.stringify({ object: 'page', entry: [] });
      await call(`receive${channel}Webhook`, 400, { body: other, headers: signed(other) });
      await call(`receive${channel}Webhook`, 415, {
        body,
        headers: { ...signed(body), 'Content-Type': 'text/plain' },
      });
      await call(`receive${channel}Webhook`, 413, { body: tooLarge, headers: signed(tooLarge) });
    }
  });

  it('exercised every operation’s success path and, where one exists, an error path', () => {
    for (const operationId of operations.keys()) {
      const statuses = [...(exercised.get(operationId) ?? [])];
      assert.ok(
        statuses.some((status) => status < 300),
        `${operationId}: a 2xx was exercised`,
      );
      if (!NO_CLIENT_ERRORS.has(operationId)) {
        assert.ok(
          statuses.some((status) => status >= 400 && status < 500),
          `${operationId}: a 4xx was exercised`,
        );
      }
    }
  });
});
