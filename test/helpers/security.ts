import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadSigningKey, signingKeyFromPem, type SigningKey } from '@chat4all/shared/auth/keys.js';
import { signAccessToken } from '@chat4all/shared/auth/tokens.js';
import { STACK_DIR } from '../../infra/stack/paths.js';
import { eventually, request } from './api.js';
import { newPerson, type Person } from './people.js';
import { apiOperations, type ApiOperation } from './operations.js';

/**
 * What the security tests (authorization-matrix, fuzz, log-scan) share: real resources of three fresh users, the
 * forged tokens, and for every protected operation a valid request and who may or may not make it.
 */

export interface SecurityFixture {
  /** Created the group, sent the message, uploaded the file, linked the identity. */
  owner: Person;
  /** A plain member of the group (not an admin, not the uploader, the message's recipient). */
  member: Person;
  /** Signed in, but in none of it. */
  outsider: Person;
  conversationId: string;
  messageId: string;
  fileId: string;
  /** A WhatsApp identity linked to the owner (when the identities endpoints exist). */
  identity: string;
}

export const hasRoute = (key: string): boolean => apiOperations().some((op) => op.key === key);

/** Uploads `bytes` through the API's presigned PUT and completes the file. */
async function uploadFile(owner: Person, conversationId: string): Promise<string> {
  const bytes = Buffer.from('security fixture\n');
  const created = await request<{ file_id: string; upload: { url: string; headers: Record<string, string> } }>(
    'POST',
    '/v1/files',
    {
      headers: owner.headers,
      body: {
        conversation_id: conversationId,
        filename: 'note.txt',
        content_type: 'text/plain',
        size_bytes: bytes.length,
      },
    },
  );
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const put = await fetch(created.body.upload.url, {
    method: 'PUT',
    headers: created.body.upload.headers,
    body: bytes,
  });
  assert.equal(put.status, 200, await put.text());
  const completed = await request('POST', `/v1/files/${created.body.file_id}/complete`, { headers: owner.headers });
  assert.equal(completed.status, 200, JSON.stringify(completed.body));
  return created.body.file_id;
}

export async function securityFixture(prefix: string): Promise<SecurityFixture> {
  const [owner, member, outsider] = await Promise.all([
    newPerson(`${prefix}_owner`),
    newPerson(`${prefix}_member`),
    newPerson(`${prefix}_outsider`),
  ]);
  const conversation = await request<{ conversation_id: string }>('POST', '/v1/conversations', {
    headers: owner.headers,
    body: { type: 'group', name: `${prefix} security`, member_ids: [member.id] },
  });
  assert.equal(conversation.status, 201, JSON.stringify(conversation.body));
  const conversationId = conversation.body.conversation_id;
  const sent = await request<{ message_id: string }>('POST', '/v1/messages', {
    headers: owner.headers,
    body: { conversation_id: conversationId, content: 'for members only' },
  });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  const fileId = await uploadFile(owner, conversationId);
  let identity = '';
  if (hasRoute('POST /v1/users/identities')) {
    identity = `whatsapp:+1555${crypto.randomInt(1_000_000, 9_999_999)}`;
    const linked = await request('POST', '/v1/users/identities', { headers: owner.headers, body: { identity } });
    assert.equal(linked.status, 201, JSON.stringify(linked.body));
  }
  // The router stores the message asynchronously; until then GET /v1/messages/{id} is a 404 for everyone.
  await eventually(
    'the router stored the fixture message',
    async () =>
      (await request('GET', `/v1/messages/${sent.body.message_id}`, { headers: owner.headers })).status === 200,
    { timeoutMs: 20_000, intervalMs: 200 },
  );
  return { owner, member, outsider, conversationId, messageId: sent.body.message_id, fileId, identity };
}

/** A request an authorized caller could make: the path values, body and query that go with the route. */
export interface ValidRequest {
  params?: Record<string, string>;
  body?: unknown;
  query?: Record<string, string>;
}

/** One caller's attempt and what it must get. */
export interface Attempt {
  as: 'owner' | 'member' | 'outsider';
  status: number;
  code?: string;
  /** Differences from the valid request. */
  request?: ValidRequest;
  /** More to check on the answer (for example: the list does not show the owner's conversation). */
  check?: (body: Record<string, unknown>, fixture: SecurityFixture) => void;
}

