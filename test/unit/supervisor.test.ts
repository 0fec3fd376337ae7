import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { Supervisor } from '../../infra/supervisor.js';

/** A real child process: runs `script` under this Node. */
const node = (script: string) => spawn(process.execPath, ['-e', script], { stdio: 'ignore' });

describe('npm start supervisor', () => {
  it('starts a child that exits unexpectedly again, with a growing delay, and says why', async () => {
    const lines: string[] = [];
    const supervisor = new Supervisor({ log: (line) => lines.push(line), baseDelayMs: 50, maxDelayMs: 1000 });
    let starts = 0;
    let restartedTwice!: () => void;
    const twice = new Promise<void>((resolve) => (restartedTwice = resolve));
    await supervisor.add({
      name: 'flaky',
      start: async () => {
        starts += 1;
        if (starts === 3) restartedTwice();
        return node(starts < 3 ? 'process.exit(3)' : 'setInterval(() => {}, 1000)');
      },
    });
    await twice;
    assert.equal(starts, 3);
    assert.match(lines[0]!, /^flaky exited with code 3 after 0 s: starting it again in 0.05 s$/);
    assert.match(
      lines.find((line) => line.includes('again in 0.1 s')) ?? '',
      /exited with code 3/,
      'the delay doubles',
    );
    await supervisor.stop();
  });

  it('restarts a child that died after it looked ready, before the supervisor watched it', async () => {
    const lines: string[] = [];
    const supervisor = new Supervisor({ log: (line) => lines.push(line), baseDelayMs: 10 });
    let starts = 0;
    let restarted!: () => void;
    const again = new Promise<void>((resolve) => (restarted = resolve));
    await supervisor.add({
      name: 'short-lived',
      start: async () => {
        starts += 1;
        if (starts === 2) {
          restarted();
          return node('setInterval(() => {}, 1000)');
        }
        // Ready by its own account, then dead before start() resolves: its exit is emitted while start() still waits.
        const child = node('process.exit(4)');
        await new Promise((resolve) => child.once('exit', resolve));
        return child;
      },
    });
    const noRestart = new Promise((resolve) => setTimeout(resolve, 2000, 'no restart')).then((outcome) => outcome);
    assert.equal(await Promise.race([again.then(() => 'restarted'), noRestart]), 'restarted');
    assert.equal(starts, 2);
    assert.match(lines[0]!, /^short-lived exited with code 4 after 0 s: starting it again/);
    await supervisor.stop();
  });

  it('stops its children without starting them again', async () => {
    const lines: string[] = [];
    const supervisor = new Supervisor({ log: (line) => lines.push(line), baseDelayMs: 10 });
    let starts = 0;
    const child = await supervisor.add({
      name: 'steady',
      start: async () => {
        starts += 1;
        return node('setInterval(() => {}, 1000)');
      },
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await supervisor.stop();
    await exited;
    await new Promise((resolve) => setTimeout(resolve, 50)); // longer than the restart delay
    assert.equal(starts, 1);
    assert.deepEqual(lines, []);
  });

  it('restarts a child killed by a signal', async () => {
    const lines: string[] = [];
    const supervisor = new Supervisor({ log: (line) => lines.push(line), baseDelayMs: 10 });
    const pids: number[] = [];
    let second!: () => void;
    const restarted = new Promise<void>((resolve) => (second = resolve));
    const first = await supervisor.add({
      name: 'bridge',
      start: async () => {
        const child = node('setInterval(() => {}, 1000)');
        pids.push(child.pid!);
        if (pids.length === 2) second();
        return child;
      },
    });
    first.kill('SIGKILL');
    await restarted;
    assert.notEqual(pids[0], pids[1]);
    assert.match(lines[0]!, /^bridge was killed by SIGKILL/);
    await supervisor.stop();
  });

  it('leaves alone a child whose exit restartWhen does not call for (the test harness: bridges killed on purpose)', async () => {
    const lines: string[] = [];
    const supervisor = new Supervisor({ log: (line) => lines.push(line), baseDelayMs: 10 });
    let starts = 0;
    let failedOnce!: () => void;
    const failed = new Promise<void>((resolve) => (failedOnce = resolve));
    const first = await supervisor.add({
      name: 'bridge',
      start: async () => {
        starts += 1;
        if (starts === 2) failedOnce();
        return node(starts === 1 ? 'process.exit(1)' : 'setInterval(() => {}, 1000)');
      },
      restartWhen: (code) => code !== null && code !== 0,
    });
    await failed; // exit 1: started again
    while (supervisor.child('bridge') === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    const second = supervisor.child('bridge')!;
    assert.notEqual(second.pid, first.pid);
    const killed = new Promise((resolve) => second.once('exit', resolve));
    second.kill('SIGKILL');
    await killed;
    await new Promise((resolve) => setTimeout(resolve, 50)); // longer than the restart delay
    assert.equal(starts, 2, 'a bridge killed by a signal is not started again');
    assert.match(lines.at(-1)!, /^bridge was killed by SIGKILL: not starting it again$/);
    await supervisor.stop();
  });
});
