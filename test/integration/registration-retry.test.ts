import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, describe, it } from 'node:test';
import { hashPassword } from '@chat4all/shared/auth/password.js';
import { getCassandra } from '@chat4all/shared/clients/cassandra.js';
import { claimEmail, claimUsername, insertUser, type User } from '@chat4all/shared/users/repository.js';
import { request } from '../helpers/api.js';

// Each step of a registration is a separate Cassandra write, and any of them can time out after it took effect: the
// client then gets a 503 and retries. These tests leave the state such a cut-off attempt leaves, then retry over HTTP.

after(async () => {
  await getCassandra().shutdown();
});

function newRegistration() {
  const suffix = crypto.randomBytes(6).toString('hex');
  return { username: `rr_${suffix}`, password: `pw-${suffix}-long`, email: `rr_${suffix}@example.com` };
}

/** What an attempt cut off after its row and its username claim leaves (`emailToo`: after every step). */
async function cutOffAttempt(registration: ReturnType<typeof newRegistration>, emailToo = false): Promise<User> {
  const db = getCassandra();
  const user: User = {
    userId: crypto.randomUUID(),
    username: registration.username,
    email: registration.email,
    passwordHash: await hashPassword(registration.password),
    createdAt: new Date(),
  };
  await insertUser(db, user);
  assert.deepEqual(await claimUsername(db, user.username, user.userId), { claimed: true });
  if (emailToo) assert.deepEqual(await claimEmail(db, user.email, user.userId), { claimed: true });
  return user;
}

async function logsIn(registration: { username: string; password: string }): Promise<string> {
  const token = await request<{ access_token: string }>('POST', '/auth/token', {
    body: { username: registration.username, password: registration.password },
  });
  assert.equal(token.status, 200, JSON.stringify(token.body));
  const claims = JSON.parse(Buffer.from(token.body.access_token.split('.')[1]!, 'base64url').toString('utf8'));
  return claims.sub as string;
}

describe('a registration cut off part way (a 503) is finished by its retry', () => {
  it('after the username claim: the retry answers 201 with the earlier user, claims the email, and it logs in', async () => {
    const registration = newRegistration();
    const earlier = await cutOffAttempt(registration);

    const retry = await request('POST', '/auth/register', { body: registration });
    assert.equal(retry.status, 201, JSON.stringify(retry.body));
    assert.equal(retry.body.user_id, earlier.userId);
    assert.equal(await logsIn(registration), earlier.userId);
    // The email is claimed now: nobody else can register with it.
    const other = newRegistration();
    const taken = await request('POST', '/auth/register', { body: { ...other, email: registration.email } });
    assert.equal(taken.status, 409, JSON.stringify(taken.body));
    assert.equal(taken.body.code, 'email_taken');
  });

  it('after every step (the 201 was lost): the retry answers 201 with the same user', async () => {
    const registration = newRegistration();
    const earlier = await cutOffAttempt(registration, true);
    const retry = await request('POST', '/auth/register', {
      body: { ...registration, username: registration.username.toUpperCase() },
    });
    assert.equal(retry.status, 201, JSON.stringify(retry.body));
    assert.equal(retry.body.user_id, earlier.userId);
    assert.equal(retry.body.username, registration.username);
  });

  it('a request with another password or another email is not a retry: 409, and the name stays with its owner', async () => {
    const registration = newRegistration();
    const earlier = await cutOffAttempt(registration);
    const wrongPassword = await request('POST', '/auth/register', {
      body: { ...registration, password: 'someone-elses-password' },
    });
    assert.equal(wrongPassword.status, 409, JSON.stringify(wrongPassword.body));
    assert.equal(wrongPassword.body.code, 'username_taken');
    const otherEmail = await request('POST', '/auth/register', {
      body: { ...registration, email: `other_${registration.email}` },
    });
    assert.equal(otherEmail.status, 409, JSON.stringify(otherEmail.body));
    assert.equal(otherEmail.body.code, 'username_taken');
    assert.equal((await request('POST', '/auth/register', { body: registration })).status, 201);
    assert.equal(await logsIn(registration), earlier.userId);
  });

  it('when the email was taken by someone else meanwhile, the retry answers 409 email_taken and frees the name', async () => {
    const registration = newRegistration();
    await cutOffAttempt(registration);
    const someoneElse = newRegistration();
    const theirs = await request('POST', '/auth/register', { body: { ...someoneElse, email: registration.email } });
    assert.equal(theirs.status, 201, JSON.stringify(theirs.body));

    const retry = await request('POST', '/auth/register', { body: registration });
    assert.equal(retry.status, 409, JSON.stringify(retry.body));
    assert.equal(retry.body.code, 'email_taken');
    const withAnotherEmail = { ...registration, email: `new_${registration.email}` };
    const freed = await request('POST', '/auth/register', { body: withAnotherEmail });
    assert.equal(freed.status, 201, JSON.stringify(freed.body));
    assert.equal(await logsIn(withAnotherEmail), freed.body.user_id);
  });

  it('a name claimed for a user that was never written (the order before this fix) can be registered', async () => {
    const registration = newRegistration();
    assert.deepEqual(await claimUsername(getCassandra(), registration.username, crypto.randomUUID()), {
      claimed: true,
    });
    const retry = await request('POST', '/auth/register', { body: registration });
    assert.equal(retry.status, 201, JSON.stringify(retry.body));
    assert.equal(await logsIn(registration), retry.body.user_id);
  });
});