export interface Authorization {
  valid: (f: SecurityFixture) => ValidRequest;
  /** Another signed-in user acting on the owner's resource; null where any member may (and that is the point). */
  other: ((f: SecurityFixture) => Attempt) | null;
  /** A user outside the conversation (or simply not the owner, for per-user resources). */
  nonMember: (f: SecurityFixture) => Attempt;
}

const notListed =
  (field: string, id: (f: SecurityFixture) => string, label: string) =>
  (body: Record<string, unknown>, f: SecurityFixture) => {
    const items = (body[field] as Record<string, unknown>[] | undefined) ?? [];
    assert.ok(Array.isArray(items), `${field} is a list`);
    assert.ok(!JSON.stringify(items).includes(id(f)), `another user's ${label} is not listed`);
  };

/**
 * Authorization of every protected operation, by `METHOD /route`. A protected operation missing here fails the
 * matrix: a new endpoint must say who may use it. 404 appears only where the API deliberately does not tell
 * whether something exists (another user's identity).
 */
export const AUTHORIZATION: Record<string, Authorization> = {
  'POST /v1/conversations': {
    // Taking over an existing conversation id is the attack: it stays the owner's.
    valid: (f) => ({
      body: { type: 'group', name: 'takeover', member_ids: [f.owner.id], conversation_id: f.conversationId },
    }),
    other: () => ({ as: 'member', status: 409, code: 'conversation_exists' }),
    nonMember: () => ({ as: 'outsider', status: 409, code: 'conversation_exists' }),
  },
  'GET /v1/conversations': {
    valid: () => ({ query: { limit: '100' } }),
    other: null,
    nonMember: () => ({
      as: 'outsider',
      status: 200,
      check: notListed('conversations', (f) => f.conversationId, 'conversation'),
    }),
  },
  'GET /v1/conversations/{id}': {
    valid: (f) => ({ params: { id: f.conversationId } }),
    other: () => ({ as: 'member', status: 200 }),
    nonMember: () => ({ as: 'outsider', status: 403, code: 'not_a_member' }),
  },
  'POST /v1/conversations/{id}/members': {
    valid: (f) => ({ params: { id: f.conversationId }, body: { member_ids: [f.outsider.id] } }),
    other: () => ({ as: 'member', status: 403, code: 'not_an_admin' }),
    // The outsider adding themself.
    nonMember: () => ({ as: 'outsider', status: 403, code: 'not_a_member' }),
  },
  'DELETE /v1/conversations/{id}/members/{userId}': {
    valid: (f) => ({ params: { id: f.conversationId, userId: f.member.id } }),
    other: (f) => ({
      as: 'member',
      status: 403,
      code: 'not_an_admin',
      request: { params: { id: f.conversationId, userId: f.owner.id } },
    }),
    nonMember: () => ({ as: 'outsider', status: 403, code: 'not_a_member' }),
  },
  'POST /v1/conversations/{id}/admins': {
    valid: (f) => ({ params: { id: f.conversationId }, body: { user_id: f.member.id } }),
    // The member promoting themself.
    other: () => ({ as: 'member', status: 403, code: 'not_an_admin' }),
    nonMember: (f) => ({
      as: 'outsider',
      status: 403,
      code: 'not_a_member',
      request: { body: { user_id: f.outsider.id } },
    }),
  },
  'GET /v1/conversations/{id}/messages': {
    valid: (f) => ({ params: { id: f.conversationId }, query: { limit: '10' } }),
    other: () => ({ as: 'member', status: 200 }),
    nonMember: () => ({ as: 'outsider', status: 403, code: 'not_a_member' }),
  },
  'POST /v1/messages': {
    valid: (f) => ({ body: { conversation_id: f.conversationId, content: 'matrix' } }),
    // A member speaking as the owner.
    other: (f) => ({
      as: 'member',
      status: 403,
      code: 'sender_mismatch',
      request: { body: { conversation_id: f.conversationId, content: 'as the owner', sender_id: f.owner.id } },
    }),
    nonMember: () => ({ as: 'outsider', status: 403, code: 'not_a_member' }),
  },
  'GET /v1/messages/{id}': {
    valid: (f) => ({ params: { id: f.messageId } }),
    other: () => ({ as: 'member', status: 200 }),
    nonMember: () => ({ as: 'outsider', status: 403, code: 'not_a_member' }),
  },
  'POST /v1/messages/{id}/read': {
    valid: (f) => ({ params: { id: f.messageId } }),
    // Only a recipient marks a message read; its sender is not one.
    other: () => ({ as: 'owner', status: 403, code: 'not_a_recipient' }),
    nonMember: () => ({ as: 'outsider', status: 403, code: 'not_a_member' }),
  },
  'POST /v1/files': {
    valid: (f) => ({
      body: { conversation_id: f.conversationId, filename: 'x.txt', content_type: 'text/plain', size_bytes: 5 },
    }),
    other: null,
    nonMember: () => ({ as: 'outsider', status: 403, code: 'not_a_member' }),
  },
  'GET /v1/files/{id}': {
    valid: (f) => ({ params: { id: f.fileId } }),
    other: () => ({ as: 'member', status: 200 }),
    nonMember: () => ({ as: 'outsider', status: 403, code: 'not_a_member' }),
  },
  'POST /v1/files/{id}/complete': {
    valid: (f) => ({ params: { id: f.fileId } }),
    other: () => ({ as: 'member', status: 403, code: 'not_the_uploader' }),
    nonMember: () => ({ as: 'outsider', status: 403, code: 'not_a_member' }),
  },
  'GET /v1/files/{id}/download': {
    valid: (f) => ({ params: { id: f.fileId } }),
    other: () => ({ as: 'member', status: 200 }),
    nonMember: () => ({ as: 'outsider', status: 403, code: 'not_a_member' }),
  },
  'POST /v1/users/identities': {
    valid: (f) => ({ body: { identity: f.identity } }),
    // Claiming the owner's number: refused, and the link stays the owner's.
    other: () => ({ as: 'member', status: 409, code: 'identity_taken' }),
    nonMember: () => ({ as: 'outsider', status: 409, code: 'identity_taken' }),
  },
  'GET /v1/users/identities': {
    valid: () => ({}),
    other: null,
    nonMember: () => ({ as: 'outsider', status: 200, check: notListed('identities', (f) => f.identity, 'identity') }),
  },
  'DELETE /v1/users/identities': {
    valid: (f) => ({ query: { identity: f.identity } }),
    // Deliberately a 404: another user cannot tell whether someone linked this identity.
    other: () => ({ as: 'member', status: 404, code: 'identity_not_found' }),
    nonMember: () => ({ as: 'outsider', status: 404, code: 'identity_not_found' }),
  },
};

