/**
 * npm test: unit tests, then integration tests against the real stack and API, then the disruptive tests, the
 * fault suite (test/faults) and the lifecycle tests (test/lifecycle: npm start and npm stop, which ends the stack).
 * Starts the stack (npm run stack:up), serverless-offline and the bridge when they are not running, and stops only
 * the API and bridges it started.
 * npm run test:faults (--faults): the fault suite alone.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isApiUp, runningApiPid, startApi } from '../infra/api.js';
import { runningBridges, superviseBridge, type SupervisedBridge } from '../infra/bridge/process.js';
import { startEmulators } from '../infra/emulators/process.js';
import { log, up } from '../infra/stack/commands.js';
import { ROOT, STACK_DIR } from '../infra/stack/paths.js';

function testFiles(dir: string): string[] {
  return fs
    .readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.ts'))
    .sort()
    .map((file) => path.join(dir, file));
}

function runTests(kind: string, files: string[]): number {
  log('test', `${kind}: ${files.length} files`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  return result.status ?? 1;
}

const onlyUnit = process.argv.includes('--unit');
const onlyFaults = process.argv.includes('--faults');
let status = onlyFaults ? 0 : runTests('unit tests', testFiles('test/unit'));
let api: ChildProcess | undefined;
let bridge: SupervisedBridge | undefined;
let emulators: ChildProcess | undefined;

if (status === 0 && !onlyUnit) {
  const bridgesBefore = runningBridges();
  try {
    log('test', 'making sure the stack is up');
    await up();
    // The provider emulators (WhatsApp, Instagram) the connectors call and whose webhooks the tests await.
    emulators = await startEmulators(fs.openSync(path.join(STACK_DIR, 'emulators-test.log'), 'w'));
    if (!(await isApiUp())) {
      const apiLog = path.join(STACK_DIR, 'api-test.log');
      log('test', `starting serverless-offline (log: ${path.relative(ROOT, apiLog)})`);
      api = await startApi(fs.openSync(apiLog, 'w'));
      process.env.CHAT4ALL_API_LOG = apiLog; // tests that follow a message through the logs read these
      const bridgeLog = path.join(STACK_DIR, 'bridge-test.log');
      log('test', `starting the event-source bridge (log: ${path.relative(ROOT, bridgeLog)})`);
      bridge = await superviseBridge(fs.openSync(bridgeLog, 'w'), {}, (line) => log('test', line));
      process.env.CHAT4ALL_BRIDGE_LOG = bridgeLog;
    }
    // The log scan reads what every other test made the API and the bridge write, so it runs after them, on its own
    // (node --test sorts the files it is given), and even when one of them failed.
    if (!onlyFaults) {
      const isLogScan = (file: string) => file.endsWith('log-scan.test.ts');
      const integration = testFiles('test/integration');
      status = runTests(
        'integration tests',
        integration.filter((file) => !isLogScan(file)),
      );
      const scanned = runTests('log scan', integration.filter(isLogScan));
      status ||= scanned;
      // Tests that stop services or kill processes run last, so nothing else runs beside a fault.
      if (status === 0) status = runTests('disruptive tests', testFiles('test/disruptive'));
    }
    // Steady load, one fault at a time, and an audit of every acknowledged message (load/reports/faults-latest.json).
    if (status === 0) status = runTests('fault suite', testFiles('test/faults'));
    // Last, as it ends with npm stop: npm start's supervision and crash recovery (test/lifecycle).
    if (status === 0 && !onlyFaults) status = runTests('lifecycle tests', testFiles('test/lifecycle'));
  } catch (error) {
    console.error(`integration setup failed: ${(error as Error).message}`);
    status = 1;
  } finally {
    await bridge?.stop();
    emulators?.kill('SIGTERM');
    // Bridges that tests started in place of one they killed (see bridge-resume.test.ts).
    for (const pid of runningBridges()) if (!bridgesBefore.includes(pid)) process.kill(pid, 'SIGTERM');
    api?.kill('SIGTERM');
    // The API the fault suite started in place of the one it killed (see test/faults/api-restart.test.ts).
    const restartedApi = runningApiPid();
    if (api && restartedApi !== undefined && restartedApi !== api.pid) process.kill(restartedApi, 'SIGTERM');
  }
}
process.exit(status);
