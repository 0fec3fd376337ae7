import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { apiHandler } from '@chat4all/shared/middleware/api-handler.js';
import { json } from '@chat4all/shared/http/response.js';
import { malformedTextAt, requireWellFormedText } from '@chat4all/shared/http/validation.js';

const context = { functionName: 'chat4all-local-test', getRemainingTimeInMillis: () => 10_000 } as Context;

describe('well-formed text', () => {
  it('finds a lone surrogate wherever it is, and names where', () => {
    assert.equal(malformedTextAt({ content: '\ud800' }), 'content');
    assert.equal(malformedTextAt({ content: 'a\udfffb' }), 'content');
    assert.equal(malformedTextAt({ content: '\ude00\ud83d' }), 'content', 'a pair in the wrong order');
    assert.equal(malformedTextAt({ content: '😀'.slice(0, 1) }), 'content', 'half an emoji');
    assert.equal(malformedTextAt({ member_ids: ['user_b', 'x\ud800'] }), 'member_ids[1]');
    assert.equal(malformedTextAt({ a: { b: [{ c: '\udc00' }] } }), 'a.b[0].c');
    assert.equal(malformedTextAt({ ['k\ud800']: 1 }), 'k\ufffd', 'keys too, named without the surrogate');
    assert.equal(malformedTextAt('\ud800'), 'the body');
  });

  it('accepts all well-formed text, including astral characters, U+FFFD and NUL', () => {
    for (const value of [
      { content: 'hello 😀 é ＡＢＣ \ufffd \u0000 \uffff' },
      { name: '\ud83d\ude00' },
      ['a', 1, null, true, { x: [] }],
      42,
      null,
      undefined,
    ])
      assert.equal(malformedTextAt(value), undefined, JSON.stringify(value));
  });

  it('walks bodies nested far deeper than the call stack', () => {
    let deep: unknown = '\ud800';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    assert.ok(malformedTextAt(deep)?.startsWith('[0][0]'));
    assert.throws(
      () => requireWellFormedText(deep),
      (error: unknown) => (error as { code?: string }).code === 'invalid_text' && (error as Error).message.length < 400,
      'the answer stays short',
    );
  });

  it('is a 400 invalid_text in every JSON-body function, before the handler runs', async () => {
    let handled = 0;
    const handler = apiHandler(
      async () => {
        handled += 1;
        return json(200, { ok: true });
      },
      { jsonBody: true },
    );
    const post = (body: string) =>
      handler(
        {
          httpMethod: 'POST',
          path: '/x',
          headers: { 'Content-Type': 'application/json' },
          body,
        } as unknown as APIGatewayProxyEvent,
        context,
      );
    // The raw text a client sends: a JSON escape of a lone surrogate.
    const refused = await post('{"content":"\\ud800"}');
    assert.equal(refused.statusCode, 400);
    const body = JSON.parse(refused.body) as { error: string; code: string };
    assert.equal(body.code, 'invalid_text');
    assert.match(body.error, /content/);
    assert.equal(handled, 0);
    const accepted = await post('{"content":"\\ud83d\\ude00 \\u00e9"}');
    assert.equal(accepted.statusCode, 200);
    assert.equal(handled, 1);
  });
});