/** The API's signing key, to forge tokens it would accept except for what each case breaks. */
export function apiSigningKey(): SigningKey {
  if (process.env.JWT_PRIVATE_KEY || process.env.JWT_PRIVATE_KEY_FILE) return loadSigningKey();
  return signingKeyFromPem(fs.readFileSync(path.join(STACK_DIR, 'jwt', 'private.pem')));
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export interface ForgedTokens {
  /** Signed correctly, for the owner: proves the forging key is the API's. */
  valid: string;
  expired: string;
  /** The outsider's real token with the payload changed to the owner's id. */
  tampered: string;
  /** `alg: none`, no signature. */
  algNone: string;
  /** HS256 with the RSA public key as the HMAC secret (the classic algorithm confusion). */
  hs256: string;
  /** RS256 by another key that claims the API key's kid. */
  foreignKey: string;
}

export function forgeTokens(f: SecurityFixture): ForgedTokens {
  const key = apiSigningKey();
  const subject = { userId: f.owner.id, username: f.owner.username };
  const valid = signAccessToken(subject, { key, ttlSeconds: 600 });
  const [header, payload] = valid.split('.') as [string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;

  const [outHeader, outPayload, outSignature] = f.outsider.token.split('.') as [string, string, string];
  const outClaims = JSON.parse(Buffer.from(outPayload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const tampered = `${outHeader}.${b64({ ...outClaims, sub: f.owner.id, username: f.owner.username })}.${outSignature}`;

  const algNone = `${b64({ alg: 'none', typ: 'JWT', kid: key.kid })}.${payload}.`;
  const hsInput = `${b64({ alg: 'HS256', typ: 'JWT', kid: key.kid })}.${payload}`;
  const publicPem = key.publicKey.export({ type: 'spki', format: 'pem' });
  const hs256 = `${hsInput}.${crypto.createHmac('sha256', publicPem).update(hsInput).digest('base64url')}`;

  const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const foreignInput = `${header}.${b64(claims)}`;
  const foreignKey = `${foreignInput}.${crypto.sign('sha256', Buffer.from(foreignInput), other).toString('base64url')}`;

  return {
    valid,
    expired: signAccessToken(subject, { key, now: Date.now() - 2 * 3600_000, ttlSeconds: 3600 }),
    tampered,
    algNone,
    hs256,
    foreignKey,
  };
}

export type { ApiOperation, Person };
