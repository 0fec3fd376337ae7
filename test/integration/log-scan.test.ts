import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { config } from '@chat4all/shared/config.js';
import { eventually, request } from '../helpers/api.js';
import { bearer } from '../helpers/auth.js';
import { apiSigningKey, forgeTokens, securityFixture } from '../helpers/security.js';
import { TestSocket } from '../helpers/websocket.js';

/**
 * No secret in any log line: after the suite's traffic (test/run.ts runs this file after the other integration tests)
 * and this file's own (logins right and wrong, valid and forged tokens in headers, query strings and WebSocket URLs,
 * passwords in malformed bodies), the API's and the bridge's logs hold no bearer token or JWT, no password the tests
 * use, no part of the JWT private key, no AWS secret key but LocalStack's `test`, and no channel secret.
 */

interface Finding {
  file: string;
  line: number;
  what: string;
}

const JWT = /eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}/;
const AWS_SECRET = /"?(?:secretAccessKey|secret_access_key|AWS_SECRET_ACCESS_KEY)"?\s*[:=]\s*"?([^",\s}]+)/i;

function scan(file: string, needles: [string, string | RegExp][]): Finding[] {
  const findings: Finding[] = [];
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, index) => {
      for (const [what, needle] of needles) {
        const hit = typeof needle === 'string' ? text.includes(needle) : needle.test(text);
        if (hit) findings.push({ file, line: index + 1, what });
      }
      const aws = AWS_SECRET.exec(text);
      if (aws && aws[1] !== 'test' && aws[1] !== '[redacted]')
        findings.push({ file, line: index + 1, what: 'an AWS secret access key' });
    });
  return findings;
}

describe('log scan: no token, password or secret in any log line', { timeout: 90_000 }, () => {
  it('finds none in the API and bridge logs', async (t) => {
    const apiLog = process.env.CHAT4ALL_API_LOG;
    const bridgeLog = process.env.CHAT4ALL_BRIDGE_LOG;
    if (!apiLog || !bridgeLog) {
      t.skip(
        'the API and bridge were not started by npm test (CHAT4ALL_API_LOG / CHAT4ALL_BRIDGE_LOG unset): no log file to scan',
      );
      return;
    }

    // Traffic that carries every kind of secret, on top of what the suite already sent.
    const f = await securityFixture('logscan');
    const tokens = forgeTokens(f);
    const password = `Pw-${crypto.randomBytes(9).toString('base64url')}`;
    const username = `logscan_${crypto.randomBytes(4).toString('hex')}`;
    const marker = `logscan-${crypto.randomUUID()}`;
    const traffic: Promise<unknown>[] = [
      request('POST', '/auth/register', { body: { username, password, email: `${username}@example.com` } }),
      request('POST', '/auth/token', { body: { username: 'user_a', password: 'pass_a' } }),
      request('POST', '/auth/token', { body: { username: 'user_b', password: 'pass_b' } }),
      request('POST', '/auth/token', { body: { username: 'user_c', password: 'pass_c' } }),
      request('POST', '/auth/token', { body: { username: 'user_a', password: 'pass_b' } }),
      request('POST', '/auth/token', { body: { username, password: `${password}-wrong` } }),
      // Malformed and refused bodies that carry a password.
      request('POST', '/auth/token', { body: `{"username":"user_a","password":"pass_a"` }),
      request('POST', '/auth/register', { body: { username, password, email: 'nope', extra: password } }),
      request('POST', '/auth/token', {
        body: JSON.stringify({ username: 'user_c', password: 'pass_c' }),
        headers: { 'Content-Type': 'text/plain' },
      }),
    ];
    for (const token of [tokens.valid, tokens.expired, tokens.tampered, tokens.algNone, tokens.hs256, f.owner.token]) {
      traffic.push(request('GET', '/v1/conversations', { headers: bearer(token) }));
      traffic.push(request('GET', `/v1/conversations?cursor=${token}`, { headers: bearer(token) }));
      traffic.push(
        request('POST', '/v1/messages', {
          headers: bearer(token),
          body: { content: token, conversation_id: f.conversationId },
        }),
      );
    }
    await Promise.all(traffic);
    for (const token of [f.member.token, tokens.expired]) {
      await TestSocket.open(token)
        .then((socket) => socket.close())
        .catch(() => undefined);
    }
    // The last request's access log line tells that everything before it was written.
    await request('GET', '/v1/conversations', { headers: { ...f.owner.headers, 'X-Correlation-Id': marker } });
    await eventually('the API log has caught up', async () => fs.readFileSync(apiLog, 'utf8').includes(marker), {
      timeoutMs: 10_000,
    });

    const key = apiSigningKey();
    const pem = key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const keyBody = pem.split('\n').filter((line) => line && !line.startsWith('-----'));
    const secrets = Object.entries(config.channels).flatMap(([channel, settings]) =>
      Object.entries(settings as Record<string, unknown>)
        .filter(([name, value]) => /token|secret/i.test(name) && typeof value === 'string' && value.length >= 8)
        .map(([name, value]): [string, string] => [`the ${channel} ${name}`, value as string]),
    );
    const needles: [string, string | RegExp][] = [
      ['a JWT (eyJ….eyJ…)', JWT],
      ['a bearer token', /Bearer\s+[A-Za-z0-9_-]{20,}/i],
      ...['pass_a', 'pass_b', 'pass_c'].map((p): [string, string] => [`the password ${p} as a JSON value`, `"${p}"`]),
      ['the password of a registered user', password],
      ['a PEM private key', /PRIVATE KEY-----/],
      ['a line of the JWT private key', keyBody[1]!],
      ['a line of the JWT private key', keyBody[keyBody.length - 2]!],
      ...secrets,
    ];
    if (process.env.AWS_SECRET_ACCESS_KEY && process.env.AWS_SECRET_ACCESS_KEY !== 'test')
      needles.push(['the AWS secret access key', process.env.AWS_SECRET_ACCESS_KEY]);

    // The scanner itself finds what it looks for.
    const planted = path.join(os.tmpdir(), `log-scan-${crypto.randomUUID()}.log`);
    fs.writeFileSync(
      planted,
      [
        JSON.stringify({ msg: 'x', authorization: `Bearer ${f.owner.token}` }),
        JSON.stringify({ body: { password: 'pass_b' } }),
        JSON.stringify({ secretAccessKey: 'AKIAREALSECRET' }),
        JSON.stringify({ key: pem }),
      ].join('\n'),
    );
    const caught = scan(planted, needles).map((hit) => hit.what);
    fs.rmSync(planted);
    for (const what of [
      'a JWT (eyJ….eyJ…)',
      'the password pass_b as a JSON value',
      'an AWS secret access key',
      'a PEM private key',
    ])
      assert.ok(caught.includes(what), `the scanner finds ${what}`);

    const findings = [...scan(apiLog, needles), ...scan(bridgeLog, needles)];
    const lines =
      fs.readFileSync(apiLog, 'utf8').split('\n').length + fs.readFileSync(bridgeLog, 'utf8').split('\n').length;
    t.diagnostic(`${lines} log lines scanned for ${needles.length + 1} kinds of secret`);
    assert.deepEqual(
      findings.slice(0, 20).map((hit) => `${hit.file}:${hit.line}: ${hit.what}`),
      [],
      `${findings.length} secret(s) in the logs`,
    );
  });
});
