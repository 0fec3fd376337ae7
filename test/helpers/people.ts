import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { request } from './api.js';
import { bearer } from './auth.js';

export interface Person {
  id: string;
  username: string;
  token: string;
  headers: Record<string, string>;
}

/** A freshly registered user: tests that read inboxes must not share the development users'. */
export async function newPerson(prefix: string): Promise<Person> {
  const username = `${prefix}_${crypto.randomBytes(4).toString('hex')}`;
  const password = crypto.randomBytes(12).toString('base64url');
  const registered = await request<{ user_id: string }>('POST', '/auth/register', {
    body: { username, password, email: `${username}@example.com` },
  });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const token = (await request<{ access_token: string }>('POST', '/auth/token', { body: { username, password } })).body
    .access_token;
  return { id: registered.body.user_id, username, token, headers: bearer(token) };
}
