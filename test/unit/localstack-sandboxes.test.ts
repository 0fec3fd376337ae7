import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { RUNTIME_CLIENT, reapLambdaSandboxes } from '../../infra/stack/services/localstack.js';

describe('Lambda sandboxes left by a LocalStack that is gone', () => {
  it('are killed, frozen ones included, and nothing else is', async () => {
    const keepAlive = 'setInterval(() => {}, 1000)';
    // Stands in for a sandbox: a process whose command line names the runtime client, frozen as between invocations.
    const sandbox = spawn(process.execPath, ['-e', keepAlive, RUNTIME_CLIENT], { stdio: 'ignore' });
    const bystander = spawn(process.execPath, ['-e', keepAlive, 'not-a-sandbox.mjs'], { stdio: 'ignore' });
    try {
      await Promise.all([once(sandbox, 'spawn'), once(bystander, 'spawn')]);
      sandbox.kill('SIGSTOP');
      const ended = once(sandbox, 'exit');
      reapLambdaSandboxes();
      const [, signal] = await ended;
      assert.equal(signal, 'SIGKILL');
      // Killed, it would be a zombie (Z) by now: the signals went out together, before the sandbox's exit was seen.
      const state = fs.readFileSync(`/proc/${bystander.pid}/stat`, 'utf8').split(') ')[1]?.[0];
      assert.ok(state !== 'Z' && state !== 'X', `another process is left alone (state ${state})`);
    } finally {
      sandbox.kill('SIGKILL');
      bystander.kill('SIGKILL');
    }
  });
});
