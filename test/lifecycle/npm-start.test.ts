/**
 * npm start as a user runs it, and as it dies: a bridge killed under it comes back by itself; npm start killed
 * (SIGKILL, as when its terminal closes badly) under load, then npm start again → serving, nothing lost, no process
 * twice; npm stop → no process of the project and no bound port. Runs last in npm test (test/run.ts): it replaces the
 * API, bridge and emulators npm test started with npm start's, and npm stop ends the stack too.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  APP_PORTS,
  runningAppProcesses,
  runningSupervisor,
  stopPid,
  supervisorPidFile,
} from '../../infra/app-processes.js';
import { runningApiPid } from '../../infra/api.js';
import { bridgeGroupsStable, runningBridges } from '../../infra/bridge/process.js';
import { ROOT, STACK_DIR } from '../../infra/stack/paths.js';
import { isAlive, isPortOpen } from '../../infra/stack/processes.js';
import { eventually, request } from '../helpers/api.js';
import { newPerson, type Person } from '../helpers/people.js';

const STACK_PORTS = [9092, 9042, 4566, 9090, 9091];
const startLog = path.join(STACK_DIR, 'npm-start-test.log');

/** npm start, as `npm start` runs it (through the bootstrap), detached so that killing it leaves its children. */
function npmStart(): ChildProcess {
  const out = fs.openSync(startLog, 'a');
  const child = spawn(process.execPath, [path.join(ROOT, 'infra/bootstrap.mjs'), 'infra/start.ts'], {
    cwd: ROOT,
    stdio: ['ignore', out, out],
    detached: true,
  });
  child.unref();
  return child;
}

const healthy = async () => (await request('GET', '/health')).status === 200;

async function servingWithOneOfEach(): Promise<void> {
  await eventually(
    'npm start serves /health with a bridge in every group',
    async () => {
      if (!(await healthy())) return false;
      const processes = runningAppProcesses();
      return (
        processes.filter((p) => p.name === 'api').length === 1 &&
        processes.filter((p) => p.name === 'bridge').length === 1 &&
        processes.filter((p) => p.name === 'emulators').length === 1 &&
        (await bridgeGroupsStable())
      );
    },
    { timeoutMs: 240_000, intervalMs: 1000 },
  );
}

/** Every process whose command line names this checkout and one of the project's programs. */
function projectProcesses(): string[] {
  const markers = [
    'osls',
    'infra/bridge/main.ts',
    'infra/emulators/main.ts',
    'infra/start.ts',
    'infra/stack/localstack/runtime/bootstrap.mjs', // a deployed function's sandbox (LocalStack's host executor)
  ];
  const found: string[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    if (cmdline.includes(ROOT) && markers.some((marker) => cmdline.includes(marker)))
      found.push(`${entry}: ${cmdline}`);
  }
  return found;
}

/** Sends one message until it is accepted (the API may be down meanwhile), with one Idempotency-Key. */
async function sendUntilAccepted(from: Person, to: Person, content: string, deadline: number): Promise<string> {
  const key = crypto.randomUUID();
  for (;;) {
    const answer = await request<{ message_id: string }>('POST', '/v1/messages', {
      headers: { ...from.headers, 'Idempotency-Key': key },
      body: { recipient_id: to.id, content },
    }).catch(() => undefined);
    if (answer?.status === 202) return answer.body.message_id;
    if (Date.now() > deadline) throw new Error(`"${content}" not accepted: ${answer?.status ?? 'no answer'}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe(
  'npm start supervises, recovers from its own crash, and npm stop stops everything',
  { timeout: 900_000 },
  () => {
    after(() => {
      const supervisor = runningSupervisor();
      if (supervisor !== undefined) process.kill(supervisor, 'SIGTERM');
    });

    it('takes over from the processes npm test started', async () => {
      for (const { pid } of runningAppProcesses()) await stopPid(pid);
      fs.writeFileSync(startLog, '');
      npmStart();
      await servingWithOneOfEach();
      assert.ok(runningSupervisor(), 'npm start recorded its pid');
    });

    it('starts a killed bridge again within seconds', async () => {
      const [bridge] = runningBridges();
      assert.ok(bridge);
      process.kill(bridge, 'SIGKILL');
      const took = await eventually(
        'a new bridge in every group',
        async () => runningBridges().some((pid) => pid !== bridge) && (await bridgeGroupsStable()),
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      assert.match(fs.readFileSync(startLog, 'utf8'), /bridge was killed by SIGKILL after \d+ s: starting it again/);
      console.log(`bridge back in its groups ${took} ms after SIGKILL`);
    });

    it('killed under load, npm start again serves, loses nothing and runs no process twice', async () => {
      const sender = await newPerson('lifecycle_s');
      const recipient = await newPerson('lifecycle_r');
      const accepted: string[] = [];
      const deadline = Date.now() + 300_000;
      let sending = true;
      const load = (async () => {
        for (let n = 0; sending; n++)
          accepted.push(await sendUntilAccepted(sender, recipient, `lifecycle ${n}`, deadline));
      })();
      await eventually('some messages accepted', async () => accepted.length >= 20, { timeoutMs: 60_000 });

      const supervisor = runningSupervisor();
      const oldApi = runningApiPid();
      assert.ok(supervisor && oldApi);
      process.kill(supervisor, 'SIGKILL');
      await eventually('the killed npm start is gone', async () => !isAlive(supervisor), { timeoutMs: 10_000 });
      assert.ok(await healthy(), 'its children keep serving');
      const before = accepted.length;
      npmStart();
      // The new npm start records its pid once it has stopped what the killed one left running.
      await eventually('the new npm start took over', async () => runningSupervisor() !== undefined, {
        timeoutMs: 120_000,
        intervalMs: 250,
      });
      await servingWithOneOfEach();
      assert.notEqual(runningApiPid(), oldApi, 'the API was started afresh');
      await eventually('messages accepted by the new processes', async () => accepted.length >= before + 20, {
        timeoutMs: 120_000,
      });
      sending = false;
      await load;
      assert.match(fs.readFileSync(startLog, 'utf8'), /stopping the api an earlier npm start left running/);

      const conversation = (
        await request<{ conversation_id: string }>('POST', '/v1/messages', {
          headers: sender.headers,
          body: { recipient_id: recipient.id, content: 'last' },
        })
      ).body.conversation_id;
      await eventually(
        'every accepted message stored',
        async () => {
          const stored = new Set<string>();
          let cursor: string | undefined;
          do {
            const page = await request<{ messages: { message_id: string }[]; next_cursor?: string | null }>(
              'GET',
              `/v1/conversations/${encodeURIComponent(conversation)}/messages?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
              { headers: recipient.headers },
            );
            for (const message of page.body.messages ?? []) stored.add(message.message_id);
            cursor = page.body.next_cursor ?? undefined;
          } while (cursor);
          return accepted.every((id) => stored.has(id));
        },
        { timeoutMs: 120_000, intervalMs: 1000 },
      );
      console.log(`${accepted.length} messages accepted across the crash, every one stored`);
    });

    it('npm stop leaves no process of the project and no bound port', async () => {
      const stop = spawnSync(process.execPath, [path.join(ROOT, 'infra/bootstrap.mjs'), 'infra/stop.ts'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 300_000,
      });
      assert.equal(stop.status, 0, stop.stdout + stop.stderr);
      assert.deepEqual(projectProcesses(), []);
      for (const port of [...APP_PORTS, ...STACK_PORTS]) assert.equal(await isPortOpen(port), false, `port ${port}`);
      assert.equal(fs.existsSync(supervisorPidFile), false);
    });
  },
);
