import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coalesce } from '@chat4all/shared/kafka/coalesce.js';

/** A send that records what it was given and settles when told to. */
function recordingSend() {
  const sends: string[][] = [];
  let fail: Error | undefined;
  return {
    sends,
    failWith(error: Error) {
      fail = error;
    },
    send: async (items: string[]) => {
      sends.push(items);
      if (fail) throw fail;
    },
  };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('coalesce (producer linger of 0 ms)', () => {
  it('joins the publishes of one turn into one send, in call order, and resolves every caller', async () => {
    const target = recordingSend();
    const publish = coalesce(target.send);
    await Promise.all([publish(['a1', 'a2']), publish(['b1']), publish(['c1', 'c2'])]);
    assert.deepEqual(target.sends, [['a1', 'a2', 'b1', 'c1', 'c2']]);
  });

  it('sends publishes of different turns separately', async () => {
    const target = recordingSend();
    const publish = coalesce(target.send);
    const first = publish(['a']);
    await nextTurn();
    const second = publish(['b']);
    await Promise.all([first, second]);
    assert.deepEqual(target.sends, [['a'], ['b']]);
  });

  it('rejects every caller of a failed send with its error', async () => {
    const target = recordingSend();
    target.failWith(new Error('broker down'));
    const publish = coalesce(target.send);
    const results = await Promise.allSettled([publish(['a']), publish(['b'])]);
    assert.deepEqual(
      results.map((result) => (result.status === 'rejected' ? (result.reason as Error).message : 'fulfilled')),
      ['broker down', 'broker down'],
    );
    assert.equal(target.sends.length, 1);
  });

  it('starts a new send before the weight limit, never splitting one caller, and sends an oversized caller alone', async () => {
    const target = recordingSend();
    const publish = coalesce(target.send, { weight: (item) => item.length, maxWeight: 4 });
    await Promise.all([publish(['aa', 'bb']), publish(['cc']), publish(['dddddd']), publish(['e'])]);
    assert.deepEqual(target.sends, [['aa', 'bb'], ['cc'], ['dddddd'], ['e']]);
  });
});
