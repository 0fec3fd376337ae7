import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { delay } from '../../infra/stack/processes.js';

const require = createRequire(import.meta.url);

describe('patched dependencies (infra/patches, applied by postinstall)', () => {
  it("cassandra-driver refreshes its control connection once at a time, so a stall cannot null the other's connection", async () => {
    const ControlConnection = require('cassandra-driver/lib/control-connection.js') as {
      prototype: { _refresh(this: unknown): Promise<void> };
    };
    let running = 0;
    let most = 0;
    let runs = 0;
    const connection = Object.assign(Object.create(ControlConnection.prototype) as { _refresh(): Promise<void> }, {
      async _refreshOnce() {
        runs++;
        most = Math.max(most, ++running);
        await delay(20);
        running--;
      },
    });
    // A health listener's refresh and a scheduled reconnection's, at the same moment: one refresh.
    await Promise.all([connection._refresh(), connection._refresh()]);
    assert.equal(most, 1);
    assert.equal(runs, 1);
    // Once it is over, the next one runs.
    await connection._refresh();
    assert.equal(runs, 2);
  });

  it('serverless-offline resolves a handler once per runner and sets only the variables that changed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat4all-runner-'));
    fs.writeFileSync(path.join(dir, 'fn.mjs'), 'export const handler = async () => process.env.CHAT4ALL_PATCH_PROBE;');
    const runnerFile = path.resolve(
      'node_modules/serverless-offline/src/lambda/handler-runner/in-process-runner/InProcessRunner.js',
    );
    const { default: InProcessRunner } = (await import(pathToFileURL(runnerFile).href)) as {
      default: new (options: object, env: object) => { run(event: object, context: object): Promise<unknown> };
    };
    const runner = (value: string) =>
      new InProcessRunner(
        { codeDir: dir, handler: 'fn.handler', servicePath: dir, timeout: 1000 },
        {
          CHAT4ALL_PATCH_PROBE: value,
        },
      );
    const first = runner('one');
    assert.equal(await first.run({}, {}), 'one');
    const existsSync = fs.existsSync;
    let lookups = 0;
    fs.existsSync = (file) => (lookups++, existsSync(file));
    try {
      assert.equal(await first.run({}, {}), 'one');
      assert.equal(lookups, 0, 'the second invocation looked for the handler again');
    } finally {
      fs.existsSync = existsSync;
    }
    // Another function's environment still reaches its handler.
    assert.equal(await runner('two').run({}, {}), 'two');
    assert.equal(await first.run({}, {}), 'one');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('kafkajs never arms a negative timer (no TimeoutNegativeWarning on Node 24)', async () => {
    const fs = await import('node:fs');
    const source = fs.readFileSync(require.resolve('kafkajs/src/network/requestQueue/index.js'), 'utf8');
    assert.match(source, /Math\.max\(0, scheduleAt\)/);
  });
});
